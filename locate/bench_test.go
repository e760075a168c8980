package locate

import (
	"testing"

	"github.com/signedcall/signedcall"
)

// BenchmarkLocate locates the profiles of mix in turn: numbers of six
// countries, some with a zone of their own, one invalid, and profiles
// with only a city, only coordinates or nothing.
func BenchmarkLocate(b *testing.B) {
	ps := mix()
	l := New()
	for i := range ps {
		l.Locate(&ps[i]) // load the data and fill the caches
	}
	i := 0
	for b.Loop() {
		l.Locate(&ps[i%len(ps)])
		i++
	}
}

// BenchmarkLocateParallel is BenchmarkLocate from GOMAXPROCS goroutines.
func BenchmarkLocateParallel(b *testing.B) {
	ps := mix()
	l := New()
	for i := range ps {
		l.Locate(&ps[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Locate(&ps[i%len(ps)])
			i++
		}
	})
}

// BenchmarkLocateKind locates one kind of profile at a time.
func BenchmarkLocateKind(b *testing.B) {
	for _, bc := range []struct {
		name string
		p    signedcall.Profile
	}{
		{"us_number", signedcall.Profile{Phone: miami}},
		{"us_number_with_zone", signedcall.Profile{Phone: miami, TimeZone: "America/New_York"}},
		{"uk_mobile", signedcall.Profile{Phone: ukMobile}},
		{"indian_mobile", signedcall.Profile{Phone: inMobile}},
		{"toll_free", signedcall.Profile{Phone: tollFree}},
		{"invalid", signedcall.Profile{Phone: "+19995550123"}},
		{"city", signedcall.Profile{City: "Paris", Country: "FR"}},
		{"coordinates", signedcall.Profile{Location: &signedcall.LatLng{Lat: 35.68, Lon: 139.69}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := New()
			l.Locate(&bc.p)
			for b.Loop() {
				l.Locate(&bc.p)
			}
		})
	}
}
