package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The username fixtures (testdata/cloudapi/username_*.json) are one person,
// Carlos, who writes to the agency's Cloud API number with his number hidden
// behind the username @carlitos.mde: Meta names him by his business-scoped
// user id alone.
const (
	carlosBSUID  = "CO.1502576394655843"
	carlosParent = "CO.ENT.11815799212886844830"
	carlosNewID  = "CO.8877665544332211" // after he changed his number (user_id_update)
	carlosUser   = "@carlitos.mde"
	carlosPhone  = "+573005551234" // the number he shares through the contact request
)

// answers maps the question a conversation waits on to the fixture that
// answers it as a username user would: buttons and lists where the bot
// offers them, a shared location for the city, and a photo slipped in
// before the urgency (it gets the polite request to write, then the
// question again). A question this table does not know (the optional
// callback-number question) is answered by sharing the number through the
// contact request.
var answers = map[flow.Stage][]string{
	flow.StageGreeting: {"username_text.json"},
	flow.StageConsent:  {"username_button_reply.json"},
	flow.StageName:     {"username_name.json"},
	flow.StageCity:     {"username_location.json"},
	flow.StageBudget:   {"username_budget.json"},
	flow.StageUrgency:  {"username_image.json", "username_list_urgency.json"},
	flow.StageService:  {"username_list_service.json"},
}

// postFixture posts a fixture at the moment it was written (20 seconds after
// its own timestamp) and returns the HTTP status.
func (e *cloudEnv) postFixture(t *testing.T, name string) int {
	t.Helper()
	body := fixture(t, name)
	if d, err := parseDelivery(body); err == nil && len(d.messages) > 0 {
		if at := d.messages[0].At.Add(20 * time.Second); at.After(e.h.clock.Now()) {
			e.h.clock.Set(at)
		}
	} else {
		e.h.clock.Add(5 * time.Second)
	}
	return e.postSigned(t, body)
}

// stage is where the conversation of the person with bsuid stands.
func (e *cloudEnv) stage(t *testing.T, bsuid string) (flow.Stage, store.Contact) {
	t.Helper()
	ctx := context.Background()
	c, err := e.h.st.ContactByBSUID(ctx, bsuid)
	if err != nil {
		return flow.StageGreeting, c // not written yet
	}
	v, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, c.Key)
	if err != nil {
		t.Fatalf("conversation of %s: %v", c.Key, err)
	}
	return v.State.Stage, c
}

// TestUsernameConversationCompletes is issue 22's whole conversation on
// Meta-format payloads: a person known only by a BSUID answers every
// question (text, button and list replies, a location, a photo), every reply
// reaches him addressed to his BSUID, the statuses of those replies (with
// recipient_user_id and no phone) are matched, the number he shares later
// through the contact request merges into the same person, a change of BSUID
// moves that person, and nothing is dead-lettered or fails.
func TestUsernameConversationCompletes(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	posted := map[string]bool{}
	post := func(name string) {
		t.Helper()
		if got := e.postFixture(t, name); got != http.StatusOK {
			t.Fatalf("%s: status %d; want 200", name, got)
		}
		posted[name] = true
		e.flush(t)
	}
	unknown := 0
	for range 30 {
		st, _ := e.stage(t, carlosBSUID)
		if st == flow.StageDone {
			break
		}
		next := ""
		for _, f := range answers[st] {
			if !posted[f] {
				next = f
				break
			}
		}
		if next == "" {
			if unknown++; unknown > 1 {
				t.Fatalf("the conversation is stuck at %q", st)
			}
			next = "username_contacts_reply.json"
		}
		post(next)
		if next == "username_text.json" {
			for _, s := range []string{"username_status_sent.json", "username_status_delivered.json", "username_status_read.json"} {
				post(s)
			}
		}
	}
	st, c := e.stage(t, carlosBSUID)
	if st != flow.StageDone {
		t.Fatalf("conversation at %s; want done", st)
	}
	v, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, c.Key)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead: %v", err)
	}
	if l := v.Lead.Lead; l.Name != "Carlos Restrepo" || l.City.Name != "Medellín" || l.Urgency != flow.Immediate || l.Service != "ads" {
		t.Errorf("lead = %+v; want Carlos Restrepo, Medellín, immediate, ads", l)
	}
	// Until he shared his number every reply was addressed to his BSUID.
	sharedAt := len(e.graph.Sent())
	if !posted["username_contacts_reply.json"] {
		for _, s := range e.graph.Sent() {
			if s.Recipient != carlosBSUID || s.To != "" {
				t.Errorf("reply %s addressed to %q/%q; want recipient %s", s.Outbox, s.To, s.Recipient, carlosBSUID)
			}
		}
		if len(e.graph.Sent()) < 9 {
			t.Errorf("%d replies reached the Graph API; want the whole conversation's", len(e.graph.Sent()))
		}
		post("username_contacts_reply.json")
	}
	// The status callbacks matched the first reply by its id, without a phone.
	if d, _, err := e.h.st.DeliveryOf(ctx, CloudChannel, "wamid.out-1"); err != nil || d != "read" {
		t.Errorf("delivery of the first reply = %q, %v; want read", d, err)
	}
	// The shared number merged into the same person: one contact, keyed by
	// the number, still carrying the BSUID, the parent BSUID and the username.
	after, err := e.h.st.ContactByBSUID(ctx, carlosBSUID)
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != c.ID && c.ID != 0 || after.Key != carlosPhone || after.ParentBSUID != carlosParent || after.Username != carlosUser {
		t.Errorf("after the shared number: %+v (before %+v); want the same contact keyed %s", after, c, carlosPhone)
	}
	if v2, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, carlosPhone); err != nil || v2.ID != v.ID || v2.Lead == nil || v2.Lead.ID != v.Lead.ID {
		t.Errorf("the number's conversation is not the BSUID's: %v", err)
	}
	// Meta generates a new BSUID; the person moves, and writes under it.
	post("username_user_id_update.json")
	post("username_text_new_bsuid.json")
	moved, err := e.h.st.ContactByBSUID(ctx, carlosNewID)
	if err != nil || moved.ID != after.ID || moved.Key != carlosPhone {
		t.Errorf("after user_id_update: %+v, %v; want contact %d keyed %s", moved, err, after.ID, carlosPhone)
	}
	if _, err := e.h.st.ContactByBSUID(ctx, carlosBSUID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old BSUID still names a contact: %v", err)
	}
	if v3, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, carlosPhone); err != nil || v3.ID != v.ID {
		t.Errorf("the message under the new BSUID started another conversation: %v", err)
	}
	// Once the number is known replies go to it ("to"), in the same chat.
	for _, s := range e.graph.Sent()[sharedAt:] {
		if s.To != strings.TrimPrefix(carlosPhone, "+") || s.Recipient != "" {
			t.Errorf("reply %s after the number was shared addressed to %q/%q", s.Outbox, s.To, s.Recipient)
		}
	}
	a := e.audit(t)
	if a.DeadLetters != 0 || a.Unprocessed != 0 || a.Outbox["failed"] != 0 || a.Outbox["pending"] != 0 {
		t.Errorf("audit = %+v; want nothing dead-lettered, unprocessed, failed or left pending", a)
	}
	if n, err := e.h.st.ReplyFailures(ctx, CloudChannel); err != nil || n != 0 {
		t.Errorf("%d reply failures, %v", n, err)
	}
	if accepted, dups := e.graph.Count(); dups != 0 || accepted != a.Outbox["sent"] {
		t.Errorf("graph accepted %d (%d duplicates); outbox sent %d", accepted, dups, a.Outbox["sent"])
	}
}

// TestParseUsernameFixtures reads each username fixture into what the bot
// gets: the sender's BSUID (from the contacts entry, or from_user_id), the
// parent BSUID and the username, with no phone; statuses without a phone;
// the contact-request reply's number; the BSUID changes.
func TestParseUsernameFixtures(t *testing.T) {
	carlos := store.CloudIdentity{BSUID: carlosBSUID, ParentBSUID: carlosParent, Username: carlosUser}
	tests := []struct {
		file  string
		kind  flow.Kind
		text  string
		who   store.CloudIdentity
		check func(t *testing.T, d delivery)
	}{
		{file: "username_text.json", kind: flow.KindText, text: "Hola, vi su anuncio y quiero información", who: carlos},
		{file: "username_button_reply.json", kind: flow.KindText, text: "Sí", who: carlos},
		{file: "username_list_urgency.json", kind: flow.KindText, text: "Lo antes posible", who: carlos},
		{file: "username_list_service.json", kind: flow.KindText, text: "Pauta digital (anuncios)", who: carlos},
		{file: "username_location.json", kind: flow.KindLocation, who: carlos, check: func(t *testing.T, d delivery) {
			if l := d.messages[0].Location; l == nil || l.Lat != 6.2442 {
				t.Errorf("location = %+v", l)
			}
		}},
		{file: "username_image.json", kind: flow.KindImage, who: carlos},
		// The contact request: his own number, which identifies him and answers as typed.
		{file: "username_contacts_reply.json", kind: flow.KindText, text: carlosPhone,
			who: store.CloudIdentity{Phone: carlosPhone, BSUID: carlosBSUID, ParentBSUID: carlosParent, Username: carlosUser}},
		{file: "username_text_new_bsuid.json", kind: flow.KindText, text: "¿A qué hora me llaman?",
			who: store.CloudIdentity{BSUID: carlosNewID, ParentBSUID: carlosParent, Username: carlosUser}},
		{file: "username_status_delivered.json", check: func(t *testing.T, d delivery) {
			if len(d.statuses) != 1 || d.statuses[0].ExtID != "wamid.out-1" || d.statuses[0].Outbox != 1 || d.statuses[0].Status != "delivered" {
				t.Errorf("statuses = %+v", d.statuses)
			}
			if len(d.seen) != 1 || d.seen[0] != carlos {
				t.Errorf("seen = %+v; want %+v", d.seen, carlos)
			}
		}},
		{file: "username_user_id_update.json", check: func(t *testing.T, d delivery) {
			if len(d.moves) != 1 || d.moves[0] != (idMove{old: carlosBSUID, new: carlosNewID, parent: carlosParent}) {
				t.Errorf("moves = %+v", d.moves)
			}
		}},
		{file: "system_changed_number.json", check: func(t *testing.T, d delivery) {
			if len(d.messages) != 0 || len(d.moves) != 1 || d.moves[0] != (idMove{old: "+573001110001", new: "+573001110009", phone: true}) {
				t.Errorf("user_changed_number: messages %d, moves %+v; want no message and the move", len(d.messages), d.moves)
			}
		}},
		{file: "username_system_user_id.json", check: func(t *testing.T, d delivery) {
			if len(d.messages) != 0 || len(d.moves) != 1 || d.moves[0] != (idMove{old: carlosBSUID, new: carlosNewID}) {
				t.Errorf("a system message: messages %d, moves %+v; want no message and the move", len(d.messages), d.moves)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := parseDelivery(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.kind != "" {
				if len(d.messages) != 1 || len(d.who) != 1 {
					t.Fatalf("%d messages, %d senders; want 1", len(d.messages), len(d.who))
				}
				m := d.messages[0]
				if m.Kind != tt.kind || (tt.text != "" && m.Text != tt.text) || d.who[0] != tt.who {
					t.Errorf("got %s %q from %+v; want %s %q from %+v", m.Kind, m.Text, d.who[0], tt.kind, tt.text, tt.who)
				}
				if tt.who.Phone == "" && m.From != store.BSUIDKey(tt.who.BSUID) {
					t.Errorf("from = %q; want the BSUID key", m.From)
				}
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// TestSharedCardsAreNotIdentities: a contact card the person chose to send
// (not through the contact request) may be anyone's. It reaches the flow as
// a contact with the number as text, and identifies nobody.
func TestSharedCardsAreNotIdentities(t *testing.T) {
	body := strings.Replace(string(fixture(t, "username_contacts_reply.json")), `"origin": "contact_request"`, `"origin": "other"`, 1)
	d, err := parseDelivery([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if m, who := d.messages[0], d.who[0]; m.Kind != flow.KindContact || m.Text != carlosPhone || who.Phone != "" {
		t.Errorf("a card of the person's choice: %s %q, sender %+v; want a contact whose text is the number, sender without phone", m.Kind, m.Text, who)
	}
	tests := []struct {
		waID, written string
		own           bool
		want          string
	}{
		{"573005551234", "", false, "+573005551234"},
		{"", "+57 300 555-1234", false, "+573005551234"},
		{"", "300 555 1234", false, ""}, // no country code: not E.164
		{"", "573005551234", true, "+573005551234"},
		{"", "+57 300 ext. 4", false, ""},
		{"12", "", false, ""},
	}
	for _, tt := range tests {
		if got := cardPhone(tt.waID, tt.written, tt.own); got != tt.want {
			t.Errorf("cardPhone(%q, %q, %v) = %q; want %q", tt.waID, tt.written, tt.own, got, tt.want)
		}
	}
}

// TestNewBSUIDBeforeItsUpdate: the person's first message under a new BSUID
// overtakes the user_id_update (as the system message). The update then
// merges the contact that message made into the person: still one person,
// with the old conversation's lead (completed once the optional
// callback-number question is answered with the contact card).
func TestNewBSUIDBeforeItsUpdate(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	for _, f := range []string{"username_text.json", "username_button_reply.json", "username_name.json", "username_location.json",
		"username_budget.json", "username_list_urgency.json", "username_list_service.json", "username_contacts_reply.json"} {
		if got := e.postFixture(t, f); got != http.StatusOK {
			t.Fatalf("%s: %d", f, got)
		}
		e.flush(t)
	}
	before, err := e.h.st.ContactByBSUID(ctx, carlosBSUID)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"username_text_new_bsuid.json", "username_system_user_id.json"} {
		if got := e.postFixture(t, f); got != http.StatusOK {
			t.Fatalf("%s: %d", f, got)
		}
		e.flush(t)
	}
	after, err := e.h.st.ContactByBSUID(ctx, carlosNewID)
	if err != nil || after.ID != before.ID {
		t.Fatalf("after the update the new BSUID names %+v, %v; want contact %d", after, err, before.ID)
	}
	v, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, after.Key)
	if err != nil || v.Lead == nil || v.Lead.Lead.Name != "Carlos Restrepo" {
		t.Errorf("the moved person's conversation has no lead: %v", err)
	}
	if a := e.audit(t); a.DeadLetters != 0 || a.Unprocessed != 0 {
		t.Errorf("audit = %+v", a)
	}
}

// TestFailedConsentTextIsRecordedFailed: when the Graph API refuses the
// consent text for good, the outbox says so (failed, with a reply_failed
// event for the advisors), instead of the earlier "recipient without a phone
// number". The rule that such a consent then does not count is the
// reliability issue's (docs/reliability.md); this path feeds it.
func TestFailedConsentTextIsRecordedFailed(t *testing.T) {
	e := newCloudEnv(t, nil)
	e.graph.FailBody("autorización", http.StatusBadRequest)
	if got := e.postFixture(t, "username_text.json"); got != http.StatusOK {
		t.Fatal(got)
	}
	e.flush(t)
	a := e.audit(t)
	if a.Outbox["sent"] != 1 || a.Outbox["failed"] != 1 {
		t.Errorf("outbox = %v; want the greeting sent and the consent text failed", a.Outbox)
	}
	if n, err := e.h.st.ReplyFailures(context.Background(), CloudChannel); err != nil || n != 1 {
		t.Errorf("%d reply failures, %v; want 1", n, err)
	}
}

// TestLinkedDeviceUsernameCompletes: on the linked device a person who hides
// their number is known by their LID alone (WhatsApp gives no phone and
// whatsmeow knows no mapping). The whole conversation completes under the
// LID, every reply goes to the LID chat, and the lead is one without a
// number.
func TestLinkedDeviceUsernameCompletes(t *testing.T) {
	e := newWAEnv(t)
	ctx := context.Background()
	lid := types.NewJID("888888888888888", types.HiddenUserServer)
	says := map[flow.Stage]string{flow.StageGreeting: "hola", flow.StageConsent: "sí", flow.StageName: "Soy Laura Gómez",
		flow.StageCity: "Cali", flow.StageBudget: "3 millones", flow.StageUrgency: "este mes", flow.StageService: "diseño web"}
	// A question this map does not know is the optional one for a number to
	// call back on: she gives one, then declines if asked again.
	other := []string{"+57 300 555 1234", "no"}
	for i := 0; i < 20; i++ {
		st := flow.StageGreeting
		if v, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, store.LIDKey(lid.User)); err == nil {
			st = v.State.Stage
		}
		if st == flow.StageDone {
			break
		}
		text, ok := says[st]
		if !ok {
			if len(other) == 0 {
				t.Fatalf("stuck at %q", st)
			}
			text, other = other[0], other[1:]
		}
		ev := waText(fmt.Sprintf("U%d", i), text, e.h.clock.Now())
		ev.Info.Chat, ev.Info.Sender = lid, lid
		if !e.wa.HandleEvent(ev) {
			t.Fatalf("message %d not acknowledged", i)
		}
		e.h.clock.Add(time.Minute) // after the debounce: the person read the question
		e.drain(t)
	}
	v, err := e.h.st.Conversation(ctx, WhatsAppChannel, agencyNumber, store.LIDKey(lid.User))
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead under the LID: %v", err)
	}
	if v.Lead.Lead.Name != "Laura Gómez" || v.Lead.Lead.Service != "web" {
		t.Errorf("lead = %+v", v.Lead.Lead)
	}
	e.client.mu.Lock()
	defer e.client.mu.Unlock()
	if len(e.client.sent) < 8 {
		t.Errorf("%d replies sent; want the whole conversation's", len(e.client.sent))
	}
	for _, s := range e.client.sent {
		if s.to != lid {
			t.Errorf("reply %q went to %s; want the LID chat %s", s.text, s.to, lid)
		}
	}
}
