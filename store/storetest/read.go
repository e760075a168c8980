package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var readTests = []test{
	{"Counts", testCounts},
	{"CountsNotFound", testCountsNotFound},
	{"NextDue", testNextDue},
	{"NextDueNotFound", testNextDueNotFound},
	{"DeliveryNotFound", testDeliveryNotFound},
	{"DeliveriesOrder", testDeliveriesOrder},
	{"DeliveriesStop", testDeliveriesStop},
	{"DeliveriesNotFound", testDeliveriesNotFound},
	{"CanceledContext", testCanceledContext},
}

func testCounts(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	wantCounts(t, s, "campaign not materialized", c.ID, nil)

	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return append(due(3)(cid),
			final(cid, "u0004", signedcall.StatusControl),
			final(cid, "u0005", signedcall.StatusControl),
			final(cid, "u0006", signedcall.StatusCapped),
		)
	})
	type counts = map[signedcall.Status]int
	wantCounts(t, s, "after Materialize", cid, counts{
		signedcall.StatusPending: 3, signedcall.StatusControl: 2, signedcall.StatusCapped: 1,
	})

	got := claim(t, s, cid, "a", base, time.Minute, 2)
	wantCounts(t, s, "after claiming 2", cid, counts{
		signedcall.StatusPending: 1, signedcall.StatusClaimed: 2,
		signedcall.StatusControl: 2, signedcall.StatusCapped: 1,
	})

	d := mustApply(t, s, got[0], to(got[0], signedcall.StatusDialling, base))
	wantCounts(t, s, "after dialling 1", cid, counts{
		signedcall.StatusPending: 1, signedcall.StatusClaimed: 1, signedcall.StatusDialling: 1,
		signedcall.StatusControl: 2, signedcall.StatusCapped: 1,
	})

	mustApply(t, s, d, to(d, signedcall.StatusBusy, base))
	mustApply(t, s, got[1], to(got[1], signedcall.StatusDiscardedDND, base))
	wantCounts(t, s, "after finishing 2", cid, counts{
		signedcall.StatusPending: 1, signedcall.StatusBusy: 1, signedcall.StatusDiscardedDND: 1,
		signedcall.StatusControl: 2, signedcall.StatusCapped: 1,
	})
}

func testCountsNotFound(t *testing.T, s signedcall.Store) {
	_, err := s.Counts(t.Context(), uuid.New())
	wantErr(t, "Counts(unknown campaign)", err, signedcall.ErrNotFound)
}

// testNextDue follows one campaign from pending to final; at each step
// NextDue is the earliest pending due time or lease expiry.
func testNextDue(t *testing.T, s signedcall.Store) {
	check := func(what string, cid uuid.UUID, want time.Time, wantOK bool) {
		t.Helper()
		got, ok, err := s.NextDue(t.Context(), cid)
		switch {
		case err != nil:
			t.Errorf("NextDue(%s) = %v, want nil error", what, err)
		case ok != wantOK || (ok && !got.Equal(want)):
			t.Errorf("NextDue(%s) = %s, %t; want %s, %t", what, stamp(got), ok, stamp(want), wantOK)
		}
	}

	c := created(t, s)
	check("not materialized", c.ID, time.Time{}, false)
	finals, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{final(cid, "u0001", signedcall.StatusControl)}
	})
	check("only final deliveries", finals, time.Time{}, false)

	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{
			pending(cid, "u0002", base.Add(20*time.Minute)),
			pending(cid, "u0001", base.Add(10*time.Minute)),
			final(cid, "u0003", signedcall.StatusCapped),
		}
	})
	check("two pending", cid, base.Add(10*time.Minute), true)

	first := claimOne(t, s, cid, "a", base.Add(10*time.Minute), time.Hour)
	check("pending base+20m, lease to base+1h10m", cid, base.Add(20*time.Minute), true)

	second := claimOne(t, s, cid, "a", base.Add(20*time.Minute), 5*time.Minute)
	check("leases to base+1h10m and base+25m", cid, base.Add(25*time.Minute), true)

	mustApply(t, s, second, to(second, signedcall.StatusAnswered, base.Add(21*time.Minute)))
	check("lease to base+1h10m", cid, base.Add(70*time.Minute), true)

	rel := to(first, signedcall.StatusPending, base.Add(22*time.Minute))
	rel.DueAt = base.Add(2 * time.Hour)
	first = mustApply(t, s, first, rel)
	check("released to base+2h", cid, base.Add(2*time.Hour), true)

	first = claimOne(t, s, cid, "a", base.Add(2*time.Hour), time.Minute)
	mustApply(t, s, first, to(first, signedcall.StatusMissed, base.Add(2*time.Hour)))
	check("all final", cid, time.Time{}, false)
}

func testNextDueNotFound(t *testing.T, s signedcall.Store) {
	_, _, err := s.NextDue(t.Context(), uuid.New())
	wantErr(t, "NextDue(unknown campaign)", err, signedcall.ErrNotFound)
}

func testDeliveryNotFound(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, mixed)
	tests := []struct {
		name string
		key  signedcall.Key
	}{
		{"unknown user", key(cid, "nobody")},
		{"unknown campaign", key(uuid.New(), "u0001")},
	}
	for _, tt := range tests {
		_, err := s.Delivery(t.Context(), tt.key)
		wantErr(t, "Delivery("+tt.name+")", err, signedcall.ErrNotFound)
	}
}

func testDeliveriesOrder(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	wantStored(t, s, "Deliveries(not materialized)", c.ID, nil)

	// 600 users in reverse order, so any order but the user order shows.
	ids := users(600)
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		ds := make([]signedcall.Delivery, len(ids))
		for i := range ids {
			ds[i] = pending(cid, ids[len(ids)-1-i], base.Add(time.Duration(i)*time.Second))
		}
		return ds
	})
	wantStored(t, s, "Deliveries(600 users materialized in reverse)", cid, byUser(ds))
}

func testDeliveriesStop(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, mixed)
	stop := errors.New("stop here")
	var seen []string
	err := s.Deliveries(t.Context(), cid, func(d signedcall.Delivery) error {
		seen = append(seen, d.UserID)
		if len(seen) == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Errorf("Deliveries(fn fails on the 3rd) = %v, want %v", err, stop)
	}
	if got, want := "["+strings.Join(seen, " ")+"]", "[u0001 u0002 u0003]"; got != want {
		t.Errorf("Deliveries(fn fails on the 3rd) visited %s, want %s", got, want)
	}
}

func testDeliveriesNotFound(t *testing.T, s signedcall.Store) {
	err := s.Deliveries(t.Context(), uuid.New(), func(signedcall.Delivery) error { return nil })
	wantErr(t, "Deliveries(unknown campaign)", err, signedcall.ErrNotFound)
}

// testCanceledContext calls every method with a canceled context: each
// returns the context's error and changes nothing.
func testCanceledContext(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, due(2))
	fresh := draft(t)
	unmaterialized := created(t, s)
	held := claimOne(t, s, cid, "a", base, time.Hour)
	want := index(ds)
	want[held.UserID] = held
	ctx := canceled()

	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"CreateCampaign", func(ctx context.Context) error { return s.CreateCampaign(ctx, fresh) }},
		{"Campaign", func(ctx context.Context) error { _, err := s.Campaign(ctx, cid); return err }},
		{"UpdateCampaign", func(ctx context.Context) error {
			c := copyCampaign(t, unmaterialized)
			c.Name = "renamed"
			return s.UpdateCampaign(ctx, c)
		}},
		{"PublishCampaign", func(ctx context.Context) error {
			return s.PublishCampaign(ctx, unmaterialized, ack(base))
		}},
		{"TransitionCampaign", func(ctx context.Context) error {
			from := []signedcall.CampaignState{signedcall.StateDraft}
			return s.TransitionCampaign(ctx, unmaterialized.ID, from, signedcall.StateStopped, base)
		}},
		{"Materialize", func(ctx context.Context) error { return s.Materialize(ctx, unmaterialized.ID, nil) }},
		{"Claim", func(ctx context.Context) error {
			req := signedcall.ClaimRequest{CampaignID: cid, Owner: "b", Now: base, Lease: time.Minute, Limit: 10}
			_, err := s.Claim(ctx, req)
			return err
		}},
		{"Apply", func(ctx context.Context) error {
			_, err := s.Apply(ctx, []signedcall.Transition{to(held, signedcall.StatusAnswered, base)})
			return err
		}},
		{"FinishRemaining", func(ctx context.Context) error {
			_, err := s.FinishRemaining(ctx, cid, signedcall.StatusStopped, "stop", base.Add(2*time.Hour))
			return err
		}},
		{"Counts", func(ctx context.Context) error { _, err := s.Counts(ctx, cid); return err }},
		{"NextDue", func(ctx context.Context) error { _, _, err := s.NextDue(ctx, cid); return err }},
		{"Delivery", func(ctx context.Context) error { _, err := s.Delivery(ctx, held.Key()); return err }},
		{"Deliveries", func(ctx context.Context) error {
			return s.Deliveries(ctx, cid, func(signedcall.Delivery) error { return nil })
		}},
	}
	for _, c := range calls {
		wantErr(t, c.name+"(canceled context)", c.call(ctx), context.Canceled)
	}

	_, err := s.Campaign(t.Context(), fresh.ID)
	wantErr(t, "Campaign(created with a canceled context)", err, signedcall.ErrNotFound)
	diffCampaign(t, "Campaign after canceled update, publish and transition",
		unmaterialized, getCampaign(t, s, unmaterialized.ID))
	wantStored(t, s, "Deliveries after canceled calls", cid, values(want))
	wantStored(t, s, "Deliveries of the campaign materialized with a canceled context", unmaterialized.ID, nil)
	if err := s.Materialize(t.Context(), unmaterialized.ID, nil); err != nil {
		t.Errorf("Materialize after a canceled one = %v, want nil", err)
	}
}
