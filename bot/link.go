package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
)

// Device is one linked device (a whatsmeow client) as the reconnect loop
// drives it. NewDevice wraps *whatsmeow.Client; tests use a fake.
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
	// PairQR shows pairing codes until one is scanned (done) or they run out.
	PairQR(ctx context.Context, show func(code string, valid time.Duration)) (done bool, err error)
}

// linkAction is what the reconnect loop does after a connection event.
type linkAction int

const (
	linkNone      linkAction = iota
	linkConnected            // connected: the backoff starts again from the minimum
	linkRetry                // a failure whatsmeow does not retry by itself: reconnect after the backoff
	linkRepair               // the session is gone (logged out): a new device and new pairing codes
	linkHold                 // banned, outdated or replaced: stay disconnected until the operator acts
)

// repairRequest is the operator's "log out / pair again" (WhatsApp.Logout):
// whatsmeow's Logout emits no event of its own.
type repairRequest struct{}

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
	}
	return linkNone, 0
}

// link is the state of one Link run.
type link struct {
	w         *WhatsApp
	open      func(context.Context) (Device, error)
	dev       Device
	backoff   time.Duration
	stopPair  context.CancelFunc // ends the pairing goroutine of the current device
	pairDone  chan struct{}
	phoneWarn bool // the 14-day warning was logged for the current silence
}

// Link keeps the linked device connected until ctx ends: it opens the device
// (open returns the stored one, or a new unpaired one), shows pairing codes
// while unpaired, reconnects with backoff (ReconnectMin doubling to
// ReconnectMax) after failures whatsmeow does not retry itself, opens a new
// device and offers pairing again after a logout, and after a ban, an
// outdated client or another process taking the session stays disconnected
// (sending stops, the state says why) instead of looping. A temporary ban is
// waited out. It also warns once when the paired phone has been silent for
// PhoneOfflineWarning. It returns an error only when no device can be opened.
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
	if dev.Account() == "" {
		l.w.setStatus(func(s *ChannelStatus) { s.State, s.Phone = StateUnpaired, "" })
		pctx, cancel := context.WithCancel(ctx)
		l.stopPair, l.pairDone = cancel, make(chan struct{})
		go func() {
			defer close(l.pairDone)
			l.w.pairLoop(pctx, dev)
		}()
		return nil
	}
	l.w.setStatus(func(s *ChannelStatus) { s.State, s.Phone = StateReconnecting, "+"+dev.Account() })
	l.connect(ctx)
	return nil
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
		l.stopPair = nil
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

// attachDevice makes dev the channel's client and registers the handler.
func (w *WhatsApp) attachDevice(dev Device) {
	w.mu.Lock()
	w.device = dev
	w.mu.Unlock()
	w.Attach(dev, dev.LIDs(), dev.Account())
	dev.OnEvent(w.HandleEvent)
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

// pairLoop keeps fresh QR codes in Status while the device is unpaired.
// Each login socket lasts about 160 s; after a timeout it waits (growing up
// to 5 min) before asking for new codes.
func (w *WhatsApp) pairLoop(ctx context.Context, dev Device) {
	wait := 10 * time.Second
	for ctx.Err() == nil && dev.Account() == "" {
		done, err := dev.PairQR(ctx, func(code string, valid time.Duration) { w.ShowQR(code, valid) })
		if done || ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			w.log.Warn("pairing attempt ended", "err", err)
		}
		w.setStatus(func(s *ChannelStatus) { s.State = StateUnpaired })
		if w.cfg.Sleep(ctx, wait) != nil {
			return
		}
		wait = min(2*wait, 5*time.Minute)
	}
}
