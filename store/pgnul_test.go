package store

import (
	"context"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestNULInAMessageBothEngines: a prospect's message with NUL characters is
// stored and answered on both engines. PostgreSQL's text cannot hold a NUL
// (SQLite's can): the seam drops them there (pgArgs), rather than failing
// the message's transaction on every redelivery.
func TestNULInAMessageBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
		if err != nil {
			t.Fatal(err)
		}
		for i, text := range []string{"hola", "sí", "Car\x00los\x00"} {
			clock.Add(time.Minute)
			in := flow.Inbound{Channel: "chat", Account: "acct", ID: "n" + string(rune('0'+i)), From: "+573001112244",
				Kind: flow.KindText, Text: text, At: clock.Now()}
			handled, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) })
			if err != nil || !handled {
				t.Fatalf("message %d %q: handled=%v err=%v", i, text, handled, err)
			}
			sendAll(t, s, "chat")
		}
		v, err := s.Conversation(ctx, "chat", "acct", "+573001112244")
		if err != nil {
			t.Fatal(err)
		}
		if v.State.Stage != flow.StageCity {
			t.Errorf("after the name with NULs: stage %s; want the city asked", v.State.Stage)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages`); n != 3 {
			t.Errorf("%d messages stored; want 3", n)
		}
	})
}
