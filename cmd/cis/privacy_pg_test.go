package main

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver for the schema's set-up
)

// privacyPGSchema is a store URL on a schema of its own in the CIS_TEST_PG
// cluster (.ci/pg), dropped at the end of t. Without CIS_TEST_PG the test
// is skipped, unless CIS_TEST_PG_REQUIRED says it must run (CI).
func privacyPGSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("CIS_TEST_PG")
	if base == "" {
		if os.Getenv("CIS_TEST_PG_REQUIRED") != "" {
			t.Fatal("CIS_TEST_PG_REQUIRED is set but CIS_TEST_PG is not")
		}
		t.Skip("PostgreSQL side skipped: CIS_TEST_PG is not set (bash .ci/test starts a throw-away cluster)")
	}
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
