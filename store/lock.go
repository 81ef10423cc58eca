//go:build unix

package store

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
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
// outbox rows. The file must exist (ErrNoStore otherwise): a command that
// creates stores makes it first (CreateFile).
//
// The lock is flock(2) on the database file itself, so it follows the
// file's identity (device and inode), whatever name reaches it: a symlink,
// a hard link, a bind mount or a relative path all meet the same lock. (A
// lock on path+".lock" was per name: through a hard link a second server
// started and, SQLite keeping one WAL per name, acknowledged messages were
// lost.) flock, not a PID file: the kernel releases it when the process
// ends however it ends (kill -9 included). flock, not fcntl: SQLite's own
// locks on the file are fcntl locks, which flock does not touch on Linux, and
// which a second fcntl lock of ours would lose whenever SQLite closes one of
// its descriptors. And not SQLite's locking_mode=EXCLUSIVE, which would also
// lock out `cis backup` and the other commands meant to run beside the
// server. (On NFS, where Linux emulates flock with fcntl, SQLite is not
// safe anyway; see RELIABILITY §1.2.)
func Lock(path string) (*InstanceLock, error) {
	if IsPostgres(path) {
		return nil, errServeOnPostgres
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0) // #nosec G304 -- the operator's own --db file
	if errors.Is(err, os.ErrNotExist) {
		return nil, mustExist(path) // the refusal Open gives, with what creates a store
	}
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%s: %w: %s; stop it first", path, ErrInUse, holderOf(f))
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &InstanceLock{f: f}, nil
}

// CreateFile makes an empty file at path when there is none, so that a
// command that creates stores (serve) can lock it before the store is made
// in it; Open then makes a store of the empty file.
func CreateFile(path string) error {
	if IsPostgres(path) {
		return errServeOnPostgres
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600) // #nosec G304 -- the operator's own --db file
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	return f.Close()
}

// Unlock releases the claim. It must come after the store on the file is
// closed (serve defers it first, so it runs last).
func (l *InstanceLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}

// holderOf names the process that holds the flock on f's file and the name
// it opened the file by, as far as /proc tells (Linux, same user or root):
// "process 1234 (cis, as /srv/cis/cis.db)". Elsewhere: "another process".
func holderOf(f *os.File) string {
	fi, err := f.Stat()
	if err != nil {
		return "another process"
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "another process"
	}
	for _, pid := range flockHolders(st.Ino) {
		if pid == os.Getpid() {
			return fmt.Sprintf("process %d (this one)", pid)
		}
		if name, ok := openedAs(pid, fi); ok {
			return fmt.Sprintf("process %d (%s, as %s)", pid, command(pid), name)
		}
	}
	return "another process"
}

// flockHolders lists the PIDs /proc/locks shows holding a flock on an inode
// numbered ino (the device is checked by openedAs: /proc/locks prints the
// superblock's device, which is not always stat's st_dev).
func flockHolders(ino uint64) []int {
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return nil
	}
	defer locks.Close()
	var pids []int
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 08:02:131074 0 EOF"
		f := strings.Fields(sc.Text())
		if len(f) < 6 || f[1] != "FLOCK" {
			continue
		}
		dev := strings.Split(f[5], ":")
		pid, err1 := strconv.Atoi(f[4])
		n, err2 := strconv.ParseUint(dev[len(dev)-1], 10, 64)
		if err1 == nil && err2 == nil && n == ino {
			pids = append(pids, pid)
		}
	}
	return pids
}

// openedAs returns the name under which process pid has the file fi open.
func openedAs(pid int, fi os.FileInfo) (string, bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(dir)
	if err != nil {
		return "", false
	}
	for _, fd := range fds {
		p := filepath.Join(dir, fd.Name())
		if other, err := os.Stat(p); err == nil && os.SameFile(fi, other) {
			name, err := os.Readlink(p)
			return name, err == nil
		}
	}
	return "", false
}

// command is the program name of process pid ("?" when unknown).
func command(pid int) string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "comm"))
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}
