package bot

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// TestNotificationsLeaveThroughTheLeadsNumber: with several linked
// devices, each device's notifier (NotifierConfig.Via) sends the advisors'
// notifications of its own number's leads, whoever the advisor is; a lead
// of no linked number (web chat, Cloud API) is notified through a linked
// number of its advisor's, else through the first linked number; every
// notification leaves exactly once, through exactly one device. Whole
// conversations, as prospects write them, on three numbers and the chat.
func TestNotificationsLeaveThroughTheLeadsNumber(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	ctx := context.Background()
	advisors := []store.Advisor{{Name: "Ana", Phone: "+573000000001"}, {Name: "Beto", Phone: "+573000000002"}, {Name: "Carla", Phone: "+573000000003"}}
	if err := h.st.SetAdvisors(ctx, advisors); err != nil {
		t.Fatal(err)
	}
	const n1, n2, n3 = "573001110000", "573002220000", "573003330000"
	ownAdvisor := map[string]string{"+573000000001": n1, "+573000000002": n2} // Carla takes no number's leads
	for _, n := range []store.Number{
		{Channel: WhatsAppChannel, Address: n1, Brand: "Norte Digital SAS", Advisors: []string{"Ana"}},
		{Channel: WhatsAppChannel, Address: n2, Brand: "Sur Creativo Ltda", Advisors: []string{"Beto"}},
		{Channel: WhatsAppChannel, Address: n3, Brand: "Oriente Medios SAS"}, // the whole rotation
	} {
		if err := h.st.DeclareNumber(ctx, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	prospects := []struct{ channel, account, phone, name string }{
		{WhatsAppChannel, n1, "+573101000001", "carlos andrés"},
		{WhatsAppChannel, n2, "+573101000002", "maría josé"},
		{WhatsAppChannel, n3, "+573101000003", "juan pablo"},
		{WhatsAppChannel, n3, "+573101000004", "luisa fernanda"},
		{WhatsAppChannel, n3, "+573101000005", "andrés felipe"},
		{ChatChannel, "simulator", "+573101000006", "diana marcela"},
		{ChatChannel, "simulator", "+573101000007", "jorge iván"},
		{ChatChannel, "simulator", "+573101000008", "paula andrea"},
	}
	leadAccount := map[string]string{} // lead name as notified → the number written to ("" for the chat)
	for i, p := range prospects {
		h.sim.Account, h.sim.Phone, h.sim.IDPrefix = p.account, p.phone, "p"+string(rune('a'+i))
		for _, text := range []string{"hola", "sí", "me llamo " + p.name, "medallo", "2 millones", "pa' ya", "facebook ads"} {
			if _, err := h.sim.send(ctx, ScriptLine{Kind: flow.KindText, Text: text}, p.channel); err != nil {
				t.Fatal(err)
			}
		}
		v, err := h.st.Conversation(ctx, p.channel, p.account, p.phone)
		if err != nil || v.Lead == nil {
			t.Fatalf("%s: no lead (%v)", p.name, err)
		}
		if p.channel == WhatsAppChannel {
			leadAccount[v.Lead.Lead.Name] = p.account
		} else {
			leadAccount[v.Lead.Lead.Name] = ""
		}
	}
	m, err := flow.New(h.cfg, scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	type sent struct{ via, advisor, text string }
	var (
		mu  sync.Mutex
		got []sent
	)
	for _, via := range []string{n2, n3, n1} { // the first number sweeps; the order of the devices does not matter
		n, err := NewNotifier(h.st, func(_ context.Context, _ int64, phone, text string) error {
			mu.Lock()
			got = append(got, sent{via, phone, text})
			mu.Unlock()
			return nil
		}, NotifierConfig{RemindBefore: time.Millisecond, Text: m.Text, Loc: h.cfg.Calendar.Loc, Via: via, NoSweep: via != n1}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := n.Once(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(got) != len(prospects) {
		t.Fatalf("%d notifications sent; want one per lead (%d): %+v", len(got), len(prospects), got)
	}
	rules := map[string]int{}
	seen := map[string]bool{}
	for _, s := range got {
		name := ""
		for n := range leadAccount {
			if strings.Contains(s.text, n) {
				name = n
			}
		}
		if name == "" || seen[name] {
			t.Fatalf("notification %+v: no lead, or a lead notified twice", s)
		}
		seen[name] = true
		want, rule := leadAccount[name], "the lead's number"
		switch {
		case want != "" && ownAdvisor[s.advisor] != "" && ownAdvisor[s.advisor] != want:
			rule = "the lead's number, not the advisor's"
		case want == "" && ownAdvisor[s.advisor] != "":
			want, rule = ownAdvisor[s.advisor], "the advisor's number"
		case want == "":
			want, rule = n1, "the first linked number"
		}
		rules[rule]++
		if s.via != want {
			t.Errorf("%s's notification to %s left through +%s; want +%s (%s)", name, s.advisor, s.via, want, rule)
		}
	}
	for _, rule := range []string{"the lead's number, not the advisor's", "the advisor's number", "the first linked number"} {
		if rules[rule] == 0 {
			t.Errorf("no notification exercised %q (assignments: %+v)", rule, got)
		}
	}
	t.Logf("routes: %v", rules)
}

// TestTwoDevicesNotifyThroughTheLeadsNumber: two linked devices in one
// process, as cis serve runs them (each with its own notifier sending
// through its own WhatsApp.Notify): a prospect completes a lead on each
// number, and each advisor's "new lead" message leaves through the device
// of the number that lead wrote to, never through the other one. Whole
// conversations through whatsmeow's events, on SQLite and PostgreSQL.
func TestTwoDevicesNotifyThroughTheLeadsNumber(t *testing.T) {
	bothStores(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		advisors := map[string]bool{"+573000000001": true, "+573000000002": true}
		if err := h.st.SetAdvisors(ctx, []store.Advisor{{Name: "Ana", Phone: "+573000000001"}, {Name: "Beto", Phone: "+573000000002"}}); err != nil {
			t.Fatal(err)
		}
		ds := twoDevices(t, h)
		names := []string{"Carlos Pérez", "María Gómez"}
		for i, d := range ds {
			for j, text := range []string{"hola", "sí", names[i], "Cali", "2 millones", "pa' ya", "una página web"} {
				say(t, h, ds, d, fmt.Sprintf("+57300555000%d", i+1), fmt.Sprintf("WN%d%02d", i, j), text)
			}
		}
		m, err := flow.New(h.cfg, scoring.Rules{})
		if err != nil {
			t.Fatal(err)
		}
		for i, d := range ds {
			n, err := NewNotifier(h.st, d.wa.Notify, NotifierConfig{RemindBefore: time.Millisecond, Text: m.Text, Loc: h.cfg.Calendar.Loc,
				Via: d.number, NoSweep: i > 0}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if k, err := n.Once(ctx); err != nil || k != 1 {
				t.Errorf("device +%s's notifier sent %d (%v); want its one lead's notification", d.number, k, err)
			}
		}
		for i, d := range ds {
			var notes []string
			for phone := range advisors {
				notes = append(notes, d.sentTo(phone)...)
			}
			if len(notes) != 1 || !strings.Contains(notes[0], names[i]) || strings.Contains(notes[0], names[1-i]) {
				t.Errorf("advisors' messages through +%s: %q; want the one about %s, its own lead", d.number, notes, names[i])
			}
		}
	})
}
