package signedcall_test

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

// zoneNames reads the IANA zone list in testdata.
func zoneNames(t *testing.T) []string {
	t.Helper()
	f, err := os.Open("testdata/iana_zones.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// packOpen reads a pack at local time lt, from its definition.
func packOpen(p *signedcall.RulePack, lt time.Time) bool {
	m := lt.Hour()*60 + lt.Minute()
	in := false
	for _, w := range p.Hours[lt.Weekday()] {
		if m >= int(w.From) && m < int(w.To) {
			in = true
		}
	}
	y, mo, d := lt.Date()
	if p.Holidays != nil {
		if _, h := p.Holidays.Holiday(signedcall.Date{Year: y, Month: mo, Day: d}); h {
			return false
		}
	}
	return in
}

// TestEngineNeverCallsOutsideRules runs whole campaigns, on a mock clock,
// over people in random IANA zones and countries with random rule packs,
// a host limit of two calls in six hours per number (several people
// share numbers) and retries of missed calls, and checks every call the
// far end saw against DND, the packs and the limit, worked out here from
// the profiles and the definitions.
func TestEngineNeverCallsOutsideRules(t *testing.T) {
	names := zoneNames(t)
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(365*24)) * time.Hour)
			clk := fixedClock(start)

			countries := []string{"AA", "BB", "CC"}
			var packs []*signedcall.RulePack
			for _, cc := range countries {
				p := &signedcall.RulePack{ID: cc, Region: cc, Version: "1", Source: "test", Checked: signedcall.Date{Year: 2026, Month: 1, Day: 1}}
				for wd := range p.Hours {
					if r.IntN(6) == 0 {
						continue
					}
					from := 6*60 + r.IntN(6*60)
					p.Hours[wd] = []signedcall.Window{{From: signedcall.Clock(from), To: signedcall.Clock(from + 60 + r.IntN(10*60))}}
				}
				p.Hours[time.Wednesday] = []signedcall.Window{{From: signedcall.At(10, 0), To: signedcall.At(16, 0)}}
				var hs dates
				for range 3 {
					y, m, d := start.AddDate(0, 0, r.IntN(5)).Date()
					hs = append(hs, signedcall.Date{Year: y, Month: m, Day: d})
				}
				p.Holidays = hs
				packs = append(packs, p)
			}
			rs, err := signedcall.NewRuleSet(packs...)
			if err != nil {
				t.Fatal(err)
			}
			limit := signedcall.Limit{Max: 2, Window: signedcall.Duration(6 * time.Hour), Scope: signedcall.ScopePerson}

			src := make(signedcall.SliceSource, 300)
			for i := range src {
				src[i] = signedcall.Profile{
					ID: fmt.Sprintf("u%03d", i), Phone: fmt.Sprintf("+1202555%04d", r.IntN(150)),
					TimeZone: names[r.IntN(len(names))], Country: countries[r.IntN(3)],
					Reach: signedcall.Reachability{HasPhone: true},
				}
				if i%10 == 0 {
					src[i].Country = "ZZ" // no pack: DND alone
				}
			}
			rec := newRecorder(t, clk, seed)
			d, err := signedcall.NewDispatcher(signedcall.Config{Store: memstore.New(), Caller: rec, Clock: clk,
				Rules: rs, Limits: []signedcall.Limit{limit}, MaxCallsPerMinute: 20})
			if err != nil {
				t.Fatal(err)
			}
			c, err := signedcall.NewCampaign("property").WithClock(clk).Audience(signedcall.Flag(signedcall.HasPhone)).
				TimeZone("UTC").Start(start).CutOff(start.Add(4*24*time.Hour)).
				DNDDays(time.Weekday(r.IntN(7))).DNDHours(fmt.Sprintf("%02d:00", 18+r.IntN(5)), fmt.Sprintf("%02d:00", 7+r.IntN(3))).
				Policy(signedcall.PolicyDefer).RulePacksByCountry().
				Retry(3, 30*time.Minute, signedcall.RetryMissed, signedcall.RetryBusy).
				CallContext("property").Build()
			if err != nil {
				t.Fatal(err)
			}
			publish(t, d, clk, c)
			drive(t, d, clk, c.ID, src)

			byUser := map[string]*signedcall.Profile{}
			for i := range src {
				byUser[src[i].ID] = &src[i]
			}
			byPhone := map[string][]time.Time{}
			dials := rec.dials()
			for _, dl := range dials {
				p := byUser[dl.req.UserID]
				loc, err := time.LoadLocation(p.TimeZone)
				if err != nil {
					t.Fatal(err)
				}
				lt := dl.at.In(loc)
				if inDND(c.Delivery.DND, lt) {
					t.Errorf("%s called at %s in %s, inside DND", p.ID, lt.Format("Mon 15:04"), loc)
				}
				if pk, ok := rs.Pack(p.Country); ok && !packOpen(pk, lt) {
					t.Errorf("%s called at %s in %s, outside pack %s", p.ID, lt.Format("Mon 2 Jan 15:04"), loc, pk.ID)
				}
				if dl.at.Before(c.Schedule.Start) || !dl.at.Before(c.Schedule.CutOff) {
					t.Errorf("%s called at %s, outside the schedule", p.ID, dl.at)
				}
				byPhone[p.Phone] = append(byPhone[p.Phone], dl.at)
			}
			for phone, ts := range byPhone {
				slices.SortFunc(ts, time.Time.Compare)
				for i := range ts {
					n := 0
					for _, u := range ts[i:] {
						if u.Sub(ts[i]) < time.Duration(limit.Window) {
							n++
						}
					}
					if n > limit.Max {
						t.Errorf("%s called %d times within %s from %s, want at most %d", phone, n, time.Duration(limit.Window), ts[i], limit.Max)
					}
				}
			}
			if len(dials) < 50 {
				t.Errorf("only %d calls: the rules left too little to test", len(dials))
			}
			t.Logf("%d calls to %d numbers", len(dials), len(byPhone))
		})
	}
}
