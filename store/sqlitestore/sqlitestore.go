package sqlitestore

import (
	"bytes"
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/signedcall/signedcall"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// ErrSchemaTooNew is returned by [Open] when the file's schema version is
// newer than this package knows: it was written by a newer version of the
// package. The file is left unchanged.
var ErrSchemaTooNew = errors.New("sqlitestore: database schema is newer than this version of the package")

// ErrNotDatabase is returned by [Open] when the file exists but is not a
// SQLite database. The file is left unchanged.
var ErrNotDatabase = errors.New("sqlitestore: file is not a SQLite database")

// Store is a [signedcall.Store] in a SQLite file. Create one with [Open]
// and release it with [Store.Close]. It is safe for concurrent use by many
// goroutines, and several Stores, in one process or several on the same
// machine, may use the same file at once.
type Store struct {
	w *sql.DB // the one writing connection
	r *sql.DB // read-only connections

	// Statements on the writer for the hot paths, prepared once.
	claimSelect, claimUpdate, claimTokens            *sql.Stmt
	applyDial, applyRelease, applyFinal, applyLookup *sql.Stmt
	startInserts                                     [len(startChunks)]*sql.Stmt
	startsPrune, startsCampaign, startsPerson        *sql.Stmt
	dialling                                         *sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

var _ signedcall.Store = (*Store)(nil)

// Option configures [Open].
type Option func(*options)

type options struct {
	busyTimeout time.Duration
	readConns   int
	fullSync    bool
}

// Defaults of the options.
const (
	// DefaultBusyTimeout is the default of [WithBusyTimeout].
	DefaultBusyTimeout = 5 * time.Second
	// DefaultReadConns is the default of [WithReadConns].
	DefaultReadConns = 4
)

// WithBusyTimeout sets how long SQLite itself waits for a lock that
// another connection holds before a statement gives up with SQLITE_BUSY
// (PRAGMA busy_timeout); the default is [DefaultBusyTimeout]. A write
// that gives up is then retried whole by the Store until its context is
// done, so this bounds one attempt, not the call. d must not be negative;
// 0 makes every wait the Store's own retry.
func WithBusyTimeout(d time.Duration) Option {
	return func(o *options) { o.busyTimeout = d }
}

// WithReadConns sets how many read-only connections the Store keeps for
// its reads; the default is [DefaultReadConns]. n = 0 sends reads through
// the writing connection too, so reads wait for writes; n must not be
// negative.
func WithReadConns(n int) Option {
	return func(o *options) { o.readConns = n }
}

// WithFullSync makes every commit wait until the disk has the
// transaction (PRAGMA synchronous=FULL) instead of only the operating
// system (synchronous=NORMAL, the default). See the package
// documentation for what the default risks; the cost is an fsync per
// write.
func WithFullSync() Option {
	return func(o *options) { o.fullSync = true }
}

// sqliteMagic starts every SQLite database file.
var sqliteMagic = []byte("SQLite format 3\x00")

// Open opens the SQLite database at path, creating the file if it does not
// exist, and brings its schema up to date. path is a file name, not a URI.
//
// It returns an error matching [ErrNotDatabase] if the file exists and is
// not a SQLite database, and [ErrSchemaTooNew] if it was written by a
// newer version of this package; in both cases the file is unchanged.
func Open(ctx context.Context, path string, opts ...Option) (*Store, error) {
	o := options{busyTimeout: DefaultBusyTimeout, readConns: DefaultReadConns}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case path == "":
		return nil, fmt.Errorf("sqlitestore: open: path is empty: %w", signedcall.ErrInvalid)
	case o.busyTimeout < 0:
		return nil, fmt.Errorf("sqlitestore: open: busy timeout %v is negative: %w", o.busyTimeout, signedcall.ErrInvalid)
	case o.readConns < 0:
		return nil, fmt.Errorf("sqlitestore: open: %d read connections: %w", o.readConns, signedcall.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	// Refuse a file that is not a database before SQLite opens it, so
	// that nothing, not even a -wal or -shm file, is written for it.
	if err := checkHeader(abs); err != nil {
		return nil, err
	}

	w, err := sql.Open("sqlite", dsn(abs, o, false))
	if err != nil {
		return nil, fmt.Errorf("sqlitestore: open %s: %w", abs, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, r: w}
	fail := func(err error) (*Store, error) {
		s.Close()
		return nil, err
	}
	if err := s.migrate(ctx, abs); err != nil {
		return fail(err)
	}
	if o.readConns > 0 {
		r, err := sql.Open("sqlite", dsn(abs, o, true))
		if err != nil {
			return fail(fmt.Errorf("sqlitestore: open %s: %w", abs, err))
		}
		r.SetMaxOpenConns(o.readConns)
		r.SetMaxIdleConns(o.readConns)
		r.SetConnMaxLifetime(0)
		r.SetConnMaxIdleTime(0)
		s.r = r
	}
	if err := s.prepare(ctx); err != nil {
		return fail(err)
	}
	return s, nil
}

// checkHeader returns an error matching ErrNotDatabase if the file at path
// has content that does not start as a SQLite database does. A missing or
// empty file is a new database.
func checkHeader(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteMagic))
	n, err := io.ReadFull(f, head)
	switch {
	case n == 0 && (err == io.EOF || err == nil):
		return nil
	case err == io.ErrUnexpectedEOF || (err == nil && !bytes.Equal(head, sqliteMagic)):
		return fmt.Errorf("%w: %s", ErrNotDatabase, path)
	case err != nil:
		return fmt.Errorf("sqlitestore: open %s: %w", path, err)
	}
	return nil
}

// dsn returns the driver's data source name for the file at abs. Every
// connection waits for locks, enforces foreign keys and keeps the
// synchronous level; the writer begins transactions with BEGIN IMMEDIATE
// and the readers cannot write.
func dsn(abs string, o options, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout("+strconv.FormatInt(o.busyTimeout.Milliseconds(), 10)+")")
	q.Add("_pragma", "foreign_keys(1)")
	if o.fullSync {
		q.Add("_pragma", "synchronous(FULL)")
	} else {
		q.Add("_pragma", "synchronous(NORMAL)")
	}
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	} else {
		q.Set("_txlock", "immediate")
		// Keep the -wal file from staying as large as the largest
		// transaction (a big Materialize) once it is checkpointed.
		q.Add("_pragma", "journal_size_limit(67108864)")
	}
	return fileURI(abs) + "?" + q.Encode()
}

// fileURI returns the SQLite URI of the file at the absolute path abs.
func fileURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p // a Windows drive letter
	}
	r := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")
	return "file://" + r.Replace(p)
}

// Close closes the Store's connections. The Store must not be used after.
// Closing the last connection to the file checkpoints the write-ahead log
// into it.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, st := range append([]*sql.Stmt{
			s.claimSelect, s.claimUpdate, s.claimTokens,
			s.applyDial, s.applyRelease, s.applyFinal, s.applyLookup,
			s.startsPrune, s.startsCampaign, s.startsPerson, s.dialling,
		}, s.startInserts[:]...) {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		if s.r != s.w {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		if err := errors.Join(errs...); err != nil {
			s.closeErr = fmt.Errorf("sqlitestore: close: %w", err)
		}
	})
	return s.closeErr
}

// ---- schema ----

//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations returns the embedded migrations in version order. Their
// names start with the version: 0001_initial.sql is version 1. Versions
// run from 1 without gaps.
func loadMigrations() ([]migration, error) {
	entries, err := migrationFiles.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, e := range entries {
		num, _, _ := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("migration %s: name does not start with a positive version", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: e.Name(), sql: string(b)})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	for i, m := range ms {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: want version %d", m.name, i+1)
		}
	}
	return ms, nil
}

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// schemaVersion returns the file's schema version, 0 for a file without
// the schema_version table.
func schemaVersion(ctx context.Context, q queryer) (int, error) {
	var n int
	err := q.QueryRowContext(ctx,
		`SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'`).Scan(&n)
	if err != nil || n == 0 {
		return 0, err
	}
	var v sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT max(version) FROM schema_version`).Scan(&v); err != nil {
		return 0, err
	}
	return int(v.Int64), nil
}

// migrate checks the file and applies the migrations it lacks. It writes
// nothing before it has read the schema version and found it one it
// knows.
func (s *Store) migrate(ctx context.Context, abs string) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("sqlitestore: %w", err)
	}
	wrap := func(what string, err error) error {
		if isCode(err, sqlite3.SQLITE_NOTADB) {
			return fmt.Errorf("%w: %s: %v", ErrNotDatabase, abs, err)
		}
		return wrapErr(ctx, err, "open %s: %s", abs, what)
	}

	var v int
	err = s.read(ctx, func() error {
		var err error
		v, err = schemaVersion(ctx, s.w)
		return err
	})
	if err != nil {
		return wrap("read schema version", err)
	}
	if v > len(ms) {
		return tooNew(abs, v, len(ms))
	}
	if v < 0 {
		return fmt.Errorf("sqlitestore: open %s: schema version %d is not one this package wrote", abs, v)
	}

	var mode string
	err = s.read(ctx, func() error {
		return s.w.QueryRowContext(ctx, `PRAGMA journal_mode = WAL`).Scan(&mode)
	})
	if err != nil {
		return wrap("set WAL mode", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlitestore: open %s: journal mode is %q, want wal", abs, mode)
	}

	for _, m := range ms[v:] {
		err := s.write(ctx, func(tx *sql.Tx) error {
			cur, err := schemaVersion(ctx, tx)
			switch {
			case err != nil:
				return err
			case cur > len(ms):
				return tooNew(abs, cur, len(ms))
			case cur >= m.version:
				return nil // another process applied it meanwhile
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO schema_version (version, applied_at)
				VALUES (?, CAST(unixepoch('subsec') * 1000000000 AS INTEGER))`, m.version)
			return err
		})
		if err != nil {
			return wrap("migrate", err)
		}
	}
	return nil
}

// tooNew returns the error for a file at schema version have when the
// package knows up to version know.
func tooNew(abs string, have, know int) error {
	return fmt.Errorf("%w: %s has schema version %d, this package knows up to %d",
		ErrSchemaTooNew, abs, have, know)
}

// ---- transactions and retries ----

// Backoff between attempts of a transaction that found the file busy.
const (
	minBackoff = time.Millisecond
	maxBackoff = 100 * time.Millisecond
)

// write runs fn in a write transaction (BEGIN IMMEDIATE) and commits it.
// If the file is busy it rolls back and runs fn again, with a growing
// pause, until ctx is done; fn must therefore start from scratch each
// time. An error from fn rolls the transaction back and is returned.
func (s *Store) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	return retry(ctx, func() error {
		tx, err := s.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := fn(tx); err != nil {
			tx.Rollback()
			return err
		}
		return tx.Commit()
	})
}

// read runs fn, again while it fails because the file is busy, until ctx
// is done. Reads in WAL mode rarely are: only while another connection
// recovers the log or resets it.
func (s *Store) read(ctx context.Context, fn func() error) error {
	return retry(ctx, fn)
}

// retry runs fn until it succeeds, fails for a reason other than a busy
// file, or ctx is done, pausing between attempts with a backoff that
// doubles from minBackoff up to maxBackoff, with jitter so that waiting
// processes do not retry in step.
func retry(ctx context.Context, fn func() error) error {
	pause := minBackoff
	for {
		err := fn()
		if err == nil || !isBusy(err) {
			return err
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("%w (database stayed locked: %v)", ctx.Err(), err)
		case <-t.C:
		}
		pause = min(2*pause, maxBackoff)
	}
}

// isBusy reports whether err says the database was locked by another
// connection, which a later attempt may not find.
func isBusy(err error) bool {
	return isCode(err, sqlite3.SQLITE_BUSY) || isCode(err, sqlite3.SQLITE_LOCKED)
}

// isCode reports whether err is a SQLite error with the primary result code
// code, or with the extended code code when that is above 255.
func isCode(err error, code int) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	if code > 0xff {
		return se.Code() == code
	}
	return se.Code()&0xff == code
}
