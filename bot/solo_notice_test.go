package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// acceptAll is a Sender that accepts every reply.
type acceptAll struct{ n int }

func (a *acceptAll) Send(context.Context, store.Outgoing) (string, error) {
	a.n++
	return fmt.Sprintf("wamid.out.%d", a.n), nil
}

// TestNotificationSaysSoloWhatsApp: on the Cloud API, a person known only
// by a WhatsApp username completes a lead and declines to leave a number;
// another person writes with their number. The advisor's assignment
// notification for the first says "solo WhatsApp" (in the agency's
// language, Spanish or English), the second's does not, and neither
// carries a number.
func TestNotificationSaysSoloWhatsApp(t *testing.T) {
	for _, tt := range []struct{ lang, solo string }{
		{"es", "Solo WhatsApp: escribió sin mostrar su número"},
		{"en", "WhatsApp only: they wrote without showing their number"},
	} {
		t.Run(tt.lang, func(t *testing.T) {
			h := newHarness(t, tt.lang, time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)) // Monday 10:00 in Bogotá
			ctx := context.Background()
			if err := h.st.SetAdvisors(ctx, []store.Advisor{{Name: "Ana", Phone: "+573000000001"}}); err != nil {
				t.Fatal(err)
			}
			lead := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
			people := []struct {
				who   store.CloudIdentity
				texts []string
			}{
				{store.CloudIdentity{BSUID: "CO.1502576394655843", Username: "@carlitos.mde"}, append(lead, "no")}, // declines to leave a number
				{store.CloudIdentity{Phone: "+573001112233", BSUID: "CO.7000000000000001"}, lead},
			}
			out := &acceptAll{}
			for p, person := range people {
				var key string
				for i, text := range person.texts {
					var err error
					if key, err = h.st.IdentifyCloud(ctx, person.who); err != nil {
						t.Fatal(err)
					}
					h.clock.Add(20 * time.Second)
					in := flow.Inbound{Channel: CloudChannel, Account: testAccount, ID: fmt.Sprintf("wamid.%d.%d", p, i), From: key,
						Kind: flow.KindText, Text: text, At: h.clock.Now(), ProviderTime: true}
					if _, err := h.bot.Receive(ctx, in); err != nil {
						t.Fatal(err)
					}
					if _, err := h.bot.Flush(ctx, CloudChannel, out); err != nil {
						t.Fatal(err)
					}
				}
				if v, err := h.st.Conversation(ctx, CloudChannel, testAccount, key); err != nil || v.Lead == nil {
					t.Fatalf("person %d: no lead (%v)", p, err)
				}
			}
			m, err := flow.New(h.cfg, scoring.Rules{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			n, err := NewNotifier(h.st, func(_ context.Context, _ int64, _, text string) error {
				got = append(got, text)
				return nil
			}, NotifierConfig{Text: m.Text, Loc: h.cfg.Calendar.Loc}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if k, err := n.Once(ctx); err != nil || k != 2 || len(got) != 2 {
				t.Fatalf("sent %d %q, %v; want the two assignments", k, got, err)
			}
			if !strings.Contains(got[0], tt.solo) {
				t.Errorf("the username-only lead's notification %q lacks %q", got[0], tt.solo)
			}
			if strings.Contains(got[1], tt.solo) {
				t.Errorf("the lead with a number is marked solo WhatsApp: %q", got[1])
			}
			for _, text := range got {
				if strings.Contains(text, "CO.") || strings.Contains(text, "3001112233") || strings.Contains(text, "carlitos") {
					t.Errorf("a notification carries an identifier: %q", text)
				}
			}
		})
	}
}
