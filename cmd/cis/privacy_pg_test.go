package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the schema's set-up

	"github.com/cis-agencia/cis/store"
)

// privacyPGSchema is a store URL on a schema of its own in the CIS_TEST_PG
// cluster (.ci/pg), dropped at the end of t. Without CIS_TEST_PG the test
// is skipped, unless CIS_TEST_PG_REQUIRED says it must run (CI).
func privacyPGSchema(t *testing.T) string {
	t.Helper()
	base := store.TestCluster(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "c_" + hex.EncodeToString(b)
	if _, err := admin.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("PostgreSQL at CIS_TEST_PG: %v", err)
	}
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", base); err == nil {
			_, _ = admin.Exec("DROP SCHEMA " + schema + " CASCADE")
			admin.Close()
		}
	})
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
	}
	return base + sep + "search_path=" + schema
}
