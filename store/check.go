package store

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
)

// More sentinel errors of Open, Backup and VerifyBackup.
var (
	// ErrDamaged is returned when a file fails SQLite's integrity check.
	ErrDamaged = errors.New("database file is damaged")
	// ErrForeign is returned for a file that is not a CIS store: not SQLite
	// at all, or an SQLite database of some other program.
	ErrForeign = errors.New("file is not a CIS store")
)

// untouched ends every refusal of a file, so the operator knows the file is
// still as it was (RELIABILITY F12: refuse, never overwrite).
const untouched = "the file was left unchanged"

// sqliteHeader is the first 16 bytes of every SQLite 3 database file.
var sqliteHeader = []byte("SQLite format 3\x00")

// preflight checks an existing file before Open writes anything to it: the
// write handle's DSN alone would switch a foreign database to WAL, and the
// migrations would add our tables to it. It reads through its own read-only
// handle: the header, PRAGMA quick_check (O(N) but without the index
// cross-checks of integrity_check, which makes it affordable at every start),
// and the migration record. A missing or empty file is a new store.
func preflight(ctx context.Context, path string, opt Options) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) || err == nil && fi.Size() == 0 {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("%s: %w: it is a directory", path, ErrForeign)
	}
	if err := checkFile(ctx, path, "quick_check", opt); err != nil {
		return err
	}
	db, err := sql.Open(driverName, readOnlyDSN(path, opt))
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	return checkHome(ctx, db, path)
}

// checkFile runs the read-only checks on the SQLite file at path; check is
// "quick_check" (start-up) or "integrity_check" (backups).
func checkFile(ctx context.Context, path, check string, opt Options) error {
	if err := checkHeader(path); err != nil {
		return err
	}
	db, err := sql.Open(driverName, readOnlyDSN(path, opt))
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer db.Close()
	if err := integrity(ctx, db, check); err != nil {
		return fmt.Errorf("%s: %w; restore a backup (README, \"Operations\"); %s", path, err, untouched)
	}
	if err := checkSchema(ctx, db); err != nil {
		return fmt.Errorf("%s: %w; %s", path, err, untouched)
	}
	return nil
}

// readOnlyDSN opens path for reading only, with none of the write handle's
// pragmas: nothing this handle does can change the file.
func readOnlyDSN(path string, opt Options) string {
	q := url.Values{}
	q.Set("mode", "ro")
	q.Set("_busy_timeout", fmt.Sprint(opt.BusyTimeout.Milliseconds()))
	return "file:" + path + "?" + q.Encode()
}

func checkHeader(path string) error {
	f, err := os.Open(path) // #nosec G304 -- the operator's own --db (or backup) file, only read
	if err != nil {
		return fmt.Errorf("check %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, len(sqliteHeader))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, sqliteHeader) {
		return fmt.Errorf("%s: %w: not an SQLite database; %s", path, ErrForeign, untouched)
	}
	return nil
}

// integrity runs PRAGMA quick_check or integrity_check. A file too damaged
// to read its schema fails the query itself ("database disk image is
// malformed"), which is reported the same way.
func integrity(ctx context.Context, db *sql.DB, check string) error {
	rows, err := db.QueryContext(ctx, "PRAGMA "+check)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, check, err)
	}
	defer rows.Close()
	var problems []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return fmt.Errorf("%w: %s: %w", ErrDamaged, check, err)
		}
		if line != "ok" && len(problems) < 3 { // the first few say enough
			problems = append(problems, line)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: %s: %w", ErrDamaged, check, err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%w: %s: %s", ErrDamaged, check, strings.Join(problems, "; "))
	}
	return nil
}

// checkSchema refuses a database that is not ours or that a newer build
// migrated. A database with whatsmeow's tables only is ours: `cis pair`
// may have run on it before (whatsmeow_ is the device store's prefix).
func checkSchema(ctx context.Context, db *sql.DB) error {
	rows, err := db.QueryContext(ctx, `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		return fmt.Errorf("%w: read schema: %w", ErrDamaged, err)
	}
	var tables []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return fmt.Errorf("%w: read schema: %w", ErrDamaged, err)
		}
		tables = append(tables, n)
	}
	_ = rows.Close() // closed before the next query; rows.Err says whether reading failed
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%w: read schema: %w", ErrDamaged, err)
	}
	ours := false
	for _, t := range tables {
		if t == "schema_migrations" {
			ours = true
		}
	}
	if !ours {
		for _, t := range tables {
			if !strings.HasPrefix(t, "whatsmeow_") {
				return fmt.Errorf("%w: it has table %q and no CIS migration record", ErrForeign, t)
			}
		}
		return nil
	}
	applied, err := appliedMigrations(ctx, db)
	if err != nil {
		return fmt.Errorf("%w: read schema_migrations: %w", ErrDamaged, err)
	}
	return checkMigrations(applied)
}

// checkMigrations compares the migrations a file records with the embedded
// ones: an unknown name means a newer build wrote it, a changed checksum
// that a migration file was edited after it was applied.
func checkMigrations(applied map[string]string) error {
	all, err := migrations()
	if err != nil {
		return err
	}
	return checkApplied(applied, all)
}

// checkApplied refuses applied migrations that all does not know (a newer
// build's) or whose file changed since.
func checkApplied(applied map[string]string, all []migration) error {
	known := map[string]string{}
	for _, m := range all {
		known[m.name] = m.sum
	}
	var newer []string
	for name, sum := range applied {
		want, ok := known[name]
		if !ok {
			newer = append(newer, name)
			continue
		}
		if sum != want {
			return fmt.Errorf("migration %s was changed after it was applied", name)
		}
	}
	if len(newer) > 0 {
		slices.Sort(newer)
		return fmt.Errorf("%w: it has migration %s, which this build does not know; run the newer cis build or restore a backup",
			ErrNewerSchema, strings.Join(newer, ", "))
	}
	return nil
}
