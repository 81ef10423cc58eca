package store

import (
	"context"
	"testing"
	"time"
)

// TestAccountOutboxBothEngines: with several linked devices each lists only
// its own number's replies, and a claim fenced by a device's lease and
// number takes only that number's rows, even when handed another's id.
func TestAccountOutboxBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now, Owner: "server-a"})
		for _, m := range []struct{ id, account string }{{"a1", "573001110000"}, {"b1", "573002220000"}, {"a2", "573001110000"}} {
			in := inbound(m.id, "hola")
			in.Account = m.account
			if _, err := s.Handle(ctx, in, echoStep); err != nil {
				t.Fatal(err)
			}
		}
		mine, err := s.PendingOutboxFor(ctx, "chat", "573001110000", 10)
		if err != nil || len(mine) != 2 || mine[0].Account != "573001110000" || mine[1].Account != "573001110000" {
			t.Fatalf("first number's pending = %+v, %v; want its two replies only", mine, err)
		}
		other, err := s.PendingOutboxFor(ctx, "chat", "573002220000", 10)
		if err != nil || len(other) != 1 || other[0].Account != "573002220000" {
			t.Fatalf("second number's pending = %+v, %v; want its one reply", other, err)
		}
		const name = "linked-device:573001110000"
		l, _, err := s.TakeLease(ctx, name, 15*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		f := Fence{Lease: name, Token: l.Token, Account: "573001110000"}
		if ok, err := s.ClaimNextFenced(ctx, nil, other[0].ID, f); err != nil || ok {
			t.Errorf("the first device claimed the second number's reply: %v, %v", ok, err)
		}
		if ok, err := s.ClaimNextFenced(ctx, nil, mine[0].ID, f); err != nil || !ok {
			t.Errorf("the first device's claim of its own reply: %v, %v", ok, err)
		}
	})
}
