package locate

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/geo"
)

// Locator is a [signedcall.Locator] that reads a profile's zone, phone
// number, city and coordinates, in that order; the package
// documentation gives the rules. It has no settings: the zero value is
// ready to use, and a Locator is safe for concurrent use.
type Locator struct{}

var _ signedcall.Locator = (*Locator)(nil)

// New returns a Locator.
func New() *Locator { return &Locator{} }

// Locate implements [signedcall.Locator]. It returns an error wrapping
// [signedcall.ErrInvalidPhone] when the profile has a phone number that
// is not in E.164 form, does not parse or is not a valid number of the
// numbering plan its country code selects; the error shows the number
// masked with [signedcall.MaskPhone]. A profile without a number is not
// an error. Locate returns no other error.
//
// The slices of the Location are the caller's to keep or change.
func (*Locator) Locate(p *signedcall.Profile) (signedcall.Location, error) {
	num, region, err := parsePhone(p.Phone)
	if err != nil {
		return signedcall.Location{}, err
	}
	country := countryCode(p.Country)

	var l signedcall.Location
	if loadable(p.TimeZone) {
		l.Zones, l.Source = []string{p.TimeZone}, signedcall.ZoneFromProfile
	} else if zs := phoneZones(num); len(zs) > 0 {
		l.Zones, l.Source = zs, signedcall.ZoneFromPhone
		if len(zs) > 1 {
			putFirst(zs, placeZone(p, cmp.Or(country, region)))
		}
	} else if z := cityZone(p, cmp.Or(country, region)); z != "" {
		l.Zones, l.Source = []string{z}, signedcall.ZoneFromCity
	} else if z := pointZone(p); z != "" {
		l.Zones, l.Source = []string{z}, signedcall.ZoneFromCoordinates
	}

	// The number's country comes first: it is the one being dialled.
	l.Countries = appendNew(l.Countries, region)
	l.Countries = appendNew(l.Countries, country)
	if region == "US" {
		l.Subdivisions = appendNew(l.Subdivisions, usSubdivision(num))
	}
	if country != "" {
		l.Subdivisions = appendNew(l.Subdivisions,
			signedcall.ProfileSubdivision(country, p.Region))
	}
	return l, nil
}

// parsePhone parses an E.164 number and returns it with its region (an
// ISO 3166-1 alpha-2 code, or "" for a number of no country, such as
// +800 freephone). An empty phone gives a nil number and no error.
func parsePhone(phone string) (*phonenumbers.PhoneNumber, string, error) {
	if phone == "" {
		return nil, "", nil
	}
	if !e164(phone) {
		return nil, "", invalid(phone, "is not + and 8 to 15 digits")
	}
	num, err := phonenumbers.Parse(phone, phonenumbers.UNKNOWN_REGION)
	if err != nil {
		return nil, "", invalid(phone, parseProblem(err))
	}

	// This is phonenumbers.IsValidNumber, which would look the region
	// up a second time.
	region := phonenumbers.GetRegionCodeForNumber(num)
	if region == "" || !phonenumbers.IsValidNumberForRegion(num, region) {
		return nil, "", invalid(phone, "is not a valid number")
	}
	if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
		region = ""
	}
	return num, region, nil
}

// e164 reports whether phone is + and 8 to 15 digits, the first not 0,
// which is the shape the planner accepts.
func e164(phone string) bool {
	if len(phone) < 9 || len(phone) > 16 || phone[0] != '+' || phone[1] == '0' {
		return false
	}
	for i := 1; i < len(phone); i++ {
		if phone[i] < '0' || phone[i] > '9' {
			return false
		}
	}
	return true
}

// parseProblem says why phonenumbers.Parse refused a number, in words
// that cannot contain the number.
func parseProblem(err error) string {
	switch {
	case errors.Is(err, phonenumbers.ErrInvalidCountryCode):
		return "has no such country code"
	case errors.Is(err, phonenumbers.ErrTooShortNSN):
		return "is too short"
	case errors.Is(err, phonenumbers.ErrNumTooLong):
		return "is too long"
	}
	return "does not parse"
}

func invalid(phone, why string) error {
	return fmt.Errorf("locate: phone %s %s: %w",
		signedcall.MaskPhone(phone), why, signedcall.ErrInvalidPhone)
}

// phoneZones returns the zones the time-zone data of libphonenumber
// gives num, by their current names, leaving out "Etc/Unknown" and
// zones this host cannot load; nil if none remain or num is nil.
//
// A fixed line's prefix says where it is. A mobile, pager, VoIP or
// personal number says only which country it belongs to (the data gives
// +61 4 only Australia/Sydney, +7 9 only Europe/Moscow), so it gets
// every zone of its country code, and a call must be allowed in each.
// Toll-free, premium-rate, shared-cost and other service numbers say
// nothing about where the person is and give no zone.
func phoneZones(num *phonenumbers.PhoneNumber) []string {
	if num == nil {
		return nil
	}
	var (
		names []string
		err   error
	)
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.FIXED_LINE, phonenumbers.FIXED_LINE_OR_MOBILE:
		names, err = phonenumbers.GetTimezonesForNumber(num)
	case phonenumbers.MOBILE, phonenumbers.PAGER, phonenumbers.VOIP, phonenumbers.PERSONAL_NUMBER:
		names, err = phonenumbers.GetTimezonesForPrefix(strconv.Itoa(int(num.GetCountryCode())))
	default:
		return nil
	}
	if err != nil {
		return nil
	}
	var zs []string
	for _, name := range names {
		if name == phonenumbers.UNKNOWN_TIMEZONE {
			continue
		}
		if z := current(name); z != "" && !slices.Contains(zs, z) {
			if zs == nil {
				zs = make([]string, 0, len(names))
			}
			zs = append(zs, z)
		}
	}
	return zs
}

// cityZone returns the zone of the profile's city in country, or "".
// Without a country, a city's name is too ambiguous to use.
func cityZone(p *signedcall.Profile, country string) string {
	if country == "" || strings.TrimSpace(p.City) == "" {
		return ""
	}
	c, ok := geo.Lookup(country, p.City)
	if !ok || !loadable(c.TimeZone) {
		return ""
	}
	return c.TimeZone
}

// pointZone returns the zone of the listed city nearest to the profile's
// location if one is within geo.MaxZoneDistance, or "".
func pointZone(p *signedcall.Profile) string {
	if p.Location == nil {
		return ""
	}
	z, ok := geo.ZoneAt(p.Location.Lat, p.Location.Lon)
	if !ok || !loadable(z) {
		return ""
	}
	return z
}

// placeZone returns the zone that the profile's city, else its
// coordinates, put the person in, or "".
func placeZone(p *signedcall.Profile, country string) string {
	if z := cityZone(p, country); z != "" {
		return z
	}
	return pointZone(p)
}

// putFirst moves z to the front of zs if zs holds it, keeping the order
// of the others.
func putFirst(zs []string, z string) {
	if i := slices.Index(zs, z); i > 0 {
		copy(zs[1:i+1], zs[:i])
		zs[0] = z
	}
}

// countryCode returns a profile's Country as an upper-case ISO 3166-1
// alpha-2 code, or "" if it is not two letters.
func countryCode(s string) string {
	s = strings.TrimSpace(s)
	if len(s) != 2 {
		return ""
	}
	for i := range 2 {
		if c := s[i] | 0x20; c < 'a' || c > 'z' {
			return ""
		}
	}
	return strings.ToUpper(s)
}

// appendNew appends s to l unless s is "" or l holds it already.
func appendNew(l []string, s string) []string {
	if s == "" || slices.Contains(l, s) {
		return l
	}
	return append(l, s)
}
