package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

// assignedLead runs one conversation to a completed hot lead for service
// and returns the username it was assigned to ("" for nobody).
func assignedLead(t *testing.T, s *Store, i int, service string) string {
	t.Helper()
	ctx := context.Background()
	in := inbound(fmt.Sprintf("sched-%d", i), "servicio")
	in.From = fmt.Sprintf("+57302000000%d", i)
	_, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.Status = flow.Completed
		r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: t0.Add(25 * time.Minute),
			Lead:  &flow.Lead{Name: fmt.Sprintf("Prospecto %d", i), Urgency: flow.Urgency("immediate"), Service: service},
			Score: &flow.Score{Class: flow.Hot, Probability: 0.8, Model: "rules"}}}
		return r
	})
	if err != nil {
		t.Fatal(err)
	}
	var who string
	q := `SELECT COALESCE(u.username, '') FROM leads l LEFT JOIN users u ON u.id = l.assigned_to WHERE l.name = ?`
	if err := s.rw.QueryRow(q, fmt.Sprintf("Prospecto %d", i)).Scan(&who); err != nil {
		t.Fatal(err)
	}
	return who
}

// TestAssignmentFollowsAdvisorSettings: the settings stored per advisor
// (0160) reach assign.Pick: skills, capacity, days off and the away switch
// decide who gets each lead, in the lead's own transaction.
func TestAssignmentFollowsAdvisorSettings(t *testing.T) {
	bogota := flow.Bogota()
	rules := assign.Rules{Agency: flow.Calendar{Loc: bogota, Week: flow.DefaultWeek(), Enabled: true},
		Modes: map[flow.Class]assign.Mode{flow.Hot: assign.LeastLoaded}}
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"),
		Options{Now: func() time.Time { return t0 }, Assign: rules}) // Monday 10:00 in Bogotá
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	if err := s.SetAdvisors(ctx, []Advisor{{"ana", ""}, {"beto", ""}, {"caro", ""}}); err != nil {
		t.Fatal(err)
	}
	today := t0.In(bogota).Format(dayLayout)
	for name, a := range map[string]AdvisorSettings{
		"ana":  {Services: []string{"seo"}},
		"beto": {DaysOff: []string{today}},
		"caro": {MaxOpen: 1, Hours: "lun-vie 8-18"},
	} {
		if err := s.SetAdvisorSettings(ctx, name, a); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		what, service, want string
		before              func()
	}{
		{"web: ana does not sell it, beto is off today", "web", "caro", nil},
		{"web again: caro is full, beto back tomorrow is the soonest", "web", "beto", nil},
		{"seo: ana sells it", "seo", "ana", nil},
		{"seo, ana away: beto tomorrow (least loaded ties, caro full)", "seo", "beto", func() {
			if err := s.SetAdvisorAway(ctx, "ana", true); err != nil {
				t.Fatal(err)
			}
		}},
		{"ana back, nobody else free today: ana", "seo", "ana", func() {
			if err := s.SetAdvisorAway(ctx, "ana", false); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for i, st := range steps {
		if st.before != nil {
			st.before()
		}
		if got := assignedLead(t, s, i, st.service); got != st.want {
			t.Errorf("%s: assigned to %q; want %q", st.what, got, st.want)
		}
	}
}

// Defaults read as unset columns; bad settings are refused with the reason
// and leave what was stored.
func TestSetAdvisorSettingsValidates(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if err := s.SetAdvisors(ctx, []Advisor{{"ana", ""}}); err != nil {
		t.Fatal(err)
	}
	good := AdvisorSettings{Hours: "lun-vie 8-12", DaysOff: []string{"2026-03-03"}, MaxOpen: 5, Services: []string{"web"}}
	if err := s.SetAdvisorSettings(ctx, "ana", good); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		a    AdvisorSettings
		user string
	}{
		{"hours that do not read", AdvisorSettings{Hours: "lun-vie 18-8"}, "ana"},
		{"a day off that is not a date", AdvisorSettings{DaysOff: []string{"3/3/2026"}}, "ana"},
		{"a negative maximum", AdvisorSettings{MaxOpen: -1}, "ana"},
		{"an unknown account", AdvisorSettings{}, "nadie"},
	} {
		if err := s.SetAdvisorSettings(ctx, tt.user, tt.a); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
	if err := s.SetAdvisorAway(ctx, "nadie", true); !errors.Is(err, ErrNoAdvisor) {
		t.Errorf("away for an unknown account: %v; want ErrNoAdvisor", err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM users WHERE username = 'ana' AND max_open = 5 AND schedule LIKE '%lun-vie 8-12%' AND skills LIKE '%web%'`); n != 1 {
		t.Errorf("refused settings changed the stored ones")
	}
	if err := s.SetAdvisorSettings(ctx, "ana", AdvisorSettings{}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM users WHERE username = 'ana' AND schedule = '' AND skills = '' AND max_open = 0 AND away = 0`); n != 1 {
		t.Errorf("reset to defaults did not clear the columns")
	}
}

// TestPromiseComesFromAvailability runs the real conversation through the
// store: the only advisor who sells SEO works afternoons, so a hot lead at
// 10 a.m. is promised "hoy antes de las 2:25 p. m.", the lead is stored
// with that deadline and goes to that advisor.
func TestPromiseComesFromAvailability(t *testing.T) {
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil) // Monday
	e.s.rules = assign.Rules{Agency: flow.Calendar{Loc: flow.Bogota(), Week: flow.DefaultWeek(), Enabled: true}}
	ctx := context.Background()
	if err := e.s.SetAdvisors(ctx, []Advisor{{"ana", ""}, {"beto", ""}}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetAdvisorSettings(ctx, "ana", AdvisorSettings{Hours: "lun-vie 14-20", Services: []string{"seo"}}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SetAdvisorSettings(ctx, "beto", AdvisorSettings{Services: []string{"web"}}); err != nil {
		t.Fatal(err)
	}
	e.say(t, "+573001112233", "hola", "sí", "Carlos", "Medellín", "2 millones", "ya", "seo")
	out, err := e.s.PendingOutbox(ctx, "whatsapp", 10)
	if err != nil || len(out) == 0 {
		t.Fatalf("outbox %v, %v", out, err)
	}
	const want = "Gracias, Carlos. Un asesor te contactará hoy antes de las 2:25 p. m."
	if got := out[len(out)-1].Body; got != want {
		t.Errorf("closing reply %q; want %q", got, want)
	}
	var deadline int64
	var who string
	err = e.s.rw.QueryRow(`SELECT l.deadline_at, u.username FROM leads l JOIN users u ON u.id = l.assigned_to`).Scan(&deadline, &who)
	if err != nil {
		t.Fatal(err)
	}
	if d := fromMillis(deadline); !d.Equal(bogota(t, "2026-03-02 14:25")) || who != "ana" {
		t.Errorf("stored deadline %v for %q; want 14:25 Bogotá for ana", d.In(flow.Bogota()), who)
	}
}
