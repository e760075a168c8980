package synth

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
)

//go:embed data/cities.csv
var citiesCSV []byte

// cityHeader is the header row cities.csv must start with.
var cityHeader = []string{
	"name", "country", "region", "lat", "lon", "time_zone", "population",
}

// City is one row of the embedded gazetteer (see data/SOURCE.md).
type City struct {
	// Name is the city's name as the source spells it ("Montréal").
	Name string
	// Country is an ISO 3166-1 alpha-2 code ("US").
	Country string
	// Region is the state code for the United States ("NY") and the
	// province or county name elsewhere ("Ontario", "West Yorkshire").
	Region string
	// Lat and Lon are the city's coordinates in degrees.
	Lat, Lon float64
	// TimeZone is the city's IANA zone ("America/New_York").
	TimeZone string
	// Population is the source's population figure, which for large
	// cities covers the wider urban area.
	Population int
}

var parsedCities = sync.OnceValues(func() ([]City, error) {
	return parseCities(bytes.NewReader(citiesCSV))
})

// Cities returns the embedded gazetteer in file order. The slice is a
// fresh copy on each call; callers may modify it.
func Cities() ([]City, error) {
	cs, err := parsedCities()
	if err != nil {
		return nil, err
	}
	return slices.Clone(cs), nil
}

// parseCities reads a gazetteer in the cities.csv layout.
func parseCities(r io.Reader) ([]City, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = len(cityHeader)
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("synth: cities.csv header: %w", err)
	}
	if !slices.Equal(head, cityHeader) {
		return nil, fmt.Errorf("synth: cities.csv header is %q, want %q",
			head, cityHeader)
	}
	var out []City
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("synth: cities.csv: %w", err)
		}
		line, _ := cr.FieldPos(0)
		c, err := parseCity(rec)
		if err != nil {
			return nil, fmt.Errorf("synth: cities.csv line %d: %w", line, err)
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("synth: cities.csv has no cities")
	}
	return out, nil
}

func parseCity(rec []string) (City, error) {
	c := City{
		Name:     rec[0],
		Country:  rec[1],
		Region:   rec[2],
		TimeZone: rec[5],
	}
	if c.Name == "" || c.Region == "" || c.TimeZone == "" {
		return City{}, fmt.Errorf("empty name, region or time zone")
	}
	if len(c.Country) != 2 || c.Country[0] < 'A' || c.Country[0] > 'Z' ||
		c.Country[1] < 'A' || c.Country[1] > 'Z' {
		return City{}, fmt.Errorf("country %q is not an alpha-2 code", c.Country)
	}
	var err error
	if c.Lat, err = strconv.ParseFloat(rec[3], 64); err != nil ||
		c.Lat < -90 || c.Lat > 90 {
		return City{}, fmt.Errorf("bad latitude %q", rec[3])
	}
	if c.Lon, err = strconv.ParseFloat(rec[4], 64); err != nil ||
		c.Lon < -180 || c.Lon > 180 {
		return City{}, fmt.Errorf("bad longitude %q", rec[4])
	}
	if c.Population, err = strconv.Atoi(rec[6]); err != nil ||
		c.Population < 0 {
		return City{}, fmt.Errorf("bad population %q", rec[6])
	}
	return c, nil
}
