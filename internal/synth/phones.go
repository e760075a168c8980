package synth

import (
	"fmt"
	"math/rand/v2"
)

// areaCodes lists real area codes of each gazetteer city, keyed by
// country, region and name. Numbers are only ever made in the fictional
// 555-0100..555-0199 block of these codes.
var areaCodes = map[[3]string][]string{
	{"US", "NY", "New York"}:                           {"212", "646", "332", "718", "347", "929", "917"},
	{"US", "NJ", "Newark"}:                             {"973", "862"},
	{"US", "NJ", "Paterson"}:                           {"973", "862"},
	{"US", "CT", "Stamford"}:                           {"203", "475"},
	{"US", "PA", "Philadelphia"}:                       {"215", "267", "445"},
	{"US", "PA", "Pittsburgh"}:                         {"412", "878"},
	{"US", "MA", "Boston"}:                             {"617", "857"},
	{"US", "NY", "Buffalo"}:                            {"716"},
	{"US", "District of Columbia", "Washington, D.C."}: {"202", "771"},
	{"US", "MD", "Baltimore"}:                          {"410", "443", "667"},
	{"US", "GA", "Atlanta"}:                            {"404", "470", "678", "770"},
	{"US", "NC", "Charlotte"}:                          {"704", "980"},
	{"US", "NC", "Raleigh"}:                            {"919", "984"},
	{"US", "OH", "Cleveland"}:                          {"216"},
	{"US", "OH", "Columbus"}:                           {"614", "380"},
	{"US", "FL", "Miami"}:                              {"305", "786"},
	{"US", "FL", "Miami Beach"}:                        {"305", "786"},
	{"US", "FL", "Orlando"}:                            {"407", "689"},
	{"US", "FL", "Tampa"}:                              {"813", "656"},
	{"US", "MI", "Detroit"}:                            {"313"},
	{"US", "MI", "Ann Arbor"}:                          {"734"},
	{"US", "IN", "Indianapolis"}:                       {"317", "463"},
	{"US", "KY", "Louisville"}:                         {"502"},
	{"US", "IL", "Chicago"}:                            {"312", "773", "872"},
	{"US", "IL", "Evanston"}:                           {"847", "224"},
	{"US", "IL", "Oak Park"}:                           {"708"},
	{"US", "IL", "Aurora"}:                             {"630", "331"},
	{"US", "WI", "Milwaukee"}:                          {"414"},
	{"US", "MN", "Minneapolis"}:                        {"612"},
	{"US", "MO", "St. Louis"}:                          {"314", "557"},
	{"US", "MO", "Kansas City"}:                        {"816"},
	{"US", "TX", "Houston"}:                            {"713", "281", "832", "346"},
	{"US", "TX", "Dallas"}:                             {"214", "469", "972", "945"},
	{"US", "TX", "Austin"}:                             {"512", "737"},
	{"US", "TX", "San Antonio"}:                        {"210", "726"},
	{"US", "LA", "New Orleans"}:                        {"504"},
	{"US", "TN", "Nashville"}:                          {"615", "629"},
	{"US", "CO", "Denver"}:                             {"303", "720", "983"},
	{"US", "CO", "Aurora"}:                             {"303", "720"},
	{"US", "CO", "Boulder"}:                            {"303", "720"},
	{"US", "CO", "Colorado Springs"}:                   {"719"},
	{"US", "UT", "Salt Lake City"}:                     {"801", "385"},
	{"US", "NM", "Albuquerque"}:                        {"505"},
	{"US", "TX", "El Paso"}:                            {"915"},
	{"US", "ID", "Boise"}:                              {"208", "986"},
	{"US", "AZ", "Phoenix"}:                            {"602", "480", "623"},
	{"US", "AZ", "Mesa"}:                               {"480"},
	{"US", "AZ", "Glendale"}:                           {"623"},
	{"US", "AZ", "Tucson"}:                             {"520"},
	{"US", "CA", "Los Angeles"}:                        {"213", "310", "323", "424", "818"},
	{"US", "CA", "Long Beach"}:                         {"562"},
	{"US", "CA", "Pasadena"}:                           {"626"},
	{"US", "CA", "San Diego"}:                          {"619", "858"},
	{"US", "CA", "San Francisco"}:                      {"415", "628"},
	{"US", "CA", "Oakland"}:                            {"510", "341"},
	{"US", "CA", "San Jose"}:                           {"408", "669"},
	{"US", "CA", "Sacramento"}:                         {"916", "279"},
	{"US", "NV", "Las Vegas"}:                          {"702", "725"},
	{"US", "OR", "Portland"}:                           {"503", "971"},
	{"US", "WA", "Seattle"}:                            {"206"},
	{"US", "WA", "Tacoma"}:                             {"253"},
	{"US", "WA", "Spokane"}:                            {"509"},
	{"US", "AK", "Anchorage"}:                          {"907"},
	{"US", "AK", "Fairbanks"}:                          {"907"},
	{"US", "AK", "Juneau"}:                             {"907"},
	{"US", "AK", "Nome"}:                               {"907"},
	{"US", "HI", "Honolulu"}:                           {"808"},
	{"US", "HI", "Hilo"}:                               {"808"},

	{"CA", "Ontario", "Toronto"}:                      {"416", "647", "437"},
	{"CA", "Ontario", "Hamilton"}:                     {"905", "289", "365"},
	{"CA", "Ontario", "Oshawa"}:                       {"905", "289"},
	{"CA", "Ontario", "Ottawa"}:                       {"613", "343"},
	{"CA", "Ontario", "Windsor"}:                      {"519", "226"},
	{"CA", "Québec", "Montréal"}:                      {"514", "438"},
	{"CA", "Québec", "Quebec"}:                        {"418", "581"},
	{"CA", "Nova Scotia", "Halifax"}:                  {"902", "782"},
	{"CA", "New Brunswick", "Moncton"}:                {"506"},
	{"CA", "Newfoundland and Labrador", "St. John's"}: {"709"},
	{"CA", "Manitoba", "Winnipeg"}:                    {"204", "431"},
	{"CA", "Saskatchewan", "Regina"}:                  {"306", "639"},
	{"CA", "Saskatchewan", "Saskatoon"}:               {"306", "639"},
	{"CA", "Alberta", "Calgary"}:                      {"403", "587", "825"},
	{"CA", "Alberta", "Edmonton"}:                     {"780", "587", "825"},
	{"CA", "British Columbia", "Vancouver"}:           {"604", "778", "236"},
	{"CA", "British Columbia", "Victoria"}:            {"250", "778"},
	{"CA", "British Columbia", "Abbotsford"}:          {"604", "778"},
	{"CA", "Yukon", "Whitehorse"}:                     {"867"},
}

// defaultAreaCodes is used for a North American city missing from
// areaCodes: the capital's codes.
var defaultAreaCodes = map[string][]string{
	"US": {"202"},
	"CA": {"613"},
}

// Fictional ranges. North America: 555-0100..555-0199 in any area code.
// United Kingdom: Ofcom's drama range 07700 900000..900999.
const (
	nanpBlock  = 100 // 555-0100..555-0199
	ukDrama    = 1000
	ukDramaFmt = "+447700%06d"
	ukDramaLow = 900000
)

// phoneBook hands out fictional numbers without repeats. Each pool is a
// random permutation of its range, made on first use and consumed in
// order, so the numbers depend only on the order of requests.
type phoneBook struct {
	rng   *rand.Rand
	pools map[string][]int // "1212" → unused line offsets, "44" → UK
}

func newPhoneBook(rng *rand.Rand) *phoneBook {
	return &phoneBook{rng: rng, pools: make(map[string][]int)}
}

// pool returns the unused offsets of key, creating the pool if needed.
func (b *phoneBook) pool(key string, size int) []int {
	p, ok := b.pools[key]
	if !ok {
		p = b.rng.Perm(size)
		b.pools[key] = p
	}
	return p
}

// next returns an unused fictional number for someone in c, or "" when
// every fictional number of c's codes is taken or c's country has no
// fictional range here.
func (b *phoneBook) next(c *City) string {
	switch c.Country {
	case "US", "CA":
		codes := areaCodes[[3]string{c.Country, c.Region, c.Name}]
		if len(codes) == 0 {
			codes = defaultAreaCodes[c.Country]
		}
		var open []string
		for _, ac := range codes {
			if len(b.pool("1"+ac, nanpBlock)) > 0 {
				open = append(open, ac)
			}
		}
		if len(open) == 0 {
			return ""
		}
		ac := open[b.rng.IntN(len(open))]
		n := b.take("1" + ac)
		return fmt.Sprintf("+1%s5550%d", ac, 100+n)
	case "GB":
		if len(b.pool("44", ukDrama)) == 0 {
			return ""
		}
		return fmt.Sprintf(ukDramaFmt, ukDramaLow+b.take("44"))
	}
	return ""
}

// take removes and returns the first unused offset of a non-empty pool.
func (b *phoneBook) take(key string) int {
	p := b.pools[key]
	b.pools[key] = p[1:]
	return p[0]
}
