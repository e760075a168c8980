package sqlitestore_test

import (
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/signedcall/signedcall"
	"github.com/signedcall/signedcall/store/sqlitestore"
)

// writeVersion1 writes, at path, a file as version 1 of the package left
// it: the version 1 schema, from its migration, and one running campaign
// with a pending, a claimed, a dialling and an answered delivery, their
// counts and the lease counter at 8. It returns the campaign and its
// deliveries as a Store should read them back.
func writeVersion1(t *testing.T, path string) (*signedcall.Campaign, []signedcall.Delivery) {
	t.Helper()
	ddl, err := os.ReadFile("migrations/0001_initial.sql")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", strings.TrimSpace(q)[:min(40, len(strings.TrimSpace(q)))], err)
		}
	}
	exec(string(ddl))
	exec(`INSERT INTO schema_version (version, applied_at) VALUES (1, 0)`)

	c := newDraft(t)
	c.State = signedcall.StateRunning
	c.Acknowledgement = &signedcall.Acknowledgement{By: "ops@example.com", At: base, Statement: signedcall.DefaultStatement}
	c.UpdatedAt = base.Add(time.Minute)
	def, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	cid := c.ID.String()
	exec(`INSERT INTO campaigns (id, state, definition, materialized, materialized_at, created_at, updated_at)
		VALUES (?, 'running', ?, 1, 0, ?, ?)`, cid, def, c.CreatedAt.UnixNano(), c.UpdatedAt.UnixNano())

	lease := func(token int64) signedcall.Lease {
		return signedcall.Lease{Owner: "a", Token: token, Expires: base.Add(time.Hour)}
	}
	ds := dueDeliveries(c.ID, 4)
	ds[1].Status, ds[1].Lease = signedcall.StatusClaimed, lease(7)
	ds[2].Status, ds[2].Lease, ds[2].Attempt = signedcall.StatusDialling, lease(8), 1
	ds[3].Status, ds[3].Attempt, ds[3].Reason, ds[3].FinishedAt = signedcall.StatusAnswered, 1, "ok", base
	for _, d := range ds {
		var expires, finished any
		if !d.Lease.Expires.IsZero() {
			expires = d.Lease.Expires.UnixNano()
		}
		if !d.FinishedAt.IsZero() {
			finished = d.FinishedAt.UnixNano()
		}
		exec(`INSERT INTO deliveries (campaign_id, user_id, phone, time_zone, zone_source, status,
				due_at, attempt, lease_owner, lease_token, lease_expires, reason, updated_at, finished_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			cid, d.UserID, d.Phone, d.TimeZone, string(d.ZoneSource), string(d.Status),
			d.DueAt.UnixNano(), d.Attempt, d.Lease.Owner, d.Lease.Token, expires, d.Reason,
			d.UpdatedAt.UnixNano(), finished)
		exec(`INSERT INTO delivery_counts (campaign_id, status, n) VALUES (?, ?, 1)`, cid, string(d.Status))
	}
	exec(`UPDATE lease_tokens SET last = 8`)
	return c, ds
}

// versions returns the versions recorded in the file's schema_version.
func versions(t *testing.T, path string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version FROM schema_version ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return vs
}

// TestMigrateFromVersion1 opens a file written at schema version 1: Open
// migrates it in place to version 2, every campaign, delivery, count,
// lease and token survives, and the new columns and call starts work.
func TestMigrateFromVersion1(t *testing.T) {
	path := dbPath(t)
	c, want := writeVersion1(t, path)
	ctx := t.Context()

	s := open(t, path)
	if got, wantV := versions(t, path), []int{1, 2}; !cmp.Equal(got, wantV) {
		t.Errorf("schema versions after Open = %v, want %v", got, wantV)
	}
	got, err := s.Campaign(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Campaign after migrating (-version 1 +now):\n%s", diff)
	}
	if diff := cmp.Diff(want, all(t, s, c.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Deliveries after migrating (-version 1 +now):\n%s", diff)
	}
	wantCounts := map[signedcall.Status]int{
		signedcall.StatusPending: 1, signedcall.StatusClaimed: 1,
		signedcall.StatusDialling: 1, signedcall.StatusAnswered: 1,
	}
	if counts, err := s.Counts(ctx, c.ID); err != nil || !cmp.Equal(counts, wantCounts) {
		t.Errorf("Counts after migrating = %v, %v; want %v", counts, err, wantCounts)
	}

	// The leases taken before the migration still write; the first call
	// started after it is under a limit that no earlier call counts
	// toward, and the second, to the same number, is refused.
	perHour := signedcall.Limit{Max: 1, Window: signedcall.Duration(time.Hour), Scope: signedcall.ScopePerson}
	errs, err := s.Apply(ctx, []signedcall.Transition{
		{Key: want[1].Key(), Owner: "a", Token: 7, To: signedcall.StatusDialling, At: base,
			Limits: []signedcall.Limit{perHour}},
		{Key: want[2].Key(), Owner: "a", Token: 8, To: signedcall.StatusAnswered, Reason: "ok", At: base},
	})
	if err != nil || errors.Join(errs...) != nil {
		t.Fatalf("Apply(leases from version 1) = %v, %v; want no errors", errs, err)
	}
	ds, err := s.Claim(ctx, signedcall.ClaimRequest{CampaignID: c.ID, Owner: "b", Now: base, Lease: time.Hour, Limit: 4})
	if err != nil || len(ds) != 1 || ds[0].UserID != want[0].UserID || ds[0].Lease.Token != 9 {
		t.Fatalf("Claim after migrating = %+v, %v; want %s with token 9", ds, err, want[0].UserID)
	}
	errs, err = s.Apply(ctx, []signedcall.Transition{{Key: ds[0].Key(), Owner: "b", Token: 9,
		To: signedcall.StatusDialling, At: base.Add(time.Minute), Limits: []signedcall.Limit{perHour}}})
	if err != nil {
		t.Fatal(err)
	}
	var le *signedcall.LimitError
	if !errors.As(errs[0], &le) || !le.RetryAt.Equal(base.Add(time.Hour)) {
		t.Errorf("Apply(second call to the number in an hour) = %v, want a LimitError retrying at base+1h", errs[0])
	}

	// New deliveries keep their zones and packs.
	c2 := created(t, s)
	ds2 := dueDeliveries(c2.ID, 2)
	ds2[0].OtherZones, ds2[0].Packs = []string{"Europe/Guernsey"}, []string{"GB", "GB-ENG"}
	if err := s.Materialize(ctx, c2.ID, ds2); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// Opening again migrates nothing more.
	s = open(t, path)
	if got, wantV := versions(t, path), []int{1, 2}; !cmp.Equal(got, wantV) {
		t.Errorf("schema versions after a second Open = %v, want %v", got, wantV)
	}
	if diff := cmp.Diff(ds2, all(t, s, c2.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Deliveries with zones and packs after reopening (-want +got):\n%s", diff)
	}
}

// TestMigrationAllOrNothing makes the version 2 migration fail half way,
// on a table in its way: Open fails and the file is still at version 1,
// with none of the migration's changes, and opens once the obstacle is
// gone.
func TestMigrationAllOrNothing(t *testing.T) {
	path := dbPath(t)
	c, want := writeVersion1(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TABLE call_starts (x INTEGER)`); err != nil {
		t.Fatal(err)
	}

	if s, err := sqlitestore.Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open with a call_starts table in the way = nil, want an error")
	}
	if got := versions(t, path); !cmp.Equal(got, []int{1}) {
		t.Errorf("schema versions after the failed migration = %v, want [1]", got)
	}
	var n int
	err = db.QueryRow(`SELECT count(*) FROM pragma_table_info('deliveries')
		WHERE name IN ('other_zones', 'packs')`).Scan(&n)
	if err != nil || n != 0 {
		t.Errorf("new delivery columns after the failed migration: %d, %v; want none", n, err)
	}

	if _, err := db.Exec(`DROP TABLE call_starts`); err != nil {
		t.Fatal(err)
	}
	s := open(t, path)
	if diff := cmp.Diff(want, all(t, s, c.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Deliveries after migrating (-version 1 +now):\n%s", diff)
	}
}
