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

// KillRun is one or several servers run as child processes on one store,
// one of them killed with SIGKILL at a time and restarted at once on the
// same loopback address, as a crash and a supervisor restart would. After
// each kill, before the restart, the store is audited (with no process
// running when there is one server; with the others still serving when
// there are several, on PostgreSQL): every acknowledged message is on disk
// (I1), nothing committed before the previous kill changed (I5: those rows
// are append-only, so the check holds while others write), and the
// replies the kill caught in flight are noted.
type KillRun struct {
	cmd     []string // the servers' command line
	db      string
	servers []*killServer
	victim  int // the server the next kill hits: each in turn

	mu       sync.Mutex
	acked    []string
	acks     chan struct{} // a token after each acknowledgement (Accept)
	before   store.Snapshot
	inFlight map[int64]bool
	kills    int
	locked   int // "database is locked" in the servers' logs
}

// killServer is one of KillRun's servers.
type killServer struct {
	env     []string
	ready   string // the start line's mark
	child   *exec.Cmd
	stderr  *strings.Builder
	lifeAck int // len(acked) when it last started
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
	k := &KillRun{cmd: cmd, db: db, inFlight: map[int64]bool{}, acks: make(chan struct{}, 1)}
	k.AddServer(env, ready)
	return k
}

// AddServer adds another server of the same command on the same store
// (PostgreSQL: several servers on one database), with its own environment
// (its own address) and start line; call it before Start.
func (k *KillRun) AddServer(env []string, ready string) {
	k.servers = append(k.servers, &killServer{env: env, ready: ready})
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

// Start runs every server and waits for their start lines.
func (k *KillRun) Start() error {
	for i := range k.servers {
		if err := k.start(i); err != nil {
			return err
		}
	}
	return nil
}

// start runs server i and waits for its start line.
func (k *KillRun) start(i int) error {
	sv := k.servers[i]
	cmd := exec.Command(k.cmd[0], k.cmd[1:]...) // #nosec G204 -- the caller's own server binary; it outlives ctx until Stop
	cmd.Env = sv.env
	sv.stderr = &strings.Builder{}
	cmd.Stderr = sv.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start server %d: %w", i+1, err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, sv.ready) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("server %d did not start (%q, %v): %s", i+1, line, err, sv.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	sv.child = cmd
	k.mu.Lock()
	sv.lifeAck = len(k.acked)
	k.mu.Unlock()
	return nil
}

// KillEvery kills and restarts a server n times, each server in turn. Each
// kill lands once the server to kill has served for at least interval and
// a message was acknowledged since it started, so that every kill cuts a
// server at work however slow the machine (a restart's audit can take seconds under load); after the
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

// served waits until the server to kill next has served for interval and
// a message was acknowledged since it started (by it, or by another server
// of several); false when ctx ended first.
func (k *KillRun) served(ctx context.Context, interval time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(interval):
	}
	for {
		k.mu.Lock()
		fresh := len(k.acked) > k.servers[k.victim].lifeAck
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

// killAndRestart sends SIGKILL to the server whose turn it is, audits the
// store (with no process running when it was the only one), and starts
// that server again.
func (k *KillRun) killAndRestart(ctx context.Context) error {
	i := k.victim
	sv := k.servers[i]
	k.victim = (k.victim + 1) % len(k.servers)
	if err := sv.child.Process.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	_ = sv.child.Wait() // "signal: killed"
	sv.child = nil
	k.kills++
	k.locked += lockedIn(sv.stderr.String())
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
		return fmt.Errorf("after kill %d (server %d of %d): %v", k.kills, i+1, len(k.servers), vs)
	}
	if k.before, err = st.Snapshot(ctx); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		return err
	}
	return k.start(i)
}

// Stop ends every server cleanly (SIGTERM); a second call does nothing.
func (k *KillRun) Stop() error {
	var errs []error
	for i, sv := range k.servers {
		if sv.child == nil {
			continue
		}
		cmd := sv.child
		sv.child = nil
		if err := cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			errs = append(errs, err)
			continue
		}
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("server %d did not stop cleanly: %w: %s", i+1, err, sv.stderr.String()))
		}
		k.locked += lockedIn(sv.stderr.String())
	}
	return errors.Join(errs...)
}

// Audit is what the run left for AuditLoad (with Graph and Step to fill),
// and Report's kill figures are set from it. Call it after Stop.
func (k *KillRun) Audit(rep *LoadReport) LoadAudit {
	k.mu.Lock()
	defer k.mu.Unlock()
	rep.Kills, rep.InFlightAtKills, rep.DBLockedErrors = k.kills, len(k.inFlight), k.locked
	return LoadAudit{Accepted: k.acked, Before: k.before, InFlight: k.inFlight}
}
