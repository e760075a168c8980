package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/signedcall/signedcall"
	sqlite3 "modernc.org/sqlite/lib"
)

// ---- times ----

// Times are integer Unix nanoseconds. The zero time.Time, which has none,
// is NULL, except in due_at, which is ordered and compared and keeps it as
// zeroNanos, below every other instant.
const zeroNanos = math.MinInt64

var (
	minTime = time.Unix(0, zeroNanos+1).UTC()
	maxTime = time.Unix(0, math.MaxInt64).UTC()
)

// nanos returns t as Unix nanoseconds, zeroNanos for the zero time, and
// false if t is outside the range that fits.
func nanos(t time.Time) (int64, bool) {
	switch {
	case t.IsZero():
		return zeroNanos, true
	case t.Before(minTime) || t.After(maxTime):
		return 0, false
	}
	return t.UnixNano(), true
}

// nullNanos is nanos for a nullable column: nil for the zero time.
func nullNanos(t time.Time) (any, bool) {
	n, ok := nanos(t)
	if n == zeroNanos {
		return nil, ok
	}
	return n, ok
}

// infoNanos is nullNanos for a column kept only for people reading the
// file: a time that does not fit is NULL.
func infoNanos(t time.Time) any {
	n, ok := nullNanos(t)
	if !ok {
		return nil
	}
	return n
}

// fromNanos decodes a time column, in UTC.
func fromNanos(n sql.NullInt64) time.Time {
	if !n.Valid || n.Int64 == zeroNanos {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}

// outOfRange is the rule a time that does not fit breaks.
func outOfRange(field string, t time.Time) string {
	return fmt.Sprintf("%s %s is outside the years 1678 to 2262 this store keeps",
		field, t.Format(time.RFC3339Nano))
}

// ---- rows ----

// deliveryCols are the columns scanDelivery reads, in its order. The
// campaign ID is known from the query and not read back.
const deliveryCols = `user_id, phone, time_zone, zone_source, status, due_at, attempt,
	lease_owner, lease_token, lease_expires, reason, updated_at, finished_at,
	other_zones, packs`

type scanner interface{ Scan(dest ...any) error }

func scanDelivery(sc scanner, cid uuid.UUID) (signedcall.Delivery, error) {
	d := signedcall.Delivery{CampaignID: cid}
	var zone, status, others, packs string
	var due, expires, updated, finished sql.NullInt64
	err := sc.Scan(&d.UserID, &d.Phone, &d.TimeZone, &zone, &status, &due, &d.Attempt,
		&d.Lease.Owner, &d.Lease.Token, &expires, &d.Reason, &updated, &finished,
		&others, &packs)
	if err != nil {
		return signedcall.Delivery{}, err
	}
	if d.OtherZones, err = decodeList(others); err != nil {
		return signedcall.Delivery{}, err
	}
	if d.Packs, err = decodeList(packs); err != nil {
		return signedcall.Delivery{}, err
	}
	d.ZoneSource, d.Status = signedcall.ZoneSource(zone), signedcall.Status(status)
	d.DueAt, d.Lease.Expires = fromNanos(due), fromNanos(expires)
	d.UpdatedAt, d.FinishedAt = fromNanos(updated), fromNanos(finished)
	return d, nil
}

// Statements prepared on the writer by Open for Claim and Apply.
const (
	sqlCampaignExists = `SELECT 1 FROM campaigns WHERE id = ?`

	// sqlClaimSelect takes the Limit earliest by (due_at, user_id) of the
	// due pending deliveries and the expired leases. Each side is limited
	// on its own first, so neither is read further than the answer needs.
	sqlClaimSelect = `
		SELECT ` + deliveryCols + ` FROM (
			SELECT * FROM (
				SELECT * FROM deliveries
				WHERE campaign_id = ?1 AND status = 'pending' AND due_at <= ?2
				ORDER BY due_at, user_id LIMIT ?3)
			UNION ALL
			SELECT * FROM (
				SELECT * FROM deliveries
				WHERE campaign_id = ?1 AND lease_expires <= ?2
					AND status IN ('claimed', 'dialling')
				ORDER BY due_at, user_id LIMIT ?3))
		ORDER BY due_at, user_id LIMIT ?3`

	sqlClaimUpdate = `
		UPDATE deliveries SET status = ?, lease_owner = ?, lease_token = ?,
			lease_expires = ?, updated_at = ?
		WHERE campaign_id = ? AND user_id = ?`

	sqlClaimTokens = `UPDATE lease_tokens SET last = last + ? WHERE id = 1 RETURNING last`

	// The Apply statements write only while the lease is the one named
	// and the delivery is in a state the move may leave.
	sqlApplyDial = `
		UPDATE deliveries SET status = 'dialling', attempt = attempt + 1,
			reason = ?, updated_at = ?
		WHERE campaign_id = ? AND user_id = ? AND lease_owner = ? AND lease_token = ?
			AND status = 'claimed'`

	// The release and final statements name the status they leave, so
	// that the transaction knows what to count; Apply tries the likelier
	// one first.
	sqlApplyRelease = `
		UPDATE deliveries SET status = 'pending', due_at = ?,
			lease_owner = '', lease_token = 0, lease_expires = NULL,
			reason = ?, updated_at = ?
		WHERE campaign_id = ? AND user_id = ? AND lease_owner = ? AND lease_token = ?
			AND status = ?`

	sqlApplyFinal = `
		UPDATE deliveries SET status = ?,
			lease_owner = '', lease_token = 0, lease_expires = NULL,
			reason = ?, updated_at = ?, finished_at = ?
		WHERE campaign_id = ? AND user_id = ? AND lease_owner = ? AND lease_token = ?
			AND status = ?`

	sqlApplyLookup = `
		SELECT status, lease_owner, lease_token, phone FROM deliveries
		WHERE campaign_id = ? AND user_id = ?`
)

// prepare prepares the statements of the hot paths on the writer.
func (s *Store) prepare(ctx context.Context) error {
	type prep struct {
		st  **sql.Stmt
		sql string
	}
	ps := []prep{
		{&s.claimSelect, sqlClaimSelect},
		{&s.claimUpdate, sqlClaimUpdate},
		{&s.claimTokens, sqlClaimTokens},
		{&s.applyDial, sqlApplyDial},
		{&s.applyRelease, sqlApplyRelease},
		{&s.applyFinal, sqlApplyFinal},
		{&s.applyLookup, sqlApplyLookup},
		{&s.startsCampaign, sqlStartsCampaign},
		{&s.startsPerson, sqlStartsPerson},
		{&s.dialling, sqlDialling},
		{&s.startsPrune, sqlPruneStarts},
	}
	for i, n := range startChunks {
		ps = append(ps, prep{&s.startInserts[i], startInsertSQL(n)})
	}
	for _, p := range ps {
		err := s.read(ctx, func() error {
			var err error
			*p.st, err = s.w.PrepareContext(ctx, p.sql)
			return err
		})
		if err != nil {
			return wrapErr(ctx, err, "prepare statements")
		}
	}
	return nil
}

// campaignExists returns ErrNotFound unless campaign id is stored.
func campaignExists(ctx context.Context, q queryer, id uuid.UUID) error {
	var one int
	err := q.QueryRowContext(ctx, sqlCampaignExists, id.String()).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlitestore: campaign %s: %w", id, signedcall.ErrNotFound)
	}
	return err
}

// ---- Materialize ----

// insertBatch is how many deliveries one INSERT statement of Materialize
// writes; cancelEvery is how many it writes between looks at the context.
const (
	insertBatch = 64
	insertCols  = 16
	cancelEvery = 8192
)

// Materialize writes ds as the campaign's deliveries and marks it
// materialized, in one transaction: all or none. Besides the errors
// documented on [signedcall.Store], it returns an error matching
// [signedcall.ErrInvalid] for a delivery with an empty UserID, a lease, a
// status other than pending or final, a time this store cannot keep, or
// an other zone or pack that is not valid UTF-8.
func (s *Store) Materialize(ctx context.Context, campaignID uuid.UUID, ds []signedcall.Delivery) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// Refuse early, before checking and sorting a million deliveries;
	// the write below checks again.
	err := s.read(ctx, func() error { return materializable(ctx, s.r, campaignID) })
	if err != nil {
		return wrapErr(ctx, err, "materialize campaign %s", campaignID)
	}

	// Sorting by user puts a user's deliveries next to each other, and
	// writing in key order keeps the table's B-tree appending.
	order := make([]int, len(ds))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(ds[a].UserID, ds[b].UserID) })
	dup := -1 // the first delivery whose user an earlier one has
	for k := 1; k < len(order); k++ {
		if i := order[k]; ds[i].UserID == ds[order[k-1]].UserID && (dup < 0 || i < dup) {
			dup = i
		}
	}
	// The first delivery that breaks a rule decides the error.
	rows := make([]newRow, len(ds))
	counts := map[signedcall.Status]int64{}
	for i := range ds {
		if err := rows[i].set(campaignID, i, &ds[i]); err != nil {
			return err
		}
		if i == dup {
			return fmt.Errorf("sqlitestore: materialize campaign %s: delivery %d: user %q appears twice: %w",
				campaignID, i, ds[i].UserID, signedcall.ErrDuplicateDelivery)
		}
		counts[ds[i].Status]++
	}

	cid := campaignID.String()
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := materializable(ctx, tx, campaignID); err != nil {
			return err
		}
		if err := insertRows(ctx, tx, cid, rows, order); err != nil {
			return err
		}
		for st, n := range counts {
			_, err := tx.ExecContext(ctx,
				`INSERT INTO delivery_counts (campaign_id, status, n) VALUES (?, ?, ?)`, cid, string(st), n)
			if err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx,
			// The database's own clock stamps this audit time, as
			// PostgreSQL's now() does in pgstore.
			`UPDATE campaigns SET materialized = 1,
				materialized_at = CAST(unixepoch('subsec') * 1000000000 AS INTEGER) WHERE id = ?`,
			cid)
		return err
	})
	if isCode(err, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("sqlitestore: materialize campaign %s: %w: %v",
			campaignID, signedcall.ErrDuplicateDelivery, err)
	}
	return wrapErr(ctx, err, "materialize campaign %s", campaignID)
}

// materializable returns ErrNotFound or ErrAlreadyMaterialized unless
// campaign id exists and has no deliveries yet.
func materializable(ctx context.Context, q queryer, id uuid.UUID) error {
	var done bool
	err := q.QueryRowContext(ctx, `SELECT materialized FROM campaigns WHERE id = ?`, id.String()).Scan(&done)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("sqlitestore: campaign %s: %w", id, signedcall.ErrNotFound)
	case err != nil:
		return err
	case done:
		return fmt.Errorf("sqlitestore: campaign %s: %w", id, signedcall.ErrAlreadyMaterialized)
	}
	return nil
}

// newRow is a delivery checked and encoded for its INSERT, without the
// campaign ID.
type newRow struct {
	d            *signedcall.Delivery
	due          int64
	updated      any
	finished     any
	zones, packs string
}

// set checks delivery i of a Materialize call for campaign id and encodes
// it into r.
func (r *newRow) set(id uuid.UUID, i int, d *signedcall.Delivery) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("sqlitestore: materialize campaign %s: delivery %d: %s: %w",
			id, i, fmt.Sprintf(format, args...), signedcall.ErrInvalid)
	}
	if err := signedcall.CheckNewDelivery(id, d); err != nil {
		return fmt.Errorf("sqlitestore: materialize campaign %s: delivery %d: %w", id, i, err)
	}
	var ok1, ok2, ok3, ok4, ok5 bool
	r.d = d
	r.due, ok1 = nanos(d.DueAt)
	r.updated, ok2 = nullNanos(d.UpdatedAt)
	r.finished, ok3 = nullNanos(d.FinishedAt)
	r.zones, ok4 = encodeList(d.OtherZones)
	r.packs, ok5 = encodeList(d.Packs)
	switch {
	case !ok1:
		return bad("%s", outOfRange("due_at", d.DueAt))
	case !ok2:
		return bad("%s", outOfRange("updated_at", d.UpdatedAt))
	case !ok3:
		return bad("%s", outOfRange("finished_at", d.FinishedAt))
	case !ok4:
		return bad("other_zones: %q: not valid UTF-8", d.OtherZones)
	case !ok5:
		return bad("packs: %q: not valid UTF-8", d.Packs)
	}
	return nil
}

// insertRows inserts rows in the given order, insertBatch to a statement.
func insertRows(ctx context.Context, tx *sql.Tx, cid string, rows []newRow, order []int) error {
	// The inserts run with a context that is never done, which spares
	// the driver a goroutine per statement; ctx is looked at every
	// cancelEvery rows instead, and ends the transaction when done.
	quiet := context.WithoutCancel(ctx)
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, insertBatch*insertCols)
	for start := 0; start < len(order); start += insertBatch {
		if start%cancelEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		batch := order[start:min(start+insertBatch, len(order))]
		st := stmts[len(batch)]
		if st == nil {
			var err error
			st, err = tx.PrepareContext(quiet, insertSQL(len(batch)))
			if err != nil {
				return err
			}
			stmts[len(batch)] = st
		}
		args = args[:0]
		for _, i := range batch {
			r := &rows[i]
			d := r.d
			args = append(args, cid, d.UserID, d.Phone, d.TimeZone, string(d.ZoneSource),
				string(d.Status), r.due, int64(d.Attempt), d.Reason, r.updated, r.finished,
				"", int64(0), nil, r.zones, r.packs)
		}
		if _, err := st.ExecContext(quiet, args...); err != nil {
			return err
		}
	}
	return nil
}

// insertSQL returns an INSERT of n deliveries.
func insertSQL(n int) string {
	var b strings.Builder
	b.WriteString(`INSERT INTO deliveries (campaign_id, user_id, phone, time_zone, zone_source,
		status, due_at, attempt, reason, updated_at, finished_at,
		lease_owner, lease_token, lease_expires, other_zones, packs) VALUES `)
	row := "(" + strings.Repeat("?, ", insertCols-1) + "?)"
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// ---- Claim ----

// Claim leases due deliveries as documented on [signedcall.Store], in one
// write transaction. Lease tokens increase across the whole file, shared
// by every Store that opens it. It returns an error matching
// [signedcall.ErrInvalid] if req.Limit or req.Lease is not positive,
// req.Owner is empty, or req.Now or the lease's expiry is a time this
// store cannot keep, and [signedcall.ErrNotFound] for an unknown campaign.
func (s *Store) Claim(ctx context.Context, req signedcall.ClaimRequest) ([]signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	now, okNow := nanos(req.Now)
	expiry := req.Now.Add(req.Lease)
	exp, okExp := nanos(expiry)
	var problem string
	switch {
	case req.Limit <= 0:
		problem = fmt.Sprintf("limit %d is not positive", req.Limit)
	case req.Lease <= 0:
		problem = fmt.Sprintf("lease %v is not positive", req.Lease)
	case req.Owner == "":
		problem = "owner is empty"
	case !okNow || now == zeroNanos:
		problem = outOfRange("now", req.Now)
	case !okExp:
		problem = outOfRange("lease expiry", expiry)
	}
	if problem != "" {
		return nil, fmt.Errorf("sqlitestore: claim: %s: %w", problem, signedcall.ErrInvalid)
	}

	cid := req.CampaignID.String()
	nowT, expT := time.Unix(0, now).UTC(), time.Unix(0, exp).UTC()
	var out []signedcall.Delivery
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		if err := campaignExists(ctx, tx, req.CampaignID); err != nil {
			return err
		}
		rows, err := tx.StmtContext(ctx, s.claimSelect).QueryContext(ctx, cid, now, req.Limit)
		if err != nil {
			return err
		}
		for rows.Next() {
			d, err := scanDelivery(rows, req.CampaignID)
			if err != nil {
				rows.Close()
				return err
			}
			out = append(out, d)
		}
		if err := cmpErr(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if len(out) == 0 {
			return nil
		}

		var moved counter
		var last int64
		if err := tx.StmtContext(ctx, s.claimTokens).QueryRowContext(ctx, len(out)).Scan(&last); err != nil {
			return err
		}
		token := last - int64(len(out))
		upd := tx.StmtContext(ctx, s.claimUpdate)
		quiet := context.WithoutCancel(ctx)
		for i := range out {
			d := &out[i]
			if d.Status == signedcall.StatusPending {
				d.Status = signedcall.StatusClaimed
				moved.move(cid, signedcall.StatusPending, signedcall.StatusClaimed, 1)
			}
			token++
			d.Lease = signedcall.Lease{Owner: req.Owner, Token: token, Expires: expT}
			d.UpdatedAt = nowT
			_, err := upd.ExecContext(quiet, string(d.Status), req.Owner, token, exp, now, cid, d.UserID)
			if err != nil {
				return err
			}
		}
		return moved.save(ctx, tx)
	})
	if err != nil {
		return nil, wrapErr(ctx, err, "claim campaign %s", req.CampaignID)
	}
	return out, nil
}

// ---- Apply ----

// Apply writes the transitions in order, as documented on
// [signedcall.Store], all in one write transaction: after a Store error
// none of them is applied. A transition whose To is not StatusDialling,
// StatusPending or a final status, that moves a delivery to
// StatusDialling when it is not StatusClaimed, or that carries a time
// this store cannot keep, gets an error matching [signedcall.ErrInvalid];
// a move to StatusDialling while the campaign is not running, as read in
// the same transaction, gets [signedcall.ErrNotRunning]. A final status
// clears the lease.
//
// Every move to StatusDialling writes a call start to call_starts in the
// same transaction. One with Limits or a MaxConcurrent first reads, still
// in that transaction, the starts and the calls in progress they count,
// and applies [signedcall.CheckLimits]: a refusal is that transition's
// error, matching [signedcall.ErrLimited] (errors.As finds the
// [*signedcall.LimitError]), and writes nothing for it. The transitions
// are checked in order, so each sees the starts of those before it. A
// move with neither reads nothing beyond what any move reads.
func (s *Store) Apply(ctx context.Context, ts []signedcall.Transition) ([]error, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	errs := make([]error, len(ts))
	if len(ts) == 0 {
		return errs, nil
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		a := applier{
			s:       s,
			ctx:     context.WithoutCancel(ctx),
			tx:      tx,
			dial:    tx.StmtContext(ctx, s.applyDial),
			release: tx.StmtContext(ctx, s.applyRelease),
			final:   tx.StmtContext(ctx, s.applyFinal),
			lookup:  tx.StmtContext(ctx, s.applyLookup),
		}
		for i := range ts {
			if err := ctx.Err(); err != nil {
				return err
			}
			var err error
			if errs[i], err = a.apply(&ts[i]); err != nil {
				return err
			}
		}
		if err := a.flushStarts(); err != nil {
			return err
		}
		return a.moved.save(ctx, tx)
	})
	if err != nil {
		return nil, wrapErr(ctx, err, "apply %d transitions", len(ts))
	}
	return errs, nil
}

// applier holds one Apply transaction's statements.
type applier struct {
	s                            *Store
	ctx                          context.Context
	tx                           *sql.Tx
	dial, release, final, lookup *sql.Stmt
	// The statements of call starts and limits, bound to tx when first
	// used.
	startInserts                 [len(startChunks)]*sql.Stmt
	startsCampaign, startsPerson *sql.Stmt
	moved                        counter
	// states caches the state of each campaign seen; the transaction
	// holds the write lock, so none can change meanwhile.
	states map[string]signedcall.CampaignState
	// Buffers for the starts a limit check reads, reused across
	// transitions.
	campaignStarts, personStarts []signedcall.CallStart
	// newStarts holds the arguments, three a start, of the starts noted
	// and not yet written, and newest the latest of their instants.
	newStarts []any
	newest    int64
}

// state returns the state of campaign cid, "" if it is unknown (and then
// so are its deliveries).
func (a *applier) state(cid string) (signedcall.CampaignState, error) {
	if st, ok := a.states[cid]; ok {
		return st, nil
	}
	var st string
	err := a.tx.QueryRowContext(a.ctx, `SELECT state FROM campaigns WHERE id = ?`, cid).Scan(&st)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return "", err
	}
	if a.states == nil {
		a.states = map[string]signedcall.CampaignState{}
	}
	a.states[cid] = signedcall.CampaignState(st)
	return signedcall.CampaignState(st), nil
}

// invalidMove is the error of a transition of delivery k the rules
// forbid.
func invalidMove(k signedcall.Key, format string, args ...any) error {
	return fmt.Errorf("sqlitestore: delivery %s/%s: %s: %w",
		k.CampaignID, k.UserID, fmt.Sprintf(format, args...), signedcall.ErrInvalid)
}

// apply writes one transition. It returns the transition's own error, or
// an error of the Store.
func (a *applier) apply(t *signedcall.Transition) (error, error) {
	k := t.Key
	if t.To != signedcall.StatusDialling && t.To != signedcall.StatusPending && !t.To.Final() {
		return invalidMove(k, "cannot move to status %q", t.To), nil
	}
	at, ok := nullNanos(t.At)
	if !ok {
		return invalidMove(k, "%s", outOfRange("at", t.At)), nil
	}
	cid := k.CampaignID.String()
	if t.To == signedcall.StatusDialling {
		return a.dialTo(t, cid, at)
	}
	// exec runs the write for a delivery in status from.
	var exec func(from signedcall.Status) (sql.Result, error)
	var froms []signedcall.Status
	if t.To == signedcall.StatusPending {
		due, ok := nanos(t.DueAt)
		if !ok {
			return invalidMove(k, "%s", outOfRange("due_at", t.DueAt)), nil
		}
		// Deferral (from claimed) comes before a retry (from dialling).
		froms = []signedcall.Status{signedcall.StatusClaimed, signedcall.StatusDialling}
		exec = func(from signedcall.Status) (sql.Result, error) {
			return a.release.ExecContext(a.ctx, due, t.Reason, at,
				cid, k.UserID, t.Owner, t.Token, string(from))
		}
	} else {
		// Most outcomes are of calls placed.
		froms = []signedcall.Status{signedcall.StatusDialling, signedcall.StatusClaimed}
		exec = func(from signedcall.Status) (sql.Result, error) {
			return a.final.ExecContext(a.ctx, string(t.To), t.Reason, at, at,
				cid, k.UserID, t.Owner, t.Token, string(from))
		}
	}
	for _, from := range froms {
		res, err := exec(from)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		if n == 1 {
			a.moved.move(cid, from, t.To, 1)
			return nil, nil
		}
	}
	return a.explain(t, cid)
}

// dialTo moves a claimed delivery to dialling, after its limits if it has
// any, and records the call's start.
func (a *applier) dialTo(t *signedcall.Transition, cid string, at any) (error, error) {
	k := t.Key
	atN, _ := nanos(t.At) // in range: apply checked
	limited := len(t.Limits) > 0 || t.MaxConcurrent != 0
	if limited {
		// The limits need the number, and a lease or campaign that
		// refuses the move decides before they do.
		var status, owner, phone string
		var token int64
		err := a.lookup.QueryRowContext(a.ctx, cid, k.UserID).Scan(&status, &owner, &token, &phone)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(k), nil
		}
		if err != nil {
			return nil, err
		}
		cs, err := a.state(cid)
		if err != nil {
			return nil, err
		}
		if terr := refusal(t, signedcall.Status(status), owner, token, cs); terr != nil {
			return terr, nil
		}
		if terr, err := a.checkLimits(t, cid, phone, atN); terr != nil || err != nil {
			return terr, err
		}
	} else if cs, err := a.state(cid); cs != signedcall.StateRunning || err != nil {
		// No call starts once a pause or stop is written: the state is
		// read in this transaction.
		if err != nil {
			return nil, err
		}
		return a.explain(t, cid)
	}

	res, err := a.dial.ExecContext(a.ctx, t.Reason, at, cid, k.UserID, t.Owner, t.Token)
	if err != nil {
		return nil, err
	}
	n, err := res.RowsAffected()
	switch {
	case err != nil:
		return nil, err
	case n == 0 && limited:
		return nil, fmt.Errorf("sqlitestore: delivery %s/%s was read as claimed under the lease named, "+
			"yet the move to dialling matched nothing", k.CampaignID, k.UserID)
	case n == 0:
		return a.explain(t, cid)
	}
	a.moved.move(cid, signedcall.StatusClaimed, signedcall.StatusDialling, 1)
	a.recordStart(cid, k.UserID, atN)
	return nil, nil
}

// explain returns the error of a transition whose write matched nothing.
func (a *applier) explain(t *signedcall.Transition, cid string) (error, error) {
	k := t.Key
	var status, owner, phone string
	var token int64
	err := a.lookup.QueryRowContext(a.ctx, cid, k.UserID).Scan(&status, &owner, &token, &phone)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(k), nil
	}
	if err != nil {
		return nil, err
	}
	st := signedcall.Status(status)
	if terr := refusal(t, st, owner, token, a.states[cid]); terr != nil {
		return terr, nil
	}
	return nil, fmt.Errorf("sqlitestore: delivery %s/%s is %s under the lease named, "+
		"yet the write to %s matched nothing", k.CampaignID, k.UserID, st, t.To)
}

func notFound(k signedcall.Key) error {
	return fmt.Errorf("sqlitestore: delivery %s/%s: %w", k.CampaignID, k.UserID, signedcall.ErrNotFound)
}

// refusal returns the error of transition t for a delivery in status st
// under the lease (owner, token), in a campaign in state cs (looked at
// only for a move to dialling), or nil if the rules allow the move.
func refusal(t *signedcall.Transition, st signedcall.Status, owner string, token int64, cs signedcall.CampaignState) error {
	k := t.Key
	switch {
	case st.Final() || st == signedcall.StatusPending || owner != t.Owner || token != t.Token:
		return fmt.Errorf("sqlitestore: delivery %s/%s is %s: %w",
			k.CampaignID, k.UserID, st, signedcall.ErrLeaseLost)
	case t.To == signedcall.StatusDialling && st != signedcall.StatusClaimed:
		return invalidMove(k, "cannot dial from %s", st)
	case t.To == signedcall.StatusDialling && cs != signedcall.StateRunning:
		return fmt.Errorf("sqlitestore: delivery %s/%s: campaign is %s: %w",
			k.CampaignID, k.UserID, cs, signedcall.ErrNotRunning)
	}
	return nil
}

// ---- FinishRemaining ----

// FinishRemaining finishes deliveries as documented on [signedcall.Store],
// in one write transaction. Finished deliveries get reason, UpdatedAt and
// FinishedAt at, and no lease. It returns an error matching
// [signedcall.ErrInvalid] if status is not final or at is a time this
// store cannot keep.
func (s *Store) FinishRemaining(ctx context.Context, campaignID uuid.UUID, status signedcall.Status, reason string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if !status.Final() {
		return 0, fmt.Errorf("sqlitestore: finish campaign %s: status %q is not final: %w",
			campaignID, status, signedcall.ErrInvalid)
	}
	atN, ok := nanos(at)
	atV, _ := nullNanos(at)
	if !ok {
		return 0, fmt.Errorf("sqlitestore: finish campaign %s: %s: %w",
			campaignID, outOfRange("at", at), signedcall.ErrInvalid)
	}
	cid := campaignID.String()
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		n = 0
		if err := campaignExists(ctx, tx, campaignID); err != nil {
			return err
		}
		// One statement per status left, so that each finds its rows by
		// an index and the counts know what moved.
		var moved counter
		for _, q := range []struct {
			sql      string
			args     []any
			from, to signedcall.Status
		}{{`
			UPDATE deliveries SET status = ?, reason = ?, updated_at = ?, finished_at = ?
			WHERE campaign_id = ? AND status = 'pending'`,
			[]any{string(status), reason, atV, atV, cid},
			signedcall.StatusPending, status,
		}, {
			sqlFinishLeased, []any{string(status), reason, atV, atV, cid, atN, "claimed"},
			signedcall.StatusClaimed, status,
		}, {
			sqlFinishLeased, []any{"unknown", reason, atV, atV, cid, atN, "dialling"},
			signedcall.StatusDialling, signedcall.StatusUnknown,
		}} {
			res, err := tx.ExecContext(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			moved.move(cid, q.from, q.to, k)
			n += int(k)
		}
		return moved.save(ctx, tx)
	})
	if err != nil {
		return 0, wrapErr(ctx, err, "finish campaign %s", campaignID)
	}
	return n, nil
}

// sqlFinishLeased finishes the deliveries in one leased status whose
// lease expired.
const sqlFinishLeased = `
	UPDATE deliveries SET status = ?,
		lease_owner = '', lease_token = 0, lease_expires = NULL,
		reason = ?, updated_at = ?, finished_at = ?
	WHERE campaign_id = ? AND lease_expires <= ? AND status = ?`

// ---- counts ----

// counter gathers how many deliveries a transaction moved between
// statuses, per campaign, for delivery_counts.
type counter map[countKey]int64

type countKey struct {
	campaign string
	status   signedcall.Status
}

// move records n deliveries of campaign cid moved from one status to
// another.
func (c *counter) move(cid string, from, to signedcall.Status, n int64) {
	if n == 0 || from == to {
		return
	}
	if *c == nil {
		*c = counter{}
	}
	(*c)[countKey{cid, from}] -= n
	(*c)[countKey{cid, to}] += n
}

// save adds the moves to delivery_counts, in tx.
func (c counter) save(ctx context.Context, tx *sql.Tx) error {
	for k, n := range c {
		if n == 0 {
			continue
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO delivery_counts (campaign_id, status, n) VALUES (?, ?, ?)
			ON CONFLICT (campaign_id, status) DO UPDATE SET n = n + excluded.n`,
			k.campaign, string(k.status), n)
		if err != nil {
			return err
		}
	}
	return nil
}

// ---- reads ----

// Counts returns how many deliveries of the campaign are in each status,
// from counts kept up to date by every write, so its cost does not grow
// with the campaign. Statuses with no deliveries are absent from the map.
func (s *Store) Counts(ctx context.Context, campaignID uuid.UUID) (map[signedcall.Status]int, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var out map[signedcall.Status]int
	err := s.read(ctx, func() error {
		out = map[signedcall.Status]int{}
		rows, err := s.r.QueryContext(ctx, `
			SELECT dc.status, dc.n FROM campaigns c
			LEFT JOIN delivery_counts dc ON dc.campaign_id = c.id AND dc.n > 0
			WHERE c.id = ?`, campaignID.String())
		if err != nil {
			return err
		}
		found := false
		for rows.Next() {
			found = true
			var st sql.NullString
			var n sql.NullInt64
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return err
			}
			if st.Valid {
				out[signedcall.Status(st.String)] = int(n.Int64)
			}
		}
		if err := cmpErr(rows.Err(), rows.Close()); err != nil {
			return err
		}
		if !found {
			return fmt.Errorf("sqlitestore: campaign %s: %w", campaignID, signedcall.ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return nil, wrapErr(ctx, err, "count deliveries of campaign %s", campaignID)
	}
	return out, nil
}

// NextDue returns the earliest pending DueAt or lease expiry, as documented
// on [signedcall.Store], from one consistent read.
func (s *Store) NextDue(ctx context.Context, campaignID uuid.UUID) (time.Time, bool, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, false, err
	}
	var exists bool
	var due, lease sql.NullInt64
	err := s.read(ctx, func() error {
		return s.r.QueryRowContext(ctx, `
			SELECT
				EXISTS (SELECT 1 FROM campaigns WHERE id = ?1),
				(SELECT min(due_at) FROM deliveries
					WHERE campaign_id = ?1 AND status = 'pending'),
				(SELECT min(lease_expires) FROM deliveries
					WHERE campaign_id = ?1 AND lease_expires IS NOT NULL)`,
			campaignID.String()).Scan(&exists, &due, &lease)
	})
	switch {
	case err != nil:
		return time.Time{}, false, wrapErr(ctx, err, "next due of campaign %s", campaignID)
	case !exists:
		return time.Time{}, false, fmt.Errorf("sqlitestore: campaign %s: %w", campaignID, signedcall.ErrNotFound)
	case !due.Valid && !lease.Valid:
		return time.Time{}, false, nil
	case !due.Valid || (lease.Valid && lease.Int64 < due.Int64):
		return fromNanos(lease), true, nil
	}
	return fromNanos(due), true, nil
}

// Delivery returns one delivery, or [signedcall.ErrNotFound].
func (s *Store) Delivery(ctx context.Context, key signedcall.Key) (signedcall.Delivery, error) {
	if err := ctx.Err(); err != nil {
		return signedcall.Delivery{}, err
	}
	var d signedcall.Delivery
	err := s.read(ctx, func() error {
		var err error
		row := s.r.QueryRowContext(ctx, `SELECT `+deliveryCols+` FROM deliveries
			WHERE campaign_id = ? AND user_id = ?`, key.CampaignID.String(), key.UserID)
		d, err = scanDelivery(row, key.CampaignID)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return signedcall.Delivery{}, fmt.Errorf("sqlitestore: delivery %s/%s: %w",
			key.CampaignID, key.UserID, signedcall.ErrNotFound)
	}
	if err != nil {
		return signedcall.Delivery{}, wrapErr(ctx, err, "read delivery %s/%s", key.CampaignID, key.UserID)
	}
	return d, nil
}

// walkChunk is how many deliveries Deliveries reads per query.
const walkChunk = 512

// Deliveries calls fn for every delivery of the campaign in UserID order
// (byte-wise), and returns the first error fn returns. It reads
// walkChunk deliveries per query and holds no connection or transaction
// while fn runs, so fn may call the Store, writes included; each delivery
// is as it was when its chunk was read, and the walk as a whole is not a
// snapshot.
func (s *Store) Deliveries(ctx context.Context, campaignID uuid.UUID, fn func(signedcall.Delivery) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	cid := campaignID.String()
	err := s.read(ctx, func() error {
		return campaignExists(ctx, s.r, campaignID)
	})
	if err != nil {
		return wrapErr(ctx, err, "walk deliveries of campaign %s", campaignID)
	}

	buf := make([]signedcall.Delivery, 0, walkChunk)
	after := "" // every stored UserID is longer
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := s.read(ctx, func() error {
			buf = buf[:0]
			rows, err := s.r.QueryContext(ctx, `SELECT `+deliveryCols+` FROM deliveries
				WHERE campaign_id = ? AND user_id > ? ORDER BY user_id LIMIT ?`, cid, after, walkChunk)
			if err != nil {
				return err
			}
			for rows.Next() {
				d, err := scanDelivery(rows, campaignID)
				if err != nil {
					rows.Close()
					return err
				}
				buf = append(buf, d)
			}
			return cmpErr(rows.Err(), rows.Close())
		})
		if err != nil {
			return wrapErr(ctx, err, "walk deliveries of campaign %s", campaignID)
		}
		for _, d := range buf {
			if err := fn(d); err != nil {
				return err
			}
		}
		if len(buf) < walkChunk {
			return nil
		}
		after = buf[len(buf)-1].UserID
	}
}
