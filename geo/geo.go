// Package geo is a small embedded gazetteer of about 7,300 cities with
// their country, region, coordinates, IANA time zone and population.
//
// It answers three questions: which city a name refers to (Lookup,
// LookupAll), which city is nearest to a point (Nearest, ZoneAt) and
// which time zones a country's cities use (Zones). The data is the city
// list of the MIT-licensed npm package city-timezones; data/SOURCE.md
// records the version, the licence and how data/cities.tsv is made.
//
// The data is compiled into the binary and parsed on first use, once;
// every function is safe for concurrent use. The list covers capitals,
// large cities and regional towns, not every place: for a place not in
// it, the best the package offers is the nearest listed city (Nearest).
package geo

import (
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// citiesTSV is data/cities.tsv: a header line, then one city a line
// with the tab-separated fields name, ascii, country, region, lat, lon,
// zone and population. ascii is empty when it equals name.
//
//go:embed data/cities.tsv
var citiesTSV string

// City is one entry of the gazetteer.
type City struct {
	// Name is the city's name as the source spells it, accents
	// included ("São Paulo" is spelt "Sao Paulo" there, "Montréal"
	// keeps its accent).
	Name string
	// Country is the ISO 3166-1 alpha-2 code in upper case, or XK for
	// Kosovo.
	Country string
	// Region is the state, province or similar division: the two-letter
	// state code for the United States ("NY"), the source's province
	// name elsewhere ("Ontario", "Westminster"). It may be empty.
	Region string
	// TimeZone is the IANA time zone name, such as "Europe/London". It
	// may be a backward-compatible link ("America/Montreal"); every one
	// loads with time.LoadLocation when the tz database is available.
	TimeZone string
	// Lat and Lon are the latitude and longitude in degrees (WGS 84).
	Lat, Lon float64
	// Population is the source's figure, which for large cities covers
	// the urban area; 0 where the source gives none.
	Population int
}

// gazetteer is the parsed data. It is never modified after parse.
type gazetteer struct {
	cities []City
	// names maps the folded name of each city to the indexes of the
	// cities of that name, most populous first.
	names map[string][]int32
	// aliases does the same for the source's ASCII names, only where
	// they fold to something other than the name.
	aliases map[string][]int32
	// zones maps a country code to its sorted distinct zones, and ""
	// to every zone.
	zones map[string][]string
	grid  grid
}

var (
	loadOnce sync.Once
	loaded   *gazetteer
)

// data returns the gazetteer, parsing the embedded file on first use.
// The file is part of the package and checked by its tests, so a parse
// error is a build defect and panics.
func data() *gazetteer {
	loadOnce.Do(func() {
		g, err := parse(citiesTSV)
		if err != nil {
			panic(err)
		}
		loaded = g
	})
	return loaded
}

// parse reads the TSV layout of data/cities.tsv and builds the indexes.
// Strings in the result share memory with s.
func parse(s string) (*gazetteer, error) {
	header, body, _ := strings.Cut(s, "\n")
	const want = "name\tascii\tcountry\tregion\tlat\tlon\tzone\tpopulation"
	if header != want {
		return nil, errors.New("geo: data: unexpected header")
	}
	g := &gazetteer{
		cities:  make([]City, 0, strings.Count(body, "\n")),
		names:   make(map[string][]int32),
		aliases: make(map[string][]int32),
		zones:   make(map[string][]string),
	}
	var f [8]string
	for n := 2; body != ""; n++ {
		var line string
		line, body, _ = strings.Cut(body, "\n")
		if line == "" {
			return nil, fmt.Errorf("geo: data line %d: empty", n)
		}
		for i := range 7 {
			var ok bool
			f[i], line, ok = strings.Cut(line, "\t")
			if !ok {
				return nil, fmt.Errorf("geo: data line %d: %d fields, want 8",
					n, i+1)
			}
		}
		if strings.Contains(line, "\t") {
			return nil, fmt.Errorf("geo: data line %d: too many fields", n)
		}
		f[7] = line
		c, err := parseCity(f)
		if err != nil {
			return nil, fmt.Errorf("geo: data line %d: %w", n, err)
		}
		i := int32(len(g.cities))
		g.cities = append(g.cities, c)
		key := fold(c.Name)
		g.names[key] = append(g.names[key], i)
		if f[1] != "" {
			if a := fold(f[1]); a != key {
				g.aliases[a] = append(g.aliases[a], i)
			}
		}
	}
	if len(g.cities) == 0 {
		return nil, errors.New("geo: data: no cities")
	}
	byPop := func(a, b int32) int {
		pa, pb := g.cities[a].Population, g.cities[b].Population
		if pa != pb {
			if pa > pb {
				return -1
			}
			return 1
		}
		return int(a - b)
	}
	for _, m := range []map[string][]int32{g.names, g.aliases} {
		for _, l := range m {
			slices.SortFunc(l, byPop)
		}
	}
	seen := make(map[[2]string]bool)
	for _, c := range g.cities {
		for _, cc := range [2]string{c.Country, ""} {
			k := [2]string{cc, c.TimeZone}
			if !seen[k] {
				seen[k] = true
				g.zones[cc] = append(g.zones[cc], c.TimeZone)
			}
		}
	}
	for _, z := range g.zones {
		slices.Sort(z)
	}
	g.grid.build(g.cities)
	return g, nil
}

// parseCity converts the eight fields of one data line.
func parseCity(f [8]string) (City, error) {
	c := City{Name: f[0], Country: f[2], Region: f[3], TimeZone: f[6]}
	if c.Name == "" {
		return c, errors.New("empty name")
	}
	if len(c.Country) != 2 || !isUpper(c.Country[0]) ||
		!isUpper(c.Country[1]) {
		return c, fmt.Errorf("bad country %q", c.Country)
	}
	if c.TimeZone == "" {
		return c, errors.New("empty zone")
	}
	var err error
	if c.Lat, err = strconv.ParseFloat(f[4], 64); err != nil ||
		!(c.Lat >= -90 && c.Lat <= 90) {
		return c, fmt.Errorf("bad latitude %q", f[4])
	}
	if c.Lon, err = strconv.ParseFloat(f[5], 64); err != nil ||
		!(c.Lon >= -180 && c.Lon <= 180) {
		return c, fmt.Errorf("bad longitude %q", f[5])
	}
	if c.Population, err = strconv.Atoi(f[7]); err != nil ||
		c.Population < 0 {
		return c, fmt.Errorf("bad population %q", f[7])
	}
	return c, nil
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

// Lookup returns the city called name in country, an ISO 3166-1
// alpha-2 code in any case, or in any country if country is "".
//
// Names match without regard to case, to runs of spaces, to the
// apostrophe's form or to common Latin accents: "sao paulo", "São
// Paulo" and "SAO PAULO" are the same name, as are "Malmo" and "Malmö".
// The name must otherwise be whole: "Washington" does not match
// "Washington, D.C.". When no city has the name, the source's ASCII
// spellings are tried ("Aarhus" finds Århus); a few of these are
// another name of the place ("Kocaeli" finds Izmit).
//
// When several cities share the name, the most populous wins (among
// equals, the one first in the data file): Lookup("", "London") is
// London, England, and Lookup("US", "Portland") is Portland, Oregon.
// Use LookupAll to see the others, or pass a country. ok is false when
// no city matches.
func Lookup(country, name string) (c City, ok bool) {
	g := data()
	var found City
	ok = g.match(country, name, func(i int32) bool {
		found = g.cities[i]
		return false
	})
	return found, ok
}

// LookupAll returns every city that Lookup(country, name) chooses from,
// most populous first (ties in data file order), or nil if none does.
// The slice is the caller's to keep or change.
func LookupAll(country, name string) []City {
	g := data()
	var all []City
	g.match(country, name, func(i int32) bool {
		all = append(all, g.cities[i])
		return true
	})
	return all
}

// match calls yield for each city matching country and name, most
// populous first, until yield returns false. Cities matched by name
// take precedence: aliases are tried only when no name matches. It
// reports whether any city matched.
func (g *gazetteer) match(country, name string, yield func(int32) bool) bool {
	key := fold(name)
	if key == "" {
		return false
	}
	country = strings.TrimSpace(country)
	hit := false
	for _, m := range []map[string][]int32{g.names, g.aliases} {
		for _, i := range m[key] {
			if country != "" &&
				!strings.EqualFold(g.cities[i].Country, country) {
				continue
			}
			hit = true
			if !yield(i) {
				return true
			}
		}
		if hit {
			return true
		}
	}
	return false
}

// Zones returns the distinct time zones of the cities of country (an
// ISO 3166-1 alpha-2 code in any case), sorted, or nil if the gazetteer
// has no city there. Zones("") returns every zone in the gazetteer.
//
// The list holds only zones that some listed city uses, as the source
// names them, so it can miss a zone of a sparsely listed area and can
// hold both a zone and its backward-compatible link. The slice is the
// caller's to keep or change.
func Zones(country string) []string {
	z := data().zones[strings.ToUpper(strings.TrimSpace(country))]
	return slices.Clone(z)
}
