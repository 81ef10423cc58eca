package bot

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

type sentNotice struct{ phone, text string }

// notifierEnv is a completed lead, two advisors and a Notifier that
// records what it sends; the harness clock drives it.
type notifierEnv struct {
	h        *harness
	n        *Notifier
	mu       sync.Mutex
	got      []sentNotice
	deadline time.Time
}

func newNotifierEnv(t *testing.T) *notifierEnv {
	t.Helper()
	e := &notifierEnv{h: newHarness(t, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))} // Monday 10:00 in Bogotá
	h := e.h
	ctx := context.Background()
	if err := h.st.SetAdvisors(ctx, []store.Advisor{{Name: "Ana", Phone: "+573000000001"}, {Name: "Beto", Phone: "+573000000002"}}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"} {
		if _, err := h.sim.Send(ctx, ScriptLine{Kind: flow.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := h.st.Conversation(ctx, ChatChannel, h.sim.Account, h.sim.Phone)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead: %v", err)
	}
	e.deadline = v.Lead.DeadlineAt
	e.newNotifier(t)
	return e
}

// newNotifier builds the Notifier on the harness's current store (again
// after a restart).
func (e *notifierEnv) newNotifier(t *testing.T) {
	t.Helper()
	m, err := flow.New(e.h.cfg, scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	e.n, err = NewNotifier(e.h.st, func(_ context.Context, _ int64, phone, text string) error {
		e.mu.Lock()
		e.got = append(e.got, sentNotice{phone, text})
		e.mu.Unlock()
		return nil
	}, NotifierConfig{RemindBefore: 10 * time.Minute, Reassign: true, Text: m.Text, Loc: e.h.cfg.Calendar.Loc}, nil)
	if err != nil {
		t.Fatal(err)
	}
}

// once runs one sweep and returns how many notices it sent.
func (e *notifierEnv) once(t *testing.T) int {
	t.Helper()
	k, err := e.n.Once(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestNotifierAssignsRemindsAndReassigns(t *testing.T) {
	e := newNotifierEnv(t)
	h, deadline, once := e.h, e.deadline, func() int { return e.once(t) }

	if k := once(); k != 1 || e.got[0].phone != "+573000000001" || !strings.Contains(e.got[0].text, "Carlos Andrés") ||
		!strings.Contains(e.got[0].text, deadline.In(h.cfg.Calendar.Loc).Format("15:04")) {
		t.Fatalf("assignment: sent %d %+v", k, e.got)
	}
	if k := once(); k != 0 {
		t.Errorf("a second sweep sent %d", k)
	}
	h.clock.Set(deadline.Add(-5 * time.Minute))
	if k := once(); k != 1 || !strings.HasPrefix(e.got[1].text, "Recordatorio, Ana") {
		t.Errorf("reminder: sent %d %+v", k, e.got)
	}
	h.clock.Set(deadline.Add(time.Minute))
	if k := once(); k != 1 || e.got[2].phone != "+573000000002" || !strings.HasPrefix(e.got[2].text, "Beto, te reasignamos") {
		t.Errorf("reassignment: sent %d %+v", k, e.got)
	}
	if k := once(); k != 0 {
		t.Errorf("the missed lead was reassigned again: %d", k)
	}
}

func TestWhatsAppNotifyNeedsAConnection(t *testing.T) {
	e := newWAEnv(t)
	if err := e.wa.Notify(context.Background(), 1, "+573000000001", "hola"); err != nil {
		t.Fatal(err)
	}
	if len(e.client.sent) != 1 || e.client.sent[0].to.User != "573000000001" {
		t.Errorf("sent = %+v", e.client.sent)
	}
	e.client.mu.Lock()
	e.client.connected = false
	e.client.mu.Unlock()
	if err := e.wa.Notify(context.Background(), 1, "+573000000001", "hola"); err == nil {
		t.Error("a notification was sent while disconnected")
	}
}

// TestNotifierNeverSendsTwice: an advisor notification is claimed before
// it is sent. One whose send timed out (it may have reached the advisor) is
// unconfirmed, not retried; one a crash cut (claimed by a process that died)
// is unconfirmed by the next process's Run, not sent again.
func TestNotifierNeverSendsTwice(t *testing.T) {
	e := newNotifierEnv(t)
	ctx := context.Background()
	sends := 0
	n, err := NewNotifier(e.h.st, func(context.Context, int64, string, string) error {
		sends++
		return context.DeadlineExceeded // the server never answered
	}, NotifierConfig{Text: func(string, ...string) string { return "x" }}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if _, err := n.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if sends != 1 {
		t.Errorf("a notification whose send timed out was attempted %d times; want 1", sends)
	}
	// A reminder claimed by a process that then dies.
	e.h.clock.Set(e.deadline.Add(-5 * time.Minute))
	if _, _, err := e.h.st.SweepDeadlines(ctx, 10*time.Minute, true); err != nil {
		t.Fatal(err)
	}
	due, err := e.h.st.PendingNotifications(ctx, 10)
	if err != nil || len(due) != 1 {
		t.Fatalf("due %v, %v", due, err)
	}
	if ok, err := e.h.st.ClaimNotification(ctx, due[0].ID); err != nil || !ok {
		t.Fatal(ok, err)
	}
	runCtx, stop := context.WithTimeout(ctx, 200*time.Millisecond) // the next process, briefly
	defer stop()
	if err := e.n.Run(runCtx, time.Hour); err != nil {
		t.Fatal(err)
	}
	if k := e.once(t); k != 0 || len(e.got) != 0 {
		t.Errorf("after the crash %d notifications were sent (%v); want none twice", k, e.got)
	}
}
