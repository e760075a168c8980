package storetest

import (
	"fmt"
	"maps"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var applyTests = []test{
	{"Dialling", testApplyDialling},
	{"DiallingTwice", testApplyDiallingTwice},
	{"DiallingNotRunning", testApplyDiallingNotRunning},
	{"Final", testApplyFinal},
	{"Release", testApplyRelease},
	{"InvalidStatus", testApplyInvalidStatus},
	{"NotFound", testApplyNotFound},
	{"WrongLease", testApplyWrongLease},
	{"Batch", testApplyBatch},
	{"Empty", testApplyEmpty},
}

// due returns n deliveries for campaign cid, all due at base.
func due(n int) func(cid uuid.UUID) []signedcall.Delivery {
	return func(cid uuid.UUID) []signedcall.Delivery {
		ds := make([]signedcall.Delivery, n)
		for i, u := range users(n) {
			ds[i] = pending(cid, u, base)
		}
		return ds
	}
}

func testApplyDialling(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(1))
	d := claimOne(t, s, cid, "a", base, time.Minute)

	tr := to(d, signedcall.StatusDialling, base.Add(time.Second))
	want := mustApply(t, s, d, tr)
	diffDeliveries(t, "Delivery after Apply(claimed to dialling)", want, getDelivery(t, s, d.Key()))
}

func testApplyDiallingTwice(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(1))
	d := claimOne(t, s, cid, "a", base, time.Minute)
	d = mustApply(t, s, d, to(d, signedcall.StatusDialling, base.Add(time.Second)))

	err := apply(t, s, to(d, signedcall.StatusDialling, base.Add(2*time.Second)))[0]
	wantErr(t, "Apply(dialling to dialling)", err, signedcall.ErrInvalid)
	diffDeliveries(t, "Delivery after refused Apply", d, getDelivery(t, s, d.Key()))
}

// testApplyDiallingNotRunning pauses, then stops, the campaign while a
// delivery is claimed: the move to dialling is refused with ErrNotRunning
// and changes nothing, while releasing and finishing still work.
func testApplyDiallingNotRunning(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(2))
	ds := claim(t, s, cid, "a", base, time.Minute, 2)
	running := []signedcall.CampaignState{signedcall.StateRunning}
	if err := s.TransitionCampaign(t.Context(), cid, running, signedcall.StatePaused, base); err != nil {
		t.Fatalf("TransitionCampaign(running to paused) = %v, want nil", err)
	}
	err := apply(t, s, to(ds[0], signedcall.StatusDialling, base.Add(time.Second)))[0]
	wantErr(t, "Apply(dialling) while paused", err, signedcall.ErrNotRunning)
	diffDeliveries(t, "Delivery after refused Apply while paused", ds[0], getDelivery(t, s, ds[0].Key()))

	paused := []signedcall.CampaignState{signedcall.StatePaused}
	if err := s.TransitionCampaign(t.Context(), cid, paused, signedcall.StateStopped, base); err != nil {
		t.Fatalf("TransitionCampaign(paused to stopped) = %v, want nil", err)
	}
	err = apply(t, s, to(ds[1], signedcall.StatusDialling, base.Add(time.Second)))[0]
	wantErr(t, "Apply(dialling) once stopped", err, signedcall.ErrNotRunning)
	mustApply(t, s, ds[0], to(ds[0], signedcall.StatusStopped, base.Add(2*time.Second)))
	release := to(ds[1], signedcall.StatusPending, base.Add(2*time.Second))
	release.DueAt = base.Add(time.Hour)
	mustApply(t, s, ds[1], release)
}

// testApplyFinal moves one delivery to each final status, from claimed and
// from dialling, and then checks that nothing moves it again.
func testApplyFinal(t *testing.T, s signedcall.Store) {
	type route struct {
		st   signedcall.Status
		dial bool
	}
	var routes []route
	for _, st := range signedcall.FinalStatuses {
		routes = append(routes, route{st, false}, route{st, true})
	}
	cid, _ := withDeliveries(t, s, due(len(routes)))
	claims := claim(t, s, cid, "a", base, time.Hour, len(routes))
	if len(claims) != len(routes) {
		t.Fatalf("Claim(limit %d) returned %d deliveries", len(routes), len(claims))
	}

	var want []signedcall.Delivery
	wantN := map[signedcall.Status]int{}
	for i, r := range routes {
		d := claims[i]
		from := "claimed"
		if r.dial {
			d = mustApply(t, s, d, to(d, signedcall.StatusDialling, base.Add(time.Second)))
			from = "dialling"
		}
		d = mustApply(t, s, d, to(d, r.st, base.Add(2*time.Second)))
		diffDeliveries(t, "Delivery after Apply("+from+" to "+string(r.st)+")", d, getDelivery(t, s, d.Key()))
		want = append(want, d)
		wantN[r.st]++
	}

	// Every write with the lease the holder had is refused, and no claim
	// or finish touches a final delivery.
	for i, d := range claims {
		for _, st := range []signedcall.Status{
			signedcall.StatusDialling, signedcall.StatusPending,
			signedcall.StatusAnswered, signedcall.StatusUnknown,
		} {
			tr := to(d, st, base.Add(3*time.Second))
			tr.DueAt = base
			err := apply(t, s, tr)[0]
			wantErr(t, "Apply("+string(routes[i].st)+" to "+string(st)+")", err, signedcall.ErrLeaseLost)
		}
	}
	// A final delivery holds no lease, so a write naming none must not
	// match it either.
	for _, d := range want {
		tr := to(d, signedcall.StatusAnswered, base.Add(3*time.Second))
		tr.Owner, tr.Token = "", 0
		err := apply(t, s, tr)[0]
		wantErr(t, "Apply("+string(d.Status)+" with no lease to answered)", err, signedcall.ErrLeaseLost)
	}
	if got := claim(t, s, cid, "b", base.Add(24*time.Hour), time.Minute, 100); len(got) != 0 {
		t.Errorf("Claim(a day later) returned %s, want none", userIDs(got))
	}
	n, err := s.FinishRemaining(t.Context(), cid, signedcall.StatusExpired, "cut_off", base.Add(24*time.Hour))
	if err != nil || n != 0 {
		t.Errorf("FinishRemaining(all final) = %d, %v; want 0, nil", n, err)
	}
	wantStored(t, s, "Deliveries after the refused writes", cid, want)
	wantCounts(t, s, "after the final writes", cid, wantN)
}

// testApplyRelease puts deliveries back to pending: deferral from claimed,
// retry from dialling. A released delivery is claimable again once due,
// under a new token, and its attempt count carries on.
func testApplyRelease(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(2))
	got := claim(t, s, cid, "a", base, time.Minute, 2)
	if len(got) != 2 {
		t.Fatalf("Claim(limit 2) returned %d deliveries, want 2", len(got))
	}
	retry, deferred := got[0], got[1]

	retry = mustApply(t, s, retry, to(retry, signedcall.StatusDialling, base.Add(time.Second)))
	rel := to(retry, signedcall.StatusPending, base.Add(2*time.Second))
	rel.DueAt = base.Add(10 * time.Minute)
	oldRetry := retry
	retry = mustApply(t, s, retry, rel)
	diffDeliveries(t, "Delivery after Apply(dialling to pending, due base+10m)",
		retry, getDelivery(t, s, retry.Key()))

	def := to(deferred, signedcall.StatusPending, base.Add(time.Second))
	def.DueAt = base.Add(20 * time.Minute)
	deferred = mustApply(t, s, deferred, def)
	diffDeliveries(t, "Delivery after Apply(claimed to pending, due base+20m)",
		deferred, getDelivery(t, s, deferred.Key()))

	err := apply(t, s, to(oldRetry, signedcall.StatusAnswered, base.Add(3*time.Second)))[0]
	wantErr(t, "Apply(released lease, to answered)", err, signedcall.ErrLeaseLost)

	if got := claim(t, s, cid, "b", base.Add(10*time.Minute-time.Millisecond), time.Minute, 10); len(got) != 0 {
		t.Errorf("Claim(before the new due time) returned %s, want none", userIDs(got))
	}
	now := base.Add(10 * time.Minute)
	b := claimOne(t, s, cid, "b", now, time.Minute)
	diffDeliveries(t, "Claim(at the new due time)", claimed(retry, "b", b.Lease.Token, now, time.Minute), b)
	if b.Lease.Token == oldRetry.Lease.Token {
		t.Errorf("re-claim kept token %d, want a new one", b.Lease.Token)
	}
	b = mustApply(t, s, b, to(b, signedcall.StatusDialling, now.Add(time.Second)))
	if got := getDelivery(t, s, b.Key()); got.Attempt != 2 {
		t.Errorf("second dial: Attempt = %d, want 2", got.Attempt)
	}
}

func testApplyInvalidStatus(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(1))
	d := claimOne(t, s, cid, "a", base, time.Minute)

	for _, st := range []signedcall.Status{signedcall.StatusClaimed, "", "bogus"} {
		err := apply(t, s, to(d, st, base.Add(time.Second)))[0]
		wantErr(t, "Apply(to "+string(st)+")", err, signedcall.ErrInvalid)
	}
	diffDeliveries(t, "Delivery after refused Apply", d, getDelivery(t, s, d.Key()))
}

func testApplyNotFound(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(1))
	d := claimOne(t, s, cid, "a", base, time.Minute)

	tests := []struct {
		name string
		key  signedcall.Key
	}{
		{"unknown user", key(cid, "nobody")},
		{"unknown campaign", key(uuid.New(), d.UserID)},
	}
	for _, tt := range tests {
		tr := to(d, signedcall.StatusAnswered, base.Add(time.Second))
		tr.Key = tt.key
		err := apply(t, s, tr)[0]
		wantErr(t, "Apply("+tt.name+")", err, signedcall.ErrNotFound)
	}
	diffDeliveries(t, "Delivery after refused Apply", d, getDelivery(t, s, d.Key()))
}

func testApplyWrongLease(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return append(due(2)(cid), final(cid, "u0003", signedcall.StatusControl))
	})
	d := claimOne(t, s, cid, "a", base, time.Minute)
	want := index(ds)
	want[d.UserID] = d
	never, control := ds[1], ds[2]

	tests := []struct {
		name string
		tr   signedcall.Transition
	}{
		{"wrong owner", func() signedcall.Transition {
			tr := to(d, signedcall.StatusAnswered, base)
			tr.Owner = "b"
			return tr
		}()},
		{"wrong token", func() signedcall.Transition {
			tr := to(d, signedcall.StatusAnswered, base)
			tr.Token++
			return tr
		}()},
		{"pending, never claimed", to(never, signedcall.StatusDialling, base)},
		{"pending, never claimed, to answered", to(never, signedcall.StatusAnswered, base)},
		{"control from the start", to(control, signedcall.StatusAnswered, base)},
	}
	for _, tt := range tests {
		err := apply(t, s, tt.tr)[0]
		wantErr(t, "Apply("+tt.name+")", err, signedcall.ErrLeaseLost)
	}
	wantStored(t, s, "Deliveries after refused writes", cid, values(want))
}

// testApplyBatch sends one Apply with transitions that succeed and fail:
// each is checked on its own, in order.
func testApplyBatch(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, due(4))
	got := claim(t, s, cid, "a", base, time.Minute, 4)
	if len(got) != 4 {
		t.Fatalf("Claim(limit 4) returned %d deliveries, want 4", len(got))
	}
	held := index(got)
	at := base.Add(time.Second)

	stale := to(held["u0002"], signedcall.StatusAnswered, at)
	stale.Token++
	unknown := to(held["u0001"], signedcall.StatusAnswered, at)
	unknown.Key.UserID = "nobody"
	rel := to(held["u0003"], signedcall.StatusPending, at)
	rel.DueAt = base.Add(time.Hour)

	ts := []signedcall.Transition{
		to(held["u0001"], signedcall.StatusDialling, at),
		to(held["u0001"], signedcall.StatusAnswered, at),
		stale,
		unknown,
		to(held["u0003"], signedcall.StatusClaimed, at),
		rel,
		to(held["u0001"], signedcall.StatusBusy, at),
		to(held["u0004"], signedcall.StatusMissed, at),
	}
	wantErrs := []error{
		nil, nil, signedcall.ErrLeaseLost, signedcall.ErrNotFound,
		signedcall.ErrInvalid, nil, signedcall.ErrLeaseLost, nil,
	}
	errs := apply(t, s, ts...)
	for i, err := range errs {
		what := fmt.Sprintf("Apply batch item %d (%s to %q)", i, ts[i].Key.UserID, ts[i].To)
		wantErr(t, what, err, wantErrs[i])
	}

	want := maps.Clone(held)
	want["u0001"] = applied(applied(held["u0001"], ts[0]), ts[1])
	want["u0003"] = applied(held["u0003"], rel)
	want["u0004"] = applied(held["u0004"], ts[7])
	wantStored(t, s, "Deliveries after the batch", cid, values(want))
}

func testApplyEmpty(t *testing.T, s signedcall.Store) {
	errs, err := s.Apply(t.Context(), nil)
	if err != nil || len(errs) != 0 {
		t.Errorf("Apply(no transitions) = %v, %v; want no errors", errs, err)
	}
}
