package geo

import (
	"math"
	"slices"
)

// earthRadius is the mean radius of the Earth in km (IUGG value, the
// radius of the sphere with the ellipsoid's mean of its three semi-axes).
const earthRadius = 6371.0088

// MaxZoneDistance is the distance in km beyond which ZoneAt gives no
// zone.
const MaxZoneDistance = 200.0

const (
	deg = math.Pi / 180
	// pad widens every search bound by about 6 mm on the ground, far
	// more than the rounding error of the distance arithmetic, so that
	// no city is skipped because of rounding.
	pad = 1e-9
)

// Nearest returns the city nearest to the point at lat, lon (degrees)
// and its great-circle distance in km, computed with the haversine
// formula on a sphere of radius 6371.0088 km (the Earth's mean radius),
// so within about 0.5% of the distance on the ellipsoid. It works the
// same across the 180th meridian and at the poles. Of two cities at
// exactly the same distance, the one first in the data file wins.
//
// ok is false, and the City zero, if lat is not in [-90, 90] or lon is
// not in [-180, 180] (NaN included). Nearest searches a grid of 1°
// cells, widening the search until no unexamined cell can hold a
// nearer city, so its answer is the exact nearest city.
func Nearest(lat, lon float64) (c City, km float64, ok bool) {
	if !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180) {
		return City{}, 0, false
	}
	g := data()
	i, h := g.grid.nearest(lat, lon)
	return g.cities[i], earthRadius * angle(h), true
}

// ZoneAt returns the time zone of the city nearest to lat, lon if that
// city is at most MaxZoneDistance (200 km) away, as Nearest measures.
//
// No zone boundaries are embedded, only cities, so the answer is the
// zone of a nearby city, not of the point: near a zone border it can be
// the zone across the border, and at sea or in an empty region the
// nearest city may be in any zone at all. The limit keeps ZoneAt from
// answering where it would be guessing; ok is false beyond it and for
// the input Nearest rejects.
func ZoneAt(lat, lon float64) (zone string, ok bool) {
	c, km, ok := Nearest(lat, lon)
	if !ok || km > MaxZoneDistance {
		return "", false
	}
	return c.TimeZone, true
}

// hav is the haversine of x, sin²(x/2).
func hav(x float64) float64 {
	s := math.Sin(x / 2)
	return s * s
}

// angle returns the central angle in radians whose haversine is h.
func angle(h float64) float64 {
	return 2 * math.Asin(math.Sqrt(min(h, 1)))
}

const (
	gridRows = 180 // 1° bands of latitude from -90°
	gridCols = 360 // 1° bands of longitude from -180°
)

// point is a city as the grid stores it: its unit vector, for a quick
// comparison of distances, and what the haversine formula needs.
type point struct {
	x, y, z  float64 // the unit vector
	phi, lam float64 // latitude and longitude in radians
	cos      float64 // cos(phi)
	i        int32   // index into gazetteer.cities
}

// unit returns the unit vector of a point at latitude phi and longitude
// lam in radians, given cos(phi).
func unit(phi, lam, cos float64) (x, y, z float64) {
	return cos * math.Cos(lam), cos * math.Sin(lam), math.Sin(phi)
}

// grid buckets the cities by cells of 1° of latitude and longitude,
// keeping only the cells that hold a city, in row-major order: the
// cells of row i are m in [rows[i], rows[i+1]), the column of cell m
// is cols[m] (ascending within a row) and its points are
// pts[cells[m]:cells[m+1]], in data order.
type grid struct {
	rows  []int32
	cols  []int16
	cells []int32
	pts   []point
	// reach holds, for every cell k = row*gridCols + col, the number of
	// king's moves (wrapping across the 180th meridian, not across a
	// pole) to the nearest cell that holds a city.
	reach []uint8
	// start[k] is the first search radius for a cell whose reach is k.
	start [math.MaxUint8 + 1]radius
	// halfSin[e] and halfCos[e] are the sine and cosine of half the
	// latitude e-90 degrees of the edge between rows e-1 and e.
	halfSin, halfCos [gridRows + 1]float64
}

// radius is an angular search radius r with the sine and haversine of
// r; sin is +Inf when r is π/2 or more, past which sine does not grow.
type radius struct {
	r, sin, hav float64
}

// newRadius returns r with its sine and haversine.
func newRadius(r float64) radius {
	s := math.Inf(1)
	if r < math.Pi/2 {
		s = math.Sin(r)
	}
	return radius{r, s, hav(r)}
}

// row returns the grid row of a latitude in degrees in [-90, 90].
func row(lat float64) int {
	return min(max(int(math.Floor(lat+90)), 0), gridRows-1)
}

// col returns the grid column of a longitude in degrees, taken modulo
// 360° so that columns wrap around the 180th meridian.
func col(lon float64) int {
	j := int(math.Floor(lon+180)) % gridCols
	if j < 0 {
		j += gridCols
	}
	return j
}

// build fills the grid with cities.
func (g *grid) build(cities []City) {
	// A counting sort of the cities by cell number.
	cell := make([]int, len(cities))
	count := make([]int32, gridRows*gridCols+1)
	for i, c := range cities {
		cell[i] = row(c.Lat)*gridCols + col(c.Lon)
		count[cell[i]+1]++
	}
	for k := 1; k < len(count); k++ {
		count[k] += count[k-1]
	}
	order := make([]int32, len(cities))
	for i, k := range cell {
		order[count[k]] = int32(i)
		count[k]++
	}
	g.rows = make([]int32, gridRows+1)
	g.pts = make([]point, 0, len(cities))
	prev := -1
	for _, i := range order {
		if k := cell[i]; k != prev {
			g.cols = append(g.cols, int16(k%gridCols))
			g.cells = append(g.cells, int32(len(g.pts)))
			g.rows[k/gridCols+1]++
			prev = k
		}
		c := cities[i]
		p := point{phi: c.Lat * deg, lam: c.Lon * deg, i: i}
		p.cos = math.Cos(p.phi)
		p.x, p.y, p.z = unit(p.phi, p.lam, p.cos)
		g.pts = append(g.pts, p)
	}
	g.cells = append(g.cells, int32(len(g.pts)))
	for r := 1; r < len(g.rows); r++ {
		g.rows[r] += g.rows[r-1]
	}
	g.buildReach(count)
	// A cell k king's moves away lies within a = k+1 degrees of
	// latitude and of longitude of any point of the point's own cell,
	// so a city there has a haversine of at most hav(a) + cos(phi1)
	// cos(phi2) hav(a) <= 2 hav(a): a radius that surely holds a city.
	for k := range g.start {
		a := float64(k+1) * deg
		if k == math.MaxUint8 || a >= math.Pi/2 {
			g.start[k] = newRadius(math.Pi)
		} else {
			g.start[k] = newRadius(angle(2 * hav(a)))
		}
	}
	for e := range g.halfSin {
		half := float64(e-90) * deg / 2
		g.halfSin[e], g.halfCos[e] = math.Sin(half), math.Cos(half)
	}
}

// buildReach fills g.reach by a breadth-first search from every cell
// that holds a city. end[k] is the end of cell k's points in the sorted
// order, so cell k is empty when end[k] equals end[k-1].
func (g *grid) buildReach(end []int32) {
	const unseen = math.MaxUint8
	g.reach = make([]uint8, gridRows*gridCols)
	queue := make([]int32, 0, gridRows*gridCols)
	for k := range g.reach {
		lo := int32(0)
		if k > 0 {
			lo = end[k-1]
		}
		if end[k] > lo {
			queue = append(queue, int32(k))
		} else {
			g.reach[k] = unseen
		}
	}
	for q := 0; q < len(queue); q++ {
		k := int(queue[q])
		r, c := k/gridCols, k%gridCols
		d := g.reach[k] + 1
		if d == unseen {
			continue // far enough: the search treats unseen as far
		}
		for dr := -1; dr <= 1; dr++ {
			if r+dr < 0 || r+dr >= gridRows {
				continue
			}
			for dc := -1; dc <= 1; dc++ {
				n := (r+dr)*gridCols + (c+dc+gridCols)%gridCols
				if g.reach[n] == unseen {
					g.reach[n] = d
					queue = append(queue, int32(n))
				}
			}
		}
	}
}

// search is the state of one nearest-city query.
type search struct {
	lat, lon float64 // the query point in degrees
	phi, lam float64 // the same in radians
	cos      float64 // cos(phi)
	sh, ch   float64 // sin(phi/2), cos(phi/2)
	x, y, z  float64 // the unit vector
	r        radius  // the radius of the current round

	best  int32   // index of the nearest city so far, -1 if none
	bestC float64 // least squared chord length seen so far
	bestH float64 // haversine of the best city's angular distance
	bestS float64 // sine of that angle, +Inf if over π/2

	// winS is the sine of the radius for which winD, the half-width in
	// degrees of the longitude window, was computed (-1 for a full row).
	winS, winD float64
}

// nearest returns the index of the city nearest to lat, lon and the
// haversine of its angular distance. The grid must not be empty.
//
// A round scans every cell that meets the bounding box of the
// spherical cap of angular radius r around the point. If the best city
// found is within r, no city outside the cap can be nearer, so it is
// the answer; if it is farther, one more round with r set to its
// distance settles it; if none was found, r doubles. The first radius
// comes from the distance in cells to the nearest cell with a city, so
// one round nearly always suffices, and a cap of radius π covers the
// sphere, so the search ends.
func (g *grid) nearest(lat, lon float64) (int32, float64) {
	phi := lat * deg
	s := search{
		lat: lat, lon: lon, phi: phi, lam: lon * deg, cos: math.Cos(phi),
		best: -1, bestC: math.Inf(1), bestH: math.Inf(1),
		bestS: math.Inf(1), winS: math.NaN(),
	}
	s.sh, s.ch = math.Sin(phi/2), math.Cos(phi/2)
	s.x, s.y, s.z = unit(s.phi, s.lam, s.cos)
	s.r = g.start[g.reach[row(lat)*gridCols+col(lon)]]
	for {
		g.scan(&s)
		switch {
		case s.best >= 0 && s.bestH <= s.r.hav:
			return s.best, s.bestH
		case s.best >= 0:
			s.r = newRadius(angle(s.bestH))
			s.r.hav = s.bestH // so that the next round ends
		default:
			s.r = newRadius(min(2*s.r.r, math.Pi))
		}
	}
}

// scan examines the cells that can hold a city within angular distance
// s.r of the point, and nearer than the best so far. Rows are taken
// from the point's own outwards, so the best improves early and narrows
// the rest of the scan.
func (g *grid) scan(s *search) {
	// The cap spans latitudes phi ± r; if that reaches a pole, the cap
	// holds the pole and every longitude.
	r := (s.r.r + pad) / deg
	lo := row(max(s.lat-r, -90))
	hi := row(min(s.lat+r, 90))
	mid := row(s.lat)
	for k := 0; mid-k >= lo || mid+k <= hi; k++ {
		if i := mid - k; i >= lo {
			g.scanRow(s, i)
		}
		if i := mid + k; k > 0 && i <= hi {
			g.scanRow(s, i)
		}
	}
}

// scanRow examines the cells of row i within the longitude span of the
// cap whose radius is the lesser of the round's and the best distance.
func (g *grid) scanRow(s *search, i int) {
	if g.rows[i] == g.rows[i+1] {
		return // no city in the row
	}
	// No point of the row is nearer than its nearer edge of latitude (a
	// meridian arc is the shortest path between two latitudes). sg is
	// the sine of half that gap, from the sine of a difference.
	var sg float64
	switch {
	case s.lat < float64(i-90):
		sg = g.halfSin[i]*s.ch - g.halfCos[i]*s.sh
	case s.lat > float64(i-89):
		sg = s.sh*g.halfCos[i+1] - s.ch*g.halfSin[i+1]
	}
	if sg -= pad; sg > 0 && sg*sg > s.bestH {
		return
	}
	// The cap of angular radius rho around a point at latitude phi,
	// when it holds no pole, spans longitudes lam ± asin(sin rho / cos
	// phi): the meridians tangent to the cap. It holds a pole when
	// sin rho >= cos phi.
	if sr := min(s.r.sin, s.bestS) + pad; sr != s.winS {
		s.winS, s.winD = sr, -1
		if x := sr / s.cos; x < 1 {
			s.winD = (math.Asin(x) + pad) / deg
		}
	}
	if s.winD < 0 {
		g.scanCols(s, i, 0, gridCols-1)
		return
	}
	a := int(math.Floor(s.lon - s.winD + 180))
	b := int(math.Floor(s.lon + s.winD + 180))
	if b-a+1 >= gridCols {
		g.scanCols(s, i, 0, gridCols-1)
		return
	}
	first := (a%gridCols + gridCols) % gridCols
	last := first + b - a
	g.scanCols(s, i, first, min(last, gridCols-1))
	if last >= gridCols {
		g.scanCols(s, i, 0, last-gridCols)
	}
}

// scanCols examines the cells of row i in columns lo to hi.
func (g *grid) scanCols(s *search, i, lo, hi int) {
	m, end := int(g.rows[i]), int(g.rows[i+1])
	// The first cell of the row at or after column lo.
	j, _ := slices.BinarySearch(g.cols[m:end], int16(lo))
	m += j
	for ; m < end && int(g.cols[m]) <= hi; m++ {
		for k := g.cells[m]; k < g.cells[m+1]; k++ {
			g.visit(s, &g.pts[k])
		}
	}
}

// visit compares the city p with the best so far. The squared chord
// between two unit vectors is 4 times the haversine of their angle, so
// it orders cities by distance at the cost of a few multiplications;
// the haversine itself, which decides, is computed only for cities
// whose chord is within rounding error of the least seen (1e-9
// relative, 1e-18 absolute, far above the error of either formula).
// Cities at the same haversine distance are ordered by index.
func (g *grid) visit(s *search, p *point) {
	dx, dy, dz := p.x-s.x, p.y-s.y, p.z-s.z
	c := dx*dx + dy*dy + dz*dz
	if c > s.bestC*(1+1e-9)+1e-18 {
		return
	}
	s.bestC = min(s.bestC, c)
	h := hav(p.phi-s.phi) + s.cos*p.cos*hav(p.lam-s.lam)
	if h < s.bestH || (h == s.bestH && p.i < s.best) {
		s.best, s.bestH, s.bestS = p.i, h, math.Inf(1)
		if h <= 0.5 {
			// sin θ = 2 sin(θ/2) cos(θ/2), for θ up to π/2.
			s.bestS = 2 * math.Sqrt(h*(1-h))
		}
	}
}
