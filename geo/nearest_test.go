package geo

import (
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

// brute holds the rows of the data file with their latitude in radians
// and its cosine, for bruteNearest.
type brute struct {
	rows     []City
	phi, cos []float64
}

func newBrute(rows []City) *brute {
	b := &brute{rows: rows}
	for _, c := range rows {
		p := c.Lat * math.Pi / 180
		b.phi = append(b.phi, p)
		b.cos = append(b.cos, math.Cos(p))
	}
	return b
}

// nearest scans every row for the nearest to lat, lon and returns its
// index and distance in km, written out from the haversine formula
// without the package's helpers. Ties go to the first row.
func (b *brute) nearest(lat, lon float64) (int, float64) {
	const r = 6371.0088
	p1, l1 := lat*math.Pi/180, lon*math.Pi/180
	c1 := math.Cos(p1)
	best, bestH := -1, math.Inf(1)
	for j, c := range b.rows {
		sp := math.Sin((b.phi[j] - p1) / 2)
		sl := math.Sin((c.Lon*math.Pi/180 - l1) / 2)
		h := sp*sp + c1*b.cos[j]*(sl*sl)
		if h < bestH {
			best, bestH = j, h
		}
	}
	return best, 2 * r * math.Asin(math.Sqrt(math.Min(bestH, 1)))
}

// bruteNearest is brute.nearest for a one-off query.
func bruteNearest(rows []City, lat, lon float64) (int, float64) {
	return newBrute(rows).nearest(lat, lon)
}

// testPoints returns n points from a fixed seed: a fifth uniform on the
// sphere, a fifth within 10° of a pole, a fifth within 3° of the 180th
// meridian, a fifth within 0.5° of a city and a fifth uniform in
// latitude and longitude. Fixed points follow: the poles, the 180th
// meridian from both sides, and islands and coasts around it (Fiji,
// Kiribati, Tonga, Samoa, Chukotka, the Aleutians).
func testPoints(rows []City, n int) [][2]float64 {
	rng := rand.New(rand.NewPCG(20261203, 7))
	uniform := func(a, b float64) float64 { return a + (b-a)*rng.Float64() }
	pts := make([][2]float64, 0, n+64)
	for i := range n {
		var lat, lon float64
		switch i % 5 {
		case 0:
			lat = math.Asin(uniform(-1, 1)) * 180 / math.Pi
			lon = uniform(-180, 180)
		case 1:
			lat = uniform(80, 90)
			if rng.IntN(2) == 0 {
				lat = -lat
			}
			lon = uniform(-180, 180)
		case 2:
			lat = uniform(-60, 75)
			lon = uniform(177, 180)
			if rng.IntN(2) == 0 {
				lon = -lon
			}
		case 3:
			c := rows[rng.IntN(len(rows))]
			lat = min(max(c.Lat+uniform(-0.5, 0.5), -90), 90)
			lon = c.Lon + uniform(-0.5, 0.5)
			if lon > 180 {
				lon -= 360
			} else if lon < -180 {
				lon += 360
			}
		case 4:
			lat = uniform(-90, 90)
			lon = uniform(-180, 180)
		}
		pts = append(pts, [2]float64{lat, lon})
	}
	return append(pts, [][2]float64{
		{90, 0}, {90, 123.4}, {90, -180}, {90, 180},
		{-90, 0}, {-90, -77.7}, {-90, 180},
		{89.99999, 179.99999}, {-89.99999, -179.99999},
		{0, 180}, {0, -180}, {0, 0},
		{-18.1, 178.45}, {-18.1, -179.99}, {-16.5, 179.99}, // Fiji
		{-17.0, -180}, {-17.0, 180},
		{1.35, 173.0}, {1.35, -179.9}, {1.87, -157.4}, // Kiribati
		{-3.0, -171.0}, {-21.1, -175.2}, {-13.8, -171.8}, // Tonga, Samoa
		{64.73, 177.47}, {65.0, -179.5}, {66.0, 179.999}, // Chukotka
		{69.7, 170.3}, {66.0, -169.8},
		{52.0, 179.9}, {52.0, -179.9}, {51.8, -176.6}, // Aleutians
		{-45.0, 179.9}, {-44.0, -176.5}, // Chatham Islands
	}...)
}

// TestNearestBruteForce compares Nearest and ZoneAt with a scan of
// every city for 10,000 random points and the fixed ones.
func TestNearestBruteForce(t *testing.T) {
	rows := readRows(t)
	b := newBrute(rows)
	pts := testPoints(rows, 10000)
	// The scan takes most of the test's time: share it among the CPUs.
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for n := w; n < len(pts); n += workers {
				checkNearest(t, b, pts[n][0], pts[n][1])
			}
		})
	}
	wg.Wait()
}

func checkNearest(t *testing.T, b *brute, lat, lon float64) {
	j, wantKm := b.nearest(lat, lon)
	want := b.rows[j]
	got, km, ok := Nearest(lat, lon)
	if !ok || got != want || math.Abs(km-wantKm) > 1e-9 {
		t.Errorf("Nearest(%v, %v) = %s %s %.9f km, %v; brute force "+
			"%s %s %.9f km", lat, lon, got.Name, got.Country, km, ok,
			want.Name, want.Country, wantKm)
	}
	zone, ok := ZoneAt(lat, lon)
	if wantOK := wantKm <= 200; ok != wantOK ||
		ok && zone != want.TimeZone {
		t.Errorf("ZoneAt(%v, %v) = %q, %v; nearest %s at %.1f km",
			lat, lon, zone, ok, want.TimeZone, wantKm)
	}
}

// TestNearestAtCities checks that each city is its own nearest at
// distance 0 (no two cities of the data share coordinates).
func TestNearestAtCities(t *testing.T) {
	rows := readRows(t)
	for _, r := range rows {
		got, km, ok := Nearest(r.Lat, r.Lon)
		if !ok || got != r || km != 0 {
			t.Errorf("Nearest at %s %s = %s %s %v km, %v", r.Name,
				r.Country, got.Name, got.Country, km, ok)
		}
	}
}

// TestNearestPole checks that all longitudes at a pole, one point, give
// the same city and distance.
func TestNearestPole(t *testing.T) {
	for _, lat := range []float64{90, -90} {
		c0, km0, _ := Nearest(lat, 0)
		for lon := -180.0; lon <= 180; lon += 7.5 {
			c, km, ok := Nearest(lat, lon)
			if !ok || c != c0 || math.Abs(km-km0) > 1e-9 {
				t.Errorf("Nearest(%v, %v) = %s %.9f km; at lon 0 %s %.9f",
					lat, lon, c.Name, km, c0.Name, km0)
			}
		}
	}
}

func TestNearestInvalid(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	for _, p := range [][2]float64{
		{nan, 0}, {0, nan}, {nan, nan}, {inf, 0}, {-inf, 0}, {0, inf},
		{0, -inf}, {90.000001, 0}, {-90.000001, 0}, {0, 180.000001},
		{0, -180.000001}, {0, 360}, {91, 10},
	} {
		if c, km, ok := Nearest(p[0], p[1]); ok || c != (City{}) || km != 0 {
			t.Errorf("Nearest(%v, %v) = %+v, %v, %v; want rejected", p[0],
				p[1], c, km, ok)
		}
		if z, ok := ZoneAt(p[0], p[1]); ok || z != "" {
			t.Errorf("ZoneAt(%v, %v) = %q, %v; want rejected", p[0], p[1],
				z, ok)
		}
	}
}

func TestZoneAt(t *testing.T) {
	rows := readRows(t)
	// Open ocean, each more than 200 km from any city (checked below
	// by brute force).
	for _, p := range [][2]float64{
		{0, -140}, {-30, -130}, {40, -150}, {-50, -100}, {30, -40},
		{-40, 80},
	} {
		if _, km := bruteNearest(rows, p[0], p[1]); km <= 200 {
			t.Fatalf("test point %v is %.0f km from a city", p, km)
		}
		if z, ok := ZoneAt(p[0], p[1]); ok {
			t.Errorf("ZoneAt(%v, %v) = %q; want none", p[0], p[1], z)
		}
	}
	tests := []struct {
		lat, lon float64
		want     string
	}{
		{51.5, -0.12, "Europe/London"},
		{40.7, -74.0, "America/New_York"},
		{19.0, 72.85, "Asia/Kolkata"},
		{-18.14, 178.44, "Pacific/Fiji"}, // Suva
		{64.74, 177.5, "Asia/Anadyr"},    // Anadyr
	}
	for _, tt := range tests {
		if z, ok := ZoneAt(tt.lat, tt.lon); !ok || z != tt.want {
			t.Errorf("ZoneAt(%v, %v) = %q, %v; want %q", tt.lat, tt.lon, z,
				ok, tt.want)
		}
	}
	// Due north of Alert, Nunavut (82.48332318, -62.24998356), where it
	// is the nearest city: along a meridian the haversine distance is
	// the latitude difference times the radius.
	const alertLat, alertLon = 82.48332318, -62.24998356
	for _, tt := range []struct {
		km float64
		ok bool
	}{{199.9, true}, {200.1, false}} {
		lat := alertLat + tt.km/6371.0088*180/math.Pi
		j, km := bruteNearest(rows, lat, alertLon)
		if rows[j].Name != "Alert" || math.Abs(km-tt.km) > 1e-6 {
			t.Fatalf("%.1f km north of Alert: nearest %s at %.6f km",
				tt.km, rows[j].Name, km)
		}
		z, ok := ZoneAt(lat, alertLon)
		if ok != tt.ok || ok && z != "America/Pangnirtung" {
			t.Errorf("ZoneAt %.1f km north of Alert = %q, %v; want ok %v",
				tt.km, z, ok, tt.ok)
		}
	}
}

// TestNearestSparse runs the search on a small made-up gazetteer, where
// it has to widen far: cities at the poles, on both sides of the 180th
// meridian, two at the same place and two at the same distance from a
// point, which must resolve to the first in data order.
func TestNearestSparse(t *testing.T) {
	const tsv = "name\tascii\tcountry\tregion\tlat\tlon\tzone\tpopulation\n" +
		"A\t\tAA\t\t10\t20\tEtc/UTC\t1\n" +
		"B\t\tAA\t\t10\t20\tEtc/UTC\t1\n" +
		"C\t\tAA\t\t0\t180\tEtc/UTC\t1\n" +
		"D\t\tAA\t\t0.5\t-180\tEtc/UTC\t1\n" +
		"E\t\tAA\t\t90\t0\tEtc/UTC\t1\n" +
		"F\t\tAA\t\t-90\t45\tEtc/UTC\t1\n" +
		"G\t\tAA\t\t-89.5\t170\tEtc/UTC\t1\n" +
		"H\t\tAA\t\t45\t179.999\tEtc/UTC\t1\n" +
		"I\t\tAA\t\t45.0000001\t-179.999\tEtc/UTC\t1\n" +
		// Equidistant from (-30, 0); the grid meets K first.
		"J\t\tAA\t\t-30\t10\tEtc/UTC\t1\n" +
		"K\t\tAA\t\t-30\t-10\tEtc/UTC\t1\n"
	g, err := parse(tsv)
	if err != nil {
		t.Fatal(err)
	}
	b := newBrute(g.cities)
	rng := rand.New(rand.NewPCG(5, 6))
	pts := [][2]float64{{10, 20}, {45, 180}, {45, -180}, {0, 0}, {-90, 0},
		{-30, 0}}
	for range 5000 {
		pts = append(pts, [2]float64{180*rng.Float64() - 90,
			360*rng.Float64() - 180})
	}
	for _, p := range pts {
		j, wantKm := b.nearest(p[0], p[1])
		i, h := g.grid.nearest(p[0], p[1])
		if km := earthRadius * angle(h); int(i) != j ||
			math.Abs(km-wantKm) > 1e-9 {
			t.Errorf("nearest(%v, %v) = %s at %.9f km; brute force %s at "+
				"%.9f km", p[0], p[1], g.cities[i].Name, km,
				g.cities[j].Name, wantKm)
		}
	}
}
