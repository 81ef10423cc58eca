package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestOpenMigratesOnceBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		s := e.open(t, Options{})
		s.Close()
		s = e.open(t, Options{})
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
	_, err := s.Models(context.Background())
	if !errors.Is(err, ErrNotOnPostgres) {
		t.Fatalf("an unported read: err = %v; want ErrNotOnPostgres", err)
	}
	t.Logf("the error reads: %v", err)
}

// TestPostgresTwinsAreCurrent: a PostgreSQL twin was written from one
// SQLite text; when that text changes, the twin must be read again (and
// its sum updated).
func TestPostgresTwinsAreCurrent(t *testing.T) {
	for _, tw := range pgTwins {
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
