package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// copySource is the SQLite side of a copy: a read-only handle on the file
// and one read transaction on it, so that every table is read from the same
// snapshot.
type copySource struct {
	path          string
	db            *sql.DB
	tx            *sql.Tx
	tables        []string // every table but SQLite's own
	deviceVersion int      // whatsmeow_version.version; 0 without whatsmeow's tables
}

// openCopySource checks the file as every command does (SQLite header,
// quick_check, a CIS store not newer than this build), refuses one older
// than this build, and opens its snapshot.
func openCopySource(ctx context.Context, path string) (*copySource, error) {
	opt := Options{}.withDefaults()
	if err := mustExist(path); err != nil {
		return nil, err
	}
	if err := checkFile(ctx, path, "quick_check", opt); err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, readOnlyDSN(path, opt))
	if err != nil {
		return nil, fmt.Errorf("copy: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	src := &copySource{path: path, db: db}
	if src.tx, err = db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
		_ = db.Close() // the begin error is the one to report
		return nil, fmt.Errorf("copy: read %s: %w", path, err)
	}
	if err := src.load(ctx); err != nil {
		_ = src.Close() // the load error is the one to report
		return nil, err
	}
	return src, nil
}

// Close ends the snapshot and closes the handle.
func (s *copySource) Close() error {
	_ = s.tx.Rollback() // a read-only transaction: nothing to keep
	return s.db.Close()
}

// load reads the source's tables, checks its migrations against this
// build's, and reads whatsmeow's schema version.
func (s *copySource) load(ctx context.Context) error {
	rows, err := s.tx.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return fmt.Errorf("copy: read %s: %w", s.path, err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return fmt.Errorf("copy: read %s: %w", s.path, err)
		}
		s.tables = append(s.tables, n)
	}
	_ = rows.Close() // rows.Err says whether reading failed
	if err := rows.Err(); err != nil {
		return fmt.Errorf("copy: read %s: %w", s.path, err)
	}
	if !s.has("schema_migrations") {
		return fmt.Errorf("copy: %s: %w: it holds no CIS store (no migration record); nothing to copy", s.path, ErrNoStore)
	}
	if err := s.checkNotOlder(ctx); err != nil {
		return err
	}
	if s.has("whatsmeow_version") {
		if err := s.tx.QueryRowContext(ctx, `SELECT version FROM whatsmeow_version`).Scan(&s.deviceVersion); err != nil {
			return fmt.Errorf("copy: read %s: whatsmeow_version: %w", s.path, err)
		}
	}
	return nil
}

// checkNotOlder refuses a file that lacks some of this build's migrations
// (checkFile has refused a newer or edited one): the copy writes this
// build's schema on the target, which an older file's rows do not fill.
func (s *copySource) checkNotOlder(ctx context.Context) error {
	applied, err := appliedMigrations(ctx, s.tx)
	if err != nil {
		return fmt.Errorf("copy: read %s: schema_migrations: %w", s.path, err)
	}
	all, err := migrations()
	if err != nil {
		return err
	}
	var missing []string
	for _, m := range all {
		if _, ok := applied[m.name]; !ok {
			missing = append(missing, m.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("copy: %s: %w (it lacks %s): open it once with this build, which upgrades it "+
			"(`cis backup --db %s BACKUP.db` does, and leaves a backup of it), then copy again",
			s.path, ErrOlderSchema, listSome(missing, 3), s.path)
	}
	return nil
}

func (s *copySource) has(table string) bool {
	for _, t := range s.tables {
		if t == table {
			return true
		}
	}
	return false
}

// hasDevices says whether the file holds whatsmeow's device store.
func (s *copySource) hasDevices() bool {
	for _, t := range s.tables {
		if strings.HasPrefix(t, "whatsmeow_") {
			return true
		}
	}
	return false
}

// columns lists a source table's columns (names, lower case).
func (s *copySource) columns(ctx context.Context, table string) ([]string, error) {
	rows, err := s.tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?) ORDER BY cid`, table)
	if err != nil {
		return nil, fmt.Errorf("copy: read %s's columns: %w", table, err)
	}
	defer rows.Close()
	var cols []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("copy: read %s's columns: %w", table, err)
		}
		cols = append(cols, strings.ToLower(c))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("copy: read %s's columns: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, errors.New("copy: table " + table + " has no columns")
	}
	return cols, nil
}
