package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
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

// TestNumberDeclaredWhileServingGetsItsDevice: a linked-device number
// declared while cis serve runs (here through the store, as the numbers
// page of this server or of another server of the cluster does) gets its
// device without a restart: within the lease time, the server runs it
// under its own lease (linked-device:<number>) and readiness names it;
// the number declared at start keeps its device.
func TestNumberDeclaredWhileServingGetsItsDevice(t *testing.T) {
	dir := t.TempDir()
	db := store.TestDB(filepath.Join(dir, "cis.db")) // PostgreSQL under CIS_TEST_PG_ALL
	const n1, n2 = "573001110000", "573002220000"
	numbers := writeFile(t, dir, "numbers.json", `[{"channel": "whatsapp", "number": "`+n1+`", "brand": "Norte Digital SAS"}]`)
	const ttl = 900 * time.Millisecond
	base := startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error",
		"CIS_WHATSAPP": "true", "CIS_NUMBERS": numbers, "CIS_LEASE_TTL": ttl.String()})
	readyHas := func(within time.Duration, want ...string) string {
		t.Helper()
		deadline := time.Now().Add(within)
		for {
			_, body := get(t, base+"/readyz")
			missing := slices.DeleteFunc(slices.Clone(want), func(w string) bool { return strings.Contains(body, w) })
			if len(missing) == 0 {
				return body
			}
			if time.Now().After(deadline) {
				t.Fatalf("/readyz lacks %q after %v:\n%s", missing, within, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	readyHas(5*time.Second, "linked-device:"+n1+" (token")
	other, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	declared := time.Now()
	if err := other.DeclareNumber(context.Background(), store.Number{Channel: bot.WhatsAppChannel, Address: n2, Brand: "Sur Creativo Ltda"}, 0, ""); err != nil {
		t.Fatal(err)
	}
	body := readyHas(ttl+2*time.Second, "whatsapp +"+n2, "linked-device:"+n2+" (token")
	t.Logf("device of the number declared while serving held %v after the declaration", time.Since(declared).Round(10*time.Millisecond))
	if !strings.Contains(body, "linked-device:"+n1+" (token") {
		t.Errorf("the first number's device was dropped:\n%s", body)
	}
}

// TestNumberDeclaredOnAnotherServerOnPostgres: two cis serve on one
// PostgreSQL; a linked-device number declared while they run (through a
// third handle on the database, as another server's numbers page does)
// gets its device on both without a restart: exactly one server holds its
// lease and the other stands by for it, and both name it on /readyz. The
// advisors' deadline sweep (reminders, reassignments) runs once in the
// cluster, as a job of its own, not beside every device.
func TestNumberDeclaredOnAnotherServerOnPostgres(t *testing.T) {
	url, _ := pgSchema(t) // a role of its own: whatsmeow's tables (store.TestSchema)
	dir := t.TempDir()
	const n1, n2 = "573001110000", "573002220000"
	numbers := writeFile(t, dir, "numbers.json", `[{"channel": "whatsapp", "number": "`+n1+`", "brand": "Norte Digital SAS"}]`)
	env := map[string]string{"CIS_DB": url, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error",
		"CIS_WHATSAPP": "true", "CIS_NUMBERS": numbers, "CIS_LEASE_TTL": "900ms", "CIS_ADVISORS": "ana=+573000000001"}
	_, a := serveUntil(t, env)
	waitReadyz(t, a, "linked-device:"+n1+" (token")
	_, b := serveUntil(t, env)
	waitReadyz(t, b, "linked-device:"+n1+" (held by ")
	other, err := store.Open(context.Background(), url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.DeclareNumber(context.Background(), store.Number{Channel: bot.WhatsAppChannel, Address: n2, Brand: "Sur Creativo Ltda"}, 0, ""); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{a, b} {
		waitReadyz(t, base, "whatsapp +"+n2)
	}
	// One holds it, the other stands by for it (read until both have tried it).
	var bodies [2]string
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		held, standby := 0, 0
		for i, base := range []string{a, b} {
			_, bodies[i] = get(t, base+"/readyz")
			held += strings.Count(bodies[i], "linked-device:"+n2+" (token")
			standby += strings.Count(bodies[i], "linked-device:"+n2+" (held by ")
		}
		sweeps := strings.Count(bodies[0]+bodies[1], "job:advisor-deadlines (token")
		if held == 1 && standby == 1 && sweeps == 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("+%s's device: held by %d servers, %d standing by; deadline sweeps on %d; want 1, 1, 1:\n%s\n%s", n2, held, standby, sweeps, bodies[0], bodies[1])
		}
	}
}

// TestSingleDeviceGivesWayToDeclaredNumbers: cis serve --whatsapp started
// with no number declared runs the single device; once a linked-device
// number is declared while it runs (the operator's first, on the numbers
// page), the single device stops and releases its lease, and the declared
// number's device runs under its own lease, without a restart.
func TestSingleDeviceGivesWayToDeclaredNumbers(t *testing.T) {
	dir := t.TempDir()
	db := store.TestDB(filepath.Join(dir, "cis.db")) // PostgreSQL under CIS_TEST_PG_ALL
	const n1 = "573001110000"
	base := startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error",
		"CIS_WHATSAPP": "true", "CIS_LEASE_TTL": "900ms"})
	waitReadyz(t, base, "linked-device:default (token")
	other, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.DeclareNumber(context.Background(), store.Number{Channel: bot.WhatsAppChannel, Address: n1, Brand: "Norte Digital SAS"}, 0, ""); err != nil {
		t.Fatal(err)
	}
	body := waitReadyz(t, base, "linked-device:"+n1+" (token")
	if !strings.Contains(body, "whatsapp +"+n1) || strings.Contains(body, "linked-device:default") {
		t.Errorf("/readyz after the first number was declared:\n%s\nwant its device, the single one gone", body)
	}
	ls, err := other.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == "linked-device:default" && l.Expires.After(time.Now()) {
			t.Errorf("the single device's lease is still held: %+v", l)
		}
	}
}
