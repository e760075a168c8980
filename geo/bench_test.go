package geo

import (
	"math"
	"math/rand/v2"
	"testing"
)

// benchPoints returns n points uniform on the sphere, most of them at
// sea, where the search has to widen furthest.
func benchPoints(n int) [][2]float64 {
	rng := rand.New(rand.NewPCG(1, 2))
	pts := make([][2]float64, n)
	for i := range pts {
		pts[i] = [2]float64{
			math.Asin(2*rng.Float64()-1) * 180 / math.Pi,
			360*rng.Float64() - 180,
		}
	}
	return pts
}

// nearCityPoints returns n points within 0.5° of a random city, the
// usual case of a recipient's own coordinates.
func nearCityPoints(b *testing.B, n int) [][2]float64 {
	rows := readRows(b)
	rng := rand.New(rand.NewPCG(3, 4))
	pts := make([][2]float64, n)
	for i := range pts {
		c := rows[rng.IntN(len(rows))]
		pts[i] = [2]float64{
			min(max(c.Lat+rng.Float64()-0.5, -90), 90),
			math.Mod(c.Lon+rng.Float64()-0.5+540, 360) - 180,
		}
	}
	return pts
}

func BenchmarkNearest(b *testing.B) {
	pts := benchPoints(4096)
	data()
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		Nearest(p[0], p[1])
		i++
	}
}

func BenchmarkNearestNearCity(b *testing.B) {
	pts := nearCityPoints(b, 4096)
	data()
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		Nearest(p[0], p[1])
		i++
	}
}

// BenchmarkNearestBruteForce is the scan of every city that the grid
// replaces, for comparison.
func BenchmarkNearestBruteForce(b *testing.B) {
	br := newBrute(readRows(b))
	pts := benchPoints(4096)
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		br.nearest(p[0], p[1])
		i++
	}
}

func BenchmarkZoneAt(b *testing.B) {
	pts := nearCityPoints(b, 4096)
	data()
	i := 0
	for b.Loop() {
		p := pts[i%len(pts)]
		ZoneAt(p[0], p[1])
		i++
	}
}

func BenchmarkLookup(b *testing.B) {
	queries := [][2]string{
		{"", "London"}, {"CA", "London"}, {"BR", "São Paulo"},
		{"US", "new york"}, {"IN", "Mumbai"}, {"US", "Springfield"},
		{"", "Atlantis"}, {"de", "Düsseldorf"},
	}
	data()
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		Lookup(q[0], q[1])
		i++
	}
}

// BenchmarkParse is the one-time cost paid by the first call.
func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parse(citiesTSV); err != nil {
			b.Fatal(err)
		}
	}
}
