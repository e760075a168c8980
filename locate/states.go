package locate

import (
	"strings"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// states are the fifty states and the District of Columbia with their
// USPS abbreviations, which are also the subdivision parts of their
// ISO 3166-2 codes (US-FL). The geocoder names a state in full
// ("Florida") or after a city ("Miami, FL").
var states = [...]struct{ abbr, name string }{
	{"AL", "Alabama"}, {"AK", "Alaska"}, {"AZ", "Arizona"},
	{"AR", "Arkansas"}, {"CA", "California"}, {"CO", "Colorado"},
	{"CT", "Connecticut"}, {"DE", "Delaware"},
	{"DC", "District of Columbia"}, {"FL", "Florida"}, {"GA", "Georgia"},
	{"HI", "Hawaii"}, {"ID", "Idaho"}, {"IL", "Illinois"},
	{"IN", "Indiana"}, {"IA", "Iowa"}, {"KS", "Kansas"},
	{"KY", "Kentucky"}, {"LA", "Louisiana"}, {"ME", "Maine"},
	{"MD", "Maryland"}, {"MA", "Massachusetts"}, {"MI", "Michigan"},
	{"MN", "Minnesota"}, {"MS", "Mississippi"}, {"MO", "Missouri"},
	{"MT", "Montana"}, {"NE", "Nebraska"}, {"NV", "Nevada"},
	{"NH", "New Hampshire"}, {"NJ", "New Jersey"}, {"NM", "New Mexico"},
	{"NY", "New York"}, {"NC", "North Carolina"}, {"ND", "North Dakota"},
	{"OH", "Ohio"}, {"OK", "Oklahoma"}, {"OR", "Oregon"},
	{"PA", "Pennsylvania"}, {"RI", "Rhode Island"},
	{"SC", "South Carolina"}, {"SD", "South Dakota"},
	{"TN", "Tennessee"}, {"TX", "Texas"}, {"UT", "Utah"},
	{"VT", "Vermont"}, {"VA", "Virginia"}, {"WA", "Washington"},
	{"WV", "West Virginia"}, {"WI", "Wisconsin"}, {"WY", "Wyoming"},
}

// stateAliases are the other names libphonenumber's English geocoding
// data gives a state, keyed like stateIndex.
var stateAliases = map[string]string{
	"Washington State": "WA",
	"Washington D.C.":  "DC",
	"Washington, D.C.": "DC",
}

// stateIndex maps every abbreviation and name of a state to its index
// in states.
var stateIndex = func() map[string]int {
	m := make(map[string]int, 2*len(states)+len(stateAliases))
	for i, s := range states {
		m[s.abbr] = i
		m[s.name] = i
	}
	for name, abbr := range stateAliases {
		m[name] = m[abbr]
	}
	return m
}()

// stateCodes holds the ISO 3166-2 code of each of states.
var stateCodes = func() (c [len(states)]string) {
	for i, s := range states {
		c[i] = "US-" + s.abbr
	}
	return c
}()

// stateOf returns the index in states of the state that a description
// from the geocoder names, or -1. A description is a state ("Florida",
// "Washington State") or a place in one ("Miami, FL").
func stateOf(desc string) int {
	if i, ok := stateIndex[desc]; ok {
		return i
	}
	if j := strings.LastIndex(desc, ", "); j >= 0 && len(desc)-j == 4 {
		if i, ok := stateIndex[desc[j+2:]]; ok {
			return i
		}
	}
	return -1
}

// npaStates caches the state of each three-digit NANP area code: 0 not
// yet resolved, 1 none, 2+i states[i]. An area code's state never
// changes in a process, so concurrent resolutions store the same value.
var npaStates [1000]atomic.Uint32

// usSubdivision returns the ISO 3166-2 code of the state that num's area
// code is presumed to be in ("US-FL"), or "" when there is none: the
// area code is not geographic (800, 500) or the geocoding data names no
// state for it. num must be a valid NANP number of region US.
func usSubdivision(num *phonenumbers.PhoneNumber) string {
	npa := num.GetNationalNumber() / 10_000_000
	if npa < 200 || npa > 999 {
		return ""
	}
	v := npaStates[npa].Load()
	if v == 0 {
		v = uint32(resolveNPA(npa) + 2)
		npaStates[npa].Store(v)
	}
	if v == 1 {
		return ""
	}
	return stateCodes[v-2]
}

// resolveNPA returns the index in states of the state of area code npa,
// or -1. libphonenumber's geocoding data describes numbers by prefix:
// for nearly every area code, the four digits 1 NPA name its state, and
// longer prefixes name places in it. Where those four digits have no
// entry (203, 310, 713 and 718 in the data of phonenumbers v1.8.1),
// each central-office code NPA-200 to NPA-999 is looked up, and the
// state is the one they all name.
//
// The first call loads the geocoding data (see the package
// documentation); later calls each take a few microseconds, or a few
// milliseconds for an area code without an entry of its own.
func resolveNPA(npa uint64) int {
	if i := stateOf(describe(npa)); i >= 0 {
		return i
	}
	found := -1
	for nxx := uint64(200); nxx <= 999; nxx++ {
		i := stateOf(describe(npa*1000 + nxx))
		switch {
		case i < 0:
		case found < 0:
			found = i
		case i != found:
			return -1 // the area code spans states; presume none
		}
	}
	return found
}

// describe returns the geocoder's English description of the NANP
// number prefix +1 prefix. The geocoder matches the longest prefix of
// a number that it has an entry for, so a number that is only a prefix
// gets the entry of that prefix or of a shorter one. When no entry
// matches, the geocoder falls back to a country name or an error, and
// neither names a state.
func describe(prefix uint64) string {
	cc := int32(1)
	n := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &prefix}
	d, err := phonenumbers.GetGeocodingForNumber(n, "en")
	if err != nil {
		return ""
	}
	return d
}
