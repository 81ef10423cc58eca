package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// run fills the target inside tx: the rows are copied with the target's
// foreign keys dropped and its triggers off (the copy carries the source's
// summaries as they are, rather than having the triggers count every row
// again), then the keys are added back, which checks every copied row,
// the sequences are set past the copied ids, and every table is verified.
func (p *copyPlan) run(ctx context.Context, src *copySource, tx pgx.Tx, progress func(string, int64, int64)) (CopyReport, error) {
	if err := p.prepare(ctx, tx); err != nil {
		return CopyReport{}, err
	}
	rep := CopyReport{Skipped: p.skipped}
	for _, t := range p.tables {
		sum, err := copyRows(ctx, src, tx, t, progress)
		if err != nil {
			return CopyReport{}, err
		}
		rep.Tables = append(rep.Tables, TableCopy{Name: t.name, Rows: sum.rows, Sum: sum.sum()})
	}
	if err := p.finish(ctx, tx); err != nil {
		return CopyReport{}, err
	}
	n, err := resetSequences(ctx, tx)
	if err != nil {
		return CopyReport{}, err
	}
	rep.Reset = n
	if copyBeforeVerify != nil {
		if err := copyBeforeVerify(ctx, tx); err != nil {
			return CopyReport{}, err
		}
	}
	if err := p.verify(ctx, tx, rep.Tables); err != nil {
		return CopyReport{}, err
	}
	return rep, nil
}

// copyBeforeVerify, set by tests only, changes the target between the copy
// and its verification, to show that a difference fails the copy.
var copyBeforeVerify func(ctx context.Context, tx pgx.Tx) error

// prepare drops the foreign keys, turns the copied tables' triggers off
// and empties them (a migration may have seeded a row the source has too).
func (p *copyPlan) prepare(ctx context.Context, tx pgx.Tx) error {
	for _, k := range p.keys {
		q := `ALTER TABLE ` + pgIdent(k.table) + ` DROP CONSTRAINT ` + pgIdent(k.name)
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("copy: drop %s for the copy: %w", k.name, err)
		}
	}
	names := make([]string, 0, len(p.tables))
	for _, t := range p.tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgIdent(t.name)+` DISABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("copy: %s: triggers off: %w", t.name, err)
		}
		names = append(names, pgIdent(t.name))
	}
	if len(names) > 0 {
		if _, err := tx.Exec(ctx, `TRUNCATE `+strings.Join(names, ", ")); err != nil {
			return fmt.Errorf("copy: empty the new tables: %w", err)
		}
	}
	return nil
}

// finish adds the foreign keys back (PostgreSQL checks every row then) and
// turns the triggers on again.
func (p *copyPlan) finish(ctx context.Context, tx pgx.Tx) error {
	for _, k := range p.keys {
		q := `ALTER TABLE ` + pgIdent(k.table) + ` ADD CONSTRAINT ` + pgIdent(k.name) + ` ` + k.def
		if _, err := tx.Exec(ctx, q); err != nil {
			return fmt.Errorf("copy: the source's rows of %s break its foreign key %s (%s): %w; "+
				"nothing was committed on the target", k.table, k.name, k.def, err)
		}
	}
	for _, t := range p.tables {
		if _, err := tx.Exec(ctx, `ALTER TABLE `+pgIdent(t.name)+` ENABLE TRIGGER USER`); err != nil {
			return fmt.Errorf("copy: %s: triggers on: %w", t.name, err)
		}
	}
	return nil
}

// copyRows streams one table from the source snapshot into the target
// with COPY, summing the rows as they pass.
func copyRows(ctx context.Context, src *copySource, tx pgx.Tx, t copyTable, progress func(string, int64, int64)) (*rowSum, error) {
	var total int64
	if err := src.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+liteIdent(t.name)).Scan(&total); err != nil {
		return nil, fmt.Errorf("copy: count %s: %w", t.name, err)
	}
	rows, err := src.tx.QueryContext(ctx, t.selectSQL(false))
	if err != nil {
		return nil, fmt.Errorf("copy: read %s: %w", t.name, err)
	}
	defer rows.Close()
	in := &sourceRows{t: t, rows: rows, sum: newRowSum(), vals: make([]any, len(t.cols)), total: total, progress: progress}
	if progress != nil && total > 0 {
		progress(t.name, 0, total)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, in); err != nil {
		if in.err != nil {
			return nil, in.err
		}
		return nil, fmt.Errorf("copy: write %s: %w", t.name, err)
	}
	if progress != nil {
		progress(t.name, in.sum.rows, total)
	}
	return in.sum, nil
}

// sourceRows feeds COPY from the source's rows (pgx.CopyFromSource).
type sourceRows struct {
	t        copyTable
	rows     *sql.Rows
	sum      *rowSum
	vals     []any
	err      error
	total    int64
	progress func(string, int64, int64)
}

func (r *sourceRows) Next() bool {
	if r.err != nil || !r.rows.Next() {
		return false
	}
	ptrs := make([]any, len(r.vals))
	for i := range r.vals {
		ptrs[i] = &r.vals[i]
	}
	if err := r.rows.Scan(ptrs...); err != nil {
		r.err = fmt.Errorf("copy: read %s: %w", r.t.name, err)
		return false
	}
	for i, v := range r.vals {
		c, err := toTarget(r.t.kinds[i], v)
		if err != nil {
			r.err = fmt.Errorf("copy: %s.%s, row %d in key order: %w; nothing was committed on the target",
				r.t.name, r.t.cols[i], r.sum.rows+1, err)
			return false
		}
		r.vals[i] = c
	}
	if err := r.sum.add(r.t.kinds, r.vals); err != nil {
		r.err = fmt.Errorf("copy: %s: %w", r.t.name, err)
		return false
	}
	if r.progress != nil && r.sum.rows%5000 == 0 && r.sum.rows < r.total {
		r.progress(r.t.name, r.sum.rows, r.total)
	}
	return true
}

func (r *sourceRows) Values() ([]any, error) { return r.vals, nil }

func (r *sourceRows) Err() error {
	if r.err != nil {
		return r.err
	}
	return r.rows.Err()
}

// verify reads every copied table back from the target, in the same key
// order, and compares its row count and checksum with the source's.
func (p *copyPlan) verify(ctx context.Context, tx pgx.Tx, copied []TableCopy) error {
	for i, t := range p.tables {
		rows, err := tx.Query(ctx, t.selectSQL(true))
		if err != nil {
			return fmt.Errorf("copy: verify %s: %w", t.name, err)
		}
		sum := newRowSum()
		for rows.Next() {
			vals, err := rows.Values()
			if err == nil {
				err = sum.add(t.kinds, vals)
			}
			if err != nil {
				rows.Close()
				return fmt.Errorf("copy: verify %s: %w", t.name, err)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("copy: verify %s: %w", t.name, err)
		}
		if want := copied[i]; sum.rows != want.Rows || sum.sum() != want.Sum {
			return fmt.Errorf("copy: %w: table %s has %d rows (checksum %.12s) on the target and %d (%.12s) in the source; "+
				"nothing was committed on the target", ErrCopyMismatch, t.name, sum.rows, sum.sum(), want.Rows, want.Sum)
		}
	}
	return nil
}

// selectSQL reads a table's columns in key order: byte order for text on
// both engines (SQLite's BINARY, PostgreSQL's "C"), NULLs first on both.
func (t copyTable) selectSQL(pg bool) string {
	ident := liteIdent
	if pg {
		ident = pgIdent
	}
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = ident(c)
	}
	order := make([]string, len(t.order))
	for i, o := range t.order {
		order[i] = ident(t.cols[o])
		if t.kinds[o] == kindText {
			order[i] += map[bool]string{false: ` COLLATE BINARY`, true: ` COLLATE "C"`}[pg]
		}
		order[i] += ` NULLS FIRST`
	}
	return `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + ident(t.name) + ` ORDER BY ` + strings.Join(order, ", ")
}

// pgSequencesQuery lists the columns of the schema fed by a sequence
// (identity or serial) with the sequence's name.
const pgSequencesQuery = `SELECT c.relname, a.attname, s
	FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid,
		LATERAL pg_get_serial_sequence(format('%I.%I', current_schema(), c.relname), a.attname) AS s
	WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
		AND a.attnum > 0 AND NOT a.attisdropped AND s IS NOT NULL`

// resetSequences sets every sequence past the largest id copied, so the
// next row PostgreSQL numbers does not collide with a copied one.
func resetSequences(ctx context.Context, tx pgx.Tx) (int, error) {
	rows, err := tx.Query(ctx, pgSequencesQuery)
	if err != nil {
		return 0, fmt.Errorf("copy: read the target's sequences: %w", err)
	}
	type seq struct{ table, col, name string }
	seqs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (seq, error) {
		var s seq
		err := r.Scan(&s.table, &s.col, &s.name)
		return s, err
	})
	if err != nil {
		return 0, fmt.Errorf("copy: read the target's sequences: %w", err)
	}
	n := 0
	for _, s := range seqs {
		q := `SELECT setval($1::regclass, m) FROM (SELECT max(` + pgIdent(s.col) + `) AS m FROM ` + pgIdent(s.table) + `) x WHERE m IS NOT NULL`
		tag, err := tx.Exec(ctx, q, s.name)
		if err != nil {
			return 0, fmt.Errorf("copy: set %s past the copied ids: %w", s.name, err)
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// pgIdent and liteIdent quote a catalogue name for each engine.
func pgIdent(name string) string { return pgx.Identifier{name}.Sanitize() }

func liteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }
