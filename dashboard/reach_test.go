package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// soloLead is hotLead by a person without a number who declines the
// flow's optional callback-number question: a lead reachable only in
// WhatsApp.
var soloLead = append(slices.Clone(hotLead[:len(hotLead)-1]), "no")

// cloudLead completes hotLead on the Cloud API as the person who names
// (soloLead when who has no phone) and returns the lead's id.
func cloudLead(t *testing.T, env *testEnv, who store.CloudIdentity, idPrefix string) int64 {
	t.Helper()
	ctx := context.Background()
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(bot.Deps{Store: env.st, Flow: m, Now: func() time.Time { return env.now }})
	if err != nil {
		t.Fatal(err)
	}
	msgs := hotLead
	if who.Phone == "" {
		msgs = soloLead
	}
	var key string
	for i, text := range msgs {
		if key, err = env.st.IdentifyCloud(ctx, who); err != nil {
			t.Fatal(err)
		}
		env.now = env.now.Add(20 * time.Second)
		in := flow.Inbound{Channel: bot.CloudChannel, Account: "106540352242922", ID: fmt.Sprintf("%s.%d", idPrefix, i), From: key,
			Kind: flow.KindText, Text: text, At: env.now, ProviderTime: true}
		if _, err := b.Receive(ctx, in); err != nil {
			t.Fatal(err)
		}
		// The replies leave before the next message: a consent answer counts
		// only once its consent text was sent.
		if _, err := b.Flush(ctx, bot.CloudChannel, sentAs("wamid.out")); err != nil {
			t.Fatal(err)
		}
	}
	v, err := env.st.Conversation(ctx, bot.CloudChannel, "106540352242922", key)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead for %+v: %v", who, err)
	}
	return v.Lead.ID
}

// TestSoloWhatsAppLead: a lead whose person hid their number behind a
// WhatsApp username is marked "solo WhatsApp" on the queue and the lead page
// (a lead with a number is not), shows the username, and an advisor writes
// to the person from the lead page: the message is queued in the outbox,
// addressed to the BSUID, and on the timeline. Once the 24-hour window has
// closed the page says why it cannot write, and a late POST is refused.
func TestSoloWhatsAppLead(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	solo := cloudLead(t, env, store.CloudIdentity{BSUID: "CO.1502576394655843", Username: "@carlitos.mde"}, "u")
	phone := cloudLead(t, env, store.CloudIdentity{Phone: "+573001112233", BSUID: "CO.7000000000000001"}, "p")
	adv := env.client()
	adv.login("advisor1")
	queue := adv.do(http.MethodGet, "/", nil, nil).Body.String()
	rows := regexp.MustCompile(`(?s)<li class="lead[^"]*" data-lead="(\d+)"[^>]*>.*?</li>`).FindAllStringSubmatch(queue, -1)
	if len(rows) != 2 {
		t.Fatalf("%d queue rows; want 2", len(rows))
	}
	for _, r := range rows {
		marked := strings.Contains(r[0], `class="badge solo-wa"`) && strings.Contains(r[0], "solo WhatsApp")
		if want := r[1] == fmt.Sprint(solo); marked != want {
			t.Errorf("lead %s marked solo WhatsApp: %v; want %v", r[1], marked, want)
		}
	}
	page := adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", solo), nil, nil).Body.String()
	for _, want := range []string{"solo WhatsApp", "@carlitos.mde", fmt.Sprintf(`action="/leads/%d/message"`, solo), "Ventana de WhatsApp abierta hasta"} {
		if !strings.Contains(page, want) {
			t.Errorf("lead page lacks %q", want)
		}
	}
	other := html.UnescapeString(adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", phone), nil, nil).Body.String())
	if strings.Contains(other, "solo-wa") || !strings.Contains(other, `<span class="phone">+573001112233</span>`) {
		t.Error("the lead with a number is marked solo WhatsApp, or lacks its number to call")
	}
	rec := adv.post(fmt.Sprintf("/leads/%d/message", solo), url.Values{"message": {"Hola Carlos, soy Ana de la agencia. ¿Te puedo llamar hoy?"}})
	if rec.Code != http.StatusSeeOther {
		t.Fatalf("write = %d; want 303", rec.Code)
	}
	out, err := env.st.PendingOutbox(ctx, bot.CloudChannel, 100)
	if err != nil {
		t.Fatal(err)
	}
	var queued *store.Outgoing
	for i, o := range out {
		if o.Key == store.AdvisorMessageKey {
			queued = &out[i]
		}
	}
	if queued == nil || !strings.HasPrefix(queued.Body, "Hola Carlos") || queued.Recipient != "CO.1502576394655843" {
		t.Fatalf("advisor message in the outbox = %+v; want it addressed to the BSUID", queued)
	}
	page = adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", solo), nil, nil).Body.String()
	if !strings.Contains(page, "Mensaje del asesor") || !strings.Contains(page, "¿Te puedo llamar hoy?") {
		t.Error("the message is not on the lead's timeline and transcript")
	}
	// A day later the window has closed: the page explains, the form is gone, a POST is refused.
	env.now = env.now.Add(25 * time.Hour)
	adv.login("advisor1") // the session expired meanwhile
	page = adv.do(http.MethodGet, fmt.Sprintf("/leads/%d", solo), nil, nil).Body.String()
	if !strings.Contains(page, `id="reach-closed"`) || !strings.Contains(page, "plantillas aprobadas") || strings.Contains(page, `id="reach-send"`) {
		t.Error("after 24 hours the lead page does not explain the closed window, or still offers to write")
	}
	if rec := adv.post(fmt.Sprintf("/leads/%d/message", solo), url.Values{"message": {"¿Sigues ahí?"}}); rec.Code != http.StatusConflict {
		t.Errorf("write after the window = %d; want 409", rec.Code)
	}
	if rec := adv.post(fmt.Sprintf("/leads/%d/message", solo), url.Values{"message": {"  "}}); rec.Code != http.StatusBadRequest {
		t.Errorf("empty message = %d; want 400", rec.Code)
	}
}

// sentAs is a bot.Sender that accepts every reply under prefix-<id>.
type sentAs string

func (p sentAs) Send(_ context.Context, o store.Outgoing) (string, error) {
	return fmt.Sprintf("%s-%d", p, o.ID), nil
}
