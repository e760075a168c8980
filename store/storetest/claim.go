package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var claimTests = []test{
	{"OrderLimitDue", testClaimOrderLimitDue},
	{"InvalidRequest", testClaimInvalid},
	{"NotFound", testClaimNotFound},
	{"TokensUnique", testClaimTokensUnique},
	{"RescueClaimed", testRescueClaimed},
	{"RescueDialling", testRescueDialling},
	{"RescueInDueOrder", testRescueInDueOrder},
	{"UsesRequestNow", testClaimUsesRequestNow},
	{"Concurrent", testClaimConcurrent},
}

func userIDs(ds []signedcall.Delivery) string {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.UserID
	}
	return "[" + strings.Join(ids, " ") + "]"
}

// checkClaim checks that got is exactly the deliveries of want (by user,
// in that order) as claimed by owner at now for lease, and records them in
// stored.
func checkClaim(t *testing.T, what string, stored map[string]signedcall.Delivery,
	got []signedcall.Delivery, wantUsers []string, owner string, now time.Time, lease time.Duration) {
	t.Helper()
	if g, w := userIDs(got), "["+strings.Join(wantUsers, " ")+"]"; g != w {
		t.Fatalf("%s returned users %s, want %s", what, g, w)
	}
	for i, d := range got {
		want := claimed(stored[wantUsers[i]], owner, d.Lease.Token, now, lease)
		diffDeliveries(t, what+" "+d.UserID, want, d)
		stored[d.UserID] = want
	}
}

func index(ds []signedcall.Delivery) map[string]signedcall.Delivery {
	m := make(map[string]signedcall.Delivery, len(ds))
	for _, d := range ds {
		m[d.UserID] = d
	}
	return m
}

func values(m map[string]signedcall.Delivery) []signedcall.Delivery {
	out := make([]signedcall.Delivery, 0, len(m))
	for _, d := range m {
		out = append(out, d)
	}
	return byUser(out)
}

// testClaimOrderLimitDue claims in steps from deliveries with ties on due
// time, one due exactly at the claim instant, one due a second later and
// one final delivery that is never claimed.
func testClaimOrderLimitDue(t *testing.T, s signedcall.Store) {
	now := base.Add(time.Hour)
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{
			pending(cid, "u0005", now.Add(-10*time.Minute)),
			pending(cid, "u0003", now.Add(-10*time.Minute)),
			pending(cid, "u0001", now),
			pending(cid, "u0002", now.Add(-30*time.Minute)),
			pending(cid, "u0004", now.Add(time.Second)),
			final(cid, "u0006", signedcall.StatusControl),
		}
	})
	stored := index(ds)

	const lease = 2 * time.Hour
	steps := []struct {
		now   time.Time
		limit int
		want  []string
	}{
		{now, 3, []string{"u0002", "u0003", "u0005"}},
		{now, 3, []string{"u0001"}},
		{now, 3, nil},
		{now.Add(time.Second), 1, []string{"u0004"}},
		{now.Add(time.Hour), 10, nil},
	}
	for i, st := range steps {
		owner := fmt.Sprintf("owner-%d", i)
		got := claim(t, s, cid, owner, st.now, lease, st.limit)
		what := fmt.Sprintf("step %d: Claim(now %s, limit %d)", i, stamp(st.now), st.limit)
		checkClaim(t, what, stored, got, st.want, owner, st.now, lease)
	}
	wantStored(t, s, "Deliveries after the claims", cid, values(stored))
}

func testClaimInvalid(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, mixed)
	valid := signedcall.ClaimRequest{
		CampaignID: cid, Owner: "owner", Now: base.Add(3 * time.Hour), Lease: time.Minute, Limit: 10,
	}

	tests := []struct {
		name   string
		change func(r *signedcall.ClaimRequest)
	}{
		{"limit 0", func(r *signedcall.ClaimRequest) { r.Limit = 0 }},
		{"limit -1", func(r *signedcall.ClaimRequest) { r.Limit = -1 }},
		{"lease 0", func(r *signedcall.ClaimRequest) { r.Lease = 0 }},
		{"lease -1s", func(r *signedcall.ClaimRequest) { r.Lease = -time.Second }},
		{"empty owner", func(r *signedcall.ClaimRequest) { r.Owner = "" }},
	}
	for _, tt := range tests {
		req := valid
		tt.change(&req)
		got, err := s.Claim(t.Context(), req)
		wantErr(t, "Claim("+tt.name+")", err, signedcall.ErrInvalid)
		if len(got) != 0 {
			t.Errorf("Claim(%s) returned %d deliveries, want none", tt.name, len(got))
		}
	}
	wantStored(t, s, "Deliveries after refused claims", cid, byUser(ds))
}

func testClaimNotFound(t *testing.T, s signedcall.Store) {
	req := signedcall.ClaimRequest{CampaignID: uuid.New(), Owner: "owner", Now: base, Lease: time.Minute, Limit: 10}
	_, err := s.Claim(t.Context(), req)
	wantErr(t, "Claim(unknown campaign)", err, signedcall.ErrNotFound)

	c := created(t, s)
	if got := claim(t, s, c.ID, "owner", base, time.Minute, 10); len(got) != 0 {
		t.Errorf("Claim(campaign not materialized) returned %s, want none", userIDs(got))
	}
}

// testClaimTokensUnique claims and re-claims in two campaigns and checks
// that no two claims share a token, whatever the owner.
func testClaimTokensUnique(t *testing.T, s signedcall.Store) {
	c1, _ := withDeliveries(t, s, due(3))
	c2, _ := withDeliveries(t, s, due(3))

	var got []signedcall.Delivery
	for _, now := range []time.Time{base, base.Add(time.Minute)} {
		for _, cid := range []uuid.UUID{c1, c2} {
			got = append(got, claim(t, s, cid, "owner", now, time.Minute, 2)...)
			got = append(got, claim(t, s, cid, "owner", now, time.Minute, 2)...)
		}
	}
	if len(got) != 12 {
		t.Fatalf("claims returned %d deliveries, want 12 (3 in each of 2 campaigns, twice)", len(got))
	}
	seen := map[int64]signedcall.Key{}
	for _, d := range got {
		if k, dup := seen[d.Lease.Token]; dup {
			t.Errorf("token %d given to both %s/%s and %s/%s",
				d.Lease.Token, k.CampaignID, k.UserID, d.CampaignID, d.UserID)
		}
		seen[d.Lease.Token] = d.Key()
	}
}

// testRescueClaimed lets a claimed delivery's lease run out: it comes
// back as claimed under the new owner and token, and the old holder, even
// under the same owner name, can no longer write.
func testRescueClaimed(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{pending(cid, "u0001", base)}
	})
	const lease = time.Minute
	a := claimOne(t, s, cid, "a", base, lease)

	if got := claim(t, s, cid, "b", base.Add(lease-time.Millisecond), lease, 10); len(got) != 0 {
		t.Errorf("Claim(1ms before the lease expires) returned %s, want none", userIDs(got))
	}

	b := claimOne(t, s, cid, "b", base.Add(lease), lease)
	diffDeliveries(t, "Claim(at the lease expiry)", claimed(ds[0], "b", b.Lease.Token, base.Add(lease), lease), b)
	if b.Lease.Token == a.Lease.Token {
		t.Errorf("rescue kept token %d, want a new one", a.Lease.Token)
	}

	stale := []signedcall.Status{signedcall.StatusDialling, signedcall.StatusAnswered, signedcall.StatusPending}
	for _, st := range stale {
		err := apply(t, s, to(a, st, base.Add(lease+time.Second)))[0]
		wantErr(t, "Apply(stale holder a, to "+string(st)+")", err, signedcall.ErrLeaseLost)
	}
	diffDeliveries(t, "Delivery after the stale holder's writes", b, getDelivery(t, s, b.Key()))

	// The same owner name with a new claim gets a new token; its old
	// token stays dead.
	a2 := claimOne(t, s, cid, "a", base.Add(2*lease), lease)
	err := apply(t, s, to(a, signedcall.StatusDialling, base.Add(2*lease)))[0]
	wantErr(t, "Apply(owner a, token of its first claim)", err, signedcall.ErrLeaseLost)
	mustApply(t, s, a2, to(a2, signedcall.StatusDialling, base.Add(2*lease)))
}

// testRescueDialling lets a dialling delivery's lease run out: it comes
// back still dialling, with its attempt count, for the new holder to
// decide.
func testRescueDialling(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{pending(cid, "u0001", base)}
	})
	const lease = time.Minute
	a := claimOne(t, s, cid, "a", base, lease)
	a = mustApply(t, s, a, to(a, signedcall.StatusDialling, base.Add(time.Second)))

	b := claimOne(t, s, cid, "b", base.Add(lease), lease)
	diffDeliveries(t, "Claim(dialling, lease expired)", claimed(a, "b", b.Lease.Token, base.Add(lease), lease), b)
	if b.Status != signedcall.StatusDialling || b.Attempt != 1 {
		t.Errorf("rescued delivery is %s attempt %d, want dialling attempt 1", b.Status, b.Attempt)
	}

	err := apply(t, s, to(a, signedcall.StatusAnswered, base.Add(lease+time.Second)))[0]
	wantErr(t, "Apply(stale holder a, to answered)", err, signedcall.ErrLeaseLost)
	diffDeliveries(t, "Delivery after the stale holder's write", b, getDelivery(t, s, b.Key()))

	b = mustApply(t, s, b, to(b, signedcall.StatusUnknown, base.Add(lease+2*time.Second)))
	diffDeliveries(t, "Delivery after the new holder's write", b, getDelivery(t, s, b.Key()))
}

// testRescueInDueOrder mixes pending deliveries with expired claimed and
// dialling ones: a claim takes them all in due order, and the limit
// applies across both.
func testRescueInDueOrder(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{
			pending(cid, "u0001", base),
			pending(cid, "u0002", base.Add(time.Minute)),
			pending(cid, "u0003", base.Add(2*time.Minute)),
			pending(cid, "u0004", base.Add(3*time.Minute)),
		}
	})
	stored := index(ds)
	const lease = time.Minute
	now := base.Add(2 * time.Minute)
	got := claim(t, s, cid, "a", now, lease, 3)
	checkClaim(t, "Claim(a)", stored, got, []string{"u0001", "u0002", "u0003"}, "a", now, lease)

	// u0001 goes back to pending, u0002 stays claimed and u0003 dials;
	// both leases then run out.
	rel := to(stored["u0001"], signedcall.StatusPending, now)
	rel.DueAt = base
	stored["u0001"] = mustApply(t, s, stored["u0001"], rel)
	stored["u0003"] = mustApply(t, s, stored["u0003"], to(stored["u0003"], signedcall.StatusDialling, now))

	later := base.Add(5 * time.Minute)
	got = claim(t, s, cid, "b", later, lease, 3)
	checkClaim(t, "Claim(b, limit 3)", stored, got, []string{"u0001", "u0002", "u0003"}, "b", later, lease)
	got = claim(t, s, cid, "b", later, lease, 3)
	checkClaim(t, "second Claim(b, limit 3)", stored, got, []string{"u0004"}, "b", later, lease)
	wantStored(t, s, "Deliveries after the claims", cid, values(stored))
}

// testClaimUsesRequestNow checks that the due and expiry tests use each
// request's Now, even when a claim with an earlier Now follows one with a
// later Now (dispatchers' clocks differ).
func testClaimUsesRequestNow(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		return []signedcall.Delivery{
			pending(cid, "u0000", base.Add(-time.Minute)),
			pending(cid, "u0001", base),
			pending(cid, "u0002", base.Add(90*time.Second)),
		}
	})
	stored := index(ds)
	const lease = time.Minute
	got := claim(t, s, cid, "a", base, lease, 2)
	checkClaim(t, "Claim(a, now base)", stored, got, []string{"u0000", "u0001"}, "a", base, lease)
	rel := to(stored["u0000"], signedcall.StatusPending, base)
	rel.DueAt = base.Add(-time.Minute)
	stored["u0000"] = mustApply(t, s, stored["u0000"], rel)

	// At base+2m u0001's lease has expired, but the limit leaves it; a
	// claim at an earlier instant must then not see it as expired.
	now := base.Add(2 * time.Minute)
	got = claim(t, s, cid, "b", now, time.Hour, 1)
	checkClaim(t, "Claim(b, now base+2m, limit 1)", stored, got, []string{"u0000"}, "b", now, time.Hour)
	wantNext := func(what string) {
		t.Helper()
		next, ok, err := s.NextDue(t.Context(), cid)
		if err != nil || !ok || !next.Equal(base.Add(time.Minute)) {
			t.Errorf("NextDue(%s) = %s, %t, %v; want base+1m (u0001's expired lease), true, nil",
				what, stamp(next), ok, err)
		}
	}
	wantNext("after the claim at base+2m")

	now = base.Add(30 * time.Second)
	got = claim(t, s, cid, "c", now, lease, 10)
	checkClaim(t, "Claim(c, now base+30s)", stored, got, nil, "c", now, lease)
	wantNext("after the claim at base+30s")

	now = base.Add(90 * time.Second)
	got = claim(t, s, cid, "d", now, lease, 10)
	checkClaim(t, "Claim(d, now base+90s)", stored, got, []string{"u0001", "u0002"}, "d", now, lease)
	wantStored(t, s, "Deliveries after the claims", cid, values(stored))
}

// testClaimConcurrent runs claimers in parallel over 2,000 due deliveries:
// no delivery goes to two of them and together they get every one.
func testClaimConcurrent(t *testing.T, s signedcall.Store) {
	const (
		n        = 2000
		claimers = 8
	)
	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		ds := make([]signedcall.Delivery, n)
		for i, u := range users(n) {
			ds[i] = pending(cid, u, base.Add(time.Duration(i%7)*time.Second))
		}
		return ds
	})

	got := make([][]signedcall.Delivery, claimers)
	var wg sync.WaitGroup
	for w := range claimers {
		owner := fmt.Sprintf("claimer-%d", w)
		wg.Go(func() {
			req := signedcall.ClaimRequest{
				CampaignID: cid, Owner: owner, Now: base.Add(time.Minute), Lease: time.Hour, Limit: 1 + w*3,
			}
			for {
				ds, err := s.Claim(t.Context(), req)
				if err != nil {
					t.Errorf("%s: Claim = %v, want nil", owner, err)
					return
				}
				if len(ds) == 0 {
					return
				}
				got[w] = append(got[w], ds...)
				ts := make([]signedcall.Transition, len(ds))
				for i, d := range ds {
					ts[i] = to(d, signedcall.StatusAnswered, base.Add(2*time.Minute))
				}
				errs, err := s.Apply(t.Context(), ts)
				if err != nil {
					t.Errorf("%s: Apply = %v, want nil", owner, err)
					return
				}
				for i, e := range errs {
					if e != nil {
						t.Errorf("%s: Apply(%s to answered) = %v, want nil", owner, ts[i].Key.UserID, e)
					}
				}
			}
		})
	}
	wg.Wait()

	by := map[string]string{}
	for w, ds := range got {
		owner := fmt.Sprintf("claimer-%d", w)
		for _, d := range ds {
			if other, dup := by[d.UserID]; dup {
				t.Errorf("%s claimed by both %s and %s", d.UserID, other, owner)
			}
			by[d.UserID] = owner
		}
	}
	if len(by) != n {
		t.Errorf("claimers got %d distinct deliveries, want %d", len(by), n)
	}
	wantCounts(t, s, "after the concurrent claims", cid, map[signedcall.Status]int{signedcall.StatusAnswered: n})
}
