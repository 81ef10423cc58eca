package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Which files are stores, and under which name (issue 15).
//
// Only the commands that create a store (serve, demo, the imports) may turn
// a missing or empty file into one; every other command sets
// Options.Existing and gets ErrNoStore, so that a mistyped --db does not
// silently start an empty store next to the real one.
//
// SQLite names a database's write-ahead log after the path it was opened by
// (symlinks resolved). Two names for one file that SQLite does not resolve
// to each other (hard links, bind mounts) therefore get two WALs: what one
// committed into its WAL is invisible through the other, and writing
// through both loses transactions although integrity_check still says ok.
// The store records the name it was last opened by (store_home); Open
// refuses another name for the same file while the recorded name's WAL or
// shared-memory file exists (a process is using it, or one died with
// transactions in it), and names the path to use instead.

var (
	// ErrNoStore is returned by Open with Options.Existing for a missing or
	// empty file.
	ErrNoStore = errors.New("no store there")
	// ErrAliased is returned by Open for a second name of a store whose
	// write-ahead log lives under its first name.
	ErrAliased = errors.New("the store is in use under another name")
)

// mustExist refuses a missing or empty file.
func mustExist(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("%s: %w: the file does not exist; `cis serve` (or `cis demo`, `cis import`) creates a store: check --db / CIS_DB",
			path, ErrNoStore)
	case err != nil:
		return fmt.Errorf("check %s: %w", path, err)
	case fi.Size() == 0 && fi.Mode().IsRegular():
		return fmt.Errorf("%s: %w: the file is empty (0 bytes); `cis serve` (or `cis demo`, `cis import`) makes a store of it; %s",
			path, ErrNoStore, untouched)
	}
	return nil
}

// home is the name SQLite derives the WAL's name from: absolute, symlinks
// resolved. A file that does not exist yet keeps its absolute name.
func home(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	if r, err := filepath.EvalSymlinks(abs); err == nil {
		return r
	}
	return abs
}

// checkHome refuses path when the store records another name for the same
// file whose WAL or shared-memory file exists. db reads the file.
func checkHome(ctx context.Context, db *sql.DB, path string) error {
	var recorded string
	err := db.QueryRowContext(ctx, `SELECT path FROM store_home WHERE id = 1`).Scan(&recorded)
	if err != nil {
		return nil // an older store without the table, or none recorded yet
	}
	if recorded == "" || recorded == home(path) {
		return nil
	}
	here, err1 := os.Stat(path)
	there, err2 := os.Stat(recorded)
	if err1 != nil || err2 != nil || !os.SameFile(here, there) {
		return nil // the store was moved or copied: the old name is another file now
	}
	for _, suffix := range []string{"-wal", "-shm"} {
		if _, err := os.Stat(recorded + suffix); err == nil {
			return fmt.Errorf("%s: %w: it is the same file as %s, whose write-ahead log %s is in use or holds "+
				"transactions not yet in the file; open the store as %s (SQLite keeps one WAL per name, and using both "+
				"names loses committed data); %s", path, ErrAliased, recorded, recorded+"-wal", recorded, untouched)
		}
	}
	return nil
}

// recordHome stores the name this process opened the file by, when it
// changed, and checkpoints so that the record is in the database file
// itself, where any other name reads it.
func recordHome(ctx context.Context, db *sql.DB, path string, now int64) error {
	var recorded string
	err := db.QueryRowContext(ctx, `SELECT path FROM store_home WHERE id = 1`).Scan(&recorded)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("read store home: %w", err)
	}
	if recorded == home(path) {
		return nil
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO store_home (id, path, opened_at) VALUES (1, ?, ?)
		ON CONFLICT (id) DO UPDATE SET path = excluded.path, opened_at = excluded.opened_at`, home(path), now); err != nil {
		return fmt.Errorf("record store home: %w", err)
	}
	if _, err := db.ExecContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
		return fmt.Errorf("record store home: %w", err)
	}
	return nil
}
