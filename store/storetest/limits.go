package storetest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var limitTests = []test{
	{"PersonCampaign", testLimitPersonCampaign},
	{"PersonAcrossCampaigns", testLimitPersonAcrossCampaigns},
	{"CampaignPace", testLimitCampaignPace},
	{"MaxConcurrent", testLimitMaxConcurrent},
	{"StartsRecordedWithoutLimits", testLimitStartsRecordedWithoutLimits},
	{"InOrderWithinBatch", testLimitInOrderWithinBatch},
	{"Invalid", testLimitInvalid},
	{"LastCallRace", testLimitLastCallRace},
	{"FutureStartKeepsOthers", testLimitFutureStartKeepsOthers},
}

// testLimitFutureStartKeepsOthers: a call started with an At more than
// MaxLimitWindow ahead (a process whose clock is wrong) does not make
// the Store forget other numbers' starts.
func testLimitFutureStartKeepsOthers(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	l := limitOf(1, 24*time.Hour, signedcall.ScopePerson)
	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		ds := samePhone(3, phone)(cid)
		ds[1].Phone = freshPhone(t)
		return ds
	})
	ds := claim(t, s, cid, "a", base, 1000*24*time.Hour, 3)
	mustApply(t, s, ds[0], dial(ds[0], base, 0, l))
	mustApply(t, s, ds[1], dial(ds[1], base.Add(signedcall.MaxLimitWindow+48*time.Hour), 0))
	err := apply(t, s, dial(ds[2], base.Add(time.Minute), 0, l))[0]
	wantLimited(t, "Apply(same number, after another's far-future start)", err, base.Add(24*time.Hour), 0)
}

// freshPhone returns a number no other subtest uses, in the +999 range
// that E.164 leaves unassigned, so limits in a shared database see only
// this subtest's calls.
func freshPhone(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(1e11))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("+999%011d", n)
}

// samePhone returns n deliveries due at base, all for the number phone.
func samePhone(n int, phone string) func(cid uuid.UUID) []signedcall.Delivery {
	return func(cid uuid.UUID) []signedcall.Delivery {
		ds := due(n)(cid)
		for i := range ds {
			ds[i].Phone = phone
		}
		return ds
	}
}

// distinctPhones returns n deliveries due at base, each its own number.
func distinctPhones(t *testing.T, n int) func(cid uuid.UUID) []signedcall.Delivery {
	phones := make([]string, n)
	for i := range phones {
		phones[i] = freshPhone(t)
	}
	return func(cid uuid.UUID) []signedcall.Delivery {
		ds := due(n)(cid)
		for i := range ds {
			ds[i].Phone = phones[i]
		}
		return ds
	}
}

// dial is a move of d to dialling at at under limits.
func dial(d signedcall.Delivery, at time.Time, maxConcurrent int, limits ...signedcall.Limit) signedcall.Transition {
	tr := to(d, signedcall.StatusDialling, at)
	tr.Limits, tr.MaxConcurrent = limits, maxConcurrent
	return tr
}

// wantLimited checks that err is a *LimitError with the given retry
// instant and concurrency count.
func wantLimited(t *testing.T, what string, err error, retryAt time.Time, concurrent int) {
	t.Helper()
	var le *signedcall.LimitError
	if !errors.As(err, &le) || !errors.Is(err, signedcall.ErrLimited) {
		t.Errorf("%s = %v, want a *signedcall.LimitError matching ErrLimited", what, err)
		return
	}
	if !le.RetryAt.Equal(retryAt) || le.Concurrent != concurrent {
		t.Errorf("%s: RetryAt %s, Concurrent %d; want RetryAt %s, Concurrent %d",
			what, stamp(le.RetryAt), le.Concurrent, stamp(retryAt), concurrent)
	}
}

func limitOf(max int, window time.Duration, scope signedcall.LimitScope) signedcall.Limit {
	return signedcall.Limit{Max: max, Window: signedcall.Duration(window), Scope: scope}
}

// testLimitPersonCampaign: two calls an hour to one number in one
// campaign. The third, 20 minutes in, is refused until the first is an
// hour old, and nothing about it changes; at that instant it is allowed.
// The same number in another campaign is not counted.
func testLimitPersonCampaign(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	l := limitOf(2, time.Hour, signedcall.ScopePersonCampaign)
	cid, _ := withDeliveries(t, s, samePhone(3, phone))
	ds := claim(t, s, cid, "a", base, 2*time.Hour, 3)

	mustApply(t, s, ds[0], dial(ds[0], base, 0, l))
	mustApply(t, s, ds[1], dial(ds[1], base.Add(10*time.Minute), 0, l))
	err := apply(t, s, dial(ds[2], base.Add(20*time.Minute), 0, l))[0]
	wantLimited(t, "Apply(third call in an hour)", err, base.Add(time.Hour), 0)
	diffDeliveries(t, "Delivery after refused dial", ds[2], getDelivery(t, s, ds[2].Key()))
	err = apply(t, s, dial(ds[2], base.Add(time.Hour-time.Millisecond), 0, l))[0]
	wantLimited(t, "Apply(third call 1ms before the first is an hour old)", err, base.Add(time.Hour), 0)

	other, _ := withDeliveries(t, s, samePhone(1, phone))
	od := claimOne(t, s, other, "a", base, 2*time.Hour)
	mustApply(t, s, od, dial(od, base.Add(30*time.Minute), 0, l))

	mustApply(t, s, ds[2], dial(ds[2], base.Add(time.Hour), 0, l))
}

// testLimitPersonAcrossCampaigns: one call a day to a number from any
// campaign. A second campaign's call is refused until a day after the
// first; a different number is not.
func testLimitPersonAcrossCampaigns(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	l := limitOf(1, 24*time.Hour, signedcall.ScopePerson)
	a, _ := withDeliveries(t, s, samePhone(1, phone))
	b, _ := withDeliveries(t, s, samePhone(1, phone))
	c, _ := withDeliveries(t, s, distinctPhones(t, 1))
	da := claimOne(t, s, a, "a", base, time.Hour)
	db := claimOne(t, s, b, "b", base, time.Hour)
	dc := claimOne(t, s, c, "b", base, time.Hour)

	mustApply(t, s, da, dial(da, base.Add(time.Second), 0, l))
	err := apply(t, s, dial(db, base.Add(time.Minute), 0, l))[0]
	wantLimited(t, "Apply(second campaign, same number, same day)", err, base.Add(24*time.Hour+time.Second), 0)
	diffDeliveries(t, "Delivery after refused dial", db, getDelivery(t, s, db.Key()))
	mustApply(t, s, dc, dial(dc, base.Add(time.Minute), 0, l))
}

// testLimitCampaignPace: two calls a second for the campaign, to anyone.
func testLimitCampaignPace(t *testing.T, s signedcall.Store) {
	l := limitOf(2, time.Second, signedcall.ScopeCampaign)
	cid, _ := withDeliveries(t, s, distinctPhones(t, 4))
	ds := claim(t, s, cid, "a", base, time.Hour, 4)

	mustApply(t, s, ds[0], dial(ds[0], base, 0, l))
	mustApply(t, s, ds[1], dial(ds[1], base.Add(100*time.Millisecond), 0, l))
	err := apply(t, s, dial(ds[2], base.Add(500*time.Millisecond), 0, l))[0]
	wantLimited(t, "Apply(third call within a second)", err, base.Add(time.Second), 0)
	mustApply(t, s, ds[2], dial(ds[2], base.Add(time.Second), 0, l))
	err = apply(t, s, dial(ds[3], base.Add(time.Second), 0, l))[0]
	wantLimited(t, "Apply(fourth call, 1s in)", err, base.Add(1100*time.Millisecond), 0)
}

// testLimitMaxConcurrent: at most two calls in progress. A third waits
// until one ends; a dialling delivery whose lease expired no longer
// counts.
func testLimitMaxConcurrent(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, distinctPhones(t, 4))
	ds := claim(t, s, cid, "a", base, time.Minute, 2)
	later := claim(t, s, cid, "a", base, time.Hour, 2)

	d0 := mustApply(t, s, ds[0], dial(ds[0], base.Add(time.Second), 2))
	mustApply(t, s, ds[1], dial(ds[1], base.Add(time.Second), 2))
	err := apply(t, s, dial(later[0], base.Add(2*time.Second), 2))[0]
	wantLimited(t, "Apply(third call in progress)", err, time.Time{}, 2)
	diffDeliveries(t, "Delivery after refused dial", later[0], getDelivery(t, s, later[0].Key()))

	mustApply(t, s, d0, to(d0, signedcall.StatusAnswered, base.Add(3*time.Second)))
	mustApply(t, s, later[0], dial(later[0], base.Add(4*time.Second), 2))

	// ds[1]'s lease expired at base+1m: only later[0] is in progress.
	mustApply(t, s, later[1], dial(later[1], base.Add(time.Minute), 2))
}

// testLimitStartsRecordedWithoutLimits: a call started with no limits
// still counts toward a later call's limit.
func testLimitStartsRecordedWithoutLimits(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	cid, _ := withDeliveries(t, s, samePhone(2, phone))
	ds := claim(t, s, cid, "a", base, time.Hour, 2)
	mustApply(t, s, ds[0], dial(ds[0], base, 0))
	err := apply(t, s, dial(ds[1], base.Add(time.Minute), 0, limitOf(1, time.Hour, signedcall.ScopePerson)))[0]
	wantLimited(t, "Apply(after an unlimited call to the number)", err, base.Add(time.Hour), 0)
}

// testLimitInOrderWithinBatch: transitions in one Apply are checked in
// order, each seeing the starts of those before it.
func testLimitInOrderWithinBatch(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	l := limitOf(1, time.Hour, signedcall.ScopePersonCampaign)
	other := freshPhone(t)
	cid, _ := withDeliveries(t, s, func(cid uuid.UUID) []signedcall.Delivery {
		ds := samePhone(3, phone)(cid)
		ds[2].Phone = other
		return ds
	})
	ds := claim(t, s, cid, "a", base, time.Hour, 3)
	at := base.Add(time.Second)
	errs := apply(t, s, dial(ds[0], at, 0, l), dial(ds[1], at, 0, l), dial(ds[2], at, 0, l))
	wantErr(t, "Apply(batch)[0]", errs[0], nil)
	wantLimited(t, "Apply(batch)[1], same number as [0]", errs[1], at.Add(time.Hour), 0)
	wantErr(t, "Apply(batch)[2], another number", errs[2], nil)
	wantCounts(t, s, "Counts after the batch", cid, map[signedcall.Status]int{
		signedcall.StatusDialling: 2, signedcall.StatusClaimed: 1,
	})
}

// testLimitInvalid: a limit that breaks a rule is refused with ErrInvalid
// and changes nothing.
func testLimitInvalid(t *testing.T, s signedcall.Store) {
	cid, _ := withDeliveries(t, s, distinctPhones(t, 1))
	d := claimOne(t, s, cid, "a", base, time.Hour)
	for _, l := range []signedcall.Limit{
		limitOf(0, time.Hour, signedcall.ScopePerson),
		limitOf(1, 0, signedcall.ScopePerson),
		limitOf(1, time.Hour, "everyone"),
	} {
		err := apply(t, s, dial(d, base.Add(time.Second), 0, l))[0]
		wantErr(t, fmt.Sprintf("Apply(dial with limit %s)", l), err, signedcall.ErrInvalid)
	}
	err := apply(t, s, dial(d, base.Add(time.Second), -1))[0]
	wantErr(t, "Apply(dial with max concurrent -1)", err, signedcall.ErrInvalid)
	diffDeliveries(t, "Delivery after refused dials", d, getDelivery(t, s, d.Key()))
}

// testLimitLastCallRace: eight claimants in two campaigns race for the
// one call a day a number allows; exactly one gets it.
func testLimitLastCallRace(t *testing.T, s signedcall.Store) {
	phone := freshPhone(t)
	l := limitOf(1, 24*time.Hour, signedcall.ScopePerson)
	var ds []signedcall.Delivery
	for range 2 {
		cid, _ := withDeliveries(t, s, samePhone(4, phone))
		ds = append(ds, claim(t, s, cid, "a", base, time.Hour, 4)...)
	}
	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		wg.Go(func() {
			es, err := s.Apply(t.Context(), []signedcall.Transition{dial(d, base.Add(time.Second), 0, l)})
			if err == nil {
				err = es[0]
			}
			errs[i] = err
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, signedcall.ErrLimited):
			t.Errorf("Apply(dial %d of %d racing) = %v, want nil or ErrLimited", i, len(ds), err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing dials to one number succeeded, want exactly 1", won, len(ds))
	}
}
