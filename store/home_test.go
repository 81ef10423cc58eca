//go:build unix

package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The helper process of the tests below: a second program on the same
// machine. It runs only when the parent test sets CIS_STORE_HELPER.
func TestMain(m *testing.M) {
	switch os.Getenv("CIS_STORE_HELPER") {
	case "lock":
		helperLock(os.Getenv("CIS_STORE_PATH"))
	case "write-and-die":
		helperWrite(os.Getenv("CIS_STORE_PATH"))
	}
	os.Exit(m.Run())
}

// helperLock takes the instance lock, says so, and holds it until killed.
func helperLock(path string) {
	l, err := Lock(path)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	defer l.Unlock()
	fmt.Println("locked")
	select {}
}

// helperWrite stores one message and waits to be killed with it in the WAL.
func helperWrite(path string) {
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	if _, err := s.Handle(context.Background(), inbound("wamid.before-kill", "hola"), echoStep); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("stored")
	select {}
}

// startHelper runs this test binary as the helper and waits for its line.
func startHelper(t *testing.T, mode, path string) *osexec.Cmd {
	t.Helper()
	cmd := osexec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CIS_STORE_HELPER="+mode, "CIS_STORE_PATH="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || strings.HasPrefix(line, "error") {
		t.Fatalf("helper %s: %q, %v", mode, line, err)
	}
	return cmd
}

// aliases makes a store file a, and b, another name for it of the kind given.
func aliases(t *testing.T, kind string) (a, b string) {
	t.Helper()
	dir := t.TempDir()
	a = filepath.Join(dir, "real", "cis.db")
	if err := os.MkdirAll(filepath.Dir(a), 0o700); err != nil {
		t.Fatal(err)
	}
	s, err := Open(context.Background(), a, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	b = filepath.Join(dir, "other", "store.db")
	if err := os.MkdirAll(filepath.Dir(b), 0o700); err != nil {
		t.Fatal(err)
	}
	switch kind {
	case "symlink":
		err = os.Symlink(a, b)
	case "hard link":
		err = os.Link(a, b)
	}
	if err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestLockFollowsTheFileNotItsName is F14 through another name: a second
// server reaching the store through a symlink or a hard link refuses, and
// names the process that holds it and the path that process opened.
func TestLockFollowsTheFileNotItsName(t *testing.T) {
	sqliteOnly(t, "the lock of a SQLite file reached through a symlink")
	for _, kind := range []string{"symlink", "hard link"} {
		t.Run(kind, func(t *testing.T) {
			a, b := aliases(t, kind)
			first := startHelper(t, "lock", a)
			_, err := Lock(b)
			if !errors.Is(err, ErrInUse) {
				t.Fatalf("Lock through the %s: %v; want ErrInUse", kind, err)
			}
			t.Log(err)
			for _, want := range []string{fmt.Sprintf("process %d", first.Process.Pid), "as " + a} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("refusal %q does not name %q", err, want)
				}
			}
			// The holder dies (kill -9): the kernel drops its lock.
			first.Process.Signal(syscall.SIGKILL)
			first.Wait()
			l, err := Lock(b)
			if err != nil {
				t.Fatalf("Lock after the holder died: %v", err)
			}
			l.Unlock()
		})
	}
}

// TestOpenRefusesAStoreWhoseWALIsUnderAnotherName: a process stores a
// message through one name and is killed with it in the WAL; opening the
// file through a hard link would not see it (SQLite names the WAL after the
// path), so Open refuses and names the path to use. Through that path the
// message is there; after a clean close the other name works and sees it.
// A symlink resolves to the same WAL and is accepted.
func TestOpenRefusesAStoreWhoseWALIsUnderAnotherName(t *testing.T) {
	sqliteOnly(t, "SQLite's WAL file named after the path")
	ctx := context.Background()
	t.Run("hard link", func(t *testing.T) {
		a, b := aliases(t, "hard link")
		h := startHelper(t, "write-and-die", a)
		h.Process.Signal(syscall.SIGKILL)
		h.Wait()
		if fi, err := os.Stat(a + "-wal"); err != nil || fi.Size() == 0 {
			t.Fatalf("the killed process left no WAL: %v", err)
		}
		_, err := Open(ctx, b, Options{})
		if !errors.Is(err, ErrAliased) || !strings.Contains(err.Error(), "open the store as "+a) {
			t.Fatalf("Open through the hard link: %v; want ErrAliased naming %s", err, a)
		}
		t.Log(err)
		for _, name := range []string{a, b} {
			s, err := Open(ctx, name, Options{})
			if err != nil {
				t.Fatalf("Open %s: %v", name, err)
			}
			if n := count(t, s, `SELECT count(*) FROM messages WHERE ext_id = 'wamid.before-kill'`); n != 1 {
				t.Errorf("through %s: %d copies of the committed message; want 1", name, n)
			}
			s.Close() // a clean close checkpoints and removes the WAL
		}
	})
	t.Run("symlink", func(t *testing.T) {
		a, b := aliases(t, "symlink")
		s, err := Open(ctx, a, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s2, err := Open(ctx, b, Options{})
		if err != nil {
			t.Fatalf("Open through a symlink while the store is open: %v", err)
		}
		s2.Close()
		if _, err := os.Stat(b + "-wal"); err == nil {
			t.Error("a WAL appeared next to the symlink: SQLite did not resolve it")
		}
	})
}

// TestOnlyCreatingCommandsCreateAStore: with Options.Existing a missing or
// empty file is refused and left as it was; without it, it becomes a store.
func TestOnlyCreatingCommandsCreateAStore(t *testing.T) {
	sqliteOnly(t, "a missing or empty SQLite file (TestOpenExistingRefusesEmptyPostgres is PostgreSQL's)")
	ctx := context.Background()
	dir := t.TempDir()
	missing := filepath.Join(dir, "typo.db")
	if _, err := Open(ctx, missing, Options{Existing: true}); !errors.Is(err, ErrNoStore) || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v; want ErrNoStore", err)
	}
	if _, err := os.Stat(missing); !errors.Is(err, os.ErrNotExist) {
		t.Error("refusing a missing file created it")
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(ctx, empty, Options{Existing: true}); !errors.Is(err, ErrNoStore) || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v; want ErrNoStore", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Error("refusing an empty file changed it")
	}
	s, err := Open(ctx, empty, Options{})
	if err != nil {
		t.Fatalf("a creating command on an empty file: %v", err)
	}
	s.Close()
	s, err = Open(ctx, empty, Options{Existing: true})
	if err != nil {
		t.Fatalf("the store, once created: %v", err)
	}
	s.Close()
}
