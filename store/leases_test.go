package store

import (
	"context"
	"testing"
	"time"
)

// TestLeasesBothEngines: a lease is held by one process until it expires;
// another takes it over only then, with a new token; the old holder's
// heartbeat and fenced claims fail from then on; a clean release hands it
// over at once. (Several servers on one database, issue 16.)
func TestLeasesBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		a := e.open(t, Options{Now: clock.Now, Owner: "server-a"})
		b := e.open(t, Options{Now: clock.Now, Owner: "server-b"})
		const name, ttl = "linked-device:573001112233", 15 * time.Second
		la, held, err := a.TakeLease(ctx, name, ttl)
		if err != nil || !held || la.Token != 1 || la.Owner != "server-a" {
			t.Fatalf("a takes a free lease: %+v held %v, %v", la, held, err)
		}
		if lb, held, err := b.TakeLease(ctx, name, ttl); err != nil || held || lb.Owner != "server-a" || lb.Token != 1 {
			t.Fatalf("b took a live lease: %+v held %v, %v", lb, held, err)
		}
		// The heartbeat keeps it: b still cannot take it after the first ttl.
		clock.Add(ttl / 3)
		if ok, err := a.RenewLease(ctx, name, la.Token, ttl); err != nil || !ok {
			t.Fatalf("renew: %v, %v", ok, err)
		}
		clock.Add(ttl - time.Second)
		if _, held, _ := b.TakeLease(ctx, name, ttl); held {
			t.Fatal("b took a lease a renewed")
		}
		// a stops renewing (killed): after expiry b takes it with token 2.
		clock.Add(2 * time.Second)
		lb, held, err := b.TakeLease(ctx, name, ttl)
		if err != nil || !held || lb.Token != 2 || lb.Owner != "server-b" || !lb.Taken.Equal(clock.Now()) {
			t.Fatalf("b after expiry: %+v held %v, %v", lb, held, err)
		}
		if ok, err := a.RenewLease(ctx, name, la.Token, ttl); err != nil || ok {
			t.Errorf("the old owner renewed a lease taken over: %v, %v", ok, err)
		}
		// b renewing by TakeLease keeps its token.
		if l, held, _ := b.TakeLease(ctx, name, ttl); !held || l.Token != 2 {
			t.Errorf("b's own take again: %+v held %v; want token 2 kept", l, held)
		}
		// A clean stop releases: a takes it at once, token 3.
		if err := b.ReleaseLease(ctx, name, lb.Token); err != nil {
			t.Fatal(err)
		}
		if l, held, err := a.TakeLease(ctx, name, ttl); err != nil || !held || l.Token != 3 {
			t.Errorf("after release: %+v held %v, %v", l, held, err)
		}
		ls, err := b.Leases(ctx)
		if err != nil || len(ls) != 1 || ls[0].Owner != "server-a" {
			t.Errorf("leases = %+v, %v", ls, err)
		}
	})
}

// TestFencedClaimBothEngines: a linked device's replies are claimed only
// by the process holding its lease with the current token; an owner that
// lost the lease (paused past its expiry, then woken) claims nothing.
func TestFencedClaimBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		a := e.open(t, Options{Now: clock.Now, Owner: "server-a"})
		b := e.open(t, Options{Now: clock.Now, Owner: "server-b"})
		for _, id := range []string{"m1", "m2", "m3"} {
			if _, err := a.Handle(ctx, inbound(id, "hola"), echoStep); err != nil {
				t.Fatal(err)
			}
		}
		out, err := a.PendingOutbox(ctx, "chat", 10)
		if err != nil || len(out) != 3 {
			t.Fatalf("pending = %d, %v", len(out), err)
		}
		const name, ttl = "linked-device:acct", 15 * time.Second
		la, _, _ := a.TakeLease(ctx, name, ttl)
		fa := Fence{Lease: name, Token: la.Token}
		if ok, err := a.ClaimNextFenced(ctx, nil, out[0].ID, fa); err != nil || !ok {
			t.Fatalf("the owner's fenced claim: %v, %v", ok, err)
		}
		if ok, err := b.ClaimNextFenced(ctx, nil, out[1].ID, Fence{Lease: name, Token: la.Token}); err != nil || ok {
			t.Errorf("a process not holding the lease claimed: %v, %v", ok, err)
		}
		clock.Add(ttl + time.Second) // a paused past its lease
		if ok, _ := a.ClaimNextFenced(ctx, nil, out[1].ID, fa); ok {
			t.Error("an expired owner claimed")
		}
		lb, _, _ := b.TakeLease(ctx, name, ttl)
		if ok, _ := a.ClaimNextFenced(ctx, []Sent{{ID: out[0].ID, ExtID: "w1"}}, out[1].ID, fa); ok {
			t.Error("the old owner claimed with its old token after the takeover")
		}
		if ok, err := b.ClaimNextFenced(ctx, nil, out[1].ID, Fence{Lease: name, Token: lb.Token}); err != nil || !ok {
			t.Errorf("the new owner's claim: %v, %v", ok, err)
		}
		// The old owner's answer for what it did send is still recorded.
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE status = 'sent' AND ext_id = 'w1'`); n != 1 {
			t.Errorf("%d rows confirmed by the old owner's answer; want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE claimed_by = 'server-b' AND status = 'sending'`); n != 1 {
			t.Errorf("%d claims named server-b; want 1", n)
		}
	})
}

// TestOrphansOnlyOfDeadOwnersBothEngines: a server settling crash orphans
// leaves the claims of a live server (its process lease renewed) alone and
// takes those of one whose lease expired, however recent their claim.
func TestOrphansOnlyOfDeadOwnersBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		a := e.open(t, Options{Now: clock.Now, Owner: "server-a"})
		b := e.open(t, Options{Now: clock.Now, Owner: "server-b"})
		const ttl = 15 * time.Second
		for _, s := range []*Store{a, b} {
			if _, held, err := s.TakeLease(ctx, ProcessLease(s.Owner()), ttl); err != nil || !held {
				t.Fatalf("process lease: %v, %v", held, err)
			}
		}
		if _, err := a.Handle(ctx, inbound("m1", "hola"), replyStep("greeting", "consent")); err != nil {
			t.Fatal(err)
		}
		claimAll(t, a, "chat") // a is sending them
		clock.Add(time.Second)
		if n, err := b.ReleaseOrphans(ctx, "chat", clock.Now()); err != nil || n != 0 {
			t.Fatalf("b released %d claims of a live server (%v); want 0", n, err)
		}
		if n, err := a.ReleaseOrphans(ctx, "chat", clock.Now()); err != nil || n != 0 {
			t.Fatalf("a released %d of its own live claims (%v); want 0", n, err)
		}
		clock.Add(ttl) // a killed: its process lease expires, b's is renewed
		if _, held, _ := b.TakeLease(ctx, ProcessLease("server-b"), ttl); !held {
			t.Fatal("b lost its own process lease")
		}
		o, err := b.ReleaseOrphanClaims(ctx, "chat", clock.Now())
		if err != nil || o.Resent != 1 || o.Unconfirmed != 1 {
			t.Errorf("after a's lease expired: %+v, %v; want the consent resent, the greeting unconfirmed", o, err)
		}
		for key, want := range map[string]string{"greeting": "unconfirmed", "consent": "pending"} {
			if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE key = ? AND status = ?`, key, want); n != 1 {
				t.Errorf("%s is not %s", key, want)
			}
		}
	})
}
