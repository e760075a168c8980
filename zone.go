package signedcall

import (
	"sync"
	"time"
)

// zones caches loaded locations: time.LoadLocation reads and parses the
// zone database on every call.
var zones sync.Map // string -> *time.Location

// loadLocation is time.LoadLocation with a cache. The empty name and
// "Local" are refused, since they would mean the host's own zone.
func loadLocation(name string) (*time.Location, error) {
	if v, ok := zones.Load(name); ok {
		return v.(*time.Location), nil
	}
	if name == "" || name == "Local" {
		return nil, errUnknownZone
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, loc)
	return loc, nil
}

type zoneError struct{}

func (zoneError) Error() string { return "signedcall: unknown time zone" }

var errUnknownZone error = zoneError{}
