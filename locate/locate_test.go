package locate

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/signedcall/signedcall"
)

// Test numbers. Where it can, a test uses a number set aside for
// fiction: 555-0100 to 555-0199 of a North American area code, the
// Australian regulator's ranges for creative works (0491 570 156,
// (08) 5550 xxxx) and Ofcom's drama range for London (020 7946 0xxx).
// Ofcom's drama mobiles (07700 900xxx) are not valid numbers in
// libphonenumber's data, and India has no such range, so the mobiles
// of those two countries are libphonenumber's own example numbers. No
// test places a call.
const (
	miami      = "+13055550123" // area code 305, Florida
	oklahoma   = "+14055550123" // 405, Oklahoma City
	maryland   = "+14105550123" // 410, Baltimore
	washington = "+12065550123" // 206, Seattle
	toronto    = "+14165550123" // 416, Ontario
	tollFree   = "+18005550123"
	auMobile   = "+61491570156"
	auWest     = "+61855501234" // (08) 5550 1234, Western Australia
	ukMobile   = "+447400123456"
	ukLondon   = "+442079460123"
	inMobile   = "+918123456789"
	freephone  = "+80012345678" // ITU universal freephone, no country
)

// auZones is every zone libphonenumber's prefix data gives the country
// code +61, in its order: the mainland's, Lord Howe's and the Indian
// Ocean territories'.
var auZones = []string{
	"Australia/Adelaide", "Australia/Brisbane", "Australia/Eucla",
	"Australia/Lord_Howe", "Australia/Perth", "Australia/Sydney",
	"Indian/Christmas", "Indian/Cocos",
}

func TestLocate(t *testing.T) {
	requireZones(t)
	const (
		profile = signedcall.ZoneFromProfile
		phone   = signedcall.ZoneFromPhone
		city    = signedcall.ZoneFromCity
		coords  = signedcall.ZoneFromCoordinates
	)
	us := []string{"US"}
	tests := []struct {
		name string
		p    signedcall.Profile
		want signedcall.Location
	}{
		{"profile zone wins",
			signedcall.Profile{Phone: miami, TimeZone: "America/Chicago", City: "Paris", Country: "FR"},
			loc([]string{"America/Chicago"}, profile, []string{"US", "FR"}, []string{"US-FL"})},
		{"unknown profile zone falls through to phone",
			signedcall.Profile{Phone: miami, TimeZone: "Mars/Olympus_Mons"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL"})},
		{"Local is refused",
			signedcall.Profile{Phone: miami, TimeZone: "Local"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL"})},
		{"Miami", signedcall.Profile{Phone: miami},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL"})},
		{"Oklahoma", signedcall.Profile{Phone: oklahoma},
			loc([]string{"America/Chicago"}, phone, us, []string{"US-OK"})},
		{"Maryland", signedcall.Profile{Phone: maryland},
			loc([]string{"America/New_York"}, phone, us, []string{"US-MD"})},
		{"Washington", signedcall.Profile{Phone: washington},
			loc([]string{"America/Los_Angeles"}, phone, us, []string{"US-WA"})},
		{"District of Columbia", signedcall.Profile{Phone: "+12025550123"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-DC"})},
		// 203 has no entry of its own in the geocoding data, only its
		// central-office codes do.
		{"Connecticut", signedcall.Profile{Phone: "+12035550123"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-CT"})},
		// The data places 201-631 in New York, NY; the area code is New
		// Jersey's, and the presumption is by area code. 201-631 is a
		// real central-office code.
		{"area code, not office",
			signedcall.Profile{Phone: "+12016310123"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-NJ"})},
		{"Canada has no provinces", signedcall.Profile{Phone: toronto},
			loc([]string{"America/Toronto"}, phone, []string{"CA"}, nil)},
		// A toll-free number says nothing about where the person is.
		{"toll-free", signedcall.Profile{Phone: tollFree},
			loc(nil, "", us, nil)},
		{"toll-free in Denver",
			signedcall.Profile{Phone: tollFree, City: "Denver", Country: "US"},
			loc([]string{"America/Denver"}, signedcall.ZoneFromCity, us, nil)},
		// A mobile may be anywhere in its country: every zone of +61 in
		// libphonenumber's prefix data, in its order.
		{"Australian mobile", signedcall.Profile{Phone: auMobile},
			loc(auZones, phone, []string{"AU"}, nil)},
		{"Australian mobile in Perth", signedcall.Profile{Phone: auMobile, City: "Perth", Country: "AU"},
			loc(append([]string{"Australia/Perth"}, without(auZones, "Australia/Perth")...), phone, []string{"AU"}, nil)},
		{"Western Australia", signedcall.Profile{Phone: auWest},
			loc([]string{"Australia/Adelaide", "Australia/Perth"}, phone, []string{"AU"}, nil)},
		{"Western Australia in Perth",
			signedcall.Profile{Phone: auWest, City: "Perth", Country: "AU"},
			loc([]string{"Australia/Perth", "Australia/Adelaide"}, phone, []string{"AU"}, nil)},
		{"Western Australia near Perth",
			signedcall.Profile{Phone: auWest, Location: &signedcall.LatLng{Lat: -31.95, Lon: 115.86}},
			loc([]string{"Australia/Perth", "Australia/Adelaide"}, phone, []string{"AU"}, nil)},
		{"UK mobile", signedcall.Profile{Phone: ukMobile},
			loc([]string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"}, phone, []string{"GB"}, nil)},
		{"UK mobile in London",
			signedcall.Profile{Phone: ukMobile, City: "London", Country: "GB"},
			loc([]string{"Europe/London", "Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey"}, phone, []string{"GB"}, nil)},
		{"London", signedcall.Profile{Phone: ukLondon},
			loc([]string{"Europe/London"}, phone, []string{"GB"}, nil)},
		{"Indian mobile", signedcall.Profile{Phone: inMobile},
			loc([]string{"Asia/Kolkata"}, phone, []string{"IN"}, nil)},
		{"freephone has no zone or country",
			signedcall.Profile{Phone: freephone},
			loc(nil, "", nil, nil)},
		{"freephone in Paris",
			signedcall.Profile{Phone: freephone, City: "Paris", Country: "FR"},
			loc([]string{"Europe/Paris"}, city, []string{"FR"}, nil)},
		{"city", signedcall.Profile{City: "Paris", Country: "FR"},
			loc([]string{"Europe/Paris"}, city, []string{"FR"}, nil)},
		{"city in lower case", signedcall.Profile{City: "paris", Country: "fr"},
			loc([]string{"Europe/Paris"}, city, []string{"FR"}, nil)},
		{"city without country", signedcall.Profile{City: "Paris"},
			loc(nil, "", nil, nil)},
		{"unknown city, coordinates",
			signedcall.Profile{City: "Atlantis", Country: "JP", Location: &signedcall.LatLng{Lat: 35.68, Lon: 139.69}},
			loc([]string{"Asia/Tokyo"}, coords, []string{"JP"}, nil)},
		{"coordinates", signedcall.Profile{Location: &signedcall.LatLng{Lat: 35.68, Lon: 139.69}},
			loc([]string{"Asia/Tokyo"}, coords, nil, nil)},
		{"coordinates at sea", signedcall.Profile{Location: &signedcall.LatLng{Lat: 0, Lon: -140}},
			loc(nil, "", nil, nil)},
		{"nothing", signedcall.Profile{}, loc(nil, "", nil, nil)},
		{"number and profile countries",
			signedcall.Profile{Phone: miami, Country: "FR"},
			loc([]string{"America/New_York"}, phone, []string{"US", "FR"}, []string{"US-FL"})},
		{"profile region",
			signedcall.Profile{Phone: miami, Country: "US", Region: "NY"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL", "US-NY"})},
		{"profile region repeats the area code's",
			signedcall.Profile{Phone: miami, Country: "us", Region: "us-fl"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL"})},
		{"profile region of another country",
			signedcall.Profile{Phone: miami, Country: "FR", Region: "IDF"},
			loc([]string{"America/New_York"}, phone, []string{"US", "FR"}, []string{"US-FL", "FR-IDF"})},
		{"region without country is ignored",
			signedcall.Profile{Phone: miami, Region: "NY"},
			loc([]string{"America/New_York"}, phone, us, []string{"US-FL"})},
		{"bad country is ignored",
			signedcall.Profile{City: "Paris", Country: "France"},
			loc(nil, "", nil, nil)},
	}
	l := New()
	for _, tt := range tests {
		got, err := l.Locate(&tt.p)
		if err != nil {
			t.Errorf("%s: Locate(%+v): %v", tt.name, tt.p, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s: Locate(%+v) mismatch (-want +got):\n%s", tt.name, tt.p, diff)
		}
	}
}

func TestLocateInvalid(t *testing.T) {
	tests := []struct{ name, phone string }{
		{"too short for the country", "+1305555012"},
		{"too long for the country", "+130555501234"},
		{"unassigned area code", "+19995550123"},
		{"Ofcom drama mobile", "+447700900123"},
		{"too short for India", "+91812345678"},
		{"no such country code", "+999555012345"},
		{"no plus", "13055550123"},
		{"spaces", "+1 305 555 0123"},
		{"letters", "+1305FLOWERS"},
		{"leading zero", "+013055550123"},
		{"too short", "+1305555"},
		{"too long", "+1305555012345678"},
	}
	l := New()
	for _, tt := range tests {
		p := &signedcall.Profile{Phone: tt.phone, TimeZone: "Europe/Paris", City: "Paris", Country: "FR"}
		got, err := l.Locate(p)
		if !errors.Is(err, signedcall.ErrInvalidPhone) {
			t.Errorf("%s: Locate(%q) = %+v, %v; want an error wrapping ErrInvalidPhone",
				tt.name, tt.phone, got, err)
			continue
		}
		msg := err.Error()
		digits := strings.TrimPrefix(tt.phone, "+")
		if strings.Contains(msg, digits) || strings.Contains(msg, digits[1:len(digits)-1]) {
			t.Errorf("%s: Locate(%q) error %q shows the number", tt.name, tt.phone, msg)
		}
		if !strings.Contains(msg, signedcall.MaskPhone(tt.phone)) {
			t.Errorf("%s: Locate(%q) error %q, want it to show %q",
				tt.name, tt.phone, msg, signedcall.MaskPhone(tt.phone))
		}
	}
}

func TestLocateInvalidMessage(t *testing.T) {
	_, err := New().Locate(&signedcall.Profile{Phone: "+19995550123"})
	const want = "locate: phone +19*******23 is not a valid number: signedcall: invalid phone number"
	if err == nil || err.Error() != want {
		t.Errorf("Locate(+19995550123) error = %v, want %q", err, want)
	}
}

// TestLocateConcurrent runs Locate on the same profiles from several
// goroutines at once, for the race detector, and checks that every
// goroutine gets what a lone caller gets.
func TestLocateConcurrent(t *testing.T) {
	ps := mix()
	l := New()
	want := make([]signedcall.Location, len(ps))
	for i := range ps {
		want[i], _ = l.Locate(&ps[i])
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			l := New() // a fresh Locator shares the caches
			for i := range ps {
				got, _ := l.Locate(&ps[i])
				if diff := cmp.Diff(want[i], got); diff != "" {
					t.Errorf("Locate(%+v) concurrently (-alone +concurrent):\n%s", ps[i], diff)
				}
			}
		})
	}
	wg.Wait()
}

func TestZeroLocator(t *testing.T) {
	requireZones(t)
	var l Locator
	got, err := l.Locate(&signedcall.Profile{Phone: oklahoma})
	if err != nil || got.Source != signedcall.ZoneFromPhone {
		t.Errorf("zero Locator: Locate(%s) = %+v, %v; want zone from phone", oklahoma, got, err)
	}
}

// TestLocateOwnSlices checks that a caller changing a returned
// Location does not change what later calls return.
func TestLocateOwnSlices(t *testing.T) {
	requireZones(t)
	l := New()
	p := &signedcall.Profile{Phone: ukMobile, Country: "FR", Region: "IDF"}
	a, _ := l.Locate(p)
	for _, s := range [][]string{a.Zones, a.Countries, a.Subdivisions} {
		for i := range s {
			s[i] = "changed"
		}
	}
	b, _ := l.Locate(p)
	want := signedcall.Location{
		Zones:        []string{"Europe/Guernsey", "Europe/Isle_of_Man", "Europe/Jersey", "Europe/London"},
		Source:       signedcall.ZoneFromPhone,
		Countries:    []string{"GB", "FR"},
		Subdivisions: []string{"FR-IDF"},
	}
	if diff := cmp.Diff(want, b); diff != "" {
		t.Errorf("Locate after changing an earlier result (-want +got):\n%s", diff)
	}
}

// requireZones skips a test that needs the tz database when this host
// has none.
func requireZones(t *testing.T) {
	t.Helper()
	if !loadable("America/New_York") {
		t.Skip("no tz database on this host: install tzdata or set ZONEINFO")
	}
}

func loc(zones []string, src signedcall.ZoneSource, countries, subs []string) signedcall.Location {
	return signedcall.Location{Zones: zones, Source: src, Countries: countries, Subdivisions: subs}
}

func without(l []string, s string) []string {
	var out []string
	for _, v := range l {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// mix is a spread of profiles like a campaign's: most with a phone,
// some with a zone of their own, a few invalid.
func mix() []signedcall.Profile {
	return []signedcall.Profile{
		{ID: "1", Phone: miami, TimeZone: "America/New_York", Country: "US", Region: "FL", City: "Miami"},
		{ID: "2", Phone: oklahoma, Country: "US"},
		{ID: "3", Phone: maryland},
		{ID: "4", Phone: washington, TimeZone: "America/Los_Angeles"},
		{ID: "5", Phone: toronto, Country: "CA", City: "Toronto"},
		{ID: "6", Phone: ukMobile, Country: "GB", City: "London"},
		{ID: "7", Phone: ukLondon, TimeZone: "Europe/London"},
		{ID: "8", Phone: auMobile, Country: "AU"},
		{ID: "9", Phone: auWest, City: "Perth", Country: "AU"},
		{ID: "10", Phone: inMobile, Country: "IN", Region: "MH"},
		{ID: "11", Phone: tollFree},
		{ID: "12", Phone: "+19995550123"},
		{ID: "13", City: "Paris", Country: "FR"},
		{ID: "14", Location: &signedcall.LatLng{Lat: 35.68, Lon: 139.69}},
		{ID: "15"},
		{ID: "16", Phone: miami, Country: "FR"},
	}
}
