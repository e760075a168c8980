package signedcall_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"

	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
)

func TestPublishNeedsAcknowledgementAndFreezesDefinition(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start.Add(-time.Hour))
	st := memstore.New()
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: newRecorder(t, clk, 1), Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})

	for _, tc := range []struct {
		name  string
		ack   signedcall.Acknowledgement
		field string
	}{
		{"no one", signedcall.Acknowledgement{At: clk.Now(), Statement: "ok"}, "acknowledgement.by"},
		{"no time", signedcall.Acknowledgement{By: "a", Statement: "ok"}, "acknowledgement.at"},
		{"no statement", signedcall.Acknowledgement{By: "a", At: clk.Now(), Statement: "  "}, "acknowledgement.statement"},
	} {
		err := d.Publish(ctx, c, tc.ack)
		var ve *signedcall.ValidationError
		if !errors.Is(err, signedcall.ErrNotAcknowledged) || !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("Publish with %s = %v, want ErrNotAcknowledged naming %s", tc.name, err, tc.field)
		}
	}
	if _, err := st.Campaign(ctx, c.ID); !errors.Is(err, signedcall.ErrNotFound) {
		t.Errorf("after refused publishes, Campaign = %v, want ErrNotFound: nothing stored", err)
	}

	publish(t, d, clk, c)
	got, err := st.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != signedcall.StateScheduled || got.Acknowledgement == nil ||
		got.Acknowledgement.By != ack.By || got.Acknowledgement.Statement != ack.Statement || !got.Acknowledgement.At.Equal(clk.Now()) {
		t.Errorf("published campaign = state %s, ack %+v; want scheduled with the acknowledgement stored", got.State, got.Acknowledgement)
	}

	changed := *c
	changed.Cap = 200
	if err := st.UpdateCampaign(ctx, &changed); !errors.Is(err, signedcall.ErrImmutable) {
		t.Errorf("UpdateCampaign after publish = %v, want ErrImmutable", err)
	}
	a := ack
	a.At = clk.Now()
	if err := d.Publish(ctx, &changed, a); !errors.Is(err, signedcall.ErrImmutable) {
		t.Errorf("Publish of a changed published campaign = %v, want ErrImmutable", err)
	}
	if got, _ := st.Campaign(ctx, c.ID); got.Cap != c.Cap {
		t.Errorf("stored cap = %d after refused change, want %d", got.Cap, c.Cap)
	}
}

func TestPauseResumeStop(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC) // Sat 17:00 IST
	clk := fixedClock(start)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, MaxCallsPerMinute: 10})
	if err != nil {
		t.Fatal(err)
	}
	src := population(500, 8)
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDefer})
	publish(t, d, clk, c)

	if err := d.Pause(ctx, c.ID); !errors.Is(err, signedcall.ErrStateConflict) {
		t.Errorf("Pause of a scheduled campaign = %v, want ErrStateConflict", err)
	}
	step, err := d.Tick(ctx, c.ID, src)
	if err != nil {
		t.Fatal(err)
	}
	if step.Dialled != 10 {
		t.Fatalf("first minute dialled %d, want the pace of 10", step.Dialled)
	}
	if err := d.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if step, err := d.Tick(ctx, c.ID, src); err != nil || step.Dialled != 0 || step.Done {
		t.Errorf("Tick while paused = %+v, %v; want nothing dialled", step, err)
	}
	if err := d.Resume(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	if step, err := d.Tick(ctx, c.ID, src); err != nil || step.Dialled != 10 {
		t.Errorf("Tick after resume = %+v, %v; want 10 dialled", step, err)
	}
	before := len(rec.dials())
	if err := d.Stop(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	step, err = d.Tick(ctx, c.ID, src)
	if err != nil || !step.Done {
		t.Errorf("Tick after stop = %+v, %v; want done", step, err)
	}
	if n := len(rec.dials()); n != before {
		t.Errorf("%d dials after stop, want none", n-before)
	}
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != signedcall.StateStopped || rep.Counts[signedcall.StatusPending] != 0 ||
		rep.Called() != before || rep.Counts[signedcall.StatusStopped] == 0 {
		t.Errorf("report after stop = %v, want stopped with %d called and the rest stopped", rep, before)
	}
	if err := d.Resume(ctx, c.ID); !errors.Is(err, signedcall.ErrStateConflict) {
		t.Errorf("Resume of a stopped campaign = %v, want ErrStateConflict", err)
	}
}

// TestRescueAfterCrash leaves a delivery in dialling under a dead owner's
// lease and checks what a live dispatcher makes of it once the lease
// expires: unknown, unless the Caller confirms no call was placed.
func TestRescueAfterCrash(t *testing.T) {
	for _, tc := range []struct {
		name        string
		checker     bool
		wantStatus  signedcall.Status
		wantDials   int
		wantAttempt int
	}{
		{"caller cannot tell", false, signedcall.StatusUnknown, 0, 1},
		{"caller confirms no call", true, signedcall.StatusAnswered, 1, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
			clk := fixedClock(start)
			st := memstore.New()
			rec := newRecorder(t, clk, 1)
			rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeAnswered, nil }
			var caller signedcall.Caller = signedcall.CallerFunc(rec.Call)
			if tc.checker {
				caller = struct {
					signedcall.Caller
					signedcall.PlacementChecker
				}{rec, rec.sim} // the simulated caller never saw the dead owner's call
			}
			d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: caller, Clock: clk, Lease: 5 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
			publish(t, d, clk, c)
			err = st.Materialize(ctx, c.ID, []signedcall.Delivery{{
				CampaignID: c.ID, UserID: "u1", Phone: "+12125550100", TimeZone: "Asia/Kolkata",
				ZoneSource: signedcall.ZoneFromProfile, Status: signedcall.StatusPending, DueAt: start,
			}})
			if err != nil {
				t.Fatal(err)
			}
			// The dead dispatcher had started the campaign.
			err = st.TransitionCampaign(ctx, c.ID, []signedcall.CampaignState{signedcall.StateScheduled}, signedcall.StateRunning, start)
			if err != nil {
				t.Fatal(err)
			}
			claimed, err := st.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "dead", Now: start, Lease: time.Minute, Limit: 1})
			if err != nil || len(claimed) != 1 {
				t.Fatalf("Claim = %v, %v", claimed, err)
			}
			l := claimed[0].Lease
			errs, err := st.Apply(ctx, []signedcall.Transition{{Key: claimed[0].Key(), Owner: l.Owner, Token: l.Token, To: signedcall.StatusDialling, At: start}})
			if err != nil || errs[0] != nil {
				t.Fatalf("Apply dialling = %v, %v", errs, err)
			}

			// Before the dead lease expires nothing may touch it.
			step, err := d.Tick(ctx, c.ID, signedcall.SliceSource(nil))
			if err != nil || step.Done || !step.Next.Equal(start.Add(time.Minute)) {
				t.Errorf("Tick under a live lease = %+v, %v; want to come back at its expiry %s", step, err, start.Add(time.Minute))
			}
			clk.Set(step.Next)
			if _, err := d.Tick(ctx, c.ID, signedcall.SliceSource(nil)); err != nil {
				t.Fatal(err)
			}
			got, err := st.Delivery(ctx, claimed[0].Key())
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tc.wantStatus || got.Attempt != tc.wantAttempt || len(rec.dials()) != tc.wantDials {
				t.Errorf("after rescue: status %s, attempt %d, %d dials; want %s, %d, %d",
					got.Status, got.Attempt, len(rec.dials()), tc.wantStatus, tc.wantAttempt, tc.wantDials)
			}
			if stale, _ := st.Apply(ctx, []signedcall.Transition{{Key: claimed[0].Key(), Owner: l.Owner, Token: l.Token, To: signedcall.StatusAnswered, At: clk.Now()}}); !errors.Is(stale[0], signedcall.ErrLeaseLost) {
				t.Errorf("dead owner's late write = %v, want ErrLeaseLost", stale[0])
			}
		})
	}
}

// stealingStore loses every lease at the moment a call would start.
type stealingStore struct{ signedcall.Store }

func (s stealingStore) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	errs := make([]error, len(ts))
	var keep []signedcall.Transition
	var idx []int
	for i, tr := range ts {
		if tr.To == signedcall.StatusDialling {
			errs[i] = signedcall.ErrLeaseLost
			continue
		}
		keep = append(keep, tr)
		idx = append(idx, i)
	}
	got, err := s.Store.Apply(ctx, keep)
	for j, e := range got {
		errs[idx[j]] = e
	}
	return errs, err
}

func TestNoDialWithoutLease(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := stealingStore{memstore.New()}
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	if _, err := d.Tick(ctx, c.ID, population(50, 1)); err != nil {
		t.Fatal(err)
	}
	if n := len(rec.dials()); n != 0 {
		t.Errorf("%d calls placed although every lease was lost before dialling, want 0", n)
	}
}

// TestSlowCallsNeverOutliveTheirLease makes each call take a minute of
// the clock with a three-minute lease: claims that waited too long in the
// queue are handed back and claimed afresh, so every call starts with at
// least CallTimeout of its lease left and nobody is dialled twice.
func TestSlowCallsNeverOutliveTheirLease(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC) // Sat 17:00 IST
	clk := fixedClock(start)
	st := memstore.New()
	rec := newRecorder(t, clk, 1)
	var mu sync.Mutex
	leaseLeft := map[string]time.Duration{}
	rec.hook = func(req signedcall.CallRequest) (signedcall.Outcome, error) {
		dl, err := st.Delivery(ctx, signedcall.Key{CampaignID: req.CampaignID, UserID: req.UserID})
		if err != nil {
			return "", err
		}
		mu.Lock()
		leaseLeft[req.UserID] = dl.Lease.Expires.Sub(clk.Now())
		mu.Unlock()
		clk.Add(time.Minute)
		return signedcall.OutcomeAnswered, nil
	}
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk,
		Concurrency: 1, ClaimBatch: 10, Lease: 3 * time.Minute, CallTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	src := population(40, 12)
	for i := range src {
		src[i].TimeZone = "Asia/Kolkata"
	}
	drive(t, d, clk, c.ID, src)
	dials := rec.dials()
	seen := map[string]bool{}
	for _, dl := range dials {
		if seen[dl.req.UserID] {
			t.Errorf("user %s dialled twice", dl.req.UserID)
		}
		seen[dl.req.UserID] = true
		if left := leaseLeft[dl.req.UserID]; left <= time.Minute {
			t.Errorf("user %s dialled with %s of lease left, want more than the 1m call timeout", dl.req.UserID, left)
		}
	}
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := 0 // the audience leaves out the "pro" plan
	for _, p := range src {
		if p.Properties["plan"] != "pro" {
			want++
		}
	}
	if len(dials) != want || rep.Counts[signedcall.StatusAnswered] != want || rep.Total != want {
		t.Errorf("%d dials, report %v; want all %d qualified answered", len(dials), rep, want)
	}
}

// stopAfterClaim has another process stop (or pause) the campaign the
// moment a claim returns, before any call of that claim starts.
type stopAfterClaim struct {
	signedcall.Store
	once sync.Once
	stop func()
}

func (s *stopAfterClaim) Claim(ctx context.Context, req signedcall.ClaimRequest) ([]signedcall.Delivery, error) {
	ds, err := s.Store.Claim(ctx, req)
	if len(ds) > 0 {
		s.once.Do(s.stop)
	}
	return ds, err
}

func TestNoCallStartsAfterPauseOrStop(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stop  func(d *signedcall.Dispatcher, ctx context.Context, id uuid.UUID) error
		state signedcall.CampaignState
	}{
		{"pause", (*signedcall.Dispatcher).Pause, signedcall.StatePaused},
		{"stop", (*signedcall.Dispatcher).Stop, signedcall.StateStopped},
	} {
		t.Run(tc.name+" during a call", func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC) // Sat 17:00 IST
			clk := fixedClock(start)
			st := memstore.New()
			rec := newRecorder(t, clk, 1)
			var d *signedcall.Dispatcher
			var c *signedcall.Campaign
			var once sync.Once
			rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) {
				once.Do(func() {
					if err := tc.stop(d, ctx, c.ID); err != nil {
						t.Error(err)
					}
				})
				return signedcall.OutcomeAnswered, nil
			}
			var err error
			d, err = signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Concurrency: 1})
			if err != nil {
				t.Fatal(err)
			}
			c = buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
			publish(t, d, clk, c)
			src := population(50, 3)
			for i := range src {
				src[i].TimeZone = "Asia/Kolkata"
			}
			if _, err := d.Tick(ctx, c.ID, src); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.dials()); n != 1 {
				t.Errorf("%d calls with one line and a %s during the first, want 1", n, tc.name)
			}
			got, err := st.Campaign(ctx, c.ID)
			if err != nil || got.State != tc.state {
				t.Errorf("campaign after %s = %v, %v; want %s", tc.name, got.State, err, tc.state)
			}
			counts, _ := st.Counts(ctx, c.ID)
			if counts[signedcall.StatusClaimed] != 0 || counts[signedcall.StatusDialling] != 0 {
				t.Errorf("counts after %s = %v, want no claim or dial left held", tc.name, counts)
			}
		})
		t.Run(tc.name+" between claim and dial", func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
			clk := fixedClock(start)
			mem := memstore.New()
			st := &stopAfterClaim{Store: mem}
			rec := newRecorder(t, clk, 1)
			d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Concurrency: 4})
			if err != nil {
				t.Fatal(err)
			}
			c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
			st.stop = func() {
				other, _ := signedcall.NewDispatcher(signedcall.Config{Store: mem, Caller: rec, Clock: clk})
				if err := tc.stop(other, ctx, c.ID); err != nil {
					t.Error(err)
				}
			}
			publish(t, d, clk, c)
			if _, err := d.Tick(ctx, c.ID, population(20, 4)); err != nil {
				t.Fatal(err)
			}
			if n := len(rec.dials()); n != 0 {
				t.Errorf("%d calls started after a %s written before they were dialled, want 0", n, tc.name)
			}
		})
	}
}

// slowDialStore takes a minute of the clock to record that a call starts.
type slowDialStore struct {
	signedcall.Store
	clk *clock.Mock
}

func (s slowDialStore) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	errs, err := s.Store.Apply(ctx, ts)
	for _, tr := range ts {
		if tr.To == signedcall.StatusDialling {
			s.clk.Add(time.Minute)
			break
		}
	}
	return errs, err
}

func TestCutOffRecheckedAfterTheDiallingWrite(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := slowDialStore{memstore.New(), clk}
	rec := newRecorder(t, clk, 1)
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	// The cut-off falls 30 seconds after the start, inside the slow write.
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(30 * time.Second), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	drive(t, d, clk, c.ID, population(10, 5))
	if n := len(rec.dials()); n != 0 {
		t.Errorf("%d calls started at or after the cut-off, want 0", n)
	}
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[signedcall.StatusExpired] == 0 || rep.Called() != 0 {
		t.Errorf("report %v, want every target expired and none called", rep)
	}
}

func TestPanickingCallerIsRecordedUnknown(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := memstore.New()
	caller := signedcall.CallerFunc(func(context.Context, signedcall.CallRequest) (signedcall.Outcome, error) {
		panic("caller exploded")
	})
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: caller, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	src := population(5, 6)
	for i := range src {
		src[i].TimeZone = "Asia/Kolkata"
	}
	step, err := d.Tick(ctx, c.ID, src)
	if err != nil || !step.Done {
		t.Fatalf("Tick with a panicking caller = %+v, %v; want done", step, err)
	}
	var reasons []string
	err = st.Deliveries(ctx, c.ID, func(dl signedcall.Delivery) error {
		if dl.Status == signedcall.StatusUnknown {
			reasons = append(reasons, dl.Reason)
		} else if dl.Status != signedcall.StatusControl {
			t.Errorf("delivery %s is %s after a panicking call, want unknown", dl.UserID, dl.Status)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range reasons {
		if r != signedcall.ReasonCallerPanic {
			t.Errorf("reason = %q, want %q", r, signedcall.ReasonCallerPanic)
		}
	}
	if len(reasons) == 0 {
		t.Error("no delivery reached the panicking caller")
	}
}

func TestPausedCampaignEndsAtCutOff(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := memstore.New()
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: newRecorder(t, clk, 1), Clock: clk, MaxCallsPerMinute: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	if _, err := d.Tick(ctx, c.ID, population(20, 7)); err != nil {
		t.Fatal(err)
	}
	if err := d.Pause(ctx, c.ID); err != nil {
		t.Fatal(err)
	}
	clk.Set(start.Add(25 * time.Hour))
	step, err := d.Tick(ctx, c.ID, nil)
	if err != nil || !step.Done {
		t.Fatalf("Tick of a paused campaign past its cut-off = %+v, %v; want done", step, err)
	}
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.State != signedcall.StateCompleted || rep.Counts[signedcall.StatusPending] != 0 || rep.Counts[signedcall.StatusExpired] == 0 {
		t.Errorf("report %v, want completed with the rest expired", rep)
	}
}

// lateDialStore takes longer than the whole lease, once, to record that a
// call starts, as a stalled process would.
type lateDialStore struct {
	signedcall.Store
	clk   *clock.Mock
	delay time.Duration
	once  sync.Once
}

func (s *lateDialStore) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	errs, err := s.Store.Apply(ctx, ts)
	for _, tr := range ts {
		if tr.To == signedcall.StatusDialling {
			s.once.Do(func() { s.clk.Add(s.delay) })
			break
		}
	}
	return errs, err
}

func TestNoCallOnALeaseThatRanOut(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := &lateDialStore{Store: memstore.New(), clk: clk, delay: 6 * time.Minute}
	rec := newRecorder(t, clk, 1)
	rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeAnswered, nil }
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(3 * time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	src := population(1, 13)
	src[0].TimeZone = "Asia/Kolkata"
	src[0].Properties = nil // qualifies: plan is not "pro"
	drive(t, d, clk, c.ID, src)
	dials := rec.dials()
	if len(dials) != 1 || !dials[0].at.Equal(start.Add(6*time.Minute)) {
		t.Fatalf("dials = %+v, want one call, placed after the late write was handed back and claimed afresh", dials)
	}
	got, err := st.Delivery(ctx, signedcall.Key{CampaignID: c.ID, UserID: src[0].ID})
	if err != nil || got.Status != signedcall.StatusAnswered {
		t.Errorf("delivery = %+v, %v; want answered", got, err)
	}
}

// flakyWriteStore fails the first Apply that records a final status.
type flakyWriteStore struct {
	signedcall.Store
	once sync.Once
}

func (s *flakyWriteStore) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	fail := false
	for _, tr := range ts {
		if tr.To.Final() {
			s.once.Do(func() { fail = true })
		}
	}
	if fail {
		return nil, errors.New("connection reset by peer")
	}
	return s.Store.Apply(ctx, ts)
}

func TestOutcomeWriteIsRetried(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 12, 5, 11, 30, 0, 0, time.UTC)
	clk := fixedClock(start)
	st := &flakyWriteStore{Store: memstore.New()}
	rec := newRecorder(t, clk, 1)
	rec.hook = func(signedcall.CallRequest) (signedcall.Outcome, error) { return signedcall.OutcomeAnswered, nil }
	d, err := signedcall.NewDispatcher(signedcall.Config{Store: st, Caller: rec, Clock: clk, Concurrency: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := buildCampaign(t, clk, campaignSpec{start: start, cutOff: start.Add(time.Hour), policy: signedcall.PolicyDiscard})
	publish(t, d, clk, c)
	src := population(3, 14)
	for i := range src {
		src[i].TimeZone = "Asia/Kolkata"
		src[i].Properties = nil
	}
	drive(t, d, clk, c.ID, src)
	rep, err := d.Report(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Counts[signedcall.StatusUnknown] != 0 || rep.Called() != len(rec.dials()) {
		t.Errorf("report %v after %d dials and one failed write, want every dial recorded", rep, len(rec.dials()))
	}
}
