package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
)

var materializeTests = []test{
	{"WritesAll", testMaterializeWritesAll},
	{"CopiesInput", testMaterializeCopiesInput},
	{"EmptyCountsAsDone", testMaterializeEmpty},
	{"DuplicateUser", testMaterializeDuplicateUser},
	{"OtherCampaign", testMaterializeOtherCampaign},
	{"Twice", testMaterializeTwice},
	{"NotFound", testMaterializeNotFound},
	{"Concurrent", testMaterializeConcurrent},
}

// mixed returns pending and final deliveries for campaign cid, not in
// user order.
func mixed(cid uuid.UUID) []signedcall.Delivery {
	return []signedcall.Delivery{
		pending(cid, "u0003", base.Add(time.Hour)),
		final(cid, "u0005", signedcall.StatusControl),
		pending(cid, "u0001", base.Add(2*time.Hour)),
		final(cid, "u0004", signedcall.StatusCapped),
		pending(cid, "u0002", base.Add(time.Hour)),
		final(cid, "u0006", signedcall.StatusUnreachable),
	}
}

// byUser returns ds in user order, as Deliveries walks them.
func byUser(ds []signedcall.Delivery) []signedcall.Delivery {
	out := slices.Clone(ds)
	slices.SortFunc(out, func(a, b signedcall.Delivery) int { return strings.Compare(a.UserID, b.UserID) })
	return out
}

func testMaterializeWritesAll(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, mixed)

	wantStored(t, s, "Deliveries after Materialize", cid, byUser(ds))
	for _, d := range ds {
		diffDeliveries(t, "Delivery("+d.UserID+")", d, getDelivery(t, s, d.Key()))
	}
	wantCounts(t, s, "after Materialize", cid, map[signedcall.Status]int{
		signedcall.StatusPending:     3,
		signedcall.StatusControl:     1,
		signedcall.StatusCapped:      1,
		signedcall.StatusUnreachable: 1,
	})
}

func testMaterializeCopiesInput(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, mixed)
	want := byUser(ds)

	ds[0].Phone = "+15550000000"
	ds[0].DueAt = base.Add(-time.Hour)
	wantStored(t, s, "Deliveries after changing the slice passed to Materialize", cid, want)
}

// testMaterializeEmpty checks that an empty first call still counts: the
// campaign is materialized with no deliveries.
func testMaterializeEmpty(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	if err := s.Materialize(t.Context(), c.ID, nil); err != nil {
		t.Fatalf("Materialize(no deliveries) = %v, want nil", err)
	}
	err := s.Materialize(t.Context(), c.ID, mixed(c.ID))
	wantErr(t, "Materialize(6 deliveries) after Materialize(none)", err, signedcall.ErrAlreadyMaterialized)
	wantStored(t, s, "Deliveries", c.ID, nil)
	wantCounts(t, s, "after Materialize(none)", c.ID, nil)
}

func testMaterializeDuplicateUser(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	ds := mixed(c.ID)
	ds = append(ds, pending(c.ID, "u0004", base.Add(3*time.Hour)))

	err := s.Materialize(t.Context(), c.ID, ds)
	wantErr(t, "Materialize(u0004 twice)", err, signedcall.ErrDuplicateDelivery)
	wantStored(t, s, "Deliveries after refused Materialize", c.ID, nil)
	wantCounts(t, s, "after refused Materialize", c.ID, nil)

	// Nothing was written, so the campaign is not materialized yet.
	fixed := mixed(c.ID)
	if err := s.Materialize(t.Context(), c.ID, fixed); err != nil {
		t.Fatalf("Materialize(6 distinct users) after a refused one = %v, want nil", err)
	}
	wantStored(t, s, "Deliveries after second Materialize", c.ID, byUser(fixed))
}

func testMaterializeOtherCampaign(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	other := created(t, s)
	ds := mixed(c.ID)
	ds[3].CampaignID = other.ID

	err := s.Materialize(t.Context(), c.ID, ds)
	wantErr(t, "Materialize(delivery 3 names another campaign)", err, signedcall.ErrDuplicateDelivery)
	wantStored(t, s, "Deliveries of the campaign after refused Materialize", c.ID, nil)
	wantStored(t, s, "Deliveries of the other campaign after refused Materialize", other.ID, nil)
	_, err = s.Delivery(t.Context(), ds[3].Key())
	wantErr(t, "Delivery(the other campaign, "+ds[3].UserID+")", err, signedcall.ErrNotFound)
}

func testMaterializeTwice(t *testing.T, s signedcall.Store) {
	cid, ds := withDeliveries(t, s, mixed)

	again := []signedcall.Delivery{
		pending(cid, "u0001", base),
		pending(cid, "u0009", base),
	}
	err := s.Materialize(t.Context(), cid, again)
	wantErr(t, "second Materialize", err, signedcall.ErrAlreadyMaterialized)
	wantStored(t, s, "Deliveries after second Materialize", cid, byUser(ds))
}

func testMaterializeNotFound(t *testing.T, s signedcall.Store) {
	id := uuid.New()
	err := s.Materialize(t.Context(), id, []signedcall.Delivery{pending(id, "u0001", base)})
	wantErr(t, "Materialize(unknown campaign)", err, signedcall.ErrNotFound)
}

// testMaterializeConcurrent has eight writers materialize the same
// campaign at once, each with its own plan over overlapping users, as
// processes reaching the start together would: exactly one plan is
// written, whole, and every other writer gets ErrAlreadyMaterialized.
func testMaterializeConcurrent(t *testing.T, s signedcall.Store) {
	c := created(t, s)
	const writers, users = 8, 500
	plans := make([][]signedcall.Delivery, writers)
	for w := range plans {
		for u := range users {
			// Each plan has the same users but its own due times, so the
			// stored rows tell which plan won.
			plans[w] = append(plans[w], pending(c.ID, fmt.Sprintf("u%05d", u+w*10), base.Add(time.Duration(w+1)*time.Minute)))
		}
	}
	errs := make([]error, writers)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for w := range plans {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[w] = s.Materialize(t.Context(), c.ID, plans[w])
		}()
	}
	close(start)
	wg.Wait()

	winner := -1
	for w, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("Materialize by writers %d and %d both succeeded, want exactly one", winner, w)
		case err == nil:
			winner = w
		case !errors.Is(err, signedcall.ErrAlreadyMaterialized):
			t.Errorf("Materialize by writer %d = %v, want nil or ErrAlreadyMaterialized", w, err)
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent Materialize succeeded")
	}
	wantStored(t, s, "Deliveries after concurrent Materialize", c.ID, byUser(plans[winner]))
}
