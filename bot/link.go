package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/proto/waE2E"
	"go.mau.fi/whatsmeow/types"
	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
)

// Device is one linked device (a whatsmeow client) as the reconnect loop
// drives it. NewDevice wraps *Client; tests use a fake.
type Device interface {
	waClient
	Account() string   // the paired number's digits, "" while unpaired
	LIDs() lidResolver // whatsmeow's LID ↔ phone map
	Connect(ctx context.Context) error
	Disconnect()
	// Logout unlinks the device at WhatsApp and deletes its keys; Forget
	// only deletes the keys, for a device WhatsApp no longer talks to.
	Logout(ctx context.Context) error
	Forget(ctx context.Context) error
	// OnEvent registers the channel's handler (whatsmeow's
	// AddEventHandlerWithSuccessStatus).
	OnEvent(handler func(evt any) bool)
	// OnRetry sets where a resend asked for by a recipient's phone (a retry
	// receipt) finds the message when whatsmeow's memory no longer holds it
	// (GetMessageForRetry).
	OnRetry(lookup func(requester, to types.JID, id types.MessageID) *waE2E.Message)
	// PairQR shows pairing codes until one is scanned (done) or the
	// pairing ends (Client.PairQR).
	PairQR(ctx context.Context, ui PairUI) (done bool, err error)
	// SendPasskeyResponse and SendPasskeyConfirmation answer WhatsApp's
	// passkey step of a pairing (whatsmeow).
	SendPasskeyResponse(ctx context.Context, resp *types.WebAuthnResponse) error
	SendPasskeyConfirmation(ctx context.Context) error
	// OtherDevices names further devices the store holds (Client.Others).
	OtherDevices() []string
}

// linkAction is what the reconnect loop does after a connection event.
type linkAction int

const (
	linkNone      linkAction = iota
	linkConnected            // connected: the backoff starts again from the minimum
	linkRetry                // a failure whatsmeow does not retry by itself: reconnect after the backoff
	linkRepair               // the session is gone (logged out): a new device and new pairing codes
	linkHold                 // banned, outdated or replaced: stay disconnected until the operator acts
	linkLogin                // paired: log in for the first time, retrying until it works
	linkRedeliver            // a message was not acknowledged: reconnect so WhatsApp sends it again
	linkPair                 // the operator asks for pairing codes again (after a pairing that ended for good)
)

// repairRequest is the operator's "log out / pair again" (WhatsApp.Logout):
// whatsmeow's Logout emits no event of its own.
type repairRequest struct{}

// pairRequest is the operator's "pair again" while no device is linked
// (WhatsApp.PairAgain).
type pairRequest struct{}

// redeliverRequest: a message handler failed or panicked (HandleEvent).
type redeliverRequest struct{}

// linkActionFor is the reconnect loop's state machine (WHATSAPP.md §3). A
// temporary ban also says how long to hold before trying again.
func linkActionFor(evt any) (linkAction, time.Duration) {
	switch e := evt.(type) {
	case *events.Connected:
		return linkConnected, 0
	case *events.LoggedOut, repairRequest:
		return linkRepair, 0
	case *events.ConnectFailure:
		if e.Reason.IsLoggedOut() {
			return linkRepair, 0
		}
		return linkRetry, 0
	case *events.TemporaryBan:
		return linkHold, e.Expire
	case *events.ClientOutdated, *events.StreamReplaced:
		// Reconnecting cannot help: a new version, or the other process
		// stopping, is needed. Looping would fight the other process.
		return linkHold, 0
	case *events.ManualLoginReconnect:
		return linkLogin, 0
	case redeliverRequest:
		return linkRedeliver, 0
	case pairRequest:
		return linkPair, 0
	}
	return linkNone, 0
}

// Redelivery bounds: a store that keeps failing must not turn into a
// reconnect loop (each reconnect also replays WhatsApp's offline queue).
const (
	maxRedeliveries  = 5                // reconnects for redelivery per hour
	redeliveryPause  = 30 * time.Second // before the first; doubles for each further one in the hour
	redeliveryWindow = time.Hour
)

// link is the state of one Link run.
type link struct {
	w         *WhatsApp
	open      func(context.Context) (Device, error)
	dev       Device
	backoff   time.Duration
	stopPair  context.CancelFunc // ends the pairing goroutine of the current device
	pairDone  chan struct{}
	phoneWarn bool        // the 14-day warning was logged for the current silence
	redeliver []time.Time // reconnects for redelivery in the last hour
}

// Link keeps the linked device connected until ctx ends: it opens the device
// (open returns the stored one, or a new unpaired one), shows pairing codes
// while unpaired, logs in after a pairing (retrying until it works),
// reconnects with backoff (ReconnectMin doubling to ReconnectMax) after
// failures whatsmeow does not retry itself, reconnects (a bounded number of
// times) when a message could not be handled so that WhatsApp delivers it
// again, opens a new device and offers pairing again after a logout, and
// after a ban, an outdated client or another process taking the session
// stays disconnected (sending stops, the state says why) instead of looping.
// A temporary ban is waited out. It also warns once when the paired phone
// has been silent for PhoneOfflineWarning. It returns an error only when no
// device can be opened.
func (w *WhatsApp) Link(ctx context.Context, open func(context.Context) (Device, error)) error {
	w.mu.Lock()
	w.ctx = ctx
	w.mu.Unlock()
	l := &link{w: w, open: open, backoff: w.cfg.ReconnectMin}
	if err := l.start(ctx); err != nil {
		return err
	}
	defer l.stop()
	tick := time.NewTicker(time.Hour)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			l.checkPhone()
		case evt := <-w.linkEvents:
			if err := l.handle(ctx, evt); err != nil {
				return err
			}
		}
	}
}

// start opens a device and connects it, or starts pairing when unpaired.
func (l *link) start(ctx context.Context) error {
	dev, err := l.open(ctx)
	if err != nil {
		return fmt.Errorf("whatsapp device: %w", err)
	}
	l.dev = dev
	l.w.attachDevice(dev)
	others := dev.OtherDevices()
	if len(others) > 0 {
		l.w.log.Warn("the store holds more than one linked device; using the first, remove the others from the phone's linked devices",
			"using", "+"+dev.Account(), "others", len(others))
	}
	if dev.Account() == "" {
		l.w.setStatus(func(s *ChannelStatus) { s.State, s.Phone, s.OtherDevices = StateUnpaired, "", others })
		l.startPairing(ctx)
		return nil
	}
	l.w.setStatus(func(s *ChannelStatus) {
		s.State, s.Phone, s.OtherDevices = StateReconnecting, "+"+dev.Account(), others
	})
	l.connect(ctx)
	return nil
}

// startPairing shows pairing codes for the current (unpaired) device in the
// background, unless that already happens.
func (l *link) startPairing(ctx context.Context) {
	if l.pairDone != nil {
		select {
		case <-l.pairDone:
		default:
			return // still pairing
		}
	}
	pctx, cancel := context.WithCancel(ctx)
	l.stopPair, l.pairDone = cancel, make(chan struct{})
	done, dev := l.pairDone, l.dev
	go func() {
		defer close(done)
		l.w.pairLoop(pctx, dev)
	}()
}

// connect connects the current device, retrying with backoff until it
// works or ctx ends.
func (l *link) connect(ctx context.Context) {
	for ctx.Err() == nil {
		err := l.dev.Connect(ctx)
		if err == nil {
			return
		}
		l.w.log.Error("whatsapp connect failed; retrying", "err", redact.Phones(err.Error()), "in", l.backoff.String())
		l.w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateReconnecting, "connect failed; retrying" })
		if l.wait(ctx) != nil {
			return
		}
	}
}

// wait sleeps the current backoff and doubles it up to ReconnectMax.
func (l *link) wait(ctx context.Context) error {
	err := l.w.cfg.Sleep(ctx, l.backoff)
	l.backoff = min(2*l.backoff, l.w.cfg.ReconnectMax)
	return err
}

// stop disconnects the current device and ends its pairing, if any.
func (l *link) stop() {
	if l.stopPair != nil {
		l.stopPair()
		<-l.pairDone
		l.stopPair, l.pairDone = nil, nil
	}
	l.dev.Disconnect()
}

func (l *link) handle(ctx context.Context, evt any) error {
	act, hold := linkActionFor(evt)
	switch act {
	case linkConnected:
		l.backoff = l.w.cfg.ReconnectMin
		l.phoneWarn = false
	case linkRetry:
		l.dev.Disconnect()
		if l.wait(ctx) == nil {
			l.connect(ctx)
		}
	case linkLogin:
		// whatsmeow's own reconnect after the pairing is tried once and
		// never again when it fails; this one retries with backoff.
		l.w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateReconnecting, "paired; logging in" })
		l.dev.Disconnect()
		l.connect(ctx)
	case linkRedeliver:
		l.redeliverNow(ctx)
	case linkPair:
		if l.dev.Account() == "" {
			l.startPairing(ctx)
		}
	case linkRepair:
		// whatsmeow deleted the device's keys: a new device, new codes.
		l.stop()
		l.backoff = l.w.cfg.ReconnectMin
		return l.start(ctx)
	case linkHold:
		l.dev.Disconnect()
		if hold > 0 && l.w.cfg.Sleep(ctx, hold) == nil {
			l.w.log.Info("whatsapp ban over; reconnecting")
			l.w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateReconnecting, "ban over" })
			l.connect(ctx)
		}
	}
	return nil
}

// redeliverNow reconnects so that WhatsApp delivers again the messages
// whose receipt was withheld (a handler failed or panicked): the server
// resends what was not acknowledged when a device connects. At most
// maxRedeliveries an hour, each after a growing pause, so that a store
// that keeps failing does not become a reconnect loop; the messages then
// wait for the next reconnect of any kind.
func (l *link) redeliverNow(ctx context.Context) {
	now := l.w.now()
	kept := l.redeliver[:0]
	for _, t := range l.redeliver {
		if now.Sub(t) < redeliveryWindow {
			kept = append(kept, t)
		}
	}
	l.redeliver = kept
	if len(kept) >= maxRedeliveries || l.dev.Account() == "" {
		l.w.log.Error("messages not acknowledged; no more reconnects for redelivery this hour", "reconnects", len(kept))
		l.w.redeliverPending.Store(false)
		return
	}
	pause := redeliveryPause << len(kept)
	l.w.log.Warn("a message was not acknowledged; reconnecting so that WhatsApp delivers it again", "in", pause.String())
	if l.w.cfg.Sleep(ctx, pause) != nil {
		return
	}
	l.redeliver = append(l.redeliver, l.w.now())
	l.w.redeliverPending.Store(false) // failures from here on ask again
	l.dev.Disconnect()
	l.connect(ctx)
}

// checkPhone logs once per silence when the paired phone has not been seen
// for PhoneOfflineWarning: WhatsApp unlinks the device at 14 days.
func (l *link) checkPhone() {
	st := l.w.Status()
	switch {
	case st.PhoneWarn && !l.phoneWarn:
		l.phoneWarn = true
		l.w.log.Warn("the paired phone has not been online for 12 days; open WhatsApp on it or the device is unlinked at 14",
			"phone_seen", st.PhoneSeen)
	case !st.PhoneWarn:
		l.phoneWarn = false
	}
}

// attachDevice makes dev the channel's client and registers the handlers.
func (w *WhatsApp) attachDevice(dev Device) {
	w.mu.Lock()
	w.device = dev
	w.mu.Unlock()
	w.Attach(dev, dev.LIDs(), dev.Account())
	dev.OnEvent(w.HandleEvent)
	dev.OnRetry(w.MessageForRetry)
}

// Logout unlinks the device ("log out / pair again" on the pairing page);
// the reconnect loop then opens a new device and shows new codes. A device
// WhatsApp no longer answers for (banned, replaced) is forgotten locally;
// it then also has to be removed from the phone's linked devices.
func (w *WhatsApp) Logout(ctx context.Context) error {
	w.mu.Lock()
	dev := w.device
	w.mu.Unlock()
	if dev == nil || dev.Account() == "" {
		return nil // nothing linked: pairing codes are already offered
	}
	if err := dev.Logout(ctx); err != nil {
		w.log.Warn("logout not confirmed by WhatsApp; forgetting the device here only", "err", redact.Phones(err.Error()))
		if err := dev.Forget(ctx); err != nil {
			return fmt.Errorf("forget device: %w", err)
		}
	}
	w.HandleEvent(repairRequest{})
	return nil
}

// PairAgain asks for new pairing codes while no device is linked, after a
// pairing that ended for good (an outdated client, a passkey that failed);
// while codes are shown it changes nothing.
func (w *WhatsApp) PairAgain() {
	w.post(pairRequest{})
}

// post hands evt to the reconnect loop without waiting.
func (w *WhatsApp) post(evt any) {
	select { // the reconnect loop acts on it (Link); without one, nobody waits
	case w.linkEvents <- evt:
	default:
		w.log.Warn("connection event dropped: the reconnect loop is behind", "event", fmt.Sprintf("%T", evt))
	}
}

// requestRedelivery asks the reconnect loop, once until it acted, to
// reconnect so that an unacknowledged message comes again.
func (w *WhatsApp) requestRedelivery() {
	if w.redeliverPending.CompareAndSwap(false, true) {
		w.post(redeliverRequest{})
	}
}

// pairLoop keeps fresh QR codes in Status while the device is unpaired.
// Each login socket lasts about 160 s; after it ends the loop waits
// (growing up to 5 min) before asking for new codes. An outdated client
// ends the loop: the same version would be refused again; the state says
// so until the operator pairs again (PairAgain) or restarts with
// --whatsapp-version.
func (w *WhatsApp) pairLoop(ctx context.Context, dev Device) {
	wait := 10 * time.Second
	for ctx.Err() == nil && dev.Account() == "" {
		done, err := dev.PairQR(ctx, w.pairUI())
		if done || ctx.Err() != nil {
			return
		}
		w.pairEnded(err)
		if errors.Is(err, ErrClientOutdated) {
			return
		}
		if w.cfg.Sleep(ctx, wait) != nil {
			return
		}
		wait = min(2*wait, 5*time.Minute)
	}
}

// pairUI shows a pairing on the channel's status (the dashboard reads it).
func (w *WhatsApp) pairUI() PairUI {
	return PairUI{
		Code: w.ShowQR,
		Passkey: func(req *events.PairPasskeyRequest) {
			opts, err := json.Marshal(req.PublicKey)
			if err != nil {
				opts = []byte("{}")
			}
			p := &PasskeyPrompt{Options: string(opts)}
			if req.PublicKey != nil {
				p.RPID = req.PublicKey.RelyingPartID
			}
			w.log.Warn("whatsapp asks for the account's passkey to link this device: answer it on the pairing page or in cis pair")
			w.setStatus(func(s *ChannelStatus) { s.State, s.Detail, s.Passkey = StateWaitingForPasskey, "passkey requested", p })
		},
		Confirm: func(code string) {
			w.setStatus(func(s *ChannelStatus) {
				p := PasskeyPrompt{}
				if s.Passkey != nil {
					p = *s.Passkey
				}
				p.Code = code
				s.State, s.Detail, s.Passkey = StateWaitingForPasskey, "compare the code with the phone", &p
			})
		},
		Notice: func(string) {
			w.setStatus(func(s *ChannelStatus) { s.Problem, s.ProblemNumber = ProblemNoMultiDevice, "" })
		},
	}
}

// pairEnded records why a pairing attempt ended; it stays visible until a
// device connects.
func (w *WhatsApp) pairEnded(err error) {
	switch {
	case err == nil, errors.Is(err, context.Canceled):
		w.setStatus(func(s *ChannelStatus) { s.State = StateUnpaired })
	case errors.Is(err, ErrPairTimeout):
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateUnpaired, "the codes expired; new ones follow" })
	case errors.Is(err, ErrClientOutdated):
		w.log.Error("pairing refused: WhatsApp says this version is outdated", "err", err)
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail, s.Problem, s.ProblemNumber = StateClientOutdated, err.Error(), ProblemOutdated, ""
		})
	default:
		w.log.Warn("pairing attempt ended", "err", redact.Phones(err.Error()))
		problem, number := problemOf(err)
		w.setStatus(func(s *ChannelStatus) { s.State, s.Problem, s.ProblemNumber = StateUnpaired, problem, number })
	}
}

// AnswerPasskey sends the WebAuthn response (the JSON a browser's
// navigator.credentials.get returns, as whatsmeow's types.WebAuthnResponse)
// to WhatsApp's passkey request of the pairing under way.
func (w *WhatsApp) AnswerPasskey(ctx context.Context, response string) error {
	w.mu.Lock()
	dev, st := w.device, w.status
	w.mu.Unlock()
	if dev == nil || st.State != StateWaitingForPasskey || st.Passkey == nil {
		return ErrNoPasskeyRequest
	}
	var resp types.WebAuthnResponse
	if err := json.Unmarshal([]byte(response), &resp); err != nil || resp.ID == "" || len(resp.Response.Signature) == 0 {
		return fmt.Errorf("%w: paste the whole JSON the browser returned (id, rawId, response.clientDataJSON, authenticatorData, signature)", ErrBadPasskeyResponse)
	}
	if err := dev.SendPasskeyResponse(ctx, &resp); err != nil {
		return fmt.Errorf("passkey: %w", err)
	}
	w.setStatus(func(s *ChannelStatus) {
		if s.Passkey != nil {
			p := *s.Passkey
			p.Answered = true
			s.Passkey, s.Detail = &p, "passkey answered; waiting for WhatsApp"
		}
	})
	return nil
}

// ConfirmPasskey tells WhatsApp that the code shown matches the phone's,
// which completes the pairing.
func (w *WhatsApp) ConfirmPasskey(ctx context.Context) error {
	w.mu.Lock()
	dev, st := w.device, w.status
	w.mu.Unlock()
	if dev == nil || st.Passkey == nil || st.Passkey.Code == "" {
		return ErrNoPasskeyRequest
	}
	if err := dev.SendPasskeyConfirmation(ctx); err != nil {
		return fmt.Errorf("passkey confirmation: %w", err)
	}
	w.setStatus(func(s *ChannelStatus) { s.Detail = "code confirmed; waiting for WhatsApp" })
	return nil
}

// Passkey answers that do not fit the pairing under way.
var (
	ErrNoPasskeyRequest   = errors.New("no passkey step is waiting: pair again")
	ErrBadPasskeyResponse = errors.New("not a passkey response")
)
