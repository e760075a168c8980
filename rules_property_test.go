package signedcall

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	// The zone database is embedded so the test passes on a machine
	// without one.
	_ "time/tzdata"
)

// ianaZones reads testdata/iana_zones.txt: every zone of the IANA tz
// database 2025c, as Go 1.26 ships it in lib/time/zoneinfo.zip.
func ianaZones(t *testing.T) []*time.Location {
	t.Helper()
	f, err := os.Open("testdata/iana_zones.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*time.Location
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		loc, err := time.LoadLocation(sc.Text())
		if err != nil {
			t.Fatalf("zone %q from testdata: %v", sc.Text(), err)
		}
		out = append(out, loc)
	}
	if len(out) < 590 {
		t.Fatalf("read %d zones, want the whole database", len(out))
	}
	return out
}

// setCalendar is a HolidayCalendar of listed dates.
type setCalendar map[Date]bool

func (s setCalendar) Holiday(d Date) (string, bool) { return "listed", s[d] }

// oracleOpen is the definition of an allowed instant, written out with
// no code from the package: in every zone, the local weekday is no DND
// day, the local minute is in no DND window, and for every pack the
// minute is in a window of that weekday and the date is no holiday.
func oracleOpen(dnd DND, packs []*RulePack, zones []*time.Location, t time.Time) bool {
	for _, z := range zones {
		lt := t.In(z)
		m := lt.Hour()*60 + lt.Minute()
		for _, d := range dnd.Days {
			if lt.Weekday() == d {
				return false
			}
		}
		for _, w := range dnd.Hours {
			from, to := int(w.From), int(w.To)
			if (from < to && m >= from && m < to) || (from > to && (m >= from || m < to)) {
				return false
			}
		}
		for _, p := range packs {
			in := false
			for _, w := range p.Hours[lt.Weekday()] {
				if m >= int(w.From) && m < int(w.To) {
					in = true
				}
			}
			y, mo, d := lt.Date()
			if !in || p.Holidays.(setCalendar)[Date{y, mo, d}] {
				return false
			}
		}
	}
	return true
}

// firstOpen scans from t, minute by minute, for the first instant the
// oracle allows before until. Every offset in force since 2020 is a
// whole number of minutes, so openness changes only on UTC minutes and
// the first allowed instant is t itself or a whole UTC minute.
func firstOpen(dnd DND, packs []*RulePack, zones []*time.Location, t, until time.Time) (time.Time, bool) {
	if !t.Before(until) {
		return time.Time{}, false
	}
	if oracleOpen(dnd, packs, zones, t) {
		return t, true
	}
	for m := t.Truncate(time.Minute).Add(time.Minute); m.Before(until); m = m.Add(time.Minute) {
		if oracleOpen(dnd, packs, zones, m) {
			return m, true
		}
	}
	return time.Time{}, false
}

func randomWindow(r *rand.Rand) Window {
	for {
		w := Window{Clock(r.IntN(24*4) * 15), Clock(r.IntN(24*4) * 15)}
		if r.IntN(3) == 0 {
			w = Window{Clock(r.IntN(24 * 60)), Clock(r.IntN(24 * 60))}
		}
		if w.From != w.To {
			return w
		}
	}
}

func randomDND(r *rand.Rand) DND {
	var d DND
	for range r.IntN(3) {
		d.Hours = append(d.Hours, randomWindow(r))
	}
	if r.IntN(3) == 0 {
		d.Days = append(d.Days, time.Weekday(r.IntN(7)))
	}
	if d.alwaysClosed() {
		return DND{}
	}
	return d
}

// randomPack gives each weekday zero to two same-day windows, and marks
// a few dates around at as holidays.
func randomPack(r *rand.Rand, at time.Time) *RulePack {
	p := &RulePack{ID: "P", Region: "ZZ", Version: "1", Source: "test", Checked: Date{2026, 1, 1}}
	for wd := range p.Hours {
		if r.IntN(5) == 0 {
			continue
		}
		for range 1 + r.IntN(2) {
			w := randomWindow(r)
			if w.From > w.To {
				w.From, w.To = w.To, w.From
			}
			p.Hours[wd] = append(p.Hours[wd], w)
		}
	}
	cal := setCalendar{}
	for range r.IntN(4) {
		y, m, d := at.AddDate(0, 0, r.IntN(10)-2).Date()
		cal[Date{y, m, d}] = true
	}
	p.Holidays = cal
	return p
}

// TestRulesPropertyEveryZone checks, in every IANA zone, for random
// instants, DND rules, rule packs and extra zones, that decide never
// dials where the oracle forbids it, discards only where it forbids it,
// defers to exactly the first instant the oracle allows, and expires
// only when no allowed instant comes before the cut-off. It checks the
// same of deferLimited from a random instant a limit allows.
func TestRulesPropertyEveryZone(t *testing.T) {
	zones := ianaZones(t)
	r := rand.New(rand.NewPCG(2026, 12))
	lo := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(2032, 12, 31, 0, 0, 0, 0, time.UTC).Unix()
	perZone := 10
	if testing.Short() {
		perZone = 1
	}
	cases := 0
	for _, z := range zones {
		for range perZone {
			cases++
			now := time.Unix(lo+r.Int64N(hi-lo), int64(r.IntN(1e9))).UTC()
			zs := []*time.Location{z}
			if r.IntN(4) == 0 {
				zs = append(zs, zones[r.IntN(len(zones))])
			}
			var packs []*RulePack
			for range r.IntN(3) {
				packs = append(packs, randomPack(r, now))
			}
			c := &Campaign{
				Schedule: Schedule{
					Start: now.Add(-time.Hour), TimeZone: "UTC",
					CutOff: now.Add(time.Duration(1+r.IntN(72*60)) * time.Minute),
				},
				Delivery: Preferences{DND: randomDND(r), Policy: PolicyDefer},
			}
			if r.IntN(4) == 0 {
				c.Delivery.Policy = PolicyDiscard
			}
			rs := rules{zones: zs, packs: packs}
			what := fmt.Sprintf("zone %s +%d, %d packs, DND %v, at %s, cut-off %s, %s",
				z, len(zs)-1, len(packs), c.Delivery.DND, now.Format(time.RFC3339Nano),
				c.Schedule.CutOff.Format(time.RFC3339), c.Delivery.Policy)

			open := oracleOpen(c.Delivery.DND, packs, zs, now)
			dec := decide(c, rs, now)
			switch {
			case dec.dial:
				if !open {
					t.Fatalf("%s: decide dials where the rules forbid it", what)
				}
			case open:
				t.Fatalf("%s: decide = %s where the rules allow a call", what, decisionString(dec))
			case c.Delivery.Policy == PolicyDiscard:
				if dec.status != StatusDiscardedDND {
					t.Fatalf("%s: decide = %s, want discarded", what, decisionString(dec))
				}
			default:
				want, ok := firstOpen(c.Delivery.DND, packs, zs, now, c.Schedule.CutOff)
				switch {
				case ok && !dec.deferTo.Equal(want):
					t.Fatalf("%s: decide = %s, want deferral to %s", what, decisionString(dec), want.Format(time.RFC3339))
				case !ok && dec.status != StatusExpired:
					t.Fatalf("%s: decide = %s, want expired: nothing allowed before the cut-off", what, decisionString(dec))
				}
			}

			// A per-person limit allows the call again at retry.
			retry := now.Add(time.Duration(r.IntN(48*60)) * time.Minute)
			c.Delivery.Policy = PolicyDefer
			dl := deferLimited(c, rs, retry)
			want, ok := firstOpen(c.Delivery.DND, packs, zs, retry, c.Schedule.CutOff)
			switch {
			case ok && !dl.deferTo.Equal(want):
				t.Fatalf("%s: deferLimited(retry %s) = %s, want %s", what, retry.Format(time.RFC3339), decisionString(dl), want.Format(time.RFC3339))
			case !ok && (dl.status != StatusExpired || dl.reason != ReasonLimitPastCut):
				t.Fatalf("%s: deferLimited(retry %s) = %s, want expired past the cut-off", what, retry.Format(time.RFC3339), decisionString(dl))
			}
		}
	}
	t.Logf("%d cases over %d zones", cases, len(zones))
	if !slices.ContainsFunc(zones, func(l *time.Location) bool { return l.String() == "Australia/Lord_Howe" }) {
		t.Error("zone list lacks Australia/Lord_Howe")
	}
}
