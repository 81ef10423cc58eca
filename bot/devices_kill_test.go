package bot

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Several linked devices on several servers (issue 16): two servers (real
// processes: this test binary run again as TestDevicesServerChild) on one
// PostgreSQL share two linked devices of two brands, each device owned
// through its own lease. Whole conversations go to both devices; the owner
// of the first device is killed with SIGKILL under load; the other server
// must own and connect both devices within the lease time, and at the end
// every message is stored once and answered from the device it was written
// to, as that number's brand, with no reply sent twice and no device ever
// connected by two servers at once.

// linkedNumber is one device of TestTwoDevicesTwoServersKill.
type linkedNumber struct {
	number, brand string
	wa            *fakeWhatsApp
	url           string
}

func TestTwoDevicesTwoServersKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two servers")
	}
	base := store.TestCluster(t)
	dbURL, raw := pgSchema(t, base)
	ctx := context.Background()
	devs := []*linkedNumber{{number: "573001110000", brand: "Norte Digital SAS"}, {number: "573002220000", brand: "Sur Creativo Ltda"}}
	st, err := store.Open(ctx, dbURL, store.Options{}) // migrates once
	if err != nil {
		t.Fatal(err)
	}
	var spec []string
	for _, d := range devs {
		if err := st.DeclareNumber(ctx, store.Number{Channel: WhatsAppChannel, Address: d.number, Brand: d.brand}, 0, ""); err != nil {
			t.Fatal(err)
		}
		d.wa = newFakeWhatsApp()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: d.wa, ReadHeaderTimeout: 5 * time.Second}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })
		d.url = "http://" + ln.Addr().String()
		spec = append(spec, d.number+"="+d.url)
	}
	defer st.Close()
	servers := map[string]*exec.Cmd{}
	for i := range 2 {
		owner := fmt.Sprintf("server-%d", i+1)
		servers[owner] = startDevicesChild(t, dbURL, strings.Join(spec, ","), owner)
	}
	waitDeviceOwners(t, raw, devs, "", 30*time.Second)
	owners := waitSpread(t, raw, devs, 4*clusterTTL)
	killed := owners[devs[0].number]
	t.Logf("device owners before the kill: %v", owners)
	const people = 6
	script := []string{"hola", "sí acepto", "Carlos Pérez", "medallo", "2 millones", "pa' ya", "pauta en redes"}
	var killedAt time.Time
	for step := range script {
		for _, d := range devs {
			for p := range people {
				d.wa.add(waWire{ID: fmt.Sprintf("%s-M%02d%02d", d.number[5:7], p, step), From: fmt.Sprintf("5730055%05d", p), Text: script[step], At: time.Now()})
			}
		}
		if step == len(script)/2 { // under load, while it stores this step: kill -9 the first device's owner
			time.Sleep(30 * time.Millisecond)
			if err := servers[killed].Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killedAt = time.Now()
		}
		// A person answers once they read the question: every message of
		// the step stored and its replies sent before the next step.
		for _, d := range devs {
			waitSettled(t, d.wa, raw, 0, 30*time.Second)
		}
	}
	after := waitDeviceOwners(t, raw, devs, killed, 4*clusterTTL)
	t.Logf("device owners after killing %s: %v", killed, after)
	for _, d := range devs {
		if after[d.number] == killed {
			t.Fatalf("%s still owned by the killed server", d.number)
		}
		if owners[d.number] != killed {
			t.Logf("%s: stayed with %s", d.number, after[d.number])
			continue
		}
		took := connectedAfter(d.wa, after[d.number], killedAt, 4*clusterTTL)
		t.Logf("%s: connected by %s %v after the kill", d.number, after[d.number], took)
		if took == 0 || took > clusterTTL+clusterTTL/6+time.Second {
			t.Errorf("%s taken over after %v; want within the lease time %v (+ one poll)", d.number, took, clusterTTL)
		}
	}
	for _, d := range devs {
		waitSettled(t, d.wa, raw, 0, 90*time.Second)
	}
	checkDevices(t, raw, devs, people, len(script))
}

// waitDeviceOwners waits until every device's lease is held, live, by a
// server other than not, and returns the owners by number.
func waitDeviceOwners(t *testing.T, raw *sql.DB, devs []*linkedNumber, not string, within time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		out := map[string]string{}
		for _, d := range devs {
			var owner string
			var expires int64
			err := raw.QueryRow(`SELECT owner, expires_at FROM leases WHERE name = $1`, LinkedDeviceLease(d.number)).Scan(&owner, &expires)
			if err == nil && owner != not && time.UnixMilli(expires).After(time.Now()) {
				out[d.number] = owner
			}
		}
		if len(out) == len(devs) {
			return out
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("the devices' leases not all held by a server other than %q within %v", not, within)
	return nil
}

// waitSpread waits until the two servers own one device each (the fair
// share: whichever started first took one, and left the other to the
// second), and returns the owners by number.
func waitSpread(t *testing.T, raw *sql.DB, devs []*linkedNumber, within time.Duration) map[string]string {
	t.Helper()
	deadline := time.Now().Add(within)
	var owners map[string]string
	for time.Now().Before(deadline) {
		owners = waitDeviceOwners(t, raw, devs, "", within)
		if owners[devs[0].number] != owners[devs[1].number] {
			return owners
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("devices not spread over the two servers within %v: %v", within, owners)
	return nil
}

// connectedAfter is how long after since owner connected wa's device (0:
// not within the time given).
func connectedAfter(wa *fakeWhatsApp, owner string, since time.Time, within time.Duration) time.Duration {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		wa.mu.Lock()
		for _, c := range wa.connects {
			if c.owner == owner && c.at.After(since) {
				wa.mu.Unlock()
				return c.at.Sub(since)
			}
		}
		wa.mu.Unlock()
		time.Sleep(20 * time.Millisecond)
	}
	return 0
}

// checkDevices: every message stored once and acknowledged by its device;
// every reply sent at most once, through the device its prospect wrote
// to, naming that device's brand and never the other's; no device
// connected by two servers at once; every conversation completed.
func checkDevices(t *testing.T, raw *sql.DB, devs []*linkedNumber, people, steps int) {
	t.Helper()
	var stored, distinct int
	if err := raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT ext_id) FROM messages WHERE channel = 'whatsapp'`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	if want := len(devs) * people * steps; stored != want || distinct != want {
		t.Errorf("stored %d (distinct %d); want %d: none lost, none twice", stored, distinct, want)
	}
	var done int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM conversations c JOIN accounts a ON a.id = c.account_id
		WHERE a.channel = 'whatsapp' AND c.status = 'completed'`).Scan(&done); err != nil {
		t.Fatal(err)
	}
	if done != len(devs)*people {
		t.Errorf("%d conversations completed; want %d: %s", done, len(devs)*people, conversationSteps(t, raw))
	}
	for i, d := range devs {
		other := devs[1-i]
		d.wa.mu.Lock()
		byID, greeted := map[string]int{}, map[string]bool{}
		for _, o := range d.wa.sent {
			byID[o.ID]++
			if strings.Contains(o.Text, "*"+d.brand+"*") {
				greeted[o.To] = true
			}
			if strings.Contains(o.Text, other.brand) {
				t.Errorf("%s sent a reply naming the other brand: %q", d.number, o.Text)
			}
		}
		for id, n := range byID {
			if n > 1 {
				t.Errorf("%s: reply %s sent %d times", d.number, id, n)
			}
		}
		t.Logf("%s: acknowledged %d, replies %d, connects %d, stream-replaced %d, refused sends %d",
			d.number, len(d.wa.acked), len(d.wa.sent), len(d.wa.connects), d.wa.replaced, d.wa.refused)
		if len(d.wa.acked) != people*steps {
			t.Errorf("%s: %d acknowledged; want %d", d.number, len(d.wa.acked), people*steps)
		}
		if len(greeted) != people {
			t.Errorf("%s: %d prospects got the consent naming %q; want %d", d.number, len(greeted), d.brand, people)
		}
		if d.wa.replaced != 0 {
			t.Errorf("%s: stream replaced %d times", d.number, d.wa.replaced)
		}
		d.wa.mu.Unlock()
	}
}

func startDevicesChild(t *testing.T, dbURL, devices, owner string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestDevicesServerChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CIS_DEVICES_CHILD=1", "CIS_CLUSTER_DB="+dbURL, "CIS_DEVICES="+devices, "CIS_CLUSTER_OWNER="+owner)
	return startChild(t, cmd, owner)
}

// TestDevicesServerChild is one server of TestTwoDevicesTwoServersKill (run
// only as its child process): the bot and one linked-device channel per
// declared number, each connected under its own lease, as cis serve wires
// them (cmd/cis/serve_devices.go).
func TestDevicesServerChild(t *testing.T) {
	if os.Getenv("CIS_DEVICES_CHILD") == "" {
		t.Skip("a child process of TestTwoDevicesTwoServersKill")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	owner := os.Getenv("CIS_CLUSTER_OWNER")
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	st, err := store.Open(ctx, os.Getenv("CIS_CLUSTER_DB"), store.Options{Owner: owner, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := flow.New(flow.DefaultConfig(time.UTC), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(Deps{Store: st, Flow: m, Now: time.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.TakeLease(ctx, store.ProcessLease(owner), clusterTTL); err != nil {
		t.Fatal(err)
	}
	alive := &Lease{Store: st, Name: store.ProcessLease(owner), TTL: clusterTTL, Log: log}
	parts := []func(context.Context) error{
		func(ctx context.Context) error {
			return alive.Run(ctx, func(ctx context.Context, _ store.Fence) error { <-ctx.Done(); return nil })
		},
		func(ctx context.Context) error { // cis serve's cluster-orphans loop
			for sleepCtx(ctx, clusterTTL) == nil {
				if _, err := st.ReleaseOrphans(ctx, WhatsAppChannel, time.Now()); err != nil {
					return err
				}
			}
			return nil
		},
	}
	spread := NewSpread(st, clusterTTL, log)
	for _, spec := range strings.Split(os.Getenv("CIS_DEVICES"), ",") {
		number, waURL, _ := strings.Cut(spec, "=")
		w, err := NewWhatsApp(b, st, WhatsAppConfig{Debounce: 300 * time.Millisecond, Typing: 5 * time.Millisecond,
			PerRecipientGap: 5 * time.Millisecond, PerMinute: 100000, OfflineSync: 300 * time.Millisecond, ReconnectMin: 200 * time.Millisecond,
			Number: number}, log.With("device", number))
		if err != nil {
			t.Fatal(err)
		}
		device := &Lease{Store: st, Name: LinkedDeviceLease(number), TTL: clusterTTL, Log: log, Defer: spread.Defer}
		open := func(context.Context) (Device, error) {
			return &remoteDevice{base: waURL, owner: owner, account: number}, nil
		}
		parts = append(parts, w.Run, func(ctx context.Context) error { return w.LinkLeased(ctx, device, open, spread.Watch(device.Name)) })
	}
	if err := runParts(ctx, parts); err != nil {
		t.Fatal(err)
	}
}

// conversationSteps counts the linked-device conversations by status and step.
func conversationSteps(t *testing.T, raw *sql.DB) string {
	rows, err := raw.Query(`SELECT status, step, COUNT(*) FROM conversations GROUP BY status, step ORDER BY 1, 2`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var status, step string
		var n int
		if err := rows.Scan(&status, &step, &n); err != nil {
			return err.Error()
		}
		out = append(out, fmt.Sprintf("%s/%s: %d", status, step, n))
	}
	return strings.Join(out, ", ")
}
