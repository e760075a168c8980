// Package proctest proves the dispatcher's promises with real processes:
// dispatchers run as child processes of the test binary, against SQLite
// and PostgreSQL, and are killed with SIGKILL mid-work. The package has no
// code outside its tests.
package proctest
