package bot

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// leaseRunner runs a Lease whose work records when it runs.
type leaseRunner struct {
	l      *Lease
	cancel context.CancelFunc
	done   chan error

	mu      sync.Mutex
	running bool
	starts  int
	fences  []store.Fence
}

func startLease(st *store.Store, name string, ttl time.Duration) *leaseRunner {
	ctx, cancel := context.WithCancel(context.Background())
	r := &leaseRunner{l: &Lease{Store: st, Name: name, TTL: ttl}, cancel: cancel, done: make(chan error, 1)}
	go func() {
		r.done <- r.l.Run(ctx, func(ctx context.Context, f store.Fence) error {
			r.mu.Lock()
			r.running, r.starts, r.fences = true, r.starts+1, append(r.fences, f)
			r.mu.Unlock()
			<-ctx.Done()
			r.mu.Lock()
			r.running = false
			r.mu.Unlock()
			return nil
		})
	}()
	return r
}

func (r *leaseRunner) isRunning() bool { r.mu.Lock(); defer r.mu.Unlock(); return r.running }

// eventually waits up to within for cond.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLeaseRunsWorkInOneProcess: of two processes running the same lease,
// one works and the other stands by while the first heartbeats; a clean
// stop hands the work over at once; a takeover behind the holder's back
// (it lost the lease) stops its work at its next heartbeat.
func TestLeaseRunsWorkInOneProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	open := func(owner string) *store.Store {
		st, err := store.Open(context.Background(), path, store.Options{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	const ttl = 600 * time.Millisecond
	a := startLease(open("a"), "job:sweeper", ttl)
	eventually(t, ttl, "a works", a.isRunning)
	b := startLease(open("b"), "job:sweeper", ttl)
	time.Sleep(3 * ttl) // a's heartbeats keep the lease: b stands by
	if b.isRunning() || !a.isRunning() || a.starts != 1 {
		t.Fatalf("after 3 lease times: a running %v (%d starts), b running %v; want a only, once", a.isRunning(), a.starts, b.isRunning())
	}
	if s := b.l.State(); s.Held || s.Holder != "a" {
		t.Errorf("b's state = %+v; want standing by for a", s)
	}
	a.cancel() // a clean stop releases: b need not wait for the expiry
	stopped := time.Now()
	if err := <-a.done; err != nil {
		t.Fatal(err)
	}
	eventually(t, ttl/2, "b takes over after a's release", b.isRunning)
	t.Logf("b took over %v after a's clean stop", time.Since(stopped).Round(time.Millisecond))
	if f := b.fences[0]; f.Token != 2 {
		t.Errorf("b's fence = %+v; want token 2", f)
	}
	// Someone takes the lease behind b's back (b was paused past its
	// expiry): b's next heartbeat is refused and its work stops.
	db, driver := store.TestDB(path), "sqlite3" // PostgreSQL under CIS_TEST_PG_ALL
	if store.IsPostgres(db) {
		driver = "pgx"
	}
	raw, err := sql.Open(driver, db)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`UPDATE leases SET owner = 'c', token = token + 1 WHERE name = 'job:sweeper'`); err != nil {
		t.Fatal(err)
	}
	eventually(t, ttl/3+ttl/6, "b stops once its lease is taken", func() bool { return !b.isRunning() })
	time.Sleep(ttl / 3)
	if b.isRunning() {
		t.Error("b works again while c's lease is live")
	}
	b.cancel()
	<-b.done
}

// TestFencedChannelSendsOnlyUnderItsLease: a linked-device channel whose
// claims are fenced sends nothing while it stands by (or after it lost the
// lease), even with a client that still looks connected, and sends once
// this process holds the lease with the fence's token.
func TestFencedChannelSendsOnlyUnderItsLease(t *testing.T) {
	e := newWAEnv(t)
	name := LinkedDeviceLease(agencyNumber)
	e.wa.fence = &store.Fence{Lease: name} // standby: token 0
	if !e.wa.HandleEvent(waText("F1", "hola", fixtureStart)) {
		t.Fatal("not stored")
	}
	e.h.clock.Add(3 * time.Second)
	if n, err := e.wa.Flush(context.Background()); err != nil || n != 0 {
		t.Fatalf("standing by, flush sent %d (%v); want 0", n, err)
	}
	l, held, err := e.h.st.TakeLease(context.Background(), name, time.Minute)
	if err != nil || !held {
		t.Fatal(held, err)
	}
	e.wa.fence = &store.Fence{Lease: name, Token: l.Token + 1} // a token this process does not hold
	if n, _ := e.wa.Flush(context.Background()); n != 0 {
		t.Fatalf("with a stale token, flush sent %d; want 0", n)
	}
	e.wa.fence = &store.Fence{Lease: name, Token: l.Token}
	if n, err := e.wa.Flush(context.Background()); err != nil || n == 0 {
		t.Fatalf("holding the lease, flush sent %d (%v); want the replies", n, err)
	}
}

// TestLeaseTryRunRefusesOrHolds: TryRun (cis pair) does not wait its turn:
// while another process holds the lease it returns a *HeldError naming the
// holder without running work; on a free lease it runs work under it and
// releases it after; when the lease is taken behind its back meanwhile, work
// is stopped and it says ErrLeaseLost.
func TestLeaseTryRunRefusesOrHolds(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	open := func(owner string) *store.Store {
		st, err := store.Open(context.Background(), path, store.Options{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	const ttl = 600 * time.Millisecond
	ctx := context.Background()
	server, pair := open("server"), open("pair")
	name := LinkedDeviceLease("573001110000")
	if _, held, err := server.TakeLease(ctx, name, time.Minute); err != nil || !held {
		t.Fatal(held, err)
	}
	l := &Lease{Store: pair, Name: name, TTL: ttl}
	ran := false
	err := l.TryRun(ctx, func(context.Context, store.Fence) error { ran = true; return nil })
	var held *HeldError
	if !errors.As(err, &held) || held.Holder != "server" || held.Name != name || ran {
		t.Fatalf("TryRun on a held lease: %v (ran %v); want a HeldError naming the server, work not run", err, ran)
	}
	token := leaseOf(t, server, name).Token
	if err := server.ReleaseLease(ctx, name, token); err != nil {
		t.Fatal(err)
	}
	var fence store.Fence
	err = l.TryRun(ctx, func(_ context.Context, f store.Fence) error { fence = f; return nil })
	if err != nil || fence.Token != token+1 {
		t.Fatalf("TryRun on a free lease: %v, fence %+v; want work run under token %d", err, fence, token+1)
	}
	if got := leaseOf(t, server, name); got.Owner != "pair" || got.Expires.After(time.Now()) {
		t.Errorf("after TryRun: %+v; want released by pair", got)
	}
	// Taken over while working: the server's take after an expiry.
	err = l.TryRun(ctx, func(ctx context.Context, f store.Fence) error {
		if _, _, err := pair.TakeLease(ctx, name, time.Millisecond); err != nil { // pair's heartbeats pause
			return err
		}
		time.Sleep(5 * time.Millisecond)
		if _, held, err := server.TakeLease(ctx, name, time.Minute); err != nil || !held {
			return fmt.Errorf("server's takeover: held %v, %w", held, err)
		}
		<-ctx.Done() // pair's next heartbeat is refused
		return ctx.Err()
	})
	if !errors.Is(err, ErrLeaseLost) {
		t.Errorf("TryRun taken over: %v; want ErrLeaseLost", err)
	}
}

// leaseOf is lease name as st reads it.
func leaseOf(t *testing.T, st *store.Store, name string) store.Lease {
	t.Helper()
	ls, err := st.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lease %s", name)
	return store.Lease{}
}
