package bot

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/proto/waHistorySync"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"
	"google.golang.org/protobuf/proto"
)

// fakeDevice is a linked device driven by the reconnect loop: connects,
// disconnects and pairing are counted; Connect fails while errs last.
type fakeDevice struct {
	*fakeClient
	account   string
	logoutErr error

	mu          sync.Mutex
	errs        []error
	connects    int
	disconnects int
	loggedOut   bool
	forgotten   bool
	showed      chan struct{} // closed once PairQR showed a code
	connected   chan struct{} // closed at the first successful Connect, when set
	once        sync.Once
	// pair, when set, replaces the default PairQR (a code, then nobody scans).
	pair      func(ctx context.Context, ui PairUI) (bool, error)
	passkey   *types.WebAuthnResponse // what SendPasskeyResponse got
	confirmed bool                    // SendPasskeyConfirmation was called
	others    []string
}

func (d *fakeDevice) Account() string   { return d.account }
func (d *fakeDevice) LIDs() lidResolver { return fakeLIDs{} }
func (d *fakeDevice) Connect(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.connects++
	if len(d.errs) > 0 {
		err := d.errs[0]
		d.errs = d.errs[1:]
		return err
	}
	d.fakeClient.mu.Lock()
	d.fakeClient.connected = d.account != ""
	d.fakeClient.mu.Unlock()
	if d.connected != nil {
		d.once.Do(func() { close(d.connected) })
	}
	return nil
}
func (d *fakeDevice) Disconnect() {
	d.mu.Lock()
	d.disconnects++
	d.mu.Unlock()
	d.fakeClient.mu.Lock()
	d.fakeClient.connected = false
	d.fakeClient.mu.Unlock()
}
func (d *fakeDevice) Logout(context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.loggedOut = d.logoutErr == nil
	return d.logoutErr
}
func (d *fakeDevice) Forget(context.Context) error {
	d.mu.Lock()
	d.forgotten = true
	d.mu.Unlock()
	return nil
}
func (d *fakeDevice) OnEvent(func(any) bool)                                             {}
func (d *fakeDevice) OnRetry(func(types.JID, types.JID, types.MessageID) *waE2E.Message) {}
func (d *fakeDevice) PairQR(ctx context.Context, ui PairUI) (bool, error) {
	if d.pair != nil {
		return d.pair(ctx, ui)
	}
	ui.Code("2@fresh,code", time.Minute)
	close(d.showed)
	<-ctx.Done() // nobody scans in these tests
	return false, ctx.Err()
}
func (d *fakeDevice) SendPasskeyResponse(_ context.Context, r *types.WebAuthnResponse) error {
	d.mu.Lock()
	d.passkey = r
	d.mu.Unlock()
	return nil
}
func (d *fakeDevice) SendPasskeyConfirmation(context.Context) error {
	d.mu.Lock()
	d.confirmed = true
	d.mu.Unlock()
	return nil
}
func (d *fakeDevice) OtherDevices() []string { return d.others }

func (d *fakeDevice) counts() (connects, disconnects int) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.connects, d.disconnects
}

// linkEnv drives the reconnect loop step by step: every event goes through
// the channel's handler (state) and then to the loop (action), as in Link.
type linkEnv struct {
	*waEnv
	l       *link
	devices []*fakeDevice // every device opened, in order
	ctx     context.Context
}

func newLinkEnv(t *testing.T, paired bool, connectErrs ...error) *linkEnv {
	t.Helper()
	e := &linkEnv{waEnv: newWAEnv(t)}
	ctx, cancel := context.WithCancel(context.Background())
	e.ctx = ctx
	account := ""
	if paired {
		account = agencyNumber
	}
	open := func(context.Context) (Device, error) {
		d := &fakeDevice{fakeClient: &fakeClient{}, account: account, errs: connectErrs, showed: make(chan struct{})}
		account, connectErrs = "", nil // after a logout WhatsApp gives a new, unpaired device
		e.devices = append(e.devices, d)
		return d, nil
	}
	e.l = &link{w: e.wa, open: open, backoff: e.wa.cfg.ReconnectMin}
	if err := e.l.start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); e.l.stop() })
	return e
}

func (e *linkEnv) fire(t *testing.T, evt any) {
	t.Helper()
	e.wa.HandleEvent(evt)
	select {
	case got := <-e.wa.linkEvents:
		if err := e.l.handle(e.ctx, got); err != nil {
			t.Fatal(err)
		}
	default: // not an event the loop acts on
	}
}

func (e *linkEnv) backoffs() []time.Duration {
	var out []time.Duration
	for _, d := range e.sleeps {
		if d != e.wa.cfg.Typing && d < time.Hour { // the typing pause is not a backoff
			out = append(out, d)
		}
	}
	return out
}

func TestLinkReconnectsWithBackoff(t *testing.T) {
	refused := errors.New("dial tcp: connection refused")
	e := newLinkEnv(t, true, refused, refused, refused)
	d := e.devices[0]
	if c, _ := d.counts(); c != 4 {
		t.Fatalf("%d connect attempts; want 3 failures and a success", c)
	}
	if got := e.backoffs(); len(got) != 3 || got[0] != 2*time.Second || got[1] != 4*time.Second || got[2] != 8*time.Second {
		t.Errorf("backoff %v; want 2s 4s 8s", got)
	}
	e.fire(t, &events.Connected{})
	if st := e.wa.Status(); st.State != StateConnected {
		t.Errorf("state %s after Connected", st.State)
	}
	if e.l.backoff != 2*time.Second {
		t.Errorf("backoff %v after connecting; want it back at 2s", e.l.backoff)
	}
	// A failure whatsmeow does not retry itself: the loop reconnects.
	e.sleeps = nil
	e.fire(t, &events.ConnectFailure{Reason: events.ConnectFailureServiceUnavailable})
	e.fire(t, &events.ConnectFailure{Reason: events.ConnectFailureInternalServerError})
	if c, dc := d.counts(); c != 6 || dc != 2 {
		t.Errorf("connects %d, disconnects %d after two connect failures; want 6, 2", c, dc)
	}
	if got := e.backoffs(); len(got) != 2 || got[0] != 2*time.Second || got[1] != 4*time.Second {
		t.Errorf("backoff %v; want 2s 4s", got)
	}
	// Disconnects and keepalive trouble are whatsmeow's to retry: no action.
	e.fire(t, &events.Disconnected{})
	e.fire(t, &events.KeepAliveTimeout{ErrorCount: 2})
	if c, _ := d.counts(); c != 6 {
		t.Errorf("the loop reconnected on its own after a Disconnected: %d connects", c)
	}
	if st := e.wa.Status(); st.State != StateReconnecting {
		t.Errorf("state %s after a keepalive timeout", st.State)
	}
	for range 10 { // the backoff stops growing at ReconnectMax
		e.fire(t, &events.ConnectFailure{Reason: events.ConnectFailureServiceUnavailable})
	}
	if e.l.backoff != e.wa.cfg.ReconnectMax {
		t.Errorf("backoff %v; want capped at %v", e.l.backoff, e.wa.cfg.ReconnectMax)
	}
}

// F21 (RELIABILITY §4.2): a permanent loss is loud (an error-level state
// with the reason), stops sending, offers pairing again where that helps,
// and never turns into a reconnect loop.
func TestF21PermanentChannelLoss(t *testing.T) {
	tests := []struct {
		name   string
		evt    any
		state  ChannelState
		repair bool // a new device and new pairing codes
	}{
		{"logged out", &events.LoggedOut{Reason: events.ConnectFailureLoggedOut}, StateLoggedOut, true},
		{"logged out at connect", &events.ConnectFailure{Reason: events.ConnectFailureLoggedOut}, StateLoggedOut, true},
		{"temporary ban", &events.TemporaryBan{Code: events.TempBanSentToTooManyPeople}, StateBanned, false},
		{"client outdated", &events.ClientOutdated{}, StateClientOutdated, false},
		{"another process took the session", &events.StreamReplaced{}, StateReplaced, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newLinkEnv(t, true)
			var logs syncBuffer
			e.wa.log = slog.New(slog.NewJSONHandler(&logs, nil))
			e.fire(t, &events.Connected{})
			e.fire(t, tc.evt)
			first := e.devices[0]
			if _, dc := first.counts(); dc != 1 {
				t.Errorf("%d disconnects; want the device disconnected once", dc)
			}
			// The state passed through (the subscription keeps only the
			// latest, which after a logout is already the new pairing).
			if !strings.Contains(logs.String(), `"level":"ERROR","msg":"whatsapp channel state","state":"`+string(tc.state)+`"`) {
				t.Errorf("log %s; want state %s at error level", logs.String(), tc.state)
			}
			// A prospect writes meanwhile: stored, not answered.
			e.wa.HandleEvent(waText("F21", "hola", fixtureStart))
			e.h.clock.Add(time.Minute)
			if n, _ := e.wa.Flush(context.Background()); n != 0 {
				t.Errorf("sent %d replies after %s", n, tc.name)
			}
			if tc.repair {
				if len(e.devices) != 2 || e.devices[1].Account() != "" {
					t.Fatalf("%d devices opened; want a new unpaired one", len(e.devices))
				}
				<-e.devices[1].showed
				if st := e.wa.Status(); st.State != StateWaitingForScan || st.QR == "" {
					t.Errorf("after %s: %+v; want fresh pairing codes", tc.name, st)
				}
				return
			}
			// No reconnect loop: later events and time change nothing.
			e.fire(t, &events.Disconnected{})
			e.fire(t, tc.evt)
			if c, _ := first.counts(); c != 1 || len(e.devices) != 1 {
				t.Errorf("%d connects, %d devices after %s; want no reconnect attempt", c, len(e.devices), tc.name)
			}
			if st := e.wa.Status(); st.State != tc.state || st.Detail == "" {
				t.Errorf("state %+v; want %s with a reason", st, tc.state)
			}
		})
	}
}

func TestLinkWaitsOutATemporaryBan(t *testing.T) {
	e := newLinkEnv(t, true)
	e.fire(t, &events.Connected{})
	e.fire(t, &events.TemporaryBan{Code: events.TempBanBlockedByUsers, Expire: 6 * time.Hour})
	if !containsAtLeast(e.sleeps, 6*time.Hour) {
		t.Errorf("sleeps %v; want the ban's 6 h waited out", e.sleeps)
	}
	if c, _ := e.devices[0].counts(); c != 2 {
		t.Errorf("%d connects; want one more after the ban", c)
	}
	if st := e.wa.Status(); st.State != StateReconnecting {
		t.Errorf("state %s after the ban; want reconnecting", st.State)
	}
}

func TestLinkOperatorLogout(t *testing.T) {
	for _, remoteFails := range []bool{false, true} {
		e := newLinkEnv(t, true)
		e.fire(t, &events.Connected{})
		d := e.devices[0]
		if remoteFails {
			d.logoutErr = errors.New("websocket not connected")
		}
		if err := e.wa.Logout(context.Background()); err != nil {
			t.Fatal(err)
		}
		select {
		case evt := <-e.wa.linkEvents:
			if err := e.l.handle(e.ctx, evt); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatal("the operator's logout did not reach the reconnect loop")
		}
		if d.loggedOut == remoteFails || d.forgotten != remoteFails {
			t.Errorf("remote fails %v: logged out %v, forgotten %v", remoteFails, d.loggedOut, d.forgotten)
		}
		if len(e.devices) != 2 {
			t.Fatalf("%d devices; want a new one to pair", len(e.devices))
		}
		<-e.devices[1].showed
		if st := e.wa.Status(); st.State != StateWaitingForScan {
			t.Errorf("state %s; want pairing codes offered", st.State)
		}
	}
}

func TestLinkWarnsOnceWhenThePhoneIsSilent(t *testing.T) {
	e := newLinkEnv(t, true)
	var logs syncBuffer
	e.wa.log = slog.New(slog.NewJSONHandler(&logs, nil))
	e.fire(t, &events.Connected{})
	e.wa.HandleEvent(&events.Receipt{MessageSource: types.MessageSource{IsFromMe: true}, Timestamp: e.h.clock.Now()})
	warnings := func() int { return strings.Count(logs.String(), "has not been online") }
	steps := []struct {
		advance time.Duration
		seen    bool // the phone shows a sign of life first
		want    int  // warnings logged so far
	}{
		{11 * 24 * time.Hour, false, 0},
		{2 * 24 * time.Hour, false, 1}, // 13 days: warned
		{time.Hour, false, 1},          // once per silence
		{time.Hour, true, 1},           // the phone came back
		{13 * 24 * time.Hour, false, 2},
	}
	for i, s := range steps {
		e.h.clock.Add(s.advance)
		if s.seen {
			e.wa.HandleEvent(&events.Receipt{MessageSource: types.MessageSource{IsFromMe: true}, Timestamp: e.h.clock.Now()})
		}
		e.l.checkPhone()
		if got := warnings(); got != s.want {
			t.Errorf("step %d: %d warnings; want %d", i, got, s.want)
		}
		if warn := e.wa.Status().PhoneWarn; warn != (s.want > 0 && !s.seen && i != 3) {
			t.Errorf("step %d: PhoneWarn %v", i, warn)
		}
	}
}

// Link as serve runs it: events from the device drive it until ctx ends,
// and it disconnects on the way out.
func TestLinkRunsUntilCancelled(t *testing.T) {
	e := newWAEnv(t)
	d := &fakeDevice{fakeClient: &fakeClient{}, account: agencyNumber, showed: make(chan struct{}), connected: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- e.wa.Link(ctx, func(context.Context) (Device, error) { return d, nil })
	}()
	<-d.connected
	e.wa.HandleEvent(&events.Connected{})
	e.wa.HandleEvent(&events.StreamReplaced{})
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Link = %v", err)
	}
	if c, dc := d.counts(); c != 1 || dc == 0 {
		t.Errorf("connects %d, disconnects %d; want one connect and a disconnect at the end", c, dc)
	}
	if err := e.wa.Link(context.Background(), func(context.Context) (Device, error) { return nil, errors.New("disk full") }); err == nil {
		t.Error("Link without a device returned nil")
	}
}

// F22 (RELIABILITY §4.2): messages of the offline sync after downtime are
// stored and answered, with the apology for the delay first (once);
// history-sync conversations are only logged.
func TestF22OfflineSyncVersusHistorySync(t *testing.T) {
	e := newWAEnv(t)
	var logs syncBuffer
	e.wa.log = slog.New(slog.NewJSONHandler(&logs, nil))
	e.h.clock.Add(2 * time.Hour) // the bot was down; the messages waited
	for _, evt := range []any{
		&events.OfflineSyncPreview{Total: 2, Messages: 2},
		waText("OFF1", "hola", fixtureStart),
		waText("OFF2", "quiero info", fixtureStart.Add(time.Second)),
		&events.OfflineSyncCompleted{Count: 2},
		&events.HistorySync{Data: &waHistorySync.HistorySync{Conversations: []*waHistorySync.Conversation{
			{ID: proto.String(pnJID.String())}, {ID: proto.String("573005550000@s.whatsapp.net")}}}},
	} {
		if !e.wa.HandleEvent(evt) {
			t.Fatalf("%T not acknowledged", evt)
		}
	}
	if n := e.inboundCount(t); n != 2 {
		t.Errorf("%d messages stored; want the two offline ones only", n)
	}
	e.h.clock.Add(5 * time.Second)
	sent := e.drain(t)
	if len(sent) != 2 || !strings.HasPrefix(sent[0], "Perdón por la demora.") || strings.Contains(sent[1], "Perdón") {
		t.Errorf("sent %q; want the apology once, before one greeting and one consent prompt", sent)
	}
	out := logs.String()
	for _, want := range []string{"offline sync starting", "offline sync completed", `"msg":"history sync received; not answered","conversations":2`} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
}
