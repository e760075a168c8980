package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/signedcall/signedcall"
)

// call is one INVITE and what follows it.
type call struct {
	c     *Caller
	req   signedcall.CallRequest
	user  string // Request-URI user part
	phone string // masked, for logs and errors

	invite *sipmsg.Request
	tx     sipmsg.ClientTransaction

	abandon  chan struct{} // closed when Call stops waiting
	finished chan struct{} // closed when run returns

	mu        sync.Mutex
	abandoned bool
	cause     error // why Call gave up
	sent      bool  // the INVITE is being or has been written
	known     bool  // outcome and err are set
	outcome   signedcall.Outcome
	err       error
}

// result records the call's result once; later ones are dropped.
func (cl *call) result(o signedcall.Outcome, err error) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if !cl.known {
		cl.outcome, cl.err, cl.known = o, err, true
	}
}

// giveUp tells run that Call no longer waits, because of cause. It
// returns the result if one is known already, and whether the INVITE was
// sent.
func (cl *call) giveUp(cause error) (o signedcall.Outcome, err error, known, sent bool) {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	if cl.known {
		return cl.outcome, cl.err, true, cl.sent
	}
	if !cl.abandoned {
		cl.abandoned, cl.cause = true, cause
		close(cl.abandon)
	}
	return "", nil, false, cl.sent
}

// notDialled records that no INVITE left.
func (cl *call) notDialled(what string, err error) {
	switch {
	case errors.Is(err, sipmsg.ErrUDPMTUCongestion):
		what = fmt.Sprintf("%s: the INVITE is over UDP's size limit of %d bytes; shorten the call context or use the tcp transport",
			what, sipmsg.UDPMTUSize-200)
	}
	cl.result("", fmt.Errorf("sip: call to %s: %s: %w: %w", cl.phone, what, signedcall.ErrNotDialled, redactErr(err)))
}

// unknown records an error after the INVITE was sent.
func (cl *call) unknown(format string, args ...any) {
	cl.result("", fmt.Errorf("sip: call to %s: "+format, append([]any{cl.phone}, args...)...))
}

// run sends the INVITE and drives the call to its end. dialCtx bounds
// resolving Proxy and connecting to it; release is called once that is
// done.
func (cl *call) run(dialCtx context.Context, release func()) {
	c := cl.c
	inv := c.newInvite(cl.req, cl.user)
	tx, err := c.ua.TransactionLayer().NewClientTransaction(dialCtx, inv)
	release()
	if err != nil {
		cl.notDialled("reaching the proxy", err)
		return
	}
	c.finishInvite(inv)

	cl.mu.Lock()
	if cl.abandoned {
		cause := cl.cause
		cl.mu.Unlock()
		tx.Terminate()
		cl.notDialled("stopped before sending the INVITE", cause)
		return
	}
	cl.sent = true
	cl.mu.Unlock()

	id := callIDOf(inv.CallID())
	c.active.Store(id, struct{}{})
	defer c.active.Delete(id)
	if err := tx.Init(); err != nil {
		tx.Terminate()
		cl.notDialled("sending the INVITE", err)
		return
	}
	cl.invite, cl.tx = inv, tx
	log := c.log.With("phone", cl.phone, "call_id", id)
	log.Debug("sip: INVITE sent")
	cl.ring(log)
}

// ring waits for the INVITE's final response, cancelling the call when
// it rings too long, Call gives up or the Caller closes.
func (cl *call) ring(log *slog.Logger) {
	c, tx := cl.c, cl.tx
	ringTimer := time.NewTimer(c.cfg.RingTimeout)
	defer ringTimer.Stop()
	var (
		provisional bool // a 1xx arrived, so CANCEL may be sent
		wantCancel  bool
		cancelled   bool
		afterCancel <-chan time.Time
		abandon     = cl.abandon
		closing     = c.root.Done()
	)
	cancel := func() {
		if !wantCancel || !provisional || cancelled {
			return
		}
		cancelled = true
		afterCancel = time.After(64 * sipmsg.T1)
		cl.sendCancel(log)
	}
	for {
		select {
		case res := <-tx.Responses():
			switch {
			case res.IsProvisional():
				provisional = true
				log.Debug("sip: provisional response", "status", res.StatusCode)
				cancel()
				continue
			case res.IsSuccess():
				cl.answered(res, log)
				return
			}
			o := outcomeOf(res.StatusCode)
			log.Debug("sip: call ended", "status", res.StatusCode, "outcome", string(o))
			cl.result(o, nil)
			return
		case <-tx.Done():
			cl.unknown("no final response to the INVITE: %w", redactErr(tx.Err()))
			return
		case <-ringTimer.C:
			log.Debug("sip: ring timeout; cancelling")
			wantCancel = true
			cancel()
		case <-abandon:
			abandon = nil
			log.Debug("sip: call abandoned; cancelling")
			wantCancel = true
			cancel()
		case <-closing:
			closing = nil
			if !provisional {
				// Nothing to cancel yet, and Close will not wait for
				// the transaction to time out: stop retransmitting.
				tx.Terminate()
				cl.unknown("the caller closed before any response to the INVITE")
				return
			}
			wantCancel = true
			cancel()
			afterCancel = time.After(closeGrace)
		case <-afterCancel:
			tx.Terminate()
			cl.unknown("no final response to the INVITE after its CANCEL")
			return
		}
	}
}

// outcomeOf maps a final non-2xx status code to an outcome.
func outcomeOf(code int) signedcall.Outcome {
	switch code {
	case 486, 600:
		return signedcall.OutcomeBusy
	case 603:
		return signedcall.OutcomeDeclined
	case 480, 408, 487:
		return signedcall.OutcomeMissed
	}
	return signedcall.OutcomeFailed
}

// answered acknowledges a 2xx and hangs up.
func (cl *call) answered(res *sipmsg.Response, log *slog.Logger) {
	c, tx := cl.c, cl.tx
	defer tx.Terminate()
	ack := c.inDialog(cl.invite, res, sipmsg.ACK, cl.invite.CSeq().SeqNo)
	// A 2xx retransmitted because the ACK was lost is acknowledged again.
	tx.OnRetransmission(func(r *sipmsg.Response) {
		if r.IsSuccess() {
			if err := c.client.WriteRequest(ack.Clone(), keepAsIs); err != nil {
				log.Debug("sip: resending ACK", "error", redactErr(err))
			}
		}
	})
	if err := c.client.WriteRequest(ack.Clone(), keepAsIs); err != nil {
		log.Warn("sip: sending ACK", "error", redactErr(err))
	}
	cl.result(signedcall.OutcomeAnswered, nil)
	log.Debug("sip: answered; hanging up", "status", res.StatusCode)

	bye := c.inDialog(cl.invite, res, sipmsg.BYE, cl.invite.CSeq().SeqNo+1)
	ctx, cancel := c.signalling()
	defer cancel()
	switch r, err := c.client.Do(ctx, bye, keepAsIs); {
	case err != nil:
		log.Warn("sip: no response to BYE", "error", redactErr(err))
	case r.StatusCode != 200:
		// 481: the far end hung up first.
		log.Debug("sip: BYE answered", "status", r.StatusCode)
	default:
		log.Debug("sip: hung up")
	}
}

// sendCancel sends a CANCEL for the INVITE in the background; the INVITE
// transaction's own final response (487) is what ring waits for.
func (cl *call) sendCancel(log *slog.Logger) {
	c := cl.c
	req := c.newCancel(cl.invite)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		ctx, cancel := c.signalling()
		defer cancel()
		switch r, err := c.client.Do(ctx, req, keepAsIs); {
		case err != nil:
			log.Warn("sip: no response to CANCEL", "error", redactErr(err))
		case r.StatusCode != 200:
			log.Debug("sip: CANCEL answered", "status", r.StatusCode)
		}
	}()
}

// closeGrace is how long Close lets a BYE or CANCEL already sent wait
// for its response.
const closeGrace = time.Second

// signalling returns the context a BYE or CANCEL waits for its response
// within: it ends after SIP's transaction timeout, or closeGrace after
// Close starts.
func (c *Caller) signalling() (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.Background(), 64*sipmsg.T1)
	stop := context.AfterFunc(c.root, func() { time.AfterFunc(closeGrace, cancel) })
	return ctx, func() {
		stop()
		cancel()
	}
}

// keepAsIs is a request option that stops sipgo from adding headers to a
// request built in full here.
func keepAsIs(*sipgo.Client, *sipmsg.Request) error { return nil }
