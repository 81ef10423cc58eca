package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// replyStep is a stand-in for the flow that replies with the given keys.
func replyStep(keys ...string) func(flow.State) flow.Result {
	return func(st flow.State) flow.Result {
		r := echoStep(st)
		r.Replies = nil
		for _, k := range keys {
			r.Replies = append(r.Replies, flow.Reply{Key: k, Text: "texto de " + k})
		}
		return r
	}
}

// outboxRow is one row's status and resend count, by key, for one person.
func outboxRows(tb testing.TB, s *Store, from string) map[string][2]any {
	tb.Helper()
	rows, err := s.rw.Query(`SELECT o.key, o.status, o.resends FROM outbox o JOIN contacts c ON c.id = o.contact_id
		WHERE c.phone = ? ORDER BY o.id`, from)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	out := map[string][2]any{}
	for rows.Next() {
		var key, status string
		var resends int
		if err := rows.Scan(&key, &status, &resends); err != nil {
			tb.Fatal(err)
		}
		out[key] = [2]any{status, resends}
	}
	return out
}

func claimAll(tb testing.TB, s *Store, channel string) {
	tb.Helper()
	out, err := s.PendingOutbox(context.Background(), channel, 100)
	if err != nil {
		tb.Fatal(err)
	}
	var ids []int64
	for _, o := range out {
		ids = append(ids, o.ID)
	}
	if got, err := s.ClaimOutbox(context.Background(), ids); err != nil || len(got) != len(ids) {
		tb.Fatalf("claim %v: %v, %v", ids, got, err)
	}
}

// TestCrashPolicyPerKind: replies a process claimed and never marked (it
// was killed in the middle of sending) are settled by kind when the next
// process starts: a question is queued again, anything else becomes
// unconfirmed; a question is not sent again when a later question
// superseded it, when the person opted out, or after three resends.
func TestCrashPolicyPerKind(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	handle := func(id, from string, step func(flow.State) flow.Result) {
		t.Helper()
		in := inbound(id, "x")
		in.From = from
		if _, err := s.Handle(ctx, in, step); err != nil {
			t.Fatal(err)
		}
	}
	// A: greeting (not a question) and the consent text, both in flight.
	handle("a1", "+573000000001", replyStep("greeting", "consent"))
	// B: a question superseded by a later one (the later one already sent).
	handle("b1", "+573000000002", replyStep("ask_city"))
	// C: a question to a person who then opted out.
	handle("c1", "+573000000003", replyStep("ask_budget"))
	claimAll(t, s, "chat")
	handle("b2", "+573000000002", replyStep("ask_budget"))
	handle("c2", "+573000000003", func(st flow.State) flow.Result {
		r := replyStep("opted_out")(st)
		r.Events = []flow.Event{{Kind: flow.EventOptedOut}}
		return r
	})
	o, err := s.ReleaseOrphanClaims(ctx, "chat", t0.Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if o.Resent != 1 || o.Unconfirmed != 3 {
		t.Errorf("released %+v; want the consent text resent, three unconfirmed", o)
	}
	for from, want := range map[string]map[string][2]any{
		"+573000000001": {"greeting": {"unconfirmed", 0}, "consent": {"pending", 1}},
		"+573000000002": {"ask_city": {"unconfirmed", 0}, "ask_budget": {"pending", 0}},
		"+573000000003": {"ask_budget": {"unconfirmed", 0}, "opted_out": {"pending", 0}},
	} {
		got := outboxRows(t, s, from)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: %v; want %v", from, got, want)
		}
	}
	// The resent consent text keeps being resent after each crash, three times at most.
	for i := 2; i <= 4; i++ {
		claimAll(t, s, "chat")
		if _, err := s.ReleaseOrphanClaims(ctx, "chat", t0.Add(time.Second)); err != nil {
			t.Fatal(err)
		}
		want := [2]any{"pending", min(i, 3)}
		if i == 4 {
			want = [2]any{"unconfirmed", 3}
		}
		if got := outboxRows(t, s, "+573000000001")["consent"]; got != want {
			t.Errorf("after crash %d: consent %v; want %v", i, got, want)
		}
	}
}

// TestUncertainSendPolicy: a timeout (or a reset after the request was
// written) follows the same policy as a crash; a status callback that names
// a question queued again confirms it, and it is not sent a second time.
func TestUncertainSendPolicy(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("u1", "x"), replyStep("ask_name", "after_done")); err != nil {
		t.Fatal(err)
	}
	out, err := s.PendingOutbox(ctx, "chat", 10)
	if err != nil || len(out) != 2 {
		t.Fatalf("pending %v, %v", out, err)
	}
	claimAll(t, s, "chat")
	next := t0.Add(time.Minute)
	for i, want := range []bool{true, false} {
		resent, err := s.MarkUncertain(ctx, out[i].ID, next, "timeout")
		if err != nil || resent != want {
			t.Errorf("%s: resent %v, %v; want %v", out[i].Key, resent, err, want)
		}
	}
	if got := fmt.Sprint(outboxRows(t, s, "+573001112233")); got != "map[after_done:[unconfirmed 0] ask_name:[pending 1]]" {
		t.Errorf("after the timeouts: %s", got)
	}
	// Meta's status callback for the first send arrives: the question is
	// confirmed and leaves the queue.
	if err := s.RecordDeliveries(ctx, "chat", []Delivery{{ExtID: "wamid.x", Status: "sent", At: t0, Outbox: out[0].ID}}); err != nil {
		t.Fatal(err)
	}
	if got := outboxRows(t, s, "+573001112233")["ask_name"]; got[0] != "sent" {
		t.Errorf("ask_name after its status callback: %v; want sent", got)
	}
}

// TestNotificationsAreNotSentTwice: an advisor notification a crash cut
// (claimed, never marked) becomes unconfirmed and is not sent again.
func TestNotificationsAreNotSentTwice(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if err := s.SetAdvisors(ctx, []Advisor{{"Ana", "+573000000001"}}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Handle(ctx, inbound("n1", "x"), func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.Status = flow.Completed
		r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: t0.Add(time.Hour),
			Lead: &flow.Lead{Name: "Prospecto", Service: "web"}, Score: &flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules"}}}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	ns, err := s.PendingNotifications(ctx, 10)
	if err != nil || len(ns) != 1 {
		t.Fatalf("notifications %v, %v", ns, err)
	}
	if ok, err := s.ClaimNotification(ctx, ns[0].ID); err != nil || !ok {
		t.Fatalf("claim = %v, %v", ok, err)
	}
	if ok, _ := s.ClaimNotification(ctx, ns[0].ID); ok {
		t.Error("a notification was claimed twice")
	}
	// The process dies here; the next one starts.
	if n, err := s.ReleaseNotificationOrphans(ctx); err != nil || n != 1 {
		t.Errorf("released %d, %v; want 1", n, err)
	}
	if ns, _ := s.PendingNotifications(ctx, 10); len(ns) != 0 {
		t.Errorf("pending after the crash: %v; want none (not sent twice)", ns)
	}
	if n := count(t, s, `SELECT count(*) FROM lead_notices WHERE status = 'unconfirmed'`); n != 1 {
		t.Errorf("%d unconfirmed notifications; want 1", n)
	}
}
