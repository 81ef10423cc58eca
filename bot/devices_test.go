package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	wastore "go.mau.fi/whatsmeow/store"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// device is one linked device of a twoDevices installation: its channel,
// its in-memory client and its number.
type device struct {
	number string
	wa     *WhatsApp
	client *fakeClient
}

// twoDevices is an installation with two declared linked-device numbers
// of two brands, each a channel of its own on one bot and one store, as
// cis serve runs them (one client per device of the shared device store).
func twoDevices(t *testing.T, h *harness) []*device {
	t.Helper()
	ctx := context.Background()
	brands := map[string]string{"573001110000": "Norte Digital SAS", "573002220000": "Sur Creativo Ltda"}
	var out []*device
	for _, number := range []string{"573001110000", "573002220000"} {
		if err := h.st.DeclareNumber(ctx, store.Number{Channel: WhatsAppChannel, Address: number, Brand: brands[number]}, 0, ""); err != nil {
			t.Fatal(err)
		}
		wa, err := NewWhatsApp(h.bot, h.st, WhatsAppConfig{Debounce: 3 * time.Second, Typing: time.Millisecond,
			PerRecipientGap: time.Millisecond, PerMinute: 1000, Number: number,
			Sleep: func(_ context.Context, d time.Duration) error { h.clock.Add(d); return nil }}, nil)
		if err != nil {
			t.Fatal(err)
		}
		d := &device{number: number, wa: wa, client: &fakeClient{connected: true}}
		wa.Attach(d.client, fakeLIDs{}, number)
		out = append(out, d)
	}
	return out
}

// say delivers text from phone to d as whatsmeow's event, then lets the
// debounce pass and flushes every device (each sends only its own replies).
func say(t *testing.T, h *harness, ds []*device, d *device, phone, id, text string) {
	t.Helper()
	h.clock.Add(time.Minute)
	jid := types.NewJID(strings.TrimPrefix(phone, "+"), types.DefaultUserServer)
	evt := waText(id, text, h.clock.Now())
	evt.Info.Chat, evt.Info.Sender = jid, jid
	if !d.wa.HandleEvent(evt) {
		t.Fatalf("%s: not acknowledged", id)
	}
	h.clock.Add(4 * time.Second)
	for range 20 {
		n := 0
		for _, x := range ds {
			k, err := x.wa.Flush(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			n += k
		}
		if n == 0 {
			return
		}
	}
}

// sentTo is what d's client sent to phone.
func (d *device) sentTo(phone string) []string {
	d.client.mu.Lock()
	defer d.client.mu.Unlock()
	var out []string
	for _, s := range d.client.sent {
		if "+"+s.to.User == phone {
			out = append(out, s.text)
		}
	}
	return out
}

// TestTwoLinkedDevicesOneProcess (issue 16, several numbers): two linked
// devices of two brands in one process. A whole conversation on each (and
// the same person on both) is answered from the device written to, with
// that number's brand as the data controller in the greeting and consent,
// and becomes a completed conversation of that number; no reply leaves
// through the other device. On SQLite and on PostgreSQL.
func TestTwoLinkedDevicesOneProcess(t *testing.T) {
	bothStores(t, func(t *testing.T, h *harness) {
		ds := twoDevices(t, h)
		chats := []struct {
			dev          *device
			phone        string
			brand, other string
		}{
			{ds[0], "+573005550001", "Norte Digital SAS", "Sur Creativo Ltda"},
			{ds[1], "+573005550002", "Sur Creativo Ltda", "Norte Digital SAS"},
			{ds[1], "+573005550001", "Sur Creativo Ltda", "Norte Digital SAS"}, // the same person on the other number
		}
		for i, c := range chats {
			for j, text := range []string{"hola", "sí", "Carlos Pérez", "Cali", "2 millones", "pa' ya", "una página web"} {
				say(t, h, ds, c.dev, c.phone, fmt.Sprintf("WA%d%02d", i, j), text)
			}
		}
		for _, c := range chats {
			got := c.dev.sentTo(c.phone)
			all := strings.Join(got, "\n")
			if len(got) < 7 || !strings.Contains(got[0]+got[1], "*"+c.brand+"*") {
				t.Errorf("%s on %s: replies %q; want the greeting and consent naming %q", c.phone, c.dev.number, got, c.brand)
			}
			if strings.Contains(all, c.other) || strings.Contains(all, "Agencia Demo") {
				t.Errorf("%s on %s: a reply names another controller: %q", c.phone, c.dev.number, all)
			}
			v, err := h.st.Conversation(context.Background(), WhatsAppChannel, c.dev.number, c.phone)
			if err != nil || v.State.Status != flow.Completed {
				t.Errorf("%s on %s: conversation %+v, %v; want completed", c.phone, c.dev.number, v.State, err)
			}
		}
		// The second prospect wrote only to the second number: nothing to them left through the first.
		if got := ds[0].sentTo("+573005550002"); len(got) != 0 {
			t.Errorf("%d replies to the second number's prospect left through the first device: %q", len(got), got)
		}
		// The first device sent exactly its one conversation's replies.
		if a, b := len(ds[0].client.sent), len(ds[0].sentTo("+573005550001")); a != b {
			t.Errorf("first device sent %d messages, %d of them to its one prospect", a, b)
		}
	})
}

// TestChooseDeviceFor: a number's device is its own (the lowest device id
// when linked twice), never another number's; none makes a new one.
func TestChooseDeviceFor(t *testing.T) {
	dev := func(user string, id uint16) *wastore.Device {
		j := types.JID{User: user, Device: id, Server: types.DefaultUserServer}
		return &wastore.Device{ID: &j}
	}
	all := []*wastore.Device{dev("573002220000", 3), dev("573001110000", 9), nil, dev("573001110000", 4), {}}
	cases := []struct {
		number     string
		wantDevice uint16 // 0: none
		wantOthers int
	}{
		{"573001110000", 4, 1},
		{"573002220000", 3, 0},
		{"573003330000", 0, 0},
	}
	for _, c := range cases {
		got, others := ChooseDeviceFor(all, c.number)
		switch {
		case c.wantDevice == 0 && got != nil:
			t.Errorf("%s: chose %v; want none (a new device)", c.number, got.ID)
		case c.wantDevice != 0 && (got == nil || got.ID.User != c.number || got.ID.Device != c.wantDevice):
			t.Errorf("%s: chose %v; want its device %d", c.number, got, c.wantDevice)
		}
		if len(others) != c.wantOthers {
			t.Errorf("%s: others %v; want %d", c.number, others, c.wantOthers)
		}
	}
}

// TestOpenClientForSharedDeviceStore: on one device store holding two
// numbers' devices, each number opens its own device, a number with none
// a new unpaired one (never another number's), and a phone of another
// account that scans that device's code is refused with both numbers named.
func TestOpenClientForSharedDeviceStore(t *testing.T) {
	db := deviceDB(t)
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	cli, err := OpenClientFor(ctx, db, "573001110000", log)
	if err != nil {
		t.Fatal(err)
	}
	savePairedDevice(t, cli, "573001110000", 7)
	savePairedDevice(t, cli, "573002220000", 4)
	for number, want := range map[string]string{"573001110000": "573001110000:7@s.whatsapp.net", "573002220000": "573002220000:4@s.whatsapp.net"} {
		c, err := OpenClientFor(ctx, db, number, log)
		if err != nil || c.Store.ID == nil || c.Store.ID.String() != want || len(c.Others) != 0 {
			t.Errorf("%s: opened %v (others %v), %v; want %s", number, c.Store.ID, c.Others, err, want)
		}
	}
	c, err := OpenClientFor(ctx, db, "573003330000", log)
	if err != nil || c.Store.ID != nil {
		t.Fatalf("a number without a device opened %v, %v; want a new unpaired device", c.Store.ID, err)
	}
	scanned := types.NewJID("573001110000", types.DefaultUserServer)
	if c.allowPairing(scanned, "", "") {
		t.Fatal("another number's phone may pair this number's device")
	}
	var wrong *WrongNumberError
	if err := c.explain(whatsmeow.ErrPairRejectedLocally); !errors.As(err, &wrong) || wrong.Scanned != "573001110000" || wrong.Want != "573003330000" {
		t.Errorf("refusal = %v; want one naming the scanned and the declared number", err)
	}
	if !c.allowPairing(types.NewJID("573003330000", types.DefaultUserServer), "", "") {
		t.Error("the declared number's own phone may not pair")
	}
	if _, err := OpenClientFor(ctx, db, "", log); err == nil {
		t.Error("a device without a number was opened")
	}
}

// TestSpreadHandsBackADevice: a server holding both devices while another
// live server holds none hands back exactly one (the last by name), and
// defers free devices to the other; the other does not defer.
func TestSpreadHandsBackADevice(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cis.db")
	open := func(owner string) *store.Store {
		st, err := store.Open(ctx, path, store.Options{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, b := open("server-a"), open("server-b")
	const ttl = 900 * time.Millisecond
	for _, take := range []struct {
		st   *store.Store
		name string
	}{{a, store.ProcessLease("server-a")}, {b, store.ProcessLease("server-b")},
		{a, LinkedDeviceLease("573001110000")}, {a, LinkedDeviceLease("573002220000")}} {
		if _, held, err := take.st.TakeLease(ctx, take.name, time.Minute); err != nil || !held {
			t.Fatalf("%s: %v, %v", take.name, held, err)
		}
	}
	sa, sb := NewSpread(a, ttl, nil), NewSpread(b, ttl, nil)
	if !sa.Defer(ctx) || sb.Defer(ctx) {
		t.Errorf("defer: a (two devices) %v, b (none) %v; want a to leave free devices to b", sa.Defer(ctx), sb.Defer(ctx))
	}
	wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	handed := make(chan string, 2)
	for _, n := range []string{"573001110000", "573002220000"} {
		go func() {
			_ = sa.Watch(LinkedDeviceLease(n))(wctx)
			if wctx.Err() == nil {
				handed <- n
			}
		}()
	}
	select {
	case n := <-handed:
		if n != "573002220000" {
			t.Errorf("handed back %s; want the last by name", n)
		}
	case <-wctx.Done():
		t.Fatal("no device handed back to the server with none")
	}
	select {
	case n := <-handed:
		t.Errorf("handed back %s too: both devices left server-a", n)
	case <-time.After(3 * ttl / 2):
	}
}

// TestSpreadIgnoresCisPair: cis pair holds a device's lease while it
// pairs, but it is no server (no process lease): a server holding several
// devices neither leaves free devices to it nor hands one back to it
// (which it would never take: the device would flap offline).
func TestSpreadIgnoresCisPair(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cis.db")
	open := func(owner string) *store.Store {
		st, err := store.Open(ctx, path, store.Options{Owner: owner})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	a, pair := open("server-a"), open("cis-pair")
	const ttl = 900 * time.Millisecond
	numbers := []string{"573001110000", "573002220000", "573003330000"}
	for _, name := range []string{store.ProcessLease("server-a"), LinkedDeviceLease(numbers[0]), LinkedDeviceLease(numbers[1]), LinkedDeviceLease(numbers[2])} {
		if _, held, err := a.TakeLease(ctx, name, time.Minute); err != nil || !held {
			t.Fatalf("%s: %v, %v", name, held, err)
		}
	}
	if _, held, err := pair.TakeLease(ctx, LinkedDeviceLease("573004440000"), time.Minute); err != nil || !held {
		t.Fatal(held, err)
	}
	sa := NewSpread(a, ttl, nil)
	if sa.Defer(ctx) {
		t.Error("server-a leaves free devices to cis pair")
	}
	wctx, cancel := context.WithTimeout(ctx, 3*ttl/2)
	defer cancel()
	if sa.Watch(LinkedDeviceLease(numbers[2]))(wctx); wctx.Err() == nil {
		t.Error("server-a handed a device back to cis pair")
	}
}
