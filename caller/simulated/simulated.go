// Package simulated provides a Caller that places no real calls: each
// call's outcome is drawn from fixed odds by hashing a seed with the
// call's idempotency key, so a run is reproducible whatever order the
// calls happen in and however many run at once. Use it for demos and
// tests.
package simulated

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/signedcall/signedcall"
)

// Odds are the relative weights of each outcome. They need not sum to
// anything; an outcome with weight 0 never happens.
type Odds struct {
	Answered, Declined, Missed, Busy, Failed int
}

// DefaultOdds are loosely those of consumer outbound calling: about half
// answered, a third missed.
var DefaultOdds = Odds{Answered: 48, Declined: 9, Missed: 33, Busy: 6, Failed: 4}

// Caller is a simulated signedcall.Caller, safe for concurrent use. It
// records every call it receives.
type Caller struct {
	seed uint64
	odds Odds
	sum  int

	mu    sync.Mutex
	calls []signedcall.CallRequest
	keys  map[string]signedcall.Outcome
}

// New returns a Caller whose outcomes depend only on seed, odds and each
// request's idempotency key. It returns an error if no weight is positive
// or one is negative.
func New(seed uint64, odds Odds) (*Caller, error) {
	ws := []int{odds.Answered, odds.Declined, odds.Missed, odds.Busy, odds.Failed}
	sum := 0
	for _, w := range ws {
		if w < 0 {
			return nil, errors.New("simulated: odds must not be negative")
		}
		sum += w
	}
	if sum == 0 {
		return nil, errors.New("simulated: at least one outcome needs a positive weight")
	}
	return &Caller{seed: seed, odds: odds, sum: sum, keys: map[string]signedcall.Outcome{}}, nil
}

// Outcome returns the outcome a call with this idempotency key gets.
func (c *Caller) Outcome(idempotencyKey string) signedcall.Outcome {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], c.seed)
	h := sha256.Sum256(append(b[:], idempotencyKey...))
	r := int(binary.BigEndian.Uint64(h[:8]) % uint64(c.sum))
	for _, o := range []struct {
		w int
		o signedcall.Outcome
	}{
		{c.odds.Answered, signedcall.OutcomeAnswered},
		{c.odds.Declined, signedcall.OutcomeDeclined},
		{c.odds.Missed, signedcall.OutcomeMissed},
		{c.odds.Busy, signedcall.OutcomeBusy},
		{c.odds.Failed, signedcall.OutcomeFailed},
	} {
		if r < o.w {
			return o.o
		}
		r -= o.w
	}
	return signedcall.OutcomeFailed // unreachable: r < sum
}

// Call implements signedcall.Caller. A second call with the same
// idempotency key places nothing and returns the first outcome.
func (c *Caller) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("simulated: %w: %w", signedcall.ErrNotDialled, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if o, ok := c.keys[req.IdempotencyKey]; ok {
		return o, nil
	}
	o := c.Outcome(req.IdempotencyKey)
	c.keys[req.IdempotencyKey] = o
	c.calls = append(c.calls, req)
	return o, nil
}

// Placed implements signedcall.PlacementChecker.
func (c *Caller) Placed(ctx context.Context, idempotencyKey string) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.keys[idempotencyKey]
	return ok, nil
}

// Calls returns a copy of the requests placed so far, in arrival order.
func (c *Caller) Calls() []signedcall.CallRequest {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]signedcall.CallRequest(nil), c.calls...)
}
