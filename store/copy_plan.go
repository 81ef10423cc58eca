package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// copySkipped are the source tables a copy leaves out, and why.
var copySkipped = map[string]string{
	"schema_migrations": "the target records its own (PostgreSQL) migrations; the source's were checked to be this build's",
	"whatsmeow_version": "whatsmeow's own upgrade wrote the target's; the source's was checked to be the same version",
	"lead_grams":        "SQLite's search index: PostgreSQL keeps leads.search by trigger and does not use it (docs/postgres.md, Search)",
}

// copyTable is one table to copy: its columns in the target's order, each
// with its kind, and the key its rows are read in (copysum.go).
type copyTable struct {
	name  string
	cols  []string
	kinds []colKind
	order []int // indexes into cols: the primary key, or every column
}

// foreignKey is a constraint dropped for the copy and added back after it
// (which checks every copied row against it, as pg_restore does).
type foreignKey struct {
	table, name, def string
}

// copyPlan is what a copy does on the target, table by table.
type copyPlan struct {
	tables  []copyTable
	keys    []foreignKey
	skipped map[string]string
}

// Catalogue reads of the target's schema (current_schema()).
const (
	pgCopyColumnsQuery = `SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
			AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
		ORDER BY c.relname, a.attnum`
	pgCopyKeyQuery = `SELECT c.relname, a.attname
		FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
		JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
		WHERE c.relnamespace = current_schema()::regnamespace AND i.indisprimary
		ORDER BY c.relname, k.n`
	pgCopyForeignKeysQuery = `SELECT c.relname, k.conname, pg_get_constraintdef(k.oid)
		FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
		WHERE c.relnamespace = current_schema()::regnamespace AND k.contype = 'f'
		ORDER BY c.relname, k.conname`
)

// planCopy matches the source's tables with the target's, column by
// column: a table or column on one side only stops the copy before any row
// moves (the two schemas are this build's, so it means a damaged file).
func planCopy(ctx context.Context, src *copySource, tx pgx.Tx) (*copyPlan, error) {
	target, err := pgCopyColumns(ctx, tx)
	if err != nil {
		return nil, err
	}
	keys, err := pgCopyKeys(ctx, tx)
	if err != nil {
		return nil, err
	}
	p := &copyPlan{skipped: map[string]string{}}
	for _, name := range src.tables {
		if why, ok := copySkipped[name]; ok {
			p.skipped[name] = why
			continue
		}
		cols, ok := target[name]
		if !ok {
			return nil, fmt.Errorf("copy: %s has table %s, which this build's PostgreSQL schema lacks", src.path, name)
		}
		t, err := matchTable(ctx, src, name, cols, keys[name])
		if err != nil {
			return nil, err
		}
		p.tables = append(p.tables, t)
	}
	for name := range target {
		if !src.has(name) && !strings.HasPrefix(name, "whatsmeow_") && copySkipped[name] == "" {
			return nil, fmt.Errorf("copy: %s lacks table %s, which this build's schema has", src.path, name)
		}
	}
	if p.keys, err = pgForeignKeys(ctx, tx); err != nil {
		return nil, err
	}
	return p, nil
}

// pgColumn is a target column: its name and type.
type pgColumn struct{ name, typ string }

func pgCopyColumns(ctx context.Context, tx pgx.Tx) (map[string][]pgColumn, error) {
	rows, err := tx.Query(ctx, pgCopyColumnsQuery)
	if err != nil {
		return nil, fmt.Errorf("copy: read the target's columns: %w", err)
	}
	defer rows.Close()
	out := map[string][]pgColumn{}
	for rows.Next() {
		var table string
		var c pgColumn
		if err := rows.Scan(&table, &c.name, &c.typ); err != nil {
			return nil, fmt.Errorf("copy: read the target's columns: %w", err)
		}
		out[table] = append(out[table], c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: read the target's columns: %w", err)
	}
	return out, nil
}

func pgCopyKeys(ctx context.Context, tx pgx.Tx) (map[string][]string, error) {
	rows, err := tx.Query(ctx, pgCopyKeyQuery)
	if err != nil {
		return nil, fmt.Errorf("copy: read the target's primary keys: %w", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return nil, fmt.Errorf("copy: read the target's primary keys: %w", err)
		}
		out[table] = append(out[table], col)
	}
	return out, rows.Err()
}

func pgForeignKeys(ctx context.Context, tx pgx.Tx) ([]foreignKey, error) {
	rows, err := tx.Query(ctx, pgCopyForeignKeysQuery)
	if err != nil {
		return nil, fmt.Errorf("copy: read the target's foreign keys: %w", err)
	}
	defer rows.Close()
	var out []foreignKey
	for rows.Next() {
		var k foreignKey
		if err := rows.Scan(&k.table, &k.name, &k.def); err != nil {
			return nil, fmt.Errorf("copy: read the target's foreign keys: %w", err)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// matchTable checks that the source table has exactly the target's
// columns and gives each its kind.
func matchTable(ctx context.Context, src *copySource, name string, cols []pgColumn, key []string) (copyTable, error) {
	have, err := src.columns(ctx, name)
	if err != nil {
		return copyTable{}, err
	}
	t := copyTable{name: name}
	for _, c := range cols {
		k, err := kindOf(c.typ)
		if err != nil {
			return copyTable{}, fmt.Errorf("copy: %s.%s: %w", name, c.name, err)
		}
		t.cols = append(t.cols, c.name)
		t.kinds = append(t.kinds, k)
	}
	a, b := slices.Sorted(slices.Values(have)), slices.Sorted(slices.Values(t.cols))
	if !slices.Equal(a, b) {
		return copyTable{}, fmt.Errorf("copy: table %s has columns %v in %s and %v in this build's PostgreSQL schema",
			name, a, src.path, b)
	}
	for _, k := range key {
		t.order = append(t.order, slices.Index(t.cols, k))
	}
	if len(t.order) == 0 { // no primary key: every column orders the rows
		for i := range t.cols {
			t.order = append(t.order, i)
		}
	}
	return t, nil
}
