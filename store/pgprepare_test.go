package store

import (
	"context"
	"sort"
	"testing"

	"go.mau.fi/whatsmeow/store/sqlstore"
)

// TestPortedStatementsPrepareOnPostgres has PostgreSQL parse and type every
// ported statement (pgported*.go) against the migrated schema, whatsmeow's
// tables included: a twin with a SQLite-ism left in it, a column or table
// that does not exist, a parameter whose type cannot be inferred or an
// operator PostgreSQL lacks fails here even when no test runs its path
// yet. (What a statement means is for the tests of its path.)
func TestPortedStatementsPrepareOnPostgres(t *testing.T) {
	eng := pgEngine(t)
	ctx := context.Background()
	eng.open(t, Options{}) // migrates the schema
	dev, err := DeviceDB(eng.db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer dev.Close()
	if err := sqlstore.NewWithDB(dev, "postgres", nil).Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	var queries []string
	for q := range pgPorted() {
		queries = append(queries, q)
	}
	sort.Strings(queries)
	conn, err := eng.raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, q := range queries {
		pg := pgPorted()[q]
		switch pg {
		case "SAVEPOINT msg", "ROLLBACK TO msg", "RELEASE msg":
			continue // meaningful inside a transaction only
		}
		st, err := conn.PrepareContext(ctx, pg)
		if err != nil {
			t.Errorf("%v\nPostgreSQL text:\n%s", err, pg)
			continue
		}
		_ = st.Close()
	}
	t.Logf("%d ported statements prepared", len(queries))
}
