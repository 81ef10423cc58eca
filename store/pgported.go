package store

import (
	"crypto/sha256"
	"encoding/hex"
	"sync"
)

// The statements the PostgreSQL store runs (docs/postgres.md). A statement
// not listed here fails on PostgreSQL with ErrNotOnPostgres: a feature not
// yet ported gives a clear error, never a wrong result. A statement is
// listed once its path has a test that runs on both engines.

// pgSame are statements whose PostgreSQL text is SQLite's with $N
// placeholders (rebind).
var pgSame = []string{
	// migrations and opening (migrate.go, privacy.go)
	selectSaltQuery,
}

// pgTwin is a statement whose PostgreSQL text differs from SQLite's. sum is
// the start of the SHA-256 of the SQLite text the twin was written from:
// TestPostgresTwinsAreCurrent fails when that text changes, so that its
// twin is read again.
type pgTwin struct {
	sqlite, sum, pg string
}

var pgTwins = []pgTwin{}

// pgOnly are statements that only the PostgreSQL store runs (row and
// advisory locks SQLite's single writer makes unnecessary).
var pgOnly = []string{}

// pgLearn, set by tests with CIS_PG_LEARN, runs an unported statement
// rebound and reports it, to list what a path needs ported.
var pgLearn func(query, caller string)

// pgTable maps each ported SQLite text to its PostgreSQL text.
type pgTable map[string]string

func (t pgTable) lookup(q string) (string, bool) {
	pg, ok := t[q]
	return pg, ok
}

var pgPorted = sync.OnceValue(func() pgTable {
	t := pgTable{}
	for _, q := range pgSame {
		t[q] = rebind(q)
	}
	for _, q := range pgOnly {
		t[q] = rebind(q)
	}
	for _, tw := range pgTwins {
		t[tw.sqlite] = tw.pg
	}
	return t
})

// sqlSum is the short checksum pgTwin.sum records.
func sqlSum(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:6])
}
