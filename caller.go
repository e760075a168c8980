package signedcall

import (
	"context"

	"github.com/google/uuid"
)

// Outcome is what a placed call ended as.
type Outcome string

// Call outcomes a Caller may return.
const (
	OutcomeAnswered Outcome = "answered"
	OutcomeDeclined Outcome = "declined"
	OutcomeMissed   Outcome = "missed"
	OutcomeBusy     Outcome = "busy"
	OutcomeFailed   Outcome = "failed"
)

// status maps an outcome to the delivery's final state.
func (o Outcome) status() (Status, bool) {
	switch o {
	case OutcomeAnswered:
		return StatusAnswered, true
	case OutcomeDeclined:
		return StatusDeclined, true
	case OutcomeMissed:
		return StatusMissed, true
	case OutcomeBusy:
		return StatusBusy, true
	case OutcomeFailed:
		return StatusFailed, true
	}
	return "", false
}

// CallRequest is everything a Caller needs to place one call.
type CallRequest struct {
	// IdempotencyKey is the same for every try of one attempt; a Caller
	// that sees it twice must not place a second call.
	IdempotencyKey string
	CampaignID     uuid.UUID
	UserID         string
	// Phone is the E.164 number to dial.
	Phone string
	// CallContext is the reason shown to the person called.
	CallContext string
	// Attempt is 1 for the first call of a delivery.
	Attempt int
	// Signature is the Ed25519 signature of SigningPayload by the
	// dispatcher's Config.SigningKey, or nil when none is configured.
	// Callers pass it to the far end (a header, a SIP header), where
	// VerifyCallRequest checks it.
	Signature []byte
}

// Caller places calls. Call blocks until the call has an outcome or ctx
// ends. A nil error with a known Outcome is recorded as that outcome. An
// error wrapping [ErrNotDialled] is recorded as failed; any other error
// means the call may have been placed and is recorded as unknown, and the
// delivery is never dialled again automatically.
//
// Call is invoked from several goroutines at once.
type Caller interface {
	Call(ctx context.Context, req CallRequest) (Outcome, error)
}

// CallerFunc adapts a function to the [Caller] interface.
type CallerFunc func(ctx context.Context, req CallRequest) (Outcome, error)

// Call calls f(ctx, req).
func (f CallerFunc) Call(ctx context.Context, req CallRequest) (Outcome, error) {
	return f(ctx, req)
}

// PlacementChecker is an optional interface for a Caller that can tell,
// by idempotency key, whether a call was placed. When a dispatcher rescues
// a delivery whose previous holder died while dialling, it asks; a
// confirmed "not placed" puts the delivery back in the queue, anything
// else records it as unknown.
type PlacementChecker interface {
	Placed(ctx context.Context, idempotencyKey string) (bool, error)
}
