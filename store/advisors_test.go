package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

func TestAdvisorsRoundRobinRemindersAndReassignment(t *testing.T) {
	var mu sync.Mutex
	now := t0
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"), Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	advisors := []Advisor{{"Ana", "+573000000001"}, {"Beto", "+573000000002"}, {"Caro", "+573000000003"}}
	if err := s.SetAdvisors(ctx, advisors); err != nil {
		t.Fatal(err)
	}
	deadline := t0.Add(25 * time.Minute)
	for i := range 4 {
		mu.Lock()
		now = now.Add(time.Second) // assignments at distinct instants
		mu.Unlock()
		in := inbound(fmt.Sprintf("lead-%d", i), "servicio")
		in.From = fmt.Sprintf("+57301000000%d", i)
		_, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
			r := echoStep(st)
			r.State.Status = flow.Completed
			r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: deadline,
				Lead:  &flow.Lead{Name: fmt.Sprintf("Prospecto %d", i), Urgency: flow.Urgency("immediate"), Service: "web"},
				Score: &flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules"}}}
			return r
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ns, err := s.PendingNotifications(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, n := range ns {
		if n.Kind != NotifyAssigned || n.Lead.Lead.Name == "" || !n.Lead.DeadlineAt.Equal(deadline) {
			t.Errorf("notification %+v", n)
		}
		got = append(got, n.Advisor.Name)
	}
	if fmt.Sprint(got) != "[Ana Beto Caro Ana]" {
		t.Errorf("assigned to %v; want round robin [Ana Beto Caro Ana]", got)
	}
	// The queue page shows the same assignment: one person, one advisor.
	rows, err := s.Queue(ctx, LeadFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byLead := map[string]string{}
	for _, r := range rows {
		byLead[r.Name] = r.Advisor
	}
	for _, n := range ns {
		if byLead[n.Lead.Lead.Name] != n.Advisor.Name {
			t.Errorf("queue shows %q for %s; notified %q", byLead[n.Lead.Lead.Name], n.Lead.Lead.Name, n.Advisor.Name)
		}
	}
	for _, n := range ns {
		if err := s.NotificationSent(ctx, n.ID); err != nil {
			t.Fatal(err)
		}
	}

	mu.Lock()
	now = t0.Add(20 * time.Minute)
	mu.Unlock()
	for round, want := range []int{4, 0} { // once per lead
		r, m, err := s.SweepDeadlines(ctx, 10*time.Minute, true)
		if err != nil || r != want || m != 0 {
			t.Errorf("sweep %d before the deadline: %d reminders, %d reassigned, %v; want %d, 0", round, r, m, err, want)
		}
	}
	mu.Lock()
	now = t0.Add(26 * time.Minute)
	mu.Unlock()
	for round, want := range []int{4, 0} {
		r, m, err := s.SweepDeadlines(ctx, 10*time.Minute, true)
		if err != nil || r != 0 || m != want {
			t.Errorf("sweep %d after the deadline: %d reminders, %d reassigned, %v; want 0, %d", round, r, m, err, want)
		}
	}
	ns, err = s.PendingNotifications(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, n := range ns {
		kinds[n.Kind]++
	}
	if kinds[NotifyReminder] != 4 || kinds[NotifyReassigned] != 4 {
		t.Errorf("pending notifications by kind = %v; want 4 reminders and 4 reassignments", kinds)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM leads l JOIN lead_notices n ON n.lead_id = l.id AND n.kind = 'assigned'
		WHERE n.user_id = l.assigned_to`); n != 0 {
		t.Errorf("%d leads reassigned to the advisor who missed them", n)
	}
}

// Migration 0061 turns the advisors of 0003 into dashboard accounts: an
// advisor named like an account becomes that account, the others become
// password-less advisor accounts (two advisors of one name stay two
// people), their leads' advisor_id becomes assigned_to (the queue's
// column), and their notifications follow; the round robin goes on.
func TestMigration0061AdvisorsBecomeUsers(t *testing.T) {
	sqliteOnly(t, "a SQLite migration older than PostgreSQL's baseline (0160)")
	ctx := context.Background()
	// The state a 0003-era deployment left: an account "ana" that is also
	// advisor "Ana", two advisors called "Beto", one lead each, and their
	// notifications.
	legacy := `
	INSERT INTO users (id, username, role, password_hash, created_at, password_changed_at) VALUES (7, 'ana', 'advisor', 'x', 0, 0);
	INSERT INTO advisors (id, name, phone, active, last_assigned_at, created_at) VALUES
		(1, 'Ana', '+573000000001', 1, 30, 0), (2, 'Beto', '+573000000002', 1, 10, 0), (3, 'Beto', '+573000000003', 0, 20, 0);
	INSERT INTO accounts (id, channel, address, created_at) VALUES (1, 'whatsapp', '573009990000', 0);
	INSERT INTO contacts (id, phone, created_at) VALUES (1, '+573001110001', 0), (2, '+573001110002', 0), (3, '+573001110003', 0);
	INSERT INTO conversations (id, account_id, contact_id, status, step, state, state_version, started_at, updated_at) VALUES
		(1, 1, 1, 'completed', 'done', '{}', 1, 0, 0), (2, 1, 2, 'completed', 'done', '{}', 1, 0, 0), (3, 1, 3, 'completed', 'done', '{}', 1, 0, 0);
	INSERT INTO leads (id, conversation_id, contact_id, account_id, name, urgency, service, class, probability, model,
		started_at, completed_at, deadline_at, created_at, advisor_id) VALUES
		(1, 1, 1, 1, 'P1', 'immediate', 'seo', 'hot', 0.8, 'rules', 0, 0, 0, 0, 1),
		(2, 2, 2, 1, 'P2', 'immediate', 'seo', 'hot', 0.8, 'rules', 0, 0, 0, 0, 2),
		(3, 3, 3, 1, 'P3', 'immediate', 'seo', 'hot', 0.8, 'rules', 0, 0, 0, 0, 3);
	INSERT INTO notifications (lead_id, advisor_id, kind, status, created_at) VALUES (1, 1, 'assigned', 'sent', 0), (2, 2, 'assigned', 'pending', 0);`
	s := upgradedStore(t, "0061", legacy)
	for _, c := range []struct {
		what, query string
		want        int
	}{
		{"ana is the account and the advisor", `SELECT COUNT(*) FROM users WHERE id = 7 AND phone = '+573000000001' AND in_rotation = 1 AND last_assigned_at = 30`, 1},
		{"the two Betos are two accounts without a password", `SELECT COUNT(*) FROM users WHERE username IN ('Beto-2', 'Beto-3') AND password_hash = '' AND role = 'advisor'`, 2},
		{"only active advisors stay in the rotation", `SELECT COUNT(*) FROM users WHERE in_rotation = 1`, 2},
		{"every lead keeps its advisor in assigned_to", `SELECT COUNT(*) FROM leads l JOIN users u ON u.id = l.assigned_to
			JOIN advisors a ON a.id = l.advisor_id WHERE u.phone = a.phone`, 3},
		{"notifications follow", `SELECT COUNT(*) FROM lead_notices n JOIN users u ON u.id = n.user_id
			WHERE (n.lead_id = 1 AND u.id = 7 AND n.status = 'sent') OR (n.lead_id = 2 AND u.username = 'Beto-2' AND n.status = 'pending')`, 2},
	} {
		if got := count(t, s, c.query); got != c.want {
			t.Errorf("%s: %d; want %d", c.what, got, c.want)
		}
	}
	ns, err := s.PendingNotifications(ctx, 10)
	if err != nil || len(ns) != 1 || ns[0].Advisor.Name != "Beto-2" || ns[0].Advisor.Phone != "+573000000002" || ns[0].Lead.ID != 2 {
		t.Errorf("pending after the migration: %+v, %v; want lead 2 for Beto-2", ns, err)
	}
	// The rotation continues from the carried-over order: Beto-2 (10) before ana (30).
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	candidates, err := rotation(ctx, tx)
	tx.Rollback()
	if err != nil {
		t.Fatal(err)
	}
	next, _ := assign.Pick(candidates, assign.Lead{}, assign.Rules{}, s.now())
	if u, err := s.UserByID(ctx, next.ID); err != nil || u.Username != "Beto-2" {
		t.Errorf("next in turn: %+v, %v; want Beto-2", u, err)
	}
}

// --advisors names accounts: an existing one joins the rotation with the
// phone given, a new name gets a password-less account, a phone moves to
// the account named with it, and those left out leave the rotation but
// keep their leads.
func TestSetAdvisorsUsesAccounts(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	ana, err := s.CreateUser(ctx, "ana", "advisor", "hash")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdvisors(ctx, []Advisor{{"ana", "+573000000001"}, {"beto", "+573000000002"}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetAdvisors(ctx, []Advisor{{"ana", "+573000000002"}, {"caro", ""}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what, query string
		want        int
	}{
		{"ana took beto's number", fmt.Sprintf(`SELECT COUNT(*) FROM users WHERE id = %d AND phone = '+573000000002' AND in_rotation = 1 AND password_hash = 'hash'`, ana.ID), 1},
		{"beto left the rotation and the number", `SELECT COUNT(*) FROM users WHERE username = 'beto' AND in_rotation = 0 AND phone IS NULL AND password_hash = ''`, 1},
		{"caro is an account without a phone", `SELECT COUNT(*) FROM users WHERE username = 'caro' AND in_rotation = 1 AND phone IS NULL`, 1},
	} {
		if got := count(t, s, c.query); got != c.want {
			t.Errorf("%s: %d; want %d", c.what, got, c.want)
		}
	}
}
