package locate

import (
	"sync"
	"time"
)

// renamed maps the zone names in libphonenumber's time-zone data that
// the tz database no longer lists in zone.tab to the names it lists for
// the same place. libphonenumber follows CLDR, which keeps a zone's first
// name (Asia/Calcutta); profiles, the gazetteer and rule packs use the
// current one (Asia/Kolkata), and some hosts ship the old names only in
// an optional package (Debian's tzdata-legacy). The table covers every
// such name in phonenumbers v1.8.1, checked against tz 2025b.
var renamed = map[string]string{
	"Africa/Asmera":        "Africa/Asmara",
	"America/Buenos_Aires": "America/Argentina/Buenos_Aires",
	"America/Godthab":      "America/Nuuk",
	"Asia/Calcutta":        "Asia/Kolkata",
	"Asia/Choibalsan":      "Asia/Ulaanbaatar", // merged in tz 2024b
	"Asia/Katmandu":        "Asia/Kathmandu",
	"Asia/Rangoon":         "Asia/Yangon",
	"Atlantic/Faeroe":      "Atlantic/Faroe",
	"Pacific/Enderbury":    "Pacific/Kanton",
	"Pacific/Ponape":       "Pacific/Pohnpei",
	"Pacific/Truk":         "Pacific/Chuuk",
}

// maxUnknownZones bounds how many names that do not load are
// remembered, so that profiles full of invented zone names cannot grow
// the cache without limit. Names past the bound are tried anew each
// time, which reads the tz database.
const maxUnknownZones = 1024

// zoneCache remembers whether time.LoadLocation knows a name, as
// LoadLocation reads the tz database on every call.
var zoneCache struct {
	mu      sync.RWMutex
	known   map[string]bool
	unknown int
}

// loadable reports whether name is a zone this host can load. "" and
// "Local" are refused: LoadLocation accepts them, but they name the
// host's zone (or UTC), not the person's.
func loadable(name string) bool {
	if name == "" || name == "Local" {
		return false
	}
	zoneCache.mu.RLock()
	ok, seen := zoneCache.known[name]
	zoneCache.mu.RUnlock()
	if seen {
		return ok
	}

	_, err := time.LoadLocation(name)
	ok = err == nil
	zoneCache.mu.Lock()
	defer zoneCache.mu.Unlock()
	if _, seen := zoneCache.known[name]; seen {
		return ok
	}
	if !ok {
		if zoneCache.unknown >= maxUnknownZones {
			return false
		}
		zoneCache.unknown++
	}
	if zoneCache.known == nil {
		zoneCache.known = make(map[string]bool)
	}
	zoneCache.known[name] = ok
	return ok
}

// current returns the name this host should use for a zone named in
// libphonenumber's data, or "" if the host loads neither the current
// name nor the old one.
func current(name string) string {
	if to, ok := renamed[name]; ok && loadable(to) {
		return to
	}
	if loadable(name) {
		return name
	}
	return ""
}
