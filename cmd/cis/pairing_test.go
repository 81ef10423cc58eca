package main

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// TestLinkedPairingShowsTheChannel checks what the dashboard's pairing page
// sees of the real linked-device channel: the state and the rotating QR
// code, and that pair and logout are harmless before a device is linked.
func TestLinkedPairingShowsTheChannel(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db")}
	c := mustConfig(t, env)
	a, err := open(context.Background(), c, newLogger(c, io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	wa, err := bot.NewWhatsApp(a.bot, a.store, c.whatsAppConfig("perdón"), nil)
	if err != nil {
		t.Fatal(err)
	}
	p := &linkedPairing{wa: wa, cloud: "configured"}
	ctx := context.Background()

	st, err := p.PairingStatus(ctx)
	if err != nil || st.State != dashboard.PairingDisconnected || st.QR != "" || st.CloudAPI != "configured" {
		t.Fatalf("before pairing: %+v, %v; want disconnected without a QR", st, err)
	}
	for _, code := range []string{"2@first,code", "2@second,code"} { // whatsmeow rotates codes
		wa.ShowQR(code, 20*time.Second)
		st, _ = p.PairingStatus(ctx)
		if st.State != dashboard.PairingWaitingQR || st.QR != code {
			t.Errorf("after ShowQR(%q): %+v; want waiting_qr with that code", code, st)
		}
	}
	if err := p.Pair(ctx); err != nil {
		t.Errorf("Pair while waiting for a scan: %v; want nil (codes are already shown)", err)
	}
	if err := p.Logout(ctx); err != nil {
		t.Errorf("Logout with no linked device: %v; want nil", err)
	}
}

func TestCloudOnlyPairing(t *testing.T) {
	p := &linkedPairing{cloud: "configured"}
	ctx := context.Background()
	st, err := p.PairingStatus(ctx)
	if err != nil || st.State != dashboard.PairingDisconnected || st.CloudAPI != "configured" {
		t.Errorf("Cloud API only: %+v, %v; want no linked device and the Cloud API status", st, err)
	}
	if err := p.Pair(ctx); !errors.Is(err, errNoLinkedDevice) {
		t.Errorf("Pair without a linked device: %v; want errNoLinkedDevice", err)
	}
	if err := p.Logout(ctx); !errors.Is(err, errNoLinkedDevice) {
		t.Errorf("Logout without a linked device: %v; want errNoLinkedDevice", err)
	}
}

func TestPairingStatesCoverTheChannel(t *testing.T) {
	for _, s := range []bot.ChannelState{bot.StateUnpaired, bot.StateWaitingForScan, bot.StateWaitingForPasskey, bot.StateConnected,
		bot.StateReconnecting, bot.StateLoggedOut, bot.StateBanned, bot.StateClientOutdated, bot.StateReplaced, bot.StateStandby} {
		got, ok := pairingStates[s]
		if !ok {
			t.Errorf("channel state %s has no pairing-page state", s)
		}
		// Permanent states need the operator: they show as logged out, or
		// as the outdated client with its own explanation.
		if s.Permanent() != (got == dashboard.PairingLoggedOut || got == dashboard.PairingClientOutdated) {
			t.Errorf("%s (permanent=%v) shows as %s: permanent states must show what the operator must do", s, s.Permanent(), got)
		}
	}
}

// TestStandbyServerPairingPage: on a server standing by for the linked
// device (another server of the cluster holds its lease), the pairing page
// says so, and the device is never opened here.
func TestStandbyServerPairingPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": path}
	c := mustConfig(t, env)
	a, err := open(context.Background(), c, newLogger(c, io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	other, err := store.Open(context.Background(), path, store.Options{Owner: "other-server"})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	name := bot.LinkedDeviceLease("default")
	if _, held, err := other.TakeLease(context.Background(), name, time.Minute); err != nil || !held {
		t.Fatal(held, err)
	}
	wa, err := bot.NewWhatsApp(a.bot, a.store, c.whatsAppConfig("perdón"), nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- wa.LinkLeased(ctx, &bot.Lease{Store: a.store, Name: name, TTL: time.Minute}, func(context.Context) (bot.Device, error) {
			t.Error("a standby server opened the device")
			return nil, errors.New("not here")
		})
	}()
	p := &linkedPairing{wa: wa}
	var st dashboard.PairingStatus
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if st, _ = p.PairingStatus(ctx); st.State == dashboard.PairingStandby {
			break
		}
	}
	if st.State != dashboard.PairingStandby {
		t.Errorf("standby server's pairing page: %+v; want standby", st)
	}
	cancel()
	if err := <-done; err != nil {
		t.Error(err)
	}
}
