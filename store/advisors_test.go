package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
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
	if n := count(t, s, `SELECT COUNT(*) FROM leads l JOIN notifications n ON n.lead_id = l.id AND n.kind = 'assigned'
		WHERE n.advisor_id = l.advisor_id`); n != 0 {
		t.Errorf("%d leads reassigned to the advisor who missed them", n)
	}
}
