package pgstore_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
	"github.com/signedcall/signedcall/store/pgstore"
)

func limit(n int, window time.Duration, scope signedcall.LimitScope) signedcall.Limit {
	return signedcall.Limit{Max: n, Window: signedcall.Duration(window), Scope: scope}
}

// limitClass is errClass, with a refusal's details.
func limitClass(err error) string {
	var le *signedcall.LimitError
	if errors.As(err, &le) {
		return fmt.Sprintf("ErrLimited %s, retry at %s, %d in progress",
			le.Limit, le.RetryAt.Format(time.RFC3339Nano), le.Concurrent)
	}
	return errClass(err)
}

// phoneOf gives delivery i of a campaign one of six numbers.
func phoneOf(i int, d *signedcall.Delivery) {
	d.Phone = fmt.Sprintf("+9990000000%02d", i%6)
}

// TestApplyLimitedLikeMemstore is TestApplyLikeMemstore for calls with
// limits: long Apply calls mixing moves to dialling under every kind of
// limit and cap (and none, and invalid ones) with releases, final moves,
// wrong leases and unknown keys, in two campaigns whose deliveries share
// six numbers, one of them under leases that expire between calls, and
// one call while a campaign is paused. Every result, every refusal's
// details and every delivery must be memstore's, and every move to
// dialling written must have recorded its start.
func TestApplyLimitedLikeMemstore(t *testing.T) {
	t.Parallel()
	type side struct {
		name   string
		s      signedcall.Store
		cids   [2]uuid.UUID
		tokens [2]map[string]int64
	}
	pg := newStore(t)
	sides := []*side{{name: "pgstore", s: pg}, {name: "memstore", s: memstore.New()}}
	sizes := [2]int{120, 60}
	leases := [2]time.Duration{time.Hour, 150 * time.Second}
	for _, sd := range sides {
		for c, n := range sizes {
			sd.cids[c] = materializedWith(t, sd.s, phoneOf, n)
			ds, err := sd.s.Claim(t.Context(), signedcall.ClaimRequest{
				CampaignID: sd.cids[c], Owner: "a", Now: base, Lease: leases[c], Limit: n - 10,
			})
			if err != nil || len(ds) != n-10 {
				t.Fatalf("%s: Claim = %d, %v; want %d", sd.name, len(ds), err, n-10)
			}
			sd.tokens[c] = map[string]int64{}
			for _, d := range ds {
				sd.tokens[c][d.UserID] = d.Lease.Token
			}
		}
	}
	limitSets := [][]signedcall.Limit{
		nil,
		{limit(2, 90*time.Second, signedcall.ScopePerson)},
		{limit(1, time.Minute, signedcall.ScopePersonCampaign)},
		{limit(4, time.Minute, signedcall.ScopeCampaign)},
		{limit(3, 2*time.Minute, signedcall.ScopePerson), limit(6, 30*time.Second, signedcall.ScopeCampaign)},
		{limit(0, time.Minute, signedcall.ScopePerson)},
		{limit(1, time.Minute, "everyone")},
	}
	unknownCampaign := uuid.New()
	type op struct {
		campaign      int // 0, 1 or 2 for an unknown campaign
		user          string
		owner         string
		badToken      bool
		to            signedcall.Status
		due           time.Duration
		reason        string
		limits        int
		maxConcurrent int
		at            time.Duration // after the call's instant
	}
	rng := rand.New(rand.NewPCG(3, 4))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	gen := func(k int, withLimits bool) []op {
		ops := make([]op, k)
		for i := range ops {
			o := op{campaign: rng.IntN(2), owner: "a", due: time.Duration(rng.IntN(100)) * time.Second}
			if rng.IntN(60) == 0 {
				o.campaign = 2
			}
			o.user = fmt.Sprintf("u%06d", 1+rng.IntN(sizes[o.campaign%2]+3))
			if rng.IntN(60) == 0 {
				o.user = "nul\x00"
			}
			switch rng.IntN(25) {
			case 0:
				o.owner = "b"
			case 1:
				o.badToken = true
			}
			o.to = signedcall.Status(pick(
				"dialling", "dialling", "dialling", "dialling", "dialling", "pending", "answered", "busy", "claimed"))
			o.reason = pick("", "released", "caller_error")
			o.limits = rng.IntN(len(limitSets))
			if rng.IntN(3) == 0 {
				o.maxConcurrent = []int{-1, 5, 12}[rng.IntN(3)]
			}
			if !withLimits {
				o.limits, o.maxConcurrent = 0, 0
			}
			o.at = time.Duration(rng.IntN(20)) * time.Second
			ops[i] = o
		}
		return ops
	}
	transitions := func(sd *side, ops []op, at time.Duration) []signedcall.Transition {
		ts := make([]signedcall.Transition, len(ops))
		for i, o := range ops {
			cid := unknownCampaign
			tok := int64(1)
			if o.campaign < 2 {
				cid = sd.cids[o.campaign]
				tok = sd.tokens[o.campaign][o.user]
			}
			if o.badToken {
				tok += 1 << 40
			}
			ts[i] = signedcall.Transition{
				Key: signedcall.Key{CampaignID: cid, UserID: o.user}, Owner: o.owner, Token: tok,
				To: o.to, DueAt: base.Add(at + o.due), Reason: o.reason, At: base.Add(at + o.at),
				Limits: limitSets[o.limits], MaxConcurrent: o.maxConcurrent,
			}
		}
		return ts
	}
	setState := func(from, to signedcall.CampaignState) {
		for _, sd := range sides {
			err := sd.s.TransitionCampaign(t.Context(), sd.cids[0], []signedcall.CampaignState{from}, to, base)
			if err != nil {
				t.Fatalf("%s: TransitionCampaign(%s to %s) = %v", sd.name, from, to, err)
			}
		}
	}

	// Round 1 has no limits, so it is written by the set-based statements;
	// the later rounds count its starts.
	dialled := 0
	refusals := map[string]int{} // by memstore, by scope or "concurrent"
	for round, between := range []func(){
		nil,
		nil,
		func() { setState(signedcall.StateRunning, signedcall.StatePaused) },
		func() { setState(signedcall.StatePaused, signedcall.StateRunning) },
		nil,
	} {
		if between != nil {
			between()
		}
		at := time.Duration(round+1) * time.Minute
		ops := gen(150, round != 1)
		var got [2][]string
		for j, sd := range sides {
			ts := transitions(sd, ops, at)
			errs, err := sd.s.Apply(t.Context(), ts)
			if err != nil {
				t.Fatalf("%s: Apply(round %d) = %v", sd.name, round, err)
			}
			for i, e := range errs {
				got[j] = append(got[j], limitClass(e))
				if j == 0 && e == nil && ts[i].To == signedcall.StatusDialling {
					dialled++
				}
				var le *signedcall.LimitError
				switch {
				case j == 0 || !errors.As(e, &le):
				case le.Concurrent > 0:
					refusals["concurrent"]++
				default:
					refusals[string(le.Limit.Scope)]++
				}
			}
		}
		for i := range ops {
			if got[0][i] != got[1][i] {
				t.Errorf("round %d, transition %d %+v: pgstore %s, memstore %s", round, i, ops[i], got[0][i], got[1][i])
			}
		}
	}
	if dialled == 0 {
		t.Fatal("no move to dialling was written; the test shows nothing")
	}
	for _, kind := range []string{"concurrent", "person", "person_campaign", "campaign"} {
		if refusals[kind] == 0 {
			t.Errorf("no refusal by %s in the calls (%v); the test does not show that they match", kind, refusals)
		}
	}

	normal := func(sd *side, c int) []signedcall.Delivery {
		ds := all(t, sd.s, sd.cids[c])
		for i := range ds {
			d := &ds[i]
			d.CampaignID = uuid.Nil
			if d.Lease.Token != 0 {
				if d.Lease.Token == sd.tokens[c][d.UserID] {
					d.Lease.Token = 1
				} else {
					d.Lease.Token = -1
				}
			}
		}
		return ds
	}
	for c := range sizes {
		if diff := cmp.Diff(normal(sides[1], c), normal(sides[0], c)); diff != "" {
			t.Errorf("campaign %d deliveries (-memstore +pgstore):\n%s", c, diff)
		}
	}
	if n := countStarts(t, pg, ""); n != dialled {
		t.Errorf("call_starts has %d rows, want one per move to dialling written: %d", n, dialled)
	}
}

// countStarts counts the call starts s holds, those of one number when
// phone is set.
func countStarts(t *testing.T, s *pgstore.Store, phone string) int {
	t.Helper()
	var n int
	err := pgstore.Pool(s).QueryRow(t.Context(),
		"SELECT count(*) FROM call_starts WHERE $1 = '' OR phone = $1", phone).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLimitsAcrossStores has claimers on two Stores, as two processes,
// call eight numbers from three campaigns under a limit of two calls a
// day per number, a campaign pace and a cap on calls in progress that
// never bind but serialise on the campaign, while other claimers dial
// some of the same numbers from a fourth campaign with no limits at all.
// No call fails with a store error (a deadlock would be one), no number
// gets more than two limited calls, the numbers the fourth campaign
// leaves alone get exactly two, and every call has its start.
func TestLimitsAcrossStores(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	stores := []*pgstore.Store{storeIn(t, schema), storeIn(t, schema)}
	phone := func(i int) string { return fmt.Sprintf("+99900000010%d", i) }
	var limitedCIDs []uuid.UUID
	for range 3 {
		limitedCIDs = append(limitedCIDs, materializedWith(t, stores[0], func(i int, d *signedcall.Delivery) {
			d.Phone = phone(i % 8)
		}, 40))
	}
	free := materializedWith(t, stores[0], func(i int, d *signedcall.Delivery) { d.Phone = phone(i % 4) }, 40)
	perPerson := limit(2, 24*time.Hour, signedcall.ScopePerson)

	var (
		mu      sync.Mutex
		limited = map[string]int{} // limited calls per number
		calls   int
		wg      sync.WaitGroup
	)
	// worker claims the deliveries of cids, one campaign after another, a
	// few at a time, and dials and answers each in one Apply.
	worker := func(s *pgstore.Store, owner string, cids []uuid.UUID, limits []signedcall.Limit, maxConcurrent int) {
		at := base.Add(time.Second)
		for k := 0; k < len(cids); {
			ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{
				CampaignID: cids[k], Owner: owner, Now: base, Lease: time.Hour, Limit: 3,
			})
			if err != nil {
				t.Errorf("%s: Claim = %v", owner, err)
				return
			}
			if len(ds) == 0 {
				k++
				continue
			}
			var ts []signedcall.Transition
			for _, d := range ds {
				tr := signedcall.Transition{Key: d.Key(), Owner: owner, Token: d.Lease.Token, At: at,
					To: signedcall.StatusDialling, Limits: limits, MaxConcurrent: maxConcurrent}
				ts = append(ts, tr)
				tr.To, tr.Limits, tr.MaxConcurrent = signedcall.StatusAnswered, nil, 0
				ts = append(ts, tr)
			}
			errs, err := s.Apply(t.Context(), ts)
			if err != nil {
				t.Errorf("%s: Apply = %v", owner, err)
				return
			}
			mu.Lock()
			for i, e := range errs {
				switch {
				case e == nil && ts[i].To == signedcall.StatusDialling:
					calls++
					if limits != nil {
						limited[ds[i/2].Phone]++
					}
				case e == nil:
				case ts[i].To == signedcall.StatusDialling && errors.Is(e, signedcall.ErrLimited):
				default:
					t.Errorf("%s: Apply(%s to %s) = %v", owner, ts[i].Key.UserID, ts[i].To, e)
				}
			}
			mu.Unlock()
		}
	}
	for p, s := range stores {
		for w := range 3 {
			limits := []signedcall.Limit{perPerson}
			if w == 1 {
				limits = append(limits, limit(1000, time.Second, signedcall.ScopeCampaign))
			}
			wg.Go(func() {
				worker(s, fmt.Sprintf("limited-%d-%d", p, w), limitedCIDs[w:], limits, 1000*(w%2))
			})
		}
		wg.Go(func() { worker(s, fmt.Sprintf("free-%d", p), []uuid.UUID{free}, nil, 0) })
	}
	wg.Wait()

	for i := range 8 {
		n := limited[phone(i)]
		switch {
		case i < 4 && n > 2:
			t.Errorf("number %d, also called without limits, got %d limited calls, want at most 2", i, n)
		case i >= 4 && n != 2:
			t.Errorf("number %d got %d limited calls, want 2", i, n)
		}
	}
	if n := countStarts(t, stores[0], ""); n != calls {
		t.Errorf("call_starts has %d rows, want one per call: %d", n, calls)
	}
	for _, cid := range append(limitedCIDs, free) {
		m, err := stores[1].Counts(t.Context(), cid)
		if err != nil || m[signedcall.StatusAnswered] != 40 {
			t.Errorf("Counts(%s) = %v, %v; want 40 answered", cid, m, err)
		}
	}
}

// TestPruneCallStarts: a prune deletes the starts at or before the latest
// start written minus MaxLimitWindow and the slack, through the
// campaigns, and keeps the rest.
func TestPruneCallStarts(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	pgstore.SetPruneEvery(s, 1)
	cid := materializedWith(t, s, phoneOf, 2)
	other := uuid.New() // a campaign the Store does not have
	at := base.Add(time.Hour)
	cutoff := at.Add(-signedcall.MaxLimitWindow - pgstore.PruneSlack)
	for _, st := range []struct {
		cid uuid.UUID
		at  time.Time
	}{
		{cid, cutoff.Add(-time.Hour)}, {cid, cutoff}, {cid, cutoff.Add(time.Millisecond)},
		{other, cutoff.Add(-time.Hour)},
	} {
		if _, err := pgstore.Pool(s).Exec(t.Context(),
			"INSERT INTO call_starts (campaign_id, phone, at) VALUES ($1, '+999000000000', $2)", st.cid, st.at); err != nil {
			t.Fatal(err)
		}
	}
	ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: 2 * time.Hour, Limit: 2})
	if err != nil || len(ds) != 2 {
		t.Fatalf("Claim = %d, %v", len(ds), err)
	}
	errs, err := s.Apply(t.Context(), []signedcall.Transition{{
		Key: ds[0].Key(), Owner: "a", Token: ds[0].Lease.Token, To: signedcall.StatusDialling, At: at,
	}})
	if err != nil || errs[0] != nil {
		t.Fatalf("Apply(dial) = %v, %v", errs, err)
	}
	rows, err := pgstore.Pool(s).Query(t.Context(), "SELECT at FROM call_starts WHERE campaign_id = $1 ORDER BY at", cid)
	if err != nil {
		t.Fatal(err)
	}
	var got []time.Time
	for rows.Next() {
		var a time.Time
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		got = append(got, a.UTC())
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if want := []time.Time{cutoff.Add(time.Millisecond), at}; !cmp.Equal(got, want) {
		t.Errorf("starts of the campaign after the prune = %v, want %v", got, want)
	}
	// Starts of a campaign the Store does not have are out of its reach.
	if n, err := s.Prune(at); err != nil || n != 2 {
		t.Errorf("Prune(everything) = %d, %v; want the campaign's 2", n, err)
	}
	if n := countStarts(t, s, ""); n != 1 {
		t.Errorf("call_starts after pruning everything has %d rows, want the other campaign's 1", n)
	}
}

// ---- benchmarks ----

// BenchmarkClaimApplyLimited is BenchmarkClaimApply with limits on every
// move to dialling, each delivery its own number: per-person limits only,
// which share the campaign row; and with a pace and a cap on calls in
// progress too, which lock it. Each round claims and dials a second after
// the one before, as a dispatcher would, so the pace's window holds one
// round's starts and the cap counts one round's calls.
func BenchmarkClaimApplyLimited(b *testing.B) {
	for _, bc := range []struct {
		name          string
		limits        []signedcall.Limit
		maxConcurrent int
	}{
		{"person", []signedcall.Limit{
			limit(3, 24*time.Hour, signedcall.ScopePersonCampaign), limit(4, 30*24*time.Hour, signedcall.ScopePerson),
		}, 0},
		{"person+pace+cap", []signedcall.Limit{
			limit(3, 24*time.Hour, signedcall.ScopePersonCampaign), limit(4, 30*24*time.Hour, signedcall.ScopePerson),
			limit(1000, time.Second, signedcall.ScopeCampaign),
		}, 1000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := newStore(b)
			const n, batch = 100_000, 100
			var cid uuid.UUID
			left := 0
			ts := make([]signedcall.Transition, 0, 2*batch)
			at := base
			for b.Loop() {
				if left < batch {
					b.StopTimer()
					cid, left = materializedWith(b, s, func(i int, d *signedcall.Delivery) {
						d.Phone = fmt.Sprintf("+1555%07d", i)
					}, n), n
					b.StartTimer()
				}
				at = at.Add(time.Second)
				ds, err := s.Claim(b.Context(), signedcall.ClaimRequest{
					CampaignID: cid, Owner: "bench", Now: at, Lease: time.Minute, Limit: batch,
				})
				if err != nil || len(ds) != batch {
					b.Fatalf("Claim = %d, %v; want %d", len(ds), err, batch)
				}
				left -= batch
				ts = ts[:0]
				for _, d := range ds {
					tr := signedcall.Transition{Key: d.Key(), Owner: "bench", Token: d.Lease.Token, At: at,
						To: signedcall.StatusDialling, Limits: bc.limits, MaxConcurrent: bc.maxConcurrent}
					ts = append(ts, tr)
				}
				// Moves to dialling under limits, then the outcomes.
				for _, step := range [][]signedcall.Transition{ts, outcomes(ts)} {
					errs, err := s.Apply(b.Context(), step)
					if err != nil {
						b.Fatal(err)
					}
					for _, e := range errs {
						if e != nil {
							b.Fatal(e)
						}
					}
				}
			}
			b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}

// outcomes returns the answered moves following the moves ts.
func outcomes(ts []signedcall.Transition) []signedcall.Transition {
	out := make([]signedcall.Transition, len(ts))
	for i, t := range ts {
		t.To, t.Limits, t.MaxConcurrent = signedcall.StatusAnswered, nil, 0
		out[i] = t
	}
	return out
}
