package sqlitestore

// SetPruneEvery makes starts be pruned every n starts until the returned
// function restores the default. Tests that call it must not run in
// parallel.
func SetPruneEvery(n int64) (restore func()) {
	old := pruneEvery
	pruneEvery = n
	return func() { pruneEvery = old }
}

// PruneSlack is how much longer than MaxLimitWindow starts are kept.
const PruneSlack = pruneSlack
