package main

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// TestPairRefusesWhileAServerRuns: cis pair on a store a running server
// holds would link a device the server never uses; it refuses and points
// to the dashboard instead, before touching the device store. What a
// server holds is the file lock on SQLite, its linked-device lease on
// PostgreSQL (CIS_TEST_PG_ALL: the store's URL is passed as the
// operator would).
func TestPairRefusesWhileAServerRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cis.db")
	createStore(t, path)
	db := store.TestDB(path)
	holdLikeAServer(t, db, bot.LinkedDeviceLease("default"))
	_, err := runCmd(t, map[string]string{"CIS_DB": db}, "", "pair")
	if !errors.Is(err, errServerRunning) || !strings.Contains(err.Error(), "/admin/pairing") {
		t.Fatalf("pair while serving: %v; want the refusal naming the dashboard", err)
	}
	if _, err := runCmd(t, map[string]string{"CIS_DB": db, "CIS_WHATSAPP_NUMBER": "0300 12"}, "", "pair"); err == nil ||
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
	out, err := runCmd(t, map[string]string{"CIS_DB": store.TestDB(path)}, "", "pair")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Already paired as +573009990000", "1 more linked device", "+573009990000 · device 21", "Linked devices"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// holdLikeAServer holds, until t ends, what a running cis serve holds on
// db: the file lock of a SQLite store; on PostgreSQL the linked-device
// lease name, taken by a store of its own (another process's owner).
func holdLikeAServer(t *testing.T, db, name string) *store.Store {
	t.Helper()
	if !store.IsPostgres(db) {
		lock, err := store.Lock(db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = lock.Unlock() })
		return nil
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, held, err := st.TakeLease(context.Background(), name, time.Minute); err != nil || !held {
		t.Fatalf("the server's lease %s: held %v, %v", name, held, err)
	}
	return st
}

// TestPairOnPostgresTakesTheNumbersLease: on PostgreSQL, where several
// servers share the database and no file lock exists, cis pair pairs the
// chosen declared number under that number's linked-device lease: it
// refuses (naming the lease and the server) while a server holds it,
// pairs another number meanwhile, takes that number's lease itself while
// pairing and releases it when it ends (so a server connects the device at
// once); a killed server's expired lease does not block it; and with no
// number declared, any server holding a linked device blocks it.
func TestPairOnPostgresTakesTheNumbersLease(t *testing.T) {
	ctx := context.Background()
	url, _ := pgSchema(t)
	createStore(t, url)
	n1, n2 := "573001110000", "573002220000"
	server := holdLikeAServer(t, url, bot.LinkedDeviceLease(n1))
	for _, n := range []string{n1, n2} {
		if err := server.DeclareNumber(ctx, store.Number{Channel: bot.WhatsAppChannel, Address: n, Brand: "Marca " + n}, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	pair := func(number string) error {
		_, err := runCmd(t, map[string]string{"CIS_DB": url, "CIS_WHATSAPP_NUMBER": number}, "", "pair", "--timeout", "2s")
		return err
	}
	err := pair(n1)
	if !errors.Is(err, errServerRunning) || !strings.Contains(err.Error(), "linked-device:"+n1) || !strings.Contains(err.Error(), server.Owner()) {
		t.Fatalf("pair +%s while a server holds its device: %v; want the refusal naming the lease and the server", n1, err)
	}
	// The other number pairs (here no WhatsApp answers: it ends in an
	// error or its timeout, not a refusal), under its own lease, released after.
	if err := pair(n2); errors.Is(err, errServerRunning) {
		t.Fatalf("pair +%s, whose device no server holds: %v", n2, err)
	}
	l := leaseNamed(t, server, bot.LinkedDeviceLease(n2))
	if l.Owner == "" || l.Owner == server.Owner() || l.Token < 1 || l.Expires.After(time.Now()) {
		t.Errorf("lease of +%s after cis pair: %+v; want taken by cis pair, then released", n2, l)
	}
	if _, held, err := server.TakeLease(ctx, bot.LinkedDeviceLease(n2), time.Minute); err != nil || !held {
		t.Errorf("a server takes +%s's device after cis pair: held %v, %v", n2, held, err)
	}
	// A server killed: its last heartbeat's lease runs out, and pair goes ahead.
	if _, _, err := server.TakeLease(ctx, bot.LinkedDeviceLease(n1), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	if err := pair(n1); errors.Is(err, errServerRunning) {
		t.Errorf("pair +%s after its server's lease expired: %v", n1, err)
	}

	// No number declared: the single device. A server holding it under
	// any name (started with or without --whatsapp-number) blocks pair.
	single, _ := pgSchema(t)
	createStore(t, single)
	holdLikeAServer(t, single, bot.LinkedDeviceLease(n1))
	_, err = runCmd(t, map[string]string{"CIS_DB": single}, "", "pair", "--timeout", "2s")
	if !errors.Is(err, errServerRunning) {
		t.Errorf("pair the single device while a server runs it: %v; want the refusal", err)
	}
}

// leaseNamed is lease name as st reads it.
func leaseNamed(t *testing.T, st *store.Store, name string) store.Lease {
	t.Helper()
	ls, err := st.Leases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no lease %s", name)
	return store.Lease{}
}
