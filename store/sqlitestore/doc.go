// Package sqlitestore is a [signedcall.Store] kept in one SQLite file, on
// the pure-Go driver modernc.org/sqlite (no cgo). It suits a host that runs
// on one machine: one process, or several processes sharing the file.
//
//	s, err := sqlitestore.Open(ctx, "/var/lib/myapp/calls.db")
//	if err != nil {
//		return err
//	}
//	defer s.Close()
//
// It passes the conformance suite in store/storetest.
//
// # Durability
//
// The file is in WAL mode (PRAGMA journal_mode=WAL) with
// synchronous=NORMAL. A write that returned survives a crash of the
// process, whenever it happens. A crash of the operating system or a loss
// of power may roll back the last transactions committed before it, but
// never leaves the file corrupt or a transaction half applied: every
// Store method writes in one transaction, so it is either all there or
// not at all. NORMAL rather than FULL saves an fsync per transaction.
//
// What a lost last write means after an OS crash: a lost claim or release
// is claimed again; a lost outcome leaves the delivery dialling, and its
// rescue decides (unknown, by default). A lost move to dialling is the
// one to weigh: the call may have been placed, yet the delivery is back
// to claimed, so it is dialled again once its lease runs out, with the
// same attempt number and so the same idempotency key, which a Caller
// that honours the key turns into a no-op. Hosts whose Caller cannot, and
// who cannot accept that risk, open with [WithFullSync], which makes every
// commit wait for the disk.
//
// Besides the file itself SQLite keeps path+"-wal" and path+"-shm" next to
// it while it is open. Back the three up together, or use the sqlite3
// tool's .backup command.
//
// # One writer
//
// SQLite lets one connection write at a time. Each Store writes through a
// single connection, so its own writes queue in Go (honouring each call's
// context) instead of contending for the file lock, and it reads through a
// separate pool of read-only connections, which WAL mode lets run beside
// the writer. Every write transaction starts with BEGIN IMMEDIATE, so it
// takes the write lock before it reads anything and never has to give up
// half way because another writer went first.
//
// # Several processes
//
// Several processes on one machine may open the same file, each with its
// own Store; they then share campaigns, deliveries and lease tokens, and
// two claims, from any of them, never return the same delivery. A write
// that finds the file locked by another process waits for it: SQLite
// retries for up to the busy timeout (see [WithBusyTimeout]), and the
// Store then retries the whole transaction with a growing pause, capped
// at 100ms, for as long as the call's context allows. A write is never
// dropped because the file was busy; it either happens or returns an
// error and changes nothing. The lock is not fair, though: a process that
// writes without pause can keep another one's writes waiting, so give
// each process's calls a context deadline that reflects how long a write
// may take, and expect a large Materialize (a few seconds per million
// deliveries) to hold the others up while it runs.
//
// The processes must share the machine: WAL mode needs the shared memory
// of one kernel and POSIX file locks that work, so do not put the file on
// NFS or another network file system.
//
// # Call limits
//
// Every move to dialling that Apply writes also writes a row to the
// call_starts table, in the same transaction: the campaign, the number
// called and the transition's At, whether or not the transition carried
// limits. Indexes on (phone, at) and (campaign_id, at) serve the two
// kinds of limit. A move with no limits and no MaxConcurrent reads
// nothing more than before: its start is written, with the others of the
// same Apply, by one prepared INSERT for up to 64 starts, just before the
// next move that checks limits or else before the commit.
//
// A move to dialling with Limits or a MaxConcurrent is checked inside the
// Apply transaction, after its lease and the campaign's state, by
// [signedcall.CheckLimits] on what the transaction reads:
//   - the campaign's starts since At minus its longest
//     [signedcall.ScopeCampaign] window, of which only the latest are
//     read, as many as the largest Max among those limits, since those
//     are all the limits decide on;
//   - the number's starts, from every campaign, since At minus its
//     longest per-person window ([signedcall.ScopePerson],
//     [signedcall.ScopePersonCampaign]);
//   - when MaxConcurrent is positive, how many of the campaign's
//     deliveries are dialling under a lease that expires after At, which
//     reads the campaign's leased deliveries whose lease outlasts At.
//
// A refusal is that transition's error, a [*signedcall.LimitError]
// matching [signedcall.ErrLimited], and nothing is written for it. The
// transitions of one Apply are checked in order, so each sees the starts
// the earlier ones wrote.
//
// Check and start are atomic across processes because every write
// transaction begins with BEGIN IMMEDIATE, which takes the file's write
// lock before the first read: two Stores, in one process or several,
// can never both read the same starts and both dial. The starts a limit
// counts are those every process wrote to the file.
//
// Starts are kept: the store can prune them (in the Apply transaction
// that writes a start whose rowid is a multiple of a set pace, deleting
// every start at or before the latest At written minus MaxLimitWindow
// and a day), but that is off, because a single transition with an At
// far in the future would delete starts other limits still count.
//
// # Schema
//
// The schema is versioned. Open applies the migrations this version of the
// package knows, each in its own transaction, and records them in the
// schema_version table. A file written by a newer version is refused with
// [ErrSchemaTooNew] and left as it was, so an older binary never writes to
// a schema it does not understand.
//
// Version 1 has the campaigns, the deliveries, their counts and the lease
// counter. Version 2 adds each delivery's OtherZones and Packs, as the
// TEXT columns other_zones and packs, each an empty string for none or
// else a JSON array of strings (so no element can be mistaken for two,
// whatever it holds; Materialize refuses one that is not UTF-8), and the
// call_starts table. Open migrates a version 1 file in place, in one
// transaction: ALTER TABLE ... ADD COLUMN, which rewrites no rows and
// takes the same time for any number of deliveries, and CREATE TABLE and
// CREATE INDEX for call_starts. Deliveries written before it read back
// with no other zones and no packs, and no call made before it counts
// toward a limit. If the migration fails, the file stays at version 1.
// Stop every process using the file before upgrading: a process of an
// older version that still has it open keeps writing without recording
// call starts.
//
// Counts reads a per-campaign table that every write keeps up to date in
// its own transaction, so it costs the same for ten deliveries or ten
// million. Deliveries reads in chunks and holds nothing while its callback
// runs, so the callback may call the Store.
//
// Times are stored as integer Unix nanoseconds and returned in UTC, so
// they round-trip exactly. The range that fits, the years 1678 to 2262, is
// checked: a time outside it (other than the zero time) gets an error
// matching [signedcall.ErrInvalid].
package sqlitestore
