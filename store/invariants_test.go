package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// textStep moves a conversation to a "stage" named after the last text, so
// that a replay in another order gives other stages. It replies once.
func textStep(s flow.State, in flow.Inbound, _ time.Time) flow.Result {
	s.Version, s.Status, s.Stage = flow.StateVersion, flow.InProgress, flow.Stage(in.Text)
	s.UpdatedAt = t0
	return flow.Result{State: s, Replies: []flow.Reply{{Key: "k", Text: "reply"}}}
}

// TestCheckInvariantsFindsEachViolation builds a small clean store, breaks
// it one way per row, and checks that the checker names exactly the broken
// invariant (and nothing on the clean store).
func TestCheckInvariantsFindsEachViolation(t *testing.T) {
	cases := []struct {
		name   string
		expect func(s *Store, e *Expect)
		break_ func(t *testing.T, s *Store)
		want   []string
	}{
		{"clean", nil, nil, nil},
		{"acknowledged message missing", func(_ *Store, e *Expect) { e.Accepted = append(e.Accepted, "m.never") }, nil, []string{"I1"}},
		{"unprocessed message", nil, func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE messages SET conversation_id = NULL WHERE ext_id = 'm.2'`)
		}, []string{"I2", "I3", "I5"}},
		{"reply left pending", nil, func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE outbox SET status = 'pending' WHERE id = 1`)
		}, []string{"I2", "I4"}},
		{"applied out of order", nil, func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE messages SET step_before = 'c' WHERE ext_id = 'm.2'`)
		}, []string{"I3", "I5"}},
		{"replay disagrees with the stored step", nil, func(t *testing.T, s *Store) {
			exec(t, s, `UPDATE conversations SET step = 'x'`)
		}, []string{"I3"}},
		{"reply sent twice", func(_ *Store, e *Expect) { e.Sends[2] = 2 }, nil, []string{"I4"}},
		{"sent row never reached the provider", func(_ *Store, e *Expect) { delete(e.Sends, 3) }, nil, []string{"I4"}},
		{"provider got a reply the store does not know", func(_ *Store, e *Expect) { e.Sends[99] = 1 }, nil, []string{"I4"}},
		{"committed audit entry lost", nil, func(t *testing.T, s *Store) {
			exec(t, s, `DELETE FROM conversation_events WHERE id = (SELECT MIN(id) FROM conversation_events)`)
		}, []string{"I5"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, _ := mustOpen(t)
			ctx := context.Background()
			for i, text := range []string{"a", "b", "c"} {
				in := inbound("m."+string(rune('1'+i)), text)
				if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return textStep(st, in, t0) }); err != nil {
					t.Fatal(err)
				}
			}
			// One audit entry, so that I5 has an append-only row to watch.
			exec(t, s, `INSERT INTO conversation_events (conversation_id, kind, created_at) VALUES (1, 'note', 0)`)
			pending, err := s.PendingOutbox(ctx, "chat", 10)
			if err != nil || len(pending) != 3 {
				t.Fatalf("pending = %v, %v", pending, err)
			}
			e := Expect{Channel: "chat", Accepted: []string{"m.1", "m.2", "m.3"}, Drained: true, Sends: map[int64]int{}, Step: textStep}
			for _, o := range pending {
				if err := s.MarkSent(ctx, o.ID, "out"); err != nil {
					t.Fatal(err)
				}
				e.Sends[o.ID] = 1
			}
			if e.Before, err = s.Snapshot(ctx); err != nil {
				t.Fatal(err)
			}
			if c.expect != nil {
				c.expect(s, &e)
			}
			if c.break_ != nil {
				c.break_(t, s)
			}
			vs, err := s.CheckInvariants(ctx, e)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, v := range vs {
				if !slices.Contains(got, v.Invariant) {
					got = append(got, v.Invariant)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, c.want) {
				t.Errorf("violations %v; want invariants %v", vs, c.want)
			}
		})
	}
}

// TestSnapshotChanges checks the I6 helper: an insert, a change and a
// delete each show in their table, untouched tables do not.
func TestSnapshotChanges(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("m.1", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	before, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(before["messages"]) != 1 || len(before["outbox"]) != 1 {
		t.Fatalf("snapshot = %v; want one message and one reply", before)
	}
	exec(t, s, `UPDATE outbox SET attempts = 1`)
	exec(t, s, `INSERT INTO dead_letters (channel, reason, body, received_at) VALUES ('chat', 'x', X'00', 0)`)
	exec(t, s, `DELETE FROM conversation_events`) // none: a no-op must not show
	after, err := s.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{{Table: "dead_letters", Added: 1}, {Table: "outbox", Added: 1, Removed: 1}}
	if got := before.Changes(after); !slices.Equal(got, want) {
		t.Errorf("changes = %+v; want %+v", got, want)
	}
}

func exec(t *testing.T, s *Store, query string) {
	t.Helper()
	if _, err := s.rw.Exec(query); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}
