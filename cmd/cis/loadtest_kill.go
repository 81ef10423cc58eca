package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// loadtestKilling is `cis loadtest --kill N`: the load of loadtestInProcess
// against `cis serve` run as a child process (bin) on a temporary store,
// killed with SIGKILL N times at even intervals of the run and restarted at
// once on the same address, as a crash and a supervisor restart would. The
// fake Graph API and the simulated people stay in this process, so the
// people keep waiting for answers across the kills and Meta's retries of
// refused deliveries are the people's. After each kill, before the restart,
// the store is audited with no process running: every acknowledged message
// is on disk (I1), nothing committed before the previous kill changed (I5),
// and the replies the kill caught in flight are noted. At the end come the
// figures: lost messages, replies never sent (and whether each was in flight
// at a kill), questions resent, replies sent twice, consent without a sent
// consent text, and the invariant check.
func loadtestKilling(ctx context.Context, c *Config, cfg bot.LoadConfig, bin string, kills int) (bot.LoadReport, error) {
	dir, err := os.MkdirTemp("", "cis-loadtest-kill-")
	if err != nil {
		return bot.LoadReport{}, err
	}
	defer os.RemoveAll(dir)
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	k, err := newKillRun(bin, filepath.Join(dir, "load.db"), gsrv.URL, c.getenv)
	if err != nil {
		return bot.LoadReport{}, err
	}
	if err := k.start(); err != nil {
		return bot.LoadReport{}, err
	}
	defer k.stop()
	cfg.URL, cfg.AppSecret, cfg.Graph, cfg.ConsentMark = k.url(), k.secret, graph, c.PolicyURL
	cfg.Accepted = k.accept
	killer, stopKiller := context.WithCancel(ctx)
	killed := make(chan error, 1)
	go func() { killed <- k.killEvery(killer, cfg.Duration/time.Duration(kills+1), kills) }()
	rep, loadErr := bot.LoadTest(ctx, cfg)
	stopKiller()
	if err := <-killed; err != nil {
		return rep, err
	}
	if loadErr != nil {
		return rep, loadErr
	}
	waitGraphQuiet(ctx, graph, 1500*time.Millisecond, 30*time.Second)
	if err := k.stop(); err != nil {
		return rep, err
	}
	return rep, k.audit(ctx, c, graph, &rep)
}

// killRun is one `cis serve` child process on a store, killed and
// restarted on the same loopback address.
type killRun struct {
	bin, db, addr, secret string
	env                   []string

	mu       sync.Mutex
	child    *exec.Cmd
	stderr   *strings.Builder
	acked    []string
	before   store.Snapshot
	inFlight map[int64]bool
	kills    int
	locked   int // "database is locked" in the servers' logs
}

func newKillRun(bin, db, graphURL string, getenv func(string) string) (*killRun, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0") // a free port, kept across restarts
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		return nil, err
	}
	k := &killRun{bin: bin, db: db, addr: addr, secret: "loadtest-secret", inFlight: map[int64]bool{}}
	k.env = append(os.Environ(), "CIS_DB="+db, "CIS_ADDR="+addr, "CIS_LOG_LEVEL=error",
		"CIS_CLOUDAPI_APP_SECRET="+k.secret, "CIS_CLOUDAPI_VERIFY_TOKEN=loadtest", "CIS_CLOUDAPI_ACCESS_TOKEN=loadtest",
		"CIS_GRAPH_URL="+graphURL)
	if v := getenv("CIS_CRASH_AT"); v != "" {
		k.env = append(k.env, "CIS_CRASH_AT="+v) // a crashtest build's named crash point, for the first process
	}
	return k, nil
}

func (k *killRun) url() string { return "http://" + k.addr + "/webhook/whatsapp" }

// accept records an acknowledged message (LoadConfig.Accepted).
func (k *killRun) accept(id string) {
	k.mu.Lock()
	k.acked = append(k.acked, id)
	k.mu.Unlock()
}

// start runs the child and waits for its start line.
func (k *killRun) start() error {
	cmd := exec.Command(k.bin, "serve") // #nosec G204 -- this program's own binary; it outlives ctx until stop
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
	if err != nil || !strings.Contains(line, "serving on http://"+k.addr) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("the server did not start (%q, %v): %s", line, err, k.stderr.String())
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()
	k.child = cmd
	return nil
}

// killEvery kills and restarts the child n times, the k-th at k×interval
// from now (at once when a restart ran late).
func (k *killRun) killEvery(ctx context.Context, interval time.Duration, n int) error {
	start := time.Now()
	for i := 1; i <= n; i++ {
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Until(start.Add(time.Duration(i) * interval))):
		}
		// ctx ends with the load: it stops the next kill, not the audit and
		// restart of one under way (under load that outlasted the run, and the
		// audit failed with "context canceled").
		if err := k.killAndRestart(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
	return nil
}

// killAndRestart sends SIGKILL, audits the store with no process running,
// and starts the server again.
func (k *killRun) killAndRestart(ctx context.Context) error {
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
	ids, err := st.InFlight(ctx, bot.CloudChannel)
	if err != nil {
		return err
	}
	k.mu.Lock()
	acked := append([]string(nil), k.acked...)
	for _, id := range ids {
		k.inFlight[id] = true
	}
	k.mu.Unlock()
	vs, err := st.CheckInvariants(ctx, store.Expect{Channel: bot.CloudChannel, Accepted: acked, Before: k.before})
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
	return k.start()
}

// stop ends the child cleanly (SIGTERM); a second call does nothing.
func (k *killRun) stop() error {
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

func lockedIn(logs string) int {
	return strings.Count(logs, "database is locked") + strings.Count(logs, "SQLITE_BUSY")
}

// audit opens the store as the server does and fills the figures.
func (k *killRun) audit(ctx context.Context, c *Config, graph *bot.FakeGraph, rep *bot.LoadReport) error {
	c.DBPath = k.db
	a, err := open(ctx, c, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	rep.Kills, rep.InFlightAtKills, rep.DBLockedErrors = k.kills, len(k.inFlight), k.locked
	return auditLoad(ctx, a, graph, k.acked, k.before, k.inFlight, rep)
}

// waitGraphQuiet waits until the fake Graph API received nothing new for
// quiet (the server drained its outbox), at most limit.
func waitGraphQuiet(ctx context.Context, g *bot.FakeGraph, quiet, limit time.Duration) {
	deadline := time.Now().Add(limit)
	last, since := -1, time.Now()
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if n, _ := g.Count(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) >= quiet {
			return
		}
		time.Sleep(50 * time.Millisecond) // observing another process
	}
}
