package storetest

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var finishTests = []test{
	{"Rules", testFinishRules},
	{"InvalidStatus", testFinishInvalidStatus},
	{"NotFound", testFinishNotFound},
}

// testFinishRules finishes a campaign holding one delivery of every kind:
// pending due and not yet due, claimed and dialling with expired and with
// held leases (one expiring exactly at the finish instant), final by Apply
// and final from the start.
func testFinishRules(t *testing.T, s signedcall.Store) {
	at := base.Add(time.Hour)
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{
			pending(cid, "c1", base),
			pending(cid, "d1", base.Add(1*time.Second)),
			pending(cid, "c2", base.Add(2*time.Second)),
			pending(cid, "d2", base.Add(3*time.Second)),
			pending(cid, "f1", base.Add(4*time.Second)),
			pending(cid, "p1", base.Add(5*time.Second)),
			pending(cid, "p2", base.Add(5*time.Hour)),
			final(cid, "k1", signedcall.StatusControl),
		}
	})
	want := index(ds)

	// Claim c1, d1, c2, d2 and f1 one by one, each with its own lease.
	now := base.Add(4 * time.Second)
	leases := []struct {
		user    string
		expires time.Time
		dial    bool
	}{
		{"c1", at, false},
		{"d1", base.Add(30 * time.Minute), true},
		{"c2", at.Add(time.Second), false},
		{"d2", at.Add(time.Minute), true},
		{"f1", at.Add(time.Hour), true},
	}
	for _, l := range leases {
		d := claimOne(t, s, cid, "a", now, l.expires.Sub(now))
		if d.UserID != l.user {
			t.Fatalf("Claim(now %s) returned %s, want %s", stamp(now), d.UserID, l.user)
		}
		if l.dial {
			d = mustApply(t, s, d, to(d, signedcall.StatusDialling, now))
		}
		want[d.UserID] = d
	}
	want["f1"] = mustApply(t, s, want["f1"], to(want["f1"], signedcall.StatusAnswered, now))

	n, err := s.FinishRemaining(t.Context(), cid, signedcall.StatusStopped, "campaign_stopped", at)
	if err != nil || n != 4 {
		t.Fatalf("FinishRemaining(stopped, at base+1h) = %d, %v; want 4 (p1, p2, c1, d1), nil", n, err)
	}
	finished := func(d signedcall.Delivery, st signedcall.Status, at time.Time) signedcall.Delivery {
		d.Status, d.Reason = st, "campaign_stopped"
		d.Lease = signedcall.Lease{}
		d.UpdatedAt, d.FinishedAt = at, at
		return d
	}
	for _, u := range []string{"p1", "p2", "c1"} {
		want[u] = finished(want[u], signedcall.StatusStopped, at)
	}
	want["d1"] = finished(want["d1"], signedcall.StatusUnknown, at)
	wantStored(t, s, "Deliveries after FinishRemaining", cid, values(want))

	// A held lease is still the holder's to write.
	want["c2"] = mustApply(t, s, want["c2"], to(want["c2"], signedcall.StatusAnswered, at.Add(time.Millisecond)))

	later := at.Add(time.Minute)
	n, err = s.FinishRemaining(t.Context(), cid, signedcall.StatusStopped, "campaign_stopped", later)
	if err != nil || n != 1 {
		t.Fatalf("FinishRemaining(stopped, at base+1h1m) = %d, %v; want 1 (d2), nil", n, err)
	}
	want["d2"] = finished(want["d2"], signedcall.StatusUnknown, later)
	wantStored(t, s, "Deliveries after the second FinishRemaining", cid, values(want))
	wantCounts(t, s, "after FinishRemaining", cid, map[signedcall.Status]int{
		signedcall.StatusStopped:  3,
		signedcall.StatusUnknown:  2,
		signedcall.StatusAnswered: 2,
		signedcall.StatusControl:  1,
	})
}

func testFinishInvalidStatus(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, mixed)
	notFinal := []signedcall.Status{
		signedcall.StatusPending, signedcall.StatusClaimed, signedcall.StatusDialling, "", "bogus",
	}
	for _, st := range notFinal {
		n, err := s.FinishRemaining(t.Context(), cid, st, "reason", base)
		wantErr(t, "FinishRemaining(status "+string(st)+")", err, signedcall.ErrInvalid)
		if n != 0 {
			t.Errorf("FinishRemaining(status %q) = %d, want 0", st, n)
		}
	}
	wantStored(t, s, "Deliveries after refused FinishRemaining", cid, byUser(ds))
}

func testFinishNotFound(t *testing.T, s signedcall.Store) {
	_, err := s.FinishRemaining(t.Context(), uuid.New(), signedcall.StatusStopped, "reason", base)
	wantErr(t, "FinishRemaining(unknown campaign)", err, signedcall.ErrNotFound)
}
