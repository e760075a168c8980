package signedcall

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Predicate is one condition of an audience, or a combination of them.
// A predicate is evaluated against one profile at one instant, the
// campaign's evaluation time (its start), in the campaign's time zone; it
// never reads the wall clock. Build predicates with the constructors ([Did], [DidNot], [Prop], [AgeBetween], [WithinRadius], [All], ...)
// and encode them with [MarshalPredicate].
//
// The set of predicates is closed: the interface has unexported methods.
type Predicate interface {
	// String describes the predicate for people, for example
	// `did "Product Viewed" at least 1 time in the last 30 days`.
	String() string

	kind() string
	validate(field string) []error
	compile(env *evalEnv) matcher
}

// matcher is a compiled predicate.
type matcher func(p *Profile) bool

// evalEnv is what compiled predicates may depend on besides the profile.
type evalEnv struct {
	at  time.Time
	loc *time.Location
	// today is the evaluation date in the campaign's zone.
	today Date
}

func newEvalEnv(at time.Time, loc *time.Location) *evalEnv {
	l := at.In(loc)
	return &evalEnv{at: at, loc: loc, today: Date{l.Year(), l.Month(), l.Day()}}
}

// Matches reports whether p matches pred at instant at, with day windows
// and ages read in loc. It is the one-profile form of the evaluation a
// campaign runs; a predicate that Validate would reject never matches.
// A nil profile or a nil location never matches.
func Matches(pred Predicate, p *Profile, at time.Time, loc *time.Location) bool {
	pred = derefPred(pred)
	if pred == nil || p == nil || loc == nil || len(pred.validate("audience")) > 0 {
		return false
	}
	return pred.compile(newEvalEnv(at, loc))(p)
}

// derefPred turns a pointer to a predicate value (say &Did("x"), whose
// method set also satisfies Predicate) into the value, so that it is
// validated, encoded and compiled like the value. A nil pointer becomes
// nil, so that it is reported as missing instead of panicking.
func derefPred(p Predicate) Predicate {
	if v := reflect.ValueOf(p); v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		if d, ok := v.Elem().Interface().(Predicate); ok {
			return d
		}
	}
	return p
}

func derefPreds(ps []Predicate) []Predicate {
	if ps == nil {
		return nil
	}
	out := make([]Predicate, len(ps))
	for i, p := range ps {
		out[i] = derefPred(p)
	}
	return out
}

// ---- combinators ----

type allPred struct{ of []Predicate }
type anyPred struct{ of []Predicate }
type notPred struct{ p Predicate }

// All matches a profile that every one of ps matches.
func All(ps ...Predicate) Predicate { return allPred{derefPreds(ps)} }

// Any matches a profile that at least one of ps matches.
func Any(ps ...Predicate) Predicate { return anyPred{derefPreds(ps)} }

// Not matches exactly the profiles p does not match: for any population,
// p and Not(p) partition it.
func Not(p Predicate) Predicate { return notPred{derefPred(p)} }

func (a allPred) kind() string { return "all" }
func (a anyPred) kind() string { return "any" }
func (n notPred) kind() string { return "not" }

func (a allPred) String() string { return joinPreds("all of", a.of) }
func (a anyPred) String() string { return joinPreds("any of", a.of) }
func (n notPred) String() string {
	if n.p == nil {
		return "not (nothing)"
	}
	return "not (" + n.p.String() + ")"
}

func joinPreds(head string, ps []Predicate) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		if p == nil {
			parts[i] = "(nothing)"
			continue
		}
		parts[i] = p.String()
	}
	return head + " (" + strings.Join(parts, "; ") + ")"
}

func validateList(field string, ps []Predicate) []error {
	if len(ps) == 0 {
		return []error{invalid(field, "needs at least one predicate")}
	}
	var errs []error
	for i, p := range ps {
		f := fmt.Sprintf("%s.of[%d]", field, i)
		if p = derefPred(p); p == nil {
			errs = append(errs, invalid(f, "is nil"))
			continue
		}
		errs = append(errs, p.validate(f)...)
	}
	return errs
}

func (a allPred) validate(field string) []error { return validateList(field, a.of) }
func (a anyPred) validate(field string) []error { return validateList(field, a.of) }
func (n notPred) validate(field string) []error {
	p := derefPred(n.p)
	if p == nil {
		return []error{invalid(field+".predicate", "is required")}
	}
	return p.validate(field + ".predicate")
}

func (a allPred) compile(env *evalEnv) matcher {
	ms := compileAll(env, a.of)
	return func(p *Profile) bool {
		for _, m := range ms {
			if !m(p) {
				return false
			}
		}
		return true
	}
}

func (a anyPred) compile(env *evalEnv) matcher {
	ms := compileAll(env, a.of)
	return func(p *Profile) bool {
		for _, m := range ms {
			if m(p) {
				return true
			}
		}
		return false
	}
}

func (n notPred) compile(env *evalEnv) matcher {
	m := n.p.compile(env)
	return func(p *Profile) bool { return !m(p) }
}

func compileAll(env *evalEnv, ps []Predicate) []matcher {
	ms := make([]matcher, len(ps))
	for i, p := range ps {
		ms[i] = p.compile(env)
	}
	return ms
}

// ---- events ----

// CountOp compares how many matching events a profile has.
type CountOp string

// Count comparisons for event predicates.
const (
	AtLeast CountOp = "at_least"
	AtMost  CountOp = "at_most"
	Exactly CountOp = "exactly"
)

// EventPredicate matches profiles by the events they did. Make one with
// [Did] or [DidNot] and refine it with its methods, each of which returns
// a modified copy. The default is "at least once, ever".
type EventPredicate struct {
	// Negate turns "did" into "did not": the exact complement.
	Negate bool
	Event  string
	Op     CountOp
	N      int
	// LastDays, when positive, limits events to the N calendar days
	// before the evaluation time (in the campaign's zone) up to it.
	LastDays int
	// From and To, when set, limit events to those dates, both inclusive,
	// in the campaign's zone.
	From, To Date
	// Filters keep only events whose properties match; all must hold.
	Filters []Condition
}

// Did matches profiles that did event at least once. Refine the count,
// the window and property filters with the methods of [EventPredicate].
func Did(event string) EventPredicate {
	return EventPredicate{Event: event, Op: AtLeast, N: 1}
}

// DidNot matches exactly the profiles Did would not: "did not do E in the
// last N days" matches a profile with no events at all.
func DidNot(event string) EventPredicate {
	p := Did(event)
	p.Negate = true
	return p
}

// AtLeast requires at least n matching events.
func (e EventPredicate) AtLeast(n int) EventPredicate { e.Op, e.N = AtLeast, n; return e }

// AtMost requires at most n matching events.
func (e EventPredicate) AtMost(n int) EventPredicate { e.Op, e.N = AtMost, n; return e }

// Exactly requires exactly n matching events.
func (e EventPredicate) Exactly(n int) EventPredicate { e.Op, e.N = Exactly, n; return e }

// InLastDays counts only events in the last n calendar days.
func (e EventPredicate) InLastDays(n int) EventPredicate {
	e.LastDays, e.From, e.To = n, Date{}, Date{}
	return e
}

// Between counts only events on dates from to to, both inclusive.
func (e EventPredicate) Between(from, to Date) EventPredicate {
	e.LastDays, e.From, e.To = 0, from, to
	return e
}

// Where adds a filter on the event's properties.
func (e EventPredicate) Where(property string, op Op, value any) EventPredicate {
	e.Filters = append(slices.Clone(e.Filters), newCondition(property, op, value))
	return e
}

func (e EventPredicate) kind() string {
	if e.Negate {
		return "did_not"
	}
	return "did"
}

// String describes the predicate for people.
func (e EventPredicate) String() string {
	var b strings.Builder
	if e.Negate {
		b.WriteString("did not do ")
	} else {
		b.WriteString("did ")
	}
	fmt.Fprintf(&b, "%q", e.Event)
	if !(e.Op == AtLeast && e.N == 1) {
		fmt.Fprintf(&b, " %s %d %s", strings.ReplaceAll(string(e.Op), "_", " "), e.N, plural(e.N, "time", "times"))
	}
	switch {
	case e.LastDays > 0:
		fmt.Fprintf(&b, " in the last %d %s", e.LastDays, plural(e.LastDays, "day", "days"))
	case !e.From.IsZero():
		fmt.Fprintf(&b, " from %s to %s", e.From, e.To)
	}
	for i, c := range e.Filters {
		if i == 0 {
			b.WriteString(" where ")
		} else {
			b.WriteString(" and ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// orList joins values as "a", "a or b", "a, b or c".
func orList[T any](vs []T) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = fmt.Sprint(v)
	}
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

// MaxLastDays bounds an event window.
const MaxLastDays = 3650

func (e EventPredicate) validate(field string) []error {
	var errs []error
	if strings.TrimSpace(e.Event) == "" {
		errs = append(errs, invalid(field+".event", "is required"))
	}
	switch e.Op {
	case AtLeast:
		if e.N < 1 {
			errs = append(errs, invalid(field+".count.n", "at_least needs n >= 1, got %d", e.N))
		}
	case AtMost, Exactly:
		if e.N < 0 {
			errs = append(errs, invalid(field+".count.n", "must be >= 0, got %d", e.N))
		}
	default:
		errs = append(errs, invalid(field+".count.op", "must be at_least, at_most or exactly, got %q", e.Op))
	}
	hasRange := !e.From.IsZero() || !e.To.IsZero()
	if e.LastDays < 0 || e.LastDays > MaxLastDays {
		errs = append(errs, invalid(field+".last_days", "must be between 1 and %d (or 0 for no window), got %d", MaxLastDays, e.LastDays))
	}
	if e.LastDays > 0 && hasRange {
		errs = append(errs, invalid(field, "give last_days or from/to, not both"))
	}
	if hasRange {
		fromOK, toOK := true, true
		for _, d := range []struct {
			name  string
			date  Date
			other string
			ok    *bool
		}{{"from", e.From, "to", &fromOK}, {"to", e.To, "from", &toOK}} {
			switch {
			case d.date.IsZero():
				errs = append(errs, invalid(field+"."+d.name, "is required when %s is set", d.other))
				*d.ok = false
			case !d.date.valid():
				errs = append(errs, invalid(field+"."+d.name, "%s is not a calendar date", d.date))
				*d.ok = false
			}
		}
		if fromOK && toOK && dateLess(e.To, e.From) {
			errs = append(errs, invalid(field+".to", "%s is before from %s", e.To, e.From))
		}
	}
	for i, c := range e.Filters {
		errs = append(errs, c.validate(fmt.Sprintf("%s.where[%d]", field, i))...)
	}
	return errs
}

func dateLess(a, b Date) bool {
	if a.Year != b.Year {
		return a.Year < b.Year
	}
	if a.Month != b.Month {
		return a.Month < b.Month
	}
	return a.Day < b.Day
}

func (e EventPredicate) compile(env *evalEnv) matcher {
	// The window is [lo, hi]: events after the evaluation instant are
	// never counted.
	hi := env.at
	var lo time.Time
	bounded := false
	switch {
	case e.LastDays > 0:
		// Calendar days back, read like any other local time: a wall
		// time that DST skips moves forward by the gap (AddDate would
		// leave the choice to the time package).
		l := env.at.In(env.loc)
		lo = LocalTime(env.loc, l.Year(), l.Month(), l.Day()-e.LastDays, l.Hour(), l.Minute()).
			Add(time.Duration(l.Second())*time.Second + time.Duration(l.Nanosecond()))
		bounded = true
	case !e.From.IsZero():
		lo, bounded = LocalTime(env.loc, e.From.Year, e.From.Month, e.From.Day, 0, 0), true
		end := LocalTime(env.loc, e.To.Year, e.To.Month, e.To.Day+1, 0, 0)
		if end.Before(hi) {
			// The range is [from 00:00, to+1 00:00); make it inclusive.
			hi = end.Add(-time.Nanosecond)
		}
	}
	conds := make([]condMatcher, len(e.Filters))
	for i, c := range e.Filters {
		conds[i] = c.compile()
	}
	name, op, n, negate := e.Event, e.Op, e.N, e.Negate
	// Counting can stop once the answer is known.
	stopAt := n + 1
	if op == AtLeast {
		stopAt = n
	}
	return func(p *Profile) bool {
		count := 0
	events:
		for i := range p.Events {
			ev := &p.Events[i]
			if ev.Name != name || ev.Time.After(hi) || (bounded && ev.Time.Before(lo)) {
				continue
			}
			for _, c := range conds {
				if !c(ev.Properties) {
					continue events
				}
			}
			count++
			if count >= stopAt {
				break
			}
		}
		var ok bool
		switch op {
		case AtLeast:
			ok = count >= n
		case AtMost:
			ok = count <= n
		default:
			ok = count == n
		}
		return ok != negate
	}
}

// ---- properties ----

// Op is a comparison on a property value.
type Op string

// Property comparisons. Ne is the exact complement of Eq, so it matches a
// profile that lacks the property; every other comparison needs the
// property to be present with a comparable value.
const (
	Eq       Op = "eq"
	Ne       Op = "ne"
	Gt       Op = "gt"
	Gte      Op = "gte"
	Lt       Op = "lt"
	Lte      Op = "lte"
	In       Op = "in"
	Contains Op = "contains"
	Exists   Op = "exists"
)

// Condition compares one property. Value is a string, bool or float64
// (other numbers are converted when the condition is made); for In it is
// a []any of those.
type Condition struct {
	Property string
	Op       Op
	Value    any
}

func newCondition(property string, op Op, value any) Condition {
	return Condition{Property: property, Op: op, Value: normValue(value)}
}

// normValue turns numbers into float64 and string slices into []any, so
// that a condition made in Go equals the same condition read from JSON.
func normValue(v any) any {
	if f, ok := toFloat(v); ok {
		return f
	}
	switch x := v.(type) {
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out
	case []float64:
		out := make([]any, len(x))
		for i, f := range x {
			out[i] = f
		}
		return out
	case []int:
		out := make([]any, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normValue(e)
		}
		return out
	}
	return v
}

// String describes the condition for people.
func (c Condition) String() string {
	if c.Op == Exists {
		return c.Property + " exists"
	}
	return fmt.Sprintf("%s %s %v", c.Property, c.Op, c.Value)
}

// scalarOK reports whether v is a comparable value: a string, a boolean
// or a finite number (NaN and infinities have no JSON form, and NaN
// equals nothing).
func scalarOK(v any) bool {
	switch x := v.(type) {
	case string, bool:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	}
	return false
}

func (c Condition) validate(field string) []error {
	var errs []error
	if strings.TrimSpace(c.Property) == "" {
		errs = append(errs, invalid(field+".property", "is required"))
	}
	switch c.Op {
	case Eq, Ne:
		if !scalarOK(c.Value) {
			errs = append(errs, invalid(field+".value", "%s needs a string, finite number or boolean, got %T %v", c.Op, c.Value, c.Value))
		}
	case Gt, Gte, Lt, Lte:
		switch v := c.Value.(type) {
		case string:
		case float64:
			if math.IsNaN(v) || math.IsInf(v, 0) {
				errs = append(errs, invalid(field+".value", "must be a finite number, got %v", v))
			}
		default:
			errs = append(errs, invalid(field+".value", "%s needs a number or string, got %T", c.Op, c.Value))
		}
	case In:
		vs, ok := c.Value.([]any)
		if !ok || len(vs) == 0 {
			errs = append(errs, invalid(field+".value", "in needs a non-empty list"))
			break
		}
		for i, v := range vs {
			if !scalarOK(v) {
				errs = append(errs, invalid(fmt.Sprintf("%s.value[%d]", field, i), "needs a string, finite number or boolean, got %T %v", v, v))
			}
		}
	case Contains:
		if _, ok := c.Value.(string); !ok {
			errs = append(errs, invalid(field+".value", "contains needs a string, got %T", c.Value))
		}
	case Exists:
		if c.Value != nil {
			errs = append(errs, invalid(field+".value", "exists takes no value"))
		}
	default:
		errs = append(errs, invalid(field+".op", "unknown comparison %q", c.Op))
	}
	return errs
}

type condMatcher func(props map[string]any) bool

func (c Condition) compile() condMatcher {
	name, want := c.Property, c.Value
	switch c.Op {
	case Exists:
		return func(m map[string]any) bool { _, ok := m[name]; return ok }
	case Eq:
		return func(m map[string]any) bool { v, ok := m[name]; return ok && equalValue(v, want) }
	case Ne:
		return func(m map[string]any) bool { v, ok := m[name]; return !ok || !equalValue(v, want) }
	case In:
		vs := want.([]any)
		return func(m map[string]any) bool {
			v, ok := m[name]
			if !ok {
				return false
			}
			for _, w := range vs {
				if equalValue(v, w) {
					return true
				}
			}
			return false
		}
	case Contains:
		sub := want.(string)
		return func(m map[string]any) bool {
			switch v := m[name].(type) {
			case string:
				return strings.Contains(v, sub)
			case []string:
				return slices.Contains(v, sub)
			case []any:
				for _, e := range v {
					if s, ok := e.(string); ok && s == sub {
						return true
					}
				}
			}
			return false
		}
	}
	op := c.Op
	return func(m map[string]any) bool {
		v, ok := m[name]
		if !ok {
			return false
		}
		cmp, ok := compareValue(v, want)
		if !ok {
			return false
		}
		switch op {
		case Gt:
			return cmp > 0
		case Gte:
			return cmp >= 0
		case Lt:
			return cmp < 0
		default:
			return cmp <= 0
		}
	}
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	case *json.Number:
		if x == nil {
			return 0, false
		}
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func equalValue(have, want any) bool {
	switch w := want.(type) {
	case string:
		h, ok := have.(string)
		return ok && h == w
	case bool:
		h, ok := have.(bool)
		return ok && h == w
	case float64:
		h, ok := toFloat(have)
		return ok && h == w
	}
	return false
}

// compareValue orders have against want when both are numbers or both
// strings.
func compareValue(have, want any) (int, bool) {
	switch w := want.(type) {
	case string:
		h, ok := have.(string)
		if !ok {
			return 0, false
		}
		return strings.Compare(h, w), true
	case float64:
		h, ok := toFloat(have)
		if !ok || math.IsNaN(h) {
			return 0, false
		}
		switch {
		case h < w:
			return -1, true
		case h > w:
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// PropertyPredicate compares a custom user property.
type PropertyPredicate struct{ Condition }

// Prop matches profiles whose custom property compares to value with op.
// For In pass a slice; for Exists pass nil.
func Prop(property string, op Op, value any) PropertyPredicate {
	return PropertyPredicate{newCondition(property, op, value)}
}

func (p PropertyPredicate) kind() string { return "property" }

// String describes the predicate for people.
func (p PropertyPredicate) String() string { return "property " + p.Condition.String() }
func (p PropertyPredicate) validate(field string) []error {
	return p.Condition.validate(field)
}
func (p PropertyPredicate) compile(*evalEnv) matcher {
	m := p.Condition.compile()
	return func(pr *Profile) bool { return m(pr.Properties) }
}

// ---- demographics and place ----

// AgePredicate matches whole completed years of age in the campaign's
// zone on the evaluation date, Min to Max inclusive. A 29 February
// birthday is reached on 1 March in common years.
type AgePredicate struct{ Min, Max int }

// AgeBetween matches ages min to max, both inclusive.
func AgeBetween(min, max int) AgePredicate { return AgePredicate{min, max} }

// MaxAge bounds age predicates.
const MaxAge = 150

func (a AgePredicate) kind() string { return "age" }

// String describes the predicate for people.
func (a AgePredicate) String() string { return fmt.Sprintf("age %d to %d", a.Min, a.Max) }
func (a AgePredicate) validate(field string) []error {
	if a.Min < 0 || a.Max > MaxAge || a.Min > a.Max {
		return []error{invalid(field, "needs 0 <= min <= max <= %d, got %d to %d", MaxAge, a.Min, a.Max)}
	}
	return nil
}

func (a AgePredicate) compile(env *evalEnv) matcher {
	today := env.today
	return func(p *Profile) bool {
		if p.Birth.IsZero() || !p.Birth.valid() {
			return false
		}
		age, ok := AgeOn(p.Birth, today)
		return ok && age >= a.Min && age <= a.Max
	}
}

// AgeOn returns the whole years completed from birth to on. A 29 February
// birthday counts as reached on 1 March in common years. It returns false
// when on is before birth.
func AgeOn(birth, on Date) (int, bool) {
	if dateLess(on, birth) {
		return 0, false
	}
	age := on.Year - birth.Year
	bm, bd := birth.Month, birth.Day
	if bm == time.February && bd == 29 && !isLeap(on.Year) {
		bm, bd = time.March, 1
	}
	if on.Month < bm || (on.Month == bm && on.Day < bd) {
		age--
	}
	return age, true
}

func isLeap(y int) bool { return y%4 == 0 && (y%100 != 0 || y%400 == 0) }

// GenderPredicate matches any of the listed genders.
type GenderPredicate struct{ Genders []Gender }

// GenderIs matches profiles with one of gs.
func GenderIs(gs ...Gender) GenderPredicate { return GenderPredicate{slices.Clone(gs)} }

func (g GenderPredicate) kind() string { return "gender" }

// String describes the predicate for people.
func (g GenderPredicate) String() string {
	return "gender is " + orList(g.Genders)
}
func (g GenderPredicate) validate(field string) []error {
	if len(g.Genders) == 0 {
		return []error{invalid(field+".values", "needs at least one gender")}
	}
	var errs []error
	for i, v := range g.Genders {
		if !v.valid() {
			errs = append(errs, invalid(fmt.Sprintf("%s.values[%d]", field, i), "must be female, male or other, got %q", v))
		}
	}
	return errs
}
func (g GenderPredicate) compile(*evalEnv) matcher {
	gs := g.Genders
	return func(p *Profile) bool { return slices.Contains(gs, p.Gender) }
}

// PlaceLevel says which field of the profile a [PlacePredicate] reads.
type PlaceLevel string

// Place levels.
const (
	LevelCountry PlaceLevel = "country"
	LevelRegion  PlaceLevel = "region"
	LevelCity    PlaceLevel = "city"
)

// PlacePredicate matches the profile's country, region or city against a
// list, case-insensitively. For regions and cities, Country (when set)
// must match too, since names repeat across countries.
type PlacePredicate struct {
	Level   PlaceLevel
	Country string
	Values  []string
}

// InCountry matches ISO 3166-1 alpha-2 country codes.
func InCountry(codes ...string) PlacePredicate {
	return PlacePredicate{Level: LevelCountry, Values: slices.Clone(codes)}
}

// InRegion matches regions of country ("" for any country).
func InRegion(country string, regions ...string) PlacePredicate {
	return PlacePredicate{Level: LevelRegion, Country: country, Values: slices.Clone(regions)}
}

// InCity matches cities of country ("" for any country).
func InCity(country string, cities ...string) PlacePredicate {
	return PlacePredicate{Level: LevelCity, Country: country, Values: slices.Clone(cities)}
}

func (pl PlacePredicate) kind() string { return string(pl.Level) }

// String describes the predicate for people.
func (pl PlacePredicate) String() string {
	s := fmt.Sprintf("%s is %s", pl.Level, orList(pl.Values))
	if pl.Country != "" {
		s += " (" + pl.Country + ")"
	}
	return s
}

func validCountry(s string) bool {
	if len(s) != 2 {
		return false
	}
	for _, r := range s {
		if (r < 'A' || r > 'Z') && (r < 'a' || r > 'z') {
			return false
		}
	}
	return true
}

func (pl PlacePredicate) validate(field string) []error {
	var errs []error
	switch pl.Level {
	case LevelCountry, LevelRegion, LevelCity:
	default:
		return []error{invalid(field+".kind", "unknown place level %q", pl.Level)}
	}
	if pl.Country != "" && (pl.Level == LevelCountry || !validCountry(pl.Country)) {
		errs = append(errs, invalid(field+".country", "must be an ISO 3166-1 alpha-2 code on a region or city, got %q", pl.Country))
	}
	if len(pl.Values) == 0 {
		errs = append(errs, invalid(field+".values", "needs at least one value"))
	}
	for i, v := range pl.Values {
		f := fmt.Sprintf("%s.values[%d]", field, i)
		if pl.Level == LevelCountry && !validCountry(v) {
			errs = append(errs, invalid(f, "must be an ISO 3166-1 alpha-2 code, got %q", v))
		} else if strings.TrimSpace(v) == "" {
			errs = append(errs, invalid(f, "must not be empty"))
		}
	}
	return errs
}

func (pl PlacePredicate) compile(*evalEnv) matcher {
	vals, country := pl.Values, pl.Country
	var get func(*Profile) string
	switch pl.Level {
	case LevelCountry:
		get = func(p *Profile) string { return p.Country }
	case LevelRegion:
		get = func(p *Profile) string { return p.Region }
	default:
		get = func(p *Profile) string { return p.City }
	}
	return func(p *Profile) bool {
		if country != "" && !strings.EqualFold(p.Country, country) {
			return false
		}
		v := get(p)
		if v == "" {
			return false
		}
		for _, w := range vals {
			if strings.EqualFold(v, w) {
				return true
			}
		}
		return false
	}
}

// ---- geo ----

// EarthRadiusKm is the mean radius of the Earth (IUGG), used for
// great-circle distances.
const EarthRadiusKm = 6371.0088

// MaxRadiusKm is the largest radius a [RadiusPredicate] accepts, about
// half the Earth's circumference.
const MaxRadiusKm = 20000

// RadiusPredicate matches profiles whose location is within Km kilometres
// (great-circle distance, inclusive) of any of Points.
type RadiusPredicate struct {
	Km     float64
	Points []LatLng
}

// WithinRadius matches profiles within km of any of points.
func WithinRadius(km float64, points ...LatLng) RadiusPredicate {
	return RadiusPredicate{Km: km, Points: slices.Clone(points)}
}

func (r RadiusPredicate) kind() string { return "radius" }

// String describes the predicate for people.
func (r RadiusPredicate) String() string {
	pts := make([]string, len(r.Points))
	for i, p := range r.Points {
		pts[i] = fmt.Sprintf("(%.3f, %.3f)", p.Lat, p.Lon)
	}
	return fmt.Sprintf("within %g km of %s", r.Km, orList(pts))
}

func validLatLng(p LatLng) bool {
	return !math.IsNaN(p.Lat) && !math.IsNaN(p.Lon) && math.Abs(p.Lat) <= 90 && math.Abs(p.Lon) <= 180
}

func (r RadiusPredicate) validate(field string) []error {
	var errs []error
	if math.IsNaN(r.Km) || r.Km <= 0 || r.Km > MaxRadiusKm {
		errs = append(errs, invalid(field+".km", "must be > 0 and <= %d, got %v", MaxRadiusKm, r.Km))
	}
	if len(r.Points) == 0 {
		errs = append(errs, invalid(field+".points", "needs at least one centre"))
	}
	for i, p := range r.Points {
		if !validLatLng(p) {
			errs = append(errs, invalid(fmt.Sprintf("%s.points[%d]", field, i), "needs |lat| <= 90 and |lon| <= 180, got (%v, %v)", p.Lat, p.Lon))
		}
	}
	return errs
}

// DistanceKm returns the great-circle distance between a and b in
// kilometres, by the haversine formula on a sphere of EarthRadiusKm. It
// is exact across the 180th meridian and at the poles.
func DistanceKm(a, b LatLng) float64 {
	const rad = math.Pi / 180
	la1, la2 := a.Lat*rad, b.Lat*rad
	dLat := la2 - la1
	dLon := (b.Lon - a.Lon) * rad
	h := hav(dLat) + math.Cos(la1)*math.Cos(la2)*hav(dLon)
	return 2 * EarthRadiusKm * math.Asin(math.Sqrt(math.Min(1, h)))
}

func hav(x float64) float64 { s := math.Sin(x / 2); return s * s }

func (r RadiusPredicate) compile(*evalEnv) matcher {
	// Compare haversine values instead of distances: h grows with
	// distance, so one threshold per query avoids asin and sqrt.
	const rad = math.Pi / 180
	type centre struct{ lat, cos, lon float64 }
	cs := make([]centre, len(r.Points))
	for i, p := range r.Points {
		cs[i] = centre{p.Lat * rad, math.Cos(p.Lat * rad), p.Lon * rad}
	}
	theta := r.Km / EarthRadiusKm
	limit := hav(math.Min(theta, math.Pi))
	return func(p *Profile) bool {
		if p.Location == nil || !validLatLng(*p.Location) {
			return false
		}
		lat, lon := p.Location.Lat*rad, p.Location.Lon*rad
		cosLat := math.Cos(lat)
		for _, c := range cs {
			h := hav(lat-c.lat) + c.cos*cosLat*hav(lon-c.lon)
			if h <= limit {
				return true
			}
		}
		return false
	}
}

// ---- reachability and lists ----

// ReachFlag names one of a profile's reachability flags.
type ReachFlag string

// Reachability flags.
const (
	HasPhone          ReachFlag = "has_phone"
	HasEmail          ReachFlag = "has_email"
	UnsubscribedEmail ReachFlag = "unsubscribed_email"
	UnsubscribedSMS   ReachFlag = "unsubscribed_sms"
)

// ReachPredicate matches profiles with a reachability flag set.
type ReachPredicate struct{ Flag ReachFlag }

// Flag matches profiles whose flag is set; use Not(Flag(UnsubscribedSMS))
// for "not unsubscribed".
func Flag(flag ReachFlag) ReachPredicate { return ReachPredicate{flag} }

func (r ReachPredicate) kind() string { return "reach" }

// String describes the predicate for people.
func (r ReachPredicate) String() string {
	switch r.Flag {
	case HasPhone:
		return "has a phone"
	case HasEmail:
		return "has an e-mail address"
	case UnsubscribedEmail:
		return "unsubscribed from e-mail"
	case UnsubscribedSMS:
		return "unsubscribed from SMS"
	}
	return string(r.Flag)
}
func (r ReachPredicate) validate(field string) []error {
	switch r.Flag {
	case HasPhone, HasEmail, UnsubscribedEmail, UnsubscribedSMS:
		return nil
	}
	return []error{invalid(field+".flag", "unknown reachability flag %q", r.Flag)}
}
func (r ReachPredicate) compile(*evalEnv) matcher {
	switch r.Flag {
	case HasPhone:
		return func(p *Profile) bool { return p.Reach.HasPhone }
	case HasEmail:
		return func(p *Profile) bool { return p.Reach.HasEmail }
	case UnsubscribedEmail:
		return func(p *Profile) bool { return p.Reach.UnsubscribedEmail }
	default:
		return func(p *Profile) bool { return p.Reach.UnsubscribedSMS }
	}
}

// ListPredicate matches profiles whose ID is in a custom list.
type ListPredicate struct {
	List string
	IDs  []string
}

// InList matches profiles whose ID is one of ids; list names the list for
// reports.
func InList(list string, ids ...string) ListPredicate {
	return ListPredicate{List: list, IDs: slices.Clone(ids)}
}

func (l ListPredicate) kind() string { return "list" }

// String describes the predicate for people.
func (l ListPredicate) String() string {
	return fmt.Sprintf("in list %q (%d ids)", l.List, len(l.IDs))
}
func (l ListPredicate) validate(field string) []error {
	var errs []error
	if strings.TrimSpace(l.List) == "" {
		errs = append(errs, invalid(field+".list", "is required"))
	}
	if len(l.IDs) == 0 {
		errs = append(errs, invalid(field+".ids", "needs at least one ID"))
	}
	return errs
}
func (l ListPredicate) compile(*evalEnv) matcher {
	set := make(map[string]struct{}, len(l.IDs))
	for _, id := range l.IDs {
		set[id] = struct{}{}
	}
	return func(p *Profile) bool { _, ok := set[p.ID]; return ok }
}
