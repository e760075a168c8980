package signedcall_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/benbjohnson/clock"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

// monday10 is Monday 7 December 2026, 10:00 UTC.
var monday10 = time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)

// utcPeople makes n reachable profiles in UTC with their own numbers.
func utcPeople(n int) signedcall.SliceSource {
	ps := make(signedcall.SliceSource, n)
	for i := range ps {
		ps[i] = signedcall.Profile{
			ID: fmt.Sprintf("p%03d", i), Phone: fmt.Sprintf("+1202555%04d", 100+i),
			TimeZone: "UTC", Reach: signedcall.Reachability{HasPhone: true},
		}
	}
	return ps
}

// utcCampaign builds a campaign in UTC with DND 22:00-06:00.
func utcCampaign(t *testing.T, clk clock.Clock, start, cutOff time.Time, policy signedcall.Policy, more func(*signedcall.Builder)) *signedcall.Campaign {
	t.Helper()
	b := signedcall.NewCampaign("limits").WithClock(clk).
		Audience(signedcall.Flag(signedcall.HasPhone)).TimeZone("UTC").
		Start(start).CutOff(cutOff).DNDHours("22:00", "06:00").Policy(policy).
		CallContext("Your order")
	if more != nil {
		more(b)
	}
	c, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// maxInWindow returns the most calls that started in any window of
// length w, as (t-w, t] around each call.
func maxInWindow(dials []dial, w time.Duration) int {
	most := 0
	for _, d := range dials {
		n := 0
		for _, e := range dials {
			if e.at.After(d.at.Add(-w)) && !e.at.After(d.at) {
				n++
			}
		}
		most = max(most, n)
	}
	return most
}

// TestPaceHoldsAcrossDispatchers runs one campaign paced at 3 calls a
// second with two dispatchers on one store, ticking in turn on one mock
// clock: each paces itself, and the store refuses what the other used.
func TestPaceHoldsAcrossDispatchers(t *testing.T) {
	clk := fixedClock(monday10)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	var ds []*signedcall.Dispatcher
	for i := range 2 {
		d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Owner: fmt.Sprintf("d%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	src := utcPeople(30)
	c := utcCampaign(t, clk, monday10, monday10.Add(time.Hour), signedcall.PolicyDiscard,
		func(b *signedcall.Builder) { b.Pace(3, time.Second) })
	publish(t, ds[0], clk, c)

	done := make([]bool, len(ds))
	for i := 0; !done[0] || !done[1]; i++ {
		if i > 10000 {
			t.Fatal("campaign did not finish in 10,000 rounds")
		}
		var next time.Time
		for j, d := range ds {
			if done[j] {
				continue
			}
			step, err := d.Tick(context.Background(), c.ID, src)
			if err != nil {
				t.Fatal(err)
			}
			done[j] = step.Done
			if !step.Done && (next.IsZero() || step.Next.Before(next)) {
				next = step.Next
			}
		}
		if !next.After(clk.Now()) {
			next = clk.Now().Add(time.Millisecond)
		}
		clk.Set(next)
	}

	dials := rec.dials()
	checkRun(t, st, c, src, dials)
	if len(dials) != 30 {
		t.Errorf("%d calls, want all 30", len(dials))
	}
	if n := maxInWindow(dials, time.Second); n > 3 {
		t.Errorf("%d calls started within one second, want at most the pace of 3", n)
	}
	// 30 calls at 3 a second need 9 more seconds after the first three;
	// a pace that works does not take much longer.
	last := dials[len(dials)-1].at
	if span := last.Sub(monday10); span > 10*time.Second {
		t.Errorf("the last call started %s after the first, want at most 10s at 3 a second", span)
	}
}

// gatedCaller holds every call for hold of real time and records how many
// were in progress at once.
type gatedCaller struct {
	hold      time.Duration
	now, most atomic.Int64
	calls     atomic.Int64
	mu        sync.Mutex
	users     map[string]int
}

func (g *gatedCaller) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	n := g.now.Add(1)
	for {
		m := g.most.Load()
		if n <= m || g.most.CompareAndSwap(m, n) {
			break
		}
	}
	g.mu.Lock()
	g.users[req.UserID]++
	g.mu.Unlock()
	time.Sleep(g.hold)
	g.now.Add(-1)
	g.calls.Add(1)
	return signedcall.OutcomeAnswered, nil
}

// TestMaxConcurrentAcrossDispatchers runs three dispatchers, each allowed
// 8 calls at once, on a campaign capped at 2 calls in progress.
func TestMaxConcurrentAcrossDispatchers(t *testing.T) {
	clk := clock.New()
	now := clk.Now().UTC()
	st := memstore.New()
	gc := &gatedCaller{hold: 15 * time.Millisecond, users: map[string]int{}}
	// DND for the hour twelve hours away, so now is open.
	h := (now.Hour() + 12) % 24
	c, err := signedcall.NewCampaign("concurrent").Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").StartNow().CutOff(now.Add(time.Minute)).
		DNDHours(fmt.Sprintf("%02d:00", h), fmt.Sprintf("%02d:00", (h+1)%24)).
		MaxConcurrent(2).CallContext("concurrent").Build()
	if err != nil {
		t.Fatal(err)
	}
	src := utcPeople(40)
	var ds []*signedcall.Dispatcher
	for i := range 3 {
		d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: gc, Concurrency: 8,
			PollInterval: 10 * time.Millisecond, Owner: fmt.Sprintf("d%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, d)
	}
	publish(t, ds[0], clk, c)
	var wg sync.WaitGroup
	errs := make([]error, len(ds))
	for i, d := range ds {
		wg.Go(func() { _, errs[i] = d.Run(context.Background(), c.ID, src) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := gc.calls.Load(); n != 40 {
		t.Errorf("%d calls, want 40", n)
	}
	for u, n := range gc.users {
		if n != 1 {
			t.Errorf("user %s called %d times, want 1", u, n)
		}
	}
	if m := gc.most.Load(); m > 2 {
		t.Errorf("%d calls in progress at once, want at most 2", m)
	}
}

// TestPersonLimitAcrossCampaigns sets a host limit of one call a day to
// a number from any campaign. Campaign A calls five people at 10:00
// Monday; campaigns B, C and D then try the same people an hour later.
func TestPersonLimitAcrossCampaigns(t *testing.T) {
	clk := fixedClock(monday10)
	st := memstore.New()
	rec := newRecorder(t, clk, 3)
	rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeAnswered, nil }
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk,
		Limits: []signedcall.Limit{{Max: 1, Window: signedcall.Duration(24 * time.Hour), Scope: signedcall.ScopePerson}}})
	if err != nil {
		t.Fatal(err)
	}
	src := utcPeople(5)
	a := utcCampaign(t, clk, monday10, monday10.Add(time.Hour), signedcall.PolicyDiscard, nil)
	publish(t, d, clk, a)
	drive(t, d, clk, a.ID, src)
	if n := len(rec.dials()); n != 5 {
		t.Fatalf("campaign A placed %d calls, want 5", n)
	}

	later := monday10.Add(time.Hour)
	cases := []struct {
		name    string
		policy  signedcall.Policy
		cutOff  time.Time
		status  signedcall.Status
		reason  string
		calls   int
		callsAt time.Time
	}{
		// Deferred to Tuesday 10:00, a day after A's calls, and placed then.
		{"B defer", signedcall.PolicyDefer, monday10.Add(48 * time.Hour), signedcall.StatusAnswered, "", 5, monday10.Add(24 * time.Hour)},
		{"C discard", signedcall.PolicyDiscard, monday10.Add(48 * time.Hour), signedcall.StatusDiscardedDND, signedcall.ReasonLimit, 0, time.Time{}},
		// Tuesday 10:00 is after D's cut-off.
		{"D defer, cut-off first", signedcall.PolicyDefer, monday10.Add(20 * time.Hour), signedcall.StatusExpired, signedcall.ReasonLimitPastCut, 0, time.Time{}},
	}
	for _, tc := range cases {
		// B's calls on Tuesday count for C and D: run each from Monday 11:00
		// on a fresh store holding A's calls only.
		clk.Set(later)
		before := len(rec.dials())
		c := utcCampaign(t, clk, later, tc.cutOff, tc.policy, nil)
		publish(t, d, clk, c)
		drive(t, d, clk, c.ID, src)
		reasons, err := signedcall.ReasonsOf(context.Background(), st, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got := reasons[tc.status][tc.reason]; got != 5 {
			t.Errorf("%s: %d deliveries %s/%q, want 5 (all: %v)", tc.name, got, tc.status, tc.reason, reasons)
		}
		calls := rec.dials()[before:]
		if len(calls) != tc.calls {
			t.Errorf("%s: %d calls, want %d", tc.name, len(calls), tc.calls)
		}
		for _, call := range calls {
			if !call.at.Equal(tc.callsAt) {
				t.Errorf("%s: call to %s at %s, want %s", tc.name, call.req.UserID, call.at, tc.callsAt)
			}
		}
	}
}

// weekdayPack allows calls 09:00-17:00 Monday to Friday, with listed
// holidays.
func weekdayPack(id string, holidays ...signedcall.Date) *signedcall.RulePack {
	p := &signedcall.RulePack{ID: id, Region: "ZZ", Name: "test", Version: "1", Source: "test", Checked: signedcall.Date{Year: 2026, Month: 12, Day: 1}}
	for wd := time.Monday; wd <= time.Friday; wd++ {
		p.Hours[wd] = []signedcall.Window{{From: signedcall.At(9, 0), To: signedcall.At(17, 0)}}
	}
	if len(holidays) > 0 {
		p.Holidays = dates(holidays)
	}
	return p
}

type dates []signedcall.Date

func (ds dates) Holiday(d signedcall.Date) (string, bool) { return "holiday", slices.Contains(ds, d) }

// zonesLocator places everyone in the same zones.
type zonesLocator []string

func (z zonesLocator) Locate(*signedcall.Profile) (signedcall.Location, error) {
	return signedcall.Location{Zones: z, Source: signedcall.ZoneFromPhone}, nil
}

// TestRulePackGovernsDispatch checks the exact instants calls start under
// a pack, read in every zone the person may be in.
func TestRulePackGovernsDispatch(t *testing.T) {
	perth, _ := time.LoadLocation("Australia/Perth")
	sydney, _ := time.LoadLocation("Australia/Sydney")
	cases := []struct {
		name     string
		zones    []string
		start    time.Time
		holidays []signedcall.Date
		want     time.Time
	}{
		// Monday 7 Dec 2026 07:00 in Perth (AWST, +8): the pack opens at 09:00.
		{"Perth before hours", []string{"Australia/Perth"},
			time.Date(2026, 12, 6, 23, 0, 0, 0, time.UTC), nil, time.Date(2026, 12, 7, 9, 0, 0, 0, perth)},
		// Sydney 09:00 AEDT (+11) is Perth 06:00: a number that may be in
		// either waits for Perth's 09:00, which is Sydney's 12:00.
		{"Perth or Sydney", []string{"Australia/Sydney", "Australia/Perth"},
			time.Date(2026, 12, 7, 9, 0, 0, 0, sydney), nil, time.Date(2026, 12, 7, 9, 0, 0, 0, perth)},
		// Friday 18:00 in Perth: next Monday 09:00, unless Monday is a
		// holiday, then Tuesday.
		{"Perth Friday evening", []string{"Australia/Perth"},
			time.Date(2026, 12, 11, 18, 0, 0, 0, perth), nil, time.Date(2026, 12, 14, 9, 0, 0, 0, perth)},
		{"Perth holiday Monday", []string{"Australia/Perth"},
			time.Date(2026, 12, 11, 18, 0, 0, 0, perth), []signedcall.Date{{Year: 2026, Month: 12, Day: 14}},
			time.Date(2026, 12, 15, 9, 0, 0, 0, perth)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := fixedClock(tc.start)
			st := memstore.New()
			rec := newRecorder(t, clk, 5)
			rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeAnswered, nil }
			rs, err := signedcall.NewRuleSet(weekdayPack("T", tc.holidays...))
			if err != nil {
				t.Fatal(err)
			}
			d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Rules: rs, Locator: zonesLocator(tc.zones)})
			if err != nil {
				t.Fatal(err)
			}
			c := utcCampaign(t, clk, tc.start, tc.start.Add(10*24*time.Hour), signedcall.PolicyDefer,
				func(b *signedcall.Builder) { b.RulePacks("T").DNDHours("00:00", "00:30") })
			reach, err := d.Preview(context.Background(), c, utcPeople(1))
			if err != nil {
				t.Fatal(err)
			}
			if reach.Packs["T@1"] != 1 || reach.NoPack != 0 || reach.ZoneSources[signedcall.ZoneFromPhone] != 1 {
				t.Errorf("Preview = packs %v, no pack %d, zone sources %v; want T@1 for 1, none without, 1 from phone",
					reach.Packs, reach.NoPack, reach.ZoneSources)
			}
			publish(t, d, clk, c)
			drive(t, d, clk, c.ID, utcPeople(1))
			dials := rec.dials()
			if len(dials) != 1 || !dials[0].at.Equal(tc.want) {
				t.Fatalf("calls = %v, want one at %s", dials, tc.want)
			}
		})
	}
}

// TestUnknownRulePackRefused: a campaign naming a pack the dispatcher
// lacks, or asking for packs by country with none configured, is refused
// at publish and preview.
func TestUnknownRulePackRefused(t *testing.T) {
	clk := fixedClock(monday10)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: memstore.New(), Caller: newRecorder(t, clk, 1), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	for _, more := range []func(*signedcall.Builder){
		func(b *signedcall.Builder) { b.RulePacks("US") },
		func(b *signedcall.Builder) { b.RulePacksByCountry() },
	} {
		c := utcCampaign(t, clk, monday10.Add(time.Hour), monday10.Add(2*time.Hour), signedcall.PolicyDiscard, more)
		a := ack
		a.At = clk.Now()
		if err := d.Publish(context.Background(), c, a); !errors.Is(err, signedcall.ErrUnknownRulePack) {
			t.Errorf("Publish(packs %+v) = %v, want ErrUnknownRulePack", c.Delivery.Rules, err)
		}
		if _, err := d.Preview(context.Background(), c, utcPeople(1)); !errors.Is(err, signedcall.ErrUnknownRulePack) {
			t.Errorf("Preview(packs %+v) = %v, want ErrUnknownRulePack", c.Delivery.Rules, err)
		}
	}
}

// invalidLocator rejects every number.
type invalidLocator struct{}

func (invalidLocator) Locate(p *signedcall.Profile) (signedcall.Location, error) {
	return signedcall.Location{}, fmt.Errorf("number %s: %w", signedcall.MaskPhone(p.Phone), signedcall.ErrInvalidPhone)
}

// TestInvalidPhoneIsUnreachable: a Locator's ErrInvalidPhone makes the
// person unreachable with reason invalid_phone, in preview and report.
func TestInvalidPhoneIsUnreachable(t *testing.T) {
	clk := fixedClock(monday10)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Locator: invalidLocator{}})
	if err != nil {
		t.Fatal(err)
	}
	c := utcCampaign(t, clk, monday10, monday10.Add(time.Hour), signedcall.PolicyDiscard, nil)
	reach, err := d.Preview(context.Background(), c, utcPeople(3))
	if err != nil {
		t.Fatal(err)
	}
	if reach.Unreachable != 3 || reach.UnreachableReasons[signedcall.ReasonInvalidPhone] != 3 {
		t.Errorf("Preview: unreachable %d (%v), want 3 invalid_phone", reach.Unreachable, reach.UnreachableReasons)
	}
	publish(t, d, clk, c)
	drive(t, d, clk, c.ID, utcPeople(3))
	reasons, err := signedcall.ReasonsOf(context.Background(), st, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := reasons[signedcall.StatusUnreachable][signedcall.ReasonInvalidPhone]; n != 3 || len(rec.dials()) != 0 {
		t.Errorf("report: %d unreachable/invalid_phone and %d calls, want 3 and 0", n, len(rec.dials()))
	}
}

// TestByCountryNeedsRulesToRun: a campaign published with packs by
// country is not planned by a dispatcher that has no rule set: it would
// call everyone under DND alone.
func TestByCountryNeedsRulesToRun(t *testing.T) {
	clk := fixedClock(monday10)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	rs, err := signedcall.NewRuleSet(weekdayPack("ZZ"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Rules: rs})
	if err != nil {
		t.Fatal(err)
	}
	runner, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := utcCampaign(t, clk, monday10, monday10.Add(time.Hour), signedcall.PolicyDiscard,
		func(b *signedcall.Builder) { b.RulePacksByCountry() })
	publish(t, pub, clk, c)
	if _, err := runner.Tick(context.Background(), c.ID, utcPeople(3)); !errors.Is(err, signedcall.ErrUnknownRulePack) {
		t.Errorf("Tick without a rule set = %v, want ErrUnknownRulePack", err)
	}
	if n := len(rec.dials()); n != 0 {
		t.Errorf("%d calls placed without the campaign's packs, want 0", n)
	}
}
