package memstore_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
	"github.com/signedcall/signedcall/store/storetest"
)

var base = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) signedcall.Store { return memstore.New() })
}

func newDraft(t testing.TB) *signedcall.Campaign {
	t.Helper()
	mock := clock.NewMock()
	mock.Set(base)
	c, err := signedcall.NewCampaign("memstore").
		WithClock(mock).
		Audience(signedcall.Flag(signedcall.HasPhone)).
		TimeZone("UTC").
		Start(base.Add(time.Hour)).
		CutOff(base.Add(10*time.Hour)).
		DNDHours("21:00", "09:00").
		CallContext("test").
		Build()
	if err != nil {
		t.Fatalf("build campaign: %v", err)
	}
	return c
}

func created(t testing.TB, s *memstore.Store) *signedcall.Campaign {
	t.Helper()
	c := newDraft(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatalf("CreateCampaign = %v, want nil", err)
	}
	return c
}

// withDue stores a campaign with n pending deliveries due at base.
func withDue(t testing.TB, s *memstore.Store, n int) uuid.UUID {
	t.Helper()
	c := created(t, s)
	ds := make([]signedcall.Delivery, n)
	for i := range ds {
		ds[i] = signedcall.Delivery{
			CampaignID: c.ID, UserID: fmt.Sprintf("u%07d", i),
			Phone: "+447700900123", TimeZone: "UTC", ZoneSource: signedcall.ZoneFromCampaign,
			Status: signedcall.StatusPending, DueAt: base,
		}
	}
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatalf("Materialize(%d) = %v, want nil", n, err)
	}
	// Calls may only start in a running campaign.
	ack := signedcall.Acknowledgement{By: "ops@example.com", At: base, Statement: signedcall.DefaultStatement}
	if err := s.PublishCampaign(t.Context(), c, ack); err != nil {
		t.Fatalf("PublishCampaign = %v", err)
	}
	from := []signedcall.CampaignState{signedcall.StateScheduled}
	if err := s.TransitionCampaign(t.Context(), c.ID, from, signedcall.StateRunning, base); err != nil {
		t.Fatalf("TransitionCampaign(running) = %v", err)
	}
	return c.ID
}

// TestTokensIncrease pins memstore's token scheme: one counter for the
// whole store, strictly increasing in claim order.
func TestTokensIncrease(t *testing.T) {
	s := memstore.New()
	c1, c2 := withDue(t, s, 5), withDue(t, s, 5)
	var last int64
	for i, cid := range []uuid.UUID{c1, c2, c1, c2} {
		req := signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Minute, Limit: 3}
		ds, err := s.Claim(t.Context(), req)
		if err != nil {
			t.Fatalf("claim %d: %v", i, err)
		}
		for _, d := range ds {
			if d.Lease.Token <= last {
				t.Errorf("claim %d: %s got token %d after %d, want a larger one", i, d.UserID, d.Lease.Token, last)
			}
			last = d.Lease.Token
		}
	}
}

func TestMaterializeInvalid(t *testing.T) {
	tests := []struct {
		name   string
		change func(d *signedcall.Delivery)
	}{
		{"empty user ID", func(d *signedcall.Delivery) { d.UserID = "" }},
		{"status claimed", func(d *signedcall.Delivery) { d.Status = signedcall.StatusClaimed }},
		{"status dialling", func(d *signedcall.Delivery) { d.Status = signedcall.StatusDialling }},
		{"empty status", func(d *signedcall.Delivery) { d.Status = "" }},
		{"unknown status", func(d *signedcall.Delivery) { d.Status = "bogus" }},
		{"a lease", func(d *signedcall.Delivery) { d.Lease = signedcall.Lease{Owner: "a", Token: 1, Expires: base} }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := memstore.New()
			c := created(t, s)
			ds := []signedcall.Delivery{
				{CampaignID: c.ID, UserID: "u1", Status: signedcall.StatusPending, DueAt: base},
				{CampaignID: c.ID, UserID: "u2", Status: signedcall.StatusPending, DueAt: base},
			}
			tt.change(&ds[1])
			err := s.Materialize(t.Context(), c.ID, ds)
			if !errors.Is(err, signedcall.ErrInvalid) {
				t.Errorf("Materialize(%s) = %v, want ErrInvalid", tt.name, err)
			}
			n, err := s.Counts(t.Context(), c.ID)
			if err != nil || len(n) != 0 {
				t.Errorf("Counts after Materialize(%s) = %v, %v; want empty", tt.name, n, err)
			}
		})
	}
}

func TestCampaignRules(t *testing.T) {
	s := memstore.New()
	c := created(t, s)
	ctx := t.Context()
	type state = signedcall.CampaignState

	err := s.TransitionCampaign(ctx, c.ID, []state{signedcall.StateDraft}, signedcall.StateScheduled, base)
	if !errors.Is(err, signedcall.ErrStateConflict) {
		t.Errorf("TransitionCampaign(draft to scheduled) = %v, want ErrStateConflict", err)
	}

	incomplete := signedcall.Acknowledgement{By: "ops@example.com", At: base}
	err = s.PublishCampaign(ctx, c, incomplete)
	if !errors.Is(err, signedcall.ErrNotAcknowledged) || !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("PublishCampaign(no statement) = %v, want ErrNotAcknowledged and ErrInvalid", err)
	}

	up := *c
	up.State = signedcall.StateScheduled
	err = s.UpdateCampaign(ctx, &up)
	if !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("UpdateCampaign(state scheduled) = %v, want ErrInvalid", err)
	}
	if got, err := s.Campaign(ctx, c.ID); err != nil || got.State != signedcall.StateDraft {
		t.Fatalf("Campaign after refused changes = %v, %v; want a draft", got, err)
	}

	ack := signedcall.Acknowledgement{
		By: "ops@example.com", At: base.Add(time.Minute), Statement: signedcall.DefaultStatement,
	}
	if err := s.PublishCampaign(ctx, c, ack); err != nil {
		t.Fatalf("PublishCampaign = %v, want nil", err)
	}
	if got, _ := s.Campaign(ctx, c.ID); !got.UpdatedAt.Equal(ack.At) {
		t.Errorf("UpdatedAt after PublishCampaign = %s, want the acknowledgement time %s", got.UpdatedAt, ack.At)
	}
	for _, to := range []state{signedcall.StateDraft, "bogus"} {
		err := s.TransitionCampaign(ctx, c.ID, []state{signedcall.StateScheduled}, to, base)
		if !errors.Is(err, signedcall.ErrInvalid) {
			t.Errorf("TransitionCampaign(scheduled to %q) = %v, want ErrInvalid", to, err)
		}
	}

	if err := s.CreateCampaign(ctx, nil); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("CreateCampaign(nil) = %v, want ErrInvalid", err)
	}
	if err := s.UpdateCampaign(ctx, nil); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("UpdateCampaign(nil) = %v, want ErrInvalid", err)
	}
}

// TestDeliveriesReentrant checks that fn may call the Store, including
// writes, across more deliveries than one locked chunk.
func TestDeliveriesReentrant(t *testing.T) {
	s := memstore.New()
	cid := withDue(t, s, 600)
	req := signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: 600}
	claimed, err := s.Claim(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	byUser := map[string]signedcall.Delivery{}
	for _, d := range claimed {
		byUser[d.UserID] = d
	}

	n := 0
	err = s.Deliveries(t.Context(), cid, func(d signedcall.Delivery) error {
		n++
		h := byUser[d.UserID]
		errs, err := s.Apply(t.Context(), []signedcall.Transition{{
			Key: d.Key(), Owner: h.Lease.Owner, Token: h.Lease.Token,
			To: signedcall.StatusAnswered, At: base.Add(time.Minute),
		}})
		if err != nil {
			return err
		}
		return errs[0]
	})
	if err != nil || n != 600 {
		t.Fatalf("Deliveries(fn applies) = %v after %d calls, want nil after 600", err, n)
	}
	counts, _ := s.Counts(t.Context(), cid)
	if counts[signedcall.StatusAnswered] != 600 {
		t.Errorf("Counts = %v, want 600 answered", counts)
	}
}

// BenchmarkMaterialize writes the deliveries of a million-user campaign.
func BenchmarkMaterialize(b *testing.B) {
	const n = 1_000_000
	s := memstore.New()
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		c := created(b, s)
		ds := make([]signedcall.Delivery, n)
		for i := range ds {
			ds[i] = signedcall.Delivery{
				CampaignID: c.ID, UserID: fmt.Sprintf("u%07d", i),
				Phone: "+447700900123", TimeZone: "UTC", ZoneSource: signedcall.ZoneFromCampaign,
				Status: signedcall.StatusPending, DueAt: base,
			}
		}
		b.StartTimer()
		if err := s.Materialize(b.Context(), c.ID, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*n)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkClaimApply measures one dispatcher round: claim 100 deliveries
// of a large campaign, then apply dialling and a final status to each.
func BenchmarkClaimApply(b *testing.B) {
	for _, size := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("deliveries=%d", size), func(b *testing.B) {
			const batch = 100
			s := memstore.New()
			cid := withDue(b, s, size)
			left := size
			ts := make([]signedcall.Transition, 0, 2*batch)
			req := signedcall.ClaimRequest{
				CampaignID: cid, Owner: "bench", Now: base, Lease: time.Minute, Limit: batch,
			}
			ctx := b.Context()

			b.ReportAllocs()
			for b.Loop() {
				if left < batch {
					b.StopTimer()
					cid, left = withDue(b, s, size), size
					req.CampaignID = cid
					b.StartTimer()
				}
				ds, err := s.Claim(ctx, req)
				if err != nil || len(ds) != batch {
					b.Fatalf("Claim = %d deliveries, %v; want %d", len(ds), err, batch)
				}
				left -= batch
				ts = ts[:0]
				for _, d := range ds {
					tr := signedcall.Transition{
						Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token,
						To: signedcall.StatusDialling, At: base,
					}
					ts = append(ts, tr)
					tr.To = signedcall.StatusAnswered
					ts = append(ts, tr)
				}
				errs, err := s.Apply(ctx, ts)
				if err != nil {
					b.Fatal(err)
				}
				for _, e := range errs {
					if e != nil {
						b.Fatal(e)
					}
				}
			}
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
