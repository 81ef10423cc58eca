package bot

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"log/slog"
	"testing"

	"github.com/cis-agencia/cis/store"
)

// TestDeviceStoreOnPostgres: whatsmeow's device store lives in the same
// PostgreSQL database (and schema) as the app's tables (issue 16): its
// tables are created there, and its devices are read from there.
func TestDeviceStoreOnPostgres(t *testing.T) {
	base := store.TestCluster(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	// A role of its own: whatsmeow's upgrade must not see another
	// schema's tables (store.TestSchema).
	url, err := store.TestSchema(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	defer store.DropTestSchema(base, schema)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := store.DeviceDB(url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if d := store.DeviceDialect(db); d != "postgres" {
		t.Fatalf("DeviceDialect = %q; want postgres", d)
	}
	c, err := OpenClient(ctx, db, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if c.Store.ID != nil {
		t.Errorf("a fresh database gave a paired device %v", c.Store.ID)
	}
	var n int
	if err := admin.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name LIKE 'whatsmeow%'`,
		schema).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n < 5 {
		t.Errorf("%d whatsmeow tables in the app's schema; want its device store there", n)
	}
	if err := admin.QueryRow(`SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'outbox'`,
		schema).Scan(&n); err != nil || n != 1 {
		t.Errorf("the app's outbox table is not beside them: %d, %v", n, err)
	}
}
