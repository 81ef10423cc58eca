package bot

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Fault-catalogue items of RELIABILITY §4.2 whose fault the earlier tests
// did not inject (issue 15): F4 with a store that fails the link, F7 with a
// real kill inside the burst window. F20 (a silent peer) is in
// silent_test.go.

// TestMain runs this test binary as a helper process when a test asks for
// one (CIS_BOT_HELPER): a linked-device server to kill.
func TestMain(m *testing.M) {
	if os.Getenv("CIS_BOT_HELPER") == "burst" {
		burstHelper(os.Getenv("CIS_BOT_STORE"), os.Getenv("CIS_BOT_MESSAGES"))
		return
	}
	if os.Getenv("CIS_BOT_HELPER") == "standin" {
		standInHelper(os.Getenv("CIS_BOT_STORE"), os.Getenv("CIS_BOT_ADDR"))
		return
	}
	if os.Getenv("CIS_BOT_HELPER") == "webhooks" {
		webhookHelper(os.Getenv("CIS_BOT_STORE"), os.Getenv("CIS_BOT_CRASH_AT"), os.Getenv("CIS_BOT_NOW"))
		return
	}
	os.Exit(m.Run())
}

// failingLink is the store with LinkLID failing (a locked or full disk at
// that moment).
type failingLink struct{ *store.Store }

func (failingLink) LinkLID(context.Context, string, string) error {
	return errors.New("injected: disk I/O error")
}

// TestF4FailedLinkIsNotAcknowledged: a message that shows the phone and the
// LID of its sender is acknowledged only after the store linked the two;
// when the link fails, the handler returns false (no receipt: WhatsApp
// delivers it again) and nothing of it is stored, so the person is never
// split in two. The redelivery, with a working store, is stored once, on
// the phone's contact.
func TestF4FailedLinkIsNotAcknowledged(t *testing.T) {
	e := newWAEnv(t)
	e.wa.Attach(e.client, fakeLIDs{}, agencyNumber) // whatsmeow knows no mapping
	ev := with(waText("F4-link", "hola", fixtureStart), func(ev *events.Message) { ev.Info.SenderAlt = lidJID })
	broken, err := NewWhatsApp(e.h.bot, failingLink{e.h.st}, WhatsAppConfig{Debounce: time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	broken.Attach(e.client, fakeLIDs{}, agencyNumber)
	changed := changedTables(t, e.h.st, func() {
		if broken.HandleEvent(ev) {
			t.Error("a message whose LID could not be linked was acknowledged")
		}
	})
	if len(changed) != 0 {
		t.Errorf("the unlinked message changed %v; want nothing stored", changed)
	}
	if len(e.client.reads) != 0 {
		t.Error("a read receipt went out for a message that was not stored")
	}
	// WhatsApp delivers it again; the store works now.
	if !e.wa.HandleEvent(ev) {
		t.Fatal("the redelivery was not acknowledged")
	}
	if phone, err := e.h.st.PhoneForLID(context.Background(), prospectLID); err != nil || phone != "+"+prospectPN {
		t.Errorf("PhoneForLID = %q, %v; want the phone linked", phone, err)
	}
	if n := e.inboundCount(t); n != 1 {
		t.Errorf("%d inbound rows; want 1", n)
	}
	checkBot(t, e.h, store.Expect{Channel: WhatsAppChannel, Accepted: []string{"F4-link"}})
}

// burstMessages is what the person of TestF7KilledInsideTheBurstWindow writes
// within 100 ms.
var burstMessages = []string{"hola", "buenas", "quiero", "info", "de sus servicios"}

// burstHelper is the process TestF7KilledInsideTheBurstWindow kills: the real
// store, flow, bot and linked-device channel (with a fake client) and its
// sender running with the 3 s debounce; it takes the first n messages of the
// burst, says so, and waits for SIGKILL.
func burstHelper(path, n string) {
	var count int
	fmt.Sscan(n, &count)
	fail := func(err error) {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		fail(err)
	}
	loc, _ := time.LoadLocation("America/Bogota")
	m, err := flow.New(flow.DefaultConfig(loc), scoring.Rules{})
	if err != nil {
		fail(err)
	}
	b, err := New(Deps{Store: st, Flow: m})
	if err != nil {
		fail(err)
	}
	client := &fakeClient{connected: true}
	wa, err := NewWhatsApp(b, st, WhatsAppConfig{Debounce: 3 * time.Second}, nil)
	if err != nil {
		fail(err)
	}
	wa.Attach(client, fakeLIDs{}, agencyNumber)
	go wa.Run(context.Background()) // the sender, waiting out the debounce
	for i := range count {
		if !wa.HandleEvent(waText(fmt.Sprintf("F7-%d", i), burstMessages[i], time.Now())) {
			fail(fmt.Errorf("message %d not acknowledged", i))
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Println("stored", count)
	select {}
}

// TestF7KilledInsideTheBurstWindow is F7 with a real crash: a process
// running the linked device takes three messages of a five-message burst
// (100 ms) and is killed with SIGKILL inside the debounce window, before it
// answered. After the restart WhatsApp redelivers the last message (its
// receipt may not have left) and the person's last two arrive: every message
// is stored once and in order, the replies held at the kill are sent once
// (one greeting and one consent text for the whole burst), nothing twice.
func TestF7KilledInsideTheBurstWindow(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	const before = 3
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "CIS_BOT_HELPER=burst", "CIS_BOT_STORE="+path, fmt.Sprintf("CIS_BOT_MESSAGES=%d", before))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	start := time.Now()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "stored") {
		t.Fatalf("helper: %q, %v", line, err)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	ws, _ := cmd.Process.Wait()
	if st, ok := ws.Sys().(syscall.WaitStatus); !ok || !st.Signaled() || st.Signal() != syscall.SIGKILL {
		t.Fatalf("the helper ended with %v, not SIGKILL", ws)
	}
	if elapsed := time.Since(start); elapsed >= 3*time.Second {
		t.Fatalf("the kill came %v after the first message: outside the 3 s burst window", elapsed)
	}

	// The next process on the same store.
	e := &waEnv{h: newHarness(t, "es", time.Now()), client: &fakeClient{connected: true}}
	e.h.st.Close()
	e.h.path = path
	e.h.open()
	e.attach(t)
	e.wa.Attach(e.client, fakeLIDs{}, agencyNumber)
	audit, err := e.h.st.DeliveryAudit(context.Background(), WhatsAppChannel)
	if err != nil {
		t.Fatal(err)
	}
	if audit.Inbound != before || audit.Outbox["sent"]+audit.Outbox["sending"] != 0 {
		t.Fatalf("after the kill: %+v; want %d messages stored and no reply sent (all held by the debounce)", audit, before)
	}
	if _, err := e.h.st.ReleaseOrphans(context.Background(), WhatsAppChannel, time.Now()); err != nil {
		t.Fatal(err)
	}
	for i := before - 1; i < len(burstMessages); i++ { // the redelivery, then the rest of the burst
		if !e.wa.HandleEvent(waText(fmt.Sprintf("F7-%d", i), burstMessages[i], e.h.clock.Now())) {
			t.Fatalf("message %d not acknowledged", i)
		}
		e.h.clock.Add(20 * time.Millisecond)
	}
	e.h.clock.Add(3 * time.Second)
	sent := e.drain(t)
	if len(sent) != 2 || !strings.Contains(sent[0], "Hola") || !strings.Contains(sent[1], "Ley 1581") {
		t.Errorf("sent %d replies %q; want one greeting and one consent text", len(sent), sent)
	}
	lines, err := e.h.st.Transcript(context.Background(), "+"+prospectPN)
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	for _, l := range lines {
		if l.Inbound {
			in = append(in, l.Body)
		}
	}
	if strings.Join(in, "|") != strings.Join(burstMessages, "|") {
		t.Errorf("stored %q; want every message once, in order: %q", in, burstMessages)
	}
	ids := map[types.MessageID]int{}
	for _, s := range e.client.sent {
		ids[s.id]++
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("reply %s sent %d times", id, n)
		}
	}
	var accepted []string
	for i := range burstMessages {
		accepted = append(accepted, fmt.Sprintf("F7-%d", i))
	}
	// Replayed as the channel ran it, with its 3 s debounce: outside a burst
	// the fragments would be three unclear consent answers, and the third
	// goes to a person (issue 13).
	e.h.burst = 3 * time.Second
	checkBot(t, e.h, store.Expect{Channel: WhatsAppChannel, Accepted: accepted, Drained: true})
}
