package sqlitestore_test

import (
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/sqlitestore"
)

// TestListsRoundTrip stores other zones and packs holding what a list
// encoding could confuse (separators, quotes, backslashes, brackets,
// empty strings, non-ASCII text) and reads each back element for element.
// The stored form is JSON that SQLite's own functions read.
func TestListsRoundTrip(t *testing.T) {
	path := dbPath(t)
	s := open(t, path)
	c := created(t, s)
	lists := [][]string{
		nil,
		{"Europe/London"},
		{"America/Argentina/Buenos_Aires", "Etc/GMT+3", "Etc/GMT-14"},
		{"GB", "GB-ENG", "a-b-c"},
		{""},
		{"", ""},
		{`a","b`},
		{`"`, `\`, `\"`, `","`, `["x"]`, `[`, `]`},
		{"a,b", "a;b", "a b", "a\tb", "a\nb", "a\x00b"},
		{"Zürich", "東京", "<&>", "\u2028"},
	}
	ds := dueDeliveries(c.ID, len(lists))
	for i, l := range lists {
		ds[i].OtherZones = l
		ds[i].Packs = append(append([]string{}, l...), "last")
	}
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ds, all(t, s, c.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Deliveries (-written +read):\n%s", diff)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var notJSON, withGB int
	err = db.QueryRow(`SELECT
			count(*) FILTER (WHERE (other_zones != '' AND NOT json_valid(other_zones)) OR NOT json_valid(packs)),
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM json_each(packs) WHERE value = 'GB-ENG'))
		FROM deliveries WHERE campaign_id = ?`, c.ID.String()).Scan(&notJSON, &withGB)
	if err != nil || notJSON != 0 || withGB != 1 {
		t.Errorf("stored lists: %d not JSON, %d with pack GB-ENG, %v; want 0, 1", notJSON, withGB, err)
	}

	// JSON cannot keep a string that is not UTF-8 as it is: it is refused.
	c2 := created(t, s)
	bad := dueDeliveries(c2.ID, 1)
	bad[0].Packs = []string{"GB\xff"}
	if err := s.Materialize(t.Context(), c2.ID, bad); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Materialize(pack that is not UTF-8) = %v, want ErrInvalid", err)
	}
}

// starts returns the number of rows in call_starts.
func starts(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM call_starts`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// dialAll claims n deliveries of cid and moves each to dialling at the
// instant at(i), one Apply each, under limits; it returns the errors.
func dialAll(t *testing.T, s signedcall.Store, cid uuid.UUID, n int, at func(i int) time.Time, limits ...signedcall.Limit) []error {
	t.Helper()
	ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: n,
	})
	if err != nil || len(ds) != n {
		t.Fatalf("Claim = %d deliveries, %v; want %d", len(ds), err, n)
	}
	errs := make([]error, n)
	for i, d := range ds {
		es, err := s.Apply(t.Context(), []signedcall.Transition{{
			Key: d.Key(), Owner: "a", Token: d.Lease.Token, To: signedcall.StatusDialling,
			At: at(i), Limits: limits,
		}})
		if err != nil {
			t.Fatal(err)
		}
		errs[i] = es[0]
	}
	return errs
}

// TestStartsPruned: the Apply whose starts reach a rowid that is a
// multiple of the pruning interval deletes the starts MaxLimitWindow and
// the slack or more older than its latest, and keeps every one a limit
// may still count, on a clock up to the slack behind.
func TestStartsPruned(t *testing.T) {
	defer sqlitestore.SetPruneEvery(4)()
	path := dbPath(t)
	s := open(t, path)
	cid := withDue(t, s, 6)
	year := signedcall.MaxLimitWindow
	later := base.Add(year + sqlitestore.PruneSlack)
	at := []time.Time{base, base, base.Add(time.Nanosecond)}
	if err := errors.Join(dialAll(t, s, cid, 3, func(i int) time.Time { return at[i] })...); err != nil {
		t.Fatal(err)
	}
	// Starts 4 and 5, in one Apply.
	ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: 2})
	if err != nil || len(ds) != 2 {
		t.Fatalf("Claim = %d deliveries, %v; want 2", len(ds), err)
	}
	var ts []signedcall.Transition
	for _, d := range ds {
		ts = append(ts, signedcall.Transition{Key: d.Key(), Owner: "a", Token: d.Lease.Token,
			To: signedcall.StatusDialling, At: later})
	}
	if errs, err := s.Apply(t.Context(), ts); err != nil || errors.Join(errs...) != nil {
		t.Fatalf("Apply(2 dials) = %v, %v", errs, err)
	}
	// Starts 1 and 2 are exactly MaxLimitWindow and the slack older than
	// starts 4 and 5, and are deleted; start 3 is kept, and counts for a
	// process whose clock is the slack behind.
	if n := starts(t, path); n != 3 {
		t.Errorf("call_starts after the 5th start = %d rows, want 3", n)
	}
	yearly := signedcall.Limit{Max: 3, Window: signedcall.Duration(year), Scope: signedcall.ScopePerson}
	errs := dialAll(t, s, cid, 1, func(int) time.Time { return base.Add(year) }, yearly)
	var le *signedcall.LimitError
	if want := at[2].Add(year); !errors.As(errs[0], &le) || !le.RetryAt.Equal(want) {
		t.Errorf("Apply(fourth call in a year) = %v, want a LimitError retrying at %v", errs[0], want)
	}
}

// TestStartsOfLargeBatch: an Apply of many moves to dialling writes a
// start for each, and a move under a limit later in the same Apply sees
// them all.
func TestStartsOfLargeBatch(t *testing.T) {
	path := dbPath(t)
	s := open(t, path)
	const n = 77 // 64 + 8 + 4 + 1
	cid := withDue(t, s, n+2)
	ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: n + 2})
	if err != nil || len(ds) != n+2 {
		t.Fatalf("Claim = %d deliveries, %v; want %d", len(ds), err, n+2)
	}
	pace := func(max int) []signedcall.Limit {
		return []signedcall.Limit{{Max: max, Window: signedcall.Duration(time.Hour), Scope: signedcall.ScopeCampaign}}
	}
	var ts []signedcall.Transition
	for i, d := range ds {
		tr := signedcall.Transition{Key: d.Key(), Owner: "a", Token: d.Lease.Token,
			To: signedcall.StatusDialling, At: base.Add(time.Duration(i) * time.Millisecond)}
		switch i {
		case n:
			tr.Limits = pace(n) // the n before it fill the hour
		case n + 1:
			tr.Limits = pace(n + 1)
		}
		ts = append(ts, tr)
	}
	errs, err := s.Apply(t.Context(), ts)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(errs[:n]...); err != nil {
		t.Errorf("Apply(%d unlimited dials) = %v", n, err)
	}
	var le *signedcall.LimitError
	if !errors.As(errs[n], &le) || !le.RetryAt.Equal(base.Add(time.Hour)) {
		t.Errorf("Apply(...)[%d], %d per hour after %d calls = %v, want a LimitError retrying at base+1h", n, n, n, errs[n])
	}
	if errs[n+1] != nil {
		t.Errorf("Apply(...)[%d], %d per hour after %d calls = %v, want nil", n+1, n+1, n, errs[n+1])
	}
	if got := starts(t, path); got != n+1 {
		t.Errorf("call_starts = %d rows, want %d", got, n+1)
	}
}

// TestLimitAcrossStores: Stores on one file, each with its own writing
// connection as separate processes have, race to make the one call a
// day a number allows, in two campaigns; exactly one call starts, and a
// call refused leaves its delivery claimed.
func TestLimitAcrossStores(t *testing.T) {
	path := dbPath(t)
	const stores, each = 4, 4
	var ss []*sqlitestore.Store
	for range stores {
		ss = append(ss, open(t, path))
	}
	perDay := signedcall.Limit{Max: 1, Window: signedcall.Duration(24 * time.Hour), Scope: signedcall.ScopePerson}
	var ds []signedcall.Delivery
	for range 2 {
		cid := withDue(t, ss[0], stores*each)
		got, err := ss[0].Claim(t.Context(), signedcall.ClaimRequest{
			CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: stores * each,
		})
		if err != nil {
			t.Fatal(err)
		}
		ds = append(ds, got...)
	}

	errs := make([]error, len(ds))
	var wg sync.WaitGroup
	for i, d := range ds {
		s := ss[i%stores]
		wg.Go(func() {
			es, err := s.Apply(t.Context(), []signedcall.Transition{{
				Key: d.Key(), Owner: "a", Token: d.Lease.Token, To: signedcall.StatusDialling,
				At: base.Add(time.Duration(i) * time.Millisecond), Limits: []signedcall.Limit{perDay},
			}})
			errs[i] = errors.Join(err, es[0])
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, signedcall.ErrLimited):
			t.Errorf("Apply(dial %d) = %v, want nil or ErrLimited", i, err)
		default:
			d, err := ss[0].Delivery(t.Context(), ds[i].Key())
			if err != nil || d.Status != signedcall.StatusClaimed || d.Attempt != 0 {
				t.Errorf("Delivery %d after a refused dial = %s attempt %d, %v; want claimed, attempt 0",
					i, d.Status, d.Attempt, err)
			}
		}
	}
	if won != 1 {
		t.Errorf("%d of %d racing dials to one number succeeded, want 1", won, len(ds))
	}
	if n := starts(t, path); n != 1 {
		t.Errorf("call_starts = %d rows, want 1", n)
	}
}

// TestLimitedDialRefusedFirstByLease: a move to dialling with limits that
// would refuse it is still refused first for the reasons any move is: a
// lease not held, a delivery already dialling, a campaign not running.
func TestLimitedDialRefusedFirstByLease(t *testing.T) {
	s := open(t, dbPath(t))
	ctx := t.Context()
	c := created(t, s)
	if err := s.Materialize(ctx, c.ID, dueDeliveries(c.ID, 3)); err != nil {
		t.Fatal(err)
	}
	start(t, s, c)
	ds, err := s.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Hour, Limit: 3})
	if err != nil || len(ds) != 3 {
		t.Fatalf("Claim = %d, %v", len(ds), err)
	}
	// Every delivery has the same number: after the first call the
	// limit refuses any other.
	once := []signedcall.Limit{{Max: 1, Window: signedcall.Duration(time.Hour), Scope: signedcall.ScopePerson}}
	dial := func(d signedcall.Delivery, token int64) signedcall.Transition {
		return signedcall.Transition{Key: d.Key(), Owner: "a", Token: token, To: signedcall.StatusDialling,
			At: base, Limits: once, MaxConcurrent: 1}
	}
	missing := dial(ds[2], ds[2].Lease.Token)
	missing.Key.UserID = "nobody"
	errs, err := s.Apply(ctx, []signedcall.Transition{
		dial(ds[0], ds[0].Lease.Token),
		dial(ds[0], ds[0].Lease.Token), // now dialling
		dial(ds[1], ds[1].Lease.Token+100),
		missing,
		dial(ds[2], ds[2].Lease.Token), // refused by the limit
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []error{nil, signedcall.ErrInvalid, signedcall.ErrLeaseLost, signedcall.ErrNotFound, signedcall.ErrLimited} {
		if (want == nil && errs[i] != nil) || (want != nil && !errors.Is(errs[i], want)) {
			t.Errorf("Apply(...)[%d] = %v, want %v", i, errs[i], want)
		}
	}
	if err := s.TransitionCampaign(ctx, c.ID, []signedcall.CampaignState{signedcall.StateRunning},
		signedcall.StatePaused, base); err != nil {
		t.Fatal(err)
	}
	errs, err = s.Apply(ctx, []signedcall.Transition{dial(ds[2], ds[2].Lease.Token)})
	if err != nil || !errors.Is(errs[0], signedcall.ErrNotRunning) {
		t.Errorf("Apply(limited dial in a paused campaign) = %v, %v; want ErrNotRunning", errs, err)
	}
}

// TestCampaignPaceMatchesCheckLimits: however many calls a campaign has
// started, some under no limit at all, a move under several pace limits
// gets the answer CheckLimits gives on every start the campaign made,
// though the Store reads only the latest of them.
func TestCampaignPaceMatchesCheckLimits(t *testing.T) {
	s := open(t, dbPath(t))
	ctx := t.Context()
	rng := mrand.New(mrand.NewPCG(3, 4))
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	for round := range 30 {
		c := created(t, s)
		ds := dueDeliveries(c.ID, 30)
		for i := range ds {
			ds[i].Phone = fmt.Sprintf("+4477009%05d", i)
		}
		if err := s.Materialize(ctx, c.ID, ds); err != nil {
			t.Fatal(err)
		}
		start(t, s, c)
		ds, err := s.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Hour, Limit: 30})
		if err != nil {
			t.Fatal(err)
		}
		var made []signedcall.CallStart
		for _, d := range ds[:rng.IntN(len(ds))] {
			at := base.Add(ms(rng.IntN(10_000)))
			es, err := s.Apply(ctx, []signedcall.Transition{{Key: d.Key(), Owner: "a", Token: d.Lease.Token,
				To: signedcall.StatusDialling, At: at}})
			if err != nil || es[0] != nil {
				t.Fatalf("Apply(unlimited dial) = %v, %v", es, err)
			}
			made = append(made, signedcall.CallStart{CampaignID: c.ID.String(), Phone: d.Phone, At: at})
		}
		last := ds[len(ds)-1]
		tr := signedcall.Transition{Key: last.Key(), Owner: "a", Token: last.Lease.Token,
			To: signedcall.StatusDialling, At: base.Add(ms(5000 + rng.IntN(7000)))}
		for range 1 + rng.IntN(3) {
			tr.Limits = append(tr.Limits, signedcall.Limit{Max: 1 + rng.IntN(10),
				Window: signedcall.Duration(ms(1 + rng.IntN(10_000))), Scope: signedcall.ScopeCampaign})
		}
		want := signedcall.CheckLimits(tr, made, nil, 0)
		es, err := s.Apply(ctx, []signedcall.Transition{tr})
		if err != nil {
			t.Fatal(err)
		}
		var wantLE, gotLE *signedcall.LimitError
		errors.As(want, &wantLE)
		errors.As(es[0], &gotLE)
		if (want == nil) != (es[0] == nil) || (wantLE != nil && (gotLE == nil || *gotLE != *wantLE)) {
			t.Errorf("round %d: %d starts, limits %v: Apply = %v, CheckLimits on every start = %v",
				round, len(made), tr.Limits, es[0], want)
		}
	}
}
