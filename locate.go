package signedcall

import (
	"errors"
	"strings"
)

// Locator says where in the world, and so in which time zones, a person
// is. The dispatcher asks it once per qualified profile when it plans a
// campaign. Package locate provides one that reads the phone number and
// the city; without one, [ProfileLocator] is used.
//
// Implementations must be safe for concurrent use and must not do I/O
// per call: planning a million profiles calls Locate a million times.
type Locator interface {
	// Locate returns the person's location. An error wrapping
	// [ErrInvalidPhone] makes the profile unreachable by phone, with
	// reason [ReasonInvalidPhone]; any other error stops planning.
	// Locate may leave Zones empty: the campaign's zone is then used,
	// with ZoneFromCampaign.
	Locate(p *Profile) (Location, error)
}

// Location is where a [Locator] places a person.
type Location struct {
	// Zones are the IANA zones the person may be in, in the Locator's
	// order; the first is recorded as Delivery.TimeZone, the rest as
	// OtherZones. When there are several (a mobile range that spans a
	// country), a call must be allowed in every one of them.
	Zones []string
	// Source says which input decided Zones.
	Source ZoneSource
	// Countries are ISO 3166-1 alpha-2 codes and Subdivisions ISO 3166-2
	// codes ("US-FL") whose rule packs apply to the person. There may be
	// several: the profile may say one country and the number another,
	// and then the stricter rules of both hold.
	Countries    []string
	Subdivisions []string
}

// ErrInvalidPhone is wrapped by a [Locator]'s error for a number that
// cannot be dialled: not a number of the numbering plan it claims.
var ErrInvalidPhone = errors.New("signedcall: invalid phone number")

// ProfileLocator is the [Locator] used when a [Config] names none. It
// reads only the profile: its own zone if this host knows it (else no
// zone, so the campaign's is used), its Country, and its Region as a
// subdivision when Region is an ISO 3166-2 code of that country or its
// bare suffix ("US-FL" or "FL" with Country "US"). It checks the phone
// number for E.164 shape only, so a well-formed number that its country
// never allocated is dialled and fails at the carrier, and a profile
// without a zone is read in the campaign's. Package locate reads the
// number and the city as well.
type ProfileLocator struct{}

// Locate implements [Locator].
func (ProfileLocator) Locate(p *Profile) (Location, error) {
	var l Location
	if p.TimeZone != "" {
		if _, err := loadLocation(p.TimeZone); err == nil {
			l.Zones, l.Source = []string{p.TimeZone}, ZoneFromProfile
		}
	}
	if c := strings.ToUpper(strings.TrimSpace(p.Country)); len(c) == 2 && isUpper(c) {
		l.Countries = []string{c}
		if sub := ProfileSubdivision(c, p.Region); sub != "" {
			l.Subdivisions = []string{sub}
		}
	}
	return l, nil
}

// ProfileSubdivision returns the ISO 3166-2 code a profile's Region
// names within country ("US-FL" for "FL" or "us-fl" with "US"), or ""
// when Region is not such a code.
func ProfileSubdivision(country, region string) string {
	r := strings.ToUpper(strings.TrimSpace(region))
	if r == "" {
		return ""
	}
	if !strings.HasPrefix(r, country+"-") {
		r = country + "-" + r
	}
	if !validRegion(r) || !strings.HasPrefix(r, country+"-") {
		return ""
	}
	return r
}
