package signedcall

import (
	"fmt"
	"slices"
	"time"
)

// RetryOn names a result that may be called again.
type RetryOn string

// Results a RetryPolicy may retry. A call that may have been placed and
// whose outcome is unknown is never among them.
const (
	// RetryBusy retries a busy line.
	RetryBusy RetryOn = "busy"
	// RetryMissed retries a call that rang out or was not picked up.
	RetryMissed RetryOn = "missed"
	// RetryNotDialled retries a call the Caller promised it never placed
	// (an error wrapping ErrNotDialled).
	RetryNotDialled RetryOn = "not_dialled"
)

// MaxAttempts bounds RetryPolicy.MaxAttempts.
const MaxAttempts = 10

// RetryPolicy says which results are called again and when. The zero
// value (or a nil *RetryPolicy) retries nothing. A retry is a new
// attempt with its own idempotency key; it goes through the cut-off and
// DND checks like a first call, and is never scheduled at or after the
// cut-off: a result that would be retried then stays final.
type RetryPolicy struct {
	// MaxAttempts is the most calls per person, the first included: 0 or
	// 1 means no retry, at most MaxAttempts.
	MaxAttempts int `json:"max_attempts"`
	// Backoff is the wait after the first attempt; each later wait is
	// twice the one before. At least a minute when retrying.
	Backoff Duration `json:"backoff"`
	// On lists the results retried.
	On []RetryOn `json:"on"`
}

// Duration is a time.Duration written in JSON as a Go duration string
// ("15m", "1h30m").
type Duration time.Duration

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("signedcall: duration %q: want a form like 15m or 1h30m", b)
	}
	*d = Duration(v)
	return nil
}

func (p *RetryPolicy) validate(field string) []error {
	if p == nil {
		return nil
	}
	var errs []error
	if p.MaxAttempts < 0 || p.MaxAttempts > MaxAttempts {
		errs = append(errs, invalid(field+".max_attempts", "must be between 0 and %d, got %d", MaxAttempts, p.MaxAttempts))
	}
	if p.MaxAttempts > 1 {
		if time.Duration(p.Backoff) < time.Minute {
			errs = append(errs, invalid(field+".backoff", "must be at least 1m when retrying, got %s", time.Duration(p.Backoff)))
		}
		if len(p.On) == 0 {
			errs = append(errs, invalid(field+".on", "needs at least one of busy, missed, not_dialled when retrying"))
		}
	}
	for i, r := range p.On {
		switch r {
		case RetryBusy, RetryMissed, RetryNotDialled:
		default:
			errs = append(errs, invalid(fmt.Sprintf("%s.on[%d]", field, i), "must be busy, missed or not_dialled, got %q", r))
		}
	}
	return errs
}

// next returns when attempt number attempt+1 is due after a result of
// status and reason at now, or false if it is not retried.
//
// A retry the dispatcher ends without calling (DND, a rule pack or a
// limit under the discard policy, or a deferral past the cut-off) keeps
// the result of the call it retried.
//
// TODO(retry): a retry still pending when the campaign is stopped, or
// when the Store's FinishRemaining expires what is left at the cut-off,
// is finished as stopped or expired_cutoff, and the earlier attempt's
// result (busy, missed) is lost from reports; keeping it needs
// FinishRemaining to honour the retry reason in every Store.
func (p *RetryPolicy) next(attempt int, status Status, reason string, now time.Time) (time.Time, bool) {
	if p == nil || attempt >= p.MaxAttempts {
		return time.Time{}, false
	}
	var on RetryOn
	switch {
	case status == StatusBusy:
		on = RetryBusy
	case status == StatusMissed:
		on = RetryMissed
	case status == StatusFailed && reason == ReasonNotDialled:
		on = RetryNotDialled
	default:
		return time.Time{}, false
	}
	if !slices.Contains(p.On, on) {
		return time.Time{}, false
	}
	wait := time.Duration(p.Backoff)
	for i := 1; i < attempt && wait < 24*time.Hour; i++ {
		wait *= 2
	}
	return now.Add(wait), true
}
