package store

import (
	"context"
	"testing"
	"time"
)

// TestOwnClaimsAreNotItsOrphansBothEngines: a running server whose own
// process lease lapsed (a heartbeat stalled past the lease time) does not
// settle its own replies in flight as a dead server's (a question queued
// again while its send may still succeed is a reply twice); another server
// settles them, as it settles any owner's whose lease is not live.
func TestOwnClaimsAreNotItsOrphansBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		a := e.open(t, Options{Now: clock.Now, Owner: "server-a"})
		b := e.open(t, Options{Now: clock.Now, Owner: "server-b"})
		const ttl = 3 * time.Second
		if _, held, err := a.TakeLease(ctx, ProcessLease(a.Owner()), ttl); err != nil || !held {
			t.Fatalf("process lease: %v, %v", held, err)
		}
		if _, err := a.Handle(ctx, inbound("m1", "hola"), replyStep("greeting", "consent")); err != nil {
			t.Fatal(err)
		}
		claimAll(t, a, "chat")       // a is sending them
		clock.Add(ttl + time.Second) // a's heartbeat stalled: its process lease lapsed, a runs on
		if o, err := a.ReleaseOthersOrphans(ctx, "chat", clock.Now()); err != nil || o.Resent+o.Unconfirmed != 0 {
			t.Fatalf("a settled %+v of its own claims in flight (%v); want none", o, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE status = 'sending'`); n != 2 {
			t.Fatalf("%d replies still sending; want a's 2", n)
		}
		o, err := b.ReleaseOthersOrphans(ctx, "chat", clock.Now())
		if err != nil || o.Resent != 1 || o.Unconfirmed != 1 {
			t.Errorf("b, with a's lease expired: %+v, %v; want the consent resent, the greeting unconfirmed", o, err)
		}
	})
}
