package signedcall

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// LimitScope says which earlier calls a [Limit] counts.
type LimitScope string

// Limit scopes. A call counts toward a limit from the instant the Store
// records it as dialling, whether or not it was answered: the law counts
// calls made, not calls that got through.
const (
	// ScopePersonCampaign counts calls to the same number in the same
	// campaign: "3 calls in 24 hours on the same subject".
	ScopePersonCampaign LimitScope = "person_campaign"
	// ScopePerson counts calls to the same number from every campaign in
	// the Store: "4 calls in 30 days by the same caller".
	ScopePerson LimitScope = "person"
	// ScopeCampaign counts every call the campaign starts, to anyone: a
	// campaign-wide pace ("10 calls a second").
	ScopeCampaign LimitScope = "campaign"
)

func (s LimitScope) valid() bool {
	return s == ScopePersonCampaign || s == ScopePerson || s == ScopeCampaign
}

// Limit allows at most Max calls to start in any Window of time, among
// the calls its Scope counts. A call started at s counts at instant t
// while t-Window < s, so it stops counting exactly Window after it
// started.
type Limit struct {
	Max    int        `json:"max"`
	Window Duration   `json:"window"`
	Scope  LimitScope `json:"scope"`
}

// String returns a form like "3 per 24h0m0s (person_campaign)".
func (l Limit) String() string {
	return fmt.Sprintf("%d per %s (%s)", l.Max, time.Duration(l.Window), l.Scope)
}

// MaxLimitWindow is the longest Window a [Limit] may have: a year is
// longer than any calling law's period and bounds what a Store keeps.
const MaxLimitWindow = 366 * 24 * time.Hour

func (l Limit) validate(field string) []error {
	var errs []error
	if l.Max < 1 {
		errs = append(errs, invalid(field+".max", "must be at least 1, got %d", l.Max))
	}
	if w := time.Duration(l.Window); w < time.Millisecond || w > MaxLimitWindow {
		errs = append(errs, invalid(field+".window", "must be between 1ms and %s, got %s", MaxLimitWindow, w))
	}
	if !l.Scope.valid() {
		errs = append(errs, invalid(field+".scope", "must be %q, %q or %q, got %q",
			ScopePersonCampaign, ScopePerson, ScopeCampaign, l.Scope))
	}
	return errs
}

// Validate reports every broken rule of l, naming fields under "limit".
func (l Limit) Validate() error { return errors.Join(l.validate("limit")...) }

// RetryAt is the rule every Store applies to a Limit, exported so Store
// authors share one implementation. Given the start instants of the
// calls the limit's scope counts (in any order, any of them possibly
// outside the window), it reports whether one more call may start at
// at, and if not, the earliest instant from which it may, assuming no
// other call starts meanwhile.
func (l Limit) RetryAt(starts []time.Time, at time.Time) (time.Time, bool) {
	from := at.Add(-time.Duration(l.Window))
	var in []time.Time
	for _, s := range starts {
		if s.After(from) {
			in = append(in, s)
		}
	}
	if len(in) < l.Max {
		return time.Time{}, true
	}
	// Once the len(in)-Max+1 earliest have aged out, Max-1 remain.
	slices.SortFunc(in, func(a, b time.Time) int { return a.Compare(b) })
	return in[len(in)-l.Max].Add(time.Duration(l.Window)), false
}

// LimitError is returned, per transition, by Store.Apply for a move to
// dialling that a limit refuses. Nothing is written for that
// transition. It matches [ErrLimited] with [errors.Is].
type LimitError struct {
	// Limit is the limit that refused, when one did.
	Limit Limit
	// Concurrent is set instead when the campaign already had this many
	// calls in dialling, its MaxConcurrent.
	Concurrent int
	// RetryAt is the earliest instant the limit allows the call, as
	// [Limit.RetryAt] computes it; zero for a concurrency refusal, which
	// lasts until a call ends.
	RetryAt time.Time
}

// Error describes the refusal.
func (e *LimitError) Error() string {
	if e.Concurrent > 0 {
		return fmt.Sprintf("signedcall: call limit reached: %d calls already in progress", e.Concurrent)
	}
	return fmt.Sprintf("signedcall: call limit reached: %s, allowed again at %s",
		e.Limit, e.RetryAt.UTC().Format(time.RFC3339Nano))
}

// Is reports whether target is [ErrLimited].
func (e *LimitError) Is(target error) bool { return target == ErrLimited }

// ErrLimited is matched by every [*LimitError].
var ErrLimited = errors.New("signedcall: call limit reached")

// CallStart is one call a Store recorded as started, kept for limits.
type CallStart struct {
	CampaignID string
	Phone      string
	At         time.Time
}

// CheckLimits applies limits and a concurrency cap to a move to dialling,
// the way every Store must, given what it read in the same atomic step:
// the starts of the calls the limits count (ScopeCampaign limits see
// campaignStarts, person limits see personStarts, filtered here by
// campaign for ScopePersonCampaign), and how many of the campaign's
// deliveries are dialling under a lease that has not expired. It returns
// nil or a [*LimitError]. Concurrency is checked first, then limits in
// order.
//
// A limit that breaks a rule (see [Limit.Validate]) gives an error
// matching ErrInvalid instead.
func CheckLimits(t Transition, campaignStarts, personStarts []CallStart, dialling int) error {
	for i, l := range t.Limits {
		if errs := l.validate(fmt.Sprintf("transition.limits[%d]", i)); len(errs) > 0 {
			return errors.Join(errs...)
		}
	}
	if t.MaxConcurrent < 0 {
		return invalid("transition.max_concurrent", "must not be negative, got %d", t.MaxConcurrent)
	}
	if t.MaxConcurrent > 0 && dialling >= t.MaxConcurrent {
		return &LimitError{Concurrent: dialling}
	}
	for _, l := range t.Limits {
		var starts []time.Time
		switch l.Scope {
		case ScopeCampaign:
			for _, s := range campaignStarts {
				starts = append(starts, s.At)
			}
		case ScopePerson:
			for _, s := range personStarts {
				starts = append(starts, s.At)
			}
		case ScopePersonCampaign:
			for _, s := range personStarts {
				if s.CampaignID == t.Key.CampaignID.String() {
					starts = append(starts, s.At)
				}
			}
		}
		if retry, ok := l.RetryAt(starts, t.At); !ok {
			return &LimitError{Limit: l, RetryAt: retry}
		}
	}
	return nil
}

// LongestWindow returns the longest Window among limits of the given
// scopes, which is how far back a Store must read starts for them.
func LongestWindow(limits []Limit, scopes ...LimitScope) time.Duration {
	var w time.Duration
	for _, l := range limits {
		if slices.Contains(scopes, l.Scope) {
			w = max(w, time.Duration(l.Window))
		}
	}
	return w
}
