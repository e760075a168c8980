package signedcall

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Clock is a time of day, minutes after local midnight, from 00:00 to
// 23:59. In JSON it is "HH:MM".
type Clock int

// At returns the Clock for hour h and minute m.
func At(h, m int) Clock { return Clock(h*60 + m) }

func (c Clock) valid() bool { return c >= 0 && c < 24*60 }

// String returns c as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// ParseClock parses HH:MM (24-hour): exactly two digits, a colon and two
// digits, from 00:00 to 23:59.
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[3]) || !isDigit(s[4]) {
		return 0, fmt.Errorf("signedcall: clock %q: want HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	if h > 23 || m > 59 {
		return 0, fmt.Errorf("signedcall: clock %q: want HH:MM between 00:00 and 23:59", s)
	}
	return At(h, m), nil
}

func isDigit(b byte) bool { return '0' <= b && b <= '9' }

// MarshalText implements encoding.TextMarshaler.
func (c Clock) MarshalText() ([]byte, error) {
	if !c.valid() {
		return nil, fmt.Errorf("signedcall: clock %d minutes is out of range", int(c))
	}
	return []byte(c.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (c *Clock) UnmarshalText(b []byte) error {
	v, err := ParseClock(string(b))
	if err != nil {
		return err
	}
	*c = v
	return nil
}

// Window is a daily do-not-disturb period [From, To) in local wall-clock
// time. When From > To the window crosses midnight: 21:00-09:00 covers
// t >= 21:00 or t < 09:00. From == To is rejected as ambiguous.
type Window struct {
	From Clock `json:"from"`
	To   Clock `json:"to"`
}

// Contains reports whether the time of day c falls inside w.
func (w Window) Contains(c Clock) bool {
	if w.From < w.To {
		return c >= w.From && c < w.To
	}
	return c >= w.From || c < w.To
}

// String returns w as HH:MM-HH:MM.
func (w Window) String() string { return w.From.String() + "-" + w.To.String() }

// DND is the campaign's mandatory do-not-disturb rule: whole weekdays
// with no calls, and daily windows with no calls, both read in the
// recipient's local time. A time is open when it is on none of Days and
// in none of Hours.
type DND struct {
	Days  []time.Weekday `json:"-"`
	Hours []Window       `json:"hours,omitempty"`
}

type dndJSON struct {
	Days  []string `json:"days,omitempty"`
	Hours []Window `json:"hours,omitempty"`
}

// MarshalJSON writes days as lower-case English names ("sunday").
func (d DND) MarshalJSON() ([]byte, error) {
	j := dndJSON{Hours: d.Hours}
	for _, wd := range d.Days {
		if wd < time.Sunday || wd > time.Saturday {
			return nil, fmt.Errorf("signedcall: weekday %d is out of range", int(wd))
		}
		j.Days = append(j.Days, strings.ToLower(wd.String()))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads the form MarshalJSON writes.
func (d *DND) UnmarshalJSON(b []byte) error {
	var j dndJSON
	if err := strictUnmarshal(b, &j); err != nil {
		return fmt.Errorf("signedcall: dnd: %w", err)
	}
	out := DND{Hours: j.Hours}
	for _, s := range j.Days {
		wd, ok := parseWeekday(s)
		if !ok {
			return fmt.Errorf("signedcall: dnd: unknown weekday %q", s)
		}
		out.Days = append(out.Days, wd)
	}
	*d = out
	return nil
}

func parseWeekday(s string) (time.Weekday, bool) {
	for wd := time.Sunday; wd <= time.Saturday; wd++ {
		if strings.EqualFold(s, wd.String()) {
			return wd, true
		}
	}
	return 0, false
}

// validate returns the rule violations of d under field.
func (d DND) validate(field string) []error {
	var errs []error
	if len(d.Days) == 0 && len(d.Hours) == 0 {
		errs = append(errs, invalid(field, "is required: give at least one weekday or hour window"))
	}
	seen := map[time.Weekday]bool{}
	for i, wd := range d.Days {
		if wd < time.Sunday || wd > time.Saturday {
			errs = append(errs, invalid(fmt.Sprintf("%s.days[%d]", field, i), "weekday %d is out of range", int(wd)))
			continue
		}
		seen[wd] = true
	}
	if len(seen) == 7 {
		errs = append(errs, invalid(field+".days", "closes every weekday, so no call could ever be placed"))
	}
	for i, w := range d.Hours {
		f := fmt.Sprintf("%s.hours[%d]", field, i)
		switch {
		case !w.From.valid() || !w.To.valid():
			errs = append(errs, invalid(f, "times must be between 00:00 and 23:59"))
		case w.From == w.To:
			errs = append(errs, invalid(f, "from == to (%s) is ambiguous: a window must have a start and a different end", w.From))
		}
	}
	if len(errs) == 0 && d.alwaysClosed() {
		errs = append(errs, invalid(field+".hours", "windows cover the whole day, so no call could ever be placed"))
	}
	return errs
}

// alwaysClosed reports whether the windows together cover every minute.
func (d DND) alwaysClosed() bool {
	for c := Clock(0); c < 24*60; c++ {
		if !d.closedAt(c) {
			return false
		}
	}
	return true
}

func (d DND) closedAt(c Clock) bool {
	for _, w := range d.Hours {
		if w.Contains(c) {
			return true
		}
	}
	return false
}

// Open reports whether a call may start at instant t for a recipient in
// loc: t's local weekday is not a DND day and its local time of day is in
// no DND window.
func (d DND) Open(t time.Time, loc *time.Location) bool {
	lt := t.In(loc)
	if slices.Contains(d.Days, lt.Weekday()) {
		return false
	}
	return !d.closedAt(clockOf(lt))
}

func clockOf(t time.Time) Clock { return Clock(t.Hour()*60 + t.Minute()) }

// NextOpen returns the earliest instant at or after t at which Open is
// true for loc. A DST gap is handled by the instants themselves: if the
// window ends at a wall time the clocks skip, the first open instant is
// the end of the gap. It returns false if no open instant exists within
// fifteen days, which only a DND that Validate rejects can cause.
func (d DND) NextOpen(t time.Time, loc *time.Location) (time.Time, bool) {
	bounds := d.boundaries()
	cur := t.In(loc)
	limit := t.AddDate(0, 0, nextOpenDays)
	for !cur.After(limit) {
		if d.Open(cur, loc) {
			return cur, true
		}
		cur = nextBoundary(cur, bounds, loc)
	}
	return time.Time{}, false
}

// nextOpenDays bounds NextOpen's search. A DND that validates is open for
// at least one minute of some weekday, so an open instant comes within a
// week, or within two when a DST change skips every open minute of that
// day (Sunday 02:00-03:00 only, on a spring-forward Sunday): fifteen
// days cover both.
const nextOpenDays = 15

// boundaries lists the times of day at which openness may change, sorted.
func (d DND) boundaries() []Clock {
	b := []Clock{0}
	for _, w := range d.Hours {
		b = append(b, w.From, w.To)
	}
	slices.Sort(b)
	return slices.Compact(b)
}

// nextBoundary returns the first instant after cur at which the local
// time of day reaches one of bounds or the zone's offset changes. Between
// two such instants both the weekday and the time of day move without
// crossing a boundary, so openness cannot change.
func nextBoundary(cur time.Time, bounds []Clock, loc *time.Location) time.Time {
	_, zoneEnd := cur.ZoneBounds()
	best := time.Time{}
	y, m, day := cur.Date()
	c := clockOf(cur)
	for dayOffset := 0; dayOffset <= 1 && best.IsZero(); dayOffset++ {
		for _, b := range bounds {
			if dayOffset == 0 && b <= c {
				continue
			}
			for _, inst := range wallInstants(y, m, day+dayOffset, int(b)/60, int(b)%60, loc) {
				if inst.After(cur) && (best.IsZero() || inst.Before(best)) {
					best = inst
				}
			}
			if !best.IsZero() {
				break
			}
		}
	}
	if best.IsZero() {
		// Two days without a boundary cannot happen (midnight is one),
		// but step a day rather than loop.
		best = cur.AddDate(0, 0, 1)
	}
	if !zoneEnd.IsZero() && zoneEnd.After(cur) && zoneEnd.Before(best) {
		best = zoneEnd.In(loc)
	}
	return best.In(loc)
}

// LocalTime returns the instant at which the wall clock in loc shows the
// given date and time, by the rules of this package: a wall time that a
// DST change skips moves forward by the length of the gap (02:30 on a
// spring-forward night in New York is 03:30 EDT), and a wall time that a
// DST change repeats means its first occurrence.
func LocalTime(loc *time.Location, year int, month time.Month, day, hour, minute int) time.Time {
	return wallInstants(year, month, day, hour, minute, loc)[0]
}

// wallInstants returns the instants, earliest first, at which loc's wall
// clock reads the given time: two in a repeated hour, one normally, and
// for a skipped time the single instant the gap rule gives. The date is
// normalised like time.Date does.
func wallInstants(year int, month time.Month, day, hour, minute int, loc *time.Location) []time.Time {
	naive := time.Date(year, month, day, hour, minute, 0, 0, time.UTC).Unix()
	// Offsets in force within a day either side cover every transition
	// that could apply to this wall time.
	var offsets []int
	for _, probe := range []int64{naive - 86400, naive, naive + 86400} {
		_, off := time.Unix(probe, 0).In(loc).Zone()
		if !slices.Contains(offsets, off) {
			offsets = append(offsets, off)
		}
	}
	var out []time.Time
	for _, off := range offsets {
		u := naive - int64(off)
		if _, got := time.Unix(u, 0).In(loc).Zone(); got == off {
			out = append(out, time.Unix(u, 0).In(loc))
		}
	}
	if len(out) == 0 {
		// Skipped wall time: read it with the offset in force before the
		// gap, which lands after the gap by exactly its length.
		before := offsetBefore(naive, offsets, loc)
		return []time.Time{time.Unix(naive-int64(before), 0).In(loc)}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(out, func(a, b time.Time) bool { return a.Equal(b) })
}

// offsetBefore finds the offset in force just before the gap that skips
// the naive wall time.
func offsetBefore(naive int64, offsets []int, loc *time.Location) int {
	// The gap's transition lies between naive-maxOff and naive-minOff.
	// The offset in force at the earlier of those is the one before it.
	lo := slices.Max(offsets)
	_, off := time.Unix(naive-int64(lo), 0).In(loc).Zone()
	return off
}
