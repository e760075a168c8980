package signedcall_test

import (
	"context"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/rules"
	"github.com/signedcall/signedcall/store/memstore"
)

func mustLoad(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestShippedPacksDeferExactly pins, for the shipped packs, the first
// instant a call may start after a closed one, across the DST nights and
// holidays of the packs' own regions. Expected instants are worked out by
// hand from the laws' hours and the zones' transitions.
func TestShippedPacksDeferExactly(t *testing.T) {
	rs := rules.Default()
	// A DND that closes nothing the packs leave open.
	dnd := signedcall.DND{Hours: []signedcall.Window{{From: signedcall.At(23, 0), To: signedcall.At(23, 30)}}}
	utc := func(y int, m time.Month, d, h, min int) time.Time { return time.Date(y, m, d, h, min, 0, 0, time.UTC) }
	cases := []struct {
		name  string
		packs []string
		zones []string
		at    time.Time
		want  time.Time
	}{
		// Sat 7 Mar 2026 21:30 EST; clocks spring forward at 02:00, so
		// Sunday 08:00 is EDT (-4): 12:00Z.
		{"US spring forward", []string{"US"}, []string{"America/New_York"}, utc(2026, 3, 8, 2, 30), utc(2026, 3, 8, 12, 0)},
		// Sat 31 Oct 2026 21:30 EDT; clocks fall back at 02:00, so Sunday
		// 08:00 is EST (-5): 13:00Z.
		{"US fall back", []string{"US"}, []string{"America/New_York"}, utc(2026, 11, 1, 1, 30), utc(2026, 11, 1, 13, 0)},
		// Mon 1 Jun 2026 20:00 EDT: the US allows until 21:00, Florida
		// only until 20:00; Tuesday 08:00 EDT is 12:00Z.
		{"Florida closes at 20:00", []string{"US", "US-FL"}, []string{"America/New_York"}, utc(2026, 6, 2, 0, 0), utc(2026, 6, 2, 12, 0)},
		{"US alone is open at 20:00", []string{"US"}, []string{"America/New_York"}, utc(2026, 6, 2, 0, 0), utc(2026, 6, 2, 0, 0)},
		// Sat 4 Apr 2026 17:00 AEDT (+11), after Saturday's hours. Sunday
		// has none (and DST ends at 03:00), Monday 6 April is Easter
		// Monday: Tuesday 09:00 AEST (+10) is Monday 23:00Z.
		{"Sydney Easter and DST end", []string{"AU"}, []string{"Australia/Sydney"}, utc(2026, 4, 4, 6, 0), utc(2026, 4, 6, 23, 0)},
		// Sat 3 Oct 2026 17:00 AEST; DST starts Sunday 02:00; Monday 5
		// October (a NSW holiday, not a national one) 09:00 AEDT is
		// Sunday 22:00Z.
		{"Sydney DST start", []string{"AU"}, []string{"Australia/Sydney"}, utc(2026, 10, 3, 7, 0), utc(2026, 10, 4, 22, 0)},
		// An Australian mobile may be anywhere: at Sydney's Monday 09:00
		// AEDT it is 06:00 in Perth (+8), which opens at 09:00 AWST, 01:00Z.
		{"Australian mobile, every zone", []string{"AU"}, []string{"Australia/Sydney", "Australia/Perth"}, utc(2026, 12, 6, 22, 0), utc(2026, 12, 7, 1, 0)},
		// Fri 27 Mar 2026 20:00 CET: no weekend calls, DST starts Sunday;
		// Monday 10:00 CEST (+2) is 08:00Z.
		{"Paris DST start", []string{"FR"}, []string{"Europe/Paris"}, utc(2026, 3, 27, 19, 0), utc(2026, 3, 30, 8, 0)},
		// Fri 23 Oct 2026 20:00 CEST; DST ends Sunday; Monday 10:00 CET
		// (+1) is 09:00Z.
		{"Paris DST end", []string{"FR"}, []string{"Europe/Paris"}, utc(2026, 10, 23, 18, 0), utc(2026, 10, 26, 9, 0)},
		// Mon 26 Oct 2026 13:00 CET, the lunch break: 14:00 CET is 13:00Z.
		{"Paris lunch", []string{"FR"}, []string{"Europe/Paris"}, utc(2026, 10, 26, 12, 0), utc(2026, 10, 26, 13, 0)},
		// Mon 13 Jul 2026 20:00 CEST; 14 July is a holiday: Wednesday
		// 10:00 CEST is 08:00Z.
		{"Paris 14 July", []string{"FR"}, []string{"Europe/Paris"}, utc(2026, 7, 13, 18, 0), utc(2026, 7, 15, 8, 0)},
		// Fri 3 Jul 2026 10:00 EDT in Rhode Island: Saturday's 4 July is
		// observed on Friday, Sunday has no calls and the state observes
		// it on Monday too: Tuesday 09:00 EDT is 13:00Z.
		{"Saturday holiday observed Friday", []string{"US", "US-RI"}, []string{"America/New_York"}, utc(2026, 7, 3, 14, 0), utc(2026, 7, 7, 13, 0)},
		// Sat 5 Dec 2026 18:00 EST in Toronto: Sunday 10:00 EST is 15:00Z.
		{"Canada weekend", []string{"CA"}, []string{"America/Toronto"}, utc(2026, 12, 5, 23, 0), utc(2026, 12, 6, 15, 0)},
		// Mon 7 Dec 2026 21:00 IST: Tuesday 09:00 IST (+5:30) is 03:30Z.
		{"India night", []string{"IN"}, []string{"Asia/Kolkata"}, utc(2026, 12, 7, 15, 30), utc(2026, 12, 8, 3, 30)},
	}
	for _, tc := range cases {
		var packs []*signedcall.RulePack
		for _, id := range tc.packs {
			p, ok := rs.Pack(id)
			if !ok {
				t.Fatalf("rules.Default() lacks %s", id)
			}
			packs = append(packs, p)
		}
		var zones []*time.Location
		for _, z := range tc.zones {
			zones = append(zones, mustLoad(t, z))
		}
		got, ok := signedcall.NextAllowed(dnd, packs, zones, tc.at, tc.at.AddDate(0, 1, 0))
		if !ok || !got.Equal(tc.want) {
			t.Errorf("%s: NextAllowed(%v in %v from %s) = %s, %v; want %s",
				tc.name, tc.packs, tc.zones, tc.at.Format(time.RFC3339), got.UTC().Format(time.RFC3339), ok, tc.want.Format(time.RFC3339))
		}
		if open := signedcall.Allowed(dnd, packs, zones, tc.at); open != tc.at.Equal(tc.want) {
			t.Errorf("%s: Allowed(%s) = %v, want %v", tc.name, tc.at.Format(time.RFC3339), open, !open)
		}
	}
}

// TestFloridaLimitThroughRetries: a Florida number is called at most
// three times in 24 hours in one campaign. The campaign retries missed
// calls after 1, 2 and 4 minutes; the fourth attempt is refused by the
// US-FL pack's limit, and the delivery ends missed, its last call's
// result, whatever the policy.
func TestFloridaLimitThroughRetries(t *testing.T) {
	// Mon 7 Dec 2026 10:00 EST.
	start := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		policy signedcall.Policy
		status signedcall.Status
		reason string
	}{
		// The fourth attempt is a retry of a missed call: the delivery keeps
		// that result, with the reason it was not called again.
		{signedcall.PolicyDiscard, signedcall.StatusMissed, signedcall.ReasonLimit},
		// Deferred to a day after the first call, which is past the
		// cut-off at 18:00 EST.
		{signedcall.PolicyDefer, signedcall.StatusMissed, signedcall.ReasonLimitPastCut},
	} {
		clk := fixedClock(start)
		st := memstore.New()
		rec := newRecorder(t, clk, 1)
		rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeMissed, nil }
		d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Rules: rules.Default()})
		if err != nil {
			t.Fatal(err)
		}
		c, err := signedcall.NewCampaign("florida").WithClock(clk).Audience(signedcall.Flag(signedcall.HasPhone)).
			TimeZone("America/New_York").Start(start).CutOff(start.Add(8*time.Hour)).
			DNDHours("21:00", "09:00").Policy(tc.policy).RulePacksByCountry().
			Retry(5, time.Minute, signedcall.RetryMissed).CallContext("florida").Build()
		if err != nil {
			t.Fatal(err)
		}
		src := signedcall.SliceSource{{ID: "fl", Phone: "+13055550123", TimeZone: "America/New_York",
			Country: "US", Region: "FL", Reach: signedcall.Reachability{HasPhone: true}}}
		reach, err := d.Preview(context.Background(), c, src)
		if err != nil {
			t.Fatal(err)
		}
		flTitle := "US-FL@" + rules.Version
		if reach.Packs[flTitle] != 1 || reach.Packs["US@"+rules.Version] != 1 {
			t.Fatalf("Preview packs = %v, want US and US-FL for the one target", reach.Packs)
		}
		publish(t, d, clk, c)
		drive(t, d, clk, c.ID, src)

		dials := rec.dials()
		want := []time.Time{start, start.Add(time.Minute), start.Add(3 * time.Minute)}
		if len(dials) != len(want) {
			t.Fatalf("%s: %d calls, want 3", tc.policy, len(dials))
		}
		for i, dl := range dials {
			if !dl.at.Equal(want[i]) || dl.req.Attempt != i+1 {
				t.Errorf("%s: call %d at %s attempt %d, want %s attempt %d", tc.policy, i, dl.at, dl.req.Attempt, want[i], i+1)
			}
		}
		got, err := st.Delivery(context.Background(), signedcall.Key{CampaignID: c.ID, UserID: "fl"})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != tc.status || got.Reason != tc.reason || got.Attempt != 3 {
			t.Errorf("%s: delivery ended %s/%s after %d attempts, want %s/%s after 3", tc.policy, got.Status, got.Reason, got.Attempt, tc.status, tc.reason)
		}
	}
}

// BenchmarkCallDecision measures the time rules a dispatcher applies
// before each call: DND and the rule packs read in the person's zones,
// then the per-person limit check a Store runs on the call's starts.
// One zone with the US and Florida packs is the common case; three zones
// with the Australian pack is an Australian mobile.
func BenchmarkCallDecision(b *testing.B) {
	rs := rules.Default()
	pack := func(id string) *signedcall.RulePack { p, _ := rs.Pack(id); return p }
	load := func(names ...string) []*time.Location {
		var out []*time.Location
		for _, n := range names {
			l, err := time.LoadLocation(n)
			if err != nil {
				b.Fatal(err)
			}
			out = append(out, l)
		}
		return out
	}
	dnd := signedcall.DND{Days: []time.Weekday{time.Sunday}, Hours: []signedcall.Window{{From: signedcall.At(21, 0), To: signedcall.At(9, 0)}}}
	limit := signedcall.Limit{Max: 3, Window: signedcall.Duration(24 * time.Hour), Scope: signedcall.ScopePersonCampaign}
	// Mon 7 Dec 2026 15:00Z: 10:00 in New York, 02:00 Tuesday in Sydney.
	at := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	starts := []time.Time{at.Add(-20 * time.Hour), at.Add(-3 * time.Hour)}
	for _, bc := range []struct {
		name  string
		packs []*signedcall.RulePack
		zones []*time.Location
	}{
		{"US+FL/1zone", []*signedcall.RulePack{pack("US"), pack("US-FL")}, load("America/New_York")},
		{"AU/3zones", []*signedcall.RulePack{pack("AU")}, load("Australia/Sydney", "Australia/Adelaide", "Australia/Perth")},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if !signedcall.Allowed(dnd, bc.packs, bc.zones, at) {
					// Closed: where would it go?
					signedcall.NextAllowed(dnd, bc.packs, bc.zones, at, at.AddDate(0, 0, 14))
				}
				limit.RetryAt(starts, at)
			}
		})
	}
}
