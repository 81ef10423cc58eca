//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// ErrInUse is returned by Lock when another process holds the store.
var ErrInUse = errors.New("store is in use by another cis process")

// InstanceLock is the exclusive claim of one process on a store file.
type InstanceLock struct{ f *os.File }

// Lock claims the store at path for this process, so that a second `cis
// serve` (or a restore while one runs) refuses instead of sharing the file
// and the WhatsApp session: two linked-device clients on one session knock
// each other off (StreamReplaced), and two processes would send the same
// outbox rows. It is flock(2) on path+".lock", not a PID file: the kernel
// releases the lock when the process ends however it ends (kill -9
// included), so a crash never leaves a stale lock to clean by hand; and not
// SQLite's locking_mode=EXCLUSIVE, which would also lock out `cis backup`
// and the other commands meant to run beside the server. The file holds the
// holder's PID so that the refusal can name it.
func Lock(path string) (*InstanceLock, error) {
	name := path + ".lock"
	f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- next to the operator's own --db file
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			b := make([]byte, 32)
			n, _ := f.ReadAt(b, 0)
			holder := "another process"
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b[:n]))); perr == nil && pid > 0 {
				holder = "process " + strconv.Itoa(pid)
			}
			return nil, fmt.Errorf("%s: %w: %s holds %s; stop it first", path, ErrInUse, holder, name)
		}
		return nil, fmt.Errorf("lock %s: %w", name, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0) // only for the message above
	}
	return &InstanceLock{f: f}, nil
}

// Unlock releases the claim. The lock file stays: removing it would let a
// process that opened it just before the removal lock a file nobody else sees.
func (l *InstanceLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
