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

// Reasons recorded on deliveries that end or move without a call.
const (
	ReasonBeforeStart  = "before_start"
	ReasonCutOff       = "cut_off"
	ReasonDND          = "dnd"
	ReasonDeferred     = "deferred_dnd"
	ReasonDeferPastCut = "deferred_past_cut_off"
	ReasonPaced        = "paced"
	ReasonReleased     = "released"
	ReasonRescued      = "rescued_after_crash"
	ReasonCallerError  = "caller_error"
	ReasonCallerPanic  = "caller_panic"
	ReasonNotDialled   = "not_dialled"
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
