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

func TestNotifierAssignsRemindsAndReassigns(t *testing.T) {
	h := newHarness(t, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)) // Monday 10:00 in Bogotá
	ctx := context.Background()
	if err := h.st.SetAdvisors(ctx, []store.Advisor{{Name: "Ana", Phone: "+573000000001"}, {Name: "Beto", Phone: "+573000000002"}}); err != nil {
		t.Fatal(err)
	}
	m, err := flow.New(h.cfg, scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got []sentNotice
	n, err := NewNotifier(h.st, func(_ context.Context, phone, text string) error {
		mu.Lock()
		got = append(got, sentNotice{phone, text})
		mu.Unlock()
		return nil
	}, NotifierConfig{RemindBefore: 10 * time.Minute, Reassign: true, Text: m.Text, Loc: h.cfg.Calendar.Loc}, nil)
	if err != nil {
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
	deadline := v.Lead.DeadlineAt

	once := func() int {
		t.Helper()
		k, err := n.Once(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	if k := once(); k != 1 || got[0].phone != "+573000000001" || !strings.Contains(got[0].text, "Carlos Andrés") ||
		!strings.Contains(got[0].text, deadline.In(h.cfg.Calendar.Loc).Format("15:04")) {
		t.Fatalf("assignment: sent %d %+v", k, got)
	}
	if k := once(); k != 0 {
		t.Errorf("a second sweep sent %d", k)
	}
	h.clock.Set(deadline.Add(-5 * time.Minute))
	if k := once(); k != 1 || !strings.HasPrefix(got[1].text, "Recordatorio, Ana") {
		t.Errorf("reminder: sent %d %+v", k, got)
	}
	h.clock.Set(deadline.Add(time.Minute))
	if k := once(); k != 1 || got[2].phone != "+573000000002" || !strings.HasPrefix(got[2].text, "Beto, te reasignamos") {
		t.Errorf("reassignment: sent %d %+v", k, got)
	}
	if k := once(); k != 0 {
		t.Errorf("the missed lead was reassigned again: %d", k)
	}
}

func TestWhatsAppNotifyNeedsAConnection(t *testing.T) {
	e := newWAEnv(t)
	if err := e.wa.Notify(context.Background(), "+573000000001", "hola"); err != nil {
		t.Fatal(err)
	}
	if len(e.client.sent) != 1 || e.client.sent[0].to.User != "573000000001" {
		t.Errorf("sent = %+v", e.client.sent)
	}
	e.client.mu.Lock()
	e.client.connected = false
	e.client.mu.Unlock()
	if err := e.wa.Notify(context.Background(), "+573000000001", "hola"); err == nil {
		t.Error("a notification was sent while disconnected")
	}
}
