package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestOpenMigratesOnceBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		e.open(t, Options{}).Close()
		e.open(t, Options{}) // the second open applies nothing
		set := sqliteMigrations
		if IsPostgres(e.db) {
			set = pgMigrations
		}
		all, err := set.load()
		if err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM schema_migrations`); n != len(all) {
			t.Errorf("schema_migrations has %d rows; want %d", n, len(all))
		}
		if n := e.count(t, `SELECT COUNT(*) FROM privacy_settings WHERE length(salt) = 32`); n != 1 {
			t.Errorf("%d installation secrets of 32 bytes; want 1", n)
		}
	})
}

func TestOpenRefusesNewerOrEditedSchemaBothEngines(t *testing.T) {
	for _, tc := range []struct {
		name, change string
		newer        bool
	}{
		{"newer", `INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ('9999_future.sql', 'x', 0)`, true},
		{"edited", `UPDATE schema_migrations SET sha256 = 'edited' WHERE name = (SELECT MIN(name) FROM schema_migrations)`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bothEngines(t, func(t *testing.T, e *engine) {
				e.open(t, Options{}).Close()
				if _, err := e.raw.Exec(tc.change); err != nil {
					t.Fatal(err)
				}
				_, err := Open(context.Background(), e.db, Options{})
				if err == nil {
					t.Fatal("Open accepted the changed schema")
				}
				if tc.newer != errors.Is(err, ErrNewerSchema) {
					t.Errorf("err = %v; ErrNewerSchema %v", err, tc.newer)
				}
			})
		})
	}
}

func TestOpenExistingRefusesEmptyPostgres(t *testing.T) {
	e := pgEngine(t)
	if _, err := Open(context.Background(), e.db, Options{Existing: true}); !errors.Is(err, ErrNoStore) {
		t.Fatalf("Open(Existing) on an empty schema: err = %v; want ErrNoStore", err)
	}
	e.open(t, Options{}).Close()
	e.open(t, Options{Existing: true, Now: func() time.Time { return pgT0 }})
}

func TestUnportedStatementFailsClearly(t *testing.T) {
	e := pgEngine(t)
	if pgLearn != nil {
		t.Skip("CIS_PG_LEARN runs unported statements")
	}
	s := e.open(t, Options{})
	// Backup's VACUUM INTO is SQLite's own (PostgreSQL's backup is
	// pg_dump): a statement that stays unported.
	_, err := s.Backup(context.Background(), t.TempDir()+"/backup.db")
	if !errors.Is(err, ErrNotOnPostgres) {
		t.Fatalf("an unported statement: err = %v; want ErrNotOnPostgres", err)
	}
	t.Logf("the error reads: %v", err)
}

// TestPostgresTwinsAreCurrent: a PostgreSQL twin was written from one
// SQLite text; when that text changes, the twin must be read again (and
// its sum updated).
func TestPostgresTwinsAreCurrent(t *testing.T) {
	twins := append(slices.Clone(pgTwins), pgAliasTwins...)
	for _, p := range pgPortSets() {
		twins = append(twins, p.twins...)
	}
	for _, tw := range twins {
		if got := sqlSum(tw.sqlite); got != tw.sum {
			t.Errorf("the SQLite statement of a PostgreSQL twin changed (sum %s, twin written from %s): re-port it in pgported.go:\n%s",
				got, tw.sum, tw.sqlite)
		}
	}
}

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT a FROM t WHERE b = ? AND c = ?", "SELECT a FROM t WHERE b = $1 AND c = $2"},
		{"UPDATE t SET a = ?2 WHERE id = ?1 OR ?1 = 0", "UPDATE t SET a = $2 WHERE id = $1 OR $1 = 0"},
		{"SELECT '?' , \"q?\" FROM t WHERE x = ? -- why?\n AND y = ?", "SELECT '?' , \"q?\" FROM t WHERE x = $1 -- why?\n AND y = $2"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q; want %q", tc.in, got, tc.want)
		}
	}
}

// TestPostgresMigrationTwins fails when a SQLite migration after the
// PostgreSQL baseline (0160) has no PostgreSQL twin of the same name in
// migrations_pg/ (a twin may be a no-op that says why), and on a
// PostgreSQL migration with no SQLite counterpart (other than the
// baseline): the two sets stay one history, and `cis store copy` moves a
// store whose schema is this build's on both engines.
func TestPostgresMigrationTwins(t *testing.T) {
	lite, err := sqliteMigrations.load()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := pgMigrations.load()
	if err != nil {
		t.Fatal(err)
	}
	const baseline = "0160_baseline.sql"
	if len(pg) == 0 || pg[0].name != baseline {
		t.Fatalf("the PostgreSQL set must start with %s", baseline)
	}
	has := map[string]bool{}
	for _, m := range lite {
		has[m.name] = true
	}
	twins := map[string]bool{}
	for _, m := range pg[1:] {
		twins[m.name] = true
		if !has[m.name] {
			t.Errorf("PostgreSQL migration %s has no SQLite migration of the same name", m.name)
		}
	}
	var missing []string
	for _, m := range lite {
		if m.name > "0160_~" && !twins[m.name] {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		t.Errorf("SQLite migrations without a PostgreSQL twin of the same name in migrations_pg/: %v", missing)
	}
}

// TestServeRefusedOnPostgres: the commands that hold a store for their
// process refuse a PostgreSQL URL clearly until leases let several servers
// share it (a file lock means nothing there).
func TestServeRefusedOnPostgres(t *testing.T) {
	url := "postgres://cis@/cis?host=/nowhere"
	if _, err := Lock(url); !errors.Is(err, ErrNotOnPostgres) {
		t.Errorf("Lock(%s): err = %v; want ErrNotOnPostgres", url, err)
	}
	if err := CreateFile(url); !errors.Is(err, ErrNotOnPostgres) {
		t.Errorf("CreateFile(%s): err = %v; want ErrNotOnPostgres", url, err)
	}
}

// TestPingPostgres: readiness on PostgreSQL is a write within a second;
// a lock held past it (a migration or a maintenance in another session)
// makes the process not ready, and ready again once it is released.
func TestPingPostgres(t *testing.T) {
	e := pgEngine(t)
	s := e.open(t, Options{})
	ctx := context.Background()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping = %v; want ready", err)
	}
	tx, err := e.raw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = s.Ping(ctx)
	waited := time.Since(start)
	_ = tx.Rollback()
	if err == nil || waited > 3*time.Second {
		t.Errorf("Ping while the store is locked = %v after %v; want not ready within the probe's patience", err, waited)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping after the lock was released = %v; want ready", err)
	}
}
