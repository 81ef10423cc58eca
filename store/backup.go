package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// BackupInfo describes a verified backup file.
type BackupInfo struct {
	Path      string
	Bytes     int64
	Migration string // the newest migration it records
}

// Backup writes a consistent copy of the whole file (app tables and the
// WhatsApp device store) to dest while the service keeps running. VACUUM
// INTO runs on a reader, so it holds one read transaction: the copy has
// every row committed before it started, writers are not blocked, and the
// copy is compacted (no WAL, no free pages). The copy is written under a
// temporary name in dest's directory, must pass PRAGMA integrity_check, and
// only then is renamed to dest, so dest is either a complete, checked backup
// or absent. An existing dest is never overwritten.
func (s *Store) Backup(ctx context.Context, dest string) (BackupInfo, error) {
	if _, err := os.Lstat(dest); err == nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: the file exists; not overwritten", dest)
	} else if !errors.Is(err, os.ErrNotExist) {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", dest, err)
	}
	// VACUUM INTO accepts an empty file, so CreateTemp reserves a unique name.
	tmp, err := os.CreateTemp(filepath.Dir(dest), "."+filepath.Base(dest)+".partial-*")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", dest, err)
	}
	_ = tmp.Close() // nothing was written through it: VACUUM INTO writes by name
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmp.Name()) // best effort; the error returned says what failed
		}
	}()
	if _, err := s.ro.ExecContext(ctx, "VACUUM INTO ?", tmp.Name()); err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: vacuum into: %w", dest, err)
	}
	if err := syncFile(tmp.Name()); err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", dest, err)
	}
	info, err := VerifyBackup(ctx, tmp.Name())
	if err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: the copy failed its check: %w", dest, err)
	}
	// os.Link fails if dest appeared meanwhile, where Rename would replace it.
	if err := os.Link(tmp.Name(), dest); err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", dest, err)
	}
	done = true
	_ = os.Remove(tmp.Name()) // dest is complete; a leftover name is a second link to the same checked copy
	if err := syncDir(filepath.Dir(dest)); err != nil {
		return BackupInfo{}, fmt.Errorf("backup to %s: %w", dest, err)
	}
	info.Path = dest
	return info, nil
}

// VerifyBackup checks a backup (or any store file) without changing it:
// SQLite header, PRAGMA integrity_check (the full check, not quick_check),
// a CIS migration record, and no migration this build does not know.
func VerifyBackup(ctx context.Context, path string) (BackupInfo, error) {
	opt := Options{}.withDefaults()
	if err := checkFile(ctx, path, "integrity_check", opt); err != nil {
		return BackupInfo{}, err
	}
	db, err := sql.Open(driverName, readOnlyDSN(path, opt))
	if err != nil {
		return BackupInfo{}, fmt.Errorf("verify %s: %w", path, err)
	}
	defer db.Close()
	info := BackupInfo{Path: path}
	// checkFile accepts a file with whatsmeow's tables only (a store that
	// `cis pair` started); a backup must carry our schema.
	if err := db.QueryRowContext(ctx, `SELECT MAX(name) FROM schema_migrations`).Scan(&info.Migration); err != nil {
		return BackupInfo{}, fmt.Errorf("verify %s: %w: no CIS migration record (%w)", path, ErrForeign, err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return BackupInfo{}, fmt.Errorf("verify %s: %w", path, err)
	}
	info.Bytes = fi.Size()
	return info, nil
}

// Restore replaces the store file at dbPath with the backup at src after
// verifying it. The current file, with its -wal and -shm companions, is moved
// aside to dbPath.before-restore-<UTC time>, never deleted, and its name is
// returned ("" when there was none). The caller must make sure nothing has
// the store open: cmd/cis holds the instance lock (Lock) while it restores.
func Restore(ctx context.Context, src, dbPath string, now time.Time) (aside string, err error) {
	if _, err := VerifyBackup(ctx, src); err != nil {
		return "", fmt.Errorf("restore %s: %w", src, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dbPath), "."+filepath.Base(dbPath)+".restoring-*")
	if err != nil {
		return "", fmt.Errorf("restore %s: %w", src, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := copyInto(tmp, src); err != nil {
		return "", fmt.Errorf("restore %s: copy: %w", src, err)
	}
	if _, err := os.Stat(dbPath); err == nil {
		aside = dbPath + ".before-restore-" + now.UTC().Format("20060102T150405Z")
		// The WAL belongs to its database by name: they move together.
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Rename(dbPath+suffix, aside+suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", fmt.Errorf("restore %s: move the current store aside: %w", src, err)
			}
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("restore %s: %w", src, err)
	}
	if err := os.Rename(tmp.Name(), dbPath); err != nil {
		// Put the current store back: an empty path would make the next
		// start create a new, empty store.
		if aside != "" {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				_ = os.Rename(aside+suffix, dbPath+suffix)
			}
		}
		return "", fmt.Errorf("restore %s: %w", src, err)
	}
	if err := syncDir(filepath.Dir(dbPath)); err != nil {
		return aside, fmt.Errorf("restore %s: %w", src, err)
	}
	return aside, nil
}

// copyInto copies src into f, syncs and closes f.
func copyInto(f *os.File, src string) error {
	in, err := os.Open(src) // #nosec G304 -- the backup the operator names to restore, only read
	if err != nil {
		_ = f.Close() // the open error is the one to report
		return err
	}
	defer in.Close()
	if _, err := io.Copy(f, in); err != nil {
		_ = f.Close() // the copy error is the one to report
		return err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close() // the sync error is the one to report
		return err
	}
	return f.Close()
}

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0) // #nosec G304 -- the temporary file Backup just created
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir) // #nosec G304 -- the directory of the operator's own backup or --db path
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
