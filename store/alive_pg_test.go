package store

import (
	"context"
	"testing"
	"time"
)

// A server whose session has ended (its store closed, or its process
// killed: PostgreSQL ends the session either way) has its process lease
// ended by ExpireDeadProcesses, so its claims are orphans at once; a live
// one's lease is kept, however long it still runs. SQLite: nothing to do.
func TestExpireDeadProcessesOnPostgres(t *testing.T) {
	e := pgEngine(t)
	ctx := context.Background()
	b := e.open(t, Options{Owner: "server-b"})
	a, err := Open(ctx, e.db, Options{Owner: "server-a"})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, s := range []*Store{a, b} {
		if _, held, err := s.TakeLease(ctx, ProcessLease(s.Owner()), time.Hour); err != nil || !held {
			t.Fatalf("%s: process lease held %v, %v", s.Owner(), held, err)
		}
	}
	// A lease of an owner that never held the lock: a process that is gone.
	if _, err := e.raw.Exec(e.q(`INSERT INTO leases (name, owner, token, expires_at, taken_at) VALUES ('process:server-c', 'server-c', 1, ?, 0)`),
		time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if n, err := b.ExpireDeadProcesses(ctx); err != nil || n != 1 {
		t.Fatalf("with a alive: %d ended, %v; want 1 (server-c)", n, err)
	}
	alive := func(owner string) bool {
		var exp int64
		if err := e.raw.QueryRow(e.q(`SELECT expires_at FROM leases WHERE name = ?`), ProcessLease(owner)).Scan(&exp); err != nil {
			t.Fatal(err)
		}
		return exp > time.Now().UnixMilli()
	}
	if !alive("server-a") || !alive("server-b") || alive("server-c") {
		t.Fatalf("alive a %v, b %v, c %v; want a and b only", alive("server-a"), alive("server-b"), alive("server-c"))
	}
	a.Close()
	// PostgreSQL ends the closed session's backend, and its lock, a moment later.
	deadline := time.Now().Add(5 * time.Second)
	for alive("server-a") && time.Now().Before(deadline) {
		if _, err := b.ExpireDeadProcesses(ctx); err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if alive("server-a") || !alive("server-b") {
		t.Fatalf("after a closed: alive a %v, b %v; want b only", alive("server-a"), alive("server-b"))
	}
	// A second store of a live owner (same Options.Owner) keeps it alive.
	c := e.open(t, Options{Owner: "server-b"})
	if n, err := c.ExpireDeadProcesses(ctx); err != nil || n != 0 || !alive("server-b") {
		t.Fatalf("second store of b: %d ended, %v, b alive %v; want 0, alive", n, err, alive("server-b"))
	}
}
