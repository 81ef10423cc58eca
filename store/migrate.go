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

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	name       TEXT PRIMARY KEY,
	sha256     TEXT NOT NULL,
	applied_at INTEGER NOT NULL
)`

type migration struct {
	name, sql, sum string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]migration, 0, len(names))
	for _, n := range names {
		b, err := migrationFiles.ReadFile(n)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(b)
		out = append(out, migration{name: n[len("migrations/"):], sql: string(b), sum: hex.EncodeToString(sum[:])})
	}
	return out, nil
}

// migrate applies every embedded migration not yet recorded, each in its own
// transaction with its schema_migrations row. It refuses to run when an
// applied file changed or the database knows a migration this build lacks.
func migrate(ctx context.Context, db *sql.DB, now time.Time) error {
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		return err
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return err
	}
	// Refuse a newer or edited schema before applying anything: applying our
	// missing migrations to a newer build's file would change it.
	if err := checkMigrations(applied); err != nil {
		return err
	}
	all, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range all {
		if _, ok := applied[m.name]; ok {
			continue
		}
		if err := applyMigration(ctx, db, m, now); err != nil {
			return fmt.Errorf("apply %s: %w", m.name, err)
		}
	}
	return nil
}

func appliedMigrations(ctx context.Context, db *sql.DB) (map[string]string, error) {
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

func applyMigration(ctx context.Context, db *sql.DB, m migration, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, sha256, applied_at) VALUES (?, ?, ?)`,
		m.name, m.sum, millis(now)); err != nil {
		return err
	}
	return tx.Commit()
}
