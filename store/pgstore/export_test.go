package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// The statements of Apply, for TestApplyPlans.
const (
	ApplyLockSQL         = applyLockSQL
	ApplyWriteSQL        = applyWriteSQL
	LimitLockSQL         = limitLockSQL
	LimitPhoneLockSQL    = limitPhoneLockSQL
	LimitPersonStartsSQL = limitPersonStartsSQL
	LimitWriteSQL        = limitWriteSQL
)

// SchemaVersion is the newest schema version the package knows.
var SchemaVersion = schemaVersion

// PruneSlack is how much longer than MaxLimitWindow starts are kept.
const PruneSlack = pruneSlack

// SetPruneEvery makes s prune call starts after every n starts it writes,
// the first time after the next one.
func SetPruneEvery(s *Store, n int64) {
	s.pruneEvery = n
	s.startCount.Store(n - 1)
}

// Prune deletes the call starts at or before cutoff.
func (s *Store) Prune(cutoff time.Time) (int64, error) {
	return s.prune(context.Background(), cutoff)
}

// Pool returns the pool s uses.
func Pool(s *Store) *pgxpool.Pool { return s.pool }
