package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"sort"
	"time"
)

// A small runner instead of a migration library: every model codebase
// (whatsmeow, mautrix, miniflux, wtf) does this, it is a few dozen lines, and
// it lets us refuse an edited migration and a newer schema with a clear error.

//go:embed migrations/*.sql
var migrationFiles embed.FS

// PostgreSQL has its own set (docs/postgres.md): a baseline equal to
// SQLite's schema at 0160, then one twin per later SQLite migration.
//
//go:embed migrations_pg/*.sql
var pgMigrationFiles embed.FS

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name       TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	applied_at INTEGER NOT NULL
)`

// migrationSet is one engine's migrations and the SQL that records them.
type migrationSet struct {
	files       embed.FS
	dir         string
	createTable string
	record      string // INSERT of (name, sha256, applied_at)
}

var (
	sqliteMigrations = migrationSet{migrationFiles, "migrations", createMigrationsTable,
		`INSERT INTO schema_migrations (name, sha256, applied_at) VALUES (?, ?, ?)`}
	pgMigrations = migrationSet{pgMigrationFiles, "migrations_pg", `CREATE TABLE IF NOT EXISTS schema_migrations (
	name       TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	applied_at BIGINT NOT NULL
)`, `INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ($1, $2, $3)`}
)

type migration struct {
	name, sql, sum string
}

// migrations are SQLite's.
func migrations() ([]migration, error) { return sqliteMigrations.load() }

func (set migrationSet) load() ([]migration, error) {
	names, err := fs.Glob(set.files, set.dir+"/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, n := range names {
		b, err := set.files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{name: n[len(set.dir)+1:], sql: string(b), sum: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// migrate applies SQLite's migrations (migrationSet.apply).
func migrate(ctx context.Context, db *sql.DB, now time.Time) error {
	return sqliteMigrations.apply(ctx, db, now)
}

// sqlRunner is a *sql.DB or one *sql.Conn of it.
type sqlRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// sqlQuerier is anything that queries: a *sql.DB, *sql.Conn or *sql.Tx.
type sqlQuerier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// apply applies every migration of the set not yet recorded, each in its
// own transaction with its schema_migrations row. It refuses to run when an
// applied file changed or the database knows a migration this build lacks.
func (set migrationSet) apply(ctx context.Context, db sqlRunner, now time.Time) error {
	if _, err := db.ExecContext(ctx, set.createTable); err != nil {
		return err
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	all, err := set.load()
	if err != nil {
		return err
	}
	// Refuse a newer or edited schema before applying anything: applying our
	// missing migrations to a newer build's file would change it.
	if err := checkApplied(applied, all); err != nil {
		return err
	}
	for _, m := range all {
		if _, ok := applied[m.name]; ok {
			continue
		}
		if err := set.applyOne(ctx, db, m, now); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, db sqlQuerier) (map[string]string, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, sha256 FROM schema_migrations`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, sum string
		if err := rows.Scan(&name, &sum); err != nil {
			return nil, err
		}
		out[name] = sum
	}
	return out, rows.Err()
}

func (set migrationSet) applyOne(ctx context.Context, db sqlRunner, m migration, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, set.record, m.name, m.sum, millis(now)); err != nil {
		return err
	}
	return tx.Commit()
}

// applyMigration applies one SQLite migration (tests build older stores with it).
func applyMigration(ctx context.Context, db *sql.DB, m migration, now time.Time) error {
	return sqliteMigrations.applyOne(ctx, db, m, now)
}
