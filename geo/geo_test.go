package geo

import (
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"
)

// readRows parses data/cities.tsv from disk with code of its own, so
// that expectations do not come from the code under test.
func readRows(t testing.TB) []City {
	t.Helper()
	b, err := os.ReadFile("data/cities.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	var rows []City
	for n, line := range lines[1:] {
		f := strings.Split(line, "\t")
		if len(f) != 8 {
			t.Fatalf("line %d: %d fields", n+2, len(f))
		}
		lat, err1 := strconv.ParseFloat(f[4], 64)
		lon, err2 := strconv.ParseFloat(f[5], 64)
		pop, err3 := strconv.Atoi(f[7])
		if err1 != nil || err2 != nil || err3 != nil {
			t.Fatalf("line %d: %v %v %v", n+2, err1, err2, err3)
		}
		rows = append(rows, City{Name: f[0], Country: f[2], Region: f[3],
			TimeZone: f[6], Lat: lat, Lon: lon, Population: pop})
	}
	return rows
}

// TestConcurrentUse comes first so that its goroutines race to trigger
// the one-time parse; run with -race.
func TestConcurrentUse(t *testing.T) {
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			switch i % 4 {
			case 0:
				if c, ok := Lookup("IN", "Mumbai"); !ok ||
					c.TimeZone != "Asia/Kolkata" {
					t.Errorf("Lookup(IN, Mumbai) = %+v, %v", c, ok)
				}
			case 1:
				if _, _, ok := Nearest(float64(i), float64(i)); !ok {
					t.Errorf("Nearest(%d, %d) not ok", i, i)
				}
			case 2:
				if len(Zones("US")) == 0 {
					t.Error("Zones(US) empty")
				}
			case 3:
				if len(LookupAll("", "London")) != 3 {
					t.Error("LookupAll(London) not 3 cities")
				}
			}
		})
	}
	wg.Wait()
}

func TestEmbeddedMatchesFile(t *testing.T) {
	b, err := os.ReadFile("data/cities.tsv")
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != citiesTSV {
		t.Fatal("embedded data differs from data/cities.tsv")
	}
	rows := readRows(t)
	g := data()
	if !slices.Equal(g.cities, rows) {
		t.Fatal("parsed cities differ from the rows of data/cities.tsv")
	}
	// The counts recorded in data/SOURCE.md.
	countries := map[string]bool{}
	zones := map[string]bool{}
	for _, r := range rows {
		countries[r.Country] = true
		zones[r.TimeZone] = true
	}
	if len(rows) != 7281 || len(countries) != 225 || len(zones) != 361 {
		t.Errorf("%d cities, %d countries, %d zones; SOURCE.md says "+
			"7281, 225, 361", len(rows), len(countries), len(zones))
	}
}

// TestZonesLoad checks that every zone of the data is known to the IANA
// database embedded by time/tzdata.
func TestZonesLoad(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range readRows(t) {
		if seen[r.TimeZone] {
			continue
		}
		seen[r.TimeZone] = true
		if _, err := time.LoadLocation(r.TimeZone); err != nil {
			t.Errorf("%s (%s, %s): %v", r.TimeZone, r.Name, r.Country, err)
		}
	}
}

func TestLookupKnown(t *testing.T) {
	// Expected values copied from data/cities.tsv.
	tests := []struct {
		country, name string
		want          City
	}{
		{"IN", "Mumbai", City{"Mumbai", "IN", "Maharashtra", "Asia/Kolkata",
			19.01699038, 72.8569893, 15834918}},
		{"", "mumbai", City{"Mumbai", "IN", "Maharashtra", "Asia/Kolkata",
			19.01699038, 72.8569893, 15834918}},
		{"GB", "London", City{"London", "GB", "Westminster", "Europe/London",
			51.49999473, -0.116721844, 7994105}},
		{"CA", "London", City{"London", "CA", "Ontario", "America/Toronto",
			42.9699986, -81.24998661, 340900}},
		{"ca", "LONDON", City{"London", "CA", "Ontario", "America/Toronto",
			42.9699986, -81.24998661, 340900}},
		{"US", "London", City{"London", "US", "KY", "America/New_York",
			37.12888226, -84.08335372, 7844}},
		{"BR", "Sao Paulo", City{"Sao Paulo", "BR", "São Paulo",
			"America/Sao_Paulo", -23.55867959, -46.62501998, 14433148}},
		{"", "São Paulo", City{"Sao Paulo", "BR", "São Paulo",
			"America/Sao_Paulo", -23.55867959, -46.62501998, 14433148}},
		{"", "SÃO PAULO", City{"Sao Paulo", "BR", "São Paulo",
			"America/Sao_Paulo", -23.55867959, -46.62501998, 14433148}},
		{"US", "New York", City{"New York", "US", "NY", "America/New_York",
			40.74997906, -73.98001693, 13524139}},
		{"", "  new   york ", City{"New York", "US", "NY", "America/New_York",
			40.74997906, -73.98001693, 13524139}},
		// Accent folding on the data side.
		{"SE", "Malmo", City{"Malmö", "SE", "Skåne", "Europe/Stockholm",
			55.58333722, 13.03330237, 265449}},
		{"DK", "Århus", City{"Århus", "DK", "Midtjylland",
			"Europe/Copenhagen", 56.157204, 10.21068396, 232326}},
		// The source's ASCII spelling, used when no name matches.
		{"", "Aarhus", City{"Århus", "DK", "Midtjylland",
			"Europe/Copenhagen", 56.157204, 10.21068396, 232326}},
		{"", "Kocaeli", City{"Izmit", "TR", "Kocaeli", "Europe/Istanbul",
			40.77602399, 29.93061723, 383558}},
		// A name beats another city's ASCII spelling: Victorville,
		// California has the ASCII name "Victoriaville".
		{"", "Victoriaville", City{"Victoriaville", "CA", "Québec",
			"America/Montreal", 46.05040489, -71.96667729, 37963}},
	}
	for _, tt := range tests {
		got, ok := Lookup(tt.country, tt.name)
		if !ok || got != tt.want {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want %+v", tt.country,
				tt.name, got, ok, tt.want)
		}
	}
}

func TestLookupAmbiguous(t *testing.T) {
	// Populations from data/cities.tsv: every city of each name, most
	// populous first.
	tests := []struct {
		country, name string
		want          []string // country/region of each match, in order
	}{
		{"", "London", []string{"GB/Westminster", "CA/Ontario", "US/KY"}},
		{"", "Portland", []string{"US/OR", "US/ME", "AU/Victoria"}},
		{"US", "Portland", []string{"US/OR", "US/ME"}},
		{"AU", "Portland", []string{"AU/Victoria"}},
		{"US", "Springfield",
			[]string{"US/MA", "US/MO", "US/IL", "US/OH", "US/OR"}},
		{"", "Sydney", []string{"AU/New South Wales", "CA/Nova Scotia"}},
		// "San José" (Bolivia) folds to "san jose" as well.
		{"", "San Jose", []string{"US/CA", "CR/San José", "GT/Escuintla",
			"BO/Santa Cruz"}},
		{"", "cordoba", []string{"AR/Córdoba", "ES/Andalucía", "MX/Veracruz"}},
		// Two rows of the source for the same city: the larger first.
		{"ID", "Bandar Lampung", []string{"ID/Lampung", "ID/Lampung"}},
	}
	for _, tt := range tests {
		all := LookupAll(tt.country, tt.name)
		var got []string
		for _, c := range all {
			got = append(got, c.Country+"/"+c.Region)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("LookupAll(%q, %q) = %q; want %q", tt.country,
				tt.name, got, tt.want)
			continue
		}
		one, ok := Lookup(tt.country, tt.name)
		if !ok || one != all[0] {
			t.Errorf("Lookup(%q, %q) = %+v, %v; want %+v", tt.country,
				tt.name, one, ok, all[0])
		}
	}
	if c, _ := Lookup("ID", "Bandar Lampung"); c.Population != 881801 {
		t.Errorf("Bandar Lampung: population %d, want 881801",
			c.Population)
	}
}

func TestLookupUnknown(t *testing.T) {
	tests := [][2]string{
		{"", "Atlantis"},
		{"", ""},
		{"", "   "},
		{"GB", "Toronto"},
		{"XX", "London"},
		{"US", "Washington"}, // the source's name is "Washington, D.C."
		{"", "Lond"},
	}
	for _, tt := range tests {
		if c, ok := Lookup(tt[0], tt[1]); ok {
			t.Errorf("Lookup(%q, %q) = %+v, want no city", tt[0], tt[1], c)
		}
		if all := LookupAll(tt[0], tt[1]); all != nil {
			t.Errorf("LookupAll(%q, %q) = %+v, want nil", tt[0], tt[1], all)
		}
	}
}

// TestLookupEveryCity looks up every city of the data file by its name
// and country: it must be among the matches, which come most populous
// first.
func TestLookupEveryCity(t *testing.T) {
	for _, r := range readRows(t) {
		all := LookupAll(r.Country, r.Name)
		if !slices.Contains(all, r) {
			t.Errorf("LookupAll(%q, %q) misses %+v", r.Country, r.Name, r)
			continue
		}
		if !slices.IsSortedFunc(all, func(a, b City) int {
			return b.Population - a.Population
		}) {
			t.Errorf("LookupAll(%q, %q) not by population", r.Country,
				r.Name)
		}
		if c, _ := Lookup(r.Country, r.Name); c != all[0] {
			t.Errorf("Lookup(%q, %q) = %+v, not the first of LookupAll",
				r.Country, r.Name, c)
		}
	}
}

func TestLookupAllIsCopy(t *testing.T) {
	all := LookupAll("", "London")
	all[0].Name = "changed"
	if c, _ := Lookup("", "London"); c.Name != "London" {
		t.Fatalf("changing LookupAll's result changed the data: %+v", c)
	}
}

func TestZones(t *testing.T) {
	us := Zones("US")
	for _, z := range []string{"America/New_York", "America/Los_Angeles",
		"America/Chicago", "America/Denver", "America/Anchorage",
		"Pacific/Honolulu"} {
		if !slices.Contains(us, z) {
			t.Errorf("Zones(US) lacks %s: %q", z, us)
		}
	}
	if !slices.Equal(Zones("us"), us) {
		t.Error("Zones(us) differs from Zones(US)")
	}
	// The zones of AU's rows in data/cities.tsv, sorted by hand.
	au := []string{"Australia/Adelaide", "Australia/Brisbane",
		"Australia/Broken_Hill", "Australia/Darwin", "Australia/Hobart",
		"Australia/Melbourne", "Australia/Perth", "Australia/Sydney"}
	if got := Zones("AU"); !slices.Equal(got, au) {
		t.Errorf("Zones(AU) = %q; want %q", got, au)
	}
	if got := Zones("XX"); got != nil {
		t.Errorf("Zones(XX) = %q; want nil", got)
	}
	// Zones("") is every distinct zone; each country's list is sorted,
	// distinct and exactly the zones of its rows.
	want := map[string]map[string]bool{"": {}}
	for _, r := range readRows(t) {
		if want[r.Country] == nil {
			want[r.Country] = map[string]bool{}
		}
		want[r.Country][r.TimeZone] = true
		want[""][r.TimeZone] = true
	}
	for cc, set := range want {
		got := Zones(cc)
		if len(got) != len(set) || !slices.IsSorted(got) {
			t.Errorf("Zones(%q) = %q; want the %d zones sorted", cc, got,
				len(set))
		}
		for i, z := range got {
			if !set[z] || i > 0 && got[i-1] == z {
				t.Errorf("Zones(%q): unexpected or repeated %q", cc, z)
			}
		}
	}
	us[0] = "changed"
	if Zones("US")[0] == "changed" {
		t.Error("changing Zones' result changed the data")
	}
}

func TestParseErrors(t *testing.T) {
	const h = "name\tascii\tcountry\tregion\tlat\tlon\tzone\tpopulation\n"
	good := "London\t\tGB\tWestminster\t51.5\t-0.1\tEurope/London\t100\n"
	if g, err := parse(h + good); err != nil || len(g.cities) != 1 {
		t.Fatalf("parse(one good line) = %v", err)
	}
	bad := []string{
		"",
		"name,ascii\n" + good,
		h,
		h + "\n",
		h + "London\t\tGB\tWestminster\t51.5\t-0.1\tEurope/London\n",
		h + "London\t\tGB\tW\t51.5\t-0.1\tEurope/London\t100\tx\n",
		h + "\t\tGB\tW\t51.5\t-0.1\tEurope/London\t100\n",
		h + "London\t\tgb\tW\t51.5\t-0.1\tEurope/London\t100\n",
		h + "London\t\tGBR\tW\t51.5\t-0.1\tEurope/London\t100\n",
		h + "London\t\tGB\tW\t91\t-0.1\tEurope/London\t100\n",
		h + "London\t\tGB\tW\tNaN\t-0.1\tEurope/London\t100\n",
		h + "London\t\tGB\tW\t51.5\t180.5\tEurope/London\t100\n",
		h + "London\t\tGB\tW\t51.5\tx\tEurope/London\t100\n",
		h + "London\t\tGB\tW\t51.5\t-0.1\t\t100\n",
		h + "London\t\tGB\tW\t51.5\t-0.1\tEurope/London\t-1\n",
		h + "London\t\tGB\tW\t51.5\t-0.1\tEurope/London\t1.5\n",
	}
	for _, s := range bad {
		_, err := parse(s)
		if err == nil {
			t.Errorf("parse(%q) succeeded", s)
		} else if !strings.HasPrefix(err.Error(), "geo: ") {
			t.Errorf("parse(%q): error %q lacks the geo: prefix", s, err)
		}
	}
}
