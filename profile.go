package signedcall

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"time"
)

// Profile is one user as the host knows them. Only ID is required; a
// predicate that needs a missing field does not match (see [Not] for
// the exact complement).
type Profile struct {
	// ID is the host's stable user identifier.
	ID string `json:"id"`

	// Phone is the user's number in E.164 form (+ and 8 to 15 digits).
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`

	// Properties holds custom user properties. Values are strings,
	// booleans, numbers (any Go integer or float type, or json.Number)
	// or []string.
	Properties map[string]any `json:"properties,omitempty"`

	// Birth is the date of birth; the zero Date means unknown.
	Birth  Date   `json:"birth,omitzero"`
	Gender Gender `json:"gender,omitempty"`

	// Country is an ISO 3166-1 alpha-2 code ("IN"); Region is the
	// subdivision code or name the host uses ("MH"); City is the city's
	// name ("Mumbai"). City and region compare case-insensitively.
	Country string `json:"country,omitempty"`
	Region  string `json:"region,omitempty"`
	City    string `json:"city,omitempty"`

	// Location is where the user is; nil means unknown.
	Location *LatLng `json:"location,omitempty"`

	// TimeZone is the user's IANA zone ("Asia/Kolkata"), the first source
	// tried for reading DND in local time.
	TimeZone string `json:"time_zone,omitempty"`

	Reach Reachability `json:"reach"`

	// Events are what the user did, in any order.
	Events []Event `json:"events,omitempty"`
}

// Reachability holds the channel flags of a profile.
type Reachability struct {
	HasPhone          bool `json:"has_phone,omitempty"`
	HasEmail          bool `json:"has_email,omitempty"`
	UnsubscribedEmail bool `json:"unsubscribed_email,omitempty"`
	UnsubscribedSMS   bool `json:"unsubscribed_sms,omitempty"`
}

// Event is one thing a user did.
type Event struct {
	Name       string         `json:"name"`
	Time       time.Time      `json:"time"`
	Properties map[string]any `json:"properties,omitempty"`
}

// Gender is a profile's gender as the host records it.
type Gender string

// Genders understood by [GenderIs]. Hosts with other values may use a
// property comparison instead.
const (
	GenderFemale Gender = "female"
	GenderMale   Gender = "male"
	GenderOther  Gender = "other"
)

func (g Gender) valid() bool {
	return g == GenderFemale || g == GenderMale || g == GenderOther
}

// LatLng is a point on the Earth in degrees.
type LatLng struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Date is a calendar date without a time or zone. The zero value means
// no date. In JSON it is "YYYY-MM-DD".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// IsZero reports whether d is the zero Date.
func (d Date) IsZero() bool { return d == Date{} }

// String returns d as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// ParseDate parses a YYYY-MM-DD date.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("signedcall: date %q: want YYYY-MM-DD", s)
	}
	return Date{t.Year(), t.Month(), t.Day()}, nil
}

// valid reports whether d names a real calendar day.
func (d Date) valid() bool {
	if d.Year < 1 || d.Year > 9999 {
		return false // outside what YYYY-MM-DD can write
	}
	t := time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC)
	return t.Year() == d.Year && t.Month() == d.Month && t.Day() == d.Day
}

// MarshalText implements encoding.TextMarshaler.
func (d Date) MarshalText() ([]byte, error) {
	if d.IsZero() {
		return []byte{}, nil
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Date) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// ProfileSource streams profiles to the audience evaluator. Each calls fn
// once per profile, in any order, and stops with fn's error if fn returns
// one. The *Profile passed to fn is only valid during the call; fn copies
// what it keeps. Each may be called more than once (previews, re-planning
// after a crash) and should yield the same profiles each time.
type ProfileSource interface {
	Each(ctx context.Context, fn func(*Profile) error) error
}

// SliceSource is a ProfileSource over profiles in memory.
type SliceSource []Profile

// Each implements [ProfileSource].
func (s SliceSource) Each(ctx context.Context, fn func(*Profile) error) error {
	for i := range s {
		if i%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if err := fn(&s[i]); err != nil {
			return err
		}
	}
	return nil
}

// JSONLinesFile is a ProfileSource reading a file of JSON Lines: one
// Profile object per line, blank lines ignored. The file is opened anew
// on every Each. A malformed line stops Each with an error naming the
// line number.
type JSONLinesFile string

// Each implements [ProfileSource].
func (path JSONLinesFile) Each(ctx context.Context, fn func(*Profile) error) error {
	f, err := os.Open(string(path))
	if err != nil {
		return fmt.Errorf("signedcall: profiles: %w", err)
	}
	defer f.Close()
	return EachJSONLine(ctx, f, fn)
}

// EachJSONLine decodes JSON Lines profiles from r and calls fn for each.
// Unknown fields are errors, so a typo in a field name is not silently
// dropped.
func EachJSONLine(ctx context.Context, r io.Reader, fn func(*Profile) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		if line%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var p Profile
		if err := strictUnmarshal(b, &p); err != nil { // also refuses a bare null
			return fmt.Errorf("signedcall: profiles: line %d: %w", line, err)
		}
		if err := fn(&p); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("signedcall: profiles: line %d: %w", line+1, err)
	}
	return nil
}
