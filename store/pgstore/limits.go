package pgstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/signedcall/signedcall"
)

// limited reports whether t is a move to dialling that limits or a cap on
// calls in progress apply to, as memstore reads them.
func limited(t *signedcall.Transition) bool {
	return t.To == signedcall.StatusDialling && (len(t.Limits) > 0 || t.MaxConcurrent != 0)
}

// hasScope reports whether one of t's limits has one of the scopes.
func hasScope(t *signedcall.Transition, scopes ...signedcall.LimitScope) bool {
	return slices.ContainsFunc(t.Limits, func(l signedcall.Limit) bool { return slices.Contains(scopes, l.Scope) })
}

// window returns how far before at the starts t's limits of the given
// scopes count can lie. A window out of range is clamped: CheckLimits
// refuses such a limit, so what is read for it does not matter.
func window(t *signedcall.Transition, scopes ...signedcall.LimitScope) time.Time {
	w := min(max(signedcall.LongestWindow(t.Limits, scopes...), 0), signedcall.MaxLimitWindow)
	return t.At.Add(-w)
}

// earliest lowers *p to t, or sets it when unset.
func earliest(p **time.Time, t time.Time) {
	if *p == nil || t.Before(**p) {
		*p = &t
	}
}

// phoneLock is the first key of the advisory locks that serialise
// per-person limits; the second is a hash of the schema's name and the
// number. migrationLock is another first key, so the two never meet.
const phoneLock = 0x5347_4302

// The statements of applyLimited. The first batch begins the transaction,
// takes every lock in the order described in the package documentation
// and then, each statement with a snapshot taken after those locks were
// granted, reads what the limits count.
const (
	// limitLockSQL locks the deliveries $2 of campaign $1 in the order
	// given, as applyLockSQL does, and returns what Apply decides on and
	// the row's tuple ID, which stays the row's while the lock is held.
	limitLockSQL = `
SELECT t.i, p.ctid, p.phone, p.status, p.attempt, p.due_at, p.lease_owner, p.lease_token,
       p.lease_expires, p.reason, p.updated_at, p.finished_at
FROM unnest($2::text[]) WITH ORDINALITY AS t(user_id, i)
CROSS JOIN LATERAL (
    SELECT ctid, phone, status, attempt, due_at, lease_owner, lease_token,
           lease_expires, reason, updated_at, finished_at
    FROM deliveries
    WHERE campaign_id = $1 AND user_id = t.user_id
    FOR UPDATE
) AS p`

	// A share lock on the campaign row is what applyWriteSQL takes for
	// the running check; the exclusive one also serialises every check
	// of the campaign's pace and cap on calls in progress.
	limitCampaignShareSQL  = "SELECT state FROM campaigns WHERE id = $1 FOR SHARE"
	limitCampaignUpdateSQL = "SELECT state FROM campaigns WHERE id = $1 FOR UPDATE"

	// limitPhoneLockSQL takes the advisory lock of the number of each
	// delivery ($2, $3), in the order of the locks' keys. The subquery's
	// ORDER BY keeps it from being merged into the outer query, so the
	// aggregate takes the locks in that order. The number is read by a
	// primary-key probe per delivery (a scalar subquery no plan turns
	// into a scan); those rows are already locked, and a number never
	// changes once written.
	limitPhoneLockSQL = `
SELECT count(pg_advisory_xact_lock($1, h)) FROM (
    SELECT DISTINCT hashtext(current_schema() || ' ' || phone) AS h
    FROM (
        SELECT (SELECT phone FROM deliveries AS d
                WHERE d.campaign_id = k.campaign_id AND d.user_id = k.user_id) AS phone
        FROM unnest($2::uuid[], $3::text[]) AS k(campaign_id, user_id)
    ) AS p
    WHERE phone <> ''
    ORDER BY h
) AS l`

	// limitCampaignStartsSQL reads the starts of campaign $1 after $2,
	// through call_starts_campaign_at.
	limitCampaignStartsSQL = "SELECT at FROM call_starts WHERE campaign_id = $1 AND at > $2"

	// limitPersonStartsSQL reads, through call_starts_phone_at, the
	// starts after $3 of the numbers of the deliveries ($1, $2).
	limitPersonStartsSQL = `
SELECT campaign_id, phone, at FROM call_starts
WHERE phone = ANY (ARRAY(
    SELECT (SELECT phone FROM deliveries AS d
            WHERE d.campaign_id = k.campaign_id AND d.user_id = k.user_id)
    FROM unnest($1::uuid[], $2::text[]) AS k(campaign_id, user_id)))
  AND phone <> '' AND at > $3`

	// limitDiallingSQL reads the lease expiries, later than $2, of the
	// dialling deliveries of campaign $1 other than those named $3, which
	// Apply follows itself.
	limitDiallingSQL = `
SELECT lease_expires FROM deliveries
WHERE campaign_id = $1 AND status = 'dialling' AND lease_expires > $2
  AND user_id <> ALL ($3::text[])`

	// limitWriteSQL writes the state Apply decided for each delivery that
	// changed, by tuple ID. As in applyWriteSQL, the IDs reach the scan
	// as an array built by a subquery, whose length the planner cannot
	// know, so it fetches the rows by ID rather than scanning the table
	// for a long literal array.
	limitWriteSQL = `
WITH k AS (
    SELECT * FROM unnest($1::tid[], $2::text[], $3::integer[], $4::timestamptz[], $5::text[],
                         $6::bigint[], $7::timestamptz[], $8::text[], $9::timestamptz[], $10::timestamptz[])
        AS k(tid, status, attempt, due_at, owner, token, expires, reason, updated_at, finished_at)
)
UPDATE deliveries AS d SET
    status = k.status, attempt = k.attempt, due_at = k.due_at,
    lease_owner = k.owner, lease_token = k.token, lease_expires = k.expires,
    reason = k.reason, updated_at = k.updated_at, finished_at = k.finished_at
FROM k
WHERE d.ctid = ANY (ARRAY(SELECT tid FROM k)) AND d.ctid = k.tid`

	// limitStartsSQL records call starts.
	limitStartsSQL = `
INSERT INTO call_starts (campaign_id, phone, at)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[])`
)

// limitRow is a delivery as applyLimited read it under its lock, and then
// as the transitions before the current one left it.
type limitRow struct {
	tid      pgtype.TID
	phone    string
	status   signedcall.Status
	attempt  int32
	dueAt    time.Time
	owner    *string
	token    *int64
	expires  *time.Time
	reason   string
	updated  time.Time
	finished *time.Time
	changed  bool
}

// limitCampaign is what applyLimited locks and reads for one campaign.
type limitCampaign struct {
	id    uuid.UUID
	users []string // each delivery named, in byte order
	// rows has every user named; nil for one the campaign lacks.
	rows map[string]*limitRow

	dial, exclusive bool // lock the row FOR SHARE, or FOR UPDATE
	state           signedcall.CampaignState

	// startsFrom, when set, is how far back the campaign's starts are
	// read, and starts those read and those the call has written.
	startsFrom *time.Time
	starts     []signedcall.CallStart
	// diallingFrom, when set, is how far back the lease expiries of
	// dialling deliveries not named in the call are read, into dialling.
	diallingFrom *time.Time
	dialling     []time.Time
}

// inProgress counts the campaign's deliveries dialling under a lease that
// expires after at.
func (c *limitCampaign) inProgress(at time.Time) int {
	n := 0
	for _, e := range c.dialling {
		if e.After(at) {
			n++
		}
	}
	for _, r := range c.rows {
		if r != nil && r.status == signedcall.StatusDialling && r.expires != nil && r.expires.After(at) {
			n++
		}
	}
	return n
}

// applyLimited writes a call of Apply in which some move to dialling
// carries limits. order lists the transitions to write, in the order
// given; errs holds the others' errors already.
//
// It runs one READ COMMITTED transaction of three round trips. The first
// begins it, locks every delivery named (by campaign, then user, as the
// set-based statements do), each campaign row where a move to dialling
// needs it, and the advisory lock of each number a per-person limit is
// checked on, in key order; its later statements, each with a snapshot
// taken once those locks were granted, read the starts and the calls in
// progress the limits count. Apply then decides each transition in
// order, as memstore does, with signedcall.CheckLimits on what was read
// and what the transitions before it wrote. The second writes every
// changed delivery in one UPDATE and the new starts in one INSERT; the
// third commits.
func (s *Store) applyLimited(ctx context.Context, ts []signedcall.Transition, errs []error, order []int) ([]error, error) {
	fail := func(err error) ([]error, error) {
		return nil, fmt.Errorf("pgstore: apply %d transitions: %w", len(ts), err)
	}

	camps := map[uuid.UUID]*limitCampaign{}
	var (
		list       []*limitCampaign
		personCIDs []uuid.UUID
		personUIDs []string
		personFrom *time.Time
		personSeen = map[signedcall.Key]bool{}
	)
	for _, i := range order {
		t := &ts[i]
		c := camps[t.Key.CampaignID]
		if c == nil {
			c = &limitCampaign{id: t.Key.CampaignID, rows: map[string]*limitRow{}}
			camps[c.id] = c
			list = append(list, c)
		}
		if _, ok := c.rows[t.Key.UserID]; !ok {
			c.rows[t.Key.UserID] = nil
			c.users = append(c.users, t.Key.UserID)
		}
		if t.To != signedcall.StatusDialling {
			continue
		}
		c.dial = true
		if !limited(t) {
			continue
		}
		if t.MaxConcurrent > 0 {
			c.exclusive = true
			earliest(&c.diallingFrom, t.At)
		}
		if hasScope(t, signedcall.ScopeCampaign) {
			c.exclusive = true
			earliest(&c.startsFrom, window(t, signedcall.ScopeCampaign))
		}
		if hasScope(t, signedcall.ScopePerson, signedcall.ScopePersonCampaign) {
			earliest(&personFrom, window(t, signedcall.ScopePerson, signedcall.ScopePersonCampaign))
			if !personSeen[t.Key] {
				personSeen[t.Key] = true
				personCIDs = append(personCIDs, t.Key.CampaignID)
				personUIDs = append(personUIDs, t.Key.UserID)
			}
		}
	}
	slices.SortFunc(list, func(a, b *limitCampaign) int { return bytes.Compare(a.id[:], b.id[:]) })

	// ---- first round trip: begin, lock, read ----
	b := new(pgx.Batch)
	b.BeginTx(pgx.TxOptions{IsoLevel: pgx.ReadCommitted})
	personStarts := map[string][]signedcall.CallStart{}
	for _, c := range list {
		slices.Sort(c.users)
		b.Queue(limitLockSQL, pgtype.UUID{Bytes: c.id, Valid: true}, c.users).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var (
					n      int64
					r      limitRow
					status string
				)
				if err := rows.Scan(&n, &r.tid, &r.phone, &status, &r.attempt, &r.dueAt, &r.owner,
					&r.token, &r.expires, &r.reason, &r.updated, &r.finished); err != nil {
					return err
				}
				if n < 1 || n > int64(len(c.users)) {
					return fmt.Errorf("lock result names delivery %d of %d", n, len(c.users))
				}
				r.status = signedcall.Status(status)
				c.rows[c.users[n-1]] = &r
			}
			return rows.Err()
		})
		if c.dial {
			q := limitCampaignShareSQL
			if c.exclusive {
				q = limitCampaignUpdateSQL
			}
			b.Queue(q, c.id).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var st string
					if err := rows.Scan(&st); err != nil {
						return err
					}
					c.state = signedcall.CampaignState(st)
				}
				return rows.Err()
			})
		}
	}
	if len(personCIDs) > 0 {
		b.Queue(limitPhoneLockSQL, int32(phoneLock), personCIDs, personUIDs)
	}
	for _, c := range list {
		if c.startsFrom != nil {
			cid := c.id.String()
			b.Queue(limitCampaignStartsSQL, c.id, *c.startsFrom).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var at time.Time
					if err := rows.Scan(&at); err != nil {
						return err
					}
					c.starts = append(c.starts, signedcall.CallStart{CampaignID: cid, At: at})
				}
				return rows.Err()
			})
		}
		if c.diallingFrom != nil {
			b.Queue(limitDiallingSQL, c.id, *c.diallingFrom, c.users).Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var e time.Time
					if err := rows.Scan(&e); err != nil {
						return err
					}
					c.dialling = append(c.dialling, e)
				}
				return rows.Err()
			})
		}
	}
	if len(personCIDs) > 0 {
		b.Queue(limitPersonStartsSQL, personCIDs, personUIDs, *personFrom).Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var cs signedcall.CallStart
				var cid uuid.UUID
				if err := rows.Scan(&cid, &cs.Phone, &cs.At); err != nil {
					return err
				}
				cs.CampaignID = cid.String()
				personStarts[cs.Phone] = append(personStarts[cs.Phone], cs)
			}
			return rows.Err()
		})
	}
	br := s.pool.SendBatch(ctx, b)
	tx := br.Tx()
	defer func() {
		// After a commit this does nothing. A rollback that fails closes
		// the connection, which ends the transaction too.
		_ = tx.Rollback(context.WithoutCancel(ctx))
	}()
	if err := br.Close(); err != nil {
		return fail(err)
	}

	// ---- decide, in the order given ----
	var (
		started   starts
		newStarts struct {
			cids   []uuid.UUID
			phones []string
			at     []time.Time
		}
	)
	for _, i := range order {
		t := &ts[i]
		c := camps[t.Key.CampaignID]
		r := c.rows[t.Key.UserID]
		if r == nil {
			errs[i] = deliveryNotFound(t.Key)
			continue
		}
		if err := refusal(t, r.status, r.owner, r.token, c.state); err != nil {
			errs[i] = err
			continue
		}
		switch {
		case t.To == signedcall.StatusDialling:
			if limited(t) {
				var person []signedcall.CallStart
				if r.phone != "" {
					person = personStarts[r.phone]
				}
				inProgress := 0
				if t.MaxConcurrent > 0 {
					inProgress = c.inProgress(t.At)
				}
				if err := signedcall.CheckLimits(*t, c.starts, person, inProgress); err != nil {
					errs[i] = fmt.Errorf("pgstore: delivery %s/%s: %w", t.Key.CampaignID, t.Key.UserID, err)
					continue
				}
			}
			r.status = signedcall.StatusDialling
			r.attempt++
			// As the database will hold it.
			cs := signedcall.CallStart{CampaignID: c.id.String(), Phone: r.phone, At: t.At.Truncate(time.Microsecond)}
			c.starts = append(c.starts, cs)
			if r.phone != "" {
				personStarts[r.phone] = append(personStarts[r.phone], cs)
			}
			newStarts.cids = append(newStarts.cids, c.id)
			newStarts.phones = append(newStarts.phones, r.phone)
			newStarts.at = append(newStarts.at, t.At)
			started.add(t)
		case t.To == signedcall.StatusPending:
			r.status = signedcall.StatusPending
			r.owner, r.token, r.expires = nil, nil, nil
			r.dueAt = t.DueAt
		default:
			r.status = t.To
			r.owner, r.token, r.expires = nil, nil, nil
			at := t.At
			r.finished = &at
		}
		r.reason = t.Reason
		r.updated = t.At
		r.changed = true
	}

	// ---- second round trip: write; third: commit ----
	var w struct {
		tids                   []pgtype.TID
		status, reasons        []string
		attempts               []int32
		dueAt, updated         []time.Time
		owners                 []*string
		tokens                 []*int64
		expires, finishedTimes []*time.Time
	}
	for _, c := range list {
		for _, u := range c.users {
			r := c.rows[u]
			if r == nil || !r.changed {
				continue
			}
			w.tids = append(w.tids, r.tid)
			w.status = append(w.status, string(r.status))
			w.attempts = append(w.attempts, r.attempt)
			w.dueAt = append(w.dueAt, r.dueAt)
			w.owners = append(w.owners, r.owner)
			w.tokens = append(w.tokens, r.token)
			w.expires = append(w.expires, r.expires)
			w.reasons = append(w.reasons, r.reason)
			w.updated = append(w.updated, r.updated)
			w.finishedTimes = append(w.finishedTimes, r.finished)
		}
	}
	if len(w.tids) > 0 {
		b := new(pgx.Batch)
		b.Queue(limitWriteSQL, w.tids, w.status, w.attempts, w.dueAt, w.owners, w.tokens,
			w.expires, w.reasons, w.updated, w.finishedTimes).Exec(func(tag pgconn.CommandTag) error {
			if n := tag.RowsAffected(); n != int64(len(w.tids)) {
				return fmt.Errorf("wrote %d of %d deliveries", n, len(w.tids))
			}
			return nil
		})
		if len(newStarts.cids) > 0 {
			b.Queue(limitStartsSQL, newStarts.cids, newStarts.phones, newStarts.at)
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fail(err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fail(fmt.Errorf("commit: %w", err))
	}
	s.startsWritten(ctx, started)
	return errs, nil
}

// ---- pruning ----

// defaultPruneEvery is how many call starts a Store writes between two
// prunes; 0 turns pruning off.
//
// TODO(retention): pruning is off outside tests. Its cut-off comes from
// the transitions' At, so one process with a clock far ahead would delete
// starts that other numbers' limits still count. Until it takes a clock
// it can trust (the server's), every start is kept: one row of about 80
// bytes with its index entries per call.
const defaultPruneEvery = 0

// pruneSlack is how much longer than MaxLimitWindow a start is kept, so
// that a process whose clock is behind the one that pruned still finds
// every start its limits count.
const pruneSlack = 24 * time.Hour

// pruneSQL deletes the starts at or before $1. Starting from the
// campaigns, in key order, lets it find them through
// call_starts_campaign_at, one short range per campaign, instead of
// reading the whole table, and has concurrent prunes lock rows in one
// order.
const pruneSQL = `
DELETE FROM call_starts
WHERE campaign_id = ANY (ARRAY(SELECT id FROM campaigns ORDER BY id)) AND at <= $1`

// starts counts the call starts one Apply wrote, and the latest of them.
type starts struct {
	n      int64
	latest time.Time
}

// add counts t if it is a move to dialling.
func (st *starts) add(t *signedcall.Transition) {
	if t.To != signedcall.StatusDialling {
		return
	}
	st.n++
	if st.n == 1 || t.At.After(st.latest) {
		st.latest = t.At
	}
}

// startsWritten counts the starts of an Apply that has committed, and
// prunes when the count passes a multiple of s.pruneEvery. The prune is
// housekeeping: if it fails, the next one deletes what it left.
func (s *Store) startsWritten(ctx context.Context, st starts) {
	if st.n == 0 {
		return
	}
	after := s.startCount.Add(st.n)
	if s.pruneEvery <= 0 || after/s.pruneEvery == (after-st.n)/s.pruneEvery {
		return
	}
	_, _ = s.prune(ctx, st.latest.Add(-signedcall.MaxLimitWindow-pruneSlack))
}

// prune deletes the call starts at or before cutoff and returns how many.
func (s *Store) prune(ctx context.Context, cutoff time.Time) (int64, error) {
	tag, err := s.pool.Exec(ctx, pruneSQL, cutoff)
	if err != nil {
		return 0, fmt.Errorf("pgstore: prune call starts: %w", err)
	}
	return tag.RowsAffected(), nil
}
