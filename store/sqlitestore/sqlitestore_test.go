package sqlitestore_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/benbjohnson/clock"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/sqlitestore"
	"github.com/signedcall/signedcall/store/storetest"
)

var base = time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)

// open opens a Store on path and closes it when the test ends.
func open(t testing.TB, path string, opts ...sqlitestore.Option) *sqlitestore.Store {
	t.Helper()
	s, err := sqlitestore.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s) = %v, want nil", path, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close(%s) = %v", path, err)
		}
	})
	return s
}

func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "calls.db") }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) signedcall.Store { return open(t, dbPath(t)) })
}

// TestConformanceOneConnection runs the suite with reads sent through the
// writing connection.
func TestConformanceOneConnection(t *testing.T) {
	storetest.Run(t, func(t *testing.T) signedcall.Store {
		return open(t, dbPath(t), sqlitestore.WithReadConns(0))
	})
}

// TestConformanceSharedFile runs the suite with every subtest on one file
// and a Store of its own, as the suite allows a durable Store to do.
func TestConformanceSharedFile(t *testing.T) {
	path := dbPath(t)
	storetest.Run(t, func(t *testing.T) signedcall.Store { return open(t, path) })
}

func newDraft(t testing.TB) *signedcall.Campaign {
	t.Helper()
	mock := clock.NewMock()
	mock.Set(base)
	c, err := signedcall.NewCampaign("sqlitestore").
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

func created(t testing.TB, s signedcall.Store) *signedcall.Campaign {
	t.Helper()
	c := newDraft(t)
	if err := s.CreateCampaign(t.Context(), c); err != nil {
		t.Fatalf("CreateCampaign = %v, want nil", err)
	}
	return c
}

// dueDeliveries returns n pending deliveries of campaign cid, due at base.
func dueDeliveries(cid uuid.UUID, n int) []signedcall.Delivery {
	ds := make([]signedcall.Delivery, n)
	for i := range ds {
		ds[i] = signedcall.Delivery{
			CampaignID: cid, UserID: fmt.Sprintf("u%07d", i),
			Phone: "+447700900123", TimeZone: "UTC", ZoneSource: signedcall.ZoneFromCampaign,
			Status: signedcall.StatusPending, DueAt: base, UpdatedAt: base,
		}
	}
	return ds
}

// withDue stores a running campaign with n pending deliveries due at
// base.
func withDue(t testing.TB, s signedcall.Store, n int) uuid.UUID {
	t.Helper()
	c := created(t, s)
	if err := s.Materialize(t.Context(), c.ID, dueDeliveries(c.ID, n)); err != nil {
		t.Fatalf("Materialize(%d) = %v, want nil", n, err)
	}
	start(t, s, c)
	return c.ID
}

// start publishes the draft c and moves it to running.
func start(t testing.TB, s signedcall.Store, c *signedcall.Campaign) {
	t.Helper()
	a := signedcall.Acknowledgement{By: "ops@example.com", At: base, Statement: signedcall.DefaultStatement}
	if err := s.PublishCampaign(t.Context(), c, a); err != nil {
		t.Fatalf("PublishCampaign = %v, want nil", err)
	}
	from := []signedcall.CampaignState{signedcall.StateScheduled}
	if err := s.TransitionCampaign(t.Context(), c.ID, from, signedcall.StateRunning, base); err != nil {
		t.Fatalf("TransitionCampaign(scheduled to running) = %v, want nil", err)
	}
}

func all(t testing.TB, s signedcall.Store, cid uuid.UUID) []signedcall.Delivery {
	t.Helper()
	var out []signedcall.Delivery
	err := s.Deliveries(t.Context(), cid, func(d signedcall.Delivery) error {
		out = append(out, d)
		return nil
	})
	if err != nil {
		t.Fatalf("Deliveries = %v", err)
	}
	return out
}

func hashFile(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestReopen writes a campaign through every kind of change, closes the
// file, opens it again and reads everything back as it was.
func TestReopen(t *testing.T) {
	path := dbPath(t)
	ctx := t.Context()
	s, err := sqlitestore.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}

	c := newDraft(t)
	if err := s.CreateCampaign(ctx, c); err != nil {
		t.Fatal(err)
	}
	a := signedcall.Acknowledgement{By: "ops@example.com", At: base, Statement: signedcall.DefaultStatement}
	if err := s.PublishCampaign(ctx, c, a); err != nil {
		t.Fatal(err)
	}
	from := []signedcall.CampaignState{signedcall.StateScheduled}
	if err := s.TransitionCampaign(ctx, c.ID, from, signedcall.StateRunning, base.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	ds := dueDeliveries(c.ID, 700)
	ds[5].Status, ds[5].Phone, ds[5].Reason, ds[5].FinishedAt = signedcall.StatusControl, "", "control", base
	// A nanosecond-precise, non-UTC due time round-trips as the same
	// instant.
	ds[6].DueAt = time.Date(2026, 12, 5, 11, 0, 0, 123456789, time.FixedZone("X", 3600))
	if err := s.Materialize(ctx, c.ID, ds); err != nil {
		t.Fatal(err)
	}
	req := signedcall.ClaimRequest{CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Hour, Limit: 3}
	got, err := s.Claim(ctx, req)
	if err != nil || len(got) != 3 {
		t.Fatalf("Claim = %d deliveries, %v", len(got), err)
	}
	errs, err := s.Apply(ctx, []signedcall.Transition{
		{Key: got[0].Key(), Owner: "a", Token: got[0].Lease.Token, To: signedcall.StatusDialling, At: base},
		{Key: got[1].Key(), Owner: "a", Token: got[1].Lease.Token, To: signedcall.StatusAnswered, Reason: "ok", At: base},
	})
	if err != nil || errors.Join(errs...) != nil {
		t.Fatalf("Apply = %v, %v", errs, err)
	}

	wantCampaign, _ := s.Campaign(ctx, c.ID)
	wantDeliveries := all(t, s, c.ID)
	wantCounts, _ := s.Counts(ctx, c.ID)
	wantNext, _, _ := s.NextDue(ctx, c.ID)
	if err := s.Close(); err != nil {
		t.Fatalf("Close = %v", err)
	}

	s2 := open(t, path)
	gotCampaign, err := s2.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(wantCampaign, gotCampaign, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Campaign after reopening (-before +after):\n%s", diff)
	}
	if wantCampaign.State != signedcall.StateRunning || wantCampaign.Acknowledgement == nil {
		t.Errorf("Campaign = %s, ack %v; want running and acknowledged", wantCampaign.State, wantCampaign.Acknowledgement)
	}
	if diff := cmp.Diff(wantDeliveries, all(t, s2, c.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Deliveries after reopening (-before +after):\n%s", diff)
	}
	if d, _ := s2.Delivery(ctx, ds[6].Key()); !d.DueAt.Equal(ds[6].DueAt) || d.DueAt.Location() != time.UTC {
		t.Errorf("DueAt after reopening = %v, want %v in UTC", d.DueAt, ds[6].DueAt)
	}
	if gotCounts, _ := s2.Counts(ctx, c.ID); !cmp.Equal(wantCounts, gotCounts) {
		t.Errorf("Counts after reopening = %v, want %v", gotCounts, wantCounts)
	}
	if next, _, _ := s2.NextDue(ctx, c.ID); !next.Equal(wantNext) {
		t.Errorf("NextDue after reopening = %v, want %v", next, wantNext)
	}

	// The lease token counter carries on: a new claim gets a larger token
	// than any before.
	got2, err := s2.Claim(ctx, req)
	if err != nil || len(got2) != 3 {
		t.Fatalf("Claim after reopening = %d deliveries, %v", len(got2), err)
	}
	if got2[0].Lease.Token <= got[2].Lease.Token {
		t.Errorf("token after reopening = %d, want more than %d", got2[0].Lease.Token, got[2].Lease.Token)
	}
	// And the held lease still writes.
	errs, err = s2.Apply(ctx, []signedcall.Transition{
		{Key: got[0].Key(), Owner: "a", Token: got[0].Lease.Token, To: signedcall.StatusBusy, At: base},
	})
	if err != nil || errs[0] != nil {
		t.Errorf("Apply(lease from before reopening) = %v, %v; want nil", errs, err)
	}
}

// TestMissingFileCreated opens a path with no file and finds it created.
func TestMissingFileCreated(t *testing.T) {
	path := dbPath(t)
	open(t, path)
	if _, err := os.Stat(path); err != nil {
		t.Errorf("Stat after Open = %v, want the file created", err)
	}
	// An empty file is a new database too.
	empty := filepath.Join(t.TempDir(), "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	created(t, open(t, empty))

	// A name with characters that mean something in a URI is a name.
	dir := filepath.Join(t.TempDir(), "a dir")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	odd := filepath.Join(dir, "calls?mode=ro#x%41.db")
	created(t, open(t, odd))
	if _, err := os.Stat(odd); err != nil {
		t.Errorf("Stat(%q) after Open = %v, want the file created under that name", odd, err)
	}

	// A relative path is taken from the working directory.
	t.Chdir(t.TempDir())
	created(t, open(t, "relative.db"))
	if _, err := os.Stat("relative.db"); err != nil {
		t.Errorf("Stat(relative.db) after Open = %v", err)
	}
}

// TestSchemaTooNew opens a file whose schema version is beyond what the
// package knows: Open refuses it and the file is unchanged.
func TestSchemaTooNew(t *testing.T) {
	path := dbPath(t)
	s := open(t, path)
	c := created(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.QueryRow(`SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v < 1 {
		t.Fatalf("schema version after Open = %d, want at least 1", v)
	}
	if _, err := db.Exec(`INSERT INTO schema_version (version, applied_at) VALUES (?, 0)`, v+1); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	before := hashFile(t, path)
	_, err = sqlitestore.Open(t.Context(), path)
	if !errors.Is(err, sqlitestore.ErrSchemaTooNew) {
		t.Fatalf("Open(schema version %d) = %v, want ErrSchemaTooNew", v+1, err)
	}
	if !strings.HasPrefix(err.Error(), "sqlitestore: ") {
		t.Errorf("error %q does not start with sqlitestore: ", err)
	}
	if hashFile(t, path) != before {
		t.Errorf("file changed by the refused Open")
	}

	// With the newer version gone, the data is all there.
	db, _ = sql.Open("sqlite", path)
	if _, err := db.Exec(`DELETE FROM schema_version WHERE version = ?`, v+1); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := open(t, path).Campaign(t.Context(), c.ID); err != nil {
		t.Errorf("Campaign after restoring the version = %v", err)
	}
}

// TestNotADatabase opens files that are not SQLite databases: Open
// refuses each with ErrNotDatabase and leaves it byte for byte as it was,
// with no -wal or -shm file beside it.
func TestNotADatabase(t *testing.T) {
	random := make([]byte, 64<<10)
	rand.Read(random)
	corrupt := append([]byte("SQLite format 3\x00"), random[:8192]...)
	tests := []struct {
		name    string
		content []byte
		wantIs  bool // whether the error must match ErrNotDatabase
	}{
		{"random bytes", random, true},
		{"text", []byte("campaign,user\nc1,u1\n"), true},
		{"one byte", []byte("x"), true},
		{"SQLite header then garbage", corrupt, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := dbPath(t)
			if err := os.WriteFile(path, tt.content, 0o600); err != nil {
				t.Fatal(err)
			}
			before := hashFile(t, path)
			s, err := sqlitestore.Open(t.Context(), path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) = nil error, want one", tt.name)
			}
			if tt.wantIs && !errors.Is(err, sqlitestore.ErrNotDatabase) {
				t.Errorf("Open(%s) = %v, want ErrNotDatabase", tt.name, err)
			}
			if !strings.HasPrefix(err.Error(), "sqlitestore: ") {
				t.Errorf("error %q does not start with sqlitestore: ", err)
			}
			t.Logf("Open(%s) = %v", tt.name, err)
			if hashFile(t, path) != before {
				t.Errorf("file changed by the refused Open")
			}
			if tt.wantIs {
				for _, suffix := range []string{"-wal", "-shm", "-journal"} {
					if _, err := os.Stat(path + suffix); err == nil {
						t.Errorf("Open(%s) left %s behind", tt.name, filepath.Base(path+suffix))
					}
				}
			}
		})
	}
}

func TestOpenInvalid(t *testing.T) {
	ctx := t.Context()
	for name, call := range map[string]func() error{
		"empty path": func() error { _, err := sqlitestore.Open(ctx, ""); return err },
		"negative busy timeout": func() error {
			_, err := sqlitestore.Open(ctx, dbPath(t), sqlitestore.WithBusyTimeout(-time.Second))
			return err
		},
		"negative read connections": func() error {
			_, err := sqlitestore.Open(ctx, dbPath(t), sqlitestore.WithReadConns(-1))
			return err
		},
	} {
		if err := call(); !errors.Is(err, signedcall.ErrInvalid) {
			t.Errorf("Open(%s) = %v, want ErrInvalid", name, err)
		}
	}
	if _, err := sqlitestore.Open(ctx, filepath.Join(t.TempDir(), "no", "such", "dir", "x.db")); err == nil {
		t.Errorf("Open(in a missing directory) = nil, want an error")
	}
}

// TestFullSync checks that the option opens a working store.
func TestFullSync(t *testing.T) {
	s := open(t, dbPath(t), sqlitestore.WithFullSync(), sqlitestore.WithBusyTimeout(time.Second))
	withDue(t, s, 10)
}

// TestTimeRange checks that times that do not fit in nanoseconds are
// refused and change nothing.
func TestTimeRange(t *testing.T) {
	s := open(t, dbPath(t))
	ctx := t.Context()
	far := time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC)

	c := created(t, s)
	ds := dueDeliveries(c.ID, 3)
	ds[2].DueAt = far
	if err := s.Materialize(ctx, c.ID, ds); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Materialize(due in 2300) = %v, want ErrInvalid", err)
	}
	// A zero due time is fine: it is due at once.
	ds[2].DueAt = time.Time{}
	if err := s.Materialize(ctx, c.ID, ds); err != nil {
		t.Fatalf("Materialize(zero due time) = %v", err)
	}
	got, err := s.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Minute, Limit: 1})
	if err != nil || len(got) != 1 || got[0].UserID != ds[2].UserID || !got[0].DueAt.IsZero() {
		t.Fatalf("Claim = %v, %v; want %s with a zero due time first", got, err, ds[2].UserID)
	}

	_, err = s.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "a", Now: far, Lease: time.Minute, Limit: 1})
	if !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("Claim(now in 2300) = %v, want ErrInvalid", err)
	}
	rel := signedcall.Transition{Key: got[0].Key(), Owner: "a", Token: got[0].Lease.Token,
		To: signedcall.StatusPending, DueAt: far, At: base}
	errs, err := s.Apply(ctx, []signedcall.Transition{rel})
	if err != nil || !errors.Is(errs[0], signedcall.ErrInvalid) {
		t.Errorf("Apply(release to 2300) = %v, %v; want ErrInvalid", errs, err)
	}
	if _, err := s.FinishRemaining(ctx, c.ID, signedcall.StatusStopped, "x", far); !errors.Is(err, signedcall.ErrInvalid) {
		t.Errorf("FinishRemaining(at 2300) = %v, want ErrInvalid", err)
	}
	if d, _ := s.Delivery(ctx, got[0].Key()); d.Status != signedcall.StatusClaimed {
		t.Errorf("delivery after refused writes is %s, want claimed", d.Status)
	}
}

// TestMaterializeInvalid mirrors memstore's rules for deliveries no
// dispatcher would write.
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
	s := open(t, dbPath(t))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := created(t, s)
			ds := dueDeliveries(c.ID, 2)
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

// TestDeliveriesReentrant checks that fn may call the Store, writes
// included, across more deliveries than one chunk.
func TestDeliveriesReentrant(t *testing.T) {
	for _, conns := range []int{0, sqlitestore.DefaultReadConns} {
		t.Run(fmt.Sprintf("readconns=%d", conns), func(t *testing.T) {
			testDeliveriesReentrant(t, open(t, dbPath(t), sqlitestore.WithReadConns(conns)))
		})
	}
}

func testDeliveriesReentrant(t *testing.T, s *sqlitestore.Store) {
	cid := withDue(t, s, 1100)
	req := signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Hour, Limit: 1100}
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
	if err != nil || n != 1100 {
		t.Fatalf("Deliveries(fn applies) = %v after %d calls, want nil after 1100", err, n)
	}
	counts, _ := s.Counts(t.Context(), cid)
	if counts[signedcall.StatusAnswered] != 1100 || len(counts) != 1 {
		t.Errorf("Counts = %v, want 1100 answered", counts)
	}
}

// TestUserOrderIsByteOrder stores user IDs whose order differs between
// byte order and case-folding or locale collations, with NUL bytes and
// invalid UTF-8 among them: each is kept byte for byte.
func TestUserOrderIsByteOrder(t *testing.T) {
	s := open(t, dbPath(t))
	c := created(t, s)
	ids := []string{"b", "B", "a", "A", "é", "e", "Z", "_", "a b", "ab", "a\x00", "\xff", "\xfe\x00"}
	ds := make([]signedcall.Delivery, len(ids))
	for i, id := range ids {
		ds[i] = dueDeliveries(c.ID, 1)[0]
		ds[i].UserID = id
	}
	if err := s.Materialize(t.Context(), c.ID, ds); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range all(t, s, c.ID) {
		got = append(got, d.UserID)
	}
	want := []string{"A", "B", "Z", "_", "a", "a\x00", "a b", "ab", "b", "e", "é", "\xfe\x00", "\xff"}
	if !cmp.Equal(got, want) {
		t.Errorf("Deliveries order = %q, want %q", got, want)
	}
	claimed, err := s.Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: c.ID, Owner: "a", Now: base, Lease: time.Minute, Limit: 100,
	})
	if err != nil {
		t.Fatal(err)
	}
	got = got[:0]
	for _, d := range claimed {
		got = append(got, d.UserID)
	}
	if !cmp.Equal(got, want) {
		t.Errorf("Claim order = %q, want %q", got, want)
	}
}

// claimAll claims and answers deliveries of cid with claimers goroutines
// on s until none is left, and returns the users each claim got.
func claimAll(ctx context.Context, s signedcall.Store, cid uuid.UUID, owner string, claimers int) ([]string, error) {
	var (
		mu    sync.Mutex
		users []string
		errs  []error
		wg    sync.WaitGroup
	)
	for w := range claimers {
		owner := fmt.Sprintf("%s-%d", owner, w)
		wg.Go(func() {
			fail := func(err error) {
				mu.Lock()
				errs = append(errs, fmt.Errorf("%s: %w", owner, err))
				mu.Unlock()
			}
			req := signedcall.ClaimRequest{
				CampaignID: cid, Owner: owner, Now: base.Add(time.Minute), Lease: time.Hour, Limit: 1 + w*5,
			}
			for {
				ds, err := s.Claim(ctx, req)
				if err != nil {
					fail(err)
					return
				}
				if len(ds) == 0 {
					return
				}
				ts := make([]signedcall.Transition, len(ds))
				mu.Lock()
				for i, d := range ds {
					users = append(users, d.UserID)
					ts[i] = signedcall.Transition{
						Key: d.Key(), Owner: owner, Token: d.Lease.Token,
						To: signedcall.StatusAnswered, At: base.Add(2 * time.Minute),
					}
				}
				mu.Unlock()
				errs, err := s.Apply(ctx, ts)
				if err == nil {
					err = errors.Join(errs...)
				}
				if err != nil {
					fail(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return users, errors.Join(errs...)
}

// checkClaimedOnce fails the test if a user is in both lists or in one
// twice, or if together they do not hold n users.
func checkClaimedOnce(t *testing.T, n int, lists map[string][]string) {
	t.Helper()
	by := map[string]string{}
	for who, users := range lists {
		for _, u := range users {
			if other, dup := by[u]; dup {
				t.Errorf("%s claimed by both %s and %s", u, other, who)
			}
			by[u] = who
		}
	}
	if len(by) != n {
		t.Errorf("claimers got %d distinct deliveries, want %d", len(by), n)
	}
	for who, users := range lists {
		t.Logf("%s claimed %d", who, len(users))
	}
}

// TestTwoStoresOneFile has two Stores on the same file, each with its own
// connections as a second process would have, claim one campaign from
// several goroutines each: no delivery goes to two claimers.
func TestTwoStoresOneFile(t *testing.T) {
	const n = 3000
	path := dbPath(t)
	s1 := open(t, path, sqlitestore.WithBusyTimeout(50*time.Millisecond))
	s2 := open(t, path, sqlitestore.WithBusyTimeout(50*time.Millisecond))
	cid := withDue(t, s1, n)

	var got1, got2 []string
	var err1, err2 error
	var wg sync.WaitGroup
	wg.Go(func() { got1, err1 = claimAll(t.Context(), s1, cid, "one", 4) })
	wg.Go(func() { got2, err2 = claimAll(t.Context(), s2, cid, "two", 4) })
	wg.Wait()
	if err := errors.Join(err1, err2); err != nil {
		t.Fatal(err)
	}
	checkClaimedOnce(t, n, map[string][]string{"store one": got1, "store two": got2})
	counts, err := s2.Counts(t.Context(), cid)
	if err != nil || counts[signedcall.StatusAnswered] != n || len(counts) != 1 {
		t.Errorf("Counts = %v, %v; want %d answered", counts, err, n)
	}
}

// helperEnv names the file a helper process claims from.
const helperEnv = "SQLITESTORE_TEST_CLAIMER_DB"

// TestHelperClaimer is not a test: TestTwoProcesses runs the test binary
// again with it selected, as a second process claiming from the file. It
// opens the file, says "ready", waits for a line on stdin and claims.
func TestHelperClaimer(t *testing.T) {
	path := os.Getenv(helperEnv)
	if path == "" {
		t.Skip("runs only as the helper process of TestTwoProcesses")
	}
	cid, err := uuid.Parse(os.Getenv(helperEnv + "_CAMPAIGN"))
	if err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	fmt.Println("ready")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		t.Fatalf("waiting for the start: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	users, err := claimAll(ctx, s, cid, "child", 4)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(os.Stdout)
	for _, u := range users {
		fmt.Fprintln(w, "claimed", u)
	}
	w.Flush()
}

// TestTwoProcesses claims one campaign from this process and from a child
// process on the same file at once: no delivery goes to both.
func TestTwoProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second process")
	}
	const n = 6000
	path := dbPath(t)
	s := open(t, path)
	cid := withDue(t, s, n)

	cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestHelperClaimer$", "-test.count=1")
	cmd.Env = append(os.Environ(), helperEnv+"="+path, helperEnv+"_CAMPAIGN="+cid.String())
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := bufio.NewScanner(stdout)
	var theirs []string
	var output strings.Builder
	ready := make(chan bool, 1)
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		for lines.Scan() {
			line := lines.Text()
			output.WriteString(line + "\n")
			if line == "ready" {
				ready <- true
			}
			if u, ok := strings.CutPrefix(line, "claimed "); ok {
				theirs = append(theirs, u)
			}
		}
		close(ready)
	}()
	if !<-ready {
		<-readDone
		cmd.Wait()
		t.Fatalf("helper process ended before it was ready:\n%s%s", output.String(), stderr.String())
	}
	// Both start claiming now.
	fmt.Fprintln(stdin, "go")
	mine, err := claimAll(t.Context(), s, cid, "parent", 4)
	<-readDone
	if werr := cmd.Wait(); werr != nil {
		t.Fatalf("helper process: %v\n%s%s", werr, output.String(), stderr.String())
	}
	if err != nil {
		t.Fatal(err)
	}
	checkClaimedOnce(t, n, map[string][]string{"this process": mine, "the child": theirs})
	if len(mine) == 0 || len(theirs) == 0 {
		t.Logf("one process claimed nothing; the two did not overlap")
	}
	counts, err := s.Counts(t.Context(), cid)
	if err != nil || counts[signedcall.StatusAnswered] != n || len(counts) != 1 {
		t.Errorf("Counts = %v, %v; want %d answered", counts, err, n)
	}
}

// TestConcurrentOpen opens one new file from several goroutines at once:
// each migrates or finds it migrated, and all work.
func TestConcurrentOpen(t *testing.T) {
	path := dbPath(t)
	var wg sync.WaitGroup
	stores := make([]*sqlitestore.Store, 6)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = sqlitestore.Open(t.Context(), path) })
	}
	wg.Wait()
	for i, s := range stores {
		if errs[i] != nil {
			t.Errorf("Open %d = %v", i, errs[i])
			continue
		}
		created(t, s)
		s.Close()
	}
}

// TestCountsMatchDeliveries runs a random mix of claims, rescues,
// transitions (stale ones included) and finishes over two campaigns, and
// after each step checks that Counts, which the Store keeps as writes
// happen, agrees with a count of the deliveries themselves.
func TestCountsMatchDeliveries(t *testing.T) {
	s := open(t, dbPath(t))
	ctx := t.Context()
	rng := mrand.New(mrand.NewPCG(1, 2))
	var cids []uuid.UUID
	for range 2 {
		c := created(t, s)
		ds := dueDeliveries(c.ID, 150)
		for i := range ds {
			ds[i].DueAt = base.Add(time.Duration(rng.IntN(600)) * time.Second)
			if i%10 == 0 {
				ds[i].Status, ds[i].FinishedAt = signedcall.StatusControl, base
			}
		}
		if err := s.Materialize(ctx, c.ID, ds); err != nil {
			t.Fatal(err)
		}
		start(t, s, c)
		cids = append(cids, c.ID)
	}
	check := func(step string) {
		t.Helper()
		for _, cid := range cids {
			want := map[signedcall.Status]int{}
			for _, d := range all(t, s, cid) {
				want[d.Status]++
			}
			got, err := s.Counts(ctx, cid)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("%s: Counts differ from the deliveries (-deliveries +Counts):\n%s", step, diff)
			}
		}
	}

	var held []signedcall.Delivery // claims, some of them stale
	now := base
	finals := signedcall.FinalStatuses
	for step := range 300 {
		now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
		cid := cids[rng.IntN(len(cids))]
		switch r := rng.IntN(10); {
		case r < 4:
			req := signedcall.ClaimRequest{CampaignID: cid, Owner: fmt.Sprint("o", rng.IntN(3)),
				Now: now, Lease: time.Duration(1+rng.IntN(60)) * time.Second, Limit: 1 + rng.IntN(20)}
			ds, err := s.Claim(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			held = append(held, ds...)
		case r < 9 && len(held) > 0:
			var ts []signedcall.Transition
			for range 1 + rng.IntN(10) {
				d := held[rng.IntN(len(held))]
				tr := signedcall.Transition{Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token, At: now}
				switch rng.IntN(3) {
				case 0:
					tr.To = signedcall.StatusDialling
				case 1:
					tr.To, tr.DueAt = signedcall.StatusPending, now.Add(time.Duration(rng.IntN(60))*time.Second)
				default:
					tr.To = finals[rng.IntN(len(finals))]
				}
				ts = append(ts, tr)
			}
			if _, err := s.Apply(ctx, ts); err != nil {
				t.Fatal(err)
			}
		case r == 9 && step > 250:
			if _, err := s.FinishRemaining(ctx, cid, signedcall.StatusExpired, "cut_off", now); err != nil {
				t.Fatal(err)
			}
		case r == 9:
			// Pause or resume, so that some moves to dialling are
			// refused.
			running := []signedcall.CampaignState{signedcall.StateRunning}
			paused := []signedcall.CampaignState{signedcall.StatePaused}
			if err := s.TransitionCampaign(ctx, cid, running, signedcall.StatePaused, now); err != nil {
				if err := s.TransitionCampaign(ctx, cid, paused, signedcall.StateRunning, now); err != nil {
					t.Fatal(err)
				}
			}
		}
		if step%5 == 4 {
			check(fmt.Sprint("step ", step))
		}
	}
	for _, cid := range cids {
		got, _ := s.Counts(ctx, cid)
		t.Logf("campaign %s: %v", cid, got)
	}
}

// TestWaitsForLock holds the write lock from another connection, as
// another process would, for far longer than the busy timeout: a write
// waits and then succeeds, and one whose context ends first returns the
// context's error and writes nothing.
func TestWaitsForLock(t *testing.T) {
	path := dbPath(t)
	s := open(t, path, sqlitestore.WithBusyTimeout(10*time.Millisecond))
	cid := withDue(t, s, 2)
	ctx := t.Context()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	lock := func() *sql.Conn {
		t.Helper()
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.ExecContext(ctx, "BEGIN IMMEDIATE"); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	unlock := func(conn *sql.Conn) {
		t.Helper()
		if _, err := conn.ExecContext(ctx, "ROLLBACK"); err != nil {
			t.Fatal(err)
		}
		conn.Close()
	}
	req := signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Minute, Limit: 1}

	conn := lock()
	type result struct {
		ds  []signedcall.Delivery
		err error
	}
	done := make(chan result, 1)
	start := time.Now()
	go func() {
		ds, err := s.Claim(ctx, req)
		done <- result{ds, err}
	}()
	const hold = 300 * time.Millisecond
	time.Sleep(hold)
	select {
	case r := <-done:
		t.Fatalf("Claim returned %v, %v while the file was locked", r.ds, r.err)
	default:
	}
	// Reads go on meanwhile.
	if _, err := s.Counts(ctx, cid); err != nil {
		t.Errorf("Counts while the file is locked = %v", err)
	}
	unlock(conn)
	r := <-done
	if r.err != nil || len(r.ds) != 1 {
		t.Fatalf("Claim after the lock was released = %v, %v; want 1 delivery", r.ds, r.err)
	}
	if waited := time.Since(start); waited < hold {
		t.Errorf("Claim returned after %v, before the lock was released", waited)
	}

	conn = lock()
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	_, err = s.Claim(short, req)
	unlock(conn)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Claim(context ends while locked) = %v, want context.DeadlineExceeded", err)
	}
	t.Logf("Claim(context ends while locked) = %v", err)
	counts, _ := s.Counts(ctx, cid)
	if counts[signedcall.StatusPending] != 1 || counts[signedcall.StatusClaimed] != 1 {
		t.Errorf("Counts after the timed-out claim = %v, want 1 pending and 1 claimed", counts)
	}
}

// TestPauseSeenByOtherStore pauses a campaign through one Store while
// another holds a claim: the holder's move to dialling is refused, as the
// pause was written before it.
func TestPauseSeenByOtherStore(t *testing.T) {
	path := dbPath(t)
	a, b := open(t, path), open(t, path)
	ctx := t.Context()
	cid := withDue(t, a, 2)
	ds, err := a.Claim(ctx, signedcall.ClaimRequest{CampaignID: cid, Owner: "a", Now: base, Lease: time.Minute, Limit: 2})
	if err != nil || len(ds) != 2 {
		t.Fatalf("Claim = %v, %v", ds, err)
	}
	dial := func(d signedcall.Delivery) error {
		t.Helper()
		errs, err := a.Apply(ctx, []signedcall.Transition{{Key: d.Key(), Owner: "a", Token: d.Lease.Token,
			To: signedcall.StatusDialling, At: base}})
		if err != nil {
			t.Fatal(err)
		}
		return errs[0]
	}
	if err := dial(ds[0]); err != nil {
		t.Fatalf("Apply(dialling) while running = %v", err)
	}
	running := []signedcall.CampaignState{signedcall.StateRunning}
	if err := b.TransitionCampaign(ctx, cid, running, signedcall.StatePaused, base); err != nil {
		t.Fatal(err)
	}
	if err := dial(ds[1]); !errors.Is(err, signedcall.ErrNotRunning) {
		t.Errorf("Apply(dialling) after another Store paused = %v, want ErrNotRunning", err)
	}
	if d, _ := a.Delivery(ctx, ds[1].Key()); d.Status != signedcall.StatusClaimed || d.Attempt != 0 {
		t.Errorf("delivery after the refused dial is %s attempt %d, want claimed attempt 0", d.Status, d.Attempt)
	}
}
