package pgstore_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/memstore"
	"github.com/signedcall/signedcall/store/pgstore"
)

// errClass names the sentinel an Apply result matches.
func errClass(err error) string {
	for _, c := range []struct {
		name string
		err  error
	}{
		{"ErrLeaseLost", signedcall.ErrLeaseLost},
		{"ErrNotFound", signedcall.ErrNotFound},
		{"ErrNotRunning", signedcall.ErrNotRunning},
		{"ErrInvalid", signedcall.ErrInvalid},
	} {
		if errors.Is(err, c.err) {
			return c.name
		}
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return "nil"
}

// TestApplyLikeMemstore sends the same long Apply calls to pgstore and to
// memstore, the reference, and compares every result and then every
// delivery. The calls mix two campaigns, unknown keys, wrong leases, moves
// the rules forbid and deliveries named several times in one call, and one
// is made while a campaign is paused.
func TestApplyLikeMemstore(t *testing.T) {
	t.Parallel()
	type side struct {
		name   string
		s      signedcall.Store
		cids   [2]uuid.UUID
		tokens [2]map[string]int64 // the lease each user was claimed with
	}
	sides := []*side{{name: "pgstore", s: newStore(t)}, {name: "memstore", s: memstore.New()}}
	sizes := [2]int{300, 60}
	for _, sd := range sides {
		for c, n := range sizes {
			sd.cids[c] = materialized(t, sd.s, n)
			ds, err := sd.s.Claim(t.Context(), signedcall.ClaimRequest{
				CampaignID: sd.cids[c], Owner: "a", Now: base, Lease: time.Hour, Limit: n - 10,
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
	unknownCampaign := uuid.New()

	// op is one transition, described so that it means the same in both
	// stores.
	type op struct {
		campaign int // 0, 1 or 2 for an unknown campaign
		user     string
		owner    string
		badToken bool
		to       signedcall.Status
		due      time.Duration
		reason   string
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	gen := func(k int, at time.Duration) []op {
		ops := make([]op, k)
		for i := range ops {
			o := op{campaign: rng.IntN(2), owner: "a", due: at + time.Duration(rng.IntN(100))*time.Second}
			if rng.IntN(50) == 0 {
				o.campaign = 2
			}
			o.user = fmt.Sprintf("u%06d", 1+rng.IntN(sizes[o.campaign%2]+3))
			if rng.IntN(50) == 0 {
				o.user = "nul\x00"
			}
			switch rng.IntN(20) {
			case 0:
				o.owner = "b"
			case 1:
				o.owner = pick("", "a\x00")
			case 2:
				o.badToken = true
			}
			o.to = signedcall.Status(pick(
				"dialling", "dialling", "dialling", "pending", "answered", "busy", "unknown", "stopped",
				"claimed", "bogus"))
			o.reason = pick("", "", "released", "caller_error")
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
				To: o.to, DueAt: base.Add(o.due), Reason: o.reason, At: base.Add(at),
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

	for round, between := range []func(){
		nil,
		func() { setState(signedcall.StateRunning, signedcall.StatePaused) },
		func() { setState(signedcall.StatePaused, signedcall.StateRunning) },
	} {
		if between != nil {
			between()
		}
		at := time.Duration(round+1) * time.Minute
		ops := gen(500, at)
		var got [2][]string
		for j, sd := range sides {
			errs, err := sd.s.Apply(t.Context(), transitions(sd, ops, at))
			if err != nil {
				t.Fatalf("%s: Apply(round %d) = %v", sd.name, round, err)
			}
			for _, e := range errs {
				got[j] = append(got[j], errClass(e))
			}
		}
		for i := range ops {
			if got[0][i] != got[1][i] {
				t.Errorf("round %d, transition %d %+v: pgstore %s, memstore %s", round, i, ops[i], got[0][i], got[1][i])
			}
		}
	}

	// Leases are compared by whether they are still the first claim's.
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
}

// TestApplyOverlapping runs, on two Stores at once, Apply calls that name
// the same deliveries in different orders, real writes in reverse order,
// and FinishRemaining. Every call takes its row locks in key order, so
// none waits for another in a cycle: PostgreSQL reports no deadlock.
func TestApplyOverlapping(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	stores := []*pgstore.Store{storeIn(t, schema), storeIn(t, schema)}
	const n = 400
	cid := materialized(t, stores[0], n)
	held, err := stores[0].Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: n / 2,
	})
	if err != nil || len(held) != n/2 {
		t.Fatalf("Claim = %d, %v; want %d", len(held), err, n/2)
	}

	// Transitions with a lease no delivery has: they lock every row and
	// write none.
	var locks []signedcall.Transition
	for i := range n {
		locks = append(locks, signedcall.Transition{
			Key:   signedcall.Key{CampaignID: cid, UserID: fmt.Sprintf("u%06d", i+1)},
			Owner: "nobody", Token: -1, To: signedcall.StatusAnswered, At: base,
		})
	}
	var wg sync.WaitGroup
	for w := range 6 {
		s := stores[w%2]
		rng := rand.New(rand.NewPCG(uint64(w), 7))
		wg.Go(func() {
			ts := append([]signedcall.Transition(nil), locks...)
			for range 15 {
				rng.Shuffle(len(ts), func(i, j int) { ts[i], ts[j] = ts[j], ts[i] })
				errs, err := s.Apply(t.Context(), ts)
				if err != nil {
					t.Errorf("Apply(%d locks) = %v", len(ts), err)
					return
				}
				for i, e := range errs {
					if !errors.Is(e, signedcall.ErrLeaseLost) {
						t.Errorf("Apply(%s, wrong lease) = %v, want ErrLeaseLost", ts[i].Key.UserID, e)
						return
					}
				}
			}
		})
	}
	wg.Go(func() {
		// The held deliveries, answered a few at a time from the last.
		for i := len(held); i > 0; i -= 25 {
			var ts []signedcall.Transition
			for j := i - 1; j >= max(0, i-25); j-- {
				d := held[j]
				ts = append(ts, signedcall.Transition{
					Key: d.Key(), Owner: "a", Token: d.Lease.Token, To: signedcall.StatusAnswered, At: base,
				})
			}
			errs, err := stores[1].Apply(t.Context(), ts)
			if err != nil {
				t.Errorf("Apply(answered) = %v", err)
				return
			}
			for k, e := range errs {
				if e != nil {
					t.Errorf("Apply(%s answered) = %v", ts[k].Key.UserID, e)
				}
			}
		}
	})
	wg.Go(func() {
		if _, err := stores[0].FinishRemaining(t.Context(), cid, signedcall.StatusExpired, "cut_off", base); err != nil {
			t.Errorf("FinishRemaining = %v", err)
		}
	})
	wg.Wait()
	m, err := stores[0].Counts(t.Context(), cid)
	want := map[signedcall.Status]int{signedcall.StatusAnswered: n / 2, signedcall.StatusExpired: n / 2}
	if err != nil || !cmp.Equal(m, want) {
		t.Errorf("Counts = %v, %v; want %v", m, err, want)
	}
}

// TestApplyPlans checks the plans of Apply's statements on a campaign just
// materialized, which has no statistics yet, for a generic plan and for a
// custom plan of a thousand transitions: every delivery is reached through
// the primary key or by tuple ID, never by scanning the campaign.
func TestApplyPlans(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	pool := newPool(t, schema)
	s, err := pgstore.New(t.Context(), pool)
	if err != nil {
		t.Fatal(err)
	}
	const n = 20000
	cid := materialized(t, s, n)
	held, err := s.Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: 1000,
	})
	if err != nil || len(held) != 1000 {
		t.Fatalf("Claim = %d, %v", len(held), err)
	}
	// The arguments are written out as literals: EXPLAIN EXECUTE takes
	// no parameters.
	array := func(n int, f func(i int) string) string {
		var b strings.Builder
		b.WriteString("'{")
		for i := range n {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + f(i) + `"`)
		}
		b.WriteString("}'")
		return b.String()
	}
	at := base.Format(time.RFC3339)
	campaign := "'" + cid.String() + "'::uuid"
	users := array(len(held), func(i int) string { return held[i].UserID }) + "::text[]"
	write := strings.Join([]string{
		campaign, users,
		array(len(held), func(int) string { return "a" }) + "::text[]",
		array(len(held), func(i int) string { return fmt.Sprint(held[i].Lease.Token) }) + "::bigint[]",
		array(len(held), func(int) string { return string(signedcall.StatusDialling) }) + "::text[]",
		array(len(held), func(int) string { return at }) + "::timestamptz[]",
		array(len(held), func(int) string { return "" }) + "::text[]",
		array(len(held), func(int) string { return at }) + "::timestamptz[]",
		"true",
	}, ", ")

	rows, err := pool.Query(t.Context(),
		"SELECT ctid::text FROM deliveries WHERE campaign_id = $1 AND user_id = ANY ($2) ORDER BY user_id",
		cid, func() []string {
			var us []string
			for _, d := range held {
				us = append(us, d.UserID)
			}
			return us
		}())
	if err != nil {
		t.Fatal(err)
	}
	tids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tids) != len(held) {
		t.Fatalf("tuple IDs = %d, %v", len(tids), err)
	}
	campaigns := array(len(held), func(int) string { return cid.String() }) + "::uuid[]"
	limitWrite := strings.Join([]string{
		array(len(held), func(i int) string { return tids[i] }) + "::tid[]",
		array(len(held), func(int) string { return string(signedcall.StatusDialling) }) + "::text[]",
		array(len(held), func(int) string { return "1" }) + "::integer[]",
		array(len(held), func(int) string { return at }) + "::timestamptz[]",
		array(len(held), func(int) string { return "a" }) + "::text[]",
		array(len(held), func(i int) string { return fmt.Sprint(held[i].Lease.Token) }) + "::bigint[]",
		array(len(held), func(int) string { return at }) + "::timestamptz[]",
		array(len(held), func(int) string { return "" }) + "::text[]",
		array(len(held), func(int) string { return at }) + "::timestamptz[]",
		array(len(held), func(int) string { return "NULL" }) + "::timestamptz[]",
	}, ", ")
	limitWrite = strings.ReplaceAll(limitWrite, `"NULL"`, "NULL")

	conn, err := pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	stmts := []struct{ name, sql, params, args string }{
		{"lock", pgstore.ApplyLockSQL, "uuid, text[]", campaign + ", " + users},
		{"write", pgstore.ApplyWriteSQL,
			"uuid, text[], text[], bigint[], text[], timestamptz[], text[], timestamptz[], boolean", write},
		{"limit_lock", pgstore.LimitLockSQL, "uuid, text[]", campaign + ", " + users},
		{"limit_phone_lock", pgstore.LimitPhoneLockSQL, "integer, uuid[], text[]", "1, " + campaigns + ", " + users},
		{"limit_person_starts", pgstore.LimitPersonStartsSQL, "uuid[], text[], timestamptz",
			campaigns + ", " + users + ", '" + at + "'"},
		{"limit_write", pgstore.LimitWriteSQL,
			"tid[], text[], integer[], timestamptz[], text[], bigint[], timestamptz[], text[], timestamptz[], timestamptz[]",
			limitWrite},
	}
	for _, st := range stmts {
		if _, err := conn.Exec(t.Context(), "PREPARE plan_"+st.name+" ("+st.params+") AS "+st.sql); err != nil {
			t.Fatalf("prepare %s: %v", st.name, err)
		}
		for _, mode := range []string{"force_generic_plan", "force_custom_plan"} {
			tx, err := conn.Begin(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := tx.Exec(t.Context(), "SET LOCAL plan_cache_mode = "+mode); err != nil {
				t.Fatal(err)
			}
			var out []byte
			err = tx.QueryRow(t.Context(), "EXPLAIN (FORMAT JSON) EXECUTE plan_"+st.name+"("+st.args+")").Scan(&out)
			_ = tx.Rollback(t.Context())
			if err != nil {
				t.Fatalf("explain %s (%s): %v", st.name, mode, err)
			}
			var plans []struct{ Plan planNode }
			if err := json.Unmarshal(out, &plans); err != nil || len(plans) != 1 {
				t.Fatalf("explain %s (%s): %v: %s", st.name, mode, err, out)
			}
			var walk func(p *planNode)
			walk = func(p *planNode) {
				if p.Relation == "deliveries" {
					switch p.Type {
					case "Index Scan", "Index Only Scan", "Tid Scan", "ModifyTable":
					default:
						t.Errorf("%s (%s): %s on deliveries; want no scan of the campaign:\n%s", st.name, mode, p.Type, out)
					}
				}
				for i := range p.Plans {
					walk(&p.Plans[i])
				}
			}
			walk(&plans[0].Plan)
		}
	}
}

// planNode is a node of EXPLAIN (FORMAT JSON).
type planNode struct {
	Type     string     `json:"Node Type"`
	Relation string     `json:"Relation Name"`
	Plans    []planNode `json:"Plans"`
}
