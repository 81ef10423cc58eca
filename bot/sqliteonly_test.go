package bot

import (
	"testing"

	"github.com/cis-agencia/cis/store"
)

// sqliteOnly skips t when every store is PostgreSQL (CIS_TEST_PG_ALL,
// store/pgredirect.go): t checks SQLite's own files or locks, or a path
// that runs on SQLite only today. why says which, and the skip says it.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if store.TestsOnPostgres() {
		t.Skip("SQLite only (CIS_TEST_PG_ALL): " + why)
	}
}
