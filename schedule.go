package signedcall

import (
	"slices"
	"time"
)

// recipientZone is the zone recorded on a delivery that will never be
// called (control, unreachable): the profile's own IANA zone when this
// host knows it, otherwise the campaign's, never UTC or the host's zone.
// A nil profile is read in the campaign's zone. Deliveries to call get
// their zones from the dispatcher's Locator instead.
func recipientZone(p *Profile, campaignZone string) (string, ZoneSource) {
	if p != nil && p.TimeZone != "" {
		if _, err := loadLocation(p.TimeZone); err == nil {
			return p.TimeZone, ZoneFromProfile
		}
	}
	return campaignZone, ZoneFromCampaign
}

// decision is what the time rules say about a call at one instant.
type decision struct {
	// dial is true when the call may start now.
	dial bool
	// status and reason are set when the delivery ends without a call.
	status Status
	reason string
	// deferTo is set when the call moves to a later instant.
	deferTo time.Time
}

// Reasons recorded on deliveries (Delivery.Reason, DeliveryEvent.Reason)
// that end or move without a call, or whose call went wrong.
const (
	// ReasonControl: held out in the control group; never called.
	ReasonControl = "control_group"
	// ReasonOverCap: qualified, but outside the cap's sample.
	ReasonOverCap = "over_cap"
	// ReasonNoPhone: qualified, but the profile has no phone number.
	ReasonNoPhone = "no_phone"
	// ReasonInvalidPhone: qualified, but the number is not E.164, or the
	// Locator found it is not a number of its country's numbering plan.
	ReasonInvalidPhone = "invalid_phone"
	// ReasonBeforeStart: looked at before the start; due at the start.
	ReasonBeforeStart = "before_start"
	// ReasonCutOff: still open when the cut-off came (expired_cutoff).
	ReasonCutOff = "cut_off"
	// ReasonDND: due inside DND in the recipient's local time and
	// discarded (discarded_dnd).
	ReasonDND = "dnd"
	// ReasonDeferred: due inside DND and moved to the next open local
	// time (pending, with the new DueAt).
	ReasonDeferred = "deferred_dnd"
	// ReasonDeferPastCut: due inside DND or outside a rule pack's hours,
	// and the next instant both allow is at or after the cut-off, or more
	// than 62 days away (expired_cutoff).
	ReasonDeferPastCut = "deferred_past_cut_off"
	// ReasonRuleHours: due outside the hours a calling-hour rule pack
	// allows in the person's local time, and discarded (discarded_dnd).
	ReasonRuleHours = "rule_pack_hours"
	// ReasonHoliday: due on a date a rule pack bars (a public holiday in
	// the person's region), and discarded (discarded_dnd).
	ReasonHoliday = "rule_pack_holiday"
	// ReasonDeferredRules: due when a rule pack bars calls, and moved to
	// the first instant DND and every pack allow (pending).
	ReasonDeferredRules = "deferred_rule_pack"
	// ReasonLimit: a per-person limit (from a pack or Config.Limits)
	// refused the call, and it was discarded (discarded_dnd).
	ReasonLimit = "frequency_limit"
	// ReasonDeferredLimit: a per-person limit refused the call, and it
	// moved to the first instant the limit and the time rules allow
	// (pending).
	ReasonDeferredLimit = "deferred_frequency_limit"
	// ReasonLimitPastCut: a per-person limit refused the call, and the
	// first instant it allows is at or after the cut-off (expired_cutoff).
	ReasonLimitPastCut = "frequency_limit_past_cut_off"
	// ReasonPaced: the dispatcher's calls-per-minute budget, the
	// campaign's pace or its cap on calls in progress held the call back;
	// due again when they allow (pending).
	ReasonPaced = "paced"
	// ReasonReleased: handed back without a call, to be claimed afresh:
	// the dispatcher was stopping, the claim waited too long to outlast a
	// call, or the campaign was paused or stopped meanwhile (pending).
	ReasonReleased = "released"
	// ReasonRescued: the previous holder died while dialling; unknown, or
	// pending again if the Caller confirmed no call was placed.
	ReasonRescued = "rescued_after_crash"
	// ReasonCallerError: the Caller returned an error that does not rule
	// out a placed call, or an outcome it should not (unknown).
	ReasonCallerError = "caller_error"
	// ReasonCallerPanic: the Caller panicked (unknown).
	ReasonCallerPanic = "caller_panic"
	// ReasonNotDialled: the Caller promised no call was placed (failed).
	ReasonNotDialled = "not_dialled"
	// ReasonRetry prefixes the result being retried ("retry_after_busy",
	// "retry_after_missed", "retry_after_failed"): pending again for the
	// next attempt under the campaign's retry policy.
	ReasonRetry = "retry_after_"
	// ReasonStopped: the campaign was stopped first (stopped).
	ReasonStopped = "stopped"
)

// rules is what a call to one person must satisfy besides the schedule:
// the campaign's DND and every rule pack that applies to them, each read
// in every zone the person may be in.
type rules struct {
	zones []*time.Location
	packs []*RulePack
}

// maxDeferSearch bounds how far ahead a deferral looks for an instant
// that DND and every pack allow together. A campaign whose rules leave
// no such instant for this long expires its deferred calls instead.
const maxDeferSearch = 62 * 24 * time.Hour

// closed returns why a call may not start at t under DND and the packs,
// or "" if it may.
func (r rules) closed(dnd DND, t time.Time) string {
	for _, z := range r.zones {
		if !dnd.Open(t, z) {
			return ReasonDND
		}
	}
	for _, z := range r.zones {
		for _, p := range r.packs {
			if !p.Open(t, z) {
				if p.holiday(t.In(z)) {
					return ReasonHoliday
				}
				return ReasonRuleHours
			}
		}
	}
	return ""
}

// nextOpen returns the earliest instant at or after t, and before until,
// at which DND and every pack allow a call in every zone. Each rule's own
// next open instant is a lower bound for all of them together, so
// jumping to it never skips an instant they all allow.
func (r rules) nextOpen(dnd DND, t, until time.Time) (time.Time, bool) {
	until = minTime(until, t.Add(maxDeferSearch))
	for t.Before(until) {
		moved := false
		for _, z := range r.zones {
			if !dnd.Open(t, z) {
				n, ok := dnd.NextOpen(t, z)
				if !ok {
					return time.Time{}, false
				}
				t, moved = n, true
			}
			for _, p := range r.packs {
				if !p.Open(t, z) {
					n, ok := p.nextOpen(t, z, until)
					if !ok {
						return time.Time{}, false
					}
					t, moved = n, true
				}
			}
		}
		if !moved {
			return t, true
		}
	}
	return time.Time{}, false
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// nextOpen returns the earliest instant at or after t, and before until,
// at which the pack allows a call in loc.
func (p *RulePack) nextOpen(t time.Time, loc *time.Location, until time.Time) (time.Time, bool) {
	bounds := p.boundaries()
	for cur := t.In(loc); cur.Before(until); cur = nextBoundary(cur, bounds, loc) {
		if p.Open(cur, loc) {
			return cur, true
		}
	}
	return time.Time{}, false
}

// NextAllowed returns the earliest instant at or after t, and before
// until, at which a call may start for a person in zones under dnd and
// packs, and false if there is none within that span or within 62 days.
// It is the rule the dispatcher defers by, exported so hosts can show
// when a call would happen. With no zones, or a nil zone or pack, no
// instant is allowed.
func NextAllowed(dnd DND, packs []*RulePack, zones []*time.Location, t, until time.Time) (time.Time, bool) {
	if !usable(packs, zones) {
		return time.Time{}, false
	}
	r := rules{zones: zones, packs: packs}
	return r.nextOpen(dnd, t, until)
}

// Allowed reports whether a call may start at t for a person in zones
// under dnd and packs: the rule the dispatcher applies before each call.
// With no zones, or a nil zone or pack, it reports false.
func Allowed(dnd DND, packs []*RulePack, zones []*time.Location, t time.Time) bool {
	return usable(packs, zones) && rules{zones: zones, packs: packs}.closed(dnd, t) == ""
}

func usable(packs []*RulePack, zones []*time.Location) bool {
	return len(zones) > 0 && !slices.Contains(zones, nil) && !slices.Contains(packs, nil)
}

// decide applies the cut-off, the start, DND and the rule packs, in the
// person's zones, to a call considered at now.
func decide(c *Campaign, r rules, now time.Time) decision {
	s := c.Schedule
	if !now.Before(s.CutOff) {
		return decision{status: StatusExpired, reason: ReasonCutOff}
	}
	if now.Before(s.Start) {
		return decision{deferTo: s.Start, reason: ReasonBeforeStart}
	}
	dnd := c.Delivery.DND
	why := r.closed(dnd, now)
	if why == "" {
		return decision{dial: true}
	}
	if c.Delivery.Policy != PolicyDefer {
		return decision{status: StatusDiscardedDND, reason: why}
	}
	next, ok := r.nextOpen(dnd, now, s.CutOff)
	if !ok {
		return decision{status: StatusExpired, reason: ReasonDeferPastCut}
	}
	if why == ReasonDND {
		return decision{deferTo: next, reason: ReasonDeferred}
	}
	return decision{deferTo: next, reason: ReasonDeferredRules}
}

// deferLimited is the decision for a call a per-person limit refused
// until retryAt: discarded under the discard policy, otherwise moved to
// the first instant from retryAt that the time rules allow, or expired
// if there is none before the cut-off.
func deferLimited(c *Campaign, r rules, retryAt time.Time) decision {
	if c.Delivery.Policy != PolicyDefer {
		return decision{status: StatusDiscardedDND, reason: ReasonLimit}
	}
	next, ok := r.nextOpen(c.Delivery.DND, retryAt, c.Schedule.CutOff)
	if !ok {
		return decision{status: StatusExpired, reason: ReasonLimitPastCut}
	}
	return decision{deferTo: next, reason: ReasonDeferredLimit}
}
