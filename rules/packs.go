package rules

import (
	"slices"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/au"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/us"

	"github.com/signedcall/signedcall"
)

// Version is the version of every pack this package ships. It changes
// whenever any shipped rule changes.
const Version = "2026.12.1"

// checked is the date every shipped pack's citation was last checked
// against the rules it encodes.
var checked = signedcall.Date{Year: 2026, Month: time.December, Day: 3}

// Default returns a new RuleSet holding every pack this package ships.
// Each call builds its own set and its own packs, so a host that adds or
// overrides packs in one set changes no other.
func Default() *signedcall.RuleSet {
	s, err := signedcall.NewRuleSet(Packs()...)
	if err != nil {
		// The shipped packs are data checked by this package's tests.
		panic("rules: shipped pack is invalid: " + err.Error())
	}
	return s
}

// Packs returns new copies of every pack this package ships, sorted by
// ID. The caller may change them freely.
func Packs() []*signedcall.RulePack {
	ps := []*signedcall.RulePack{
		usFederal(), usFlorida(), usOklahoma(), usMaryland(), usWashington(),
		usRhodeIsland(), canada(), india(), australia(), france(),
	}
	slices.SortFunc(ps, func(a, b *signedcall.RulePack) int { return strings.Compare(a.ID, b.ID) })
	return ps
}

// window is the daily window [from, to), each given as hour and minute.
func window(fh, fm, th, tm int) signedcall.Window {
	return signedcall.Window{From: signedcall.At(fh, fm), To: signedcall.At(th, tm)}
}

// days sets ws as the windows of each of the weekdays wds.
func days(h *[7][]signedcall.Window, ws []signedcall.Window, wds ...time.Weekday) {
	for _, wd := range wds {
		h[wd] = slices.Clone(ws)
	}
}

var (
	weekdays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	everyDay = append([]time.Weekday{time.Sunday}, append(weekdays, time.Saturday)...)
	weekends = []time.Weekday{time.Saturday, time.Sunday}
)

func everyDayHours(ws ...signedcall.Window) [7][]signedcall.Window {
	var h [7][]signedcall.Window
	days(&h, ws, everyDay...)
	return h
}

// sameSubject24h is the "3 calls in 24 hours on the same subject" limit
// several US states share. A campaign is taken as one subject.
func sameSubject24h() []signedcall.Limit {
	return []signedcall.Limit{{
		Max:    3,
		Window: signedcall.Duration(24 * time.Hour),
		Scope:  signedcall.ScopePersonCampaign,
	}}
}

func pack(id, name, source string) *signedcall.RulePack {
	return &signedcall.RulePack{
		ID: id, Region: id, Name: name,
		Version: Version, Source: source, Checked: checked,
	}
}

func usFederal() *signedcall.RulePack {
	p := pack("US", "Telephone Consumer Protection Act and Telemarketing Sales Rule",
		"47 C.F.R. § 64.1200(c)(1); 16 C.F.R. § 310.4(c)")
	p.Hours = everyDayHours(window(8, 0, 21, 0))
	return p
}

func usFlorida() *signedcall.RulePack {
	p := pack("US-FL", "Florida Telemarketing Act",
		"Fla. Stat. § 501.616(6)(a)-(b), as amended by ch. 2021-185, Laws of Fla.")
	p.Hours = everyDayHours(window(8, 0, 20, 0))
	p.Limits = sameSubject24h()
	return p
}

func usOklahoma() *signedcall.RulePack {
	p := pack("US-OK", "Oklahoma Telephone Solicitation Act of 2022",
		"Okla. Stat. tit. 15, § 775C.4 (Telephone Solicitation Act of 2022, Enrolled H.B. 3168)")
	p.Hours = everyDayHours(window(8, 0, 20, 0))
	p.Limits = sameSubject24h()
	return p
}

func usMaryland() *signedcall.RulePack {
	p := pack("US-MD", "Maryland Stop the Spam Calls Act of 2023",
		"Md. Code Ann., Com. Law § 14-4503 (Stop the Spam Calls Act of 2023, S.B. 90)")
	p.Hours = everyDayHours(window(8, 0, 20, 0))
	p.Limits = sameSubject24h()
	return p
}

func usWashington() *signedcall.RulePack {
	p := pack("US-WA", "Washington Commercial Telephone Solicitation Act",
		"RCW 19.158.040(2)")
	p.Hours = everyDayHours(window(8, 0, 20, 0))
	return p
}

func usRhodeIsland() *signedcall.RulePack {
	p := pack("US-RI", "Rhode Island Telephone Sales Solicitation Act",
		"R.I. Gen. Laws § 5-61-3.6 and § 5-61-2 (\"hours of operation\"); holidays per R.I. Gen. Laws § 25-1-1 and 5 U.S.C. § 6103")
	days(&p.Hours, []signedcall.Window{window(9, 0, 18, 0)}, weekdays...)
	days(&p.Hours, []signedcall.Window{window(10, 0, 17, 0)}, time.Saturday)
	p.Holidays = rhodeIslandHolidays
	p.HolidayRule = "US federal holidays (actual day and federal observed day) and Rhode Island " +
		"general holidays (New Year's Day, Rhode Island Independence Day, Independence Day, " +
		"Victory Day, Veterans Day and Christmas Day with the state's Monday observance, " +
		"and election day in even years)"
	return p
}

func canada() *signedcall.RulePack {
	p := pack("CA", "CRTC Unsolicited Telecommunications Rules",
		"CRTC Unsolicited Telecommunications Rules, Part III (Telemarketing Rules), calling hours, established by Telecom Decision CRTC 2007-48")
	days(&p.Hours, []signedcall.Window{window(9, 0, 21, 30)}, weekdays...)
	days(&p.Hours, []signedcall.Window{window(10, 0, 18, 0)}, weekends...)
	return p
}

func india() *signedcall.RulePack {
	p := pack("IN", "TRAI Telecom Commercial Communications Customer Preference Regulations, 2018",
		"Telecom Commercial Communications Customer Preference Regulations, 2018 (TRAI, as amended): commercial voice calls 09:00-21:00")
	p.Hours = everyDayHours(window(9, 0, 21, 0))
	return p
}

func australia() *signedcall.RulePack {
	p := pack("AU", "Telecommunications (Telemarketing and Research Calls) Industry Standard 2017",
		"Telecommunications (Telemarketing and Research Calls) Industry Standard 2017 (ACMA), calling times for telemarketing calls")
	days(&p.Hours, []signedcall.Window{window(9, 0, 20, 0)}, weekdays...)
	days(&p.Hours, []signedcall.Window{window(9, 0, 17, 0)}, time.Saturday)
	p.Holidays = australiaHolidays
	p.HolidayRule = "Australian national public holidays: New Year's Day, Australia Day, Good Friday, " +
		"Easter Monday, ANZAC Day, Christmas Day and Boxing Day, on the day and on any weekend substitute day"
	return p
}

func france() *signedcall.RulePack {
	p := pack("FR", "Encadrement du démarchage téléphonique",
		"Code de la consommation, art. L. 223-1 et art. D. 223-9 (Décret n° 2022-1313 du 13 octobre 2022); jours fériés de l'art. L. 3133-1 du code du travail")
	days(&p.Hours, []signedcall.Window{window(10, 0, 13, 0), window(14, 0, 20, 0)}, weekdays...)
	p.Holidays = franceHolidays
	p.HolidayRule = "French public holidays of Code du travail art. L. 3133-1 (11 days)"
	p.Limits = []signedcall.Limit{{Max: 4, Window: signedcall.Duration(30 * 24 * time.Hour), Scope: signedcall.ScopePerson}}
	return p
}

// Holiday calendars are shared by every pack built here: they are
// read-only and safe for concurrent use.
var (
	australiaHolidays = Calendar("AU national public holidays",
		au.NewYear, au.AustraliaDay, au.GoodFriday, au.EasterMonday,
		// ANZAC Day with the Monday that WA and the ACT (and, for a
		// Sunday, NT, QLD and SA) give when it falls on a weekend.
		au.AnzacDayActWa,
		au.ChristmasDay, au.BoxingDay)

	franceHolidays = Calendar("FR jours fériés (L. 3133-1)", fr.Holidays...)

	rhodeIslandHolidays = Calendar("US federal and Rhode Island holidays",
		append(slices.Clone(us.Holidays), riHolidays()...)...)
)

// riHolidays are Rhode Island's general holidays (R.I. Gen. Laws
// § 25-1-1) that differ from the federal list in date or observance.
// The state keeps a weekend 1 January, 4 July, 11 November and
// 25 December on the Monday after, and any holiday on a Sunday on the
// Monday after.
func riHolidays() []*cal.Holiday {
	riWeekend := []cal.AltDay{{Day: time.Saturday, Offset: 2}, {Day: time.Sunday, Offset: 1}}
	riSunday := []cal.AltDay{{Day: time.Sunday, Offset: 1}}
	return []*cal.Holiday{
		us.NewYear.Clone(&cal.Holiday{Observed: riWeekend}),
		{
			Name:     "Rhode Island Independence Day",
			Type:     cal.ObservancePublic,
			Month:    time.May,
			Day:      4,
			Observed: riSunday,
			Func:     cal.CalcDayOfMonth,
		},
		us.IndependenceDay.Clone(&cal.Holiday{Observed: riWeekend}),
		{
			Name:    "Victory Day",
			Type:    cal.ObservancePublic,
			Month:   time.August,
			Weekday: time.Monday,
			Offset:  2,
			Func:    cal.CalcWeekdayOffset,
		},
		us.VeteransDay.Clone(&cal.Holiday{Observed: riWeekend}),
		us.ChristmasDay.Clone(&cal.Holiday{Observed: riWeekend}),
		{
			Name: "Election Day",
			Type: cal.ObservancePublic,
			Func: calcEvenYearElectionDay,
		},
	}
}

// calcEvenYearElectionDay returns the Tuesday after the first Monday in
// November of an even year, when Rhode Island elects state officers,
// and the zero time in odd years.
func calcEvenYearElectionDay(_ *cal.Holiday, year int) time.Time {
	if year%2 != 0 {
		return time.Time{}
	}
	monday := cal.DayStart(cal.WeekdayN(year, time.November, time.Monday, 1))
	return monday.AddDate(0, 0, 1)
}
