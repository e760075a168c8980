package rules_test

import (
	"fmt"
	"time"

	"github.com/rickar/cal/v2/us"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/rules"
)

// Default holds every shipped pack; ForRegion picks those that apply to
// a called person, and Add replaces a pack with the host's own.
func Example() {
	set := rules.Default()
	fmt.Println(set.IDs())

	ny, _ := time.LoadLocation("America/New_York")
	at := time.Date(2026, time.June, 10, 0, 30, 0, 0, time.UTC) // 20:30 EDT on 9 June
	for _, p := range set.ForRegion("US", "US-FL") {
		fmt.Println(p.Title(), p.Source, "open:", p.Open(at, ny))
	}

	// A host that stops calling Florida at 19:00 overrides the pack.
	house := &signedcall.RulePack{
		ID: "US-FL", Region: "US-FL", Name: "Florida, house rule",
		Version: "house.1", Source: "Fla. Stat. § 501.616(6); internal policy",
		Checked: signedcall.Date{Year: 2026, Month: time.December, Day: 1},
	}
	for wd := range house.Hours {
		house.Hours[wd] = []signedcall.Window{{From: signedcall.At(8, 0), To: signedcall.At(19, 0)}}
	}
	if err := set.Add(house); err != nil {
		fmt.Println(err)
	}
	p, _ := set.Pack("US-FL")
	fmt.Println(p.Title())

	// Other sets keep the shipped pack.
	p, _ = rules.Default().Pack("US-FL")
	fmt.Println(p.Title())
	// Output:
	// [AU CA FR IN US US-FL US-MD US-OK US-RI US-WA]
	// US@2026.12.1 47 C.F.R. § 64.1200(c)(1); 16 C.F.R. § 310.4(c) open: true
	// US-FL@2026.12.1 Fla. Stat. § 501.616(6)(a)-(b), as amended by ch. 2021-185, Laws of Fla. open: false
	// US-FL@house.1
	// US-FL@2026.12.1
}

// A host builds a pack of its own with a holiday list from rickar/cal:
// here no calls on US federal holidays, actual or observed.
func ExampleCalendar() {
	holidays := rules.Calendar("US federal holidays", us.Holidays...)
	fmt.Println(holidays.Holiday(signedcall.Date{Year: 2026, Month: time.July, Day: 3}))
	fmt.Println(holidays.Holiday(signedcall.Date{Year: 2026, Month: time.July, Day: 4}))

	p := &signedcall.RulePack{
		ID: "US-HOUSE", Region: "US", Name: "No calls on federal holidays",
		Version: "house.1", Source: "internal policy",
		Checked:  signedcall.Date{Year: 2026, Month: time.December, Day: 1},
		Holidays: holidays, HolidayRule: "US federal holidays, actual and observed days",
	}
	for wd := range p.Hours {
		p.Hours[wd] = []signedcall.Window{{From: signedcall.At(9, 0), To: signedcall.At(20, 0)}}
	}
	ny, _ := time.LoadLocation("America/New_York")
	fmt.Println(p.Validate(), p.Open(time.Date(2026, time.July, 3, 16, 0, 0, 0, time.UTC), ny))
	// Output:
	// Independence Day (observed) true
	// Independence Day true
	// <nil> false
}
