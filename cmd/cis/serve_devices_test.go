package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// TestSeveralDevicesPairingAndReadiness: with two linked-device numbers
// declared, cis pair must be told which one to pair (and pairs only a
// declared one, on its own device), and /readyz reports each device by its
// number.
func TestSeveralDevicesPairingAndReadiness(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cis.db")
	c := mustConfig(t, map[string]string{"CIS_DB": path})
	a, err := open(ctx, c, newLogger(c, io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	for _, n := range []string{"573001110000", "573002220000"} {
		if err := a.store.DeclareNumber(ctx, store.Number{Channel: bot.WhatsAppChannel, Address: n, Brand: "Marca " + n}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	db, err := store.DeviceDB(path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := newLogger(c, io.Discard)
	for _, number := range []string{"", "573009990000"} {
		if _, err := openForPairing(ctx, a.store, db, number, log); err == nil || !strings.Contains(err.Error(), "+573001110000, +573002220000") {
			t.Errorf("pair with --whatsapp-number %q: %v; want a refusal listing the declared numbers", number, err)
		}
	}
	cli, err := openForPairing(ctx, a.store, db, "573002220000", log)
	if err != nil || cli.Number != "573002220000" || cli.Store.ID != nil {
		t.Fatalf("pair a declared number: %v, %v; want its own new device, only its phone allowed", cli, err)
	}

	a.pairing = &linkedPairing{devices: map[string]*bot.WhatsApp{}}
	for _, n := range []string{"573001110000", "573002220000"} {
		wa, err := bot.NewWhatsApp(a.bot, a.store, bot.WhatsAppConfig{Number: n}, nil)
		if err != nil {
			t.Fatal(err)
		}
		a.pairing.devices[n] = wa
		wa.HandleEvent(&events.Connected{})
	}
	a.pairing.devices["573002220000"].HandleEvent(&events.LoggedOut{})
	web, err := dashboard.New(dashboard.Deps{Store: a.store, Readiness: readiness{a}})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	web.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	body := rec.Body.String()
	if !strings.Contains(body, "whatsapp +573002220000: logged_out") || strings.Contains(body, "whatsapp +573001110000:") {
		t.Errorf("/readyz = %q; want the logged-out device named by its number, the connected one fine", body)
	}
}
