package synth

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/signedcall/signedcall"
)

// pcgStream is the second PCG seed word; Options.Seed is the first.
const pcgStream = 0x5ca1ab1e_0ddba11

// Generator parameters; shares and rates are probabilities. The package
// documentation describes each.
const (
	shareNoTimeZone    = 0.08
	shareNoPhone       = 0.10
	shareUnsubSMS      = 0.05 // of profiles with a phone
	shareNoEmail       = 0.03
	shareUnsubEmail    = 0.04 // of profiles with an e-mail address
	shareNoBirth       = 0.02
	shareNoGender      = 0.02
	shareNewsletter    = 0.35
	shareNoEvents      = 0.06
	maxSessions        = 6 // sessions per active profile, uniform 1..6
	rateViewed         = 0.75
	rateAddedToCart    = 0.35
	rateCheckout       = 0.60
	rateCharged        = 0.70
	maxJitterKm        = 10.0
	minPerCity         = 3
	defaultDays        = 60
	sessionLatestStart = 2 * time.Hour // before Now
)

// Event names of the funnel, in funnel order.
const (
	EventAppLaunched     = "App Launched"
	EventProductViewed   = "Product Viewed"
	EventAddedToCart     = "Added To Cart"
	EventCheckoutStarted = "Checkout Started"
	EventCharged         = "Charged"
)

// Options controls [Generate].
type Options struct {
	// Seed selects the data set; the same Options give the same profiles.
	Seed uint64
	// Profiles is how many profiles to make.
	Profiles int
	// Now is the instant the data set is generated for: every event is
	// before it. It must not be zero; the wall clock is never read.
	Now time.Time
	// Days is the length of the event window ending at Now; 0 means 60.
	Days int
	// Cities is the gazetteer to spread profiles over; nil means
	// [Cities].
	Cities []City
}

// product is one catalog item. Dollars is its whole-dollar US price and
// cents the ending every country's price has (.99 or .49).
type product struct {
	id, category string
	dollars      float64
	cents        float64
}

// local returns pr's price in a currency worth 1/factor US dollars.
func (pr product) local(factor float64) float64 {
	return round2(math.Floor(pr.dollars*factor) + pr.cents)
}

var categories = []struct {
	name, code string
	lo, hi     float64 // price range in US dollars
}{
	{"electronics", "EL", 19, 899},
	{"books", "BK", 6, 45},
	{"home", "HM", 9, 320},
	{"beauty", "BE", 5, 90},
	{"sports", "SP", 12, 260},
	{"toys", "TY", 7, 120},
	{"grocery", "GR", 2, 40},
	{"fashion", "FA", 10, 240},
}

const productsPerCategory = 25

// currencies maps a country to its currency and the factor applied to
// catalog prices in US dollars.
var currencies = map[string]struct {
	code   string
	factor float64
}{
	"US": {"USD", 1},
	"CA": {"CAD", 1.35},
	"GB": {"GBP", 0.79},
}

var platforms = []string{"ios", "android", "web"}

// Generate returns opts.Profiles invented profiles. The result depends on
// opts alone.
func Generate(opts Options) ([]signedcall.Profile, error) {
	if opts.Profiles < 0 {
		return nil, fmt.Errorf("synth: negative profile count %d", opts.Profiles)
	}
	if opts.Now.IsZero() {
		return nil, errors.New("synth: Options.Now is zero")
	}
	if opts.Days < 0 {
		return nil, fmt.Errorf("synth: negative day count %d", opts.Days)
	}
	days := opts.Days
	if days == 0 {
		days = defaultDays
	}
	cities := opts.Cities
	if cities == nil {
		var err error
		if cities, err = Cities(); err != nil {
			return nil, err
		}
	}
	if len(cities) == 0 {
		return nil, errors.New("synth: no cities")
	}
	for i := range cities {
		if cities[i].Population < 0 {
			return nil, fmt.Errorf("synth: city %q has negative population",
				cities[i].Name)
		}
	}

	g := &generator{
		rng:    rand.New(rand.NewPCG(opts.Seed, pcgStream)),
		now:    opts.Now.UTC().Truncate(time.Second),
		window: time.Duration(days) * 24 * time.Hour,
	}
	g.phones = newPhoneBook(g.rng)
	g.catalog = g.makeCatalog()

	assign := g.assignCities(cities, opts.Profiles)
	out := make([]signedcall.Profile, len(assign))
	for i, ci := range assign {
		out[i] = g.profile(i, &cities[ci])
	}
	return out, nil
}

type generator struct {
	rng     *rand.Rand
	now     time.Time
	window  time.Duration
	phones  *phoneBook
	catalog []product
}

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) pick(s []string) string { return s[g.rng.IntN(len(s))] }

// between returns a uniform duration in [lo, hi).
func (g *generator) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(g.rng.Int64N(int64(hi-lo)))
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

func (g *generator) makeCatalog() []product {
	var ps []product
	for _, c := range categories {
		for j := range productsPerCategory {
			// Log-uniform prices, ending in .99 or .49.
			p := math.Exp(math.Log(c.lo) +
				g.rng.Float64()*(math.Log(c.hi)-math.Log(c.lo)))
			cents := 0.99
			if g.chance(0.3) {
				cents = 0.49
			}
			ps = append(ps, product{
				id:       fmt.Sprintf("%s-%04d", c.code, 101+j*7),
				category: c.name,
				dollars:  math.Floor(p),
				cents:    cents,
			})
		}
	}
	return ps
}

// assignCities returns, for each profile in order, the index of its
// city. Every city gets min(minPerCity, n/len(cities)) profiles and the
// rest are drawn in proportion to population; the order is then
// shuffled so that neighbouring IDs do not share a city.
func (g *generator) assignCities(cities []City, n int) []int {
	floor := min(minPerCity, n/len(cities))
	out := make([]int, 0, n)
	for i := range cities {
		for range floor {
			out = append(out, i)
		}
	}
	cum := make([]float64, len(cities))
	total := 0.0
	for i, c := range cities {
		total += float64(c.Population)
		cum[i] = total
	}
	for len(out) < n {
		if total == 0 {
			out = append(out, g.rng.IntN(len(cities)))
			continue
		}
		// The first city whose cumulative population exceeds x; cities of
		// population zero are never drawn here.
		x := g.rng.Float64() * total
		i := sort.Search(len(cum), func(i int) bool { return cum[i] > x })
		out = append(out, i)
	}
	g.rng.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func (g *generator) profile(i int, c *City) signedcall.Profile {
	first, last := g.pick(firstNames), g.pick(lastNames)
	p := signedcall.Profile{
		ID:       fmt.Sprintf("user-%05d", i+1),
		Country:  c.Country,
		Region:   c.Region,
		City:     c.Name,
		Location: g.jitter(c),
		TimeZone: c.TimeZone,
	}
	if g.chance(shareNoTimeZone) {
		p.TimeZone = ""
	}

	if !g.chance(shareNoPhone) {
		if p.Phone = g.phones.next(c); p.Phone != "" {
			p.Reach.HasPhone = true
			p.Reach.UnsubscribedSMS = g.chance(shareUnsubSMS)
		}
	}
	if !g.chance(shareNoEmail) {
		domain := "example.com"
		if g.chance(0.3) {
			domain = "example.org"
		}
		p.Email = fmt.Sprintf("%s.%s.%d@%s", strings.ToLower(first),
			strings.ToLower(last), i+1, domain)
		p.Reach.HasEmail = true
		p.Reach.UnsubscribedEmail = g.chance(shareUnsubEmail)
	}

	if !g.chance(shareNoBirth) {
		lo := time.Date(1950, 1, 1, 0, 0, 0, 0, time.UTC)
		hi := time.Date(2008, 1, 1, 0, 0, 0, 0, time.UTC)
		d := lo.AddDate(0, 0, g.rng.IntN(int(hi.Sub(lo).Hours()/24)))
		p.Birth = signedcall.Date{Year: d.Year(), Month: d.Month(), Day: d.Day()}
	}
	if !g.chance(shareNoGender) {
		switch x := g.rng.Float64(); {
		case x < 0.49:
			p.Gender = signedcall.GenderFemale
		case x < 0.96:
			p.Gender = signedcall.GenderMale
		default:
			p.Gender = signedcall.GenderOther
		}
	}

	plan := "free"
	prior := 0.0
	switch x := g.rng.Float64(); {
	case x < 0.10:
		plan = "pro"
		prior = 100 + g.rng.Float64()*1400
	case x < 0.30:
		plan = "plus"
		prior = 20 + g.rng.Float64()*380
	default:
		if g.chance(0.4) {
			prior = g.rng.Float64() * 60
		}
	}
	platform := g.pick(platforms)
	cur, ok := currencies[c.Country]
	if !ok {
		cur = currencies["US"]
	}
	var spent float64
	p.Events, spent = g.events(cur.code, cur.factor)

	p.Properties = map[string]any{
		"first_name":     first,
		"last_name":      last,
		"plan":           plan,
		"newsletter":     g.chance(shareNewsletter),
		"platform":       platform,
		"lifetime_value": round2(prior*cur.factor + spent),
	}
	return p
}

// jitter returns a point uniformly distributed in the disc of radius
// maxJitterKm around c, rounded to five decimals (about a metre).
func (g *generator) jitter(c *City) *signedcall.LatLng {
	const kmPerDegree = 111.32
	r := maxJitterKm * math.Sqrt(g.rng.Float64())
	theta := 2 * math.Pi * g.rng.Float64()
	lat := c.Lat + r*math.Cos(theta)/kmPerDegree
	lon := c.Lon + r*math.Sin(theta)/(kmPerDegree*math.Cos(c.Lat*math.Pi/180))
	lat = max(-90, min(90, lat))
	if lon > 180 {
		lon -= 360
	} else if lon < -180 {
		lon += 360
	}
	round5 := func(x float64) float64 { return math.Round(x*1e5) / 1e5 }
	return &signedcall.LatLng{Lat: round5(lat), Lon: round5(lon)}
}

// events returns a profile's funnel events in time order and the total
// of its Charged amounts.
func (g *generator) events(currency string, factor float64) ([]signedcall.Event, float64) {
	if g.chance(shareNoEvents) {
		return nil, 0
	}
	start := g.now.Add(-g.window)
	span := g.window - sessionLatestStart
	n := 1 + g.rng.IntN(maxSessions)
	starts := make([]time.Time, n)
	for i := range starts {
		starts[i] = start.Add(g.between(0, span)).Truncate(time.Second)
	}
	slices.SortFunc(starts, func(a, b time.Time) int { return a.Compare(b) })

	var evs []signedcall.Event
	var spent float64
	var last time.Time
	add := func(t time.Time, name string, props map[string]any) {
		evs = append(evs, signedcall.Event{Name: name, Time: t, Properties: props})
		last = t
	}
	for _, s := range starts {
		t := s
		if !last.IsZero() && t.Before(last.Add(30*time.Minute)) {
			t = last.Add(30 * time.Minute)
		}
		// A session lasts at most about 45 minutes; skip it rather than
		// let it reach Now.
		if !t.Before(g.now.Add(-time.Hour)) {
			break
		}
		add(t, EventAppLaunched, nil)
		if !g.chance(rateViewed) {
			continue
		}
		var viewed []product
		for range 1 + g.rng.IntN(3) {
			t = t.Add(g.between(30*time.Second, 8*time.Minute)).Truncate(time.Second)
			pr := g.catalog[g.rng.IntN(len(g.catalog))]
			viewed = append(viewed, pr)
			add(t, EventProductViewed, map[string]any{
				"category":   pr.category,
				"product_id": pr.id,
				"price":      pr.local(factor),
			})
		}
		if !g.chance(rateAddedToCart) {
			continue
		}
		pr := viewed[g.rng.IntN(len(viewed))]
		qty := 1
		if g.chance(0.2) {
			qty = 2
		}
		amount := round2(pr.local(factor) * float64(qty))
		t = t.Add(g.between(20*time.Second, 10*time.Minute)).Truncate(time.Second)
		add(t, EventAddedToCart, map[string]any{
			"product_id": pr.id,
			"price":      pr.local(factor),
			"quantity":   qty,
		})
		if !g.chance(rateCheckout) {
			continue
		}
		t = t.Add(g.between(20*time.Second, 5*time.Minute)).Truncate(time.Second)
		add(t, EventCheckoutStarted, map[string]any{
			"amount":   amount,
			"currency": currency,
			"items":    qty,
		})
		if !g.chance(rateCharged) {
			continue
		}
		t = t.Add(g.between(20*time.Second, 4*time.Minute)).Truncate(time.Second)
		add(t, EventCharged, map[string]any{
			"amount":   amount,
			"currency": currency,
			"items":    qty,
		})
		spent += amount
	}
	return evs, round2(spent)
}
