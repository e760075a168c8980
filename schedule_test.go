package signedcall

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // a machine without zoneinfo still has every zone
)

// Expected instants are literal UTC times worked out by hand; the zone
// facts they use are listed at the top of dnd_test.go.

func decideCampaign(start, cutOff time.Time, zone string, dnd DND, p Policy) *Campaign {
	return &Campaign{
		Schedule: Schedule{Start: start, CutOff: cutOff, TimeZone: zone},
		Delivery: Preferences{DND: dnd, Policy: p},
	}
}

func decisionString(d decision) string {
	switch {
	case d.dial:
		return "dial"
	case !d.deferTo.IsZero():
		return fmt.Sprintf("defer to %s (%s)", d.deferTo.UTC().Format(time.RFC3339Nano), d.reason)
	default:
		return fmt.Sprintf("%s (%s)", d.status, d.reason)
	}
}

func sameDecision(a, b decision) bool {
	return a.dial == b.dial && a.status == b.status && a.reason == b.reason && a.deferTo.Equal(b.deferTo)
}

func TestDecide(t *testing.T) {
	night22 := DND{Hours: []Window{{At(22, 0), At(8, 0)}}}
	night21 := DND{Hours: []Window{{At(21, 0), At(9, 0)}}}
	twoWindows := DND{Hours: []Window{{At(12, 0), At(13, 0)}, {At(21, 0), At(9, 0)}}}
	sundayNights := DND{Days: []time.Weekday{time.Sunday}, Hours: []Window{{At(21, 0), At(9, 0)}}}

	june := utc(2026, 6, 1, 0, 0)
	farCut := utc(2026, 7, 1, 0, 0)
	dial := decision{dial: true}
	deferTo := func(t time.Time) decision { return decision{deferTo: t, reason: ReasonDeferred} }
	expiredCut := decision{status: StatusExpired, reason: ReasonCutOff}
	pastCut := decision{status: StatusExpired, reason: ReasonDeferPastCut}
	discarded := decision{status: StatusDiscardedDND, reason: ReasonDND}

	cases := []struct {
		name string
		c    *Campaign
		zone string
		now  time.Time
		want decision
	}{
		// Europe/London in June is BST +01. 23:00 BST 10 June = 22:00Z; the
		// window 22:00-08:00 opens at 08:00 BST 11 June = 07:00Z.
		{"defer 23:00 BST", decideCampaign(june, farCut, "Europe/London", night22, PolicyDefer), "Europe/London",
			utc(2026, 6, 10, 22, 0), deferTo(utc(2026, 6, 11, 7, 0))},
		// Cut-off 07:30 BST 11 June = 06:30Z, before the next open time.
		{"defer past cut-off", decideCampaign(june, utc(2026, 6, 11, 6, 30), "Europe/London", night22, PolicyDefer), "Europe/London",
			utc(2026, 6, 10, 22, 0), pastCut},
		// Cut-off exactly 08:00 BST = 07:00Z: at the cut-off is too late.
		{"defer to the cut-off", decideCampaign(june, utc(2026, 6, 11, 7, 0), "Europe/London", night22, PolicyDefer), "Europe/London",
			utc(2026, 6, 10, 22, 0), pastCut},
		// One nanosecond after 07:00Z the deferral still fits.
		{"defer just before the cut-off", decideCampaign(june, utc(2026, 6, 11, 7, 0).Add(time.Nanosecond), "Europe/London", night22, PolicyDefer), "Europe/London",
			utc(2026, 6, 10, 22, 0), deferTo(utc(2026, 6, 11, 7, 0))},
		// Same with the discard policy: discarded, whatever the cut-off.
		{"discard 23:00 BST", decideCampaign(june, farCut, "Europe/London", night22, PolicyDiscard), "Europe/London",
			utc(2026, 6, 10, 22, 0), discarded},
		{"discard by default", decideCampaign(june, farCut, "Europe/London", night22, ""), "Europe/London",
			utc(2026, 6, 10, 22, 0), discarded},

		// Asia/Kolkata +05:30: 16:30Z = 22:00 IST, inside 21:00-09:00.
		{"16:30Z in Kolkata, discard", decideCampaign(june, farCut, "UTC", night21, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 16, 30), discarded},
		// Deferred to 09:00 IST on 11 June = 03:30Z.
		{"16:30Z in Kolkata, defer", decideCampaign(june, farCut, "UTC", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 16, 30), deferTo(utc(2026, 6, 11, 3, 30))},
		// The same instant for a recipient in UTC is 16:30, open.
		{"16:30Z in UTC", decideCampaign(june, farCut, "UTC", night21, PolicyDiscard), "UTC",
			utc(2026, 6, 10, 16, 30), dial},

		// Start 2026-06-10 04:00Z (09:30 IST). Before it: defer to the start,
		// even inside DND and with the discard policy.
		{"before start", decideCampaign(utc(2026, 6, 10, 4, 0), farCut, "Asia/Kolkata", night21, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 3, 0), decision{deferTo: utc(2026, 6, 10, 4, 0), reason: ReasonBeforeStart}},
		{"1ns before start", decideCampaign(utc(2026, 6, 10, 4, 0), farCut, "Asia/Kolkata", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 4, 0).Add(-time.Nanosecond), decision{deferTo: utc(2026, 6, 10, 4, 0), reason: ReasonBeforeStart}},
		// At the start, open (09:30 IST): dial.
		{"at start, open", decideCampaign(utc(2026, 6, 10, 4, 0), farCut, "Asia/Kolkata", night21, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 4, 0), dial},
		// Start 2026-06-10 16:00Z = 21:30 IST: at the start, closed.
		{"at start, closed, discard", decideCampaign(utc(2026, 6, 10, 16, 0), farCut, "Asia/Kolkata", night21, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 16, 0), discarded},
		{"at start, closed, defer", decideCampaign(utc(2026, 6, 10, 16, 0), farCut, "Asia/Kolkata", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 16, 0), deferTo(utc(2026, 6, 11, 3, 30))},

		// Cut-off 2026-06-10 10:00Z (15:30 IST, open): at or after it the
		// delivery expires, open or not.
		{"at cut-off", decideCampaign(june, utc(2026, 6, 10, 10, 0), "Asia/Kolkata", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 10, 0), expiredCut},
		{"after cut-off", decideCampaign(june, utc(2026, 6, 10, 10, 0), "Asia/Kolkata", night21, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 17, 0), expiredCut},
		{"1ns before cut-off", decideCampaign(june, utc(2026, 6, 10, 10, 0), "Asia/Kolkata", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 10, 0).Add(-time.Nanosecond), dial},
		// A start after the cut-off (rejected by validation) still never dials.
		{"start after cut-off", decideCampaign(utc(2026, 6, 11, 0, 0), utc(2026, 6, 10, 10, 0), "Asia/Kolkata", night21, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 11, 0), expiredCut},

		// Two windows, 12:00-13:00 and 21:00-09:00, in Kolkata (UTC = IST - 5:30).
		{"two windows, 12:30 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 7, 0), deferTo(utc(2026, 6, 10, 7, 30))}, // 12:30 IST -> 13:00 IST = 07:30Z
		{"two windows, 12:00 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 6, 30), deferTo(utc(2026, 6, 10, 7, 30))},
		{"two windows, 13:00 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 7, 30), dial},
		{"two windows, 11:59 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 6, 29), dial},
		{"two windows, 10:00 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 4, 30), dial},
		{"two windows, 22:00 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 10, 16, 30), deferTo(utc(2026, 6, 11, 3, 30))}, // -> 09:00 IST 11 June
		{"two windows, 08:59 IST", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDefer), "Asia/Kolkata",
			utc(2026, 6, 11, 3, 29), deferTo(utc(2026, 6, 11, 3, 30))},
		{"two windows, 12:30 IST, discard", decideCampaign(june, farCut, "Asia/Kolkata", twoWindows, PolicyDiscard), "Asia/Kolkata",
			utc(2026, 6, 10, 7, 0), discarded},

		// Berlin spring forward: 23:30 CET 28 March = 22:30Z; 08:00 CEST 29 March = 06:00Z.
		{"Berlin night across spring forward", decideCampaign(utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), "Europe/Berlin", night22, PolicyDefer), "Europe/Berlin",
			utc(2026, 3, 28, 22, 30), deferTo(utc(2026, 3, 29, 6, 0))},
		// 01:00-02:30 from 01:15 CET (00:15Z): the gap's end, 03:00 CEST = 01:00Z.
		{"Berlin window ending in the gap", decideCampaign(utc(2026, 3, 1, 0, 0), utc(2026, 4, 1, 0, 0), "Europe/Berlin",
			DND{Hours: []Window{{At(1, 0), At(2, 30)}}}, PolicyDefer), "Europe/Berlin",
			utc(2026, 3, 29, 0, 15), deferTo(utc(2026, 3, 29, 1, 0))},
		// Same with the cut-off at 01:00Z: expired.
		{"Berlin gap, cut-off at the gap's end", decideCampaign(utc(2026, 3, 1, 0, 0), utc(2026, 3, 29, 1, 0), "Europe/Berlin",
			DND{Hours: []Window{{At(1, 0), At(2, 30)}}}, PolicyDefer), "Europe/Berlin",
			utc(2026, 3, 29, 0, 15), pastCut},

		// Auckland NZST +12, closed on Sunday and 21:00-09:00. Saturday
		// 22:00Z is Sunday 10:00 NZST; next open Monday 09:00 NZST = Sunday 21:00Z.
		{"Auckland Sunday", decideCampaign(june, farCut, "Pacific/Auckland", sundayNights, PolicyDefer), "Pacific/Auckland",
			utc(2026, 6, 6, 22, 0), deferTo(utc(2026, 6, 7, 21, 0))},
		{"Auckland Sunday, discard", decideCampaign(june, farCut, "Pacific/Auckland", sundayNights, PolicyDiscard), "Pacific/Auckland",
			utc(2026, 6, 6, 22, 0), discarded},
		// Monday 09:00 NZST: dial.
		{"Auckland Monday 09:00", decideCampaign(june, farCut, "Pacific/Auckland", sundayNights, PolicyDefer), "Pacific/Auckland",
			utc(2026, 6, 7, 21, 0), dial},
	}
	for _, tc := range cases {
		loc := dndLoc(t, tc.zone)
		got := decide(tc.c, rules{zones: []*time.Location{loc}}, tc.now)
		if !sameDecision(got, tc.want) {
			t.Errorf("decide(%s: %v in %s) = %s, want %s", tc.name, tc.now.Format(time.RFC3339Nano), tc.zone, decisionString(got), decisionString(tc.want))
		}
	}
}

func TestDecideRecipientZone(t *testing.T) {
	cases := []struct {
		name     string
		p        *Profile
		campaign string
		zone     string
		source   ZoneSource
	}{
		{"profile zone", &Profile{ID: "u", TimeZone: "Asia/Kolkata"}, "Europe/London", "Asia/Kolkata", ZoneFromProfile},
		{"profile UTC", &Profile{ID: "u", TimeZone: "UTC"}, "Europe/London", "UTC", ZoneFromProfile},
		{"no zone", &Profile{ID: "u"}, "Europe/London", "Europe/London", ZoneFromCampaign},
		{"unknown zone", &Profile{ID: "u", TimeZone: "Mars/Olympus_Mons"}, "Europe/London", "Europe/London", ZoneFromCampaign},
		{"host zone refused", &Profile{ID: "u", TimeZone: "Local"}, "Europe/London", "Europe/London", ZoneFromCampaign},
		{"nil profile", nil, "Europe/London", "Europe/London", ZoneFromCampaign},
	}
	for _, tc := range cases {
		zone, source := recipientZone(tc.p, tc.campaign)
		if zone != tc.zone || source != tc.source {
			t.Errorf("recipientZone(%s, %q) = %q, %q, want %q, %q", tc.name, tc.campaign, zone, source, tc.zone, tc.source)
		}
	}
}
