package bot

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
)

// TestTerminalPasskeyStep: the terminal pairing (cis pair) shows
// WhatsApp's passkey request with the line to run on web.whatsapp.com,
// reads the pasted response from standard input and hands it to whatsmeow (offline here, so whatsmeow
// refuses to send it, and the terminal says so).
func TestTerminalPasskeyStep(t *testing.T) {
	ctx := context.Background()
	cli, err := OpenClient(ctx, deviceDB(t), "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var out syncBuffer
	stdin := `{"id":"AQID","rawId":"AQID","type":"public-key","response":{"clientDataJSON":"e30","authenticatorData":"AAAA","signature":"MEUC"}}` + "\n"
	ui := TerminalUI(ctx, cli, strings.NewReader(stdin), &out)
	ui.Passkey(&events.PairPasskeyRequest{PublicKey: &types.WebAuthnPublicKey{Challenge: []byte("abc"), RelyingPartID: "whatsapp.com"}})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "did not accept") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	got := out.String()
	for _, want := range []string{"asks for this account's passkey", "https://web.whatsapp.com", "navigator.credentials.get",
		`"challenge":"YWJj"`, "Passkeys", "WhatsApp did not accept the passkey response"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal lacks %q:\n%s", want, got)
		}
	}
}
