package store

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

// queueStore opens a store at *now (Monday 2026-03-02 10:00 in Bogotá
// unless moved) with the agency's default hours and the given advisors.
func queueStore(t testing.TB, now *time.Time, advisors ...string) *Store {
	t.Helper()
	rules := assign.Rules{Agency: flow.Calendar{Loc: flow.Bogota(), Week: flow.DefaultWeek(), Enabled: true}}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"),
		Options{Now: func() time.Time { return *now }, Assign: rules})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var as []Advisor
	for _, a := range advisors {
		as = append(as, Advisor{Name: a})
	}
	if err := s.SetAdvisors(context.Background(), as); err != nil {
		t.Fatal(err)
	}
	return s
}

func userID(t *testing.T, s *Store, name string) int64 {
	t.Helper()
	var id int64
	if err := s.rw.QueryRow(`SELECT id FROM users WHERE username = ?`, name).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// holder is who holds lead i of assignedLead now ("" for the shared queue).
func holder(t *testing.T, s *Store, i int) string {
	t.Helper()
	var who string
	q := `SELECT COALESCE(u.username, '') FROM leads l LEFT JOIN users u ON u.id = l.assigned_to WHERE l.name = ?`
	if err := s.rw.QueryRow(q, "Prospecto "+itoa(i)).Scan(&who); err != nil {
		t.Fatal(err)
	}
	return who
}

func itoa(i int) string { return strconv.Itoa(i) }

func queuedLeadID(t *testing.T, s *Store, i int) int64 {
	t.Helper()
	var id int64
	if err := s.rw.QueryRow(`SELECT id FROM leads WHERE name = ?`, "Prospecto "+itoa(i)).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestWaitingLeadAssignedWhenAdvisorTurnsAvailable: with its only advisor
// away, a lead waits in the shared queue (unassigned, no notification);
// the moment she switches back it is hers, in the switch's own
// transaction.
func TestWaitingLeadAssignedWhenAdvisorTurnsAvailable(t *testing.T) {
	now := t0
	s := queueStore(t, &now, "ana")
	ctx := context.Background()
	ana := userID(t, s, "ana")
	hook := mustWebhook(t, s, EventLeadAssigned)
	if err := s.SetAwayByID(ctx, ana, true); err != nil {
		t.Fatal(err)
	}
	if got := assignedLead(t, s, 1, "web"); got != "" {
		t.Fatalf("lead went to %q while the only advisor is away; want the shared queue", got)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM lead_notices`); n != 0 {
		t.Errorf("%d notifications for a waiting lead", n)
	}
	if n, err := s.AssignWaiting(ctx); err != nil || n != 0 {
		t.Errorf("tick while she is away: %d assigned, %v; want 0", n, err)
	}
	if err := s.SetAwayByID(ctx, ana, false); err != nil {
		t.Fatal(err)
	}
	if got := holder(t, s, 1); got != "ana" {
		t.Errorf("after ana turned available the lead is with %q; want ana", got)
	}
	if got := typesOf(hookRows(t, s), hook); len(got) != 1 || got[0] != EventLeadAssigned {
		t.Errorf("webhook events %v; want one lead.assigned, queued when the shared queue placed the lead", got)
	}
}

// TestCapacityFreedOnContactAssignsWaiting: ana holds at most one open
// lead; the second waits until she records contact with the first.
func TestCapacityFreedOnContactAssignsWaiting(t *testing.T) {
	now := t0
	s := queueStore(t, &now, "ana")
	ctx := context.Background()
	if err := s.SetAdvisorSettings(ctx, "ana", AdvisorSettings{MaxOpen: 1}); err != nil {
		t.Fatal(err)
	}
	if got := assignedLead(t, s, 1, "web"); got != "ana" {
		t.Fatalf("first lead to %q; want ana", got)
	}
	if got := assignedLead(t, s, 2, "web"); got != "" {
		t.Fatalf("second lead to %q; want the shared queue (ana is full)", got)
	}
	if err := s.ActOnLead(ctx, queuedLeadID(t, s, 1), LeadAction{Kind: "contacted", ByUser: userID(t, s, "ana")}); err != nil {
		t.Fatal(err)
	}
	if got := holder(t, s, 2); got != "ana" {
		t.Errorf("after the first lead was contacted the second is with %q; want ana", got)
	}
}

// TestWaitingLeadsFollowSettingsAndTick: a lead nobody
// sells waits; an admin gives the service to beto and it is his at once;
// AssignWaiting (the tick) places what an outside change freed.
func TestWaitingLeadsFollowSettingsAndTick(t *testing.T) {
	now := t0
	s := queueStore(t, &now, "ana", "beto")
	ctx := context.Background()
	for _, n := range []string{"ana", "beto"} {
		if err := s.SetAdvisorSettings(ctx, n, AdvisorSettings{Services: []string{"seo"}}); err != nil {
			t.Fatal(err)
		}
	}
	assignedLead(t, s, 1, "web")
	assignedLead(t, s, 2, "web")
	if h1, h2 := holder(t, s, 1), holder(t, s, 2); h1 != "" || h2 != "" {
		t.Fatalf("web leads with %q, %q; nobody sells web", h1, h2)
	}
	if err := s.SetAdvisorSettings(ctx, "beto", AdvisorSettings{Services: []string{"web"}, MaxOpen: 1}); err != nil {
		t.Fatal(err)
	}
	if h1, h2 := holder(t, s, 1), holder(t, s, 2); h1 != "beto" || h2 != "" {
		t.Errorf("after beto took web (max 1): %q, %q; want beto for the oldest, the other waiting", h1, h2)
	}
	if _, err := s.rw.Exec(`UPDATE users SET skills = '' WHERE username = 'ana'`); err != nil {
		t.Fatal(err)
	}
	if n, err := s.AssignWaiting(ctx); err != nil || n != 1 {
		t.Errorf("tick: %d assigned, %v; want 1", n, err)
	}
	if h2 := holder(t, s, 2); h2 != "ana" {
		t.Errorf("after the tick the second web lead is with %q; want ana", h2)
	}
}

// TestMissedLeadMovesOnlyToSomeoneOnShift: a missed deadline moves the
// lead to another advisor on shift now; with the only other one on
// holiday today it stays (and is tried again at the next sweep).
func TestMissedLeadMovesOnlyToSomeoneOnShift(t *testing.T) {
	now := t0
	s := queueStore(t, &now, "ana", "beto")
	ctx := context.Background()
	today := t0.In(flow.Bogota()).Format(dayLayout)
	if err := s.SetAdvisorSettings(ctx, "beto", AdvisorSettings{DaysOff: []string{today}}); err != nil {
		t.Fatal(err)
	}
	if got := assignedLead(t, s, 1, "web"); got != "ana" {
		t.Fatalf("lead to %q; want ana (beto on holiday)", got)
	}
	now = t0.Add(time.Hour) // the 25-minute deadline passed
	if _, m, err := s.SweepDeadlines(ctx, 10*time.Minute, true); err != nil || m != 0 {
		t.Fatalf("sweep with beto on holiday: %d reassigned, %v; want 0", m, err)
	}
	if err := s.SetAdvisorSettings(ctx, "beto", AdvisorSettings{}); err != nil {
		t.Fatal(err)
	}
	if _, m, err := s.SweepDeadlines(ctx, 10*time.Minute, true); err != nil || m != 1 {
		t.Fatalf("sweep with beto back: %d reassigned, %v; want 1", m, err)
	}
	if got := holder(t, s, 1); got != "beto" {
		t.Errorf("missed lead with %q; want beto", got)
	}
}

// TestIdleAdvisorAwayAndBack: an advisor seen on the dashboard and idle
// for the idle time on shift is switched away (audited) and gets no lead;
// her next request brings her back and hands her the waiting lead. A
// manual away is not undone by activity.
func TestIdleAdvisorAwayAndBack(t *testing.T) {
	now := t0 // Monday 10:00 Bogotá
	s := queueStore(t, &now, "ana", "beto")
	ctx := context.Background()
	ana, beto := userID(t, s, "ana"), userID(t, s, "beto")
	if _, err := s.AdvisorActive(ctx, ana); err != nil {
		t.Fatal(err)
	}
	now = t0.Add(31 * time.Minute)
	if n, err := s.AwayIdle(ctx, 30*time.Minute); err != nil || n != 1 {
		t.Fatalf("idle sweep: %d away, %v; want ana only (beto never used the dashboard)", n, err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM audit_log WHERE action = 'advisor_away' AND object = ? AND detail = 'idle'`, "user:"+itoa(int(ana))); n != 1 {
		t.Errorf("idle switch audited %d times; want 1", n)
	}
	if err := s.SetAwayByID(ctx, beto, true); err != nil {
		t.Fatal(err)
	}
	if got := assignedLead(t, s, 1, "web"); got != "" {
		t.Fatalf("lead to %q with both away; want the shared queue", got)
	}
	if back, err := s.AdvisorActive(ctx, beto); err != nil || back {
		t.Errorf("manual away undone by activity: back=%v, %v", back, err)
	}
	if back, err := s.AdvisorActive(ctx, ana); err != nil || !back {
		t.Fatalf("ana's request after idle: back=%v, %v; want back", back, err)
	}
	if got := holder(t, s, 1); got != "ana" {
		t.Errorf("waiting lead with %q after ana came back; want ana", got)
	}
}
