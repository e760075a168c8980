// Package sip provides a signedcall.Caller that places each call as a SIP
// INVITE, with github.com/emiago/sipgo, to one proxy or trunk.
//
// # What is sent
//
// A call to +12125550123 is an INVITE to sip:12125550123@PROXY (with the
// "+" kept when Config.KeepPlus is set), from Config.From, with a minimal
// SDP offer (audio, inactive: the Caller carries no media) and these
// headers, so that the far end can verify the call with
// signedcall.VerifyCallRequest:
//
//	X-Signedcall-Idempotency-Key  CallRequest.IdempotencyKey, encoded
//	X-Signedcall-Campaign         CallRequest.CampaignID
//	X-Signedcall-User-Id          CallRequest.UserID, encoded
//	X-Signedcall-Attempt          CallRequest.Attempt, in decimal
//	X-Signedcall-Context          CallRequest.CallContext, encoded
//	X-Signedcall-Signature        CallRequest.Signature in standard base64,
//	                              only when the request is signed
//
// Encoded values are percent-encoded as by [url.PathEscape], so a header
// is always one line of printable ASCII whatever the text holds (line
// breaks included); [url.PathUnescape] gives back the exact bytes the
// signature covers. The phone number of the signed payload is the
// Request-URI's user part, with "+" put back in front when it is missing.
//
// # Outcomes
//
// Provisional responses (100, 180, 183) are waited through. The final
// response decides:
//
//	2xx                answered: the Caller sends ACK, then hangs up at
//	                   once with BYE and waits for its 200
//	486, 600           busy
//	603                declined
//	480, 408, 487      missed
//	other 3xx-6xx      failed (redirects are not followed, digest
//	                   challenges are not answered)
//
// A call still unanswered after Config.RingTimeout is cancelled with
// CANCEL and, on its 487, recorded missed; if the far end answers in the
// meantime, the call is answered (and hung up). A CANCEL is only sent
// after a provisional response, as RFC 3261 requires. A 487 the Caller
// did not ask for (a proxy giving up on the ringing) is missed too.
//
// # Errors
//
// An error wrapping signedcall.ErrNotDialled means no INVITE left this
// process: the phone number is not E.164, the Caller is closed, the
// context ended (or Close was called) before the INVITE was sent, the
// proxy's name does not resolve, a TCP connection is refused, the socket
// write fails, or the INVITE is over UDP's size limit (1,300 bytes; a
// long call context needs the tcp transport). Any other error means the
// INVITE was sent and what happened next is not known: no final response
// within SIP's transaction timeout (32 seconds), no final response within
// 32 seconds of a CANCEL, a TCP connection lost, or the context ending
// (or Close being called) after the INVITE was sent and before the
// outcome was known. Call then returns at once and the call is cancelled
// in the background. The dispatcher records
// these errors as unknown and never dials those calls again. A call
// whose outcome is known when the context ends (answered, say, while its
// BYE is in flight) returns that outcome.
//
// Over UDP, nobody listening at Proxy looks like a lost INVITE: Linux
// reports the ICMP "port unreachable" only to connected sockets and sipgo
// sends from an unconnected one, so the INVITE is retransmitted until the
// transaction times out and the error is the plain (unknown) kind. Over
// TCP a refused connection wraps signedcall.ErrNotDialled at once.
//
// # Idempotency
//
// A Caller remembers the idempotency keys of the calls it placed (the
// last 100,000 finished ones, and every one in progress): a second Call
// with a key it remembers places nothing and returns the first call's
// result, waiting for it if that call is still in progress. A key whose
// call was not dialled is forgotten, so it can be tried again. The memory
// is per process; the X-Signedcall-Idempotency-Key header lets a trunk
// deduplicate across processes. The Caller does not implement
// signedcall.PlacementChecker, since it cannot know what another process
// placed.
//
// # Time
//
// Timing runs on the system clock, as SIP's own retransmission and
// timeout timers do: a mock clock given to the dispatcher does not reach
// the network.
//
// # Logs
//
// Logs go to Config.Logger, sipgo's included; every run of seven or more
// digits standing on its own in a message or attribute (a phone number
// in a SIP URI, for example) is masked first, and the Caller's own logs
// name numbers only as signedcall.MaskPhone prints them. Error messages
// follow the same rule. A few sipgo messages go to its global logger,
// slog.Default, instead (a warning when Close closes a UDP socket, for
// one); none carries a phone number.
package sip

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	sipmsg "github.com/emiago/sipgo/sip"

	"github.com/signedcall/signedcall"
)

// DefaultRingTimeout is how long a call may ring when
// Config.RingTimeout is zero.
const DefaultRingTimeout = 30 * time.Second

// DefaultUserAgent is the User-Agent header sent when Config.UserAgent
// is empty.
const DefaultUserAgent = "signedcall"

// rememberedKeys bounds how many finished calls' idempotency keys a
// Caller keeps.
const rememberedKeys = 100_000

// Config configures a [Caller]. Proxy and From are required; every other
// field has the default its comment gives when left zero.
type Config struct {
	// Proxy is the SIP proxy or trunk every INVITE is sent to, as
	// "host:port" or "host" (port 5060). A host name is looked up for
	// each call (an IPv4 address first, DNS SRV records when it has no
	// address); a literal IPv6 address needs brackets
	// ("[2001:db8::1]:5060"). Required.
	Proxy string
	// From is the caller identity, a sip: URI such as
	// "sip:+15550100@brand.example". Required.
	From string
	// DisplayName is shown with From ("Brand" <sip:...>). Default: none.
	DisplayName string
	// Transport is "udp" or "tcp". Default: "udp".
	Transport string
	// RingTimeout is how long a call may go unanswered, counted from when
	// its INVITE is sent, before it is cancelled and recorded missed.
	// Default: [DefaultRingTimeout], 30 seconds.
	RingTimeout time.Duration
	// UserAgent is the User-Agent header's value. Default:
	// [DefaultUserAgent].
	UserAgent string
	// LocalIP is the local address calls are sent from, and the one
	// advertised in Via, Contact and SDP. Default: the address the system
	// routes to Proxy, found by New (which resolves Proxy for that).
	LocalIP string
	// KeepPlus keeps the "+" of E.164 numbers in the Request-URI and To
	// header (sip:+12125550123@proxy). Default: false, digits only
	// (sip:12125550123@proxy), which most trunks expect.
	KeepPlus bool
	// Logger receives the Caller's logs and sipgo's, with phone numbers
	// masked. Default: logs are discarded.
	Logger *slog.Logger
}

var _ signedcall.Caller = (*Caller)(nil)

// Caller places calls as SIP INVITEs. It is safe for concurrent use. Its
// zero value is not usable; call [New].
type Caller struct {
	cfg       Config
	host      string // Proxy's host
	port      int    // Proxy's port
	transport string // "UDP" or "TCP", as sipgo names them
	from      sipmsg.Uri
	localIP   net.IP
	log       *slog.Logger

	ua     *sipgo.UserAgent
	client *sipgo.Client

	root context.Context // ends when Close starts
	stop context.CancelFunc

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup // calls in progress and their background work

	active sync.Map // Call-ID -> struct{}: dialogs a BYE may belong to
	memo   memo
}

// New checks cfg, fills in defaults and returns a Caller. Invalid fields
// are reported together, each as an error naming the field and matching
// signedcall.ErrInvalid. Unless cfg.LocalIP is set, New asks the system
// which local address reaches cfg.Proxy, resolving its name within ctx;
// no packet is sent.
func New(ctx context.Context, cfg Config) (*Caller, error) {
	c := &Caller{memo: memo{max: rememberedKeys}}
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("sip: config.%s: %s: %w", field, fmt.Sprintf(format, args...), signedcall.ErrInvalid))
	}

	switch host, port, err := splitProxy(cfg.Proxy); {
	case cfg.Proxy == "":
		bad("proxy", "is required")
	case err != nil:
		bad("proxy", "want host:port or host, got %q: %v", cfg.Proxy, err)
	default:
		c.host, c.port = host, port
	}

	if cfg.From == "" {
		bad("from", "is required")
	} else if err := sipmsg.ParseUri(cfg.From, &c.from); err != nil {
		bad("from", "want a SIP URI such as sip:brand@example.com, got %q: %v", cfg.From, err)
	} else if !strings.EqualFold(c.from.Scheme, "sip") || c.from.Host == "" {
		bad("from", "want a sip: URI with a host (sips: needs TLS, which is not supported), got %q", cfg.From)
	}

	switch strings.ToLower(cfg.Transport) {
	case "", "udp":
		cfg.Transport, c.transport = "udp", "UDP"
	case "tcp":
		cfg.Transport, c.transport = "tcp", "TCP"
	default:
		bad("transport", "must be udp or tcp, got %q", cfg.Transport)
	}

	if cfg.RingTimeout < 0 {
		bad("ring_timeout", "must not be negative, got %s", cfg.RingTimeout)
	} else if cfg.RingTimeout == 0 {
		cfg.RingTimeout = DefaultRingTimeout
	}

	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	} else if !printable(cfg.UserAgent) {
		bad("user_agent", "must be printable text without line breaks")
	}
	if !printable(cfg.DisplayName) {
		bad("display_name", "must be printable text without line breaks")
	}

	if cfg.LocalIP != "" {
		if c.localIP = net.ParseIP(cfg.LocalIP); c.localIP == nil {
			bad("local_ip", "want an IP address, got %q", cfg.LocalIP)
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}

	if c.localIP == nil {
		ip, err := routeTo(ctx, net.JoinHostPort(c.host, strconv.Itoa(c.port)))
		if err != nil {
			return nil, fmt.Errorf("sip: finding the local address that reaches config.proxy %s (set config.local_ip to skip this): %w", cfg.Proxy, redactErr(err))
		}
		c.localIP = ip
	}

	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c.log = slog.New(redactHandler{cfg.Logger.Handler()})
	c.cfg = cfg

	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(cfg.UserAgent),
		sipgo.WithUserAgentHostname(c.from.Host),
		sipgo.WithUserAgentTransportLayerOptions(sipmsg.WithTransportLayerLogger(c.log)),
		sipgo.WithUserAgentTransactionLayerOptions(
			sipmsg.WithTransactionLayerLogger(c.log),
			sipmsg.WithTransactionLayerUnhandledResponseHandler(func(r *sipmsg.Response) {
				c.log.Debug("sip: response matching no transaction (a late retransmission)", "status", r.StatusCode)
			}),
			sipmsg.WithTransactionLayerTerminateOnConnClose(),
		),
	)
	if err != nil {
		return nil, fmt.Errorf("sip: creating the user agent: %w", err)
	}
	client, err := sipgo.NewClient(ua,
		sipgo.WithClientLogger(c.log),
		sipgo.WithClientConnectionAddr(net.JoinHostPort(c.localIP.String(), "0")),
		sipgo.WithClientNAT(),
	)
	if err != nil {
		_ = ua.Close()
		return nil, fmt.Errorf("sip: creating the client: %w", err)
	}
	c.ua, c.client = ua, client
	ua.TransactionLayer().OnRequest(c.serve)
	c.root, c.stop = context.WithCancel(context.Background())
	return c, nil
}

// Call places req as a SIP call and returns its outcome; see the package
// documentation for how responses and errors map to what is recorded.
// It returns when the call has ended (after the BYE's 200, for an
// answered call) or, sooner, when ctx ends: an answered call then
// returns answered while its BYE finishes in the background, and a call
// not yet answered returns an error (unknown) while it is cancelled in
// the background.
func (c *Caller) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	masked := signedcall.MaskPhone(req.Phone)
	user, err := dialUser(req.Phone, c.cfg.KeepPlus)
	if err != nil {
		return "", fmt.Errorf("sip: call to %s: %v: %w", masked, err, signedcall.ErrNotDialled)
	}
	e, first := c.memo.begin(req.IdempotencyKey)
	if !first {
		select {
		case <-e.done:
			return e.outcome, e.err
		case <-ctx.Done():
			return "", fmt.Errorf("sip: call to %s: a call with the same idempotency key is still in progress: %w", masked, ctx.Err())
		}
	}
	o, err := c.place(ctx, req, user, masked)
	c.memo.finish(req.IdempotencyKey, e, o, err)
	return o, err
}

// place runs one call in its own goroutine, so that it can go on
// cancelling or hanging up after Call returns.
func (c *Caller) place(ctx context.Context, req signedcall.CallRequest, user, masked string) (signedcall.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("sip: call to %s: %w: %w", masked, signedcall.ErrNotDialled, err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return "", fmt.Errorf("sip: call to %s: the caller is closed: %w", masked, signedcall.ErrNotDialled)
	}
	c.wg.Add(1)
	c.mu.Unlock()

	cl := &call{
		c: c, req: req, user: user, phone: masked,
		abandon: make(chan struct{}), finished: make(chan struct{}),
	}
	dialCtx, cancel := context.WithCancel(ctx)
	stop := context.AfterFunc(c.root, cancel)
	go func() {
		defer c.wg.Done()
		defer close(cl.finished)
		defer func() {
			if r := recover(); r != nil {
				c.log.Error("sip: call panicked", "phone", masked, "panic", r)
				cl.mu.Lock()
				sent := cl.sent
				cl.mu.Unlock()
				if !sent {
					cl.notDialled("internal error", fmt.Errorf("panic: %s", redact(fmt.Sprint(r))))
				} else {
					cl.unknown("internal error after the INVITE was sent: panic: %s", redact(fmt.Sprint(r)))
				}
			}
		}()
		cl.run(dialCtx, func() { stop(); cancel() })
	}()

	var cause error
	select {
	case <-cl.finished:
		return cl.outcome, cl.err
	case <-ctx.Done():
		cause = context.Cause(ctx)
	case <-c.root.Done():
		cause = errors.New("the caller is closing")
	}
	o, err, known, sent := cl.giveUp(cause)
	switch {
	case known:
		return o, err
	case !sent:
		// The INVITE will not be sent now: run ends promptly.
		<-cl.finished
		return cl.outcome, cl.err
	}
	return "", fmt.Errorf("sip: call to %s abandoned after its INVITE was sent (it is being cancelled): %w", masked, cause)
}

// Close ends every call in progress: one ringing is cancelled, one
// answered is hung up, and one whose INVITE has had no response yet is
// dropped (its retransmissions stop). Calls waiting in Call return an
// error, the unknown kind unless their outcome was known. Close gives
// the BYEs and CANCELs it sent, or found in flight, a second to be
// answered, and then closes the sockets. Calls made after Close return
// an error wrapping signedcall.ErrNotDialled. Close is safe to call more
// than once.
func (c *Caller) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	c.stop()

	done := make(chan struct{})
	go func() {
		c.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(64 * sipmsg.T1)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		c.log.Warn("sip: closing with calls still signalling")
	}
	if err := c.ua.Close(); err != nil {
		return fmt.Errorf("sip: close: %w", redactErr(err))
	}
	return nil
}

// serve answers requests the far end sends: a BYE ending one of this
// Caller's dialogs, OPTIONS pings; anything else is refused.
func (c *Caller) serve(req *sipmsg.Request, tx *sipmsg.ServerTx) {
	respond := func(code int, reason string) {
		if err := tx.Respond(sipmsg.NewResponseFromRequest(req, code, reason, nil)); err != nil {
			c.log.Debug("sip: responding to a request", "method", string(req.Method), "status", code, "error", redactErr(err))
		}
	}
	switch req.Method {
	case sipmsg.ACK:
		// Nothing answers an ACK.
	case sipmsg.BYE:
		id := req.CallID()
		if _, ok := c.active.Load(callIDOf(id)); ok {
			respond(200, "OK")
			return
		}
		respond(481, "Call/Transaction Does Not Exist")
	case sipmsg.OPTIONS:
		respond(200, "OK")
	case sipmsg.CANCEL:
		respond(481, "Call/Transaction Does Not Exist")
	default:
		respond(501, "Not Implemented")
	}
}

func callIDOf(h *sipmsg.CallIDHeader) string {
	if h == nil {
		return ""
	}
	return string(*h)
}

// splitProxy parses "host:port" or "host".
func splitProxy(s string) (string, int, error) {
	host, p, err := net.SplitHostPort(s)
	if err != nil {
		if strings.Contains(s, ":") && !strings.HasPrefix(s, "[") {
			return "", 0, err
		}
		host, p = strings.Trim(s, "[]"), "5060"
	}
	if host == "" {
		return "", 0, errors.New("no host")
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 1 || port > 65535 {
		return "", 0, fmt.Errorf("port %q is not a number from 1 to 65535", p)
	}
	return host, port, nil
}

// routeTo returns the local address the system would send from to reach
// addr. Connecting a UDP socket sends nothing.
func routeTo(ctx context.Context, addr string) (net.IP, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "udp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ua, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok || ua.IP == nil || ua.IP.IsUnspecified() {
		return nil, fmt.Errorf("no local address for %s", addr)
	}
	return ua.IP, nil
}

// printable reports whether s has no control characters.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// dialUser returns the Request-URI user part for an E.164 number.
func dialUser(phone string, keepPlus bool) (string, error) {
	digits, ok := strings.CutPrefix(phone, "+")
	if !ok || len(digits) < 2 || len(digits) > 15 || digits[0] == '0' {
		return "", errors.New("phone number is not E.164 (+ and 2 to 15 digits, not starting with 0)")
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return "", errors.New("phone number is not E.164 (+ and 2 to 15 digits, not starting with 0)")
		}
	}
	if keepPlus {
		return phone, nil
	}
	return digits, nil
}
