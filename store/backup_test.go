package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fileSums returns the SHA-256 of path and of its -wal and -journal
// companions, to prove a refused file was not touched. A missing companion
// and an empty one count the same: any reader of a WAL database, read-only
// included, creates an empty -wal (and the -shm index, which holds no data).
func fileSums(tb testing.TB, path string) map[string]string {
	tb.Helper()
	out := map[string]string{}
	for _, suffix := range []string{"", "-wal", "-journal"} {
		b, err := os.ReadFile(path + suffix)
		switch {
		case errors.Is(err, os.ErrNotExist) || err == nil && len(b) == 0:
			out[suffix] = "absent or empty"
		case err != nil:
			tb.Fatal(err)
		default:
			out[suffix] = fmt.Sprintf("%x", sha256.Sum256(b))
		}
	}
	return out
}

// closedStore returns the path of a store file with a few messages, closed
// and checkpointed (no -wal left).
func closedStore(tb testing.TB) string {
	tb.Helper()
	s, path := mustOpen(tb)
	for i := range 3 {
		if _, err := s.Handle(context.Background(), inbound(fmt.Sprintf("wamid.%d", i), "hola"), echoStep); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestF12RefusesCorruptForeignAndNewerFiles is RELIABILITY F12: a truncated
// store, random bytes, another program's SQLite database and a store from a
// newer build are refused with a message that says what is wrong, and the
// file (with its companions) is byte for byte what it was.
func TestF12RefusesCorruptForeignAndNewerFiles(t *testing.T) {
	sqliteOnly(t, "a damaged, foreign or newer SQLite file is refused (its header and quick_check)")
	tests := []struct {
		name    string
		make    func(t *testing.T) string
		want    error
		message string
	}{
		{"truncated store", func(t *testing.T) string {
			path := closedStore(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, b[:len(b)/3], 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, ErrDamaged, "damaged"},
		{"overwritten page", func(t *testing.T) string {
			path := closedStore(t)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			page := len(b) / 2 / 4096 * 4096 // a page in the middle (the schema is on page 1)
			copy(b[page:page+4096], bytes.Repeat([]byte{0xA5}, 4096))
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, ErrDamaged, "damaged"},
		{"random bytes", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "cis.db")
			r := rand.New(rand.NewPCG(1, 2))
			b := make([]byte, 64<<10)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
			return path
		}, ErrForeign, "not an SQLite database"},
		{"another program's database", func(t *testing.T) string {
			path := filepath.Join(t.TempDir(), "other.db")
			db, err := sql.Open("sqlite3", "file:"+path)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Exec(`CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL); INSERT INTO invoices VALUES (1, 9.5)`); err != nil {
				t.Fatal(err)
			}
			db.Close()
			return path
		}, ErrForeign, `"invoices"`},
		{"newer schema", func(t *testing.T) string {
			s, path := mustOpen(t)
			if _, err := s.rw.Exec(`INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ('9999_future.sql', 'x', 0)`); err != nil {
				t.Fatal(err)
			}
			s.Close()
			return path
		}, ErrNewerSchema, "9999_future.sql, which this build does not know"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.make(t)
			before := fileSums(t, path)
			s, err := Open(context.Background(), path, Options{})
			if err == nil {
				s.Close()
				t.Fatal("Open accepted the file")
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("err = %v; want %v", err, tt.want)
			}
			for _, part := range []string{path, tt.message, untouched} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not say %q", err, part)
				}
			}
			if after := fileSums(t, path); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("the refused file changed:\nbefore %v\nafter  %v", before, after)
			}
		})
	}
}

func TestOpenAcceptsAWhatsmeowOnlyFile(t *testing.T) {
	// `cis pair` may create the device store's tables before any CIS table.
	path := filepath.Join(t.TempDir(), "cis.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatalf("Open refused a file with whatsmeow's tables only: %v", err)
	}
	s.Close()
}

// TestF13BackupUnderLoad is RELIABILITY F13: a backup taken while messages
// keep committing passes integrity_check and holds every message committed
// before it started; the file it writes is only ever a checked backup.
func TestF13BackupUnderLoad(t *testing.T) {
	sqliteOnly(t, "the backup is SQLite's VACUUM INTO a file (PostgreSQL's is pg_dump)")
	s, _ := mustOpen(t)
	ctx := context.Background()
	var (
		mu        sync.Mutex
		committed []string // ext ids whose Handle returned
		n         atomic.Int64
		stop      = make(chan struct{})
		wg        sync.WaitGroup
	)
	for w := range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				id := fmt.Sprintf("wamid.w%d.%d", w, n.Add(1))
				in := inbound(id, "hola")
				in.From = fmt.Sprintf("+5730011%05d", n.Load()%50) // 50 conversations
				if _, err := s.Handle(ctx, in, echoStep); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				committed = append(committed, id)
				mu.Unlock()
			}
		})
	}
	var before []string
	for len(before) < 200 { // let the load build up
		time.Sleep(5 * time.Millisecond)
		mu.Lock()
		before = append([]string(nil), committed...)
		mu.Unlock()
	}
	dest := filepath.Join(t.TempDir(), "backup.db")
	info, err := s.Backup(ctx, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if info.Bytes == 0 || info.Migration == "" {
		t.Errorf("info = %+v; want a size and the last migration", info)
	}
	db, err := sql.Open("sqlite3", "file:"+dest+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	inBackup := map[string]bool{}
	rows, err := db.Query(`SELECT ext_id FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		inBackup[id] = true
	}
	rows.Close()
	for _, id := range before {
		if !inBackup[id] {
			t.Errorf("message %s committed before the backup started is not in it", id)
		}
	}
	t.Logf("%d messages committed before the backup, %d in it, %d in the store at the end", len(before), len(inBackup), n.Load())
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(dest), ".*partial*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestBackupNeverOverwrites(t *testing.T) {
	s, _ := mustOpen(t)
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(dest, []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Backup(context.Background(), dest); err == nil || !strings.Contains(err.Error(), "not overwritten") {
		t.Errorf("err = %v; want a refusal", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "keep me" {
		t.Errorf("dest = %q; it was overwritten", b)
	}
}

func TestVerifyBackup(t *testing.T) {
	sqliteOnly(t, "a backup file's quick_check and schema (PostgreSQL's backup is pg_dump)")
	good := closedStore(t)
	if _, err := VerifyBackup(context.Background(), good); err != nil {
		t.Errorf("a good store: %v", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.db")
	b, _ := os.ReadFile(good)
	if err := os.WriteFile(bad, b[:len(b)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBackup(context.Background(), bad); !errors.Is(err, ErrDamaged) {
		t.Errorf("a truncated store: err = %v; want ErrDamaged", err)
	}
	// A file with the device store's tables only opens as a store but is no backup.
	pairOnly := filepath.Join(t.TempDir(), "pair.db")
	db, _ := sql.Open("sqlite3", "file:"+pairOnly)
	if _, err := db.Exec(`CREATE TABLE whatsmeow_device (jid TEXT PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := VerifyBackup(context.Background(), pairOnly); !errors.Is(err, ErrForeign) {
		t.Errorf("a device store only: err = %v; want ErrForeign", err)
	}
}

// TestRestore restores a backup over a store that changed after it: the
// restored store opens with the backup's rows, and the replaced file is kept.
func TestRestore(t *testing.T) {
	sqliteOnly(t, "restoring a backup file (PostgreSQL's restore is pg_restore)")
	ctx := context.Background()
	s, path := mustOpen(t)
	if _, err := s.Handle(ctx, inbound("wamid.before", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if _, err := s.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Handle(ctx, inbound("wamid.after", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	s.Close()

	now := time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)
	aside, err := Restore(ctx, backup, path, now)
	if err != nil {
		t.Fatal(err)
	}
	if want := path + ".before-restore-20261127T050000Z"; aside != want {
		t.Errorf("aside = %q; want %q", aside, want)
	}
	r, err := Open(ctx, path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if n := count(t, r, `SELECT COUNT(*) FROM messages WHERE ext_id = 'wamid.before'`); n != 1 {
		t.Errorf("restored store lacks the message from before the backup")
	}
	if n := count(t, r, `SELECT COUNT(*) FROM messages WHERE ext_id = 'wamid.after'`); n != 0 {
		t.Errorf("restored store has the message from after the backup")
	}
	old, err := Open(ctx, aside, Options{})
	if err != nil {
		t.Fatalf("the replaced store is not usable: %v", err)
	}
	defer old.Close()
	if n := count(t, old, `SELECT COUNT(*) FROM messages WHERE ext_id = 'wamid.after'`); n != 1 {
		t.Errorf("the replaced store lost the message from after the backup")
	}
}

func TestRestoreRefusesABadBackup(t *testing.T) {
	path := closedStore(t)
	before := fileSums(t, path)
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, []byte("not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(context.Background(), bad, path, time.Now()); !errors.Is(err, ErrForeign) {
		t.Errorf("err = %v; want ErrForeign", err)
	}
	if after := fileSums(t, path); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Error("a refused restore changed the store")
	}
}

// TestF14LockRefusesASecondInstance is RELIABILITY F14 at the store level;
// cmd/cis tests the same with two `cis serve`.
func TestF14LockRefusesASecondInstance(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	if _, err := Lock(path); !errors.Is(err, ErrNoStore) {
		t.Errorf("Lock on a missing file: %v; want ErrNoStore (nothing created)", err)
	}
	if err := CreateFile(path); err != nil {
		t.Fatal(err)
	}
	l, err := Lock(path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Lock(path)
	if !errors.Is(err, ErrInUse) {
		t.Fatalf("second Lock: err = %v; want ErrInUse", err)
	}
	if want := fmt.Sprintf("process %d", os.Getpid()); !strings.Contains(err.Error(), want) {
		t.Errorf("message %q does not name the holder (%s)", err, want)
	}
	if err := l.Unlock(); err != nil {
		t.Fatal(err)
	}
	l2, err := Lock(path)
	if err != nil {
		t.Fatalf("Lock after Unlock: %v", err)
	}
	l2.Unlock()
}

// TestCheckWritable: /readyz's store check fails while another process holds
// the write lock (F9) and after a failed commit, and recovers: after a
// successful commit, or after failureHold without one.
func TestCheckWritable(t *testing.T) {
	sqliteOnly(t, "SQLite's write lock and PRAGMA max_page_count")
	path := filepath.Join(t.TempDir(), "cis.db")
	var clock atomic.Int64 // the store's clock, read by the writer goroutine too
	clock.Store(t0.UnixNano())
	advance := func(d time.Duration) { clock.Add(int64(d)) }
	s, err := Open(context.Background(), path, Options{BusyTimeout: 50 * time.Millisecond,
		Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.CheckWritable(ctx); err != nil {
		t.Fatalf("a fresh store: %v", err)
	}
	other, err := sql.Open("sqlite3", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err == nil || !IsBusy(errors.Unwrap(err)) && !strings.Contains(err.Error(), "locked") {
		t.Errorf("with the write lock held elsewhere: err = %v; want busy", err)
	}
	tx.Rollback()
	if err := s.CheckWritable(ctx); err != nil {
		t.Errorf("after the lock was released: %v", err)
	}
	// A full disk, as RELIABILITY §1.2 simulates it: no page may be added.
	var pages int
	if err := s.rw.QueryRow("PRAGMA page_count").Scan(&pages); err != nil {
		t.Fatal(err)
	}
	if _, err := s.rw.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	failCommit := func(id string) {
		t.Helper()
		// 16 KB even as stored, cut to maxStoredRunes four-byte runes.
		if _, err := s.Handle(ctx, inbound(id, strings.Repeat("𝔁", 64<<10)), echoStep); err == nil {
			t.Fatal("a 64 KiB message fitted in a full store")
		}
	}
	failCommit("wamid.full1")
	if err := s.CheckWritable(ctx); err == nil || !strings.Contains(err.Error(), "last commit failed") {
		t.Errorf("after a failed commit: err = %v; want the failed commit reported", err)
	}
	advance(failureHold - time.Second)
	if err := s.CheckWritable(ctx); err == nil {
		t.Error("the failed commit was forgotten before failureHold")
	}
	advance(2 * time.Second)
	if err := s.CheckWritable(ctx); err != nil {
		t.Errorf("failureHold after the failed commit, with no traffic since: %v; want traffic let back in", err)
	}
	failCommit("wamid.full2")
	if err := s.CheckWritable(ctx); err == nil {
		t.Error("a new failed commit after the hold was not reported")
	}
	// A write that needs no new page (a reply marked sent) commits on the
	// full disk; it says nothing of room for the next message.
	if err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET applied_at = applied_at WHERE name = ''`)
		return err
	}); err != nil {
		t.Fatalf("an update in place on the full disk: %v", err)
	}
	if err := s.CheckWritable(ctx); err == nil {
		t.Error("a commit that stored no message cleared the full disk")
	}
	if _, err := s.rw.Exec("PRAGMA max_page_count = 1073741823"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Handle(ctx, inbound("wamid.ok", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(ctx); err != nil {
		t.Errorf("after a successful commit: %v", err)
	}
}
