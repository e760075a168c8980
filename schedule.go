package signedcall

import (
	"time"
)

// recipientZone picks the zone DND is read in for a profile: its own IANA
// zone when that is known, otherwise the campaign's, never UTC or the
// host's zone. A nil profile is read in the campaign's zone.
//
// TODO(zones): the phone number's prefix and the profile's city come
// before the campaign fallback; until they do, a profile without a zone
// is read in the campaign's zone even when its number says otherwise.
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
	// ReasonInvalidPhone: qualified, but the number is not E.164.
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
	// ReasonDeferPastCut: due inside DND, and the next open local time is
	// at or after the cut-off (expired_cutoff).
	ReasonDeferPastCut = "deferred_past_cut_off"
	// ReasonPaced: the dispatcher's calls-per-minute budget was spent; due
	// again at the next minute (pending).
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

// decide applies the cut-off, the start and DND, in the recipient's zone,
// to a call considered at now.
func decide(c *Campaign, loc *time.Location, now time.Time) decision {
	s := c.Schedule
	if !now.Before(s.CutOff) {
		return decision{status: StatusExpired, reason: ReasonCutOff}
	}
	if now.Before(s.Start) {
		return decision{deferTo: s.Start, reason: ReasonBeforeStart}
	}
	dnd := c.Delivery.DND
	if dnd.Open(now, loc) {
		return decision{dial: true}
	}
	if c.Delivery.Policy != PolicyDefer {
		return decision{status: StatusDiscardedDND, reason: ReasonDND}
	}
	next, ok := dnd.NextOpen(now, loc)
	if !ok || !next.Before(s.CutOff) {
		return decision{status: StatusExpired, reason: ReasonDeferPastCut}
	}
	return decision{deferTo: next, reason: ReasonDeferred}
}
