package dashboard

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"rsc.io/qr"
)

// PairingState is the WhatsApp (whatsmeow) connection state as the pairing page shows it.
type PairingState string

// Pairing states.
const (
	PairingConnected    PairingState = "connected"
	PairingWaitingQR    PairingState = "waiting_qr"
	PairingDisconnected PairingState = "disconnected"
	PairingLoggedOut    PairingState = "logged_out"
)

// PairingStatus is what the channel reports. QR is the current pairing code
// payload (whatsmeow rotates it), empty unless State is waiting_qr.
type PairingStatus struct {
	State   PairingState
	QR      string
	Phone   string // the paired number, E.164, when connected
	Updated time.Time
	// CloudAPI describes the Cloud API channel when it is used ("" otherwise):
	// e.g. "configured", "missing token".
	CloudAPI string
	// NoDevice: no linked-device channel runs (only the Cloud API), so
	// there is nothing to pair or log out: the page disables both actions.
	NoDevice bool
}

// ErrPairingUnavailable wraps a pairing action's refusal that is not a
// failure ("no linked device runs", "already linked"): the page says so
// instead of answering 500.
var ErrPairingUnavailable = errors.New("pairing action not available")

// PairingSource is the consumer-side view of the WhatsApp channel (built by
// the channels issue): its status, and the operator's two actions.
type PairingSource interface {
	PairingStatus(ctx context.Context) (PairingStatus, error)
	Logout(ctx context.Context) error
	Pair(ctx context.Context) error
}

type pairingPageData struct {
	page
	Configured bool
	Status     PairingStatus
	StateText  string
	Refused    string // why the last action did not apply
}

func (s *Server) pairingPage(c echo.Context) error {
	lang := langOf(c)
	p := pairingPageData{page: s.basePage(c, lang), Configured: s.pairing != nil}
	p.Title = T(lang, "pairing.title")
	if c.QueryParam("refused") == "1" {
		p.Refused = T(lang, "pairing.refused")
	}
	if s.pairing != nil {
		st, err := s.pairing.PairingStatus(c.Request().Context())
		if err != nil {
			return err
		}
		p.Status, p.StateText = st, T(lang, "pairing.state."+string(st.State))
	}
	s.audit(c, "pairing_viewed", "", "")
	return c.Render(http.StatusOK, "pairing", p)
}

// pairingStatus is polled by the page to refresh the QR and the state.
func (s *Server) pairingStatus(c echo.Context) error {
	if s.pairing == nil {
		return echo.ErrNotFound
	}
	st, err := s.pairing.PairingStatus(c.Request().Context())
	if err != nil {
		return err
	}
	lang := langOf(c)
	return c.JSON(http.StatusOK, map[string]any{"state": st.State, "state_text": T(lang, "pairing.state."+string(st.State)),
		"phone": st.Phone, "has_qr": st.QR != "", "qr_version": hashToken(st.QR)[:12], "updated": st.Updated.UTC().Format(time.RFC3339)})
}

// pairingQR renders the current code as a PNG (no external QR service).
func (s *Server) pairingQR(c echo.Context) error {
	if s.pairing == nil {
		return echo.ErrNotFound
	}
	st, err := s.pairing.PairingStatus(c.Request().Context())
	if err != nil {
		return err
	}
	if st.QR == "" {
		return echo.ErrNotFound
	}
	code, err := qr.Encode(st.QR, qr.M)
	if err != nil {
		return err
	}
	code.Scale = 6
	return c.Blob(http.StatusOK, "image/png", code.PNG())
}

func (s *Server) pairingLogout(c echo.Context) error {
	if s.pairing == nil {
		return echo.ErrNotFound
	}
	if err := s.pairing.Logout(c.Request().Context()); err != nil {
		return s.pairingRefused(c, err)
	}
	s.audit(c, "pairing_logout", "", "")
	return c.Redirect(http.StatusSeeOther, "/admin/pairing")
}

func (s *Server) pairingPair(c echo.Context) error {
	if s.pairing == nil {
		return echo.ErrNotFound
	}
	if err := s.pairing.Pair(c.Request().Context()); err != nil {
		return s.pairingRefused(c, err)
	}
	s.audit(c, "pairing_started", "", "")
	return c.Redirect(http.StatusSeeOther, "/admin/pairing")
}

// pairingRefused answers an action the channel refused as not applicable
// with the page and a notice (409 for scripts); other errors stay errors.
func (s *Server) pairingRefused(c echo.Context, err error) error {
	if !errors.Is(err, ErrPairingUnavailable) {
		return err
	}
	s.log.Info("pairing action refused", "err", err)
	if !acceptsHTML(c) {
		return echo.NewHTTPError(http.StatusConflict, T(langOf(c), "pairing.refused"))
	}
	return c.Redirect(http.StatusSeeOther, "/admin/pairing?refused=1")
}
