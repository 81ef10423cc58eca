package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The fault-injection tests of RELIABILITY §4 that need the bot; the
// catalogue and where each item is tested are in docs/reliability.md.

// checkBot fails the test on any violation of the invariants I1–I5, with
// the harness's own flow replaying every conversation (I3).
func checkBot(t *testing.T, h *harness, e store.Expect) {
	t.Helper()
	e.Step = h.bot.flow.Step
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

// TestLateMessageIsNotAnAnswer is F5: a message the provider timestamps
// before one already applied arrives late. It is kept in the conversation's
// log (visible, counted as finished) but not taken as the answer to the
// newer question; the outcome is the same whatever the interleaving of the
// deliveries with the store's commits.
func TestLateMessageIsNotAnAnswer(t *testing.T) {
	e := newCloudEnv(t, nil)
	const phone = "573001110011"
	at := func(s int) time.Time { return fixtureStart.Add(time.Duration(s) * time.Second) }
	for i, text := range []string{"hola", "sí"} {
		if got := e.postSigned(t, testPayload(phone, fmt.Sprintf("wamid.f5.%d", i), text, at(i*20))); got != 200 {
			t.Fatal(got)
		}
	}
	view := func() flow.State {
		v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
		if err != nil {
			t.Fatal(err)
		}
		return v.State
	}
	if st := view(); st.Stage != flow.StageName {
		t.Fatalf("stage %s; want the name question", st.Stage)
	}
	// B (written at 60 s) overtakes A (written at 40 s).
	if got := e.postSigned(t, testPayload(phone, "wamid.f5.B", "Ana María", at(60))); got != 200 {
		t.Fatal(got)
	}
	afterB := view()
	if afterB.Stage != flow.StageCity || afterB.Answers.Name != "Ana María" {
		t.Fatalf("after B: stage %s, name %q", afterB.Stage, afterB.Answers.Name)
	}
	changed := changedTables(t, e.h.st, func() {
		if got := e.postSigned(t, testPayload(phone, "wamid.f5.A", "Medellín", at(40))); got != 200 {
			t.Fatal(got)
		}
	})
	if !slices.Equal(changed, []string{"conversation_events", "messages"}) {
		t.Errorf("the late message changed %v; want only the log and its event (no state, no reply)", changed)
	}
	if st := view(); st.Stage != afterB.Stage || st.Answers.City != afterB.Answers.City {
		t.Errorf("the late message was applied: stage %s, city %+v", st.Stage, st.Answers.City)
	}
	// The newer question is answered normally afterwards.
	if got := e.postSigned(t, testPayload(phone, "wamid.f5.C", "Medellín", at(80))); got != 200 {
		t.Fatal(got)
	}
	if st := view(); st.Stage == afterB.Stage {
		t.Errorf("the answer after the late message was not applied: stage %s", st.Stage)
	}
	e.flush(t)
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox(),
		Accepted: []string{"wamid.f5.0", "wamid.f5.1", "wamid.f5.A", "wamid.f5.B", "wamid.f5.C"}})
}

// TestWhatsAppLockedStoreWithholdsReceipt is F9 and F23 on the linked
// device: while another connection holds the write lock past the busy
// timeout the handler returns false (whatsmeow sends no receipt, WhatsApp
// delivers again); a message that waits for the lock is acknowledged only
// after its commit; once the lock is gone everything is processed.
func TestWhatsAppLockedStoreWithholdsReceipt(t *testing.T) {
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
	if !wa.HandleEvent(waText("F9B", "sí", fixtureStart.Add(time.Second))) {
		t.Fatal("the next message was refused")
	}
	if n := e.inboundCount(t); n != 2 {
		t.Errorf("%d inbound rows; want 2", n)
	}
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
