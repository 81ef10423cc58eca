package bot

import (
	"bufio"
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.mau.fi/whatsmeow"
	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// The kill -9 must-show of issue 16: three servers (real processes: this
// test binary run again as TestClusterServerChild) on one PostgreSQL share
// one linked device through its lease. The WhatsApp side is an in-memory
// stand-in served by the test (fakeWhatsApp): one connection per session,
// inbound messages delivered until acknowledged (a connection cut before
// the acknowledgement gets them again, as WhatsApp's offline queue does),
// whatsmeow's events in between. Under load the owner is killed with
// SIGKILL; another server must take the lease within the lease time, and
// at the end every message is stored once and answered, no reply is sent
// twice, and no server ever connected while another was connected
// (stream-replaced).

const (
	clusterTTL     = 3 * time.Second
	clusterAccount = "573009990000"
)

// waWire is one inbound message on the stand-in's stream.
type waWire struct {
	ID   string    `json:"id"`
	From string    `json:"from"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// waOut is one message a server sent through the stand-in.
type waOut struct {
	Owner string `json:"owner"`
	To    string `json:"to"`
	ID    string `json:"id"`
	Text  string `json:"text"`
}

// fakeWhatsApp is WhatsApp as the linked device sees it: a session with at
// most one connection.
type fakeWhatsApp struct {
	mu       sync.Mutex
	queue    []waWire        // not yet acknowledged, in order
	given    map[string]bool // delivered on the current connection, not acknowledged
	acked    map[string]int
	given2   map[string]int // deliveries per message, over every connection
	conn     *waConn        // the current connection; nil when none
	connects []waConnect
	replaced int     // a connection made while another was open
	sent     []waOut // accepted sends
	refused  int     // sends from a server not connected
	wake     chan struct{}
}

type waConn struct {
	owner string
	kick  chan struct{}
}

type waConnect struct {
	owner string
	at    time.Time
}

func newFakeWhatsApp() *fakeWhatsApp {
	return &fakeWhatsApp{given: map[string]bool{}, acked: map[string]int{}, given2: map[string]int{}, wake: make(chan struct{}, 1)}
}

func (f *fakeWhatsApp) nudge() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

func (f *fakeWhatsApp) add(m waWire) {
	f.mu.Lock()
	f.queue = append(f.queue, m)
	f.mu.Unlock()
	f.nudge()
}

func (f *fakeWhatsApp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	owner := r.URL.Query().Get("owner")
	switch r.URL.Path {
	case "/stream":
		f.stream(w, r, owner)
	case "/ack":
		f.mu.Lock()
		id := r.URL.Query().Get("id")
		f.acked[id]++
		for i, m := range f.queue {
			if m.ID == id {
				f.queue = append(f.queue[:i], f.queue[i+1:]...)
				break
			}
		}
		delete(f.given, id)
		f.mu.Unlock()
	case "/send":
		var o waOut
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.conn == nil || f.conn.owner != owner {
			f.refused++
			http.Error(w, "not connected", http.StatusConflict)
			return
		}
		f.sent = append(f.sent, o)
	}
}

// stream is one connection: it delivers what is not acknowledged until the
// server disconnects or dies (its TCP connection closes).
func (f *fakeWhatsApp) stream(w http.ResponseWriter, r *http.Request, owner string) {
	c := &waConn{owner: owner, kick: make(chan struct{})}
	f.mu.Lock()
	if f.conn != nil {
		f.replaced++ // WhatsApp would send the old one StreamReplaced
		close(f.conn.kick)
	}
	f.conn, f.given = c, map[string]bool{}
	f.connects = append(f.connects, waConnect{owner: owner, at: time.Now()})
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		if f.conn == c {
			f.conn, f.given = nil, map[string]bool{} // not acknowledged: delivered again on the next connection
		}
		f.mu.Unlock()
	}()
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	fl.Flush()
	enc := json.NewEncoder(w)
	for {
		f.mu.Lock()
		var out []waWire
		for _, m := range f.queue {
			if !f.given[m.ID] {
				f.given[m.ID] = true
				f.given2[m.ID]++
				out = append(out, m)
			}
		}
		f.mu.Unlock()
		for _, m := range out {
			if enc.Encode(m) != nil {
				return
			}
		}
		fl.Flush()
		select {
		case <-r.Context().Done():
			return
		case <-c.kick:
			return
		case <-f.wake:
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestLinkedDeviceTakeoverAfterKill is the must-show (see above).
func TestLinkedDeviceTakeoverAfterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts three servers")
	}
	base := store.TestCluster(t)
	dbURL, raw := pgSchema(t, base)
	st, err := store.Open(context.Background(), dbURL, store.Options{}) // migrates once
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	wa := newFakeWhatsApp()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: wa, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	servers := map[string]*exec.Cmd{}
	for i := range 3 {
		owner := fmt.Sprintf("server-%d", i+1)
		servers[owner] = startClusterChild(t, dbURL, "http://"+ln.Addr().String(), owner)
	}
	first := waitOwner(t, raw, "", 30*time.Second)
	const people, perPerson = 24, 8
	script := []string{"hola", "sí acepto", "Carlos Pérez", "medallo", "2 millones", "pa' ya", "pauta en redes", "gracias"}
	var killedAt time.Time
	for step := range perPerson {
		for p := range people {
			wa.add(waWire{ID: fmt.Sprintf("M%02d%02d", p, step), From: fmt.Sprintf("5730010%05d", p), Text: script[step], At: time.Now()})
		}
		if step == perPerson/2 { // under load, while it stores this step's messages: kill -9 the device's owner
			time.Sleep(30 * time.Millisecond)
			if err := servers[first].Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			killedAt = time.Now()
		}
		time.Sleep(250 * time.Millisecond)
	}
	second := waitOwner(t, raw, first, 4*clusterTTL)
	var took time.Duration // the lease is taken first, then the device connected
	eventually(t, 4*clusterTTL, second+" connects the device", func() bool {
		wa.mu.Lock()
		defer wa.mu.Unlock()
		for _, c := range wa.connects {
			if c.owner == second && c.at.After(killedAt) {
				took = c.at.Sub(killedAt)
				return true
			}
		}
		return false
	})
	t.Logf("owner %s killed; %s connected the device %v later (lease time %v)", first, second, took, clusterTTL)
	if took == 0 || took > clusterTTL+clusterTTL/6+time.Second {
		t.Errorf("takeover after %v; want within the lease time %v (+ one poll)", took, clusterTTL)
	}
	waitSettled(t, wa, raw, people*perPerson, 90*time.Second)
	checkExactlyOnce(t, wa, raw, people*perPerson)
}

// pgSchema makes a schema of the test's own (store.TestSchema: with a
// login role of its own, so whatsmeow's upgrade sees only this schema's
// tables) and returns the URL that logs in as it, and a plain handle on it.
// Both are dropped at the end (the handle is closed first: cleanups run
// last in, first out).
func pgSchema(t *testing.T, base string) (string, *sql.DB) {
	t.Helper()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	u, err := store.TestSchema(base, schema)
	if err != nil {
		t.Fatalf("PostgreSQL at CIS_TEST_PG: %v", err)
	}
	t.Cleanup(func() { store.DropTestSchema(base, schema) })
	raw, err := sql.Open("pgx", u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return u, raw
}

func startClusterChild(t *testing.T, dbURL, waURL, owner string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestClusterServerChild$", "-test.v")
	cmd.Env = append(os.Environ(), "CIS_CLUSTER_CHILD=1", "CIS_CLUSTER_DB="+dbURL, "CIS_CLUSTER_WA="+waURL, "CIS_CLUSTER_OWNER="+owner)
	return startChild(t, cmd, owner)
}

// startChild starts a server child process, logging to a file shown when
// the test fails, and stops it (SIGTERM, then SIGKILL) at the end.
func startChild(t *testing.T, cmd *exec.Cmd, owner string) *exec.Cmd {
	logf, err := os.Create(t.TempDir() + "/" + owner + ".log")
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		logf.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logf.Name())
			t.Logf("%s's log (tail):\n%s", owner, tail(string(b), 3000))
		}
	})
	return cmd
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// waitOwner waits for the linked device's lease to be held by a server
// other than not, and returns it.
func waitOwner(t *testing.T, raw *sql.DB, not string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		var owner string
		var expires int64
		err := raw.QueryRow(`SELECT owner, expires_at FROM leases WHERE name = $1`, LinkedDeviceLease(clusterAccount)).Scan(&owner, &expires)
		if err == nil && owner != not && time.UnixMilli(expires).After(time.Now()) {
			return owner
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no server other than %q took the linked device's lease within %v", not, within)
	return ""
}

// waitSettled waits until every message is acknowledged and no reply of
// the linked device is pending or being sent.
func waitSettled(t *testing.T, wa *fakeWhatsApp, raw *sql.DB, messages int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		wa.mu.Lock()
		left := len(wa.queue)
		wa.mu.Unlock()
		var open int
		if err := raw.QueryRow(`SELECT COUNT(*) FROM outbox WHERE channel = 'whatsapp' AND status IN ('pending', 'sending')`).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if left == 0 && open == 0 {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Errorf("not settled after %v", within)
}

// checkExactlyOnce: every message stored once, none lost; every reply sent
// once at most; the device never connected twice at once.
func checkExactlyOnce(t *testing.T, wa *fakeWhatsApp, raw *sql.DB, messages int) {
	t.Helper()
	var stored, distinct int
	if err := raw.QueryRow(`SELECT COUNT(*), COUNT(DISTINCT ext_id) FROM messages WHERE channel = 'whatsapp'`).Scan(&stored, &distinct); err != nil {
		t.Fatal(err)
	}
	status := map[string]int{}
	rowOf := map[string]string{} // WhatsApp message ID → its row's status
	rows, err := raw.Query(`SELECT id, status FROM outbox WHERE channel = 'whatsapp'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var s string
		if err := rows.Scan(&id, &s); err != nil {
			t.Fatal(err)
		}
		status[s]++
		rowOf[string(stableID(clusterAccount, id))] = s
	}
	rows.Close()
	wa.mu.Lock()
	defer wa.mu.Unlock()
	byID := map[string]int{}
	for _, o := range wa.sent {
		byID[o.ID]++
	}
	dup := 0
	for _, n := range byID {
		dup += n - 1
	}
	redelivered := 0
	for _, n := range wa.given2 {
		redelivered += n - 1
	}
	t.Logf("messages %d: stored %d (distinct %d), acknowledged %d (%d delivered again after the kill: not acknowledged by the killed server); replies sent %d (distinct %d); outbox %v; connects %d; stream-replaced %d; sends refused %d",
		messages, stored, distinct, len(wa.acked), redelivered, len(wa.sent), len(byID), status, len(wa.connects), wa.replaced, wa.refused)
	if stored != messages || distinct != messages || len(wa.acked) != messages {
		t.Errorf("stored %d (distinct %d), acknowledged %d; want %d each: none lost, none twice", stored, distinct, len(wa.acked), messages)
	}
	if dup != 0 {
		t.Errorf("%d replies sent twice", dup)
	}
	// Every row recorded sent reached WhatsApp; what reached it is a row
	// recorded sent, or unconfirmed: sent by the killed server, which died
	// before recording it (the crash policy does not send it again).
	// Unconfirmed and never delivered: a reply the kill cut between its
	// claim and its send, at most one (the sender's one worker).
	cut := 0
	for id, s := range rowOf {
		switch {
		case s == "sent" && byID[id] == 0:
			t.Errorf("row %s recorded sent never reached WhatsApp", id)
		case s == "unconfirmed" && byID[id] == 0:
			cut++
		}
	}
	for id := range byID {
		if s := rowOf[id]; s != "sent" && s != "unconfirmed" {
			t.Errorf("reply %s reached WhatsApp; its row is %q", id, s)
		}
	}
	t.Logf("replies cut by the kill (claimed, never delivered, not resent by policy): %d", cut)
	if cut > 1 {
		t.Errorf("%d replies cut by the kill; want at most the one in flight", cut)
	}
	if wa.replaced != 0 {
		t.Errorf("stream replaced %d times: two of our servers connected the device at once", wa.replaced)
	}
}

// TestClusterServerChild is one server of TestLinkedDeviceTakeoverAfterKill
// (run only as its child process): the bot, the linked-device channel on
// a remote stand-in device, and the leases, as cis serve wires them.
func TestClusterServerChild(t *testing.T) {
	if os.Getenv("CIS_CLUSTER_CHILD") == "" {
		t.Skip("a child process of TestLinkedDeviceTakeoverAfterKill")
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
	w, err := NewWhatsApp(b, st, WhatsAppConfig{Debounce: 300 * time.Millisecond, Typing: 5 * time.Millisecond,
		PerRecipientGap: 5 * time.Millisecond, PerMinute: 100000, OfflineSync: 300 * time.Millisecond, ReconnectMin: 200 * time.Millisecond},
		log)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.TakeLease(ctx, store.ProcessLease(owner), clusterTTL); err != nil {
		t.Fatal(err)
	}
	alive := &Lease{Store: st, Name: store.ProcessLease(owner), TTL: clusterTTL, Log: log}
	device := &Lease{Store: st, Name: LinkedDeviceLease(clusterAccount), TTL: clusterTTL, Log: log}
	open := func(context.Context) (Device, error) {
		return &remoteDevice{base: os.Getenv("CIS_CLUSTER_WA"), owner: owner}, nil
	}
	err = runParts(ctx, []func(context.Context) error{
		w.Run,
		func(ctx context.Context) error { return w.LinkLeased(ctx, device, open) },
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
	})
	if err != nil {
		t.Fatal(err)
	}
}

// remoteDevice is a linked device whose WhatsApp is fakeWhatsApp, over HTTP.
type remoteDevice struct {
	base, owner string
	account     string // the device's number; "" is clusterAccount

	mu      sync.Mutex
	handler func(any) bool
	cancel  context.CancelFunc
	up      bool
}

func (d *remoteDevice) Account() string   { return cmp.Or(d.account, clusterAccount) }
func (d *remoteDevice) LIDs() lidResolver { return fakeLIDs{} }

func (d *remoteDevice) Connect(ctx context.Context) error {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	req, err := http.NewRequestWithContext(sctx, http.MethodGet, d.base+"/stream?owner="+url.QueryEscape(d.owner), nil)
	if err != nil {
		cancel()
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		return err
	}
	d.mu.Lock()
	d.cancel, d.up = cancel, true
	h := d.handler
	d.mu.Unlock()
	h(&events.Connected{})
	h(&events.OfflineSyncCompleted{}) // the stand-in's backlog comes on the stream itself
	go d.read(resp.Body, h)
	return nil
}

// read hands each delivered message to the channel's handler and
// acknowledges it when the handler says it is stored.
func (d *remoteDevice) read(body io.ReadCloser, h func(any) bool) {
	defer body.Close()
	sc := bufio.NewScanner(body)
	for sc.Scan() {
		var m waWire
		if json.Unmarshal(sc.Bytes(), &m) != nil {
			continue
		}
		jid := types.NewJID(m.From, types.DefaultUserServer)
		evt := &events.Message{Info: types.MessageInfo{MessageSource: types.MessageSource{Chat: jid, Sender: jid}, ID: m.ID, Timestamp: m.At},
			Message: &waE2E.Message{Conversation: proto.String(m.Text)}}
		if h(evt) {
			resp, err := http.Post(d.base+"/ack?owner="+url.QueryEscape(d.owner)+"&id="+url.QueryEscape(m.ID), "text/plain", nil)
			if err == nil {
				resp.Body.Close()
			}
		}
	}
	d.mu.Lock()
	d.up = false
	d.mu.Unlock()
}

func (d *remoteDevice) Disconnect() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel != nil {
		d.cancel()
	}
	d.up = false
}

func (d *remoteDevice) SendMessage(ctx context.Context, to types.JID, m *waE2E.Message, extra ...whatsmeow.SendRequestExtra) (whatsmeow.SendResponse, error) {
	var id types.MessageID
	if len(extra) > 0 {
		id = extra[0].ID
	}
	text := m.GetConversation()
	if text == "" {
		text = m.GetExtendedTextMessage().GetText()
	}
	body, _ := json.Marshal(waOut{Owner: d.owner, To: to.User, ID: string(id), Text: text})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.base+"/send?owner="+url.QueryEscape(d.owner), strings.NewReader(string(body)))
	if err != nil {
		return whatsmeow.SendResponse{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return whatsmeow.SendResponse{}, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return whatsmeow.SendResponse{}, fmt.Errorf("send: %s", resp.Status)
	}
	return whatsmeow.SendResponse{ID: id, Timestamp: time.Now()}, nil
}

func (d *remoteDevice) SendChatPresence(context.Context, types.JID, types.ChatPresence, types.ChatPresenceMedia) error {
	return nil
}
func (d *remoteDevice) MarkRead(context.Context, []types.MessageID, time.Time, types.JID, types.JID, ...types.ReceiptType) error {
	return nil
}
func (d *remoteDevice) SendPresence(context.Context, types.Presence) error { return nil }
func (d *remoteDevice) IsConnected() bool                                  { d.mu.Lock(); defer d.mu.Unlock(); return d.up }
func (d *remoteDevice) IsLoggedIn() bool                                   { return d.IsConnected() }
func (d *remoteDevice) Logout(context.Context) error                       { return nil }
func (d *remoteDevice) Forget(context.Context) error                       { return nil }
func (d *remoteDevice) OnEvent(h func(any) bool)                           { d.mu.Lock(); d.handler = h; d.mu.Unlock() }
func (d *remoteDevice) OnRetry(func(types.JID, types.JID, types.MessageID) *waE2E.Message) {
}
func (d *remoteDevice) PairQR(ctx context.Context, _ PairUI) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}
func (d *remoteDevice) SendPasskeyResponse(context.Context, *types.WebAuthnResponse) error {
	return nil
}
func (d *remoteDevice) SendPasskeyConfirmation(context.Context) error { return nil }
func (d *remoteDevice) OtherDevices() []string                        { return nil }
