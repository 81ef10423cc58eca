package bot

import (
	"fmt"
	"time"

	"go.mau.fi/whatsmeow/types/events"
)

// ChannelState is where a WhatsApp channel's connection stands. The codes
// are stable: the dashboard and logs use them.
type ChannelState string

// Channel states. The last four are permanent: sending stops and the
// operator must act (re-pair, upgrade, wait out a ban).
const (
	StateUnpaired       ChannelState = "unpaired"
	StateWaitingForScan ChannelState = "waiting_for_scan"
	StateConnected      ChannelState = "connected"
	StateReconnecting   ChannelState = "reconnecting"
	StateLoggedOut      ChannelState = "logged_out"
	StateBanned         ChannelState = "banned"
	StateClientOutdated ChannelState = "client_outdated"
	StateReplaced       ChannelState = "replaced" // another process connected with the same session
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
	State     ChannelState `json:"state"`
	Since     time.Time    `json:"since"`
	Detail    string       `json:"detail,omitempty"`     // why, for permanent states (no personal data)
	QR        string       `json:"qr,omitempty"`         // the current pairing code to render as a QR; waiting_for_scan only
	QRExpires time.Time    `json:"qr_expires,omitzero"`  //
	Phone     string       `json:"phone,omitempty"`      // the agency's paired number
	PhoneSeen time.Time    `json:"phone_seen,omitzero"`  // last sign of life from the paired phone
	PhoneWarn bool         `json:"phone_warn,omitempty"` // PhoneSeen is older than PhoneOfflineWarning
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

func (w *WhatsApp) phoneSeen(t time.Time) {
	if t.IsZero() {
		t = w.now()
	}
	w.mu.Lock()
	if t.After(w.status.PhoneSeen) {
		w.status.PhoneSeen = t
	}
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
		w.phoneSeen(w.now())
	case *events.Connected:
		w.setStatus(func(s *ChannelStatus) { s.State, s.Detail = StateConnected, "" })
		w.stayUnavailable()
		w.Wake()
	case *events.PushNameSetting:
		w.stayUnavailable()
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
