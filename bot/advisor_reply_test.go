package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// TestAdvisorReplyStartsNoFlow: on the linked device, a prospect completes
// a lead and the advisor is notified from the agency's number; the advisor
// answers the notification from their own phone ("ok, ya lo llamo 👍", then
// "hola?"). The bot writes nothing to the advisor (no greeting, no consent
// question), stores no conversation or contact for the advisor's number,
// and the prospect's lead is untouched. A number that is not an advisor's
// still gets the greeting, and once the account is deactivated its number
// is anyone's again.
func TestAdvisorReplyStartsNoFlow(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	const ana = "573000000001"
	if err := e.h.st.SetAdvisors(ctx, []store.Advisor{{Name: "ana", Phone: "+" + ana}}); err != nil {
		t.Fatal(err)
	}
	for i, text := range []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"} {
		e.h.clock.Add(time.Minute)
		e.wa.HandleEvent(waText(fmt.Sprint("L", i), text, e.h.clock.Now()))
		e.h.clock.Add(3 * time.Second)
		e.drain(t)
	}
	m, err := flow.New(e.h.cfg, scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNotifier(e.h.st, e.wa.Notify, NotifierConfig{Text: m.Text, Loc: e.h.cfg.Calendar.Loc}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if k, err := n.Once(ctx); err != nil || k != 1 {
		t.Fatalf("notifications sent %d, %v; want the assignment", k, err)
	}
	anaJID := types.NewJID(ana, types.DefaultUserServer)
	toAna := func() []string {
		e.client.mu.Lock()
		defer e.client.mu.Unlock()
		var out []string
		for _, s := range e.client.sent {
			if s.to.User == ana {
				out = append(out, s.text)
			}
		}
		return out
	}
	if got := toAna(); len(got) != 1 || !strings.Contains(got[0], "Carlos") {
		t.Fatalf("to the advisor: %q; want the notification", got)
	}
	for i, text := range []string{"ok, ya lo llamo 👍", "hola?"} {
		e.h.clock.Add(time.Minute)
		e.wa.HandleEvent(with(waText(fmt.Sprint("A", i), text, e.h.clock.Now()), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = anaJID, anaJID }))
		e.h.clock.Add(5 * time.Second)
		e.drain(t)
	}
	if got := toAna(); len(got) != 1 {
		t.Errorf("the bot wrote to the advisor after the notification: %q", got[1:])
	}
	if _, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, "+"+ana); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the advisor's number has a conversation: %v", err)
	}
	rows, err := e.h.st.Queue(ctx, store.LeadFilter{Status: "all"})
	if err != nil || len(rows) != 1 || rows[0].Status != "open" || rows[0].Name != "Carlos Andrés" {
		t.Errorf("queue %+v, %v; want Carlos's open lead alone", rows, err)
	}

	// Another number is a prospect; and so is Ana's once her account is deactivated.
	other := types.NewJID("573007778888", types.DefaultUserServer)
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(with(waText("S1", "hola", e.h.clock.Now()), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = other, other }))
	e.h.clock.Add(5 * time.Second)
	e.drain(t)
	if _, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, "+573007778888"); err != nil {
		t.Errorf("a prospect's number got no conversation: %v", err)
	}
	u, err := e.h.st.UserByName(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.h.st.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	e.h.clock.Add(time.Minute)
	e.wa.HandleEvent(with(waText("A9", "hola, quiero información", e.h.clock.Now()), func(ev *events.Message) { ev.Info.Chat, ev.Info.Sender = anaJID, anaJID }))
	e.h.clock.Add(5 * time.Second)
	e.drain(t)
	if got := toAna(); len(got) < 2 || !strings.Contains(got[len(got)-1], "autorizas") {
		t.Errorf("a deactivated advisor's number got no consent question (to her: %q)", got)
	}
}
