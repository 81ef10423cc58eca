package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
)

// TestD3LinkedDeviceLogsNoPersonalData is the linked-device part of
// RELIABILITY D3 (cmd/cis TestD3… covers the other channels): a conversation
// with a push name through the WhatsApp channel and the bot, a redelivery,
// failing sends, and whatsmeow's own lines, all logged at debug level
// through the redacting handler the commands use, leave no name, phone
// number or message text in the log.
func TestD3LinkedDeviceLogsNoPersonalData(t *testing.T) {
	e := newWAEnv(t)
	var buf syncBuffer
	log := slog.New(redact.Handler(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	e.wa.log, e.h.bot.log = log, log
	texts := []string{"hola", "sí", "me llamo Eustaquio Rengifo", "Pereira, Risaralda", "dos millones", "para ayer", "pauta digital"}
	at := fixtureStart
	for i, text := range texts {
		ev := waText("D3-"+string(rune('A'+i)), text, at)
		ev.Info.PushName = "Eustaquio R."
		if i == 2 { // from the LID, as WhatsApp now often sends
			ev.Info.Chat, ev.Info.Sender = lidJID, lidJID
		}
		if !e.wa.HandleEvent(ev) {
			t.Fatalf("message %d not handled", i)
		}
		if i == 1 {
			e.wa.HandleEvent(ev) // a redelivery
		}
		at = at.Add(30 * time.Second)
	}
	e.client.fail = errors.New("failed to get device list for 573001234567@s.whatsapp.net: server returned error 479") // the shape of whatsmeow's send errors
	e.h.clock.Add(5 * time.Second)
	if _, err := e.wa.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.wa.HandleEvent(&events.LoggedOut{})
	wl := NewWALogger(log.With("component", "whatsmeow"))
	wl.Sub("Client").Debugf("Push name of %s changed from %s to %s, dispatching event", pnJID, "", "Eustaquio R.")
	wl.Sub("Recv").Debugf("%s", `<message from="573001234567@s.whatsapp.net" notify="Eustaquio R." id="3EB0"><plaintext>me llamo Eustaquio Rengifo</plaintext></message>`)
	wl.Warnf("Error decrypting message %s from %s: %v", "3EB0C431D5A9", lidJID, errors.New("no session with 123456789012345"))

	out := buf.String()
	for _, must := range []string{"redelivered message ignored", "whatsapp send failed", "logged_out", "Push name of", "Error decrypting message 3EB0C431D5A9"} {
		if !strings.Contains(out, must) {
			t.Errorf("the log lacks %q: that path did not log", must)
		}
	}
	for _, leak := range []string{prospectPN, prospectPN[2:], prospectLID, "Eustaquio", "Rengifo", "Pereira", "dos millones", "para ayer", "pauta digital"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log contains %q", leak)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}
