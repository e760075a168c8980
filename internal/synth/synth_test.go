package synth_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/internal/synth"
)

var testNow = time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)

// Fictional ranges, written out here independently of the generator.
var (
	nanpFiction = regexp.MustCompile(`^\+1([2-9][0-9]{2})55501[0-9]{2}$`)
	ukFiction   = regexp.MustCompile(`^\+447700900[0-9]{3}$`)
)

func generate(t *testing.T, opts synth.Options) []signedcall.Profile {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	ps, err := synth.Generate(opts)
	if err != nil {
		t.Fatalf("Generate(%+v): %v", opts, err)
	}
	if len(ps) != opts.Profiles {
		t.Fatalf("Generate made %d profiles, want %d", len(ps), opts.Profiles)
	}
	return ps
}

func jsonl(t *testing.T, ps []signedcall.Profile) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := synth.WriteJSONL(&b, ps); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// distanceKm is the haversine distance between two points.
func distanceKm(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

func cityKey(country, region, name string) string {
	return country + "|" + region + "|" + name
}

func TestCities(t *testing.T) {
	cs, err := synth.Cities()
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) < 100 {
		t.Fatalf("got %d cities, want at least 100", len(cs))
	}
	seen := map[string]synth.City{}
	perCountry := map[string]int{}
	for _, c := range cs {
		k := cityKey(c.Country, c.Region, c.Name)
		if _, dup := seen[k]; dup {
			t.Errorf("duplicate city %s", k)
		}
		seen[k] = c
		perCountry[c.Country]++
		if c.Lat < -90 || c.Lat > 90 || c.Lon < -180 || c.Lon > 180 ||
			(c.Lat == 0 && c.Lon == 0) {
			t.Errorf("%s: bad coordinates %v,%v", k, c.Lat, c.Lon)
		}
		if c.Population <= 0 {
			t.Errorf("%s: population %d", k, c.Population)
		}
		loc, err := time.LoadLocation(c.TimeZone)
		if err != nil {
			t.Errorf("%s: %v", k, err)
			continue
		}
		// The zone's standard offset must be near the solar time of the
		// city's longitude: this catches swapped or mistyped zones.
		_, off := time.Date(2026, 1, 15, 12, 0, 0, 0, loc).Zone()
		solar := c.Lon / 15
		if d := math.Abs(float64(off)/3600 - solar); d > 2.5 {
			t.Errorf("%s: zone %s is UTC%+.1fh, longitude suggests %+.1fh",
				k, c.TimeZone, float64(off)/3600, solar)
		}
	}
	for _, cc := range []string{"US", "CA", "GB"} {
		if perCountry[cc] < 15 {
			t.Errorf("%s has %d cities, want at least 15", cc, perCountry[cc])
		}
	}
	if len(perCountry) != 3 {
		t.Errorf("countries %v, want US, CA and GB", perCountry)
	}

	// Known cities with coordinates to a tenth of a degree or so.
	known := []struct {
		country, region, name string
		lat, lon              float64
		zone                  string
	}{
		{"US", "NY", "New York", 40.7, -74.0, "America/New_York"},
		{"US", "NJ", "Newark", 40.7, -74.2, "America/New_York"},
		{"US", "IL", "Chicago", 41.9, -87.7, "America/Chicago"},
		{"US", "IL", "Evanston", 42.0, -87.7, "America/Chicago"},
		{"US", "CO", "Denver", 39.7, -105.0, "America/Denver"},
		{"US", "CO", "Aurora", 39.7, -104.8, "America/Denver"},
		{"US", "CA", "Los Angeles", 34.0, -118.2, "America/Los_Angeles"},
		{"US", "CA", "Long Beach", 33.8, -118.2, "America/Los_Angeles"},
		{"US", "CA", "Pasadena", 34.2, -118.1, "America/Los_Angeles"},
		{"US", "AZ", "Phoenix", 33.5, -112.1, "America/Phoenix"},
		{"US", "HI", "Honolulu", 21.3, -157.9, "Pacific/Honolulu"},
		{"US", "AK", "Anchorage", 61.2, -149.9, "America/Anchorage"},
		{"US", "FL", "Miami", 25.8, -80.2, "America/New_York"},
		{"US", "WA", "Seattle", 47.6, -122.3, "America/Los_Angeles"},
		{"CA", "Ontario", "Toronto", 43.7, -79.4, "America/Toronto"},
		{"CA", "British Columbia", "Vancouver", 49.3, -123.1, "America/Vancouver"},
		{"CA", "Alberta", "Calgary", 51.1, -114.1, "America/Edmonton"},
		{"CA", "Nova Scotia", "Halifax", 44.6, -63.6, "America/Halifax"},
		{"CA", "Newfoundland and Labrador", "St. John's", 47.6, -52.7, "America/St_Johns"},
		{"GB", "Westminster", "London", 51.5, -0.1, "Europe/London"},
		{"GB", "Manchester", "Manchester", 53.5, -2.2, "Europe/London"},
		{"GB", "West Midlands", "Birmingham", 52.5, -1.9, "Europe/London"},
		{"GB", "West Yorkshire", "Leeds", 53.8, -1.6, "Europe/London"},
		{"GB", "Glasgow", "Glasgow", 55.9, -4.3, "Europe/London"},
	}
	for _, k := range known {
		c, ok := seen[cityKey(k.country, k.region, k.name)]
		if !ok {
			t.Errorf("missing %s, %s, %s", k.name, k.region, k.country)
			continue
		}
		if d := distanceKm(c.Lat, c.Lon, k.lat, k.lon); d > 25 {
			t.Errorf("%s is %.0f km from where it should be", k.name, d)
		}
		if c.TimeZone != k.zone {
			t.Errorf("%s: zone %s, want %s", k.name, c.TimeZone, k.zone)
		}
	}

	// Cities returns a copy.
	cs[0].Name = "changed"
	again, err := synth.Cities()
	if err != nil {
		t.Fatal(err)
	}
	if again[0].Name == "changed" {
		t.Error("Cities shares its slice between calls")
	}
}

func TestDeterministic(t *testing.T) {
	a := jsonl(t, generate(t, synth.Options{Seed: 7, Profiles: 600}))
	b := jsonl(t, generate(t, synth.Options{Seed: 7, Profiles: 600}))
	if !bytes.Equal(a, b) {
		t.Fatal("same seed gave different output")
	}
	c := generate(t, synth.Options{Seed: 8, Profiles: 600})
	if bytes.Equal(a, jsonl(t, c)) {
		t.Fatal("different seeds gave the same output")
	}
	// Not just a small difference: most profiles change.
	first := generate(t, synth.Options{Seed: 7, Profiles: 600})
	same := 0
	for i := range first {
		if first[i].Phone == c[i].Phone && first[i].Email == c[i].Email &&
			first[i].City == c[i].City {
			same++
		}
	}
	if same > len(first)/10 {
		t.Errorf("%d of %d profiles identical across seeds", same, len(first))
	}
}

func TestNowOnly(t *testing.T) {
	now := time.Date(2001, 3, 4, 5, 6, 7, 0, time.FixedZone("X", 3600))
	ps := generate(t, synth.Options{Seed: 1, Profiles: 200, Now: now, Days: 10})
	lo := now.Add(-10 * 24 * time.Hour)
	n := 0
	for _, p := range ps {
		for _, e := range p.Events {
			n++
			if e.Time.Before(lo) || !e.Time.Before(now) {
				t.Fatalf("%s: event at %v outside [%v, %v)", p.ID, e.Time, lo, now)
			}
		}
	}
	if n == 0 {
		t.Fatal("no events")
	}
}

func TestPhones(t *testing.T) {
	ps := generate(t, synth.Options{Seed: 20261205, Profiles: 4000})
	nyc := map[string]bool{"212": true, "332": true, "347": true,
		"646": true, "718": true, "917": true, "929": true}
	seen := map[string]string{}
	with, nycSeen, ukSeen, unsub := 0, 0, 0, 0
	for _, p := range ps {
		if p.Reach.HasPhone != (p.Phone != "") {
			t.Errorf("%s: HasPhone %v with phone %q", p.ID, p.Reach.HasPhone, p.Phone)
		}
		if p.Phone == "" {
			if p.Reach.UnsubscribedSMS {
				t.Errorf("%s: unsubscribed from SMS without a phone", p.ID)
			}
			continue
		}
		with++
		if p.Reach.UnsubscribedSMS {
			unsub++
		}
		if other, dup := seen[p.Phone]; dup {
			t.Errorf("%s and %s share %s", other, p.ID, p.Phone)
		}
		seen[p.Phone] = p.ID
		switch p.Country {
		case "US", "CA":
			m := nanpFiction.FindStringSubmatch(p.Phone)
			if m == nil {
				t.Errorf("%s (%s): %s is not +1 NPA 555-01XX", p.ID, p.Country, p.Phone)
				continue
			}
			if p.City == "New York" {
				nycSeen++
				if !nyc[m[1]] {
					t.Errorf("%s: New York number %s has area code %s", p.ID, p.Phone, m[1])
				}
			}
		case "GB":
			ukSeen++
			if !ukFiction.MatchString(p.Phone) {
				t.Errorf("%s: %s is not +44 7700 900XXX", p.ID, p.Phone)
			}
		default:
			t.Errorf("%s: phone %s for country %q", p.ID, p.Phone, p.Country)
		}
	}
	if nycSeen < 50 || ukSeen < 50 {
		t.Errorf("only %d New York and %d UK phones", nycSeen, ukSeen)
	}
	if share := float64(with) / float64(len(ps)); share < 0.85 || share > 0.95 {
		t.Errorf("%.3f of profiles have a phone, want about 0.90", share)
	}
	if share := float64(unsub) / float64(with); share < 0.03 || share > 0.07 {
		t.Errorf("%.3f unsubscribed from SMS, want about 0.05", share)
	}
}

func TestPhoneRangesRunOut(t *testing.T) {
	all, err := synth.Cities()
	if err != nil {
		t.Fatal(err)
	}
	pick := func(country, region, name string) synth.City {
		for _, c := range all {
			if c.Country == country && c.Region == region && c.Name == name {
				return c
			}
		}
		t.Fatalf("no city %s", name)
		return synth.City{}
	}
	cases := []struct {
		city      synth.City
		n, most   int
		fictional *regexp.Regexp
	}{
		// Buffalo has the single area code 716: 100 fictional numbers.
		{pick("US", "NY", "Buffalo"), 300, 100, nanpFiction},
		// The whole UK drama range is 1,000 numbers.
		{pick("GB", "West Yorkshire", "Leeds"), 1500, 1000, ukFiction},
		// No fictional range is known for France.
		{synth.City{Name: "Lyon", Country: "FR", Region: "ARA", Lat: 45.76,
			Lon: 4.84, TimeZone: "Europe/Paris", Population: 1}, 50, 0, nil},
	}
	for _, tc := range cases {
		ps := generate(t, synth.Options{Seed: 3, Profiles: tc.n,
			Cities: []synth.City{tc.city}})
		seen := map[string]bool{}
		for _, p := range ps {
			if p.Reach.HasPhone != (p.Phone != "") {
				t.Errorf("%s: HasPhone %v with phone %q", p.ID, p.Reach.HasPhone, p.Phone)
			}
			if p.Phone == "" {
				continue
			}
			if seen[p.Phone] {
				t.Errorf("%s: repeated %s", tc.city.Name, p.Phone)
			}
			seen[p.Phone] = true
			if tc.fictional == nil || !tc.fictional.MatchString(p.Phone) {
				t.Errorf("%s: %s is not fictional", tc.city.Name, p.Phone)
			}
		}
		// About 90% ask for a phone, more than the range holds.
		if len(seen) != tc.most {
			t.Errorf("%s: %d phones, want the whole range of %d", tc.city.Name,
				len(seen), tc.most)
		}
	}
}

func TestProfiles(t *testing.T) {
	cities, err := synth.Cities()
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]synth.City{}
	for _, c := range cities {
		byKey[cityKey(c.Country, c.Region, c.Name)] = c
	}
	ps := generate(t, synth.Options{Seed: 20261205, Profiles: 4000})
	ids, emails := map[string]bool{}, map[string]bool{}
	perCity := map[string]int{}
	noTZ, noEmail := 0, 0
	plans := map[any]int{}
	genders := map[signedcall.Gender]int{}
	lo := signedcall.Date{Year: 1950, Month: 1, Day: 1}
	hi := signedcall.Date{Year: 2007, Month: 12, Day: 31}
	for _, p := range ps {
		if p.ID == "" || ids[p.ID] {
			t.Errorf("bad or repeated ID %q", p.ID)
		}
		ids[p.ID] = true
		k := cityKey(p.Country, p.Region, p.City)
		c, ok := byKey[k]
		if !ok {
			t.Errorf("%s: unknown city %s", p.ID, k)
			continue
		}
		perCity[k]++
		if p.Location == nil {
			t.Errorf("%s: no location", p.ID)
		} else if d := distanceKm(c.Lat, c.Lon, p.Location.Lat, p.Location.Lon); d > 15 {
			t.Errorf("%s: %.1f km from %s", p.ID, d, c.Name)
		}
		switch p.TimeZone {
		case "":
			noTZ++
		case c.TimeZone:
		default:
			t.Errorf("%s: zone %s in %s (%s)", p.ID, p.TimeZone, c.Name, c.TimeZone)
		}
		if p.Reach.HasEmail != (p.Email != "") {
			t.Errorf("%s: HasEmail %v with %q", p.ID, p.Reach.HasEmail, p.Email)
		}
		if p.Email == "" {
			noEmail++
		} else {
			if !strings.HasSuffix(p.Email, "@example.com") &&
				!strings.HasSuffix(p.Email, "@example.org") {
				t.Errorf("%s: e-mail %s outside the reserved domains", p.ID, p.Email)
			}
			if emails[p.Email] {
				t.Errorf("%s: repeated e-mail %s", p.ID, p.Email)
			}
			emails[p.Email] = true
		}
		if !p.Birth.IsZero() {
			s := p.Birth.String()
			if s < lo.String() || s > hi.String() {
				t.Errorf("%s: born %s", p.ID, s)
			}
			if _, err := signedcall.ParseDate(s); err != nil {
				t.Errorf("%s: %v", p.ID, err)
			}
		}
		genders[p.Gender]++
		plans[p.Properties["plan"]]++
		if _, ok := p.Properties["newsletter"].(bool); !ok {
			t.Errorf("%s: newsletter %#v", p.ID, p.Properties["newsletter"])
		}
		ltv, ok := p.Properties["lifetime_value"].(float64)
		if !ok || ltv < 0 {
			t.Errorf("%s: lifetime_value %#v", p.ID, p.Properties["lifetime_value"])
		}
		charged := 0.0
		for _, e := range p.Events {
			if e.Name == synth.EventCharged {
				charged += e.Properties["amount"].(float64)
			}
		}
		if ltv < charged-0.01 {
			t.Errorf("%s: lifetime_value %.2f below charges %.2f", p.ID, ltv, charged)
		}
	}
	for _, c := range cities {
		if perCity[cityKey(c.Country, c.Region, c.Name)] == 0 {
			t.Errorf("no profile in %s, %s", c.Name, c.Region)
		}
	}
	if ny, nome := perCity[cityKey("US", "NY", "New York")],
		perCity[cityKey("US", "AK", "Nome")]; ny < 20*nome {
		t.Errorf("New York has %d profiles and Nome %d: not by population", ny, nome)
	}
	if share := float64(noTZ) / float64(len(ps)); share < 0.06 || share > 0.10 {
		t.Errorf("%.3f of profiles lack a time zone, want about 0.08", share)
	}
	if noEmail == 0 || noEmail > len(ps)/10 {
		t.Errorf("%d profiles without e-mail", noEmail)
	}
	for _, g := range []signedcall.Gender{signedcall.GenderFemale,
		signedcall.GenderMale, signedcall.GenderOther} {
		if genders[g] == 0 {
			t.Errorf("no profile of gender %q", g)
		}
	}
	if len(genders) != 4 {
		t.Errorf("genders %v", genders)
	}
	if len(plans) != 3 || plans["free"] <= plans["plus"] || plans["plus"] <= plans["pro"] ||
		plans["pro"] == 0 {
		t.Errorf("plans %v", plans)
	}
}

// funnel lists each step and the step that must come before it.
var funnel = map[string]string{
	synth.EventAppLaunched:     "",
	synth.EventProductViewed:   synth.EventAppLaunched,
	synth.EventAddedToCart:     synth.EventProductViewed,
	synth.EventCheckoutStarted: synth.EventAddedToCart,
	synth.EventCharged:         synth.EventCheckoutStarted,
}

func TestEvents(t *testing.T) {
	ps := generate(t, synth.Options{Seed: 20261205, Profiles: 4000})
	lo := testNow.Add(-60 * 24 * time.Hour)
	counts := map[string]int{}
	total, none, launchedMany := 0, 0, 0
	currency := map[string]string{"US": "USD", "CA": "CAD", "GB": "GBP"}
	for _, p := range ps {
		total += len(p.Events)
		if len(p.Events) == 0 {
			none++
			continue
		}
		// open[s] counts events of step s not yet followed by the next
		// step; each later step consumes one.
		open := map[string]int{}
		launches := 0
		var lastCheckout map[string]any
		for i, e := range p.Events {
			if i > 0 && !e.Time.After(p.Events[i-1].Time) {
				t.Fatalf("%s: event %d at %v not after %v", p.ID, i, e.Time,
					p.Events[i-1].Time)
			}
			if e.Time.Before(lo) || !e.Time.Before(testNow) {
				t.Fatalf("%s: event at %v outside the window", p.ID, e.Time)
			}
			prev, ok := funnel[e.Name]
			if !ok {
				t.Fatalf("%s: unknown event %q", p.ID, e.Name)
			}
			counts[e.Name]++
			switch {
			case prev == "":
				launches++
			case e.Name == synth.EventProductViewed:
				// Views need a launch before them but do not use it up.
				if launches == 0 {
					t.Fatalf("%s: %s before any launch", p.ID, e.Name)
				}
			default:
				if open[prev] == 0 {
					t.Fatalf("%s: %s at %v without an earlier %s", p.ID,
						e.Name, e.Time, prev)
				}
				if e.Name != synth.EventAddedToCart {
					open[prev]--
				}
			}
			open[e.Name]++
			switch e.Name {
			case synth.EventProductViewed:
				price, _ := e.Properties["price"].(float64)
				cat, _ := e.Properties["category"].(string)
				id, _ := e.Properties["product_id"].(string)
				if price <= 0 || cat == "" || id == "" {
					t.Fatalf("%s: viewed %v", p.ID, e.Properties)
				}
			case synth.EventCheckoutStarted:
				lastCheckout = e.Properties
			case synth.EventCharged:
				amount, _ := e.Properties["amount"].(float64)
				if amount <= 0 || e.Properties["currency"] != currency[p.Country] {
					t.Fatalf("%s (%s): charged %v", p.ID, p.Country, e.Properties)
				}
				if lastCheckout["amount"] != amount {
					t.Fatalf("%s: charged %v after checkout of %v", p.ID,
						amount, lastCheckout["amount"])
				}
			}
		}
		if launches > 1 {
			launchedMany++
		}
	}
	avg := float64(total) / float64(len(ps))
	if avg < 8 || avg > 12 {
		t.Errorf("%.2f events per profile, want 8 to 12", avg)
	}
	if none == 0 || none > len(ps)/10 {
		t.Errorf("%d profiles without events", none)
	}
	if launchedMany < len(ps)/2 {
		t.Errorf("only %d profiles launched the app more than once", launchedMany)
	}
	steps := []string{synth.EventAppLaunched, synth.EventProductViewed,
		synth.EventAddedToCart, synth.EventCheckoutStarted, synth.EventCharged}
	for i := 2; i < len(steps); i++ {
		if counts[steps[i]] == 0 || counts[steps[i]] >= counts[steps[i-1]] {
			t.Errorf("funnel does not narrow at %s: %v", steps[i], counts)
		}
	}
	// The documented step rates, loosely: a cart in 75% x 35% of
	// sessions, then 60% of carts reach checkout and 70% of those pay.
	rates := []struct {
		step, of string
		lo, hi   float64
	}{
		{synth.EventAddedToCart, synth.EventAppLaunched, 0.22, 0.31},
		{synth.EventCheckoutStarted, synth.EventAddedToCart, 0.54, 0.66},
		{synth.EventCharged, synth.EventCheckoutStarted, 0.64, 0.76},
	}
	for _, r := range rates {
		if got := float64(counts[r.step]) / float64(counts[r.of]); got < r.lo || got > r.hi {
			t.Errorf("%s per %s is %.3f, want %.2f to %.2f", r.step, r.of, got,
				r.lo, r.hi)
		}
	}
}

func TestWriteJSONL(t *testing.T) {
	ps := generate(t, synth.Options{Seed: 11, Profiles: 300})
	out := jsonl(t, ps)
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	var back []signedcall.Profile
	for sc.Scan() {
		var p signedcall.Profile
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			t.Fatalf("line %d: %v", len(back)+1, err)
		}
		back = append(back, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(back) != len(ps) {
		t.Fatalf("read %d lines, wrote %d profiles", len(back), len(ps))
	}
	for i := range ps {
		if back[i].ID != ps[i].ID || len(back[i].Events) != len(ps[i].Events) ||
			back[i].Birth != ps[i].Birth || back[i].Reach != ps[i].Reach {
			t.Fatalf("profile %d changed in a round trip", i)
		}
	}
	if !bytes.Equal(jsonl(t, back), out) {
		t.Error("decoding and re-encoding changed the output")
	}
}

// TestShippedDataSet checks that the quickstart's data set is what the
// generator makes today, so a change to either shows up here.
func TestShippedDataSet(t *testing.T) {
	const path = "../../examples/quickstart/testdata/profiles.jsonl"
	shipped, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ps := generate(t, synth.Options{Seed: 20261205, Profiles: 4000,
		Now: time.Date(2026, 12, 5, 0, 0, 0, 0, time.UTC)})
	if !bytes.Equal(shipped, jsonl(t, ps)) {
		t.Fatalf("%s is stale; regenerate it with: go run ./internal/synth/cmd/gen "+
			"-seed 20261205 -n 4000 -now 2026-12-05T00:00:00Z -o "+
			"examples/quickstart/testdata/profiles.jsonl", path)
	}
	if len(shipped) > 6<<20 {
		t.Errorf("%s is %d bytes, over 6 MiB", path, len(shipped))
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestErrors(t *testing.T) {
	ps := generate(t, synth.Options{Seed: 1, Profiles: 5})
	if err := synth.WriteJSONL(failWriter{}, ps); err == nil ||
		!strings.HasPrefix(err.Error(), "synth: ") {
		t.Errorf("WriteJSONL to a failing writer: %v", err)
	}
	bad := []synth.Options{
		{Profiles: 1},
		{Profiles: -1, Now: testNow},
		{Profiles: 1, Now: testNow, Days: -1},
		{Profiles: 1, Now: testNow, Cities: []synth.City{}},
	}
	for _, o := range bad {
		if _, err := synth.Generate(o); err == nil ||
			!strings.HasPrefix(err.Error(), "synth: ") {
			t.Errorf("Generate(%+v): %v", o, err)
		}
	}
	ps, err := synth.Generate(synth.Options{Now: testNow})
	if err != nil || len(ps) != 0 {
		t.Errorf("no profiles: %v, %v", ps, err)
	}
}
