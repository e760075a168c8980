// Package pgstore is a [signedcall.Store] on PostgreSQL, for one or many
// dispatcher processes sharing one database. It uses pgx v5 and its
// connection pool, and passes the conformance suite in store/storetest.
//
// # Several processes
//
// Every rule of the Store interface is kept by the database, not by the
// process, so any number of processes may open the same database and run
// dispatchers over the same campaigns:
//
//   - Claim is one statement. It picks due deliveries with
//     SELECT ... FOR UPDATE SKIP LOCKED, so concurrent claimers never wait
//     for each other and never take the same delivery, and leases them in
//     an UPDATE whose WHERE clause checks the state again. Taking over an
//     expired lease (a rescue) is part of the same statement.
//   - A lease is an owner, an expiry and a token drawn from a sequence, so
//     tokens increase across the whole database. Apply writes a
//     transition only where owner and token still match, in the statement
//     that makes the write; a holder whose lease was rescued cannot write,
//     even under the same owner name.
//   - Apply sends all its transitions in one round trip (a pipelined batch
//     run as one implicit transaction), as sets rather than one statement
//     each: one statement locks the deliveries named, in key order, and
//     reports the state each was found in, from which the per-transition
//     error is chosen; the next writes, in one UPDATE, those whose lease
//     still matches, and records the call start of each move to dialling
//     it wrote, in the same statement. A delivery named twice in one call
//     gets a second such pair, so its transitions apply in order. A call
//     with limits is written as described under Call limits.
//   - Materialize locks the campaign row, writes the deliveries with COPY
//     and marks the campaign in one transaction: concurrent calls from
//     several processes leave exactly one plan, and the primary key on
//     (campaign_id, user_id) refuses a duplicate user.
//
// Apply and FinishRemaining take their row locks in key order, which keeps
// them from deadlocking each other; should PostgreSQL still report a
// deadlock, the call returns it as a store error and changes nothing.
//
// # Call limits
//
// Every move to dialling Apply writes, with limits or without, adds a row
// to the table call_starts (campaign_id, phone, at): the campaign, the
// delivery's number (empty when it has none) and the transition's At, in the
// transaction of the move. Limits read it through its indexes on
// (phone, at), for [signedcall.ScopePerson] and
// [signedcall.ScopePersonCampaign], and on (campaign_id, at), for
// [signedcall.ScopeCampaign].
//
// An Apply call in which some move to dialling carries Limits or a
// positive MaxConcurrent runs as one READ COMMITTED transaction of three
// round trips, whatever the number of transitions. The first takes every
// lock the call needs and then reads what its limits count; Apply then
// decides each transition in the order given, with
// [signedcall.CheckLimits] on what it read and on the starts the
// transitions before it wrote, and a refusal is that transition's
// [*signedcall.LimitError] (wrapped; errors.As finds it) and writes
// nothing for it; the second round trip writes every changed delivery in
// one UPDATE and the new starts in one INSERT; the third commits. Calls
// with no limits keep the set-based statements above.
//
// Two moves to dialling that a limit allows only one of never both
// succeed, in one process or many, because the checks that could both
// pass are serialised:
//
//   - A campaign's pace (ScopeCampaign limits) and cap on calls in
//     progress (MaxConcurrent) are checked under an exclusive lock on the
//     campaign's row (SELECT ... FOR UPDATE). Every move to dialling in
//     the campaign, limited or not, holds at least a share lock on that
//     row, taken for the running check, so none writes a start or a
//     dialling delivery between another's read and its commit.
//   - Per-person limits are checked under a transaction-scoped advisory
//     lock on the number (pg_advisory_xact_lock on a hash of the schema's
//     name and the number). Moves without per-person limits take none:
//     they would succeed whatever they read, so their order with a
//     limited move does not matter. Two numbers whose hashes collide
//     share a lock, which only makes their checks wait for each other.
//
// Each read runs in a statement of its own after the locks were granted,
// so its snapshot shows every start and call committed before. Locks are
// taken in one order everywhere: for each campaign in key order, its
// delivery rows in user order and then its campaign row; then the number
// locks in the order of their keys. Nothing that holds a number lock
// waits for a row lock, so the order leaves no cycle.
//
// Two things are counted without being serialised with the check: a
// delivery finishing, which can only make a later check more generous,
// and Claim taking over a dialling delivery whose lease expired, which
// starts no call but brings it back under MaxConcurrent.
//
// Starts are kept. The store can prune them (after the Apply that takes
// its count of starts written past a multiple of a set pace, deleting
// every start at or before the latest At it wrote minus MaxLimitWindow
// and a day, campaign by campaign through the (campaign_id, at) index),
// but that is off, because a single transition with an At far in the
// future would delete starts other limits still count.
//
// # Schema
//
// [Open] and [New] apply the embedded migrations before returning, in one
// transaction that holds an advisory lock, so processes starting together
// do not race: one migrates and the others, waiting on the lock, find the
// schema current. The version reached is kept in the table
// signedcall_schema_version. A database whose version is newer than this
// package knows is refused with [ErrSchemaTooNew] and left as it was; a
// migration that fails leaves the schema as it was too.
//
// Version 1 holds campaigns and deliveries. Version 2 adds the columns
// other_zones and packs (text[], NULL for none) to deliveries and the
// table call_starts with its two indexes. A version 1 schema is migrated
// in place: ADD COLUMN without a default rewrites no rows, so it takes the
// same short time for any number of deliveries (it does wait for, and
// briefly block, every query on deliveries), and the rows already there
// read as having no other zones and no packs. Processes of
// the version 1 package that keep running on the migrated schema work
// as before but record no starts, so limits do not count their calls:
// upgrade them together.
//
// Every object (the tables campaigns, deliveries, call_starts and
// signedcall_schema_version, the sequence signedcall_lease_token) is
// created in, and read from, the connection's current schema: the first
// schema of search_path that exists. Names are never qualified, so one
// database can hold several independent stores, one per schema; choose the
// schema with search_path in the DSN, for example
// postgres://host/db?search_path=signedcall, or in the pool's
// ConnConfig.RuntimeParams. A dedicated schema keeps the generic table
// names clear of the host's own.
//
// # Values
//
// Times are stored as timestamptz, which keeps microseconds: finer parts
// are truncated, call starts' included. Every time is returned in UTC.
// PostgreSQL text holds neither NUL bytes nor invalid UTF-8, so a user ID,
// owner, phone, zone, other zone, pack ID or reason that contains them is
// refused with an error matching [signedcall.ErrInvalid] (or reported as
// not found, for a key that could not have been stored). A delivery's
// OtherZones and Packs are kept as text arrays in their order, NULL when
// empty; an empty one reads back as nil. A campaign is kept as its JSON
// form.
//
// # Tests
//
// The tests need a PostgreSQL server they may create schemas in. Each test
// works in a schema of its own, named sc_test_ and random hex, and drops
// it when done:
//
//	SIGNEDCALL_TEST_POSTGRES='postgres://postgres@127.0.0.1:5432/test?sslmode=disable' \
//		go test -race ./store/pgstore/
//
// Without SIGNEDCALL_TEST_POSTGRES the tests that need the server are
// skipped. The benchmarks (go test -run '^$' -bench .) use the same
// variable.
package pgstore

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"path"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/signedcall/signedcall"
)

// ErrSchemaTooNew is returned by [Open] and [New] when the database's
// schema version is newer than the newest migration this package knows: a
// newer release of pgstore migrated it, and this one must not use it.
var ErrSchemaTooNew = errors.New("pgstore: database schema is newer than this version of pgstore")

// DefaultConnectTimeout bounds each connection attempt when the DSN sets
// no connect_timeout of its own.
const DefaultConnectTimeout = 5 * time.Second

// Store is a [signedcall.Store] on a PostgreSQL database. Create one with
// [Open] or [New]. It is safe for concurrent use by many goroutines, and
// any number of Stores, in any number of processes, may share a database
// schema.
type Store struct {
	pool *pgxpool.Pool
	// owned reports whether Close closes pool: it does for a pool Open
	// made, not for one passed to New.
	owned bool

	// startCount counts the call starts this Store has written, from a
	// random offset below pruneEvery, so that a short-lived process
	// prunes its share too; a prune follows the Apply that takes it past
	// a multiple of pruneEvery.
	startCount atomic.Int64
	pruneEvery int64
}

var _ signedcall.Store = (*Store)(nil)

// Open connects to the database named by dsn (a PostgreSQL URL or
// key=value string, as pgx parses it), checks that it answers, applies any
// migrations it lacks, and returns a Store that owns its pool. A DSN with no
// connect_timeout gets [DefaultConnectTimeout], so an unreachable server
// gives an error within seconds; on any error nothing in the database has
// changed.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("pgstore: parse DSN: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout <= 0 {
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: open pool: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("pgstore: connect: %w", err)
	}
	s, err := New(ctx, pool)
	if err != nil {
		pool.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// New applies any migrations the database lacks, through pool, and returns
// a Store that uses pool. The caller keeps ownership: [Store.Close] leaves
// the pool open. It returns an error matching [ErrSchemaTooNew] if the
// schema is newer than this package knows, and changes nothing then.
func New(ctx context.Context, pool *pgxpool.Pool) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("pgstore: new: nil pool: %w", signedcall.ErrInvalid)
	}
	if err := migrate(ctx, pool); err != nil {
		return nil, err
	}
	s := &Store{pool: pool, pruneEvery: defaultPruneEvery}
	if s.pruneEvery > 0 {
		s.startCount.Store(rand.Int64N(s.pruneEvery))
	}
	return s, nil
}

// Close closes the connection pool if [Open] created it. A Store made by
// [New] leaves its pool to the caller. The Store must not be used after
// Close.
func (s *Store) Close() {
	if s.owned {
		s.pool.Close()
	}
}

// ---- migrations ----

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one embedded schema change; version n is the file whose
// name starts with n and an underscore.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the embedded migrations in order: versions 1, 2, ...
// with none missing.
var migrations = loadMigrations()

// schemaVersion is the newest schema version this package knows.
var schemaVersion = len(migrations)

func loadMigrations() []migration {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		panic(err) // the pattern is constant and valid
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil {
			panic("pgstore: migration " + base + " does not start with a version number")
		}
		b, err := migrationFS.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	for i, m := range out { // fs.Glob returns names in lexical order
		if m.version != i+1 {
			panic(fmt.Sprintf("pgstore: migration %s has version %d, want %d", m.name, m.version, i+1))
		}
	}
	return out
}

// migrationLock is the first key of the advisory lock migrations hold; the
// second is a hash of the schema's name, so stores in different schemas do
// not wait for each other.
const migrationLock = 0x5347_4301

// migrate brings the current schema up to schemaVersion in one
// transaction under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool) (err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	defer func() {
		if rbErr := tx.Rollback(ctx); err == nil && rbErr != nil && !errors.Is(rbErr, pgx.ErrTxClosed) {
			err = fmt.Errorf("pgstore: migrate: %w", rbErr)
		}
	}()

	var schema *string
	if err := tx.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
		return fmt.Errorf("pgstore: migrate: %w", err)
	}
	if schema == nil {
		var sp string
		_ = tx.QueryRow(ctx, "SHOW search_path").Scan(&sp)
		return fmt.Errorf("pgstore: migrate: no schema of search_path %q exists", sp)
	}
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))", int32(migrationLock)); err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: take lock: %w", *schema, err)
	}
	// Under the lock, so two first openings do not race to create it. When
	// the table exists this changes nothing.
	const versionTable = `CREATE TABLE IF NOT EXISTS signedcall_schema_version (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL DEFAULT now()
	)`
	if _, err := tx.Exec(ctx, versionTable); err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: %w", *schema, err)
	}
	var current int
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM signedcall_schema_version").Scan(&current); err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: read version: %w", *schema, err)
	}
	if current > schemaVersion {
		return fmt.Errorf("%w: schema %s is at version %d, this package knows up to %d",
			ErrSchemaTooNew, *schema, current, schemaVersion)
	}
	if current < 0 {
		return fmt.Errorf("pgstore: migrate schema %s: version %d is not one this package wrote", *schema, current)
	}
	if current == schemaVersion {
		return nil
	}
	for _, m := range migrations[current:] {
		// No arguments: pgx runs the file with the simple protocol, which
		// allows several statements.
		if _, err := tx.Exec(ctx, m.sql); err != nil {
			return fmt.Errorf("pgstore: migrate schema %s: apply %s: %w", *schema, m.name, err)
		}
		if _, err := tx.Exec(ctx, "INSERT INTO signedcall_schema_version (version) VALUES ($1)", m.version); err != nil {
			return fmt.Errorf("pgstore: migrate schema %s: record version %d: %w", *schema, m.version, err)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: migrate schema %s: commit: %w", *schema, err)
	}
	return nil
}
