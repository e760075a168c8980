package pgstore

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/signedcall/signedcall"
)

// The SQL below spells statuses as literals; TestStatusLiterals checks
// that they are the values of the signedcall constants.

// deliveryCols lists the columns scanDelivery reads, in its order, each
// prefixed with p (a table alias and a dot, or nothing).
func deliveryCols(p string) string {
	cols := []string{
		"campaign_id", "user_id", "phone", "time_zone", "zone_source", "other_zones",
		"packs", "status", "due_at", "attempt", "lease_owner", "lease_token",
		"lease_expires", "reason", "updated_at", "finished_at",
	}
	for i, c := range cols {
		cols[i] = p + c
	}
	return strings.Join(cols, ", ")
}

// scanDelivery reads one row of deliveryCols. Times come back in UTC, a
// NULL lease or finish time as the zero value, and no other zones or packs
// (NULL, or an empty array) as nil.
func scanDelivery(row pgx.CollectableRow) (signedcall.Delivery, error) {
	var (
		d                 signedcall.Delivery
		zone, status      string
		owner             *string
		token             *int64
		expires, finished *time.Time
	)
	err := row.Scan(&d.CampaignID, &d.UserID, &d.Phone, &d.TimeZone, &zone, &d.OtherZones,
		&d.Packs, &status, &d.DueAt, &d.Attempt, &owner, &token, &expires, &d.Reason,
		&d.UpdatedAt, &finished)
	if err != nil {
		return d, err
	}
	if len(d.OtherZones) == 0 {
		d.OtherZones = nil
	}
	if len(d.Packs) == 0 {
		d.Packs = nil
	}
	d.ZoneSource, d.Status = signedcall.ZoneSource(zone), signedcall.Status(status)
	d.DueAt, d.UpdatedAt = d.DueAt.UTC(), d.UpdatedAt.UTC()
	if owner != nil {
		d.Lease.Owner = *owner
	}
	if token != nil {
		d.Lease.Token = *token
	}
	if expires != nil {
		d.Lease.Expires = expires.UTC()
	}
	if finished != nil {
		d.FinishedAt = finished.UTC()
	}
	return d, nil
}

// storable reports whether PostgreSQL text can hold s: valid UTF-8 with no
// NUL byte.
func storable(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// textArray returns xs for a text[] column, nil (NULL) for none.
func textArray(xs []string) []string {
	if len(xs) == 0 {
		return nil
	}
	return xs
}

// nullTime returns nil for the zero time, which is stored as NULL.
func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ---- Materialize ----

// copyCols are the columns Materialize writes, in copySource's order.
var copyCols = []string{
	"campaign_id", "user_id", "phone", "time_zone", "zone_source", "other_zones",
	"packs", "status", "due_at", "attempt", "reason", "updated_at", "finished_at",
}

// copySource feeds deliveries to COPY.
type copySource struct {
	// campaign is every delivery's campaign ID (checkNew made sure), in
	// the form pgx encodes without going through text.
	campaign pgtype.UUID
	ds       []signedcall.Delivery
	i        int
	row      [13]any
}

func (c *copySource) Next() bool { c.i++; return c.i < len(c.ds) }
func (c *copySource) Err() error { return nil }

// Values returns the current row. COPY encodes it before asking for the
// next, so one buffer serves every row.
func (c *copySource) Values() ([]any, error) {
	d := &c.ds[c.i]
	c.row = [13]any{
		c.campaign, d.UserID, d.Phone, d.TimeZone, string(d.ZoneSource),
		textArray(d.OtherZones), textArray(d.Packs), string(d.Status),
		d.DueAt, int32(d.Attempt), d.Reason, d.UpdatedAt, nullTime(d.FinishedAt),
	}
	return c.row[:], nil
}

// Materialize writes the deliveries with COPY and marks the campaign
// materialized, in one transaction that first locks the campaign's row:
// of several concurrent calls, in any processes, exactly one writes and
// the others get [signedcall.ErrAlreadyMaterialized]. A second delivery
// for a user fails the COPY on the primary key and gets
// [signedcall.ErrDuplicateDelivery], and nothing is written. Besides the
// errors documented on [signedcall.Store], it returns an error matching
// [signedcall.ErrInvalid] for a delivery with an empty UserID, a lease, a
// status other than pending or final, an Attempt out of int32 range, or
// text PostgreSQL cannot hold.
func (s *Store) Materialize(ctx context.Context, campaignID uuid.UUID, ds []signedcall.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	what := "materialize campaign " + campaignID.String()
	return s.inTx(ctx, what, func(tx pgx.Tx) error {
		var done bool
		err := tx.QueryRow(ctx,
			"SELECT materialized_at IS NOT NULL FROM campaigns WHERE id = $1 FOR UPDATE",
			campaignID).Scan(&done)
		switch {
		case errors.Is(err, pgx.ErrNoRows):
			return notFound(campaignID)
		case err != nil:
			return fmt.Errorf("pgstore: %s: %w", what, err)
		case done:
			return fmt.Errorf("pgstore: campaign %s: %w", campaignID, signedcall.ErrAlreadyMaterialized)
		}
		for i := range ds {
			if err := checkNew(campaignID, i, &ds[i]); err != nil {
				return err
			}
		}
		if len(ds) > 0 {
			src := &copySource{campaign: pgtype.UUID{Bytes: campaignID, Valid: true}, ds: ds, i: -1}
			_, err := tx.CopyFrom(ctx, pgx.Identifier{"deliveries"}, copyCols, src)
			var pgErr *pgconn.PgError
			if errors.As(err, &pgErr) && pgErr.Code == "23505" { // unique_violation
				return fmt.Errorf("pgstore: %s: %s: %w", what, pgErr.Detail, signedcall.ErrDuplicateDelivery)
			}
			if err != nil {
				return fmt.Errorf("pgstore: %s: copy deliveries: %w", what, err)
			}
		}
		if _, err := tx.Exec(ctx, "UPDATE campaigns SET materialized_at = now() WHERE id = $1", campaignID); err != nil {
			return fmt.Errorf("pgstore: %s: %w", what, err)
		}
		return nil
	})
}

// checkNew checks delivery i of a Materialize call for campaign id.
func checkNew(id uuid.UUID, i int, d *signedcall.Delivery) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("pgstore: materialize campaign %s: delivery %d: %s: %w",
			id, i, fmt.Sprintf(format, args...), signedcall.ErrInvalid)
	}
	if err := signedcall.CheckNewDelivery(id, d); err != nil {
		return fmt.Errorf("pgstore: materialize campaign %s: delivery %d: %w", id, i, err)
	}
	if d.Attempt < 0 || d.Attempt > 1<<31-1 {
		return bad("attempt %d is out of range", d.Attempt)
	}
	for _, f := range []struct{ name, v string }{
		{"user ID", d.UserID}, {"phone", d.Phone}, {"time zone", d.TimeZone},
		{"zone source", string(d.ZoneSource)}, {"reason", d.Reason},
	} {
		if !storable(f.v) {
			return bad("%s %q is not valid UTF-8 without NUL bytes", f.name, f.v)
		}
	}
	for _, f := range []struct {
		name string
		vs   []string
	}{{"other zone", d.OtherZones}, {"pack", d.Packs}} {
		for _, v := range f.vs {
			if !storable(v) {
				return bad("%s %q is not valid UTF-8 without NUL bytes", f.name, v)
			}
		}
	}
	return nil
}

// ---- Claim ----

// claimSQL leases due deliveries in one statement. The two candidate sets,
// due pending deliveries and expired leases, are each read in (due_at,
// user_id) order and locked with SKIP LOCKED, so rows another claim holds
// are passed over rather than waited for; the first $3 of both are leased,
// and the other rows locked (up to $3 more) are let go as the statement
// ends.
// The UPDATE tests the state again, so a row whose state changed after
// the statement began is left alone. A rescued dialling delivery stays
// dialling.
//
// The UPDATE finds its rows by primary key from an array, and its state
// test is a CASE no partial index can serve, so the planner reaches them
// through the key even on a table it has no statistics for yet (as right
// after Materialize); a join with the CTE could become a nested loop over
// every due delivery.
var claimSQL = `
WITH due AS (
    SELECT user_id, due_at FROM deliveries
    WHERE campaign_id = $1 AND status = 'pending' AND due_at <= $2
    ORDER BY due_at, user_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
), expired AS (
    SELECT user_id, due_at FROM deliveries
    WHERE campaign_id = $1 AND status IN ('claimed', 'dialling') AND lease_expires <= $2
    ORDER BY due_at, user_id
    LIMIT $3
    FOR UPDATE SKIP LOCKED
)
UPDATE deliveries AS d SET
    status = CASE WHEN d.status = 'dialling' THEN 'dialling' ELSE 'claimed' END,
    lease_owner = $4,
    lease_token = nextval('signedcall_lease_token'),
    lease_expires = $5,
    updated_at = $2
WHERE d.campaign_id = $1
  AND d.user_id = ANY (ARRAY(
      SELECT user_id FROM (SELECT * FROM due UNION ALL SELECT * FROM expired) AS c
      ORDER BY due_at, user_id
      LIMIT $3))
  AND CASE d.status
      WHEN 'pending' THEN d.due_at <= $2
      WHEN 'claimed' THEN d.lease_expires <= $2
      WHEN 'dialling' THEN d.lease_expires <= $2
      ELSE false
  END
RETURNING ` + deliveryCols("d.")

// Claim leases due deliveries as documented on [signedcall.Store], in one
// statement (see the package documentation). Lease tokens come from a
// sequence and increase across the whole database. It returns an error
// matching [signedcall.ErrInvalid] if req.Limit or req.Lease is not
// positive or req.Owner is empty or not storable text, and
// [signedcall.ErrNotFound] for an unknown campaign.
func (s *Store) Claim(ctx context.Context, req signedcall.ClaimRequest) ([]signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var problem string
	switch {
	case req.Limit <= 0:
		problem = fmt.Sprintf("limit %d is not positive", req.Limit)
	case req.Lease <= 0:
		problem = fmt.Sprintf("lease %v is not positive", req.Lease)
	case req.Owner == "":
		problem = "owner is empty"
	case !storable(req.Owner):
		problem = fmt.Sprintf("owner %q is not valid UTF-8 without NUL bytes", req.Owner)
	}
	if problem != "" {
		return nil, fmt.Errorf("pgstore: claim: %s: %w", problem, signedcall.ErrInvalid)
	}

	rows, err := s.pool.Query(ctx, claimSQL,
		req.CampaignID, req.Now, int64(req.Limit), req.Owner, req.Now.Add(req.Lease))
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim campaign %s: %w", req.CampaignID, err)
	}
	out, err := pgx.CollectRows(rows, scanDelivery)
	if err != nil {
		return nil, fmt.Errorf("pgstore: claim campaign %s: %w", req.CampaignID, err)
	}
	if len(out) == 0 {
		return nil, s.mustExist(ctx, req.CampaignID)
	}
	// RETURNING follows no order.
	slices.SortFunc(out, func(a, b signedcall.Delivery) int {
		return cmp.Or(a.DueAt.Compare(b.DueAt), strings.Compare(a.UserID, b.UserID))
	})
	return out, nil
}

// mustExist returns [signedcall.ErrNotFound] if campaign id does not exist.
func (s *Store) mustExist(ctx context.Context, id uuid.UUID) error {
	var ok bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT FROM campaigns WHERE id = $1)", id).Scan(&ok)
	switch {
	case err != nil:
		return fmt.Errorf("pgstore: campaign %s: %w", id, err)
	case !ok:
		return notFound(id)
	}
	return nil
}

// ---- Apply ----

// Apply writes the transitions of one campaign that each name a different
// delivery with two statements, sent together and run in one transaction.
//
// applyLockSQL locks the deliveries $2 of campaign $1 through the primary
// key, in the order given, which is user order: the lateral subquery runs
// once per user, so no plan can change the order. It returns the state each
// was found in, numbered by its place i in $2; an unknown key has no row.
// The rows stay locked, so that state is the one applyWriteSQL sees.
//
// applyWriteSQL runs next, so its snapshot shows every locked row as it
// is. It finds each row again (the scalar subquery is one primary-key
// probe per transition) and updates it by tuple ID, only where the lease's
// owner and token still match and the move is allowed, and returns the
// numbers i of the transitions written. The array of tuple IDs keeps the
// plan off a scan of the table, with or without statistics: its length is
// unknown when the statement is planned, so fetching the rows by ID is
// always the cheap way, where a join on the IDs alone turns into a hash
// join over a sequential scan once there are a few hundred transitions.
// It takes no delivery lock applyLockSQL did not already hold.
//
// A move to dialling also needs the campaign to be running: when $9 says
// there is one, camp takes a share lock on the campaign row, so a pause or
// stop (which updates that row) either committed first and is seen, or
// waits for this transaction. The state it read is returned too. Every
// move to dialling written also records its call start, in the same
// statement (started), from the rows the UPDATE returns.
//
// These statements carry no limits: Apply sends a call with a transition
// that has some to applyLimited instead.
const (
	applyLockSQL = `
SELECT t.i, p.status, p.lease_owner, p.lease_token
FROM unnest($2::text[]) WITH ORDINALITY AS t(user_id, i)
CROSS JOIN LATERAL (
    SELECT status, lease_owner, lease_token FROM deliveries
    WHERE campaign_id = $1 AND user_id = t.user_id
    FOR UPDATE
) AS p`
	applyWriteSQL = `
WITH t AS (
    SELECT * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::text[],
                         $6::timestamptz[], $7::text[], $8::timestamptz[])
        WITH ORDINALITY AS t(user_id, owner, token, to_status, due_at, reason, at, i)
), camp AS MATERIALIZED (
    SELECT state FROM campaigns WHERE id = $1 AND $9::boolean
    FOR SHARE
), k AS MATERIALIZED (
    SELECT t.*, (SELECT ctid FROM deliveries WHERE campaign_id = $1 AND user_id = t.user_id) AS tid
    FROM t
), upd AS (
    UPDATE deliveries AS d SET
        status = k.to_status,
        attempt = CASE WHEN k.to_status = 'dialling' THEN d.attempt + 1 ELSE d.attempt END,
        due_at = CASE WHEN k.to_status = 'pending' THEN k.due_at ELSE d.due_at END,
        lease_owner = CASE WHEN k.to_status = 'dialling' THEN d.lease_owner END,
        lease_token = CASE WHEN k.to_status = 'dialling' THEN d.lease_token END,
        lease_expires = CASE WHEN k.to_status = 'dialling' THEN d.lease_expires END,
        reason = k.reason,
        updated_at = k.at,
        finished_at = CASE WHEN k.to_status IN ('dialling', 'pending') THEN d.finished_at ELSE k.at END
    FROM k
    WHERE d.ctid = ANY (ARRAY(SELECT tid FROM k)) AND d.ctid = k.tid
      AND d.lease_owner = k.owner AND d.lease_token = k.token
      AND CASE d.status
          WHEN 'claimed' THEN true
          WHEN 'dialling' THEN k.to_status <> 'dialling'
          ELSE false
      END
      AND (k.to_status <> 'dialling' OR (SELECT state FROM camp) = 'running')
    RETURNING k.i, k.to_status, k.at, d.phone
), started AS (
    INSERT INTO call_starts (campaign_id, phone, at)
    SELECT $1, phone, at FROM upd WHERE to_status = 'dialling'
)
SELECT coalesce((SELECT state FROM camp), ''), ARRAY(SELECT i FROM upd)`
)

// applyStmt is one applyLockSQL and applyWriteSQL pair: the transitions
// it writes, by index into the Apply call's, and its arguments.
type applyStmt struct {
	campaign uuid.UUID
	round    int // 0 for a delivery's first transition, and so on
	ts       []int
	users    []string
	owners   []string
	tokens   []int64
	to       []string
	dueAt    []time.Time
	reasons  []string
	at       []time.Time
	dial     bool
}

func (a *applyStmt) add(i int, t *signedcall.Transition) {
	a.ts = append(a.ts, i)
	a.users = append(a.users, t.Key.UserID)
	// An owner PostgreSQL cannot hold is no lease's, and neither is the
	// empty owner, which Claim refuses: it matches nothing.
	owner := t.Owner
	if !storable(owner) {
		owner = ""
	}
	a.owners = append(a.owners, owner)
	a.tokens = append(a.tokens, t.Token)
	a.to = append(a.to, string(t.To))
	a.dueAt = append(a.dueAt, t.DueAt)
	a.reasons = append(a.reasons, t.Reason)
	a.at = append(a.at, t.At)
	a.dial = a.dial || t.To == signedcall.StatusDialling
}

// Apply writes the transitions as documented on [signedcall.Store], in one
// transaction, so on a store error none is applied; a call without limits
// takes one round trip. Transitions on different deliveries are independent, so they are written
// in key order, which keeps concurrent Apply and FinishRemaining calls from
// deadlocking. The transitions of one campaign that each name a different
// delivery (the usual case) are written together, by one pair of
// statements whatever their number; when a delivery is named again, its
// second transition goes in a later pair, and so on, all in one pipelined
// batch, so each delivery's transitions apply in the order given. A later
// pair names only deliveries an earlier one has locked.
//
// Every move to dialling written records its call start in the statement
// that writes it. A call in which some move to dialling carries Limits or
// a positive MaxConcurrent is written instead as described in the package
// documentation (Call limits), in one transaction of three round trips:
// its transitions are checked in the order given, each seeing the starts
// of those before it, and a refusal is that transition's
// [*signedcall.LimitError].
//
// A transition whose To is not StatusDialling, StatusPending or a final
// status, or that moves a delivery to StatusDialling when it is not
// StatusClaimed, or whose Reason is not storable text, gets an error
// matching [signedcall.ErrInvalid], as does a move to dialling with a
// limit that breaks a rule. A final status clears the lease.
func (s *Store) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, len(ts))
	var order []int // the transitions to send
	for i := range ts {
		t := &ts[i]
		switch {
		case t.To != signedcall.StatusDialling && t.To != signedcall.StatusPending && !t.To.Final():
			errs[i] = fmt.Errorf("pgstore: delivery %s/%s: cannot move to status %q: %w",
				t.Key.CampaignID, t.Key.UserID, t.To, signedcall.ErrInvalid)
		case !storable(t.Key.UserID):
			errs[i] = deliveryNotFound(t.Key)
		case !storable(t.Reason):
			errs[i] = fmt.Errorf("pgstore: delivery %s/%s: reason %q is not valid UTF-8 without NUL bytes: %w",
				t.Key.CampaignID, t.Key.UserID, t.Reason, signedcall.ErrInvalid)
		default:
			order = append(order, i)
		}
	}
	if len(order) == 0 {
		return errs, nil
	}
	if slices.ContainsFunc(order, func(i int) bool { return limited(&ts[i]) }) {
		return s.applyLimited(ctx, ts, errs, order)
	}
	slices.SortStableFunc(order, func(i, j int) int {
		a, b := ts[i].Key, ts[j].Key
		return cmp.Or(bytes.Compare(a.CampaignID[:], b.CampaignID[:]), strings.Compare(a.UserID, b.UserID))
	})

	// Pair r of a campaign holds the r-th transition of each of its
	// deliveries, in user order. The first pairs of all campaigns come
	// first, in campaign order, so new locks are taken in key order.
	var stmts []*applyStmt
	for j := 0; j < len(order); {
		cid := ts[order[j]].Key.CampaignID
		first := len(stmts) // this campaign's first pair
		k := j
		for k < len(order) && ts[order[k]].Key.CampaignID == cid {
			run := k + 1
			for run < len(order) && ts[order[run]].Key == ts[order[k]].Key {
				run++
			}
			for r := range run - k {
				if first+r == len(stmts) {
					stmts = append(stmts, &applyStmt{campaign: cid, round: r})
				}
				stmts[first+r].add(order[k+r], &ts[order[k+r]])
			}
			k = run
		}
		j = k
	}
	if len(stmts) > 1 {
		// Each campaign's later pairs go after every first one.
		slices.SortStableFunc(stmts, func(a, b *applyStmt) int { return cmp.Compare(a.round, b.round) })
	}

	b := new(pgx.Batch)
	for _, a := range stmts {
		cid := pgtype.UUID{Bytes: a.campaign, Valid: true}
		b.Queue(applyLockSQL, cid, a.users)
		b.Queue(applyWriteSQL, cid, a.users, a.owners, a.tokens, a.to, a.dueAt, a.reasons, a.at, a.dial)
	}
	br := s.pool.SendBatch(ctx, b)
	fail := func(err error) ([]error, error) {
		_ = br.Close()
		return nil, fmt.Errorf("pgstore: apply %d transitions: %w", len(ts), err)
	}
	var started starts
	// found is what applyLockSQL read of one delivery.
	type found struct {
		locked, written bool
		status          string
		owner           *string
		token           *int64
	}
	for _, a := range stmts {
		seen := make([]found, len(a.ts))
		rows, err := br.Query()
		if err != nil {
			rows.Close()
			return fail(err)
		}
		var (
			n int64
			f = found{locked: true}
		)
		for rows.Next() {
			if err := rows.Scan(&n, &f.status, &f.owner, &f.token); err != nil {
				rows.Close()
				return fail(err)
			}
			if n < 1 || n > int64(len(a.ts)) {
				rows.Close()
				return fail(fmt.Errorf("lock result names transition %d of %d", n, len(a.ts)))
			}
			seen[n-1] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fail(err)
		}
		var (
			state   string
			written []int64
		)
		if err := br.QueryRow().Scan(&state, &written); err != nil {
			return fail(err)
		}
		for _, n := range written {
			if n < 1 || n > int64(len(a.ts)) || !seen[n-1].locked {
				return fail(fmt.Errorf("transition %d of %d written but not locked", n, len(a.ts)))
			}
			seen[n-1].written = true
			started.add(&ts[a.ts[n-1]])
		}
		for j, i := range a.ts {
			switch f := &seen[j]; {
			case !f.locked:
				errs[i] = deliveryNotFound(ts[i].Key)
			case !f.written:
				errs[i] = refused(&ts[i], signedcall.Status(f.status), f.owner, f.token, signedcall.CampaignState(state))
			}
		}
	}
	if err := br.Close(); err != nil {
		return nil, fmt.Errorf("pgstore: apply %d transitions: %w", len(ts), err)
	}
	s.startsWritten(ctx, started)
	return errs, nil
}

// refused says why transition t was not written to a delivery found in
// status st with the given lease, by memstore's rules.
func refused(t *signedcall.Transition, st signedcall.Status, owner *string, token *int64, campaign signedcall.CampaignState) error {
	if err := refusal(t, st, owner, token, campaign); err != nil {
		return err
	}
	// The row was locked and matched, so this does not happen; if it
	// did, the holder must not believe it wrote.
	return fmt.Errorf("pgstore: delivery %s/%s is %s: not written: %w", t.Key.CampaignID, t.Key.UserID, st, signedcall.ErrLeaseLost)
}

// refusal returns the error transition t gets, before any limit is
// checked, on a delivery found in status st with the given lease in a
// campaign in state campaign (read only for a move to dialling), or nil
// if it may be written: memstore's rules, in memstore's order.
func refusal(t *signedcall.Transition, st signedcall.Status, owner *string, token *int64, campaign signedcall.CampaignState) error {
	k := t.Key
	if st.Final() || st == signedcall.StatusPending ||
		owner == nil || *owner != t.Owner || token == nil || *token != t.Token {
		return fmt.Errorf("pgstore: delivery %s/%s is %s: %w", k.CampaignID, k.UserID, st, signedcall.ErrLeaseLost)
	}
	if t.To == signedcall.StatusDialling && st != signedcall.StatusClaimed {
		return fmt.Errorf("pgstore: delivery %s/%s: cannot dial from %s: %w",
			k.CampaignID, k.UserID, st, signedcall.ErrInvalid)
	}
	if t.To == signedcall.StatusDialling && campaign != signedcall.StateRunning {
		return fmt.Errorf("pgstore: delivery %s/%s: campaign is %s: %w",
			k.CampaignID, k.UserID, campaign, signedcall.ErrNotRunning)
	}
	return nil
}

func deliveryNotFound(k signedcall.Key) error {
	return fmt.Errorf("pgstore: delivery %s/%s: %w", k.CampaignID, k.UserID, signedcall.ErrNotFound)
}

// ---- FinishRemaining ----

// The statements of FinishRemaining, sent as one batch (one implicit
// transaction): does the campaign exist; lock the deliveries to finish in
// user order, as Apply does, so the two do not deadlock; finish them.
const (
	finishExistsSQL = "SELECT EXISTS (SELECT FROM campaigns WHERE id = $1)"
	finishLockSQL   = `
SELECT count(*) FROM (
    SELECT FROM deliveries
    WHERE campaign_id = $1
      AND (status = 'pending' OR (status IN ('claimed', 'dialling') AND lease_expires <= $2))
    ORDER BY user_id
    FOR UPDATE
) AS locked`
	finishSQL = `
UPDATE deliveries SET
    status = CASE WHEN status = 'dialling' THEN 'unknown' ELSE $2::text END,
    reason = $3,
    lease_owner = NULL, lease_token = NULL, lease_expires = NULL,
    updated_at = $4,
    finished_at = $4
WHERE campaign_id = $1
  AND (status = 'pending' OR (status IN ('claimed', 'dialling') AND lease_expires <= $4))`
)

// FinishRemaining finishes deliveries as documented on [signedcall.Store],
// in one round trip and one transaction. Finished deliveries get reason,
// UpdatedAt and FinishedAt at, and no lease. It returns an error matching
// [signedcall.ErrInvalid] if status is not final or reason is not
// storable text.
func (s *Store) FinishRemaining(ctx context.Context, campaignID uuid.UUID, status signedcall.Status, reason string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !status.Final() {
		return 0, fmt.Errorf("pgstore: finish campaign %s: status %q is not final: %w",
			campaignID, status, signedcall.ErrInvalid)
	}
	if !storable(reason) {
		return 0, fmt.Errorf("pgstore: finish campaign %s: reason %q is not valid UTF-8 without NUL bytes: %w",
			campaignID, reason, signedcall.ErrInvalid)
	}
	b := new(pgx.Batch)
	b.Queue(finishExistsSQL, campaignID)
	b.Queue(finishLockSQL, campaignID, at)
	b.Queue(finishSQL, campaignID, string(status), reason, at)
	br := s.pool.SendBatch(ctx, b)
	var (
		exists bool
		locked int64
	)
	err := br.QueryRow().Scan(&exists)
	if err == nil {
		err = br.QueryRow().Scan(&locked)
	}
	var tag pgconn.CommandTag
	if err == nil {
		tag, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		return 0, fmt.Errorf("pgstore: finish campaign %s: %w", campaignID, err)
	case !exists:
		return 0, notFound(campaignID)
	}
	return int(tag.RowsAffected()), nil
}

// ---- reads ----

// Counts returns how many deliveries of the campaign are in each status,
// with one GROUP BY. Statuses with no deliveries are absent from the map.
func (s *Store) Counts(ctx context.Context, campaignID uuid.UUID) (map[signedcall.Status]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// The outer join gives one row with a NULL status for a campaign with
	// no deliveries, and no row for an unknown one.
	rows, err := s.pool.Query(ctx, `
		SELECT d.status, count(d.user_id)
		FROM campaigns AS c LEFT JOIN deliveries AS d ON d.campaign_id = c.id
		WHERE c.id = $1
		GROUP BY d.status`, campaignID)
	if err != nil {
		return nil, fmt.Errorf("pgstore: counts of campaign %s: %w", campaignID, err)
	}
	out := map[signedcall.Status]int{}
	found := false
	var (
		st *string
		n  int64
	)
	_, err = pgx.ForEachRow(rows, []any{&st, &n}, func() error {
		found = true
		if st != nil {
			out[signedcall.Status(*st)] = int(n)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pgstore: counts of campaign %s: %w", campaignID, err)
	}
	if !found {
		return nil, notFound(campaignID)
	}
	return out, nil
}

// NextDue returns the earliest pending DueAt or lease expiry, as documented
// on [signedcall.Store], from the two partial indexes.
func (s *Store) NextDue(ctx context.Context, campaignID uuid.UUID) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	var (
		exists bool
		next   *time.Time
	)
	err := s.pool.QueryRow(ctx, `
		SELECT EXISTS (SELECT FROM campaigns WHERE id = $1), LEAST(
		    (SELECT min(due_at) FROM deliveries
		     WHERE campaign_id = $1 AND status = 'pending'),
		    (SELECT min(lease_expires) FROM deliveries
		     WHERE campaign_id = $1 AND status IN ('claimed', 'dialling')))`,
		campaignID).Scan(&exists, &next)
	switch {
	case err != nil:
		return time.Time{}, false, fmt.Errorf("pgstore: next due of campaign %s: %w", campaignID, err)
	case !exists:
		return time.Time{}, false, notFound(campaignID)
	case next == nil:
		return time.Time{}, false, nil
	}
	return next.UTC(), true, nil
}

// Delivery returns one delivery, or [signedcall.ErrNotFound].
func (s *Store) Delivery(ctx context.Context, key signedcall.Key) (signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return signedcall.Delivery{}, err
	}
	if !storable(key.UserID) {
		return signedcall.Delivery{}, deliveryNotFound(key)
	}
	rows, err := s.pool.Query(ctx, "SELECT "+deliveryCols("")+
		" FROM deliveries WHERE campaign_id = $1 AND user_id = $2", key.CampaignID, key.UserID)
	if err != nil {
		return signedcall.Delivery{}, fmt.Errorf("pgstore: delivery %s/%s: %w", key.CampaignID, key.UserID, err)
	}
	d, err := pgx.CollectExactlyOneRow(rows, scanDelivery)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return signedcall.Delivery{}, deliveryNotFound(key)
	case err != nil:
		return signedcall.Delivery{}, fmt.Errorf("pgstore: delivery %s/%s: %w", key.CampaignID, key.UserID, err)
	}
	return d, nil
}

// pageSize is how many deliveries Deliveries reads per query.
const pageSize = 1000

// Deliveries calls fn for every delivery of the campaign in UserID order
// (byte-wise), and returns the first error fn returns. It reads pages of
// deliveries by primary key, each page whole before fn sees any of it, so
// no connection or transaction is held while fn runs and fn may call the
// Store. Each page is one snapshot; the walk as a whole is not.
func (s *Store) Deliveries(ctx context.Context, campaignID uuid.UUID, fn func(signedcall.Delivery) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	q := "SELECT " + deliveryCols("") + ` FROM deliveries
		WHERE campaign_id = $1 AND user_id > $2
		ORDER BY user_id
		LIMIT $3`
	after := ""
	for first := true; ; first = false {
		if err := ctx.Err(); err != nil {
			return err
		}
		rows, err := s.pool.Query(ctx, q, campaignID, after, pageSize)
		if err != nil {
			return fmt.Errorf("pgstore: deliveries of campaign %s: %w", campaignID, err)
		}
		page, err := pgx.CollectRows(rows, scanDelivery)
		if err != nil {
			return fmt.Errorf("pgstore: deliveries of campaign %s: %w", campaignID, err)
		}
		if first && len(page) == 0 {
			return s.mustExist(ctx, campaignID)
		}
		for _, d := range page {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
		after = page[len(page)-1].UserID
	}
}
