package bot

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// tapPayload is the webhook delivery of a tap on a reply button or a list
// row, in Meta's format (testdata/cloudapi/interactive*.json).
func tapPayload(from, id string, o FakeOption, list bool, at time.Time) []byte {
	reply := fmt.Sprintf(`"type":"button_reply","button_reply":{"id":%q,"title":%q}`, o.ID, o.Title)
	if list {
		reply = fmt.Sprintf(`"type":"list_reply","list_reply":{"id":%q,"title":%q,"description":%q}`, o.ID, o.Title, o.Description)
	}
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},`+
		`"contacts":[{"profile":{"name":"x"},"wa_id":%q}],"messages":[{"context":{"from":"15550783881","id":"wamid.out-1"},`+
		`"from":%q,"id":%q,"timestamp":"%d","type":"interactive","interactive":{%s}}]}}]}]}`,
		testAccount, from, from, id, at.Unix(), reply)
}

// lastTo returns the newest message the fake Graph API accepted for to.
func lastTo(t *testing.T, g *FakeGraph, to string) FakeSent {
	t.Helper()
	sent := g.Sent()
	for i := len(sent) - 1; i >= 0; i-- {
		if sent[i].To == to {
			return sent[i]
		}
	}
	t.Fatalf("nothing sent to %s", to)
	return FakeSent{}
}

// pick returns the option whose title starts with prefix.
func pick(t *testing.T, s FakeSent, prefix string) FakeOption {
	t.Helper()
	for _, o := range s.Options {
		if strings.HasPrefix(o.Title, prefix) {
			return o
		}
	}
	t.Fatalf("no option %q among %+v", prefix, s.Options)
	return FakeOption{}
}

// TestCloudAPIConversationByTaps completes a conversation over the webhook
// in which every question that offers choices is answered by a tap on the
// interactive message the fake Graph API received: consent on a reply
// button, urgency and service on list rows.
func TestCloudAPIConversationByTaps(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	e := newCloudEnvOn(t, h, nil)
	const phone = "573001119000"
	n := 0
	send := func(body func(id string, at time.Time) []byte) {
		t.Helper()
		n++
		e.h.clock.Add(15 * time.Second)
		if got := e.postSigned(t, body(fmt.Sprintf("wamid.tap-%d", n), e.h.clock.Now())); got != 200 {
			t.Fatalf("message %d: status %d", n, got)
		}
		e.flush(t)
	}
	text := func(s string) { send(func(id string, at time.Time) []byte { return testPayload(phone, id, s, at) }) }
	tap := func(o FakeOption, list bool) {
		send(func(id string, at time.Time) []byte { return tapPayload(phone, id, o, list, at) })
	}

	text("Hola, quiero información")
	consent := lastTo(t, e.graph, phone)
	if consent.Type != "interactive" || consent.Interactive != "button" || len(consent.Options) != 2 {
		t.Fatalf("consent sent as %+v; want two reply buttons", consent)
	}
	if !strings.Contains(consent.Body, "Ley 1581") {
		t.Errorf("consent buttons' body %q lacks the consent text", consent.Body)
	}
	tap(pick(t, consent, "Sí"), false)
	text("Carlos Pérez")
	text("Medellín")
	text("3 millones")

	urgency := lastTo(t, e.graph, phone)
	if urgency.Interactive != "list" || len(urgency.Options) != 4 || urgency.ListButton == "" {
		t.Fatalf("urgency sent as %+v; want a list of four rows", urgency)
	}
	if regexp.MustCompile(`(?m)^\s*1\.`).MatchString(urgency.Body) {
		t.Errorf("urgency list body repeats the numbered menu: %q", urgency.Body)
	}
	tap(urgency.Options[0], true) // the soonest

	service := lastTo(t, e.graph, phone)
	if service.Interactive != "list" || len(service.Options) < 2 {
		t.Fatalf("service sent as %+v; want a list", service)
	}
	for _, o := range service.Options {
		if utf16Len(o.Title) > maxRowTitle || utf16Len(o.Description) > maxRowDesc {
			t.Errorf("row %+v outside Meta's limits", o)
		}
	}
	tap(pick(t, service, "Diseño web"), true)

	v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
	if err != nil {
		t.Fatal(err)
	}
	if v.Lead == nil {
		t.Fatalf("no lead; conversation at %s", v.State.Stage)
	}
	if l := v.Lead.Lead; l.Urgency != flow.Immediate || l.Service != "web" || l.Name != "Carlos Pérez" {
		t.Errorf("lead = %+v; want Carlos Pérez, immediate, web", l)
	}
	if last := lastTo(t, e.graph, phone); last.Type != "text" || !strings.Contains(last.Body, "Carlos") {
		t.Errorf("closing message %+v; want the promise to Carlos as text", last)
	}
	a := e.audit(t)
	if accepted, dups := e.graph.Count(); dups != 0 || a.Outbox["sent"] != accepted || a.Outbox["failed"] != 0 || a.Outbox["pending"] != 0 {
		t.Errorf("outbox %v, graph accepted %d (dups %d); want every reply sent once", a.Outbox, accepted, dups)
	}
}

// TestCloudAPIRefusedMenuGoesAsText: when the Graph API refuses an
// interactive message's content, the same reply goes as its numbered text.
func TestCloudAPIRefusedMenuGoesAsText(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	e := newCloudEnvOn(t, h, nil)
	e.graph.RefuseInteractive(true)
	if got := e.postSigned(t, testPayload("573001119001", "wamid.r1", "hola", fixtureStart)); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	last := lastTo(t, e.graph, "573001119001")
	if last.Type != "text" || !strings.Contains(last.Body, "Responde *SÍ* o *NO*") {
		t.Errorf("consent after a refused menu = %+v; want its text", last)
	}
	if a := e.audit(t); a.Outbox["sent"] != 2 || a.Outbox["failed"] != 0 {
		t.Errorf("outbox = %v; want greeting and consent sent", a.Outbox)
	}
}

// TestCloudAPIReactionAndImageBatch: one delivery with a 👍 reaction, an
// image and a sticker from a person at the name question gets one reply,
// the polite request together with the question; the redelivery none; and
// all three are in the log.
func TestCloudAPIReactionAndImageBatch(t *testing.T) {
	e := newCloudEnv(t, nil)
	const phone = "573001110011"
	batch := fixture(t, "reaction_image_batch.json")
	at := time.Unix(1772463700, 0) // before the batch's own timestamps
	for i, s := range []string{"hola", "sí"} {
		e.say(t, phone, fmt.Sprintf("wamid.pre-%d", i), s, at.Add(time.Duration(i)*time.Second))
	}
	before, _ := e.graph.Count()
	for range 2 { // the delivery and Meta's redelivery of it
		e.h.clock.Add(time.Minute)
		if got := e.postSigned(t, batch); got != 200 {
			t.Fatal(got)
		}
		e.flush(t)
	}
	after, _ := e.graph.Count()
	if after-before != 1 {
		t.Fatalf("%d replies to the batch; want exactly one", after-before)
	}
	reply := lastTo(t, e.graph, phone)
	if !strings.Contains(reply.Body, "solo puedo leer mensajes de texto") || !strings.Contains(reply.Body, "¿Cómo te llamas?") {
		t.Errorf("reply %q; want the polite request with the name question", reply.Body)
	}
	lines, err := e.h.st.Transcript(context.Background(), "+"+phone)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, l := range lines {
		if l.Inbound {
			kinds = append(kinds, l.Kind+":"+l.Body)
		}
	}
	if want := "text:hola text:sí reaction:👍 image: sticker:"; strings.Join(kinds, " ") != want {
		t.Errorf("log = %q; want %q", strings.Join(kinds, " "), want)
	}
	checkBot(t, e.h, store.Expect{Channel: CloudChannel})
}

// TestCloudAPIReactionFirst: a person whose first message is a reaction
// (to a message an advisor sent) gets no reply; their next text is greeted.
func TestCloudAPIReactionFirst(t *testing.T) {
	e := newCloudEnv(t, nil)
	if got := e.postSigned(t, fixture(t, "reaction.json")); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	if n, _ := e.graph.Count(); n != 0 {
		t.Fatalf("%d replies to a reaction; want none", n)
	}
	e.h.clock.Add(time.Minute)
	if got := e.postSigned(t, testPayload("573001110009", "wamid.after", "hola", e.h.clock.Now())); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	if sent := e.graph.Sent(); len(sent) == 0 || !strings.Contains(sent[0].Body, "Hola") {
		t.Errorf("after the reaction, hola got %+v; want the greeting", sent)
	}
}

// TestLinkedDeviceSendsMenusAsText: the linked device sends a reply with a
// menu as its numbered text (buttons are unreliable on linked devices).
func TestLinkedDeviceSendsMenusAsText(t *testing.T) {
	e := &waEnv{h: newHarness(t, "es", fixtureStart), client: &fakeClient{connected: true}}
	e.attach(t)
	if !e.wa.HandleEvent(waText("M1", "hola", fixtureStart)) {
		t.Fatal("message refused")
	}
	e.h.clock.Add(5 * time.Second)
	sent := e.drain(t)
	if len(sent) != 2 || !strings.Contains(sent[1], "Responde *SÍ* o *NO*") {
		t.Errorf("sent %q; want the greeting and the consent as text", sent)
	}
	pending, err := e.h.st.Transcript(context.Background(), "+"+pnJID.User)
	if err != nil || len(pending) == 0 || pending[len(pending)-1].Menu == nil {
		t.Errorf("the consent's menu was not kept with it (%v): the flow set none", err)
	}
}
