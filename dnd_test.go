package signedcall

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
	_ "time/tzdata" // a machine without zoneinfo still has every zone
)

// Every expected instant in this file is written as a literal UTC time,
// computed by hand from the zone's UTC offsets and transition instants
// (tzdata 2025b rules, cross-checked with zdump):
//
//	Asia/Kolkata         +05:30 all year
//	Asia/Kathmandu       +05:45 all year
//	Pacific/Kiritimati   +14:00 all year
//	Europe/London        GMT +00 / BST +01; 2026-03-29 01:00Z, 2026-10-25 01:00Z
//	Europe/Berlin        CET +01 / CEST +02; 2026-03-29 01:00Z (02:00 CET -> 03:00 CEST),
//	                     2026-10-25 01:00Z (03:00 CEST -> 02:00 CET)
//	America/New_York     EST -05 / EDT -04; 2026-03-08 07:00Z (02:00 EST -> 03:00 EDT),
//	                     2026-11-01 06:00Z (02:00 EDT -> 01:00 EST)
//	America/St_Johns     NST -03:30 / NDT -02:30; 2026-03-08 05:30Z (02:00 -> 03:00)
//	America/Santiago     -04 / -03; 2026-04-05 03:00Z (24:00 -03 on 4 April -> 23:00 -04),
//	                     2026-09-06 04:00Z (00:00 -04 -> 01:00 -03)
//	Africa/Casablanca    +01, +00 in Ramadan; 2026-02-15 02:00Z (03:00 +01 -> 02:00 +00),
//	                     2026-03-22 02:00Z (02:00 +00 -> 03:00 +01)
//	Pacific/Auckland     NZST +12 / NZDT +13; 2026-04-05 14:00Z on 4 April, 2026-09-26 14:00Z
//	Australia/Lord_Howe  +10:30 / +11:00 (half-hour DST, rule changes at 02:00 wall time):
//	                     2026-04-05 02:00 +11 -> 01:30 +10:30 at 2026-04-04 15:00Z,
//	                     2026-10-04 02:00 +10:30 -> 02:30 +11 at 2026-10-03 15:30Z
//	Pacific/Chatham      +12:45 / +13:45 (rule changes at 02:45 standard time):
//	                     2026-04-05 03:45 +13:45 -> 02:45 +12:45 at 2026-04-04 14:00Z,
//	                     2026-09-27 02:45 +12:45 -> 03:45 +13:45 at 2026-09-26 14:00Z
//
// Weekdays used: 2026-03-22, 03-29, 04-05, 06-07, 09-06, 09-27, 10-04,
// 10-25 and 11-01 are Sundays; 2026-03-28, 04-04, 06-06, 09-05 are
// Saturdays; 2026-06-08 is a Monday; 2026-01-14 and 06-10 are Wednesdays.

func dndLoc(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("LoadLocation(%q): %v", name, err)
	}
	return loc
}

func utc(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.UTC)
}

// win builds a window from "HH:MM" strings, failing the test on bad input.
func win(t testing.TB, from, to string) Window {
	t.Helper()
	f, err := ParseClock(from)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ParseClock(to)
	if err != nil {
		t.Fatal(err)
	}
	return Window{From: f, To: e}
}

func TestClockParse(t *testing.T) {
	good := []struct {
		in   string
		want Clock
	}{
		{"00:00", 0},
		{"00:01", 1},
		{"09:00", 9 * 60},
		{"12:30", 12*60 + 30},
		{"21:00", 21 * 60},
		{"23:59", 23*60 + 59},
	}
	for _, tc := range good {
		got, err := ParseClock(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseClock(%q) = %d, %v, want %d, nil", tc.in, got, err, tc.want)
		}
		if s := got.String(); s != tc.in {
			t.Errorf("ParseClock(%q).String() = %q, want %q", tc.in, s, tc.in)
		}
	}
	for _, in := range []string{
		"", "24:00", "9:00", "09:60", "23:60", "99:99", "0900", "09-00", "09:00 ",
		" 9:00", "+9:00", "-1:00", "09:0x", "0x:10", "09:+1", "09: 1", "-0:00", "９:00", "09:00:00", "ab:cd",
	} {
		if got, err := ParseClock(in); err == nil {
			t.Errorf("ParseClock(%q) = %v, nil, want an error", in, got)
		}
	}
}

func TestClockAt(t *testing.T) {
	if got, want := At(21, 30), Clock(21*60+30); got != want {
		t.Errorf("At(21, 30) = %d, want %d", got, want)
	}
	if got, want := At(9, 5).String(), "09:05"; got != want {
		t.Errorf("At(9, 5).String() = %q, want %q", got, want)
	}
	if got, want := (Window{At(21, 0), At(9, 0)}).String(), "21:00-09:00"; got != want {
		t.Errorf("Window.String() = %q, want %q", got, want)
	}
}

func TestClockJSON(t *testing.T) {
	for _, c := range []Clock{0, 1, At(9, 0), At(12, 30), At(23, 59)} {
		b, err := json.Marshal(c)
		if err != nil {
			t.Errorf("json.Marshal(Clock %d): %v", int(c), err)
			continue
		}
		if want := `"` + c.String() + `"`; string(b) != want {
			t.Errorf("json.Marshal(Clock %d) = %s, want %s", int(c), b, want)
		}
		var back Clock
		if err := json.Unmarshal(b, &back); err != nil || back != c {
			t.Errorf("json.Unmarshal(%s) = %d, %v, want %d", b, back, err, int(c))
		}
	}
	for _, c := range []Clock{-1, 24 * 60, 10000} {
		if b, err := json.Marshal(c); err == nil {
			t.Errorf("json.Marshal(Clock %d) = %s, nil, want an error", int(c), b)
		}
	}
	for _, in := range []string{`"24:00"`, `"9:00"`, `""`, `540`, `"09:00 "`, `null`} {
		c := Clock(7)
		err := json.Unmarshal([]byte(in), &c)
		if in == `null` {
			// null leaves a value untouched, as encoding/json does.
			if err != nil || c != 7 {
				t.Errorf("json.Unmarshal(null) = %d, %v, want 7, nil", c, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("json.Unmarshal(%s) into Clock = %d, nil, want an error", in, c)
		}
	}

	w := Window{From: At(21, 0), To: At(9, 0)}
	b, err := json.Marshal(w)
	if err != nil || string(b) != `{"from":"21:00","to":"09:00"}` {
		t.Errorf("json.Marshal(%v) = %s, %v, want {\"from\":\"21:00\",\"to\":\"09:00\"}", w, b, err)
	}
	var wb Window
	if err := json.Unmarshal(b, &wb); err != nil || wb != w {
		t.Errorf("json.Unmarshal(%s) = %v, %v, want %v", b, wb, err, w)
	}

	d := DND{Days: []time.Weekday{time.Sunday, time.Saturday}, Hours: []Window{w, {At(12, 0), At(13, 0)}}}
	b, err = json.Marshal(d)
	want := `{"days":["sunday","saturday"],"hours":[{"from":"21:00","to":"09:00"},{"from":"12:00","to":"13:00"}]}`
	if err != nil || string(b) != want {
		t.Errorf("json.Marshal(DND) = %s, %v, want %s", b, err, want)
	}
	var db DND
	if err := json.Unmarshal(b, &db); err != nil {
		t.Fatalf("json.Unmarshal(%s): %v", b, err)
	}
	if fmt.Sprint(db) != fmt.Sprint(d) {
		t.Errorf("DND round trip = %v, want %v", db, d)
	}
	if err := json.Unmarshal([]byte(`{"days":["Sunday"]}`), &db); err != nil || len(db.Days) != 1 || db.Days[0] != time.Sunday || db.Hours != nil {
		t.Errorf(`json.Unmarshal({"days":["Sunday"]}) = %v, %v, want {[Sunday] []}`, db, err)
	}
	for _, in := range []string{
		`{"days":["funday"]}`,
		`{"days":["sunday"],"extra":1}`,
		`{"hours":[{"from":"21:00","to":"24:00"}]}`,
		`{"hours":[{"from":"21:00","to":"09:00","x":1}]}`,
		`{"days":["sunday"]} {}`,
	} {
		if err := json.Unmarshal([]byte(in), &db); err == nil {
			t.Errorf("json.Unmarshal(%s) into DND = %v, nil, want an error", in, db)
		}
	}
	if b, err := json.Marshal(DND{Days: []time.Weekday{7}}); err == nil {
		t.Errorf("json.Marshal(DND with weekday 7) = %s, nil, want an error", b)
	}
}

func TestWindowContains(t *testing.T) {
	cases := []struct {
		w    string // from-to
		at   string
		want bool
	}{
		// Crossing midnight: 21:00-09:00 is c >= 21:00 or c < 09:00.
		{"21:00-09:00", "00:30", true},
		{"21:00-09:00", "08:59", true},
		{"21:00-09:00", "09:00", false}, // end excluded
		{"21:00-09:00", "20:59", false},
		{"21:00-09:00", "21:00", true}, // start included
		{"21:00-09:00", "00:00", true},
		{"21:00-09:00", "23:59", true},
		{"21:00-09:00", "12:00", false},
		// Within a day.
		{"12:00-13:00", "11:59", false},
		{"12:00-13:00", "12:00", true},
		{"12:00-13:00", "12:59", true},
		{"12:00-13:00", "13:00", false},
		// Ending at midnight.
		{"22:00-00:00", "21:59", false},
		{"22:00-00:00", "22:00", true},
		{"22:00-00:00", "23:59", true},
		{"22:00-00:00", "00:00", false},
		// Starting at midnight.
		{"00:00-06:00", "00:00", true},
		{"00:00-06:00", "05:59", true},
		{"00:00-06:00", "06:00", false},
		{"00:00-06:00", "23:59", false},
		// One minute long, crossing midnight.
		{"23:59-00:00", "23:59", true},
		{"23:59-00:00", "00:00", false},
		{"23:59-00:00", "23:58", false},
	}
	for _, tc := range cases {
		w := win(t, tc.w[:5], tc.w[6:])
		c, err := ParseClock(tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := w.Contains(c); got != tc.want {
			t.Errorf("Window(%s).Contains(%s) = %v, want %v", tc.w, tc.at, got, tc.want)
		}
	}
}

func TestDNDOpen(t *testing.T) {
	night := []Window{{At(21, 0), At(9, 0)}}
	cases := []struct {
		name string
		zone string
		dnd  DND
		at   time.Time
		want bool
	}{
		// Asia/Kolkata is UTC+05:30, so UTC = IST - 5:30.
		{"00:30 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 9, 19, 0), false},  // 2026-06-10 00:30 - 5:30
		{"08:59 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 3, 29), false}, // 08:59 - 5:30
		{"08:59:59 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 3, 29).Add(59 * time.Second), false},
		{"09:00 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 3, 30), true},  // 09:00 - 5:30
		{"20:59 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 15, 29), true}, // 20:59 - 5:30
		{"20:59:59.999 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 15, 29).Add(59*time.Second + 999*time.Millisecond), true},
		{"21:00 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 15, 30), false}, // 21:00 - 5:30
		// 16:30Z is 22:00 IST: closed, although 16:30 in UTC would be open.
		{"16:30Z = 22:00 IST", "Asia/Kolkata", DND{Hours: night}, utc(2026, 6, 10, 16, 30), false},
		// Same instant in UTC itself is open.
		{"16:30Z in UTC", "UTC", DND{Hours: night}, utc(2026, 6, 10, 16, 30), true},
		// Kathmandu +05:45: 03:15Z is 09:00, 03:14Z is 08:59.
		{"09:00 Kathmandu", "Asia/Kathmandu", DND{Hours: night}, utc(2026, 6, 10, 3, 15), true},
		{"08:59 Kathmandu", "Asia/Kathmandu", DND{Hours: night}, utc(2026, 6, 10, 3, 14), false},

		// Days are read in the recipient's zone. Pacific/Auckland in June is
		// NZST +12: 2026-06-06 22:00Z (Saturday in UTC) is Sunday 10:00.
		{"Sunday 10:00 Auckland, Saturday UTC", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 6, 22, 0), false},
		{"Saturday 23:59 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 6, 11, 59), true},
		{"Sunday 00:00 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 6, 12, 0), false},
		{"Sunday 23:59 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 7, 11, 59), false},
		{"Monday 00:00 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 7, 12, 0), true},
		// The other way round: 2026-06-07 02:00Z is Sunday in UTC but
		// Saturday 22:00 EDT (-4) in New York.
		{"Saturday 22:00 New York, Sunday UTC", "America/New_York", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 7, 2, 0), true},
		{"Sunday 00:00 New York", "America/New_York", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 6, 7, 4, 0), false},
		// Days and hours together.
		{"Monday 08:00 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}, Hours: night}, utc(2026, 6, 7, 20, 0), false},
		{"Monday 09:00 Auckland", "Pacific/Auckland", DND{Days: []time.Weekday{time.Sunday}, Hours: night}, utc(2026, 6, 7, 21, 0), true},

		// Europe/Berlin spring forward: 01:00Z is 03:00 CEST, 00:59Z is
		// 01:59 CET. Under 01:00-02:30 the first is open, the second not.
		{"01:59 CET 29 March", "Europe/Berlin", DND{Hours: []Window{{At(1, 0), At(2, 30)}}}, utc(2026, 3, 29, 0, 59), false},
		{"03:00 CEST 29 March", "Europe/Berlin", DND{Hours: []Window{{At(1, 0), At(2, 30)}}}, utc(2026, 3, 29, 1, 0), true},
		// Berlin fall back: 00:10Z is 02:10 CEST, 01:10Z is 02:10 CET; both
		// read 02:10 and both are inside 02:00-02:30.
		{"02:10 CEST 25 October", "Europe/Berlin", DND{Hours: []Window{{At(2, 0), At(2, 30)}}}, utc(2026, 10, 25, 0, 10), false},
		{"02:10 CET 25 October", "Europe/Berlin", DND{Hours: []Window{{At(2, 0), At(2, 30)}}}, utc(2026, 10, 25, 1, 10), false},
		{"02:40 CEST 25 October", "Europe/Berlin", DND{Hours: []Window{{At(2, 0), At(2, 30)}}}, utc(2026, 10, 25, 0, 40), true},
		// Santiago skips Sunday 00:00-01:00 on 6 September: 04:00Z is
		// Sunday 01:00 -03, 03:59Z is Saturday 23:59 -04.
		{"Saturday 23:59 Santiago", "America/Santiago", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 9, 6, 3, 59), true},
		{"Sunday 01:00 Santiago", "America/Santiago", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 9, 6, 4, 0), false},
		// Santiago repeats Saturday 23:00-24:00 on 4 April: 03:30Z is the
		// second 23:30 (-04), still Saturday.
		{"second Saturday 23:30 Santiago", "America/Santiago", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 4, 5, 3, 30), true},
		{"Sunday 00:00 -04 Santiago", "America/Santiago", DND{Days: []time.Weekday{time.Sunday}}, utc(2026, 4, 5, 4, 0), false},
	}
	for _, tc := range cases {
		loc := dndLoc(t, tc.zone)
		if got := tc.dnd.Open(tc.at, loc); got != tc.want {
			t.Errorf("Open(%s %s, %v) = %v, want %v", tc.name, tc.zone, tc.at.Format(time.RFC3339Nano), got, tc.want)
		}
	}
}

func TestNextOpen(t *testing.T) {
	night := []Window{{At(22, 0), At(8, 0)}}
	sunday := []time.Weekday{time.Sunday}
	weekdaysButSunday := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	cases := []struct {
		name string
		zone string
		dnd  DND
		from time.Time
		want time.Time
	}{
		// London in June is BST +01: 23:00 BST = 22:00Z; 08:00 BST next day = 07:00Z.
		{"23:00 BST", "Europe/London", DND{Hours: night}, utc(2026, 6, 10, 22, 0), utc(2026, 6, 11, 7, 0)},
		// January is GMT +00: 23:00 GMT = 23:00Z; 08:00 next day = 08:00Z.
		{"23:00 GMT", "Europe/London", DND{Hours: night}, utc(2026, 1, 14, 23, 0), utc(2026, 1, 15, 8, 0)},
		// Across fall back: 23:00 BST 24 Oct = 22:00Z; 08:00 GMT 25 Oct =
		// 08:00Z, ten hours later, not nine.
		{"23:00 BST before fall back", "Europe/London", DND{Hours: night}, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 8, 0)},
		// Across spring forward: 23:00 GMT 28 Mar = 23:00Z; 08:00 BST 29 Mar = 07:00Z.
		{"23:00 GMT before spring forward", "Europe/London", DND{Hours: night}, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 7, 0)},
		// Already open: the instant itself, sub-second part kept.
		{"12:00 BST open", "Europe/London", DND{Hours: night}, utc(2026, 6, 10, 11, 0), utc(2026, 6, 10, 11, 0)},
		{"12:00:00.5 BST open", "Europe/London", DND{Hours: night}, utc(2026, 6, 10, 11, 0).Add(500 * time.Millisecond), utc(2026, 6, 10, 11, 0).Add(500 * time.Millisecond)},
		// 07:59:30 BST = 06:59:30Z is closed; 08:00 BST = 07:00Z.
		{"07:59:30 BST", "Europe/London", DND{Hours: night}, utc(2026, 6, 11, 6, 59).Add(30 * time.Second), utc(2026, 6, 11, 7, 0)},
		// At the window's start: 22:00 BST = 21:00Z is closed.
		{"22:00 BST", "Europe/London", DND{Hours: night}, utc(2026, 6, 10, 21, 0), utc(2026, 6, 11, 7, 0)},

		// Berlin spring forward, 29 March: 02:00 CET (01:00Z) -> 03:00 CEST.
		// 01:15 CET = 00:15Z is inside 01:00-02:30; 02:30 does not exist,
		// the first open instant is the end of the gap, 03:00 CEST = 01:00Z.
		{"window ends in gap", "Europe/Berlin", DND{Hours: []Window{{At(1, 0), At(2, 30)}}}, utc(2026, 3, 29, 0, 15), utc(2026, 3, 29, 1, 0)},
		// Ending exactly at the end of the gap: 03:00 CEST = 01:00Z.
		{"window ends at gap end", "Europe/Berlin", DND{Hours: []Window{{At(1, 0), At(3, 0)}}}, utc(2026, 3, 29, 0, 15), utc(2026, 3, 29, 1, 0)},
		// Ending after the gap: 22:00-08:00 from 23:30 CET 28 March (22:30Z)
		// opens at 08:00 CEST = 06:00Z.
		{"night across spring forward", "Europe/Berlin", DND{Hours: night}, utc(2026, 3, 28, 22, 30), utc(2026, 3, 29, 6, 0)},
		// Starting inside the gap: 02:30-06:00 is closed at 03:00 CEST
		// (01:00Z) and opens at 06:00 CEST = 04:00Z; at 01:59 CET (00:59Z)
		// it is still open.
		{"window starts in gap", "Europe/Berlin", DND{Hours: []Window{{At(2, 30), At(6, 0)}}}, utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 4, 0)},
		{"before window starting in gap", "Europe/Berlin", DND{Hours: []Window{{At(2, 30), At(6, 0)}}}, utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 0, 59)},
		// Berlin fall back, 25 October: 03:00 CEST (01:00Z) -> 02:00 CET.
		// 02:10 CEST = 00:10Z inside 02:00-02:30 opens at 02:30 CEST = 00:30Z.
		{"first 02:10", "Europe/Berlin", DND{Hours: []Window{{At(2, 0), At(2, 30)}}}, utc(2026, 10, 25, 0, 10), utc(2026, 10, 25, 0, 30)},
		// 02:10 CET = 01:10Z (the repeat) opens at 02:30 CET = 01:30Z.
		{"second 02:10", "Europe/Berlin", DND{Hours: []Window{{At(2, 0), At(2, 30)}}}, utc(2026, 10, 25, 1, 10), utc(2026, 10, 25, 1, 30)},
		// 02:30-03:00: at 02:45 CEST (00:45Z) closed; 03:00 CEST never
		// shows, the clock goes back to 02:00 CET at 01:00Z, which is open.
		{"window end repeated away", "Europe/Berlin", DND{Hours: []Window{{At(2, 30), At(3, 0)}}}, utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 1, 0)},

		// Auckland NZST +12: Sunday and 21:00-09:00. From Sunday 10:00
		// (Saturday 22:00Z) the next open time is Monday 09:00 NZST = Sunday 21:00Z.
		{"closed Sunday", "Pacific/Auckland", DND{Days: sunday, Hours: []Window{{At(21, 0), At(9, 0)}}}, utc(2026, 6, 6, 22, 0), utc(2026, 6, 7, 21, 0)},
		// From Saturday 21:30 NZST (09:30Z) over the night and Sunday.
		{"Saturday night then Sunday", "Pacific/Auckland", DND{Days: sunday, Hours: []Window{{At(21, 0), At(9, 0)}}}, utc(2026, 6, 6, 9, 30), utc(2026, 6, 7, 21, 0)},

		// Lord_Howe 4 October: 02:00 +10:30 (15:30Z on the 3rd) -> 02:30 +11.
		// 01:00-02:15 from 01:30 +10:30 (15:00Z) opens at the transition,
		// 02:30 +11 = 15:30Z.
		{"Lord_Howe gap", "Australia/Lord_Howe", DND{Hours: []Window{{At(1, 0), At(2, 15)}}}, utc(2026, 10, 3, 15, 0), utc(2026, 10, 3, 15, 30)},
		// 01:00-02:45 opens at 02:45 +11 = 15:45Z.
		{"Lord_Howe after gap", "Australia/Lord_Howe", DND{Hours: []Window{{At(1, 0), At(2, 45)}}}, utc(2026, 10, 3, 15, 0), utc(2026, 10, 3, 15, 45)},
		// Lord_Howe 5 April: 02:00 +11 (15:00Z on the 4th) -> 01:30 +10:30.
		// 01:45-02:00 from 01:50 +11 (14:50Z): 02:00 +11 never shows, the
		// clock reads 01:30 at 15:00Z, open.
		{"Lord_Howe repeat, first", "Australia/Lord_Howe", DND{Hours: []Window{{At(1, 45), At(2, 0)}}}, utc(2026, 4, 4, 14, 50), utc(2026, 4, 4, 15, 0)},
		// From the second 01:45 (+10:30 = 15:15Z) it opens at 02:00 +10:30 = 15:30Z.
		{"Lord_Howe repeat, second", "Australia/Lord_Howe", DND{Hours: []Window{{At(1, 45), At(2, 0)}}}, utc(2026, 4, 4, 15, 15), utc(2026, 4, 4, 15, 30)},

		// Chatham 27 September: 02:45 +12:45 (14:00Z on the 26th) -> 03:45 +13:45.
		// 22:00-03:00 from 23:00 +12:45 (10:15Z): 03:00 never shows; open at
		// the transition, 03:45 +13:45 = 14:00Z.
		{"Chatham gap", "Pacific/Chatham", DND{Hours: []Window{{At(22, 0), At(3, 0)}}}, utc(2026, 9, 26, 10, 15), utc(2026, 9, 26, 14, 0)},
		// 22:00-04:00 opens at 04:00 +13:45 = 14:15Z.
		{"Chatham after gap", "Pacific/Chatham", DND{Hours: []Window{{At(22, 0), At(4, 0)}}}, utc(2026, 9, 26, 10, 15), utc(2026, 9, 26, 14, 15)},
		// Chatham 5 April: 03:45 +13:45 (14:00Z on the 4th) -> 02:45 +12:45.
		// 03:00-03:45 from 03:10 +13:45 (13:25Z): 03:45 +13:45 never shows;
		// at 14:00Z the clock reads 02:45, open.
		{"Chatham repeat", "Pacific/Chatham", DND{Hours: []Window{{At(3, 0), At(3, 45)}}}, utc(2026, 4, 4, 13, 25), utc(2026, 4, 4, 14, 0)},

		// Santiago 6 September: Sunday 00:00 -04 (04:00Z) -> 01:00 -03.
		// Closed on Saturday, from Saturday 23:30 -04 (03:30Z) the first
		// Sunday instant is 01:00 -03 = 04:00Z.
		{"Santiago midnight gap", "America/Santiago", DND{Days: []time.Weekday{time.Saturday}}, utc(2026, 9, 6, 3, 30), utc(2026, 9, 6, 4, 0)},
		// Santiago 4 April: 24:00 -03 (03:00Z) -> Saturday 23:00 -04. Closed
		// on Saturday, from 23:30 -03 (02:30Z) the clock goes back into
		// Saturday; Sunday starts at 00:00 -04 = 04:00Z.
		{"Santiago repeated Saturday hour", "America/Santiago", DND{Days: []time.Weekday{time.Saturday}}, utc(2026, 4, 5, 2, 30), utc(2026, 4, 5, 4, 0)},

		// Only Sunday 02:00-03:00 is open (closed Monday to Saturday and
		// 03:00-02:00). In Berlin that hour does not exist on 29 March, so
		// from Sunday 22 March 03:00 CET (02:00Z) the next open instant is
		// Sunday 5 April 02:00 CEST = 00:00Z, almost two weeks later.
		{"only open hour skipped by DST", "Europe/Berlin", DND{Days: weekdaysButSunday, Hours: []Window{{At(3, 0), At(2, 0)}}}, utc(2026, 3, 22, 2, 0), utc(2026, 4, 5, 0, 0)},
		// From Saturday 28 March 00:00 CET (27 March 23:00Z): eight days and an hour.
		{"only open hour skipped by DST, from Saturday", "Europe/Berlin", DND{Days: weekdaysButSunday, Hours: []Window{{At(3, 0), At(2, 0)}}}, utc(2026, 3, 27, 23, 0), utc(2026, 4, 5, 0, 0)},
		// Only Sunday 02:00-03:00 in London: GMT 02:00 on 22 March = 02:00Z is open.
		{"only open hour, normal week", "Europe/London", DND{Days: weekdaysButSunday, Hours: []Window{{At(3, 0), At(2, 0)}}}, utc(2026, 3, 16, 12, 0), utc(2026, 3, 22, 2, 0)},
	}
	for _, tc := range cases {
		loc := dndLoc(t, tc.zone)
		if errs := tc.dnd.validate("dnd"); len(errs) > 0 {
			t.Fatalf("%s: test DND does not validate: %v", tc.name, errs)
		}
		got, ok := tc.dnd.NextOpen(tc.from, loc)
		if !ok || !got.Equal(tc.want) {
			t.Errorf("NextOpen(%s: %v %s) = %v, %v, want %v, true", tc.name, tc.from.Format(time.RFC3339Nano), tc.zone,
				got.UTC().Format(time.RFC3339Nano), ok, tc.want.Format(time.RFC3339Nano))
		}
		if ok && got.Location() != loc {
			t.Errorf("NextOpen(%s) location = %v, want %v", tc.name, got.Location(), loc)
		}
	}
}

func TestNextOpenNever(t *testing.T) {
	loc := dndLoc(t, "Asia/Kolkata")
	all := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	for _, d := range []DND{
		{Days: all},
		{Hours: []Window{{At(0, 0), At(12, 0)}, {At(12, 0), At(0, 0)}}},
		{Hours: []Window{{At(9, 0), At(9, 0)}}}, // rejected by validate; Contains is always true
	} {
		from := utc(2026, 6, 10, 12, 0)
		if got, ok := d.NextOpen(from, loc); ok {
			t.Errorf("NextOpen(%v) with DND %v = %v, true, want false", from, d, got)
		}
	}
}

func TestLocalTime(t *testing.T) {
	cases := []struct {
		zone      string
		y         int
		mo        time.Month
		d, hh, mm int
		want      time.Time
		why       string
	}{
		// New York spring forward 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z.
		{"America/New_York", 2026, 3, 8, 2, 30, utc(2026, 3, 8, 7, 30), "skipped: 03:30 EDT = 03:30+4"},
		{"America/New_York", 2026, 3, 8, 2, 0, utc(2026, 3, 8, 7, 0), "skipped: 03:00 EDT"},
		{"America/New_York", 2026, 3, 8, 2, 59, utc(2026, 3, 8, 7, 59), "skipped: 03:59 EDT"},
		{"America/New_York", 2026, 3, 8, 1, 59, utc(2026, 3, 8, 6, 59), "01:59 EST = 01:59+5"},
		{"America/New_York", 2026, 3, 8, 3, 0, utc(2026, 3, 8, 7, 0), "03:00 EDT = 03:00+4"},
		// New York fall back 2026-11-01: 02:00 EDT -> 01:00 EST at 06:00Z.
		{"America/New_York", 2026, 11, 1, 1, 30, utc(2026, 11, 1, 5, 30), "repeated: first, 01:30 EDT = 01:30+4"},
		{"America/New_York", 2026, 11, 1, 1, 0, utc(2026, 11, 1, 5, 0), "repeated: first, 01:00 EDT"},
		{"America/New_York", 2026, 11, 1, 1, 59, utc(2026, 11, 1, 5, 59), "repeated: first, 01:59 EDT"},
		{"America/New_York", 2026, 11, 1, 0, 59, utc(2026, 11, 1, 4, 59), "00:59 EDT = 00:59+4"},
		{"America/New_York", 2026, 11, 1, 2, 0, utc(2026, 11, 1, 7, 0), "02:00 EST = 02:00+5"},
		// Normalisation like time.Date: 32 March is 1 April, EDT.
		{"America/New_York", 2026, 3, 32, 12, 0, utc(2026, 4, 1, 16, 0), "1 April 12:00 EDT"},

		// Lord_Howe 2026-10-04: 02:00 +10:30 -> 02:30 +11 at 15:30Z on the 3rd.
		{"Australia/Lord_Howe", 2026, 10, 4, 2, 0, utc(2026, 10, 3, 15, 30), "skipped: 02:30 +11 = 02:30-11:00"},
		{"Australia/Lord_Howe", 2026, 10, 4, 2, 15, utc(2026, 10, 3, 15, 45), "skipped: +30m, 02:45 +11"},
		{"Australia/Lord_Howe", 2026, 10, 4, 2, 29, utc(2026, 10, 3, 15, 59), "skipped: 02:59 +11"},
		{"Australia/Lord_Howe", 2026, 10, 4, 2, 30, utc(2026, 10, 3, 15, 30), "02:30 +11"},
		{"Australia/Lord_Howe", 2026, 10, 4, 1, 59, utc(2026, 10, 3, 15, 29), "01:59 +10:30"},
		// Lord_Howe 2026-04-05: 02:00 +11 -> 01:30 +10:30 at 15:00Z on the 4th.
		{"Australia/Lord_Howe", 2026, 4, 5, 1, 30, utc(2026, 4, 4, 14, 30), "repeated: first, 01:30 +11"},
		{"Australia/Lord_Howe", 2026, 4, 5, 1, 45, utc(2026, 4, 4, 14, 45), "repeated: first, 01:45 +11"},
		{"Australia/Lord_Howe", 2026, 4, 5, 1, 59, utc(2026, 4, 4, 14, 59), "repeated: first, 01:59 +11"},
		{"Australia/Lord_Howe", 2026, 4, 5, 1, 29, utc(2026, 4, 4, 14, 29), "01:29 +11, before the repeat"},
		{"Australia/Lord_Howe", 2026, 4, 5, 2, 0, utc(2026, 4, 4, 15, 30), "02:00 +10:30, only once"},

		// Chatham 2026-09-27: 02:45 +12:45 -> 03:45 +13:45 at 14:00Z on the 26th.
		{"Pacific/Chatham", 2026, 9, 27, 2, 45, utc(2026, 9, 26, 14, 0), "skipped: 03:45 +13:45"},
		{"Pacific/Chatham", 2026, 9, 27, 3, 0, utc(2026, 9, 26, 14, 15), "skipped: 04:00 +13:45"},
		{"Pacific/Chatham", 2026, 9, 27, 3, 44, utc(2026, 9, 26, 14, 59), "skipped: 04:44 +13:45"},
		{"Pacific/Chatham", 2026, 9, 27, 3, 45, utc(2026, 9, 26, 14, 0), "03:45 +13:45"},
		{"Pacific/Chatham", 2026, 9, 27, 2, 44, utc(2026, 9, 26, 13, 59), "02:44 +12:45"},
		// Chatham 2026-04-05: 03:45 +13:45 -> 02:45 +12:45 at 14:00Z on the 4th.
		{"Pacific/Chatham", 2026, 4, 5, 2, 45, utc(2026, 4, 4, 13, 0), "repeated: first, 02:45 +13:45"},
		{"Pacific/Chatham", 2026, 4, 5, 3, 0, utc(2026, 4, 4, 13, 15), "repeated: first, 03:00 +13:45"},
		{"Pacific/Chatham", 2026, 4, 5, 3, 44, utc(2026, 4, 4, 13, 59), "repeated: first, 03:44 +13:45"},
		{"Pacific/Chatham", 2026, 4, 5, 3, 45, utc(2026, 4, 4, 15, 0), "03:45 +12:45, only once"},
		{"Pacific/Chatham", 2026, 4, 5, 2, 44, utc(2026, 4, 4, 12, 59), "02:44 +13:45"},

		// Santiago 2026-09-06: midnight skipped, 00:00 -04 -> 01:00 -03 at 04:00Z.
		{"America/Santiago", 2026, 9, 6, 0, 0, utc(2026, 9, 6, 4, 0), "skipped midnight: 01:00 -03"},
		{"America/Santiago", 2026, 9, 6, 0, 30, utc(2026, 9, 6, 4, 30), "skipped: 01:30 -03"},
		// Santiago 2026-04-04: 24:00 -03 -> 23:00 -04 at 03:00Z on the 5th.
		{"America/Santiago", 2026, 4, 4, 23, 30, utc(2026, 4, 5, 2, 30), "repeated: first, 23:30 -03"},
		{"America/Santiago", 2026, 4, 5, 0, 0, utc(2026, 4, 5, 4, 0), "00:00 -04"},
		// St John's 2026-03-08: 02:00 NST -> 03:00 NDT at 05:30Z.
		{"America/St_Johns", 2026, 3, 8, 2, 30, utc(2026, 3, 8, 6, 0), "skipped: 03:30 NDT = 03:30+2:30"},
		// Casablanca 2026-03-22: 02:00 +00 -> 03:00 +01 at 02:00Z.
		{"Africa/Casablanca", 2026, 3, 22, 2, 30, utc(2026, 3, 22, 2, 30), "skipped: 03:30 +01"},
		// Casablanca 2026-02-15: 03:00 +01 -> 02:00 +00 at 02:00Z.
		{"Africa/Casablanca", 2026, 2, 15, 2, 30, utc(2026, 2, 15, 1, 30), "repeated: first, 02:30 +01"},
		// Fixed offsets.
		{"Asia/Kolkata", 2026, 6, 10, 9, 0, utc(2026, 6, 10, 3, 30), "09:00 -5:30"},
		{"Asia/Kathmandu", 2026, 6, 10, 9, 0, utc(2026, 6, 10, 3, 15), "09:00 -5:45"},
		{"Pacific/Kiritimati", 2026, 1, 1, 0, 0, utc(2025, 12, 31, 10, 0), "00:00 -14"},
		{"UTC", 2026, 3, 8, 2, 30, utc(2026, 3, 8, 2, 30), "UTC"},
	}
	for _, tc := range cases {
		loc := dndLoc(t, tc.zone)
		got := LocalTime(loc, tc.y, tc.mo, tc.d, tc.hh, tc.mm)
		if !got.Equal(tc.want) {
			t.Errorf("LocalTime(%s, %04d-%02d-%02d %02d:%02d) = %v, want %v (%s)", tc.zone, tc.y, tc.mo, tc.d, tc.hh, tc.mm,
				got.UTC().Format(time.RFC3339), tc.want.Format(time.RFC3339), tc.why)
		}
		if got.Location() != loc {
			t.Errorf("LocalTime(%s, ...) location = %v, want %v", tc.zone, got.Location(), loc)
		}
	}
}

func TestDNDValidate(t *testing.T) {
	night := Window{At(21, 0), At(9, 0)}
	all := []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	cases := []struct {
		name   string
		dnd    DND
		fields []string // fields of the expected errors, in order; nil = valid
	}{
		{"from == to", DND{Hours: []Window{{At(9, 0), At(9, 0)}}}, []string{"delivery.dnd.hours[0]"}},
		{"second window from == to", DND{Hours: []Window{night, {At(0, 0), At(0, 0)}}}, []string{"delivery.dnd.hours[1]"}},
		{"empty", DND{}, []string{"delivery.dnd"}},
		{"empty slices", DND{Days: []time.Weekday{}, Hours: []Window{}}, []string{"delivery.dnd"}},
		{"all seven days", DND{Days: all}, []string{"delivery.dnd.days"}},
		{"all seven days and a window", DND{Days: all, Hours: []Window{night}}, []string{"delivery.dnd.days"}},
		{"two halves of the day", DND{Hours: []Window{{At(0, 0), At(12, 0)}, {At(12, 0), At(0, 0)}}}, []string{"delivery.dnd.hours"}},
		{"night and day", DND{Hours: []Window{night, {At(9, 0), At(21, 0)}}}, []string{"delivery.dnd.hours"}},
		{"overlapping cover", DND{Hours: []Window{{At(8, 0), At(20, 0)}, {At(19, 0), At(9, 0)}}}, []string{"delivery.dnd.hours"}},
		{"weekday 7", DND{Days: []time.Weekday{7}}, []string{"delivery.dnd.days[0]"}},
		{"weekday -1", DND{Days: []time.Weekday{time.Monday, -1}, Hours: []Window{night}}, []string{"delivery.dnd.days[1]"}},
		{"clock 24:00", DND{Hours: []Window{{At(24, 0), At(9, 0)}}}, []string{"delivery.dnd.hours[0]"}},
		{"clock -1", DND{Hours: []Window{{At(21, 0), -1}}}, []string{"delivery.dnd.hours[0]"}},
		{"several", DND{Days: []time.Weekday{9}, Hours: []Window{{At(1, 0), At(1, 0)}}}, []string{"delivery.dnd.days[0]", "delivery.dnd.hours[0]"}},

		{"night", DND{Hours: []Window{night}}, nil},
		{"Sunday", DND{Days: []time.Weekday{time.Sunday}}, nil},
		{"six days", DND{Days: all[1:]}, nil},
		{"seven entries, six days", DND{Days: append(all[1:], time.Monday)}, nil},
		{"all but one minute", DND{Hours: []Window{{At(0, 1), At(0, 0)}}}, nil},
		{"two windows with a gap", DND{Hours: []Window{{At(0, 0), At(12, 0)}, {At(12, 1), At(0, 0)}}}, nil},
	}
	for _, tc := range cases {
		err := errors.Join(tc.dnd.validate("delivery.dnd")...)
		if tc.fields == nil {
			if err != nil {
				t.Errorf("validate(%s) = %v, want nil", tc.name, err)
			}
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("validate(%s) = %v, want an error matching ErrInvalid", tc.name, err)
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.fields[0] {
			t.Errorf("validate(%s): errors.As = %v, want *ValidationError with Field %q", tc.name, ve, tc.fields[0])
		}
		var got []string
		for _, ve := range ValidationErrors(err) {
			got = append(got, ve.Field)
			if ve.Rule == "" {
				t.Errorf("validate(%s): %q has an empty rule", tc.name, ve.Field)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.fields) {
			t.Errorf("validate(%s) fields = %q, want %q", tc.name, got, tc.fields)
		}
	}
}

// propertyZones are varied IANA zones: half-hour and quarter-hour offsets,
// half-hour DST, southern-hemisphere DST, midnight transitions, Ramadan
// suspension, +14, fixed offsets and the usual northern rules.
var propertyZones = []string{
	"UTC",
	"Asia/Kolkata", "Asia/Kathmandu", "Asia/Tehran", "Asia/Kabul", "Asia/Yangon",
	"Asia/Tokyo", "Asia/Shanghai", "Asia/Dubai", "Asia/Gaza", "Asia/Jerusalem",
	"Asia/Beirut", "Asia/Karachi", "Asia/Dhaka", "Asia/Colombo",
	"Australia/Lord_Howe", "Australia/Sydney", "Australia/Adelaide", "Australia/Eucla",
	"Australia/Darwin", "Pacific/Chatham", "Pacific/Auckland", "Pacific/Kiritimati",
	"Pacific/Apia", "Pacific/Marquesas", "Pacific/Honolulu", "Pacific/Norfolk",
	"Europe/London", "Europe/Berlin", "Europe/Dublin", "Europe/Moscow", "Europe/Chisinau",
	"Africa/Casablanca", "Africa/Cairo", "Africa/Lagos",
	"America/New_York", "America/St_Johns", "America/Santiago", "America/Havana",
	"America/Asuncion", "America/Sao_Paulo", "America/Nuuk", "America/Scoresbysund",
	"America/Caracas", "Atlantic/Azores", "Antarctica/Troll",
}

var (
	propStart = utc(2026, 1, 1, 0, 0)
	propEnd   = utc(2028, 1, 1, 0, 0)
)

// propInstant returns an instant in 2026-2027, half the time within a day
// and a half of one of the zone's transitions.
func propInstant(r *rand.Rand, loc *time.Location) time.Time {
	span := propEnd.Sub(propStart)
	t := propStart.Add(time.Duration(r.Int64N(int64(span/time.Second))) * time.Second)
	if r.IntN(4) == 0 {
		t = t.Add(time.Duration(r.Int64N(int64(time.Second))))
	}
	if r.IntN(2) == 0 {
		if _, end := t.In(loc).ZoneBounds(); !end.IsZero() && end.Before(propEnd) {
			t = end.Add(time.Duration(r.Int64N(int64(72*time.Hour))) - 36*time.Hour).Truncate(time.Minute)
			if r.IntN(3) == 0 {
				t = t.Add(time.Duration(r.Int64N(int64(time.Minute))))
			}
		}
	}
	return t
}

// interesting are times of day at or near DST transitions.
var interesting = []Clock{
	At(0, 0), At(0, 30), At(1, 0), At(1, 30), At(1, 45), At(2, 0), At(2, 15), At(2, 30),
	At(2, 45), At(3, 0), At(3, 30), At(3, 45), At(4, 0), At(23, 0), At(23, 30), At(23, 59),
}

func propClock(r *rand.Rand) Clock {
	if r.IntN(2) == 0 {
		return interesting[r.IntN(len(interesting))]
	}
	return Clock(r.IntN(24 * 60))
}

// propDND returns a random DND that validates.
func propDND(r *rand.Rand) DND {
	for {
		var d DND
		nDays := []int{0, 0, 0, 1, 1, 2, 3, 5, 6}[r.IntN(9)]
		for _, i := range r.Perm(7)[:nDays] {
			d.Days = append(d.Days, time.Weekday(i))
		}
		for range 1 + r.IntN(3) {
			d.Hours = append(d.Hours, Window{From: propClock(r), To: propClock(r)})
		}
		if len(d.validate("dnd")) == 0 {
			return d
		}
	}
}

func TestNextOpenProperty(t *testing.T) {
	perZone := 60
	if testing.Short() {
		perZone = 10
	}
	r := rand.New(rand.NewPCG(20260329, 1))
	checked := 0
	for _, name := range propertyZones {
		loc := dndLoc(t, name)
		for range perZone {
			d := propDND(r)
			from := propInstant(r, loc)
			o, ok := d.NextOpen(from, loc)
			if !ok {
				t.Errorf("NextOpen(%v %s) with DND %v = false, want an instant", from.Format(time.RFC3339Nano), name, d)
				continue
			}
			if o.Before(from) {
				t.Errorf("NextOpen(%v %s) with DND %v = %v, before the start", from.Format(time.RFC3339Nano), name, d, o)
				continue
			}
			if !d.Open(o, loc) {
				t.Errorf("NextOpen(%v %s) with DND %v = %v, which is not open", from.Format(time.RFC3339Nano), name, d, o)
				continue
			}
			if o.Sub(from) > 8*24*time.Hour {
				continue
			}
			checked++
			if o.Equal(from) {
				continue
			}
			if d.Open(from, loc) {
				t.Errorf("NextOpen(%v %s) with DND %v = %v, but the start itself is open", from.Format(time.RFC3339Nano), name, d, o)
				continue
			}
			if !o.Equal(o.Truncate(time.Minute)) {
				t.Errorf("NextOpen(%v %s) with DND %v = %v, not on a minute", from.Format(time.RFC3339Nano), name, d, o)
			}
			for m := from.Truncate(time.Minute).Add(time.Minute); m.Before(o); m = m.Add(time.Minute) {
				if d.Open(m, loc) {
					t.Errorf("NextOpen(%v %s) with DND %v = %v, but %v (%v local) is open and earlier",
						from.Format(time.RFC3339Nano), name, d, o.In(loc), m, m.In(loc))
					break
				}
			}
		}
	}
	if min := len(propertyZones) * perZone * 9 / 10; checked < min {
		t.Errorf("only %d cases were scanned, want at least %d", checked, min)
	}
}

// wallOf returns the wall clock of u in loc, as a UTC time with the same
// fields, to the minute.
func wallOf(u time.Time, loc *time.Location) time.Time {
	w := u.In(loc)
	return time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), 0, 0, time.UTC)
}

// TestLocalTimeProperty checks LocalTime against a brute-force search:
// scan every minute within 15 hours of the wall time read as UTC. If the
// wall clock shows the time, the answer is the first such minute; if it
// jumps over it, the answer is the wall time read with the offset in force
// just before the jump.
func TestLocalTimeProperty(t *testing.T) {
	perZone := 40
	if testing.Short() {
		perZone = 8
	}
	r := rand.New(rand.NewPCG(20261101, 2))
	for _, name := range propertyZones {
		loc := dndLoc(t, name)
		for range perZone {
			var wall time.Time // the requested wall time, as UTC fields
			if r.IntN(2) == 0 {
				wall = wallOf(propInstant(r, loc), loc)
			} else {
				wall = propStart.Add(time.Duration(r.IntN(730*24*60)) * time.Minute)
			}
			if _, end := propInstant(r, loc).In(loc).ZoneBounds(); r.IntN(2) == 0 && !end.IsZero() {
				// Around a transition's wall time, before and after it.
				before := wallOf(end.Add(-time.Minute), loc).Add(time.Minute)
				wall = before.Add(time.Duration(r.IntN(181)-90) * time.Minute)
			}
			var want time.Time
			lo, hi := wall.Add(-15*time.Hour), wall.Add(15*time.Hour)
			for u := lo; u.Before(hi); u = u.Add(time.Minute) {
				w := wallOf(u, loc)
				if w.Equal(wall) {
					want = u
					break
				}
				if w.Before(wall) && wallOf(u.Add(time.Minute), loc).After(wall) {
					offBefore := w.Sub(u)
					want = wall.Add(-offBefore)
					break
				}
			}
			if want.IsZero() {
				t.Fatalf("oracle found no instant for %v in %s", wall, name)
			}
			got := LocalTime(loc, wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute())
			if !got.Equal(want) {
				t.Errorf("LocalTime(%s, %s) = %v (%v), want %v (%v)", name, wall.Format("2006-01-02 15:04"),
					got.UTC(), got, want, want.In(loc))
			}
		}
	}
}
