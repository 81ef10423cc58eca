package bot

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/store"
)

// TestDeviceStoreSharesTheFile opens whatsmeow's device store on the app's
// SQLite file (no network): its tables sit beside ours and a fresh device is
// unpaired.
func TestDeviceStoreSharesTheFile(t *testing.T) {
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
	cli, err := OpenClient(context.Background(), db, slog.New(slog.DiscardHandler))
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
