package signedcall_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

var benchNow = time.Date(2026, 12, 5, 4, 30, 0, 0, time.UTC) // 10:00 IST

var eventNames = []string{"App Launched", "Product Viewed", "Added To Cart", "Checkout Started", "Charged"}

// benchProfiles makes n profiles with about 20 events each over the 60
// days before benchNow, spread around Mumbai and Pune. Generated once and
// shared, since a million profiles take a few seconds to build.
func benchProfiles(n int) []signedcall.Profile {
	r := rand.New(rand.NewPCG(7, 11))
	ps := make([]signedcall.Profile, n)
	events := make([]signedcall.Event, n*20)
	for i := range ps {
		p := &ps[i]
		p.ID = fmt.Sprintf("u%07d", i)
		p.Phone = fmt.Sprintf("+9198%08d", i)
		p.Reach = signedcall.Reachability{HasPhone: r.IntN(10) != 0, UnsubscribedSMS: r.IntN(20) == 0}
		lat, lon := 19.076, 72.8777
		if r.IntN(2) == 0 {
			lat, lon = 18.5204, 73.8567
		}
		p.Location = &signedcall.LatLng{Lat: lat + (r.Float64()-0.5)*0.6, Lon: lon + (r.Float64()-0.5)*0.6}
		p.TimeZone = "Asia/Kolkata"
		evs := events[i*20 : i*20+20 : i*20+20]
		for j := range evs {
			// Later funnel steps are rarer.
			k := 0
			for k < len(eventNames)-1 && r.IntN(3) == 0 {
				k++
			}
			evs[j] = signedcall.Event{Name: eventNames[k], Time: benchNow.Add(-time.Duration(r.Int64N(int64(60 * 24 * time.Hour))))}
		}
		p.Events = evs
	}
	return ps
}

var (
	benchOnce sync.Once
	benchPop  []signedcall.Profile
)

func benchAudience(b *testing.B) (*signedcall.Campaign, signedcall.SliceSource) {
	benchOnce.Do(func() { benchPop = benchProfiles(1_000_000) })
	c, err := signedcall.NewCampaign("bench").
		WithClock(fixedClock(benchNow.Add(-time.Hour))).
		Audience(signedcall.All(
			signedcall.Did("Product Viewed").InLastDays(30),
			signedcall.DidNot("Charged").InLastDays(30),
			signedcall.WithinRadius(25, signedcall.LatLng{Lat: 19.076, Lon: 72.8777}),
			signedcall.Flag(signedcall.HasPhone),
			signedcall.Not(signedcall.Flag(signedcall.UnsubscribedSMS)),
		)).
		ControlPercent(10).Cap(100000).TimeZone("Asia/Kolkata").
		Start(benchNow).CutOff(benchNow.Add(10*time.Hour)).
		DNDHours("21:00", "09:00").CallContext("Your cart is waiting").Build()
	if err != nil {
		b.Fatal(err)
	}
	return c, signedcall.SliceSource(benchPop)
}

// BenchmarkAudience evaluates a five-condition audience over 1,000,000
// profiles of 20 events each, including the control split and the cap.
func BenchmarkAudience(b *testing.B) {
	c, src := benchAudience(b)
	b.ResetTimer()
	var r signedcall.Reach
	for b.Loop() {
		var err error
		r, err = signedcall.Preview(context.Background(), c, src)
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(src))*float64(b.N)/b.Elapsed().Seconds(), "profiles/s")
	b.ReportMetric(float64(r.Qualified), "qualified")
}

// BenchmarkDispatch runs a campaign of 100,000 pending deliveries to
// completion on memstore with a caller that answers at once: the cost of
// the engine and the store per call, with no network in the way.
func BenchmarkDispatch(b *testing.B) {
	const n = 100_000
	start := benchNow
	noop := signedcall.CallerFunc(func(context.Context, signedcall.CallRequest) (signedcall.Outcome, error) {
		return signedcall.OutcomeAnswered, nil
	})
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clk := fixedClock(start.Add(-time.Minute))
		st := memstore.New()
		d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: noop, Clock: clk})
		if err != nil {
			b.Fatal(err)
		}
		c := buildCampaign(b, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
		publish(b, d, clk, c)
		ds := make([]signedcall.Delivery, n)
		for j := range ds {
			ds[j] = signedcall.Delivery{
				CampaignID: c.ID, UserID: fmt.Sprintf("u%07d", j), Phone: fmt.Sprintf("+9198%08d", j),
				TimeZone: "Asia/Kolkata", ZoneSource: signedcall.ZoneFromProfile,
				Status: signedcall.StatusPending, DueAt: start,
			}
		}
		if err := st.Materialize(context.Background(), c.ID, ds); err != nil {
			b.Fatal(err)
		}
		clk.Set(start)
		b.StartTimer()
		step, err := d.Tick(context.Background(), c.ID, signedcall.SliceSource(nil))
		if err != nil || !step.Done || step.Dialled != n {
			b.Fatalf("Tick = %+v, %v; want done with %d dialled", step, err, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}
