package bot

import (
	"errors"
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot/redact"
)

// ChannelState is where a WhatsApp channel's connection stands. The codes
// are stable: the dashboard and logs use them.
type ChannelState string

// Channel states. The last four are permanent: sending stops and the
// operator must act (re-pair, upgrade, wait out a ban).
const (
	StateUnpaired       ChannelState = "unpaired"
	StateWaitingForScan ChannelState = "waiting_for_scan"
	// StateWaitingForPasskey: the phone scanned and WhatsApp asks for the
	// account's passkey (ChannelStatus.Passkey) before it links the device.
	StateWaitingForPasskey ChannelState = "waiting_for_passkey"
	StateConnected         ChannelState = "connected"
	StateReconnecting      ChannelState = "reconnecting"
	StateLoggedOut         ChannelState = "logged_out"
	StateBanned            ChannelState = "banned"
	StateClientOutdated    ChannelState = "client_outdated"
	StateReplaced          ChannelState = "replaced" // another process connected with the same session
	// StateStandby: another server of the cluster owns the device through
	// its lease (bot/lease.go); this one takes over if that one stops.
	StateStandby ChannelState = "standby"
)

// Permanent reports whether the state needs an operator: sending stops.
func (s ChannelState) Permanent() bool {
	switch s {
	case StateLoggedOut, StateBanned, StateClientOutdated, StateReplaced:
		return true
	}
	return false
}

// PhoneOfflineWarning is how long the paired phone may stay silent before
// the channel warns: WhatsApp unlinks devices whose phone was offline for 14 days.
const PhoneOfflineWarning = 12 * 24 * time.Hour

// ChannelStatus is what the dashboard shows about a WhatsApp channel.
type ChannelStatus struct {
	Channel   string       `json:"channel"`
	Number    string       `json:"number,omitempty"` // the declared number of this device when several share the store (digits)
	State     ChannelState `json:"state"`
	Since     time.Time    `json:"since"`
	Detail    string       `json:"detail,omitempty"`     // why, for permanent states (no personal data)
	QR        string       `json:"qr,omitempty"`         // the current pairing code to render as a QR; waiting_for_scan only
	QRExpires time.Time    `json:"qr_expires,omitzero"`  //
	Phone     string       `json:"phone,omitempty"`      // the agency's paired number
	PhoneSeen time.Time    `json:"phone_seen,omitzero"`  // last sign of life from the paired phone
	PhoneWarn bool         `json:"phone_warn,omitempty"` // PhoneSeen is older than PhoneOfflineWarning
	// Problem is why the last pairing attempt failed, as a stable code (a
	// refused number, an outdated client, a passkey that did not verify).
	// It stays while new codes are shown, until a device is linked and
	// connected. ProblemNumber is the refused number of ProblemWrongNumber.
	Problem       PairProblem `json:"problem,omitempty"`
	ProblemNumber string      `json:"problem_number,omitempty"`
	// Passkey is WhatsApp's passkey request while State is
	// waiting_for_passkey.
	Passkey *PasskeyPrompt `json:"passkey,omitempty"`
	// OtherDevices are further linked devices the store holds but this
	// server does not use ("+573001234567 · 14"): remove them on the phone.
	OtherDevices []string `json:"other_devices,omitempty"`
}

// PairProblem is why a pairing attempt failed. The codes are stable: the
// dashboard words them for the operator.
type PairProblem string

// Pairing problems.
const (
	ProblemOutdated      PairProblem = "client_outdated"  // WhatsApp refuses the announced version (405)
	ProblemWrongNumber   PairProblem = "wrong_number"     // another account scanned (--whatsapp-number)
	ProblemPasskey       PairProblem = "passkey_failed"   // the passkey step failed or was not answered in time
	ProblemNoMultiDevice PairProblem = "no_multidevice"   // the phone that scanned cannot link devices
	ProblemUnexpected    PairProblem = "unexpected_state" // WhatsApp answered with something that is not a pairing
	ProblemFailed        PairProblem = "failed"           // any other pairing error (in the log)
)

// problemOf names the problem behind a pairing error.
func problemOf(err error) (PairProblem, string) {
	var wrong *WrongNumberError
	switch {
	case errors.As(err, &wrong):
		return ProblemWrongNumber, "+" + wrong.Scanned
	case errors.Is(err, ErrClientOutdated):
		return ProblemOutdated, ""
	case errors.Is(err, ErrPasskey):
		return ProblemPasskey, ""
	case errors.Is(err, ErrPairUnexpected):
		return ProblemUnexpected, ""
	}
	return ProblemFailed, ""
}

// PasskeyPrompt is a passkey step of a pairing: WhatsApp's WebAuthn request
// to answer (AnswerPasskey) and then, when WhatsApp wants it compared with the
// phone, the code to confirm (ConfirmPasskey).
type PasskeyPrompt struct {
	Options  string `json:"options"`        // the WebAuthn request options, JSON (navigator.credentials.get's publicKey)
	RPID     string `json:"rp_id"`          // the site the passkey belongs to
	Answered bool   `json:"answered"`       // a response was sent; waiting for WhatsApp
	Code     string `json:"code,omitempty"` // the code to compare with the phone's
}

// Status returns the channel's current state. Safe for concurrent use.
func (w *WhatsApp) Status() ChannelStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.status
	st.PhoneWarn = !st.PhoneSeen.IsZero() && w.now().Sub(st.PhoneSeen) > PhoneOfflineWarning
	return st
}

// Subscribe returns a channel that receives the status after every change
// (QR rotations included) and a function that ends the subscription. A slow
// reader misses intermediate states, never the latest one.
func (w *WhatsApp) Subscribe() (<-chan ChannelStatus, func()) {
	ch := make(chan ChannelStatus, 1)
	w.mu.Lock()
	w.subs[ch] = struct{}{}
	ch <- w.status
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.subs, ch)
		w.mu.Unlock()
	}
}

// setStatus changes the state; fn edits the status under the lock.
func (w *WhatsApp) setStatus(fn func(*ChannelStatus)) {
	w.mu.Lock()
	before := w.status.State
	fn(&w.status)
	if w.status.State != before {
		w.status.Since = w.now()
	}
	if w.status.State != StateWaitingForScan {
		w.status.QR, w.status.QRExpires = "", time.Time{}
	}
	if w.status.State != StateWaitingForPasskey {
		w.status.Passkey = nil
	}
	w.stopSend = w.status.State.Permanent()
	st := w.status
	for ch := range w.subs {
		select { // keep only the latest status in the buffer
		case <-ch:
		default:
		}
		ch <- st
	}
	w.mu.Unlock()
	if st.State != before {
		level := w.log.Info
		if st.State.Permanent() {
			level = w.log.Error
		}
		level("whatsapp channel state", "state", string(st.State), "from", string(before), "detail", st.Detail)
	}
}

// ShowQR records a pairing code to show (from GetQRChannel).
func (w *WhatsApp) ShowQR(code string, valid time.Duration) {
	w.setStatus(func(s *ChannelStatus) {
		s.State, s.Detail = StateWaitingForScan, ""
		s.QR, s.QRExpires = code, w.now().Add(valid)
	})
}

// phoneSeenWrite is how far apart the phone's sign of life is written to
// the store: receipts arrive by the dozen, a 12-day warning needs no
// second precision.
const phoneSeenWrite = 10 * time.Minute

// phoneSeen records a sign of life of the agency's phone (device 0 of the
// account; WhatsApp Web and other linked devices do not keep the link
// alive), in memory and, every phoneSeenWrite, in the store, so that the
// 14-day warning survives restarts.
func (w *WhatsApp) phoneSeen(t time.Time) {
	if t.IsZero() {
		t = w.now()
	}
	w.mu.Lock()
	if t.After(w.status.PhoneSeen) {
		w.status.PhoneSeen = t
	}
	account, write := w.account, t.Sub(w.phoneStored) >= phoneSeenWrite
	if write && account != "" {
		w.phoneStored = t
	}
	w.mu.Unlock()
	if !write || account == "" {
		return
	}
	if err := w.store.SetPhoneSeen(w.runCtx(), WhatsAppChannel, account, t); err != nil {
		w.log.Warn("phone's last sign of life not stored", "err", err)
	}
}

// loadPhoneSeen reads the phone's last sign of life back from the store.
func (w *WhatsApp) loadPhoneSeen(account string) {
	if account == "" {
		return
	}
	t, err := w.store.PhoneSeen(w.runCtx(), WhatsAppChannel, account)
	if err != nil {
		w.log.Warn("phone's last sign of life not read", "err", err)
		return
	}
	w.mu.Lock()
	if t.After(w.status.PhoneSeen) {
		w.status.PhoneSeen = t
	}
	w.phoneStored = t
	w.mu.Unlock()
}

// onConnection maps whatsmeow's connection events to channel states
// (WHATSAPP.md §3).
func (w *WhatsApp) onConnection(evt any) {
	switch e := evt.(type) {
	case *events.QR:
		if len(e.Codes) > 0 {
			w.ShowQR(e.Codes[0], 60*time.Second)
		}
	case *events.PairSuccess:
		w.mu.Lock()
		w.account = e.ID.User
		w.mu.Unlock()
		w.setStatus(func(s *ChannelStatus) { s.State, s.Phone, s.Detail = StateReconnecting, "+"+e.ID.User, "paired" })
		w.phoneSeen(w.now()) // the phone just scanned
	case *events.PairError:
		w.log.Warn("pairing failed", "err", redact.Phones(fmt.Sprint(e.Error)))
	case *events.Connected:
		w.mu.Lock()
		w.presence = false
		w.syncFrom = w.now() // replies wait for the offline backlog (Flush)
		w.mu.Unlock()
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail, s.Problem, s.ProblemNumber = StateConnected, "", "", "" })
		w.announce(false)
		w.Wake()
	case *events.KeepAliveRestored:
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateConnected, "" })
	case *events.Disconnected:
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateReconnecting, "disconnected" })
	case *events.KeepAliveTimeout:
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail = StateReconnecting, fmt.Sprintf("keepalive failing (%d)", e.ErrorCount)
		})
	case *events.LoggedOut:
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail = StateLoggedOut, fmt.Sprintf("logged out (%d); pair again", int(e.Reason))
		})
	case repairRequest:
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateLoggedOut, "logged out by the operator; pair again" })
	case *events.TemporaryBan:
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateBanned, e.String() })
	case *events.ClientOutdated:
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail = StateClientOutdated, "WhatsApp rejected the announced version; set --whatsapp-version"
		})
	case *events.StreamReplaced:
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail = StateReplaced, "another process connected with this session"
		})
	case *events.ConnectFailure:
		if e.Reason.IsLoggedOut() { // 401, 403, 406: the session is gone, as after LoggedOut
			w.setStatus(func(s *ChannelStatus) {
				s.State, s.Detail = StateLoggedOut, fmt.Sprintf("logged out at connect (%d); pair again", int(e.Reason))
			})
			return
		}
		w.setStatus(func(s *ChannelStatus) {
			s.State, s.Detail = StateReconnecting, fmt.Sprintf("connect failure %d", int(e.Reason))
		})
	}
}
