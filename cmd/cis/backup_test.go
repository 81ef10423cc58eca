package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/store"
)

func storeStats(t *testing.T, db string) store.Stats {
	t.Helper()
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	s, err := st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBackupAndRestoreCommands is the documented restore procedure, end to
// end: back up, verify, change the store, restore, and find the store as it
// was at the backup with the replaced file kept.
func TestBackupAndRestoreCommands(t *testing.T) {
	sqliteOnly(t, "cis backup and restore of a SQLite file (VACUUM INTO); on PostgreSQL they answer with pg_dump and pg_restore (TestBackupOnPostgresExplainsPgDump)")
	dir := t.TempDir()
	db, backup := filepath.Join(dir, "cis.db"), filepath.Join(dir, "backups", "cis-1.db")
	if err := os.Mkdir(filepath.Dir(backup), 0o700); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CIS_DB": db}
	createStore(t, db)
	chat := func(phone string) {
		if out, err := runCmd(t, env, hotScript, "chat", "--script", "-", "--json", "--phone", phone, "--now", "2026-03-02T10:00:00-05:00"); err != nil {
			t.Fatalf("chat: %v\n%s", err, out)
		}
	}
	chat("+573001110001")
	out, err := runCmd(t, env, "", "backup", backup)
	if err != nil || !strings.Contains(out, "integrity_check ok") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if out, err := runCmd(t, env, "", "backup", "--verify", backup); err != nil || !strings.Contains(out, "is a good backup") {
		t.Fatalf("backup --verify: %v\n%s", err, out)
	}
	if _, err := runCmd(t, env, "", "backup", backup); err == nil || !strings.Contains(err.Error(), "not overwritten") {
		t.Errorf("a second backup to the same file: err = %v; want a refusal", err)
	}
	chat("+573001110002")
	if n := storeStats(t, db).Leads; n != 2 {
		t.Fatalf("leads before the restore = %d; want 2", n)
	}
	out, err = runCmd(t, env, "", "restore", backup)
	if err != nil {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if n := storeStats(t, db).Leads; n != 1 {
		t.Errorf("leads after the restore = %d; want 1, as at the backup", n)
	}
	kept, _ := filepath.Glob(db + ".before-restore-*")
	if len(kept) != 1 || !strings.Contains(out, kept[0]) {
		t.Fatalf("replaced store kept as %v; output %q", kept, out)
	}
	if n := storeStats(t, kept[0]).Leads; n != 2 {
		t.Errorf("the kept store has %d leads; want 2", n)
	}
}

func TestBackupVerifyRefusesADamagedCopy(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.db")
	if err := os.WriteFile(bad, bytes.Repeat([]byte("x"), 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, nil, "", "backup", "--verify", bad)
	if !errors.Is(err, store.ErrForeign) {
		t.Errorf("err = %v; want ErrForeign", err)
	}
}

// TestF14SecondServeRefuses is RELIABILITY F14: with `cis serve` running,
// a second serve and a restore on the same store refuse, naming the holder.
func TestF14SecondServeRefuses(t *testing.T) {
	sqliteOnly(t, "the second serve is refused by the SQLite file's lock, and the backup beside it is VACUUM INTO; several serves on one PostgreSQL share it through leases (the cluster branch)")
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"}
	base := startServe(t, env)
	holder := fmt.Sprintf("process %d", os.Getpid())
	for _, args := range [][]string{{"serve"}, {"restore", db}} {
		_, err := runCmd(t, env, "", args...)
		if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), holder) {
			t.Errorf("cis %v beside a running serve: err = %v; want ErrInUse naming %s", args, err, holder)
		}
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("the first serve stopped answering: /healthz = %d", code)
	}
	// A backup is meant to run beside the server.
	if out, err := runCmd(t, env, "", "backup", filepath.Join(t.TempDir(), "b.db")); err != nil {
		t.Errorf("backup beside a running serve: %v\n%s", err, out)
	}
}

// TestF12ServeRefusesABadStore is RELIABILITY F12 through the command: the
// message names the file and the problem, and the file is unchanged.
func TestF12ServeRefusesABadStore(t *testing.T) {
	sqliteOnly(t, "a damaged or foreign SQLite file; a redirected store is a PostgreSQL schema, so serve would start (and run until the test times out)")
	tests := []struct {
		name, content, want string
	}{
		{"random bytes", strings.Repeat("\x8f\x01garbage", 2000), "not an SQLite database"},
		{"truncated header", "SQLite format 3\x00\x10\x00", "damaged"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "cis.db")
			if err := os.WriteFile(db, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"}
			_, err := runCmd(t, env, "", "serve")
			if err == nil {
				t.Fatal("serve started on a bad store")
			}
			for _, part := range []string{db, tt.want, "left unchanged"} {
				if !strings.Contains(err.Error(), part) {
					t.Errorf("message %q does not say %q", err, part)
				}
			}
			if b, _ := os.ReadFile(db); string(b) != tt.content {
				t.Error("the refused store changed")
			}
		})
	}
}
