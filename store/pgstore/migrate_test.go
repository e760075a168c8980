package pgstore_test

import (
	"encoding/json"
	"errors"
	"os"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/pgstore"
)

// schemaV1 builds the schema as version 1 of the package left it: its
// migration file, which never changes once released, and the version
// table with version 1 recorded.
func schemaV1(t *testing.T) string {
	t.Helper()
	ddl, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	return string(ddl) + `
CREATE TABLE signedcall_schema_version (
    version    integer PRIMARY KEY,
    applied_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO signedcall_schema_version (version) VALUES (1);
`
}

// v1Data is a running campaign with three deliveries to one number, as
// version 1 wrote them: u1 pending, u2 claimed under a lease, u3 answered.
type v1Data struct {
	campaign *signedcall.Campaign
	want     []signedcall.Delivery // as the Store must read them back
}

// fillV1 builds schemaV1 in pool's schema and writes v1Data into it.
func fillV1(t *testing.T, pool *pgxpool.Pool) v1Data {
	t.Helper()
	ctx := t.Context()
	if _, err := pool.Exec(ctx, schemaV1(t)); err != nil {
		t.Fatalf("build version 1 schema: %v", err)
	}
	c := newCampaign(t)
	c.State = signedcall.StateRunning
	def, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `
		INSERT INTO campaigns (id, state, definition, materialized_at, created_at, updated_at)
		VALUES ($1, 'running', $2, now(), $3, $3)`, c.ID, def, base); err != nil {
		t.Fatalf("insert campaign: %v", err)
	}
	var token int64
	if err := pool.QueryRow(ctx, "SELECT nextval('signedcall_lease_token')").Scan(&token); err != nil {
		t.Fatal(err)
	}
	d1 := pending(c.ID, "u1", base)
	d2 := pending(c.ID, "u2", base)
	d2.Status, d2.UpdatedAt = signedcall.StatusClaimed, base.Add(time.Minute)
	d2.Lease = signedcall.Lease{Owner: "old", Token: token, Expires: base.Add(time.Hour)}
	d3 := pending(c.ID, "u3", base)
	d3.Status, d3.Attempt, d3.Reason = signedcall.StatusAnswered, 1, "to_answered"
	d3.UpdatedAt, d3.FinishedAt = base.Add(2*time.Minute), base.Add(2*time.Minute)
	for _, d := range []signedcall.Delivery{d1, d2, d3} {
		var owner, token, expires, finished any
		if d.Lease.Owner != "" {
			owner, token, expires = d.Lease.Owner, d.Lease.Token, d.Lease.Expires
		}
		if !d.FinishedAt.IsZero() {
			finished = d.FinishedAt
		}
		_, err := pool.Exec(ctx, `
			INSERT INTO deliveries (campaign_id, user_id, phone, time_zone, zone_source, status,
			    due_at, attempt, lease_owner, lease_token, lease_expires, reason, updated_at, finished_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			d.CampaignID, d.UserID, d.Phone, d.TimeZone, string(d.ZoneSource), string(d.Status),
			d.DueAt, d.Attempt, owner, token, expires, d.Reason, d.UpdatedAt, finished)
		if err != nil {
			t.Fatalf("insert delivery %s: %v", d.UserID, err)
		}
	}
	return v1Data{campaign: c, want: []signedcall.Delivery{d1, d2, d3}}
}

// columns lists the columns of table in schema as "name type nullable".
func columns(t *testing.T, pool *pgxpool.Pool, schema, table string) []string {
	t.Helper()
	rows, err := pool.Query(t.Context(), `
		SELECT column_name || ' ' || udt_name || ' ' || is_nullable || ' ' || coalesce(column_default, '')
		FROM information_schema.columns
		WHERE table_schema = $1 AND table_name = $2
		ORDER BY ordinal_position`, schema, table)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return cols
}

// TestMigrateFromV1 opens a version 1 schema holding data, from several
// pools at once as processes upgraded together would: every open
// succeeds, the migration runs once, in place, and the data is there as
// it was, now with no other zones and no packs, and with call starts
// recorded and counted from then on.
func TestMigrateFromV1(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	admin := newPool(t, schema)
	data := fillV1(t, admin)
	cid := data.campaign.ID

	const n = 4
	pools := make([]*pgxpool.Pool, n)
	for i := range pools {
		pools[i] = newPool(t, schema)
		if err := pools[i].Ping(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	stores := make([]*pgstore.Store, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, p := range pools {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = pgstore.New(t.Context(), p)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("New #%d on a version 1 schema = %v, want nil", i, err)
		}
	}
	if got, want := versions(t, admin), allVersions(); !slices.Equal(got, want) {
		t.Errorf("schema versions after the upgrade = %v, want %v", got, want)
	}
	cols := columns(t, admin, schema, "deliveries")
	for _, want := range []string{"other_zones _text YES ", "packs _text YES "} {
		if !slices.Contains(cols, want) {
			t.Errorf("deliveries columns %q lack %q", cols, want)
		}
	}
	if got, want := columns(t, admin, schema, "call_starts"), []string{
		"campaign_id uuid NO ", "phone text NO ", "at timestamptz NO ",
	}; !slices.Equal(got, want) {
		t.Errorf("call_starts columns = %q, want %q", got, want)
	}
	rows, err := admin.Query(t.Context(),
		"SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'call_starts' ORDER BY indexname", schema)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	wantIdx := []string{
		"CREATE INDEX call_starts_campaign_at ON " + schema + ".call_starts USING btree (campaign_id, at)",
		"CREATE INDEX call_starts_phone_at ON " + schema + ".call_starts USING btree (phone, at)",
	}
	if !slices.Equal(idx, wantIdx) {
		t.Errorf("call_starts indexes = %q, want %q", idx, wantIdx)
	}

	// The data survived, and reads as having no other zones or packs.
	s := stores[0]
	want := data.want
	for i := range want {
		want[i].OtherZones, want[i].Packs = nil, nil
	}
	if diff := cmp.Diff(want, all(t, s, cid)); diff != "" {
		t.Errorf("deliveries after the upgrade (-want +got):\n%s", diff)
	}
	got, err := s.Campaign(t.Context(), cid)
	if err != nil || got.State != signedcall.StateRunning {
		t.Errorf("Campaign after the upgrade = %v, %v; want it running", got, err)
	}

	// Leases and tokens carry on: the old lease still writes, and a new
	// claim's token follows the old ones.
	old := want[1]
	l := signedcall.Limit{Max: 1, Window: signedcall.Duration(24 * time.Hour), Scope: signedcall.ScopePerson}
	dial := func(d signedcall.Delivery, at time.Time) error {
		t.Helper()
		errs, err := s.Apply(t.Context(), []signedcall.Transition{{
			Key: d.Key(), Owner: d.Lease.Owner, Token: d.Lease.Token,
			To: signedcall.StatusDialling, At: at, Limits: []signedcall.Limit{l},
		}})
		if err != nil {
			t.Fatalf("Apply(dial %s) store error %v", d.UserID, err)
		}
		return errs[0]
	}
	if err := dial(old, base.Add(2*time.Minute)); err != nil {
		t.Errorf("Apply(dial under the version 1 lease) = %v, want nil", err)
	}
	ds, err := s.Claim(t.Context(), signedcall.ClaimRequest{
		CampaignID: cid, Owner: "new", Now: base.Add(3 * time.Minute), Lease: time.Hour, Limit: 10,
	})
	if err != nil || len(ds) != 1 || ds[0].UserID != "u1" {
		t.Fatalf("Claim after the upgrade = %v, %v; want u1", ds, err)
	}
	if ds[0].Lease.Token <= old.Lease.Token {
		t.Errorf("token after the upgrade %d, want more than %d", ds[0].Lease.Token, old.Lease.Token)
	}
	// The start of u2's call was recorded, so the limit refuses u1's.
	var le *signedcall.LimitError
	if err := dial(ds[0], base.Add(4*time.Minute)); !errors.As(err, &le) ||
		!le.RetryAt.Equal(base.Add(2*time.Minute+24*time.Hour)) {
		t.Errorf("Apply(second call to the number in a day) = %v, want a LimitError until %s",
			err, base.Add(2*time.Minute+24*time.Hour))
	}

	// New deliveries keep their zones and packs.
	cid2 := materializedWith(t, s, func(_ int, d *signedcall.Delivery) {
		d.OtherZones = []string{"Europe/Guernsey", "Europe/Isle_of_Man"}
		d.Packs = []string{"GB", "GB-ENG"}
	}, 1)
	d, err := s.Delivery(t.Context(), signedcall.Key{CampaignID: cid2, UserID: "u000001"})
	if err != nil || !slices.Equal(d.OtherZones, []string{"Europe/Guernsey", "Europe/Isle_of_Man"}) ||
		!slices.Equal(d.Packs, []string{"GB", "GB-ENG"}) {
		t.Errorf("Delivery after the upgrade = %+v, %v; want its other zones and packs", d, err)
	}

	// Opening again finds the schema current and changes nothing.
	before := objects(t, admin, schema)
	if _, err := pgstore.New(t.Context(), newPool(t, schema)); err != nil {
		t.Errorf("New on the upgraded schema = %v", err)
	}
	if after := objects(t, admin, schema); after != before {
		t.Errorf("schema after a second open:\n%s\nwant as before:\n%s", after, before)
	}
}

// TestMigrateFailsWhole has the version 2 migration fail part way, on a
// table in the way: the open fails and the schema is as it was, columns
// and version included.
func TestMigrateFailsWhole(t *testing.T) {
	t.Parallel()
	schema := newSchema(t)
	admin := newPool(t, schema)
	data := fillV1(t, admin)
	if _, err := admin.Exec(t.Context(), "CREATE TABLE call_starts (x integer)"); err != nil {
		t.Fatal(err)
	}
	before := objects(t, admin, schema)
	cols := columns(t, admin, schema, "deliveries")

	if _, err := pgstore.New(t.Context(), newPool(t, schema)); err == nil {
		t.Fatalf("New with call_starts in the way = nil error, want one")
	}
	if after := objects(t, admin, schema); after != before {
		t.Errorf("schema after the failed migration:\n%s\nwant as before:\n%s", after, before)
	}
	if got := columns(t, admin, schema, "deliveries"); !slices.Equal(got, cols) {
		t.Errorf("deliveries columns after the failed migration = %q, want %q", got, cols)
	}
	var n int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM deliveries WHERE campaign_id = $1",
		data.campaign.ID).Scan(&n); err != nil || n != len(data.want) {
		t.Errorf("deliveries after the failed migration = %d, %v; want %d", n, err, len(data.want))
	}
}
