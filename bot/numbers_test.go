package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// bothStores runs fn on a harness whose store is a SQLite file, then one
// on PostgreSQL (a schema and role of its own in the CIS_TEST_PG cluster,
// pgSchema; skipped without it unless CIS_TEST_PG_REQUIRED is set).
func bothStores(t *testing.T, fn func(t *testing.T, h *harness)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, newHarness(t, "es", fixtureStart)) })
	t.Run("postgres", func(t *testing.T) {
		base := store.TestCluster(t)
		url, raw := pgSchema(t, base)
		if err := raw.Close(); err != nil { // the harness opens its own
			t.Fatal(err)
		}
		h := newHarness(t, "es", fixtureStart) // its SQLite file is left unused
		if err := h.st.Close(); err != nil {
			t.Fatal(err)
		}
		h.path = url
		h.open()
		t.Cleanup(func() { h.st.Close() })
		fn(t, h)
	})
}

// payloadTo is testPayload sent to the number phoneNumberID.
func payloadTo(phoneNumberID, from, id, body string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},`+
		`"contacts":[{"profile":{"name":"x"},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`,
		phoneNumberID, from, from, id, at.Unix(), body)
}

// sayTo is cloudEnv.say to the number phoneNumberID, a minute after the last.
func (e *cloudEnv) sayTo(t testing.TB, phoneNumberID, phone, id, text string) {
	t.Helper()
	e.h.clock.Add(time.Minute)
	if got := e.postSigned(t, payloadTo(phoneNumberID, strings.TrimPrefix(phone, "+"), id, text, e.h.clock.Now())); got != 200 {
		t.Fatalf("%s: status %d", id, got)
	}
	e.flush(t)
}

// sentOn returns the texts the fake Graph API got for phone from the
// number phoneNumberID.
func (e *cloudEnv) sentOn(phoneNumberID, phone string) []string {
	var out []string
	for _, s := range e.graph.Sent() {
		if s.Account == phoneNumberID && s.To == strings.TrimPrefix(phone, "+") {
			out = append(out, s.Body)
		}
	}
	return out
}

const videoServices = `[{"key":"video","label":{"es":"Video corporativo","en":"Corporate video"},"synonyms":["video","videos"]},` +
	`{"key":"foto","label":{"es":"Fotografía de producto","en":"Product photography"},"synonyms":["fotos","fotografia"]}]`

// TestTwoNumbersOneInstallation (issue 16, must-show): two Cloud API
// numbers of two brands in one installation. A whole conversation on each
// (and the same person on both) is answered from the number written to,
// with that number's brand as the data controller in the greeting and the
// consent text, and becomes a lead of that number, with that number's own
// services. On SQLite and on PostgreSQL.
func TestTwoNumbersOneInstallation(t *testing.T) {
	bothStores(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		e := newCloudEnvOn(t, h, nil)
		numbers := []store.Number{
			{Channel: CloudChannel, Address: "111000111", Brand: "Norte Digital SAS", Contact: "datos@norte.example"},
			{Channel: CloudChannel, Address: "222000222", Brand: "Sur Creativo Ltda", Contact: "privacidad@sur.example", Services: videoServices},
		}
		for _, n := range numbers {
			if err := h.st.DeclareNumber(ctx, n, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
		chats := []struct {
			number, phone, last, service string
			brand, other                 string
		}{
			{"111000111", "+573001110001", "una página web", "web", "Norte Digital SAS", "Sur Creativo Ltda"},
			{"222000222", "+573002220002", "un video para mi empresa", "video", "Sur Creativo Ltda", "Norte Digital SAS"},
			{"222000222", "+573001110001", "fotos de producto", "foto", "Sur Creativo Ltda", "Norte Digital SAS"}, // the same person on the other number
		}
		for i, c := range chats {
			for j, text := range []string{"hola", "sí", "Carlos Pérez", "Cali", "2 millones", "pa' ya", c.last} {
				e.sayTo(t, c.number, c.phone, fmt.Sprintf("wamid.%d.%d", i, j), text)
			}
		}
		for _, c := range chats {
			got := e.sentOn(c.number, c.phone)
			all := strings.Join(got, "\n")
			if len(got) < 7 || !strings.Contains(got[0]+got[1], "*"+c.brand+"*") {
				t.Errorf("%s on %s: replies %q; want the greeting and consent naming %q", c.phone, c.number, got, c.brand)
			}
			if strings.Contains(all, c.other) || strings.Contains(all, "Agencia Demo") {
				t.Errorf("%s on %s: a reply names another controller: %q", c.phone, c.number, all)
			}
			v, err := h.st.Conversation(ctx, CloudChannel, c.number, c.phone)
			if err != nil || v.State.Status != flow.Completed || v.State.Answers.Service != c.service {
				t.Errorf("%s on %s: conversation %+v, %v; want completed with service %s", c.phone, c.number, v.State, err, c.service)
			}
		}
		// Every reply left through the number its conversation was written to.
		for _, s := range e.graph.Sent() {
			if s.Account != "111000111" && s.Account != "222000222" {
				t.Errorf("reply sent from %q", s.Account)
			}
		}
		if n := len(e.sentOn("111000111", "+573002220002")); n != 0 {
			t.Errorf("%d replies to the second number's prospect left through the first", n)
		}
		declared, err := h.st.Numbers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range declared {
			rows, err := h.st.Queue(ctx, store.LeadFilter{Account: n.ID})
			if want := []int{1, 2}[i]; err != nil || len(rows) != want {
				t.Errorf("queue of %s: %d leads, %v; want %d", n.Key(), len(rows), err, want)
			}
		}
	})
}

// TestUnknownPhoneNumberIDHeld: once numbers are declared, a delivery for a
// phone_number_id none declares is acknowledged (Meta would retry it for
// days) but not answered under no brand: it is held whole and listed for
// the operator. Declared later, its number answers the held message as its
// brand, once, even when Meta delivers it again and the replay runs twice.
func TestUnknownPhoneNumberIDHeld(t *testing.T) {
	bothStores(t, func(t *testing.T, h *harness) {
		ctx := context.Background()
		e := newCloudEnvOn(t, h, nil)
		if err := h.st.DeclareNumber(ctx, store.Number{Channel: CloudChannel, Address: "111000111", Brand: "Norte Digital SAS"}, 0, ""); err != nil {
			t.Fatal(err)
		}
		e.sayTo(t, "333000333", "+573003330003", "wamid.unknown.1", "hola, info de precios")
		if sent := e.graph.Sent(); len(sent) != 0 {
			t.Fatalf("a message to an undeclared number was answered: %+v", sent)
		}
		u, err := h.st.UnknownNumbers(ctx)
		if err != nil || len(u) != 1 || u[0].Account != "333000333" || u[0].N != 1 {
			t.Fatalf("unknown numbers = %+v, %v; want the held delivery listed", u, err)
		}
		if n, err := e.cloud.ReplayHeld(ctx); err != nil || n != 0 {
			t.Fatalf("replay before the number is declared: %d, %v; want nothing", n, err)
		}
		if err := h.st.DeclareNumber(ctx, store.Number{Channel: CloudChannel, Address: "333000333", Brand: "Tercera Marca SAS"}, 0, ""); err != nil {
			t.Fatal(err)
		}
		h.clock.Add(brandTTL) // the bot rereads the numbers
		for range 2 {
			if _, err := e.cloud.ReplayHeld(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.flush(t)
		got := e.sentOn("333000333", "+573003330003")
		if len(got) != 2 || !strings.Contains(got[1], "*Tercera Marca SAS*") {
			t.Fatalf("after declaring the number: replies %q; want the greeting and consent of Tercera Marca SAS, once", got)
		}
		if u, err := h.st.UnknownNumbers(ctx); err != nil || len(u) != 0 {
			t.Errorf("unknown numbers after the replay = %+v, %v", u, err)
		}
		// Meta delivers the held message again: nothing more is said.
		if st := e.postSigned(t, payloadTo("333000333", "573003330003", "wamid.unknown.1", "hola, info de precios", h.clock.Now())); st != 200 {
			t.Fatalf("redelivery: status %d", st)
		}
		if n := e.flush(t); n != 0 {
			t.Errorf("a redelivered held message was answered again (%d replies)", n)
		}
		// Declared (on another server) less than the bot's reread of the
		// numbers ago: the message is held, then the replay answers it.
		if err := h.st.DeclareNumber(ctx, store.Number{Channel: CloudChannel, Address: "444000444", Brand: "Cuarta SAS"}, 0, ""); err != nil {
			t.Fatal(err)
		}
		if st := e.postSigned(t, payloadTo("444000444", "573004440004", "wamid.late.1", "hola", h.clock.Now())); st != 200 {
			t.Fatalf("status %d", st)
		}
		if u, err := h.st.UnknownNumbers(ctx); err != nil || len(u) != 1 || u[0].Account != "444000444" {
			t.Fatalf("unknown numbers = %+v, %v; want the message held until the numbers are reread", u, err)
		}
		if _, err := e.cloud.ReplayHeld(ctx); err != nil {
			t.Fatal(err)
		}
		e.flush(t)
		if got := e.sentOn("444000444", "+573004440004"); len(got) != 2 || !strings.Contains(got[1], "*Cuarta SAS*") {
			t.Errorf("a number declared seconds ago: replies %q; want its greeting and consent, once", got)
		}
	})
}

// TestSingleNumberNeedsNoDeclaration: with no number declared (the
// README's default) any phone_number_id is answered as the installation.
func TestSingleNumberNeedsNoDeclaration(t *testing.T) {
	e := newCloudEnv(t, nil)
	e.sayTo(t, "444000444", "+573004440004", "wamid.single.1", "hola")
	got := e.sentOn("444000444", "+573004440004")
	if len(got) != 2 || !strings.Contains(got[1], "*Agencia Demo*") {
		t.Fatalf("replies %q; want the installation's greeting and consent", got)
	}
}

// TestLinkedDeviceNumberBrand: a declared linked-device number answers as
// its brand too (the device's own number is the account a message reaches),
// and its replies are queued for that number.
func TestLinkedDeviceNumberBrand(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	ctx := context.Background()
	if err := h.st.DeclareNumber(ctx, store.Number{Channel: WhatsAppChannel, Address: "573009998877", Brand: "Oriente Medios SAS"}, 0, ""); err != nil {
		t.Fatal(err)
	}
	h.sim.Account = "573009998877"
	x, err := h.sim.send(ctx, ScriptLine{Text: "hola"}, WhatsAppChannel)
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Replies) < 2 || x.Replies[0].Account != "573009998877" || !strings.Contains(x.Replies[1].Body, "*Oriente Medios SAS*") {
		t.Fatalf("replies = %+v; want the consent of Oriente Medios SAS, from its number", x.Replies)
	}
}
