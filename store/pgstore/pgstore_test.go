package pgstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/pgstore"
	"github.com/signedcall/signedcall/store/storetest"
)

const envDSN = "SIGNEDCALL_TEST_POSTGRES"

var base = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// testDSN returns the test server's DSN, or skips the test.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(envDSN)
	if dsn == "" {
		t.Skip("set " + envDSN + "=postgres://postgres@127.0.0.1:5432/test?sslmode=disable to run the PostgreSQL tests")
	}
	return dsn
}

// admin runs one statement on its own connection to the test server.
func admin(ctx context.Context, dsn, sql string) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// newSchema creates an empty schema for the test and drops it, with
// everything in it, when the test ends.
func newSchema(t testing.TB) string {
	t.Helper()
	dsn := testDSN(t)
	b := make([]byte, 8)
	rand.Read(b)
	schema := "sc_test_" + hex.EncodeToString(b)
	if err := admin(t.Context(), dsn, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		// t.Context is canceled by the time cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := admin(ctx, dsn, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// newPool returns a pool whose connections use schema, closed when the
// test ends (before the schema is dropped, if newSchema came first).
func newPool(t testing.TB, schema string) *pgxpool.Pool {
	t.Helper()
	cfg, err := pgxpool.ParseConfig(testDSN(t))
	if err != nil {
		t.Fatalf("parse %s: %v", envDSN, err)
	}
	cfg.ConnConfig.RuntimeParams["search_path"] = schema
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatalf("pool for schema %s: %v", schema, err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// newStore returns a Store in a schema of its own.
func newStore(t testing.TB) *pgstore.Store {
	t.Helper()
	return storeIn(t, newSchema(t))
}

// storeIn returns a Store on a new pool in schema.
func storeIn(t testing.TB, schema string) *pgstore.Store {
	t.Helper()
	s, err := pgstore.New(t.Context(), newPool(t, schema))
	if err != nil {
		t.Fatalf("New(schema %s) = %v", schema, err)
	}
	t.Cleanup(s.Close)
	return s
}

// dsnWithSchema returns the test DSN with search_path set to schema.
func dsnWithSchema(t testing.TB, schema string) string {
	t.Helper()
	u, err := url.Parse(testDSN(t))
	if err != nil {
		t.Fatalf("%s is not a URL: %v", envDSN, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) signedcall.Store { return newStore(t) })
}

// TestStatusLiterals checks that the statuses the SQL spells out are the
// package's values.
func TestStatusLiterals(t *testing.T) {
	t.Parallel()
	for st, want := range map[signedcall.Status]string{
		signedcall.StatusPending:  "pending",
		signedcall.StatusClaimed:  "claimed",
		signedcall.StatusDialling: "dialling",
		signedcall.StatusUnknown:  "unknown",
	} {
		if string(st) != want {
			t.Errorf("status %q: the SQL in pgstore writes it as %q", st, want)
		}
	}
}

// ---- opening and migrations ----

// versions returns the rows of the schema's version table.
func versions(t *testing.T, pool *pgxpool.Pool) []int {
	t.Helper()
	rows, err := pool.Query(t.Context(), "SELECT version FROM signedcall_schema_version ORDER BY version")
	if err != nil {
		t.Fatalf("read versions: %v", err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		t.Fatalf("read versions: %v", err)
	}
	return vs
}

// allVersions returns the version rows a schema this package migrated
// from nothing has: 1 to the newest.
func allVersions() []int {
	vs := make([]int, pgstore.SchemaVersion)
	for i := range vs {
		vs[i] = i + 1
	}
	return vs
}

// objects describes every relation in schema and the version rows, to
// show that a refused Open changed nothing.
func objects(t *testing.T, pool *pgxpool.Pool, schema string) string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
		SELECT c.relname || ':' || c.relkind::text
		FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
		WHERE n.nspname = $1
		ORDER BY 1`, schema)
	if err != nil {
		t.Fatalf("list objects: %v", err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatalf("list objects: %v", err)
	}
	return fmt.Sprint(names, versions(t, pool))
}

func TestOpen(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	dsn := dsnWithSchema(t, schema)
	for i := range 2 { // the second open finds the schema current
		s, err := pgstore.Open(t.Context(), dsn)
		if err != nil {
			t.Fatalf("Open #%d = %v, want nil", i+1, err)
		}
		c := newCampaign(t)
		if err := s.CreateCampaign(t.Context(), c); err != nil {
			t.Errorf("CreateCampaign after Open #%d = %v", i+1, err)
		}
		s.Close()
	}
	if got, want := versions(t, newPool(t, schema)), allVersions(); !slices.Equal(got, want) {
		t.Errorf("schema versions after two opens = %v, want %v", got, want)
	}
}

// TestMigrateConcurrent opens one fresh schema from several pools at once,
// as processes starting together would: all succeed and the migration is
// applied once.
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	const n = 6
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i] = newPool(t, schema)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range pools {
		wg.Go(func() {
			<-start
			_, errs[i] = pgstore.New(t.Context(), p)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("New #%d = %v, want nil", i, err)
		}
	}
	if got, want := versions(t, pools[0]), allVersions(); !slices.Equal(got, want) {
		t.Errorf("schema versions = %v, want %v", got, want)
	}
}

func TestSchemaTooNew(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	s := storeIn(t, schema)
	c := newCampaign(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatalf("CreateCampaign = %v", err)
	}
	pool := newPool(t, schema)
	if _, err := pool.Exec(t.Context(), "INSERT INTO signedcall_schema_version (version) VALUES (1000)"); err != nil {
		t.Fatalf("record version 1000: %v", err)
	}
	before := objects(t, pool, schema)

	_, err := pgstore.New(t.Context(), newPool(t, schema))
	if !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Errorf("New(schema at version 1000) = %v, want ErrSchemaTooNew", err)
	}
	_, err = pgstore.Open(t.Context(), dsnWithSchema(t, schema))
	if !errors.Is(err, pgstore.ErrSchemaTooNew) {
		t.Errorf("Open(schema at version 1000) = %v, want ErrSchemaTooNew", err)
	}
	if after := objects(t, pool, schema); after != before {
		t.Errorf("schema after refused opens:\n%s\nwant as before:\n%s", after, before)
	}
	if _, err := s.Campaign(t.Context(), c.ID); err != nil {
		t.Errorf("Campaign after refused opens = %v, want nil", err)
	}
}

func TestOpenNoSchema(t *testing.T) {
	t.Parallel()
	_, err := pgstore.Open(t.Context(), dsnWithSchema(t, "sc_test_does_not_exist"))
	if err == nil || !strings.Contains(err.Error(), "search_path") {
		t.Errorf("Open(search_path names no schema) = %v, want an error naming search_path", err)
	}
}

func TestNewNilPool(t *testing.T) {
	t.Parallel()
	if _, err := pgstore.New(t.Context(), nil); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("New(nil) = %v, want ErrInvalid", err)
	}
}

// TestOpenUnreachable needs no server: nothing listens on port 1.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"postgres://postgres@127.0.0.1:1/test?sslmode=disable",
		// TEST-NET-1 is never routed: the connect either fails at once
		// or runs into the default connect timeout.
		"postgres://postgres@192.0.2.1:5432/test?sslmode=disable",
	} {
		start := time.Now()
		s, err := pgstore.Open(t.Context(), dsn)
		took := time.Since(start)
		if err == nil {
			s.Close()
			t.Errorf("Open(%s) = nil error, want one", dsn)
			continue
		}
		if !strings.HasPrefix(err.Error(), "pgstore: ") {
			t.Errorf("Open(%s) = %q, want an error starting \"pgstore: \"", dsn, err)
		}
		if took > pgstore.DefaultConnectTimeout+5*time.Second {
			t.Errorf("Open(%s) took %v, want at most about %v", dsn, took, pgstore.DefaultConnectTimeout)
		}
	}
}

// TestOpenSilentServer needs no PostgreSQL server: it listens itself and
// never answers, so only the default connect timeout ends the attempt.
func TestOpenSilentServer(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Skip("cannot listen on 127.0.0.1:", err)
	}
	defer ln.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	}()

	dsn := "postgres://postgres@" + ln.Addr().String() + "/test?sslmode=disable"
	start := time.Now()
	s, err := pgstore.Open(t.Context(), dsn)
	took := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatalf("Open(silent server) = nil error, want one")
	}
	if took > pgstore.DefaultConnectTimeout+5*time.Second {
		t.Errorf("Open(silent server) took %v, want about %v", took, pgstore.DefaultConnectTimeout)
	}
	t.Logf("Open(silent server) = %v after %v", err, took.Round(time.Millisecond))
}

func TestOpenGarbage(t *testing.T) {
	t.Parallel()
	for _, dsn := range []string{
		"::: not a dsn :::",
		"postgres://%zz@host/db",
		"host=127.0.0.1 port=notaport",
		"postgres://postgres@127.0.0.1:1/test?connect_timeout=soon",
		"postgres://postgres:sekrit@%zz/test",
		"host=127.0.0.1 password=sekrit port=notaport",
	} {
		s, err := pgstore.Open(t.Context(), dsn)
		if err == nil {
			s.Close()
			t.Errorf("Open(%q) = nil error, want one", dsn)
			continue
		}
		if !strings.HasPrefix(err.Error(), "pgstore: ") {
			t.Errorf("Open(%q) = %q, want an error starting \"pgstore: \"", dsn, err)
		}
		if strings.Contains(err.Error(), "sekrit") {
			t.Errorf("Open(%q) = %q, which shows the password", dsn, err)
		}
	}
}

// ---- data ----

func newCampaign(t testing.TB) *signedcall.Campaign {
	t.Helper()
	mock := clock.NewMock()
	mock.Set(base)
	c, err := signedcall.NewCampaign("pgstore").
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

func pending(cid uuid.UUID, user string, due time.Time) signedcall.Delivery {
	return signedcall.Delivery{
		CampaignID: cid,
		UserID:     user,
		Phone:      "+447700900123",
		TimeZone:   "Europe/London",
		ZoneSource: signedcall.ZoneFromProfile,
		Status:     signedcall.StatusPending,
		DueAt:      due,
		UpdatedAt:  base,
	}
}

// materialized creates a running campaign in s with n deliveries u000001,
// ..., all due at base.
func materialized(t testing.TB, s signedcall.Store, n int) uuid.UUID {
	t.Helper()
	return materializedWith(t, s, nil, n)
}

// materializedWith is materialized with edit, when not nil, called on
// each delivery, numbered from 0, before it is written.
func materializedWith(t testing.TB, s signedcall.Store, edit func(i int, d *signedcall.Delivery), n int) uuid.UUID {
	t.Helper()
	c := newCampaign(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatalf("CreateCampaign = %v", err)
	}
	ds := make([]signedcall.Delivery, n)
	for i := range ds {
		ds[i] = pending(c.ID, fmt.Sprintf("u%06d", i+1), base)
		if edit != nil {
			edit(i, &ds[i])
		}
	}
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatalf("Materialize(%d) = %v", n, err)
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

func all(t *testing.T, s signedcall.Store, cid uuid.UUID) []signedcall.Delivery {
	t.Helper()
	var out []signedcall.Delivery
	if err := s.Deliveries(t.Context(), cid, func(d signedcall.Delivery) error {
		out = append(out, d)
		return nil
	}); err != nil {
		t.Fatalf("Deliveries = %v", err)
	}
	return out
}

// TestTwoProcesses runs claimers on two Stores with their own pools, as two
// dispatcher processes sharing the database: no delivery goes to both, no
// token is given twice, and together they take every delivery.
func TestTwoProcesses(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	stores := []*pgstore.Store{storeIn(t, schema), storeIn(t, schema)}
	const n = 3000
	cid := materialized(t, stores[0], n)

	type got struct {
		owner string
		d     signedcall.Delivery
	}
	var (
		mu    sync.Mutex
		taken []got
		wg    sync.WaitGroup
	)
	for p, s := range stores {
		for w := range 4 {
			owner := fmt.Sprintf("process-%d/worker-%d", p, w)
			wg.Go(func() {
				req := signedcall.ClaimRequest{
					CampaignID: cid, Owner: owner, Now: base, Lease: time.Hour, Limit: 5 + 4*w,
				}
				for {
					ds, err := s.Claim(t.Context(), req)
					if err != nil {
						t.Errorf("%s: Claim = %v", owner, err)
						return
					}
					if len(ds) == 0 {
						return
					}
					ts := make([]signedcall.Transition, 0, 2*len(ds))
					for _, d := range ds {
						tr := signedcall.Transition{
							Key: d.Key(), Owner: owner, Token: d.Lease.Token, At: base.Add(time.Second),
						}
						tr.To = signedcall.StatusDialling
						ts = append(ts, tr)
						tr.To = signedcall.StatusAnswered
						ts = append(ts, tr)
					}
					errs, err := s.Apply(t.Context(), ts)
					if err != nil {
						t.Errorf("%s: Apply = %v", owner, err)
						return
					}
					for i, e := range errs {
						if e != nil {
							t.Errorf("%s: Apply(%s to %s) = %v", owner, ts[i].Key.UserID, ts[i].To, e)
						}
					}
					mu.Lock()
					for _, d := range ds {
						taken = append(taken, got{owner, d})
					}
					mu.Unlock()
				}
			})
		}
	}
	wg.Wait()

	byUser := map[string]string{}
	byToken := map[int64]string{}
	for _, g := range taken {
		if other, dup := byUser[g.d.UserID]; dup {
			t.Errorf("%s claimed by both %s and %s", g.d.UserID, other, g.owner)
		}
		byUser[g.d.UserID] = g.owner
		if other, dup := byToken[g.d.Lease.Token]; dup {
			t.Errorf("token %d given to both %s and %s", g.d.Lease.Token, other, g.d.UserID)
		}
		byToken[g.d.Lease.Token] = g.d.UserID
	}
	if len(byUser) != n {
		t.Errorf("claimers took %d distinct deliveries, want %d", len(byUser), n)
	}
	m, err := stores[1].Counts(t.Context(), cid)
	if err != nil || m[signedcall.StatusAnswered] != n || len(m) != 1 {
		t.Errorf("Counts = %v, %v; want %d answered", m, err, n)
	}
}

// TestRescueAcrossStores has one process rescue another's expired lease:
// the first can no longer write.
func TestRescueAcrossStores(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	a, b := storeIn(t, schema), storeIn(t, schema)
	cid := materialized(t, a, 1)
	claim := func(s signedcall.Store, owner string, now time.Time) signedcall.Delivery {
		t.Helper()
		ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{
			CampaignID: cid, Owner: owner, Now: now, Lease: time.Minute, Limit: 10,
		})
		if err != nil || len(ds) != 1 {
			t.Fatalf("Claim(%s) = %d deliveries, %v; want 1", owner, len(ds), err)
		}
		return ds[0]
	}
	da := claim(a, "dispatcher", base)
	db := claim(b, "dispatcher", base.Add(time.Minute))
	if db.Lease.Token <= da.Lease.Token {
		t.Errorf("rescue token %d, want more than %d", db.Lease.Token, da.Lease.Token)
	}
	tr := signedcall.Transition{
		Key: da.Key(), Owner: "dispatcher", Token: da.Lease.Token,
		To: signedcall.StatusDialling, At: base.Add(time.Minute),
	}
	errs, err := a.Apply(t.Context(), []signedcall.Transition{tr})
	if err != nil || !errors.Is(errs[0], signedcall.ErrLeaseLost) {
		t.Errorf("Apply(first holder after the rescue) = %v, %v; want ErrLeaseLost", errs, err)
	}
	tr.Token = db.Lease.Token
	errs, err = a.Apply(t.Context(), []signedcall.Transition{tr})
	if err != nil || errs[0] != nil {
		t.Errorf("Apply(rescuer's lease, through the other store) = %v, %v; want nil", errs, err)
	}
}

// TestTimes stores times in another zone and with nanoseconds: they come
// back in UTC, truncated to microseconds.
func TestTimes(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := newCampaign(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	due := time.Date(2026, 12, 5, 5, 0, 0, 123456789, ny)
	d := pending(c.ID, "u1", due)
	d.UpdatedAt = due
	if err := s.Materialize(t.Context(), c.ID, []signedcall.Delivery{d}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Delivery(t.Context(), d.Key())
	if err != nil {
		t.Fatal(err)
	}
	want := due.Truncate(time.Microsecond)
	for name, tm := range map[string]time.Time{"DueAt": got.DueAt, "UpdatedAt": got.UpdatedAt} {
		if !tm.Equal(want) || tm.Location() != time.UTC {
			t.Errorf("%s = %v, want %v in UTC", name, tm, want.UTC())
		}
	}
	if !got.FinishedAt.IsZero() || got.Lease != (signedcall.Lease{}) {
		t.Errorf("FinishedAt %v, Lease %+v; want zero", got.FinishedAt, got.Lease)
	}
	next, ok, err := s.NextDue(t.Context(), c.ID)
	if err != nil || !ok || !next.Equal(want) || next.Location() != time.UTC {
		t.Errorf("NextDue = %v, %t, %v; want %v in UTC", next, ok, err, want.UTC())
	}
}

// TestByteOrder checks that user order is byte order, whatever the
// database's collation, in Deliveries and in claims with equal due times.
func TestByteOrder(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := newCampaign(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	users := []string{"b", "B", "a", "A", "é", "e", "_x", "~", "Z9", "z10", "a b", "ab"}
	var ds []signedcall.Delivery
	for _, u := range users {
		ds = append(ds, pending(c.ID, u, base))
	}
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(users)
	slices.Sort(want)

	var walked []string
	for _, d := range all(t, s, c.ID) {
		walked = append(walked, d.UserID)
	}
	if diff := cmp.Diff(want, walked); diff != "" {
		t.Errorf("Deliveries order (-want +got):\n%s", diff)
	}
	got, err := s.Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Minute, Limit: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	var claimed []string
	for _, d := range got {
		claimed = append(claimed, d.UserID)
	}
	if diff := cmp.Diff(want[:5], claimed); diff != "" {
		t.Errorf("Claim(limit 5) order (-want +got):\n%s", diff)
	}
}

// TestUnstorableText checks text PostgreSQL cannot hold: refused as
// invalid, or not found for a key, and nothing written.
func TestUnstorableText(t *testing.T) {
	t.Parallel()
	s := newStore(t)
	c := newCampaign(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"nul\x00", "latin1 \xe9"} {
		ds := []signedcall.Delivery{pending(c.ID, "u1", base), pending(c.ID, bad, base)}
		if err := s.Materialize(t.Context(), c.ID, ds); !errors.Is(err, signedcall.ErrInvalid) {
			t.Errorf("Materialize(user %q) = %v, want ErrInvalid", bad, err)
		}
		if _, err := s.Delivery(t.Context(), signedcall.Key{CampaignID: c.ID, UserID: bad}); !errors.Is(err, signedcall.ErrNotFound) {
			t.Errorf("Delivery(user %q) = %v, want ErrNotFound", bad, err)
		}
	}
	if got := all(t, s, c.ID); len(got) != 0 {
		t.Fatalf("Deliveries after refused Materialize = %d, want none", len(got))
	}
	cid := materialized(t, s, 2)
	req := signedcall.ClaimRequest{CampaignID: cid, Owner: "\xff", Now: base, Lease: time.Minute, Limit: 2}
	if _, err := s.Claim(t.Context(), req); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Claim(owner \\xff) = %v, want ErrInvalid", err)
	}
	req.Owner = "a"
	ds, err := s.Claim(t.Context(), req)
	if err != nil || len(ds) != 2 {
		t.Fatalf("Claim = %d, %v; want 2", len(ds), err)
	}
	tr := func(d signedcall.Delivery, reason string) signedcall.Transition {
		return signedcall.Transition{
			Key: d.Key(), Owner: "a", Token: d.Lease.Token, To: signedcall.StatusAnswered, Reason: reason, At: base,
		}
	}
	wrongOwner := tr(ds[1], "ok")
	wrongOwner.Owner = "a\x00"
	errs, err := s.Apply(t.Context(), []signedcall.Transition{tr(ds[0], "bad\x00"), wrongOwner, tr(ds[1], "ok")})
	if err != nil {
		t.Fatalf("Apply = %v", err)
	}
	for i, want := range []error{signedcall.ErrInvalid, signedcall.ErrLeaseLost, nil} {
		if !errors.Is(errs[i], want) || (want == nil && errs[i] != nil) {
			t.Errorf("Apply item %d = %v, want %v", i, errs[i], want)
		}
	}
	if _, err := s.FinishRemaining(t.Context(), cid, signedcall.StatusStopped, "\x00", base); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("FinishRemaining(reason NUL) = %v, want ErrInvalid", err)
	}
}

// ---- benchmarks ----

// BenchmarkMaterialize writes one campaign of a million deliveries per
// iteration with COPY.
func BenchmarkMaterialize(b *testing.B) {
	s := newStore(b)
	const n = 1_000_000
	ds := make([]signedcall.Delivery, n)
	for i := range ds {
		ds[i] = pending(uuid.Nil, fmt.Sprintf("user-%07d", i), base.Add(time.Duration(i%3600)*time.Second))
	}
	for b.Loop() {
		b.StopTimer()
		c := newCampaign(b)
		if err := s.CreateCampaign(b.Context(), c); err != nil {
			b.Fatal(err)
		}
		for i := range ds {
			ds[i].CampaignID = c.ID
		}
		b.StartTimer()
		if err := s.Materialize(b.Context(), c.ID, ds); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}

// BenchmarkClaimApply claims 100 deliveries and then applies 200
// transitions to them (dialling, then answered) per iteration, in a
// campaign of 100,000.
func BenchmarkClaimApply(b *testing.B) {
	s := newStore(b)
	const n, batch = 100_000, 100
	var cid uuid.UUID
	left := 0
	ts := make([]signedcall.Transition, 0, 2*batch)
	for b.Loop() {
		if left < batch {
			b.StopTimer()
			cid, left = materialized(b, s, n), n
			b.StartTimer()
		}
		ds, err := s.Claim(b.Context(), signedcall.ClaimRequest{
			CampaignID: cid, Owner: "bench", Now: base, Lease: time.Minute, Limit: batch,
		})
		if err != nil || len(ds) != batch {
			b.Fatalf("Claim = %d, %v; want %d", len(ds), err, batch)
		}
		left -= batch
		ts = ts[:0]
		for _, d := range ds {
			tr := signedcall.Transition{Key: d.Key(), Owner: "bench", Token: d.Lease.Token, At: base}
			tr.To = signedcall.StatusDialling
			ts = append(ts, tr)
			tr.To = signedcall.StatusAnswered
			ts = append(ts, tr)
		}
		errs, err := s.Apply(b.Context(), ts)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range errs {
			if e != nil {
				b.Fatal(e)
			}
		}
	}
	b.ReportMetric(float64(batch)*float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
