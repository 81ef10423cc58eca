package bot

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/store"
)

// TestDeviceStoreSharesTheFile opens whatsmeow's device store on the app's
// SQLite file (no network): its tables sit beside ours and a fresh device is
// unpaired.
func TestDeviceStoreSharesTheFile(t *testing.T) {
	sqliteOnly(t, "it reads sqlite_master of the shared file; TestDeviceStoreOnPostgres is its PostgreSQL twin")
	path := filepath.Join(t.TempDir(), "cis.db")
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db, err := store.DeviceDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cli, err := OpenClient(context.Background(), db, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if cli.Store.ID != nil {
		t.Error("a fresh device claims to be paired")
	}
	if !cli.SynchronousAck || !cli.EnableDecryptedEventBuffer {
		t.Error("client acknowledges before handlers return or drops redelivered plaintext")
	}
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM sqlite_master WHERE name IN ('whatsmeow_device', 'messages', 'outbox')`).Scan(&n); err != nil || n != 3 {
		t.Errorf("tables side by side: %d of 3 (%v)", n, err)
	}
	if err := st.Ping(context.Background()); err != nil {
		t.Error(err)
	}
}

func TestSetWhatsAppVersion(t *testing.T) {
	if err := SetWhatsAppVersion("not.a.version"); err == nil {
		t.Error("a malformed version was accepted")
	}
	if err := SetWhatsAppVersion(""); err != nil {
		t.Error(err)
	}
}

func TestWALoggerMasksPhones(t *testing.T) {
	var buf bytes.Buffer
	l := NewWALogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	l.Sub("Client").Infof("Sending message to %s", "573001234567@s.whatsapp.net")
	if strings.Contains(buf.String(), "3001234567") || !strings.Contains(buf.String(), "***67@s.whatsapp.net") {
		t.Errorf("log = %s; want the phone masked", buf.String())
	}
}

// TestWALoggerRedactsWhatsmeowLines feeds the adapter format strings
// copied from whatsmeow (user.go, message.go, client.go) with personal data.
func TestWALoggerRedactsWhatsmeowLines(t *testing.T) {
	jid := types.NewJID("573001234567", types.DefaultUserServer)
	lid := types.NewJID("123456789012345", types.HiddenUserServer)
	tests := []struct {
		format  string
		args    []any
		want    []string
		notWant []string
	}{
		{"Push name of %s changed from %s to %s, dispatching event", []any{jid, "Carlos", "Carlos Andrés"},
			[]string{"***67@s.whatsapp.net", "from [redacted] to [redacted]"}, []string{"Carlos", "3001234567"}},
		{"Got push name %s for %s in history sync", []any{"María José", lid}, []string{"***45@lid"}, []string{"María", "1234567890"}},
		{"Ignoring message %s from %s: %v", []any{"3EB0C431D5A9F2E8B7A1", jid, errors.New("decrypt: no session for 573001234567")},
			[]string{"3EB0C431D5A9F2E8B7A1", "no session for ***67"}, []string{"3001234567"}},
		{"%s", []any{`<message from="573001234567@s.whatsapp.net" notify="Beatriz"><enc>…</enc></message>`},
			[]string{"[redacted]"}, []string{"Beatriz", "3001234567"}},
		{"Received %d events in %s", []any{3, 1500 * time.Millisecond}, []string{"Received 3 events in 1.5s"}, nil},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		l := NewWALogger(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		l.Sub("Client").Debugf(tt.format, tt.args...)
		for _, w := range tt.want {
			if !strings.Contains(buf.String(), w) {
				t.Errorf("%q: log %s lacks %q", tt.format, buf.String(), w)
			}
		}
		for _, n := range tt.notWant {
			if strings.Contains(buf.String(), n) {
				t.Errorf("%q: log %s contains %q", tt.format, buf.String(), n)
			}
		}
	}
}
