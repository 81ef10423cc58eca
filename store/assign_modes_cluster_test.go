package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

// TestAssignModesReachEveryServerBothEngines: two stores on one database
// (two servers of a cluster, issue 16). An admin's change of the
// assignment modes on one is followed by the other within modesTTL, without
// a restart: its page shows it and its next lead is given by it. Server b
// started with --advisor-least-loaded hot (Options.Assign), but the
// admin's explicit "rotation for every class" on a wins over that once
// stored (the rows are written for every class). Then a hot lead that
// rotation would give to the advisor who waited longest goes, after a's
// switch to least loaded, to the one with fewer open leads, given by b.
func TestAssignModesReachEveryServerBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: t0} // Monday 10:00 in Bogotá
		rules := assign.Rules{Agency: flow.Calendar{Loc: flow.Bogota(), Week: flow.DefaultWeek(), Enabled: true}}
		a := e.open(t, Options{Now: clock.Now, Assign: rules})
		rules.Modes = map[flow.Class]assign.Mode{flow.Hot: assign.LeastLoaded}
		b := e.open(t, Options{Now: clock.Now, Assign: rules})
		if err := a.SetAdvisors(ctx, []Advisor{{"ana", ""}, {"beto", ""}}); err != nil {
			t.Fatal(err)
		}
		if err := a.SetAssignModes(ctx, map[flow.Class]string{}); err != nil {
			t.Fatal(err)
		}
		waitMode(t, "b", b, ModeRotation)
		first := hotLead(t, e, b, clock, 0)
		second := hotLead(t, e, b, clock, 1)
		if first == second {
			t.Fatalf("rotation gave both leads to %s", first)
		}
		// second's lead is won: second holds none open, first one. Rotation
		// would give the next to first (waited longest); least loaded to second.
		var id int64
		if err := e.raw.QueryRow(e.q(`SELECT l.id FROM leads l JOIN users u ON u.id = l.assigned_to WHERE u.username = ?`), second).Scan(&id); err != nil {
			t.Fatal(err)
		}
		if err := a.ActOnLead(ctx, id, LeadAction{Kind: "won", ValueCOP: 1_000_000}); err != nil {
			t.Fatal(err)
		}
		if err := a.SetAssignModes(ctx, map[flow.Class]string{flow.Hot: ModeLeastLoaded}); err != nil {
			t.Fatal(err)
		}
		waitMode(t, "b", b, ModeLeastLoaded)
		if got := hotLead(t, e, b, clock, 2); got != second {
			t.Errorf("after least loaded was chosen on a, b gave the lead to %s; want %s (no open lead)", got, second)
		}
		if err := b.SetAssignModes(ctx, map[flow.Class]string{flow.Hot: ModeRotation}); err != nil {
			t.Fatal(err)
		}
		waitMode(t, "a", a, ModeRotation)
	})
}

// waitMode waits for s to show mode for hot leads, and fails when that
// takes more than modesTTL and a second of slack (a loaded machine).
func waitMode(t *testing.T, name string, s *Store, mode string) {
	t.Helper()
	start := time.Now()
	for s.AssignModes()[flow.Hot] != mode {
		if time.Since(start) > modesTTL+time.Second {
			t.Fatalf("server %s still shows %s for hot leads %v after the change; want %s within %v",
				name, s.AssignModes()[flow.Hot], time.Since(start), mode, modesTTL)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("server %s follows %s after %v", name, mode, time.Since(start).Round(time.Millisecond))
}

// hotLead completes a hot lead through s a minute after the last and
// returns who it was given to.
func hotLead(t *testing.T, e *engine, s *Store, clock *pgClock, i int) string {
	t.Helper()
	clock.Add(time.Minute)
	in := inbound(fmt.Sprintf("mode-%d", i), "servicio")
	in.From, in.At = fmt.Sprintf("+57302100000%d", i), clock.Now()
	_, err := s.Handle(context.Background(), in, func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.Status = flow.Completed
		r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: clock.Now().Add(25 * time.Minute),
			Lead:  &flow.Lead{Name: fmt.Sprintf("Modo %d", i), Urgency: flow.Urgency("immediate"), Service: "web"},
			Score: &flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules"}}}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	var who string
	q := e.q(`SELECT COALESCE(u.username, '') FROM leads l LEFT JOIN users u ON u.id = l.assigned_to WHERE l.name = ?`)
	if err := e.raw.QueryRow(q, fmt.Sprintf("Modo %d", i)).Scan(&who); err != nil {
		t.Fatal(err)
	}
	return who
}
