package signedcall_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
	_ "time/tzdata"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/caller/simulated"
	"github.com/signedcall/signedcall/store/memstore"
)

func fixedClock(t time.Time) *clock.Mock {
	m := clock.NewMock()
	m.Set(t)
	return m
}

// dial is one call as the far end saw it.
type dial struct {
	req signedcall.CallRequest
	at  time.Time
}

// recorder is a Caller that notes every call with the clock's time and
// then asks the simulated caller for the outcome.
type recorder struct {
	clk  clock.Clock
	sim  *simulated.Caller
	mu   sync.Mutex
	log  []dial
	hook func(signedcall.CallRequest) (signedcall.Outcome, error)
}

func newRecorder(t testing.TB, clk clock.Clock, seed uint64) *recorder {
	sim, err := simulated.New(seed, simulated.DefaultOdds)
	if err != nil {
		t.Fatal(err)
	}
	return &recorder{clk: clk, sim: sim}
}

func (r *recorder) Call(ctx context.Context, req signedcall.CallRequest) (signedcall.Outcome, error) {
	r.mu.Lock()
	r.log = append(r.log, dial{req, r.clk.Now()})
	hook := r.hook
	r.mu.Unlock()
	if hook != nil {
		return hook(req)
	}
	return r.sim.Call(ctx, req)
}

func (r *recorder) dials() []dial {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.log)
}

var zonesForTest = []string{
	"Asia/Kolkata", "Asia/Kolkata", "Asia/Kolkata", "Europe/London", "America/New_York",
	"America/Los_Angeles", "Asia/Tokyo", "Pacific/Auckland", "Australia/Lord_Howe", "",
}

// population makes n reachable profiles across zones; a tenth have no zone.
func population(n int, seed uint64) signedcall.SliceSource {
	r := rand.New(rand.NewPCG(seed, 1))
	ps := make(signedcall.SliceSource, n)
	for i := range ps {
		ps[i] = signedcall.Profile{
			ID:         fmt.Sprintf("user-%05d", i),
			Phone:      fmt.Sprintf("+1%03d555%04d", 201+i/10000, i%10000),
			TimeZone:   zonesForTest[r.IntN(len(zonesForTest))],
			Reach:      signedcall.Reachability{HasPhone: true},
			Properties: map[string]any{"plan": []string{"free", "plus", "pro"}[r.IntN(3)]},
		}
	}
	return ps
}

type campaignSpec struct {
	start, cutOff time.Time
	policy        signedcall.Policy
	control       float64
	cap           int
}

func buildCampaign(t testing.TB, clk clock.Clock, s campaignSpec) *signedcall.Campaign {
	t.Helper()
	c, err := signedcall.NewCampaign("end to end").WithClock(clk).
		Audience(signedcall.All(signedcall.Flag(signedcall.HasPhone), signedcall.Prop("plan", signedcall.Ne, "pro"))).
		ControlPercent(s.control).Cap(s.cap).TimeZone("Asia/Kolkata").
		Start(s.start).CutOff(s.cutOff).
		DNDDays(time.Sunday).DNDHours("21:00", "09:00").Policy(s.policy).
		CallContext("Your cart is waiting").Build()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

var ack = signedcall.Acknowledgement{By: "ops@example.com", Statement: signedcall.DefaultStatement}

func publish(t testing.TB, d *signedcall.Dispatcher, clk clock.Clock, c *signedcall.Campaign) {
	t.Helper()
	a := ack
	a.At = clk.Now()
	if err := d.Publish(context.Background(), c, a); err != nil {
		t.Fatal(err)
	}
}

// drive runs Tick until the campaign is done, moving the mock clock to
// each Next.
func drive(t testing.TB, d *signedcall.Dispatcher, clk *clock.Mock, id uuid.UUID, src signedcall.ProfileSource) {
	t.Helper()
	for i := 0; ; i++ {
		if i > 100000 {
			t.Fatal("campaign did not finish in 100,000 ticks")
		}
		step, err := d.Tick(context.Background(), id, src)
		if err != nil {
			t.Fatal(err)
		}
		if step.Done {
			return
		}
		next := step.Next
		if !next.After(clk.Now()) {
			next = clk.Now().Add(time.Second)
		}
		clk.Set(next)
	}
}

// inDND reads the campaign's DND rule at local time lt, written out here
// from the rule's definition rather than by calling DND.Open.
func inDND(d signedcall.DND, lt time.Time) bool {
	if slices.Contains(d.Days, lt.Weekday()) {
		return true
	}
	m := lt.Hour()*60 + lt.Minute()
	for _, w := range d.Hours {
		from, to := int(w.From), int(w.To)
		if (from < to && m >= from && m < to) || (from > to && (m >= from || m < to)) {
			return true
		}
	}
	return false
}

// checkRun verifies the invariants of a finished campaign against what
// the far end saw, with the recipient's zone worked out from the profile
// here rather than taken from the delivery.
func checkRun(t *testing.T, st signedcall.Store, c *signedcall.Campaign, src signedcall.SliceSource, dials []dial) map[signedcall.Status]int {
	t.Helper()
	ctx := context.Background()
	profiles := map[string]*signedcall.Profile{}
	for i := range src {
		profiles[src[i].ID] = &src[i]
	}
	campaignLoc, _ := time.LoadLocation(c.Schedule.TimeZone)
	seenUser := map[string]bool{}
	for _, dl := range dials {
		if seenUser[dl.req.UserID] {
			t.Errorf("user %s dialled twice", dl.req.UserID)
		}
		seenUser[dl.req.UserID] = true
		if dl.at.Before(c.Schedule.Start) || !dl.at.Before(c.Schedule.CutOff) {
			t.Errorf("user %s dialled at %s, outside [%s, %s)", dl.req.UserID, dl.at, c.Schedule.Start, c.Schedule.CutOff)
		}
		p := profiles[dl.req.UserID]
		loc := campaignLoc
		if p.TimeZone != "" {
			loc, _ = time.LoadLocation(p.TimeZone)
		}
		lt := dl.at.In(loc)
		if inDND(c.Delivery.DND, lt) {
			t.Errorf("user %s dialled at %s local (%s), inside DND", dl.req.UserID, lt.Format("Mon 15:04"), loc)
		}
		if dl.req.Phone != p.Phone || dl.req.CallContext != c.CallContext || dl.req.Attempt != 1 {
			t.Errorf("request for %s = %+v, want phone %s, context %q, attempt 1", dl.req.UserID, dl.req, p.Phone, c.CallContext)
		}
	}

	got := map[signedcall.Status]int{}
	err := st.Deliveries(ctx, c.ID, func(d signedcall.Delivery) error {
		got[d.Status]++
		if !d.Status.Final() {
			t.Errorf("delivery %s ended %s, want a final state", d.UserID, d.Status)
		}
		called := d.Status == signedcall.StatusAnswered || d.Status == signedcall.StatusDeclined ||
			d.Status == signedcall.StatusMissed || d.Status == signedcall.StatusBusy || d.Status == signedcall.StatusFailed
		if called != seenUser[d.UserID] {
			t.Errorf("delivery %s is %s but dialled = %v", d.UserID, d.Status, seenUser[d.UserID])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := signedcall.ReportOf(ctx, st, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != signedcall.StateCompleted {
		t.Errorf("campaign state = %s, want completed", rep.State)
	}
	if fmt.Sprint(rep.Counts) != fmt.Sprint(got) {
		t.Errorf("report counts = %v, want %v", rep.Counts, got)
	}
	return got
}

func TestEndToEndDefer(t *testing.T) {
	// Saturday 5 December 2026, 17:00 IST; cut-off Sunday 12:00 IST.
	// Auckland (already Sunday) and Tokyo after 21:00 local defer to
	// Monday 09:00 local, past the cut-off, so they expire.
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start.Add(-time.Hour))
	st := memstore.New()
	rec := newRecorder(t, clk, 42)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, MaxCallsPerMinute: 20})
	if err != nil {
		t.Fatal(err)
	}
	src := population(3000, 1)
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(19 * time.Hour),
		policy: signedcall.PolicyDefer, control: 10, cap: 1500})
	publish(t, d, clk, c)
	drive(t, d, clk, c.ID, src)

	got := checkRun(t, st, c, src, rec.dials())
	qualified := 0
	for _, p := range src {
		if p.Properties["plan"] != "pro" {
			qualified++
		}
	}
	control := 0
	for _, p := range src {
		if p.Properties["plan"] != "pro" && signedcall.InControl(c.ID, p.ID, 10) {
			control++
		}
	}
	if got[signedcall.StatusControl] != control {
		t.Errorf("control = %d, want %d", got[signedcall.StatusControl], control)
	}
	called := len(rec.dials())
	if reached := called + got[signedcall.StatusExpired] + got[signedcall.StatusDiscardedDND]; reached != 1500 {
		t.Errorf("dialled %d + expired %d = %d, want the cap 1500", called, got[signedcall.StatusExpired], reached)
	}
	if got[signedcall.StatusCapped] != qualified-control-1500 {
		t.Errorf("capped = %d, want %d", got[signedcall.StatusCapped], qualified-control-1500)
	}
	if got[signedcall.StatusDiscardedDND] != 0 {
		t.Errorf("discarded = %d under the defer policy, want 0", got[signedcall.StatusDiscardedDND])
	}
	if got[signedcall.StatusExpired] == 0 {
		t.Errorf("nothing expired; deferrals to Monday should pass the cut-off")
	}
}

func TestEndToEndDiscard(t *testing.T) {
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC) // Sat 17:00 IST
	clk := fixedClock(start.Add(-time.Hour))
	st := memstore.New()
	rec := newRecorder(t, clk, 7)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, MaxCallsPerMinute: 3, Concurrency: 3})
	if err != nil {
		t.Fatal(err)
	}
	src := population(2000, 2)
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard, control: 10})
	publish(t, d, clk, c)
	drive(t, d, clk, c.ID, src)
	got := checkRun(t, st, c, src, rec.dials())

	// Tokyo is at 20:30 on Saturday at the start, 21:00 half an hour
	// later: its users reached after that are discarded, as are
	// Auckland's (Sunday already) whenever they are reached.
	if got[signedcall.StatusDiscardedDND] == 0 || got[signedcall.StatusExpired] == 0 {
		t.Errorf("counts = %v, want both discarded in DND and expired at the cut-off", got)
	}
	if n := len(rec.dials()); n != 3*3*60 {
		t.Errorf("%d calls in 3 hours at 3 a minute, want %d: more are open than that", n, 3*3*60)
	}
}

func TestRunWithSystemClock(t *testing.T) {
	clk := clock.New()
	now := clk.Now()
	st := memstore.New()
	rec := newRecorder(t, clk, 3)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// Close only a day three days off in UTC, so today is open all day.
	c, err := signedcall.NewCampaign("now").Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").StartNow().CutOff(now.Add(time.Minute)).
		DNDDays(now.UTC().AddDate(0, 0, 3).Weekday()).CallContext("now").Build()
	if err != nil {
		t.Fatal(err)
	}
	src := population(300, 3)
	for i := range src {
		src[i].TimeZone = "UTC"
	}
	publish(t, d, clk, c)
	rep, err := d.Run(context.Background(), c.ID, src)
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != signedcall.StateCompleted || rep.Called() != 300 || len(rec.dials()) != 300 {
		t.Errorf("report %v with %d dials, want completed with 300 called", rep, len(rec.dials()))
	}
}

func TestManyDispatchersShareOneStore(t *testing.T) {
	clk := clock.New()
	now := clk.Now()
	st := memstore.New()
	rec := newRecorder(t, clk, 9)
	c, err := signedcall.NewCampaign("shared").Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").StartNow().CutOff(now.Add(time.Minute)).ControlPercent(10).Cap(1000).
		DNDDays(now.UTC().AddDate(0, 0, 3).Weekday()).CallContext("shared").Build()
	if err != nil {
		t.Fatal(err)
	}
	src := population(3000, 4)
	for i := range src {
		src[i].TimeZone = "UTC"
	}
	var ds []*signedcall.Dispatcher
	for i := range 4 {
		d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, PollInterval: 5 * time.Millisecond,
			Owner: fmt.Sprintf("d%d", i), ClaimBatch: 7, Concurrency: 4})
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
	got := checkRun(t, st, c, src, rec.dials())
	if n := len(rec.dials()); n != 1000 {
		t.Errorf("%d dials by 4 dispatchers, want exactly the cap 1000 (counts %v)", n, got)
	}
}

func TestRunCancelFinishesCallInFlight(t *testing.T) {
	clk := clock.New()
	now := clk.Now()
	st := memstore.New()
	rec := newRecorder(t, clk, 5)
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	rec.hook = func(req signedcall.CallRequest) (signedcall.Outcome, error) {
		once.Do(cancel)
		time.Sleep(20 * time.Millisecond) // the call is still ringing when Run is told to stop
		return signedcall.OutcomeAnswered, nil
	}
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Concurrency: 1, ClaimBatch: 10})
	if err != nil {
		t.Fatal(err)
	}
	c, err := signedcall.NewCampaign("cancel").Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").StartNow().CutOff(now.Add(time.Minute)).
		DNDDays(now.UTC().AddDate(0, 0, 3).Weekday()).CallContext("cancel").Build()
	if err != nil {
		t.Fatal(err)
	}
	src := population(100, 5)
	for i := range src {
		src[i].TimeZone = "UTC"
	}
	publish(t, d, clk, c)
	if _, err := d.Run(ctx, c.ID, src); !errors.Is(err, context.Canceled) {
		t.Fatalf("Run after cancel = %v, want context.Canceled", err)
	}
	counts, err := st.Counts(context.Background(), c.ID)
	if err != nil {
		t.Fatal(err)
	}
	dialled := len(rec.dials())
	if counts[signedcall.StatusAnswered] != dialled || counts[signedcall.StatusUnknown] != 0 {
		t.Errorf("after cancel: counts %v with %d dials, want every dial answered and none unknown", counts, dialled)
	}
	if counts[signedcall.StatusPending] != 100-dialled || counts[signedcall.StatusClaimed] != 0 {
		t.Errorf("after cancel: counts %v, want the %d undialled back to pending with no claim held", counts, 100-dialled)
	}
}
