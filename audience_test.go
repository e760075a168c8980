package signedcall

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ---- helpers shared by the audience tests (prefixed: other internal
// test files share the package) ----

func audZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var (
	audKolkata = audZone("Asia/Kolkata")
	audNY      = audZone("America/New_York")
	audLA      = audZone("America/Los_Angeles")
)

// audEvalAt is the evaluation instant of most audience tests:
// 2026-12-05 10:00 IST.
var audEvalAt = time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC)

func audUTC(y int, m time.Month, d, hh, mm, ss, ns int) time.Time {
	return time.Date(y, m, d, hh, mm, ss, ns, time.UTC)
}

func audDate(y int, m time.Month, d int) Date { return Date{y, m, d} }

// audEvents returns a profile with one event named name at each of ts.
func audEvents(name string, ts ...time.Time) *Profile {
	p := &Profile{ID: "u"}
	for _, t := range ts {
		p.Events = append(p.Events, Event{Name: name, Time: t})
	}
	return p
}

// audValidationFields returns the Field of every error in err after
// checking that each is a *ValidationError matching ErrInvalid.
func audValidationFields(t *testing.T, name string, err error) []string {
	t.Helper()
	var fields []string
	list := []error{}
	if err != nil {
		list = []error{err}
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			list = j.Unwrap()
		}
	}
	for _, e := range list {
		var ve *ValidationError
		if !errors.As(e, &ve) {
			t.Errorf("%s: error %v (%T) is not a *ValidationError", name, e, e)
			continue
		}
		if !errors.Is(e, ErrInvalid) {
			t.Errorf("%s: error %v does not match ErrInvalid", name, e)
		}
		if ve.Rule == "" {
			t.Errorf("%s: error for %s has an empty rule", name, ve.Field)
		}
		fields = append(fields, ve.Field)
	}
	slices.Sort(fields)
	return fields
}

// ---- events ----

func TestAudienceDidCounts(t *testing.T) {
	at := audEvalAt
	hoursAgo := func(n int) []time.Time {
		ts := make([]time.Time, n)
		for i := range ts {
			ts[i] = at.Add(-time.Duration(i+1) * time.Hour)
		}
		return ts
	}
	tests := []struct {
		name   string
		pred   Predicate
		events int // "Charged" events before at
		want   bool
	}{
		{"did default, 0 events", Did("Charged"), 0, false},
		{"did default, 1 event", Did("Charged"), 1, true},
		{"did at least 2, 1 event", Did("Charged").AtLeast(2), 1, false},
		{"did at least 2, 2 events", Did("Charged").AtLeast(2), 2, true},
		{"did at least 2, 3 events", Did("Charged").AtLeast(2), 3, true},
		{"did at most 1, 0 events", Did("Charged").AtMost(1), 0, true},
		{"did at most 1, 1 event", Did("Charged").AtMost(1), 1, true},
		{"did at most 1, 2 events", Did("Charged").AtMost(1), 2, false},
		{"did at most 0, 0 events", Did("Charged").AtMost(0), 0, true},
		{"did at most 0, 1 event", Did("Charged").AtMost(0), 1, false},
		{"did exactly 2, 1 event", Did("Charged").Exactly(2), 1, false},
		{"did exactly 2, 2 events", Did("Charged").Exactly(2), 2, true},
		{"did exactly 2, 3 events", Did("Charged").Exactly(2), 3, false},
		{"did exactly 0, 0 events", Did("Charged").Exactly(0), 0, true},
		{"did exactly 0, 1 event", Did("Charged").Exactly(0), 1, false},
		{"did not default, 0 events", DidNot("Charged"), 0, true},
		{"did not default, 1 event", DidNot("Charged"), 1, false},
		{"did not at least 2, 1 event", DidNot("Charged").AtLeast(2), 1, true},
		{"did not at least 2, 2 events", DidNot("Charged").AtLeast(2), 2, false},
		{"did not at most 1, 1 event", DidNot("Charged").AtMost(1), 1, false},
		{"did not at most 1, 2 events", DidNot("Charged").AtMost(1), 2, true},
		{"did not exactly 2, 2 events", DidNot("Charged").Exactly(2), 2, false},
		{"did not exactly 2, 3 events", DidNot("Charged").Exactly(2), 3, true},
		{"did other event only", Did("Viewed"), 3, false},
		{"did not other event only", DidNot("Viewed"), 3, true},
	}
	for _, tt := range tests {
		p := audEvents("Charged", hoursAgo(tt.events)...)
		// Other events never count.
		p.Events = append(p.Events, Event{Name: "Launched", Time: at.Add(-time.Minute)})
		if got := Matches(tt.pred, p, at, audKolkata); got != tt.want {
			t.Errorf("%s (%s): got %v, want %v", tt.name, tt.pred, got, tt.want)
		}
	}
}

func TestAudienceDidInLastDays(t *testing.T) {
	tests := []struct {
		name  string
		at    time.Time
		loc   *time.Location
		days  int
		event time.Time
		want  bool
	}{
		// 2026-12-05 10:00 IST, 30 days: window starts 2026-11-05 10:00 IST = 04:30Z.
		{"IST 1s before window start", audEvalAt, audKolkata, 30, audUTC(2026, 11, 5, 4, 29, 59, 0), false},
		{"IST 1ns before window start", audEvalAt, audKolkata, 30, audUTC(2026, 11, 5, 4, 29, 59, 999999999), false},
		{"IST at window start", audEvalAt, audKolkata, 30, audUTC(2026, 11, 5, 4, 30, 0, 0), true},
		{"IST mid window", audEvalAt, audKolkata, 30, audUTC(2026, 11, 20, 12, 0, 0, 0), true},
		{"IST at evaluation instant", audEvalAt, audKolkata, 30, audEvalAt, true},
		{"IST 1ns after evaluation instant", audEvalAt, audKolkata, 30, audEvalAt.Add(time.Nanosecond), false},
		{"IST a day after evaluation", audEvalAt, audKolkata, 30, audEvalAt.AddDate(0, 0, 1), false},
		{"IST 1 day window, 23h59m before", audEvalAt, audKolkata, 1, audEvalAt.Add(-23*time.Hour - 59*time.Minute), true},
		{"IST 1 day window, 24h01m before", audEvalAt, audKolkata, 1, audEvalAt.Add(-24*time.Hour - time.Minute), false},
		// Calendar days across spring-forward in New York: evaluated
		// 2026-03-10 10:00 EDT (14:00Z), 3 days back is 2026-03-07
		// 10:00 EST = 15:00Z, not 72 hours (14:00Z).
		{"NY DST, 72h before but before calendar start", audUTC(2026, 3, 10, 14, 0, 0, 0), audNY, 3, audUTC(2026, 3, 7, 14, 30, 0, 0), false},
		{"NY DST, 1s before calendar start", audUTC(2026, 3, 10, 14, 0, 0, 0), audNY, 3, audUTC(2026, 3, 7, 14, 59, 59, 0), false},
		{"NY DST, at calendar start", audUTC(2026, 3, 10, 14, 0, 0, 0), audNY, 3, audUTC(2026, 3, 7, 15, 0, 0, 0), true},
		// Evaluated 2026-03-09 02:30:15 EDT (06:30:15Z): one day back is
		// 2026-03-08 02:30:15, which the clocks skip; it moves forward
		// by the gap to 03:30:15 EDT = 07:30:15Z.
		{"NY window start in DST gap, before", audUTC(2026, 3, 9, 6, 30, 15, 0), audNY, 1, audUTC(2026, 3, 8, 7, 30, 14, 0), false},
		{"NY window start in DST gap, at", audUTC(2026, 3, 9, 6, 30, 15, 0), audNY, 1, audUTC(2026, 3, 8, 7, 30, 15, 0), true},
		{"NY window start in DST gap, 01:45 EST", audUTC(2026, 3, 9, 6, 30, 15, 0), audNY, 1, audUTC(2026, 3, 8, 6, 45, 0, 0), false},
	}
	for _, tt := range tests {
		p := audEvents("E", tt.event)
		did := Did("E").InLastDays(tt.days)
		if got := Matches(did, p, tt.at, tt.loc); got != tt.want {
			t.Errorf("%s: did E in last %d days, event %s, evaluated %s in %s: got %v, want %v",
				tt.name, tt.days, tt.event.Format(time.RFC3339Nano), tt.at.Format(time.RFC3339), tt.loc, got, tt.want)
		}
		didNot := DidNot("E").InLastDays(tt.days)
		if got := Matches(didNot, p, tt.at, tt.loc); got != !tt.want {
			t.Errorf("%s: did not E in last %d days: got %v, want %v", tt.name, tt.days, got, !tt.want)
		}
	}
}

func TestAudienceDidBetween(t *testing.T) {
	nov := Did("E").Between(audDate(2026, 11, 1), audDate(2026, 11, 30))
	dec := Did("E").Between(audDate(2026, 12, 1), audDate(2026, 12, 31))
	oneDay := Did("E").Between(audDate(2026, 12, 5), audDate(2026, 12, 5))
	tests := []struct {
		name  string
		pred  EventPredicate
		event time.Time
		want  bool
	}{
		// Evaluated 2026-12-05 10:00 IST; the range is in IST.
		{"1s before from 00:00 IST", nov, audUTC(2026, 10, 31, 18, 29, 59, 0), false},
		{"from 00:00 IST", nov, audUTC(2026, 10, 31, 18, 30, 0, 0), true},
		{"UTC Oct 31 but IST Nov 1", nov, audUTC(2026, 10, 31, 20, 0, 0, 0), true},
		{"to 23:59 IST", nov, audUTC(2026, 11, 30, 18, 29, 0, 0), true},
		{"to 23:59:59.999999999 IST", nov, audUTC(2026, 11, 30, 18, 29, 59, 999999999), true},
		{"next day 00:00 IST", nov, audUTC(2026, 11, 30, 18, 30, 0, 0), false},
		{"UTC Nov 30 but IST Dec 1", nov, audUTC(2026, 11, 30, 20, 0, 0, 0), false},
		{"range containing evaluation, at the instant", dec, audEvalAt, true},
		{"range containing evaluation, 1ns after", dec, audEvalAt.Add(time.Nanosecond), false},
		{"range containing evaluation, later that month", dec, audUTC(2026, 12, 20, 0, 0, 0, 0), false},
		{"range containing evaluation, start of range", dec, audUTC(2026, 11, 30, 18, 30, 0, 0), true},
		{"single day, 00:00 IST", oneDay, audUTC(2026, 12, 4, 18, 30, 0, 0), true},
		{"single day, 23:59 IST the day before", oneDay, audUTC(2026, 12, 4, 18, 29, 0, 0), false},
	}
	for _, tt := range tests {
		p := audEvents("E", tt.event)
		if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s: %s, event %s: got %v, want %v", tt.name, tt.pred, tt.event.Format(time.RFC3339Nano), got, tt.want)
		}
		not := tt.pred
		not.Negate = true
		if got := Matches(not, p, audEvalAt, audKolkata); got != !tt.want {
			t.Errorf("%s: %s, event %s: got %v, want %v", tt.name, not, tt.event.Format(time.RFC3339Nano), got, !tt.want)
		}
	}
}

func TestAudienceDidWhere(t *testing.T) {
	before := audEvalAt.Add(-time.Hour)
	p := &Profile{ID: "u", Events: []Event{
		{Name: "Charged", Time: before, Properties: map[string]any{"amount": 500, "currency": "INR"}},
		{Name: "Charged", Time: before, Properties: map[string]any{"amount": 1500.0, "currency": "USD"}},
		{Name: "Charged", Time: before, Properties: map[string]any{"amount": json.Number("2500")}},
		{Name: "Charged", Time: before},
		{Name: "Refunded", Time: before, Properties: map[string]any{"amount": 9000, "currency": "USD"}},
		// Matches every filter below but is 40 days old.
		{Name: "Charged", Time: audEvalAt.AddDate(0, 0, -40), Properties: map[string]any{"amount": 5000, "currency": "USD", "coupon": "X"}},
	}}
	tests := []struct {
		name string
		pred Predicate
		want bool
	}{
		{"amount >= 1000: 3 events, at least 3", Did("Charged").Where("amount", Gte, 1000).AtLeast(3), true},
		{"amount >= 1000 in 30 days: 2 events, exactly 2", Did("Charged").Where("amount", Gte, 1000).InLastDays(30).Exactly(2), true},
		{"amount >= 1000 in 30 days: 2 events, at least 3", Did("Charged").Where("amount", Gte, 1000).InLastDays(30).AtLeast(3), false},
		{"currency INR: exactly 1", Did("Charged").Where("currency", Eq, "INR").Exactly(1), true},
		{"currency ne INR in 30 days: 3 events (missing counts)", Did("Charged").Where("currency", Ne, "INR").InLastDays(30).Exactly(3), true},
		{"amount >= 1000 and USD in 30 days: exactly 1", Did("Charged").Where("amount", Gte, 1000).Where("currency", Eq, "USD").InLastDays(30).Exactly(1), true},
		{"amount in (500, 2500) in 30 days: exactly 2", Did("Charged").Where("amount", In, []int{500, 2500}).InLastDays(30).Exactly(2), true},
		{"coupon exists in 30 days: did", Did("Charged").Where("coupon", Exists, nil).InLastDays(30), false},
		{"coupon exists in 30 days: did not", DidNot("Charged").Where("coupon", Exists, nil).InLastDays(30), true},
		{"coupon exists ever: did", Did("Charged").Where("coupon", Exists, nil), true},
		{"amount < 100: did not", DidNot("Charged").Where("amount", Lt, 100), true},
	}
	for _, tt := range tests {
		if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s (%s): got %v, want %v", tt.name, tt.pred, got, tt.want)
		}
	}
}

func TestAudienceDidNotMatchesProfileWithoutEvents(t *testing.T) {
	preds := []Predicate{
		DidNot("E"),
		DidNot("E").InLastDays(30),
		DidNot("E").InLastDays(MaxLastDays),
		DidNot("E").Between(audDate(2026, 1, 1), audDate(2026, 12, 31)),
		DidNot("E").Where("x", Eq, 1).InLastDays(7),
		DidNot("E").AtLeast(3).InLastDays(7),
		Did("E").AtMost(0).InLastDays(30),
		Did("E").Exactly(0),
	}
	profiles := map[string]*Profile{
		"nil events":   {ID: "u"},
		"empty events": {ID: "u", Events: []Event{}},
	}
	for pname, p := range profiles {
		for _, pred := range preds {
			if !Matches(pred, p, audEvalAt, audKolkata) {
				t.Errorf("%s on profile with %s: got false, want true", pred, pname)
			}
			if Matches(Did("E").InLastDays(30), p, audEvalAt, audKolkata) {
				t.Errorf("did E in last 30 days on profile with %s: got true, want false", pname)
			}
		}
	}
}

// ---- properties ----

func TestAudiencePropComparisons(t *testing.T) {
	p := &Profile{ID: "u", Properties: map[string]any{
		"plan":    "gold",
		"empty":   "",
		"score":   42,
		"ratio":   0.75,
		"visits":  json.Number("17"),
		"badnum":  json.Number("x1"),
		"f32":     float32(2.5),
		"u8":      uint8(7),
		"i64":     int64(-3),
		"vip":     true,
		"tags":    []string{"sports", "news"},
		"anytags": []any{"music", 3.0, true},
	}}
	tests := []struct {
		name string
		pred Predicate
		want bool
	}{
		// strings
		{"plan eq gold", Prop("plan", Eq, "gold"), true},
		{"plan eq Gold (case)", Prop("plan", Eq, "Gold"), false},
		{"plan eq silver", Prop("plan", Eq, "silver"), false},
		{"plan ne silver", Prop("plan", Ne, "silver"), true},
		{"plan ne gold", Prop("plan", Ne, "gold"), false},
		{"plan gt apple", Prop("plan", Gt, "apple"), true},
		{"plan gt gold", Prop("plan", Gt, "gold"), false},
		{"plan gte gold", Prop("plan", Gte, "gold"), true},
		{"plan lt h", Prop("plan", Lt, "h"), true},
		{"plan lt gold", Prop("plan", Lt, "gold"), false},
		{"plan lte gold", Prop("plan", Lte, "gold"), true},
		{"plan lte gol", Prop("plan", Lte, "gol"), false},
		{"plan gt 1 (string vs number)", Prop("plan", Gt, 1), false},
		{"plan eq 1 (string vs number)", Prop("plan", Eq, 1), false},
		{"plan in silver,gold", Prop("plan", In, []string{"silver", "gold"}), true},
		{"plan in silver", Prop("plan", In, []string{"silver"}), false},
		{"plan in any gold,1", Prop("plan", In, []any{1, "gold"}), true},
		{"plan contains ol", Prop("plan", Contains, "ol"), true},
		{"plan contains x", Prop("plan", Contains, "x"), false},
		{"plan exists", Prop("plan", Exists, nil), true},
		{"empty exists", Prop("empty", Exists, nil), true},
		{"empty eq empty string", Prop("empty", Eq, ""), true},
		// numbers: int, float64, json.Number, float32, uint8, int64
		{"score(int) eq 42", Prop("score", Eq, 42), true},
		{"score(int) eq 42.0", Prop("score", Eq, 42.0), true},
		{"score(int) eq json 42", Prop("score", Eq, json.Number("42")), true},
		{"score(int) eq int64 42", Prop("score", Eq, int64(42)), true},
		{"score(int) eq string 42", Prop("score", Eq, "42"), false},
		{"score(int) ne string 42", Prop("score", Ne, "42"), true},
		{"score(int) ne 42", Prop("score", Ne, 42), false},
		{"score(int) gt 41", Prop("score", Gt, 41), true},
		{"score(int) gt 42", Prop("score", Gt, 42), false},
		{"score(int) gte 42", Prop("score", Gte, 42), true},
		{"score(int) gte 42.5", Prop("score", Gte, 42.5), false},
		{"score(int) lt 43", Prop("score", Lt, 43), true},
		{"score(int) lt 42", Prop("score", Lt, 42), false},
		{"score(int) lte 42", Prop("score", Lte, 42), true},
		{"score(int) lte 41.5", Prop("score", Lte, 41.5), false},
		{"score(int) gt string a", Prop("score", Gt, "a"), false},
		{"score(int) in 41,42", Prop("score", In, []int{41, 42}), true},
		{"score(int) in float 42", Prop("score", In, []float64{42}), true},
		{"score(int) in string 42", Prop("score", In, []string{"42"}), false},
		{"score(int) contains 4", Prop("score", Contains, "4"), false},
		{"ratio(float64) eq 0.75", Prop("ratio", Eq, 0.75), true},
		{"ratio(float64) gt 0.5", Prop("ratio", Gt, 0.5), true},
		{"ratio(float64) lt 0.75", Prop("ratio", Lt, 0.75), false},
		{"ratio(float64) lte 0.75", Prop("ratio", Lte, 0.75), true},
		{"visits(json.Number) eq 17", Prop("visits", Eq, 17), true},
		{"visits(json.Number) gt 16", Prop("visits", Gt, 16), true},
		{"visits(json.Number) lt 17", Prop("visits", Lt, 17), false},
		{"visits(json.Number) gte 17.0", Prop("visits", Gte, 17.0), true},
		{"visits(json.Number) in 1,17", Prop("visits", In, []int{1, 17}), true},
		{"visits(json.Number) eq string 17", Prop("visits", Eq, "17"), false},
		{"badnum(json.Number x1) gt 0", Prop("badnum", Gt, 0), false},
		{"badnum(json.Number x1) eq 0", Prop("badnum", Eq, 0), false},
		{"badnum(json.Number x1) ne 0", Prop("badnum", Ne, 0), true},
		{"f32 eq 2.5", Prop("f32", Eq, 2.5), true},
		{"u8 eq 7", Prop("u8", Eq, 7), true},
		{"u8 lt 8", Prop("u8", Lt, 8), true},
		{"i64 lt 0", Prop("i64", Lt, 0), true},
		{"i64 eq -3", Prop("i64", Eq, -3.0), true},
		// bools
		{"vip eq true", Prop("vip", Eq, true), true},
		{"vip eq false", Prop("vip", Eq, false), false},
		{"vip ne false", Prop("vip", Ne, false), true},
		{"vip ne true", Prop("vip", Ne, true), false},
		{"vip eq string true", Prop("vip", Eq, "true"), false},
		{"vip eq 1", Prop("vip", Eq, 1), false},
		{"vip in true", Prop("vip", In, []any{true}), true},
		{"vip in false", Prop("vip", In, []any{false}), false},
		// lists
		{"tags([]string) contains news", Prop("tags", Contains, "news"), true},
		{"tags([]string) contains new (element, not substring)", Prop("tags", Contains, "new"), false},
		{"tags([]string) eq sports", Prop("tags", Eq, "sports"), false},
		{"tags([]string) ne sports", Prop("tags", Ne, "sports"), true},
		{"tags([]string) in sports", Prop("tags", In, []string{"sports"}), false},
		{"tags([]string) gt a", Prop("tags", Gt, "a"), false},
		{"tags([]string) exists", Prop("tags", Exists, nil), true},
		{"anytags([]any) contains music", Prop("anytags", Contains, "music"), true},
		{"anytags([]any) contains 3", Prop("anytags", Contains, "3"), false},
		{"anytags([]any) contains true", Prop("anytags", Contains, "true"), false},
		// a missing property: only ne matches
		{"missing eq", Prop("missing", Eq, "x"), false},
		{"missing ne", Prop("missing", Ne, "x"), true},
		{"missing ne number", Prop("missing", Ne, 0), true},
		{"missing gt", Prop("missing", Gt, 0), false},
		{"missing gte", Prop("missing", Gte, 0), false},
		{"missing lt", Prop("missing", Lt, 0), false},
		{"missing lte", Prop("missing", Lte, 0), false},
		{"missing in", Prop("missing", In, []string{"x"}), false},
		{"missing contains", Prop("missing", Contains, "x"), false},
		{"missing exists", Prop("missing", Exists, nil), false},
	}
	noProps := &Profile{ID: "v"}
	for _, tt := range tests {
		if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s (%s): got %v, want %v", tt.name, tt.pred, got, tt.want)
		}
		if got := Matches(Not(tt.pred), p, audEvalAt, audKolkata); got != !tt.want {
			t.Errorf("not (%s): got %v, want %v", tt.name, got, !tt.want)
		}
		// A profile with no properties at all matches only ne.
		wantNone := tt.pred.(PropertyPredicate).Op == Ne
		if got := Matches(tt.pred, noProps, audEvalAt, audKolkata); got != wantNone {
			t.Errorf("%s on a profile without properties: got %v, want %v", tt.name, got, wantNone)
		}
	}
}

func TestAudiencePropNormalisesValues(t *testing.T) {
	// A condition made in Go holds the value JSON would give.
	tests := []struct {
		name  string
		value any
		want  any
	}{
		{"int", 5, 5.0},
		{"int64", int64(-5), -5.0},
		{"uint16", uint16(5), 5.0},
		{"float32", float32(0.5), 0.5},
		{"json.Number", json.Number("2.25"), 2.25},
		{"[]string", []string{"a", "b"}, []any{"a", "b"}},
		{"[]int", []int{1, 2}, []any{1.0, 2.0}},
		{"[]float64", []float64{1.5}, []any{1.5}},
		{"[]any of int and json.Number", []any{1, json.Number("2")}, []any{1.0, 2.0}},
		{"string", "x", "x"},
		{"bool", true, true},
	}
	for _, tt := range tests {
		got := Prop("p", Eq, tt.value).Value
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Prop value %s (%#v): (-want +got)\n%s", tt.name, tt.value, diff)
		}
	}
}

// ---- age ----

func TestAudienceAgeBetween(t *testing.T) {
	tests := []struct {
		name  string
		birth Date
		at    time.Time
		loc   *time.Location
		age   int // expected whole years; -1 means no age (never matches)
	}{
		{"29 Feb birthday, 28 Feb common year", audDate(2008, 2, 29), audUTC(2026, 2, 28, 6, 30, 0, 0), audKolkata, 17},
		{"29 Feb birthday, 1 Mar 00:00 IST common year", audDate(2008, 2, 29), audUTC(2026, 2, 28, 18, 30, 0, 0), audKolkata, 18},
		{"29 Feb birthday, 28 Feb 23:59:59 IST", audDate(2008, 2, 29), audUTC(2026, 2, 28, 18, 29, 59, 0), audKolkata, 17},
		{"29 Feb birthday, 1 Mar noon", audDate(2008, 2, 29), audUTC(2026, 3, 1, 6, 30, 0, 0), audKolkata, 18},
		{"29 Feb birthday, leap year 28 Feb", audDate(2008, 2, 29), audUTC(2028, 2, 28, 6, 30, 0, 0), audKolkata, 19},
		{"29 Feb birthday, leap year 29 Feb", audDate(2008, 2, 29), audUTC(2028, 2, 29, 6, 30, 0, 0), audKolkata, 20},
		{"29 Feb birthday, 2100 is not leap, 28 Feb", audDate(2000, 2, 29), audUTC(2100, 2, 28, 12, 0, 0, 0), time.UTC, 99},
		{"29 Feb birthday, 2100 is not leap, 1 Mar", audDate(2000, 2, 29), audUTC(2100, 3, 1, 12, 0, 0, 0), time.UTC, 100},
		// 2026-02-28T20:00Z is 1 March 01:30 in Kolkata but 28 Feb in UTC.
		{"UTC 28 Feb, IST 1 Mar, read in IST", audDate(2008, 2, 29), audUTC(2026, 2, 28, 20, 0, 0, 0), audKolkata, 18},
		{"UTC 28 Feb, IST 1 Mar, read in UTC", audDate(2008, 2, 29), audUTC(2026, 2, 28, 20, 0, 0, 0), time.UTC, 17},
		// 2026-03-01T05:00Z is 28 Feb 21:00 in Los Angeles.
		{"UTC 1 Mar, LA 28 Feb, read in LA", audDate(2008, 2, 29), audUTC(2026, 3, 1, 5, 0, 0, 0), audLA, 17},
		{"ordinary birthday, day before", audDate(2000, 12, 5), audUTC(2026, 12, 4, 6, 0, 0, 0), audKolkata, 25},
		{"ordinary birthday, on the day", audDate(2000, 12, 5), audEvalAt, audKolkata, 26},
		{"ordinary birthday, UTC day before, IST on the day", audDate(2000, 12, 5), audUTC(2026, 12, 4, 20, 0, 0, 0), audKolkata, 26},
		{"born on the evaluation date", audDate(2026, 12, 5), audEvalAt, audKolkata, 0},
		{"born the next day", audDate(2026, 12, 6), audEvalAt, audKolkata, -1},
		{"unknown birth", Date{}, audEvalAt, audKolkata, -1},
		{"impossible birth 2001-02-29", audDate(2001, 2, 29), audEvalAt, audKolkata, -1},
		{"impossible birth 2000-13-01", audDate(2000, 13, 1), audEvalAt, audKolkata, -1},
	}
	for _, tt := range tests {
		p := &Profile{ID: "u", Birth: tt.birth}
		desc := fmt.Sprintf("%s: born %s, evaluated %s in %s", tt.name, tt.birth, tt.at.Format(time.RFC3339), tt.loc)
		if Matches(AgeBetween(0, MaxAge), p, tt.at, tt.loc) != (tt.age >= 0) {
			t.Errorf("%s: age 0 to %d: got %v, want %v", desc, MaxAge, !(tt.age >= 0), tt.age >= 0)
		}
		if tt.age < 0 {
			if !Matches(Not(AgeBetween(0, MaxAge)), p, tt.at, tt.loc) {
				t.Errorf("%s: not (age 0 to %d): got false, want true", desc, MaxAge)
			}
			continue
		}
		for _, r := range []struct {
			min, max int
			want     bool
		}{
			{tt.age, tt.age, true},
			{max(tt.age-1, 0), tt.age, true},
			{tt.age, tt.age + 1, true},
			{tt.age + 1, tt.age + 5, false},
		} {
			if got := Matches(AgeBetween(r.min, r.max), p, tt.at, tt.loc); got != r.want {
				t.Errorf("%s: age %d to %d (expected age %d): got %v, want %v", desc, r.min, r.max, tt.age, got, r.want)
			}
		}
		if tt.age > 0 {
			if got := Matches(AgeBetween(0, tt.age-1), p, tt.at, tt.loc); got {
				t.Errorf("%s: age 0 to %d (expected age %d): got true, want false", desc, tt.age-1, tt.age)
			}
		}
	}
}

func TestAudienceAgeOn(t *testing.T) {
	tests := []struct {
		birth, on Date
		age       int
		ok        bool
	}{
		{audDate(2008, 2, 29), audDate(2026, 2, 28), 17, true},
		{audDate(2008, 2, 29), audDate(2026, 3, 1), 18, true},
		{audDate(2008, 2, 29), audDate(2028, 2, 29), 20, true},
		{audDate(2008, 2, 29), audDate(2008, 2, 29), 0, true},
		{audDate(2008, 3, 1), audDate(2009, 2, 28), 0, true},
		{audDate(2008, 3, 1), audDate(2009, 3, 1), 1, true},
		{audDate(1990, 1, 31), audDate(2026, 1, 30), 35, true},
		{audDate(2026, 1, 2), audDate(2026, 1, 1), 0, false},
	}
	for _, tt := range tests {
		age, ok := AgeOn(tt.birth, tt.on)
		if age != tt.age || ok != tt.ok {
			t.Errorf("AgeOn(%s, %s) = %d, %v; want %d, %v", tt.birth, tt.on, age, ok, tt.age, tt.ok)
		}
	}
}

// ---- gender and place ----

func TestAudienceGenderIs(t *testing.T) {
	tests := []struct {
		pred   Predicate
		gender Gender
		want   bool
	}{
		{GenderIs(GenderFemale), GenderFemale, true},
		{GenderIs(GenderFemale), GenderMale, false},
		{GenderIs(GenderFemale), "", false},
		{GenderIs(GenderFemale, GenderOther), GenderOther, true},
		{GenderIs(GenderMale, GenderOther), GenderFemale, false},
		{GenderIs(GenderMale), GenderMale, true},
		{GenderIs(GenderMale), "unknown", false},
	}
	for _, tt := range tests {
		p := &Profile{ID: "u", Gender: tt.gender}
		if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s on gender %q: got %v, want %v", tt.pred, tt.gender, got, tt.want)
		}
	}
}

func TestAudiencePlace(t *testing.T) {
	mumbai := &Profile{ID: "m", Country: "IN", Region: "MH", City: "Mumbai"}
	springfield := &Profile{ID: "s", Country: "US", Region: "IL", City: "Springfield"}
	noCountry := &Profile{ID: "n", City: "Mumbai", Region: "MH"}
	nothing := &Profile{ID: "z"}
	tests := []struct {
		name string
		pred Predicate
		p    *Profile
		want bool
	}{
		{"country IN", InCountry("IN"), mumbai, true},
		{"country in (lower)", InCountry("in"), mumbai, true},
		{"country US", InCountry("US"), mumbai, false},
		{"country US or in", InCountry("US", "in"), mumbai, true},
		{"country on profile without one", InCountry("IN"), nothing, false},
		{"region mh any country", InRegion("", "mh"), mumbai, true},
		{"region IN/MH", InRegion("IN", "MH"), mumbai, true},
		{"region in/Mh", InRegion("in", "Mh"), mumbai, true},
		{"region US/MH", InRegion("US", "MH"), mumbai, false},
		{"region IN/KA", InRegion("IN", "KA"), mumbai, false},
		{"region IN/MH on profile without country", InRegion("IN", "MH"), noCountry, false},
		{"region any/MH on profile without country", InRegion("", "MH"), noCountry, true},
		{"city mumbai any country", InCity("", "mumbai"), mumbai, true},
		{"city IN/MUMBAI", InCity("IN", "MUMBAI"), mumbai, true},
		{"city US/Mumbai", InCity("US", "Mumbai"), mumbai, false},
		{"city IN/Pune", InCity("IN", "Pune"), mumbai, false},
		{"city IN/Pune or mumbai", InCity("IN", "Pune", "mumbai"), mumbai, true},
		{"city us/springfield", InCity("us", "springfield"), springfield, true},
		{"city CA/Springfield", InCity("CA", "Springfield"), springfield, false},
		{"city IN/Mumbai on profile without country", InCity("IN", "Mumbai"), noCountry, false},
		{"city any/Mumbai on profile without country", InCity("", "Mumbai"), noCountry, true},
		{"city on profile without one", InCity("", "Mumbai"), nothing, false},
	}
	for _, tt := range tests {
		if got := Matches(tt.pred, tt.p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s (%s) on %+v: got %v, want %v", tt.name, tt.pred, *tt.p, got, tt.want)
		}
	}
}

// ---- geo ----

// audGreatCircleKm is an independent great-circle distance: the angle
// between the points' unit vectors by atan2(|a x b|, a . b), which is
// well conditioned at every distance.
func audGreatCircleKm(a, b LatLng) float64 {
	vec := func(p LatLng) [3]float64 {
		la, lo := p.Lat*math.Pi/180, p.Lon*math.Pi/180
		return [3]float64{math.Cos(la) * math.Cos(lo), math.Cos(la) * math.Sin(lo), math.Sin(la)}
	}
	u, v := vec(a), vec(b)
	cx := u[1]*v[2] - u[2]*v[1]
	cy := u[2]*v[0] - u[0]*v[2]
	cz := u[0]*v[1] - u[1]*v[0]
	dot := u[0]*v[0] + u[1]*v[1] + u[2]*v[2]
	return EarthRadiusKm * math.Atan2(math.Sqrt(cx*cx+cy*cy+cz*cz), dot)
}

func TestAudienceRadiusIndependentDistance(t *testing.T) {
	// Hand values: one degree of arc is 6371.0088 * pi/180 = 111.19508 km.
	tests := []struct {
		name string
		a, b LatLng
		km   float64
	}{
		{"equator across 180th meridian", LatLng{0, 179.9}, LatLng{0, -179.9}, 22.23902},
		{"over the north pole", LatLng{89.9, 0}, LatLng{89.9, 180}, 22.23902},
		{"near the pole, 90 degrees of longitude apart", LatLng{89.9, 0}, LatLng{89.9, 90}, 15.72534}, // sqrt(2) * 0.1 degree
		{"north pole, any longitude", LatLng{90, 0}, LatLng{90, 123}, 0},
		{"quarter of the equator", LatLng{0, 0}, LatLng{0, 90}, 10007.55722},
		{"equator to pole", LatLng{0, 0}, LatLng{90, 0}, 10007.55722},
		{"one degree of latitude", LatLng{0, 0}, LatLng{1, 0}, 111.19508},
	}
	for _, tt := range tests {
		if got := audGreatCircleKm(tt.a, tt.b); math.Abs(got-tt.km) > 1e-4 {
			t.Errorf("test distance %s %v-%v: got %.6f km, want %.5f km", tt.name, tt.a, tt.b, got, tt.km)
		}
		if got := DistanceKm(tt.a, tt.b); math.Abs(got-tt.km) > 1e-4 {
			t.Errorf("DistanceKm %s %v-%v: got %.6f km, want %.5f km", tt.name, tt.a, tt.b, got, tt.km)
		}
	}
}

func TestAudienceWithinRadius(t *testing.T) {
	mumbai := LatLng{19.0760, 72.8777}
	pune := LatLng{18.5204, 73.8567}
	delhi := LatLng{28.6139, 77.2090}
	pairs := []struct {
		name           string
		centre, person LatLng
	}{
		{"across 180th meridian east to west", LatLng{0, 179.9}, LatLng{0, -179.9}},
		{"across 180th meridian west to east", LatLng{-10, -179.95}, LatLng{-10.05, 179.98}},
		{"over the north pole", LatLng{89.9, 0}, LatLng{89.9, 180}},
		{"near the south pole", LatLng{-89.95, 45}, LatLng{-89.9, -100}},
		{"at the pole", LatLng{90, 0}, LatLng{89.5, 77}},
		{"Mumbai to Pune", mumbai, pune},
		{"Mumbai to Delhi", mumbai, delhi},
		{"antipodes-ish", LatLng{10, 20}, LatLng{-10, -159}},
	}
	for _, pr := range pairs {
		d := audGreatCircleKm(pr.centre, pr.person)
		p := &Profile{ID: "u", Location: &pr.person}
		in := WithinRadius(d*(1+1e-9), pr.centre)
		out := WithinRadius(d*(1-1e-9), pr.centre)
		if !Matches(in, p, audEvalAt, audKolkata) {
			t.Errorf("%s: distance %.6f km, radius %.9f km: got false, want true", pr.name, d, in.Km)
		}
		if Matches(out, p, audEvalAt, audKolkata) {
			t.Errorf("%s: distance %.6f km, radius %.9f km: got true, want false", pr.name, d, out.Km)
		}
	}

	oneDegree := EarthRadiusKm * math.Pi / 180
	tests := []struct {
		name string
		pred Predicate
		at   *LatLng
		want bool
	}{
		{"equator across 180: 25 km", WithinRadius(25, LatLng{0, 179.9}), &LatLng{0, -179.9}, true},
		{"equator across 180: 22 km", WithinRadius(22, LatLng{0, 179.9}), &LatLng{0, -179.9}, false},
		{"over the pole: 23 km", WithinRadius(23, LatLng{89.9, 0}), &LatLng{89.9, 180}, true},
		{"over the pole: 22 km", WithinRadius(22, LatLng{89.9, 0}), &LatLng{89.9, 180}, false},
		{"inclusive boundary: exactly one degree", WithinRadius(oneDegree, LatLng{0, 0}), &LatLng{1, 0}, true},
		{"inclusive boundary: exactly ten degrees", WithinRadius(10*oneDegree, LatLng{0, 0}), &LatLng{10, 0}, true},
		{"same point", WithinRadius(0.001, mumbai), &LatLng{19.0760, 72.8777}, true},
		{"largest radius reaches almost anywhere", WithinRadius(MaxRadiusKm, LatLng{0, 0}), &LatLng{0, 179}, true},
		{"largest radius misses the antipode", WithinRadius(MaxRadiusKm, LatLng{0, 0}), &LatLng{0, 180}, false},
		{"multiple centres: near the second", WithinRadius(50, mumbai, delhi), &LatLng{28.70, 77.10}, true},
		{"multiple centres: near the first", WithinRadius(50, mumbai, delhi), &LatLng{19.10, 72.90}, true},
		{"multiple centres: near neither (Pune)", WithinRadius(50, mumbai, delhi), &pune, false},
		{"missing location", WithinRadius(20000, mumbai), nil, false},
		{"NaN location", WithinRadius(20000, mumbai), &LatLng{math.NaN(), 0}, false},
		{"impossible location", WithinRadius(20000, mumbai), &LatLng{91, 0}, false},
	}
	for _, tt := range tests {
		p := &Profile{ID: "u", Location: tt.at}
		if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s (%s) at %v: got %v, want %v", tt.name, tt.pred, tt.at, got, tt.want)
		}
		if got := Matches(Not(tt.pred), p, audEvalAt, audKolkata); got != !tt.want {
			t.Errorf("not (%s) at %v: got %v, want %v", tt.name, tt.at, got, !tt.want)
		}
	}
}

// ---- reachability, lists, combinators ----

func TestAudienceFlag(t *testing.T) {
	flags := []ReachFlag{HasPhone, HasEmail, UnsubscribedEmail, UnsubscribedSMS}
	set := func(f ReachFlag) Reachability {
		switch f {
		case HasPhone:
			return Reachability{HasPhone: true}
		case HasEmail:
			return Reachability{HasEmail: true}
		case UnsubscribedEmail:
			return Reachability{UnsubscribedEmail: true}
		}
		return Reachability{UnsubscribedSMS: true}
	}
	for _, on := range flags {
		p := &Profile{ID: "u", Reach: set(on)}
		for _, f := range flags {
			want := f == on
			if got := Matches(Flag(f), p, audEvalAt, audKolkata); got != want {
				t.Errorf("Flag(%s) on profile with only %s set: got %v, want %v", f, on, got, want)
			}
		}
	}
	none := &Profile{ID: "u"}
	all := &Profile{ID: "u", Reach: Reachability{true, true, true, true}}
	for _, f := range flags {
		if Matches(Flag(f), none, audEvalAt, audKolkata) {
			t.Errorf("Flag(%s) on profile with no flags: got true, want false", f)
		}
		if !Matches(Flag(f), all, audEvalAt, audKolkata) {
			t.Errorf("Flag(%s) on profile with every flag: got false, want true", f)
		}
		if !Matches(Not(Flag(f)), none, audEvalAt, audKolkata) {
			t.Errorf("Not(Flag(%s)) on profile with no flags: got false, want true", f)
		}
	}
}

func TestAudienceInList(t *testing.T) {
	l := InList("vip", "u1", "u2")
	for _, tt := range []struct {
		id   string
		want bool
	}{{"u1", true}, {"u2", true}, {"u3", false}, {"U1", false}, {"", false}} {
		if got := Matches(l, &Profile{ID: tt.id}, audEvalAt, audKolkata); got != tt.want {
			t.Errorf("%s on ID %q: got %v, want %v", l, tt.id, got, tt.want)
		}
	}
}

func TestAudienceCombinators(t *testing.T) {
	reachable := All(Flag(HasPhone), Not(Flag(UnsubscribedSMS)))
	indiaOrNearDelhi := Any(InCountry("IN"), WithinRadius(100, LatLng{28.6139, 77.2090}))
	nested := All(reachable, indiaOrNearDelhi, Not(Any(InList("blocked", "b1"), AgeBetween(0, 17))))
	profiles := map[string]*Profile{
		"phone, IN, adult":          {ID: "a", Reach: Reachability{HasPhone: true}, Country: "IN", Birth: audDate(1990, 1, 1)},
		"phone, unsub sms, IN":      {ID: "b", Reach: Reachability{HasPhone: true, UnsubscribedSMS: true}, Country: "IN"},
		"no phone, IN":              {ID: "c", Country: "IN"},
		"phone, US, near Delhi":     {ID: "d", Reach: Reachability{HasPhone: true}, Country: "US", Location: &LatLng{28.5, 77.3}},
		"phone, US, far":            {ID: "e", Reach: Reachability{HasPhone: true}, Country: "US", Location: &LatLng{40.7, -74}},
		"phone, IN, minor":          {ID: "f", Reach: Reachability{HasPhone: true}, Country: "IN", Birth: audDate(2015, 1, 1)},
		"phone, IN, blocked b1":     {ID: "b1", Reach: Reachability{HasPhone: true}, Country: "IN"},
		"phone, IN, unknown birth":  {ID: "g", Reach: Reachability{HasPhone: true}, Country: "IN"},
		"phone, no country or geo ": {ID: "h", Reach: Reachability{HasPhone: true}},
	}
	tests := []struct {
		pred Predicate
		want map[string]bool // by profile name; absent means false
	}{
		{reachable, map[string]bool{"phone, IN, adult": true, "phone, US, near Delhi": true, "phone, US, far": true,
			"phone, IN, minor": true, "phone, IN, blocked b1": true, "phone, IN, unknown birth": true, "phone, no country or geo ": true}},
		{indiaOrNearDelhi, map[string]bool{"phone, IN, adult": true, "phone, unsub sms, IN": true, "no phone, IN": true,
			"phone, US, near Delhi": true, "phone, IN, minor": true, "phone, IN, blocked b1": true, "phone, IN, unknown birth": true}},
		{nested, map[string]bool{"phone, IN, adult": true, "phone, US, near Delhi": true, "phone, IN, unknown birth": true}},
		{All(Flag(HasPhone)), map[string]bool{"phone, IN, adult": true, "phone, unsub sms, IN": true, "phone, US, near Delhi": true,
			"phone, US, far": true, "phone, IN, minor": true, "phone, IN, blocked b1": true, "phone, IN, unknown birth": true, "phone, no country or geo ": true}},
		{Any(InList("x", "c"), InList("y", "h")), map[string]bool{"no phone, IN": true, "phone, no country or geo ": true}},
		{Not(Not(Flag(UnsubscribedSMS))), map[string]bool{"phone, unsub sms, IN": true}},
	}
	for _, tt := range tests {
		for name, p := range profiles {
			want := tt.want[name]
			if got := Matches(tt.pred, p, audEvalAt, audKolkata); got != want {
				t.Errorf("%s on %q: got %v, want %v", tt.pred, name, got, want)
			}
		}
	}
}

func TestAudienceMatchesBadInputNeverPanics(t *testing.T) {
	var nilEvent *EventPredicate
	ok := Did("E")
	p := audEvents("E", audEvalAt.Add(-time.Hour))
	tests := []struct {
		name string
		pred Predicate
		p    *Profile
		loc  *time.Location
		want bool
	}{
		{"nil predicate", nil, p, audKolkata, false},
		{"invalid predicate", WithinRadius(-1, LatLng{0, 0}), &Profile{Location: &LatLng{0, 0}}, audKolkata, false},
		{"not of invalid predicate", Not(WithinRadius(-1, LatLng{0, 0})), &Profile{}, audKolkata, false},
		{"typed nil pointer", nilEvent, p, audKolkata, false},
		{"typed nil pointer inside all", All(nilEvent), p, audKolkata, false},
		{"pointer predicate", &ok, p, audKolkata, true},
		{"pointer predicate inside not", Not(&ok), p, audKolkata, false},
		{"nil profile", Did("E"), nil, audKolkata, false},
		{"nil location", Did("E"), p, nil, false},
	}
	for _, tt := range tests {
		if got := Matches(tt.pred, tt.p, audEvalAt, tt.loc); got != tt.want {
			t.Errorf("%s: got %v, want %v", tt.name, got, tt.want)
		}
	}
}

// ---- complement ----

// audPopulation generates varied profiles, missing fields included.
func audPopulation(n int, seed uint64) []Profile {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	pick := func(ss ...string) string { return ss[r.IntN(len(ss))] }
	value := func() any {
		switch r.IntN(9) {
		case 0:
			return pick("gold", "silver", "", "Gold", "bronze")
		case 1:
			return r.IntN(20) - 5
		case 2:
			return float64(r.IntN(40)) / 4
		case 3:
			return json.Number(fmt.Sprint(r.IntN(20)))
		case 4:
			return r.IntN(2) == 0
		case 5:
			return []string{pick("sports", "news"), pick("music", "news")}
		case 6:
			return []any{pick("sports", "music"), 3.0, true}
		case 7:
			return json.Number("not-a-number")
		}
		return uint8(r.IntN(20))
	}
	props := func() map[string]any {
		if r.IntN(5) == 0 {
			return nil
		}
		m := map[string]any{}
		for _, k := range []string{"plan", "score", "ratio", "tags", "vip", "amount", "currency"} {
			if r.IntN(2) == 0 {
				m[k] = value()
			}
		}
		return m
	}
	at := audEvalAt
	out := make([]Profile, n)
	for i := range out {
		p := Profile{ID: fmt.Sprintf("u%d", r.IntN(n*2))}
		p.Properties = props()
		switch r.IntN(6) {
		case 0: // unknown
		case 1:
			p.Birth = audDate(2008, 2, 29)
		case 2:
			p.Birth = audDate(2001, 2, 29) // not a date
		default:
			p.Birth = audDate(1930+r.IntN(100), time.Month(1+r.IntN(12)), 1+r.IntN(28))
		}
		p.Gender = Gender(pick("", "female", "male", "other", "Female", "x"))
		p.Country = pick("", "IN", "in", "US", "GB")
		p.Region = pick("", "MH", "mh", "KA", "CA")
		p.City = pick("", "Mumbai", "MUMBAI", "Pune", "Springfield")
		switch r.IntN(6) {
		case 0: // unknown
		case 1:
			p.Location = &LatLng{math.NaN(), 0}
		default:
			p.Location = &LatLng{r.Float64()*180 - 90, r.Float64()*360 - 180}
		}
		p.Reach = Reachability{r.IntN(2) == 0, r.IntN(2) == 0, r.IntN(3) == 0, r.IntN(3) == 0}
		for range r.IntN(7) {
			ev := Event{
				Name:       pick("Charged", "Viewed", "Launched"),
				Time:       at.Add(time.Duration(r.Int64N(int64(70*24*time.Hour))) - 60*24*time.Hour),
				Properties: props(),
			}
			p.Events = append(p.Events, ev)
		}
		out[i] = p
	}
	return out
}

func audComplementPredicates() []Predicate {
	events := audEventPredicates()
	preds := []Predicate{
		Prop("plan", Eq, "gold"), Prop("plan", Ne, "gold"), Prop("score", Gt, 10), Prop("score", Gte, 10),
		Prop("score", Lt, 10.5), Prop("score", Lte, 10), Prop("ratio", In, []float64{0, 2.5, 7}),
		Prop("tags", Contains, "news"), Prop("plan", Contains, "ol"), Prop("vip", Exists, nil),
		Prop("vip", Eq, true), Prop("vip", Ne, false), Prop("plan", Lt, "h"), Prop("score", Eq, json.Number("7")),
		AgeBetween(18, 30), AgeBetween(0, MaxAge), AgeBetween(17, 17),
		GenderIs(GenderFemale), GenderIs(GenderMale, GenderOther),
		InCountry("IN"), InRegion("IN", "MH"), InRegion("", "ka"), InCity("", "mumbai"), InCity("US", "Springfield"),
		WithinRadius(5000, LatLng{19, 73}), WithinRadius(15000, LatLng{0, 179.9}, LatLng{-60, -40}),
		Flag(HasPhone), Flag(HasEmail), Flag(UnsubscribedEmail), Flag(UnsubscribedSMS),
		InList("l", "u1", "u2", "u3", "u10", "u100"),
		All(Flag(HasPhone), Not(Flag(UnsubscribedSMS))),
		Any(InCountry("US"), Prop("plan", Eq, "silver"), Did("Viewed").InLastDays(7)),
		Not(All(AgeBetween(18, 60), Any(GenderIs(GenderFemale), Prop("score", Gt, 5)))),
	}
	for _, e := range events {
		preds = append(preds, e)
	}
	return preds
}

func audEventPredicates() []EventPredicate {
	from, to := audDate(2026, 11, 1), audDate(2026, 11, 30)
	return []EventPredicate{
		Did("Charged"), Did("Charged").AtLeast(2), Did("Charged").AtMost(1), Did("Charged").Exactly(0),
		Did("Charged").Exactly(2), Did("Viewed").InLastDays(30), Did("Viewed").InLastDays(14).AtLeast(2),
		Did("Launched").Between(from, to), Did("Launched").Between(from, to).AtMost(2),
		Did("Charged").Where("amount", Gt, 10), Did("Charged").Where("currency", Ne, "gold").InLastDays(14).Exactly(1),
		Did("Charged").Where("vip", Exists, nil).Where("plan", In, []string{"gold", "silver"}),
		Did("Nothing"), Did("Viewed").InLastDays(MaxLastDays),
	}
}

func TestAudienceNotIsExactComplement(t *testing.T) {
	pop := audPopulation(600, 7)
	evals := []struct {
		at  time.Time
		loc *time.Location
	}{
		{audEvalAt, audKolkata},
		{audUTC(2026, 12, 4, 20, 0, 0, 0), audKolkata},
		{audUTC(2026, 12, 5, 5, 0, 0, 0), audLA},
	}
	preds := audComplementPredicates()
	matchedSome := make([]bool, len(preds))
	missedSome := make([]bool, len(preds))
	for _, ev := range evals {
		for i, pred := range preds {
			if errs := pred.validate("audience"); len(errs) > 0 {
				t.Fatalf("test predicate %s is invalid: %v", pred, errs)
			}
			not := Not(pred)
			for j := range pop {
				p := &pop[j]
				a, b := Matches(pred, p, ev.at, ev.loc), Matches(not, p, ev.at, ev.loc)
				if a == b {
					t.Errorf("%s and its Not on profile %d (%+v) at %s in %s: both %v", pred, j, *p, ev.at, ev.loc, a)
				}
				if a {
					matchedSome[i] = true
				} else {
					missedSome[i] = true
				}
			}
		}
	}
	// The population must exercise both sides of each predicate, or the
	// test proves little.
	for i, pred := range preds {
		if e, ok := pred.(EventPredicate); ok && e.Event == "Nothing" {
			continue
		}
		if !matchedSome[i] || !missedSome[i] {
			t.Errorf("population does not split %s: matched some %v, missed some %v", pred, matchedSome[i], missedSome[i])
		}
	}
}

func TestAudienceDidNotEqualsNotDid(t *testing.T) {
	pop := audPopulation(600, 11)
	for _, did := range audEventPredicates() {
		didNot := did
		didNot.Negate = true
		if didNot.kind() != "did_not" || !strings.HasPrefix(didNot.String(), "did not ") {
			t.Errorf("negated %s: kind %q, string %q", did, didNot.kind(), didNot.String())
		}
		for j := range pop {
			p := &pop[j]
			a := Matches(didNot, p, audEvalAt, audKolkata)
			b := Matches(Not(did), p, audEvalAt, audKolkata)
			if a != b {
				t.Errorf("%s = %v but Not(%s) = %v on profile %d", didNot, a, did, b, j)
			}
		}
	}
	// DidNot is Did with Negate set.
	if diff := cmp.Diff(func() EventPredicate { e := Did("E").AtMost(3); e.Negate = true; return e }(), DidNot("E").AtMost(3)); diff != "" {
		t.Errorf("DidNot(E).AtMost(3) vs negated Did: (-want +got)\n%s", diff)
	}
}

// ---- validation ----

func TestAudienceValidation(t *testing.T) {
	ok := LatLng{19, 73}
	var nilEvent *EventPredicate
	both := Did("E")
	both.LastDays, both.From, both.To = 7, audDate(2026, 1, 1), audDate(2026, 1, 31)
	tests := []struct {
		name   string
		pred   Predicate
		fields []string // nil: valid
	}{
		{"no audience", nil, []string{"audience"}},
		// events
		{"did ok", Did("E").AtLeast(3).InLastDays(MaxLastDays).Where("a", Eq, 1), nil},
		{"did empty event", Did(""), []string{"audience.event"}},
		{"did blank event", DidNot("  "), []string{"audience.event"}},
		{"did at least 0", Did("E").AtLeast(0), []string{"audience.count.n"}},
		{"did at least -1", Did("E").AtLeast(-1), []string{"audience.count.n"}},
		{"did at most -1", Did("E").AtMost(-1), []string{"audience.count.n"}},
		{"did exactly -1", DidNot("E").Exactly(-1), []string{"audience.count.n"}},
		{"did at most 0 ok", Did("E").AtMost(0), nil},
		{"did exactly 0 ok", Did("E").Exactly(0), nil},
		{"did bad count op", EventPredicate{Event: "E", Op: "more_than", N: 1}, []string{"audience.count.op"}},
		{"did empty count op", EventPredicate{Event: "E", N: 1}, []string{"audience.count.op"}},
		{"did last days -1", Did("E").InLastDays(-1), []string{"audience.last_days"}},
		{"did last days too many", Did("E").InLastDays(MaxLastDays + 1), []string{"audience.last_days"}},
		{"did both last_days and from/to", both, []string{"audience"}},
		{"did from after to", Did("E").Between(audDate(2026, 11, 10), audDate(2026, 11, 1)), []string{"audience.to"}},
		{"did from == to ok", Did("E").Between(audDate(2026, 11, 10), audDate(2026, 11, 10)), nil},
		{"did from not a date", Did("E").Between(audDate(2026, 2, 30), audDate(2026, 3, 1)), []string{"audience.from"}},
		{"did to not a date", Did("E").Between(audDate(2026, 2, 1), audDate(2026, 2, 30)), []string{"audience.to"}},
		{"did both dates bad", Did("E").Between(audDate(2026, 13, 1), audDate(2026, 0, 1)), []string{"audience.from", "audience.to"}},
		{"did from without to", Did("E").Between(audDate(2026, 1, 1), Date{}), []string{"audience.to"}},
		{"did to without from", Did("E").Between(Date{}, audDate(2026, 1, 1)), []string{"audience.from"}},
		{"did where empty property", Did("E").Where("", Eq, 1), []string{"audience.where[0].property"}},
		{"did where bad op", Did("E").Where("a", "like", 1), []string{"audience.where[0].op"}},
		{"did where second bad value", Did("E").Where("a", Eq, 1).Where("b", Gt, true), []string{"audience.where[1].value"}},
		{"did many problems", EventPredicate{Op: AtLeast, N: 0, LastDays: -2}, []string{"audience.count.n", "audience.event", "audience.last_days"}},
		// properties
		{"prop ok", Prop("a", In, []any{"x", 1, true}), nil},
		{"prop empty property", Prop("", Eq, "x"), []string{"audience.property"}},
		{"prop bad op", Prop("a", "like", "x"), []string{"audience.op"}},
		{"prop empty op", Prop("a", "", "x"), []string{"audience.op"}},
		{"prop eq nil", Prop("a", Eq, nil), []string{"audience.value"}},
		{"prop eq list", Prop("a", Eq, []string{"x"}), []string{"audience.value"}},
		{"prop eq map", Prop("a", Eq, map[string]any{"x": 1}), []string{"audience.value"}},
		{"prop eq NaN", Prop("a", Eq, math.NaN()), []string{"audience.value"}},
		{"prop ne +Inf", Prop("a", Ne, math.Inf(1)), []string{"audience.value"}},
		{"prop eq named string type", Prop("a", Eq, GenderFemale), []string{"audience.value"}},
		{"prop gt bool", Prop("a", Gt, true), []string{"audience.value"}},
		{"prop gte NaN", Prop("a", Gte, math.NaN()), []string{"audience.value"}},
		{"prop lt -Inf", Prop("a", Lt, math.Inf(-1)), []string{"audience.value"}},
		{"prop lte list", Prop("a", Lte, []any{1}), []string{"audience.value"}},
		{"prop lt string ok", Prop("a", Lt, "b"), nil},
		{"prop in scalar", Prop("a", In, "x"), []string{"audience.value"}},
		{"prop in empty", Prop("a", In, []string{}), []string{"audience.value"}},
		{"prop in nil", Prop("a", In, nil), []string{"audience.value"}},
		{"prop in bad elements", Prop("a", In, []any{"x", map[string]any{}, nil, math.NaN()}), []string{"audience.value[1]", "audience.value[2]", "audience.value[3]"}},
		{"prop in nested list", Prop("a", In, []any{[]any{1}}), []string{"audience.value[0]"}},
		{"prop contains number", Prop("a", Contains, 1), []string{"audience.value"}},
		{"prop contains ok", Prop("a", Contains, "x"), nil},
		{"prop exists with value", Prop("a", Exists, "x"), []string{"audience.value"}},
		{"prop exists ok", Prop("a", Exists, nil), nil},
		// age
		{"age ok", AgeBetween(0, MaxAge), nil},
		{"age single year ok", AgeBetween(30, 30), nil},
		{"age negative min", AgeBetween(-1, 10), []string{"audience"}},
		{"age min > max", AgeBetween(10, 5), []string{"audience"}},
		{"age max too big", AgeBetween(0, MaxAge+1), []string{"audience"}},
		// gender
		{"gender ok", GenderIs(GenderFemale, GenderMale, GenderOther), nil},
		{"gender none", GenderIs(), []string{"audience.values"}},
		{"gender capitalised", GenderIs("Female"), []string{"audience.values[0]"}},
		{"gender second bad", GenderIs(GenderMale, "x"), []string{"audience.values[1]"}},
		// place
		{"country ok", InCountry("IN", "us"), nil},
		{"country none", InCountry(), []string{"audience.values"}},
		{"country three letters", InCountry("IND"), []string{"audience.values[0]"}},
		{"country digit", InCountry("IN", "I1"), []string{"audience.values[1]"}},
		{"country qualifier on country", PlacePredicate{Level: LevelCountry, Country: "IN", Values: []string{"IN"}}, []string{"audience.country"}},
		{"region ok", InRegion("IN", "MH"), nil},
		{"region bad country", InRegion("IND", "MH"), []string{"audience.country"}},
		{"region none", InRegion("IN"), []string{"audience.values"}},
		{"region blank", InRegion("IN", " "), []string{"audience.values[0]"}},
		{"city ok", InCity("", "Mumbai"), nil},
		{"city empty", InCity("IN", "Pune", ""), []string{"audience.values[1]"}},
		{"unknown place level", PlacePredicate{Level: "continent", Values: []string{"Asia"}}, []string{"audience.kind"}},
		// radius
		{"radius ok", WithinRadius(MaxRadiusKm, LatLng{90, 180}, LatLng{-90, -180}), nil},
		{"radius 0", WithinRadius(0, ok), []string{"audience.km"}},
		{"radius negative", WithinRadius(-1, ok), []string{"audience.km"}},
		{"radius NaN", WithinRadius(math.NaN(), ok), []string{"audience.km"}},
		{"radius +Inf", WithinRadius(math.Inf(1), ok), []string{"audience.km"}},
		{"radius over 20000", WithinRadius(20000.001, ok), []string{"audience.km"}},
		{"radius no centre", WithinRadius(10), []string{"audience.points"}},
		{"centre lat 91", WithinRadius(10, LatLng{91, 0}), []string{"audience.points[0]"}},
		{"centre lat -90.0001", WithinRadius(10, LatLng{-90.0001, 0}), []string{"audience.points[0]"}},
		{"centre lon 180.5", WithinRadius(10, LatLng{0, 180.5}), []string{"audience.points[0]"}},
		{"centre lon -181", WithinRadius(10, LatLng{0, -181}), []string{"audience.points[0]"}},
		{"centre lat NaN", WithinRadius(10, LatLng{math.NaN(), 0}), []string{"audience.points[0]"}},
		{"centre lon NaN", WithinRadius(10, LatLng{0, math.NaN()}), []string{"audience.points[0]"}},
		{"centre lon Inf", WithinRadius(10, LatLng{0, math.Inf(-1)}), []string{"audience.points[0]"}},
		{"second and third centres bad", WithinRadius(10, ok, LatLng{100, 0}, LatLng{0, 200}), []string{"audience.points[1]", "audience.points[2]"}},
		{"radius and centre bad", WithinRadius(math.NaN(), LatLng{91, 0}), []string{"audience.km", "audience.points[0]"}},
		// reach and list
		{"flag unknown", Flag("has_fax"), []string{"audience.flag"}},
		{"list ok", InList("vip", "u1"), nil},
		{"list no name", InList("", "u1"), []string{"audience.list"}},
		{"list no ids", InList("vip"), []string{"audience.ids"}},
		// combinators
		{"all empty", All(), []string{"audience"}},
		{"any empty", Any(), []string{"audience"}},
		{"all nil child", All(nil), []string{"audience.of[0]"}},
		{"any second child nil", Any(Flag(HasPhone), nil), []string{"audience.of[1]"}},
		{"all typed nil child", All(nilEvent), []string{"audience.of[0]"}},
		{"typed nil audience", nilEvent, []string{"audience"}},
		{"not nil", Not(nil), []string{"audience.predicate"}},
		{"all second child radius 0", All(Flag(HasPhone), WithinRadius(0, ok)), []string{"audience.of[1].km"}},
		{"deep nesting", Any(Flag(HasPhone), All(Not(Did("")), Not(nil))), []string{"audience.of[1].of[0].predicate.event", "audience.of[1].of[1].predicate"}},
		{"not of empty any", Not(Any()), []string{"audience.predicate"}},
		{"many across kinds", All(InCountry("IND"), Prop("a", Gt, "b"), AgeBetween(5, 1), Flag("x"), WithinRadius(0, LatLng{0, 0})),
			[]string{"audience.of[0].values[0]", "audience.of[2]", "audience.of[3].flag", "audience.of[4].km"}},
	}
	base := cbValidCampaign(t)
	for _, tt := range tests {
		c := *base
		c.Audience = tt.pred
		got := audValidationFields(t, tt.name, c.Validate(time.Time{}))
		if diff := cmp.Diff(tt.fields, got); diff != "" {
			t.Errorf("%s: Validate fields (-want +got)\n%s", tt.name, diff)
		}
		// Matches refuses what Validate rejects.
		if len(tt.fields) > 0 && tt.pred != nil {
			everyone := &Profile{ID: "u1", Location: &ok, Events: []Event{{Name: "E", Time: audEvalAt.Add(-time.Hour)}}}
			if Matches(tt.pred, everyone, audEvalAt, audKolkata) {
				t.Errorf("%s: an invalid predicate matched", tt.name)
			}
		}
	}
}
