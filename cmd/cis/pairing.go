package main

import (
	"context"
	"fmt"
	"maps"
	"sync"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
)

// linkedPairing shows the linked-device channel on the dashboard's pairing
// page and carries out its actions. It is wiring only: the state and the
// device live in bot.WhatsApp and its reconnect loop (Link).
type linkedPairing struct {
	wa    *bot.WhatsApp // nil when only the Cloud API channel runs
	cloud string        // the Cloud API channel's status text, "" when unused
	// devices are the linked devices by declared number when several run
	// (serve_devices.go); nil with the single device. Devices of numbers
	// declared while serving are added (and wa set) while pages read them: mu.
	mu      sync.Mutex
	devices map[string]*bot.WhatsApp
}

// current is the page's default device (wa), nil when none.
func (p *linkedPairing) current() *bot.WhatsApp {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.wa
}

// setCurrent makes wa the page's default device: the single device, or
// the first declared number's (serve_devices.go), also while serving.
func (p *linkedPairing) setCurrent(wa *bot.WhatsApp) {
	p.mu.Lock()
	p.wa = wa
	p.mu.Unlock()
}

// addDevice adds the device of a declared number.
func (p *linkedPairing) addDevice(number string, wa *bot.WhatsApp) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.devices == nil {
		p.devices = map[string]*bot.WhatsApp{}
	}
	p.devices[number] = wa
}

// device is the device of a declared number, nil when none runs.
func (p *linkedPairing) device(number string) *bot.WhatsApp {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.devices[number]
}

// deviceList is a copy of devices (nil p: none).
func (p *linkedPairing) deviceList() map[string]*bot.WhatsApp {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.devices)
}

var (
	_ dashboard.NumberPairing   = (*linkedPairing)(nil)
	_ dashboard.PairingSource   = (*linkedPairing)(nil)
	_ dashboard.PasskeyAnswerer = (*linkedPairing)(nil)
)

// errAlreadyPaired answers "pair" while a device is linked: log out first.
var errAlreadyPaired = fmt.Errorf("a device is already linked: log out first: %w", dashboard.ErrPairingUnavailable)

// errNoLinkedDevice answers pairing actions when only the Cloud API runs.
var errNoLinkedDevice = fmt.Errorf("no linked device: start cis serve with --whatsapp to pair a phone: %w", dashboard.ErrPairingUnavailable)

// pairingStates maps the channel's states onto the ones the page shows.
var pairingStates = map[bot.ChannelState]dashboard.PairingState{
	bot.StateConnected:         dashboard.PairingConnected,
	bot.StateWaitingForScan:    dashboard.PairingWaitingQR,
	bot.StateWaitingForPasskey: dashboard.PairingPasskey,
	bot.StateUnpaired:          dashboard.PairingDisconnected,
	bot.StateReconnecting:      dashboard.PairingDisconnected,
	bot.StateLoggedOut:         dashboard.PairingLoggedOut,
	bot.StateBanned:            dashboard.PairingLoggedOut,
	bot.StateClientOutdated:    dashboard.PairingClientOutdated,
	bot.StateReplaced:          dashboard.PairingLoggedOut,
	bot.StateStandby:           dashboard.PairingStandby, // another server of the cluster has it connected
}

// PairingStatus implements dashboard.PairingSource.
func (p *linkedPairing) PairingStatus(context.Context) (dashboard.PairingStatus, error) {
	wa := p.current()
	if wa == nil {
		return dashboard.PairingStatus{State: dashboard.PairingDisconnected, CloudAPI: p.cloud, NoDevice: true}, nil
	}
	st := wa.Status()
	state, ok := pairingStates[st.State]
	if !ok {
		state = dashboard.PairingDisconnected
	}
	out := dashboard.PairingStatus{State: state, QR: st.QR, Phone: st.Phone, Updated: st.Since, CloudAPI: p.cloud,
		Problem: string(st.Problem), ProblemNumber: st.ProblemNumber, OtherDevices: st.OtherDevices, Number: st.Number}
	if k := st.Passkey; k != nil && st.State == bot.StateWaitingForPasskey {
		out.Passkey = &dashboard.PairingPasskeyStep{Snippet: bot.PasskeySnippet(k.Options), Answered: k.Answered, Code: k.Code}
	}
	return out, nil
}

// Logout unlinks the device. The reconnect loop then opens a fresh device
// and shows new pairing codes, which is "pair again".
func (p *linkedPairing) Logout(ctx context.Context) error {
	wa := p.current()
	if wa == nil {
		return errNoLinkedDevice
	}
	return wa.Logout(ctx)
}

// Pair asks for pairing codes. An unlinked channel shows them already (the
// connect loop pairs whenever no device is linked); after a pairing that
// ended for good (an outdated client) it asks again. It refuses while a
// device is linked.
func (p *linkedPairing) Pair(context.Context) error {
	wa := p.current()
	if wa == nil {
		return errNoLinkedDevice
	}
	if wa.Status().State == bot.StateConnected {
		return errAlreadyPaired
	}
	wa.PairAgain()
	return nil
}

// AnswerPasskey implements dashboard.PasskeyAnswerer.
func (p *linkedPairing) AnswerPasskey(ctx context.Context, response string) error {
	wa := p.current()
	if wa == nil {
		return errNoLinkedDevice
	}
	return wa.AnswerPasskey(ctx, response)
}

// ConfirmPasskey implements dashboard.PasskeyAnswerer.
func (p *linkedPairing) ConfirmPasskey(ctx context.Context) error {
	wa := p.current()
	if wa == nil {
		return errNoLinkedDevice
	}
	return wa.ConfirmPasskey(ctx)
}

// PairingFor implements dashboard.NumberPairing: the device of one declared
// linked-device number when several run (serve_devices.go).
func (p *linkedPairing) PairingFor(number string) (dashboard.PairingSource, bool) {
	wa := p.device(number)
	if wa == nil {
		return nil, false
	}
	return &linkedPairing{wa: wa, cloud: p.cloud}, true
}
