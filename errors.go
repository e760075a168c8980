package signedcall

import (
	"errors"
	"fmt"
)

// Sentinel errors returned by the package and by conforming Store
// implementations. Match them with [errors.Is].
var (
	// ErrInvalid is matched by every [*ValidationError]: a campaign, a
	// predicate, a DND rule or an acknowledgement that breaks a rule.
	ErrInvalid = errors.New("signedcall: invalid input")

	// ErrNotFound is returned when a campaign or delivery does not exist.
	ErrNotFound = errors.New("signedcall: not found")

	// ErrCampaignExists is returned by Store.CreateCampaign when a campaign
	// with the same ID is already stored.
	ErrCampaignExists = errors.New("signedcall: campaign already exists")

	// ErrDuplicateDelivery is returned when a write would create a second
	// delivery for the same (campaign, user) pair. Nothing is written.
	ErrDuplicateDelivery = errors.New("signedcall: duplicate delivery for campaign and user")

	// ErrAlreadyMaterialized is returned by Store.Materialize when the
	// campaign's deliveries were already written, by this process or another.
	ErrAlreadyMaterialized = errors.New("signedcall: campaign deliveries already materialized")

	// ErrLeaseLost is returned when a write names a lease that is no longer
	// held: it expired and was rescued by another owner, or the delivery
	// reached a final state.
	ErrLeaseLost = errors.New("signedcall: delivery lease lost")

	// ErrStateConflict is returned when a campaign is not in a state that
	// allows the requested transition (pausing a completed campaign, say).
	ErrStateConflict = errors.New("signedcall: campaign state does not allow this")

	// ErrNotRunning is returned, per transition, by Store.Apply for a move
	// to dialling while the campaign is not running (paused or stopped in
	// the meantime). Nothing is written for that transition.
	ErrNotRunning = errors.New("signedcall: campaign is not running")

	// ErrImmutable is returned when a published campaign's definition would
	// change. Only its lifecycle state may move after publishing.
	ErrImmutable = errors.New("signedcall: published campaign definition cannot change")

	// ErrNotAcknowledged is returned by Publish without a complete
	// compliance acknowledgement.
	ErrNotAcknowledged = errors.New("signedcall: publishing requires a compliance acknowledgement")

	// ErrNotDialled may be wrapped by a Caller's error to promise that no
	// call was placed. The delivery is then recorded as failed rather than
	// unknown. Any other Caller error means the call may have been placed.
	ErrNotDialled = errors.New("signedcall: call was not dialled")

	// ErrUnknownRulePack is returned when a campaign, or a delivery,
	// names a rule pack the dispatcher's Config.Rules does not hold. No
	// call starts under rules the dispatcher cannot read.
	ErrUnknownRulePack = errors.New("signedcall: unknown rule pack")
)

// ValidationError reports one broken rule. Field is a dotted path into the
// campaign (for example "audience.of[1].km" or "delivery.dnd.hours[0]"),
// Rule says what was expected. Build and Validate return several of them
// joined with [errors.Join]; each matches [ErrInvalid] with [errors.Is] and
// can be extracted with [errors.As].
type ValidationError struct {
	Field string
	Rule  string
}

// Error returns "signedcall: FIELD: RULE".
func (e *ValidationError) Error() string {
	return fmt.Sprintf("signedcall: %s: %s", e.Field, e.Rule)
}

// Is reports whether target is [ErrInvalid].
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Rule: fmt.Sprintf(format, args...)}
}

// ValidationErrors returns every [*ValidationError] inside err, in order,
// looking through errors joined with [errors.Join] and wrapped with %w.
func ValidationErrors(err error) []*ValidationError {
	var out []*ValidationError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if ve, ok := e.(*ValidationError); ok {
			out = append(out, ve)
			return
		}
		switch u := e.(type) {
		case interface{ Unwrap() []error }:
			for _, x := range u.Unwrap() {
				walk(x)
			}
		case interface{ Unwrap() error }:
			walk(u.Unwrap())
		}
	}
	walk(err)
	return out
}
