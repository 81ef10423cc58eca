package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// TestPairRefusesWhileAServerRuns: cis pair on a store a running server
// holds would link a device the server never uses; it refuses and points
// to the dashboard instead, before touching the device store.
func TestPairRefusesWhileAServerRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	createStore(t, path)
	lock, err := store.Lock(path) // what cis serve holds while it runs
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Unlock()
	_, err = runCmd(t, map[string]string{"CIS_DB": path}, "", "pair")
	if !errors.Is(err, errServerRunning) || !strings.Contains(err.Error(), "/admin/pairing") {
		t.Fatalf("pair while serving: %v; want the refusal naming the dashboard", err)
	}
	if _, err := runCmd(t, map[string]string{"CIS_DB": path, "CIS_WHATSAPP_NUMBER": "0300 12"}, "", "pair"); err == nil ||
		!strings.Contains(err.Error(), "--whatsapp-number") {
		t.Errorf("a number without country code: %v", err)
	}
}

// TestPairReportsTheStoredDevices: a store that already holds a linked
// device says so (and names further devices) instead of pairing again.
func TestPairReportsTheStoredDevices(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.DeviceDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	cli, err := bot.OpenClient(ctx, db, "", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, dev := range []uint16{21, 4} {
		d := cli.Store.Container.(*sqlstore.Container).NewDevice()
		d.ID = &types.JID{User: "573009990000", Server: types.DefaultUserServer, Device: dev}
		d.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
			AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
		if err := d.Save(ctx); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	st.Close()
	out, err := runCmd(t, map[string]string{"CIS_DB": path}, "", "pair")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Already paired as +573009990000", "1 more linked device", "+573009990000 · device 21", "Linked devices"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
