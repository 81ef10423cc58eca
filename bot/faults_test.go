package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The fault-injection tests of RELIABILITY §4 that need the bot; the
// catalogue and where each item is tested are in docs/reliability.md.

// checkBot fails the test on any violation of the invariants I1–I5, with
// the harness's own flow replaying every conversation (I3).
func checkBot(t *testing.T, h *harness, e store.Expect) {
	t.Helper()
	e.Step = func(s flow.State, in flow.Inbound, now time.Time) flow.Result {
		return h.bot.step(h.bot.flow, s, in, now, h.burst) // as the bot runs it; a window of 0 is plain Step
	}
	vs, err := h.st.CheckInvariants(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}

// changedTables runs fn and returns the tables whose rows it changed (I6).
func changedTables(t *testing.T, st *store.Store, fn func()) []string {
	t.Helper()
	ctx := context.Background()
	before, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fn()
	after, err := st.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range before.Changes(after) {
		names = append(names, c.Table)
	}
	return names
}

// TestSameMessageTenTimesConcurrently is F3: one message delivered ten
// times at once through each channel is stored once, stepped once and
// answered once.
func TestSameMessageTenTimesConcurrently(t *testing.T) {
	t.Run("webhook", func(t *testing.T) {
		e := newCloudEnv(t, nil)
		body := testPayload("573001110010", "wamid.f3", "hola", fixtureStart)
		codes := make([]int, 10)
		var wg sync.WaitGroup
		for i := range codes {
			wg.Go(func() { codes[i] = e.postSigned(t, body) })
		}
		wg.Wait()
		if slices.ContainsFunc(codes, func(c int) bool { return c != 200 }) {
			t.Errorf("statuses %v; want ten 200s", codes)
		}
		replies := e.flush(t)
		if a := e.audit(t); a.Inbound != 1 || replies == 0 || a.Outbox["sent"] != replies {
			t.Errorf("audit %+v, %d sent; want one message and its replies once", a, replies)
		}
		checkBot(t, e.h, store.Expect{Channel: CloudChannel, Accepted: []string{"wamid.f3"}, Drained: true,
			Sends: e.graph.PerOutbox()})
	})
	t.Run("whatsmeow", func(t *testing.T) {
		e := newWAEnv(t)
		evt := waText("F3WA", "hola", fixtureStart)
		acks := make([]bool, 10)
		var wg sync.WaitGroup
		for i := range acks {
			wg.Go(func() { acks[i] = e.wa.HandleEvent(evt) })
		}
		wg.Wait()
		if slices.Contains(acks, false) {
			t.Errorf("receipts %v; want all ten acknowledged", acks)
		}
		if n := e.inboundCount(t); n != 1 {
			t.Errorf("%d inbound rows; want 1", n)
		}
		e.h.clock.Add(3 * time.Second) // past the debounce
		if _, err := e.wa.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		ids := map[string]int{}
		for _, s := range e.client.sent {
			ids[string(s.id)]++
		}
		for id, n := range ids {
			if n != 1 || id == "" {
				t.Errorf("reply %q sent %d times", id, n)
			}
		}
		if len(ids) == 0 {
			t.Error("no reply was sent")
		}
		checkBot(t, e.h, store.Expect{Channel: WhatsAppChannel, Accepted: []string{"F3WA"}, Drained: true})
	})
}

// TestWhatsAppLockedStoreWithholdsReceipt is F9 and F23 on the linked
// device: while another connection holds the write lock past the busy
// timeout the handler returns false (whatsmeow sends no receipt, WhatsApp
// delivers again); a message that waits for the lock is acknowledged only
// after its commit; once the lock is gone everything is processed.
func TestWhatsAppLockedStoreWithholdsReceipt(t *testing.T) {
	sqliteOnly(t, "it holds SQLite's one write lock (BEGIN IMMEDIATE on a second handle); PostgreSQL locks rows, and its lock-timeout path (IsBusy) has no bot test yet")
	e := newWAEnv(t)
	e.h.st.Close()
	e.h.busy = 300 * time.Millisecond
	e.h.open()
	wa, err := NewWhatsApp(e.h.bot, e.h.st, WhatsAppConfig{Debounce: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wa.Attach(e.client, fakeLIDs{prospectLID: prospectPN}, agencyNumber)

	other, err := store.DeviceDB(e.h.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Begin() // BEGIN IMMEDIATE: the write lock, held
	if err != nil {
		t.Fatal(err)
	}
	if err := e.h.st.Ping(context.Background()); err == nil {
		t.Error("the store reports itself ready (/readyz) while it cannot write")
	}
	first := waText("F9A", "hola", fixtureStart)
	if wa.HandleEvent(first) {
		t.Error("a message that could not be stored was acknowledged")
	}
	if len(e.client.reads) != 0 {
		t.Errorf("read receipts %v while nothing was stored", e.client.reads)
	}
	// F23: a write slower than usual (the lock is released while the
	// handler waits) delays the receipt until the commit.
	done := make(chan bool)
	go func() { done <- wa.HandleEvent(first) }()
	select {
	case <-done:
		t.Fatal("the handler returned while the store was still locked")
	case <-time.After(50 * time.Millisecond): // within the busy timeout: the handler must still wait
	}
	lock.Rollback()
	if !<-done {
		t.Fatal("the redelivered message was not acknowledged after the lock was released")
	}
	if err := e.h.st.Ping(context.Background()); err != nil {
		t.Errorf("not ready after the lock was released: %v", err)
	}
	if !wa.HandleEvent(waText("F9B", "sí", fixtureStart.Add(time.Second))) {
		t.Fatal("the next message was refused")
	}
	if n := e.inboundCount(t); n != 2 {
		t.Errorf("%d inbound rows; want 2", n)
	}
	e.h.burst = time.Second // the replay (I3) steps with the linked device's debounce, as the bot did
	checkBot(t, e.h, store.Expect{Channel: WhatsAppChannel, Accepted: []string{"F9A", "F9B"}})
}

// TestProviderOutageDrainsOnce is F20 on the Cloud API: the Graph API
// answers 500, 429 and 503 for a while; replies wait with backoff and go
// out exactly once, in order per person, when it recovers.
func TestProviderOutageDrainsOnce(t *testing.T) {
	e := newCloudEnv(t, nil)
	var accepted []string
	for p := range 3 {
		for i, text := range []string{"hola", "sí", "me llamo Ana"} {
			id := fmt.Sprintf("wamid.f20.%d.%d", p, i)
			if got := e.postSigned(t, testPayload(fmt.Sprintf("57300111002%d", p), id, text, fixtureStart.Add(time.Duration(i)*time.Second))); got != 200 {
				t.Fatal(got)
			}
			accepted = append(accepted, id)
		}
	}
	// 15 refusals: each person's first reply meets about five, fewer than
	// the eight attempts after which a reply is failed.
	outage := make([]int, 0, 15)
	for i := range 15 {
		outage = append(outage, []int{500, 429, 503}[i%3])
	}
	e.graph.FailNext(outage...)
	for range 40 { // each round: the backoff passes, the sender tries again
		e.flush(t)
		e.h.clock.Add(15 * time.Minute)
	}
	a := e.audit(t)
	if a.Outbox["pending"] != 0 || a.Outbox["failed"] != 0 || a.Outbox["sent"] == 0 {
		t.Errorf("outbox %v after the provider recovered; want everything sent", a.Outbox)
	}
	// Per person, replies reached the provider in queue order.
	last := map[string]int{}
	for _, s := range e.graph.Sent() {
		var id int
		fmt.Sscanf(s.Outbox, "outbox:%d", &id)
		if id < last[s.To] {
			t.Errorf("reply %d to one person overtook reply %d", id, last[s.To])
		}
		last[s.To] = id
	}
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Accepted: accepted, Drained: true, Sends: e.graph.PerOutbox()})
}

// typedPayload builds a one-message delivery of any type; inner is the
// JSON of the type's object (without the type key).
func typedPayload(from, id, typ, inner string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},`+
		`"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":%q,%q:%s}]}}]}]}`,
		testAccount, from, id, at.Unix(), typ, typ, inner)
}

func textJSON(s string) string {
	b, _ := json.Marshal(map[string]string{"body": s}) // JSON escapes, not Go's (NUL is \u0000)
	return string(b)
}

// TestBadInputChangesNothingElse is I6 for the prospect's side (B1–B6)
// end to end: the conversation is brought to a question, one hostile or
// odd message arrives through the signed webhook, and then
//   - the webhook answers 200 (no 5xx loop, no panic) and the bot replies,
//   - the stage is the one expected (a reprompt keeps it),
//   - only the message log, the reply queue and the conversation changed:
//     no lead, contact, consent or other row moved.
//
// The parsers' own tables (flow/*_test.go) cover the many variants; this
// checks what reaches the store.
func TestBadInputChangesNothingElse(t *testing.T) {
	toName := []string{"hola", "sí"}
	toCity := append(toName, "Ana")
	toBudget := append(toCity, "Medellín")
	same := flow.Stage("") // the stage before the message
	cases := []struct {
		item, name string
		prep       []string
		typ, inner string
		want       flow.Stage
	}{
		{"B1", "64 KiB text", toName, "text", textJSON(strings.Repeat("a ", 32<<10)), same},
		{"B1", "base64 blob as text", toCity, "text", textJSON(strings.Repeat("QUJD", 150_000)), same},
		{"B2", "emoji only", toName, "text", textJSON("😀🙏🏽👍"), same},
		{"B2", "ZWJ family", toName, "text", textJSON("👨\u200d👩\u200d👧"), same},
		{"B2", "bidi override and zero-width", toName, "text", textJSON("\u202eCa\u200brlos"), flow.StageCity},
		{"B2", "NUL", toName, "text", textJSON("\x00"), same},
		{"B2", "fullwidth digits as budget", toBudget, "text", textJSON("２ millones"), flow.StageUrgency},
		// The name parser keeps the words ("Drop Table Leads"): stored as text, harmless.
		{"B3", "SQL in a name", toName, "text", textJSON("'; DROP TABLE leads;--"), flow.StageCity},
		{"B3", "script tag as city", toCity, "text", textJSON("<script>alert(1)</script>"), same},
		// Not a Colombian place: the bot asks whether it is abroad.
		{"B3", "template and formula as city", toCity, "text", textJSON(`{{.}} =HYPERLINK("http://x","clic")`), flow.StageCityForeign},
		{"B3", "fake JSON log line", toCity, "text", textJSON("x\n{\"level\":\"ERROR\",\"msg\":\"forged\"}"), same},
		{"B4", "huge number", toBudget, "text", textJSON("999999999999999999999 millones"), same},
		{"B4", "negative", toBudget, "text", textJSON("-2 millones"), same},
		{"B4", "exponent", toBudget, "text", textJSON("USD 1e308"), same},
		{"B4", "commas", toBudget, "text", textJSON("2,5,5 millones"), same},
		{"B5", "image", toName, "image", `{"id":"1","mime_type":"image/jpeg"}`, same},
		{"B5", "audio", toCity, "audio", `{"id":"2","mime_type":"audio/ogg"}`, same},
		{"B5", "sticker", toCity, "sticker", `{"id":"3","mime_type":"image/webp"}`, same},
		{"B5", "reaction", toCity, "reaction", `{"message_id":"wamid.x","emoji":"👍"}`, same},
		{"B5", "contact card", toName, "contacts", `[{"name":{"formatted_name":"X"}}]`, same},
		{"B5", "location answers the city", toCity, "location", `{"latitude":6.2442,"longitude":-75.5812}`, flow.StageBudget},
		{"B6", "no to a non-consent question", toCity, "text", textJSON("no"), same},
	}
	for i, c := range cases {
		t.Run(c.item+" "+c.name, func(t *testing.T) {
			e := newCloudEnv(t, nil)
			phone := fmt.Sprintf("5730022%05d", i)
			for j, text := range c.prep {
				e.h.clock.Add(10 * time.Second)
				e.say(t, phone, fmt.Sprintf("wamid.b.%d", j), text, e.h.clock.Now())
			}
			stage := func() flow.Stage {
				v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
				if err != nil {
					t.Fatal(err)
				}
				return v.State.Stage
			}
			before := stage()
			e.h.clock.Add(10 * time.Second)
			changed := changedTables(t, e.h.st, func() {
				body := typedPayload(phone, "wamid.b.bad", c.typ, c.inner, e.h.clock.Now())
				if got := e.postSigned(t, body); got != 200 {
					t.Errorf("status %d; want 200", got)
				}
			})
			// conversation_funnel is the analytics summary that triggers keep
			// of conversations' steps: it moves when an input is accepted.
			for _, tbl := range changed {
				if !slices.Contains([]string{"messages", "outbox", "conversations", "conversation_funnel"}, tbl) {
					t.Errorf("table %s changed; only the log, the replies and the conversation (with its funnel summary) may", tbl)
				}
			}
			// A reaction is logged and never answered (issue 13); everything else gets a reply.
			if answered := slices.Contains(changed, "outbox"); answered != (c.typ != "reaction") {
				t.Errorf("reply to the message: %v; want %v", answered, c.typ != "reaction")
			}
			want := c.want
			if want == same {
				want = before
			}
			if got := stage(); got != want {
				t.Errorf("stage %s → %s; want %s", before, got, want)
			}
			checkBot(t, e.h, store.Expect{Channel: CloudChannel, Accepted: []string{"wamid.b.bad"}})
		})
	}
}

// TestBadDeliveriesChangeNothingElse is I6 for the webhook itself (W1–W5):
// after each refused, malformed, oversize, replayed or abusive request
// only the table its design names changed.
func TestBadDeliveriesChangeNothingElse(t *testing.T) {
	e := newCloudEnv(t, nil)
	good := testPayload("573001110030", "wamid.w", "hola", fixtureStart)
	if got := e.postSigned(t, good); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	cases := []struct {
		item, name string
		do         func() int
		status     int
		changes    []string
	}{
		{"W1", "missing signature", func() int { return e.post(t, good, "") }, 401, nil},
		{"W1", "wrong secret", func() int { return e.post(t, good, Sign("other", good)) }, 401, nil},
		{"W2", "truncated JSON", func() int { return e.postSigned(t, good[:len(good)/2]) }, 200, []string{"dead_letters"}},
		{"W2", "wrong types", func() int { return e.postSigned(t, []byte(`{"object":"whatsapp_business_account","entry":"x"}`)) }, 200, []string{"dead_letters"}},
		{"W3", "oversize body", func() int {
			return e.postSigned(t, testPayload("573001110030", "wamid.big", strings.Repeat("a", 2<<20), fixtureStart))
		}, 413, nil},
		{"W4", "replay of a delivered message", func() int { return e.postSigned(t, good) }, 200, nil},
		{"W5", "wrong verify token", func() int { return e.get(t, "?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1") }, 403, nil},
		{"W5", "huge challenge", func() int {
			return e.get(t, "?hub.mode=subscribe&hub.verify_token="+testVerify+"&hub.challenge="+strings.Repeat("9", 10_000))
		}, 400, nil},
	}
	for _, c := range cases {
		t.Run(c.item+" "+c.name, func(t *testing.T) {
			var status int
			changed := changedTables(t, e.h.st, func() { status = c.do() })
			if status != c.status {
				t.Errorf("status %d; want %d", status, c.status)
			}
			if !slices.Equal(changed, c.changes) {
				t.Errorf("changed %v; want %v", changed, c.changes)
			}
		})
	}
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Accepted: []string{"wamid.w"}, Drained: true, Sends: e.graph.PerOutbox()})
}

func (e *cloudEnv) get(t *testing.T, query string) int {
	t.Helper()
	resp, err := http.Get(e.srv.URL + query)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestWhatsAppEditsAndDeletionsAreNotAnswers is B5 on the linked device:
// an edit (unwrapped by whatsmeow with a new ID) and a deletion are
// acknowledged and change nothing.
func TestWhatsAppEditsAndDeletionsAreNotAnswers(t *testing.T) {
	e := newWAEnv(t)
	if !e.wa.HandleEvent(waText("E0", "hola", fixtureStart)) {
		t.Fatal("first message refused")
	}
	edit := with(waText("E1", "otra cosa", fixtureStart.Add(time.Minute)), func(ev *events.Message) { ev.IsEdit = true })
	revoke := with(waText("E2", "", fixtureStart.Add(time.Minute)), func(ev *events.Message) {
		ev.Message = &waE2E.Message{ProtocolMessage: &waE2E.ProtocolMessage{Type: waE2E.ProtocolMessage_REVOKE.Enum()}}
	})
	changed := changedTables(t, e.h.st, func() {
		for _, evt := range []*events.Message{edit, revoke} {
			if !e.wa.HandleEvent(evt) {
				t.Errorf("%s not acknowledged", evt.Info.ID)
			}
		}
	})
	if len(changed) != 0 {
		t.Errorf("an edit or deletion changed %v", changed)
	}
}

// TestClockJumpsNotifyOnce is F17 with an injected clock: the deadline is
// stored as an absolute UTC instant; the clock stepping back an hour, a
// skew of ten minutes either way and a restart during the countdown give
// one reminder and one reassignment, never a second one, and nothing
// early. (The sweep is a plain function of the clock and the store, so the
// injected clock replaces a testing/synctest bubble: the store's writer
// goroutine lives outside any bubble.)
func TestClockJumpsNotifyOnce(t *testing.T) {
	e := newNotifierEnv(t)
	if e.deadline.Location() != time.UTC {
		t.Errorf("deadline read back in %v; want UTC", e.deadline.Location())
	}
	steps := []struct {
		name string
		at   time.Duration // clock relative to the deadline
		want int           // notices sent by this sweep
	}{
		{"assignment", -2 * time.Hour, 1},
		{"10 min skew ahead, still before the reminder window", -21 * time.Minute, 0},
		{"reminder window", -9 * time.Minute, 1},
		{"clock steps back one hour", -69 * time.Minute, 0},
		{"back in the window", -5 * time.Minute, 0},
		{"restart", -4 * time.Minute, 0},
		{"10 min skew behind after the deadline: not overdue yet", -9 * time.Minute, 0},
		{"overdue", time.Minute, 1},
		{"clock steps back one hour after the reassignment", -59 * time.Minute, 0},
		{"overdue again", 2 * time.Minute, 0},
	}
	for _, s := range steps {
		if s.name == "restart" {
			e.h.restart()
			e.newNotifier(t)
		}
		e.h.clock.Set(e.deadline.Add(s.at))
		if k := e.once(t); k != s.want {
			t.Errorf("%s: sent %d; want %d (%+v)", s.name, k, s.want, e.got)
		}
	}
}
