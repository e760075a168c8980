// Package locate places a person for the calling-hour rules: in which
// time zones they may be, and which countries' and states' rule packs
// apply to them. Its [Locator] implements [signedcall.Locator] from the
// profile's own zone, its phone number, its city and its coordinates.
//
// Phone numbers are read with github.com/nyaruka/phonenumbers, a port
// of Google's libphonenumber; v1.8.1 carries the metadata of
// libphonenumber 9.0.32 (numbering plans, prefix time zones and the
// English geocoding data). The gazetteer is package geo.
//
// # Time zones
//
// Zones comes from the first of these that gives one, and Source says
// which:
//
//  1. The profile's TimeZone, if time.LoadLocation knows it on this
//     host; "" and "Local" are refused ([signedcall.ZoneFromProfile]).
//  2. The phone number: every zone libphonenumber's time-zone data gives
//     for its prefix, less "Etc/Unknown" and zones this host cannot
//     load ([signedcall.ZoneFromPhone]). The data uses CLDR's names,
//     some of them old ones; those are given by the names the tz
//     database uses now (Asia/Kolkata, not Asia/Calcutta).
//  3. The profile's City in its Country, through [geo.Lookup]
//     ([signedcall.ZoneFromCity]). Without a Country the number's is
//     used, and with neither the city is not looked up: too many names
//     are shared across countries.
//  4. The profile's Location, through [geo.ZoneAt], which answers only
//     within 200 km of a listed city ([signedcall.ZoneFromCoordinates]).
//
// Otherwise Zones is empty and Source "", and the planner uses the
// campaign's zone.
//
// # Several zones
//
// A fixed line's prefix can cover several zones: an Australian landline
// in area code 08 gives Australia/Adelaide and Australia/Perth. A mobile,
// pager, VoIP or personal number says only which country it belongs to,
// so it gets every zone of its country code in libphonenumber's prefix
// data: a United Kingdom mobile (+44 7) gives Europe/Guernsey,
// Europe/Isle_of_Man, Europe/Jersey and Europe/London, an Australian
// mobile (+61 4) eight zones in all (Australia/Adelaide, Brisbane, Eucla,
// Lord_Howe, Perth and Sydney, Indian/Christmas and Indian/Cocos), a Russian mobile (+7 9) those of Russia and
// Kazakhstan. Zones then holds them all and a call must be allowed in
// every one, which for a country as wide as Russia leaves few hours, or
// none: that is the safe reading of a number that may be anywhere. They
// come in the data's order, except that the zone of the profile's city
// or coordinates, when it is one of them, comes first.
//
// Toll-free, premium-rate, shared-cost and other service numbers say
// nothing about where the person is; they give no zone, and the city,
// the coordinates or the campaign's zone decide.
//
// # Countries and subdivisions
//
// Countries holds the region of the phone number (its ISO 3166-1 code,
// as libphonenumber assigns it; none for numbers of no country, such as
// +800 freephone), then the profile's Country, without repeats.
//
// Subdivisions holds, for a number of the United States, the state its
// area code is presumed to be in, as an ISO 3166-2 code ("US-FL"), then
// the subdivision that the profile's Region names in its Country (see
// [signedcall.ProfileSubdivision]). The presumption is the law's own:
// Florida's Telephone Solicitation Act (Fla. Stat. § 501.059) presumes
// that a call to a Florida area code reaches a Florida resident, so its
// rules apply whatever the profile says.
//
// The state of an area code is taken from libphonenumber's English
// geocoding data, which describes number prefixes as a state
// ("Florida", "Washington State", "Washington D.C.") or a place in one
// ("Miami, FL"). The entry of the area code itself is used; where there
// is none, the entries of all its central-office codes are, if they
// agree on one state. The state is the area code's even where the data
// places a central-office code elsewhere. Non-geographic area codes
// (toll-free 800 and the like, 500, 900) give no state; nor do Canada
// and the other countries of the plan give provinces.
//
// # Errors
//
// A phone number that is not + and 8 to 15 digits, that libphonenumber
// cannot parse, or that it does not find valid for its country code's
// numbering plan makes Locate return an error wrapping
// [signedcall.ErrInvalidPhone]; the error shows the number masked by
// [signedcall.MaskPhone]. Validity is by the plan's patterns: a valid
// number need not be in service. An empty phone is not an error.
//
// # Cost
//
// Locate does no I/O, except that time.LoadLocation reads the tz
// database the first time a zone name is seen; its answer is kept (for
// up to 1,024 names that do not load, too). Most of the cost is
// libphonenumber's parsing and validation, some tens of microseconds a
// number; a profile without one takes well under a microsecond. The
// first number of the United States loads libphonenumber's geocoding
// data, which takes about 90 ms and keeps about 15 MB of heap for the
// life of the process, and the first number of each area code looks
// its state up once.
package locate
