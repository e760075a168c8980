package signedcall_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/simulated"
	"github.com/signedcall/signedcall/rules"
	"github.com/signedcall/signedcall/store/memstore"
)

// Build reports every broken rule at once, each naming its field.
func ExampleBuilder_Build() {
	_, err := signedcall.NewCampaign("spring sale").
		Audience(signedcall.WithinRadius(25, signedcall.LatLng{Lat: 95, Lon: 0})).
		Cap(99).
		TimeZone("Asia/Kolkata").
		StartNow().
		DNDHours("21:00", "21:00").
		CallContext("Spring sale").
		Build()
	for _, ve := range signedcall.ValidationErrors(err) {
		fmt.Println(ve.Field)
	}
	fmt.Println(errors.Is(err, signedcall.ErrInvalid))
	// Output:
	// audience.points[0]
	// cap
	// schedule.cut_off
	// delivery.dnd.hours[0]
	// true
}

// A wall time that DST skips moves forward by the length of the gap; one
// it repeats means its first occurrence.
func ExampleLocalTime() {
	ny, _ := time.LoadLocation("America/New_York")
	fmt.Println(signedcall.LocalTime(ny, 2026, time.March, 8, 2, 30))
	fmt.Println(signedcall.LocalTime(ny, 2026, time.November, 1, 1, 30))
	// Output:
	// 2026-03-08 03:30:00 -0400 EDT
	// 2026-11-01 01:30:00 -0400 EDT
}

// DND is read in the recipient's own time: 16:30 UTC is 22:00 in Kolkata,
// inside a 21:00-09:00 window, and the next open time is 09:00 there.
func ExampleDND_NextOpen() {
	kolkata, _ := time.LoadLocation("Asia/Kolkata")
	dnd := signedcall.DND{Hours: []signedcall.Window{{From: signedcall.At(21, 0), To: signedcall.At(9, 0)}}}
	t := time.Date(2026, 12, 5, 16, 30, 0, 0, time.UTC)
	next, _ := dnd.NextOpen(t, kolkata)
	fmt.Println(dnd.Open(t, kolkata), next)
	// Output:
	// false 2026-12-06 09:00:00 +0530 IST
}

// A predicate tree encodes to the documented JSON form.
func ExampleMarshalPredicate() {
	b, _ := signedcall.MarshalPredicate(signedcall.All(
		signedcall.Did("Product Viewed").InLastDays(30),
		signedcall.Not(signedcall.Flag(signedcall.UnsubscribedSMS)),
	))
	fmt.Println(string(b))
	// Output:
	// {"kind":"all","of":[{"kind":"did","event":"Product Viewed","count":{"op":"at_least","n":1},"last_days":30},{"kind":"not","predicate":{"kind":"reach","flag":"unsubscribed_sms"}}]}
}

// Preview tells the reach of an audience without calling anyone.
func ExamplePreview() {
	clk := clock.NewMock()
	clk.Set(time.Date(2026, 12, 5, 8, 0, 0, 0, time.UTC))
	c, _ := signedcall.NewCampaign("preview").WithClock(clk).
		Audience(signedcall.All(signedcall.InCountry("GB"), signedcall.Flag(signedcall.HasPhone))).
		TimeZone("Europe/London").Start(clk.Now().Add(time.Hour)).CutOff(clk.Now().Add(9*time.Hour)).
		DNDHours("21:00", "09:00").CallContext("Your order").Build()
	users := signedcall.SliceSource{
		{ID: "ada", Country: "GB", Phone: "+447700900001", Reach: signedcall.Reachability{HasPhone: true}},
		{ID: "alan", Country: "GB", Reach: signedcall.Reachability{HasPhone: true}},
		{ID: "grace", Country: "US", Phone: "+12125550101", Reach: signedcall.Reachability{HasPhone: true}},
	}
	r, _ := signedcall.Preview(context.Background(), c, users)
	fmt.Printf("qualified %d, targets %d, unreachable %v, excluded %v\n", r.Qualified, r.Targets, r.UnreachableReasons, r.Excluded)
	// Output:
	// qualified 2, targets 1, unreachable map[no_phone:1], excluded map[country is GB:1]
}

// Tick drives a campaign on a mock clock: publish, then move the clock to
// each moment work is due until the campaign is done.
func ExampleDispatcher_Tick() {
	ctx := context.Background()
	clk := clock.NewMock()
	start := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC) // Saturday
	clk.Set(start.Add(-time.Hour))

	c, err := signedcall.NewCampaign("example").WithClock(clk).
		Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("Europe/London").Start(start).CutOff(start.Add(8*time.Hour)).
		DNDDays(time.Sunday).DNDHours("21:00", "09:00").
		CallContext("Your order").Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	users := signedcall.SliceSource{
		{ID: "ada", Phone: "+447700900001", TimeZone: "Europe/London", Reach: signedcall.Reachability{HasPhone: true}},
		{ID: "grace", Phone: "+12125550101", TimeZone: "America/New_York", Reach: signedcall.Reachability{HasPhone: true}},
		{ID: "kiri", Phone: "+12125550102", TimeZone: "Pacific/Auckland", Reach: signedcall.Reachability{HasPhone: true}},
	}
	sim, _ := simulated.New(1, simulated.Odds{Answered: 1})
	d, _ := signedcall.NewDispatcher(signedcall.Config{Store: memstore.New(), Caller: sim, Clock: clk})
	err = d.Publish(ctx, c, signedcall.Acknowledgement{By: "ops@example.com", At: clk.Now(), Statement: signedcall.DefaultStatement})
	if err != nil {
		fmt.Println(err)
		return
	}
	for {
		step, err := d.Tick(ctx, c.ID, users)
		if err != nil {
			fmt.Println(err)
			return
		}
		if step.Done {
			break
		}
		clk.Set(step.Next)
	}
	rep, _ := d.Report(ctx, c.ID)
	// Ada is called at noon in London. It is 07:00 in New York and Sunday
	// 01:00 in Auckland, both inside DND, so both are discarded.
	fmt.Println(rep.State, rep.Counts)
	// Output:
	// completed map[answered:1 discarded_dnd:2]
}

// NextAllowed is the rule the dispatcher defers by: here a Florida
// number at 20:30 on a Monday, under the campaign's DND and the US and
// Florida packs, may next be called at 08:00 on Tuesday.
func ExampleNextAllowed() {
	rs := rules.Default()
	us, _ := rs.Pack("US")
	fl, _ := rs.Pack("US-FL")
	ny, _ := time.LoadLocation("America/New_York")
	dnd := signedcall.DND{Hours: []signedcall.Window{{From: signedcall.At(22, 0), To: signedcall.At(7, 0)}}}

	at := time.Date(2026, 12, 7, 20, 30, 0, 0, ny)
	zones := []*time.Location{ny}
	packs := []*signedcall.RulePack{us, fl}
	fmt.Println("US alone allows 20:30:", signedcall.Allowed(dnd, packs[:1], zones, at))
	fmt.Println("with Florida:", signedcall.Allowed(dnd, packs, zones, at))
	next, _ := signedcall.NextAllowed(dnd, packs, zones, at, at.AddDate(0, 0, 7))
	fmt.Println("next:", next.In(ny).Format("Mon 15:04 MST"))
	// Output:
	// US alone allows 20:30: true
	// with Florida: false
	// next: Tue 08:00 EST
}

// A Store checks limits in the same step as the call starts; a refusal
// says when the call would be allowed.
func ExampleLimit_RetryAt() {
	l := signedcall.Limit{Max: 3, Window: signedcall.Duration(24 * time.Hour), Scope: signedcall.ScopePersonCampaign}
	day := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	starts := []time.Time{day.Add(9 * time.Hour), day.Add(12 * time.Hour), day.Add(15 * time.Hour)}
	retry, ok := l.RetryAt(starts, day.Add(18*time.Hour))
	fmt.Println(ok, retry.Format("Mon 15:04"))
	// Output:
	// false Tue 09:00
}
