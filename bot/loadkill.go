package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cis-agencia/cis/store"
)

// KillRun is a server run as a child process on a store, killed with
// SIGKILL and restarted at once on the same loopback address, as a crash
// and a supervisor restart would. After each kill, before the restart, the
// store is audited with no process running: every acknowledged message is
// on disk (I1), nothing committed before the previous kill changed (I5),
// and the replies the kill caught in flight are noted.
type KillRun struct {
	cmd   []string // the server's command line
	env   []string
	ready string // the start line's mark
	db    string

	mu       sync.Mutex
	child    *exec.Cmd
	stderr   *strings.Builder
	acked    []string
	lifeAck  int           // len(acked) when the running server started
	acks     chan struct{} // a token after each acknowledgement (Accept)
	before   store.Snapshot
	inFlight map[int64]bool
	kills    int
	locked   int // "database is locked" in the servers' logs
}

// FreeLoopbackAddr returns a loopback address with a port free now, to be
// kept across a server's restarts.
func FreeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// NewKillRun prepares the server cmd (program and arguments) with the
// environment env on store db; ready is part of the line the server
// prints on standard output once it serves.
func NewKillRun(cmd, env []string, db, ready string) *KillRun {
	return &KillRun{cmd: cmd, env: env, db: db, ready: ready, inFlight: map[int64]bool{}, acks: make(chan struct{}, 1)}
}

// Accept records an acknowledged message (LoadConfig.Accepted).
func (k *KillRun) Accept(id string) {
	k.mu.Lock()
	k.acked = append(k.acked, id)
	k.mu.Unlock()
	select {
	case k.acks <- struct{}{}:
	default: // a token is already waiting
	}
}

// Start runs the child and waits for its start line.
func (k *KillRun) Start() error {
	cmd := exec.Command(k.cmd[0], k.cmd[1:]...) // #nosec G204 -- the caller's own server binary; it outlives ctx until Stop
	cmd.Env = k.env
	k.stderr = &strings.Builder{}
	cmd.Stderr = k.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the server: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, k.ready) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("the server did not start (%q, %v): %s", line, err, k.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	k.child = cmd
	k.mu.Lock()
	k.lifeAck = len(k.acked)
	k.mu.Unlock()
	return nil
}

// KillEvery kills and restarts the child n times. Each kill lands once
// the running server has served for at least interval and acknowledged at
// least one message, so that every kill cuts a server at work however slow
// the machine (a restart's audit can take seconds under load); after the
// n-th restart it waits the same for the last server and returns. When ctx
// ends first it returns nil with fewer kills done (Audit counts them). The
// caller bounds the whole run with ctx and keeps the load going until
// KillEvery returns.
func (k *KillRun) KillEvery(ctx context.Context, interval time.Duration, n int) error {
	for range n {
		if !k.served(ctx, interval) {
			return nil
		}
		// ctx ends with the load: it stops the next kill, not the audit and
		// restart of one under way (under load that outlasted the run, and the
		// audit failed with "context canceled").
		if err := k.killAndRestart(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
	k.served(ctx, interval) // the last server works too
	return nil
}

// served waits until the running server has served for interval and
// acknowledged a message since it started; false when ctx ended first.
func (k *KillRun) served(ctx context.Context, interval time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(interval):
	}
	for {
		k.mu.Lock()
		fresh := len(k.acked) > k.lifeAck
		k.mu.Unlock()
		if fresh {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-k.acks:
		}
	}
}

// killAndRestart sends SIGKILL, audits the store with no process running,
// and starts the server again.
func (k *KillRun) killAndRestart(ctx context.Context) error {
	if err := k.child.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = k.child.Wait() // "signal: killed"
	k.kills++
	k.locked += lockedIn(k.stderr.String())
	st, err := store.Open(ctx, k.db, store.Options{Existing: true, Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("open the store after kill %d: %w", k.kills, err)
	}
	defer st.Close()
	ids, err := st.InFlight(ctx, CloudChannel)
	if err != nil {
		return err
	}
	k.mu.Lock()
	acked := append([]string(nil), k.acked...)
	for _, id := range ids {
		k.inFlight[id] = true
	}
	k.mu.Unlock()
	vs, err := st.CheckInvariants(ctx, store.Expect{Channel: CloudChannel, Accepted: acked, Before: k.before})
	if err != nil {
		return err
	}
	if len(vs) > 0 {
		return fmt.Errorf("after kill %d, with no process running: %v", k.kills, vs)
	}
	if k.before, err = st.Snapshot(ctx); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	return k.Start()
}

// Stop ends the child cleanly (SIGTERM); a second call does nothing.
func (k *KillRun) Stop() error {
	if k.child == nil {
		return nil
	}
	cmd := k.child
	k.child = nil
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("the server did not stop cleanly: %w: %s", err, k.stderr.String())
	}
	k.locked += lockedIn(k.stderr.String())
	return nil
}

// Audit is what the run left for AuditLoad (with Graph and Step to fill),
// and Report's kill figures are set from it. Call it after Stop.
func (k *KillRun) Audit(rep *LoadReport) LoadAudit {
	k.mu.Lock()
	defer k.mu.Unlock()
	rep.Kills, rep.InFlightAtKills, rep.DBLockedErrors = k.kills, len(k.inFlight), k.locked
	return LoadAudit{Accepted: k.acked, Before: k.before, InFlight: k.inFlight}
}
