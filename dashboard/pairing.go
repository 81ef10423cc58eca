package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strings"
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
	// PairingPasskey: the phone scanned and WhatsApp asks for the account's
	// passkey (PairingStatus.Passkey) before it links the device.
	PairingPasskey PairingState = "passkey"
	// PairingClientOutdated: WhatsApp refuses this program's version; it
	// stays so until the operator sets a newer one.
	PairingClientOutdated PairingState = "client_outdated"
	// PairingStandby: several servers share the database and another one
	// has the device connected (its lease); this one takes over if that
	// one stops. Pairing actions belong on that server's page.
	PairingStandby PairingState = "standby"
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
	// Problem is why the last pairing attempt failed, a code the page words
	// (pairing.problem.<code>: client_outdated, wrong_number,
	// passkey_failed, no_multidevice, unexpected_state, failed); it stays
	// until a device connects. ProblemNumber is the number refused.
	Problem       string
	ProblemNumber string
	// Passkey is the passkey step while State is passkey.
	Passkey *PairingPasskeyStep
	// OtherDevices are further linked devices the store holds and this
	// server does not use ("+573001234567 · 14").
	OtherDevices []string
	// Number is the declared number this device is (digits) when several
	// linked devices run (NumberPairing); "" with the single device.
	Number string
}

// PairingPasskeyStep is WhatsApp's passkey request as the page shows it.
type PairingPasskeyStep struct {
	Snippet  string // the line to run in the console of https://web.whatsapp.com
	Answered bool   // a response was sent; waiting for WhatsApp
	Code     string // the code to compare with the phone's, once WhatsApp sends it
}

// PasskeyAnswerer is implemented by a PairingSource whose pairings can take
// a passkey step: the page then offers to answer it.
type PasskeyAnswerer interface {
	AnswerPasskey(ctx context.Context, response string) error
	ConfirmPasskey(ctx context.Context) error
}

// ErrPairingUnavailable wraps a pairing action's refusal that is not a
// failure ("no linked device runs", "already linked"): the page says so
// instead of answering 500.
var ErrPairingUnavailable = errors.New("pairing action not available")

// NumberPairing is implemented by a PairingSource with several linked
// devices, one per declared number (issue 16): PairingFor is the source of
// number's device (digits); false when no device of that number runs here.
// The page then shows and acts on the device the ?number= parameter names.
type NumberPairing interface {
	PairingFor(number string) (PairingSource, bool)
}

// PairingSource is the consumer-side view of the WhatsApp channel (built by
// the channels issue): its status, and the operator's two actions.
type PairingSource interface {
	PairingStatus(ctx context.Context) (PairingStatus, error)
	Logout(ctx context.Context) error
	Pair(ctx context.Context) error
}

type pairingPageData struct {
	page
	Configured  bool
	Status      PairingStatus
	StateText   string
	ProblemText string
	Flash       string // the outcome of the last passkey action
	Refused     string // why the last action did not apply
	// Numbers are the agency's declared numbers and whether this
	// installation's linked device is each one (issue 16, numbers.go).
	Numbers []pairingNumber
	// Number is the declared number whose device the page shows (digits),
	// "" for the single device.
	Number string
}

// problemText words a pairing problem for the operator.
func problemText(lang string, st PairingStatus) string {
	if st.Problem == "" {
		return ""
	}
	text := T(lang, "pairing.problem.failed")
	if key := "pairing.problem." + st.Problem; T(lang, key) != key {
		text = T(lang, key)
	}
	switch {
	case st.Problem == "wrong_number" && st.Number != "" && st.ProblemNumber != "":
		// Several devices: say which number scanned and which this code is for.
		text = strings.NewReplacer("{scanned}", "+"+strings.TrimPrefix(st.ProblemNumber, "+"), "{want}", "+"+st.Number).
			Replace(T(lang, "pairing.problem.wrong_number_for"))
	case st.ProblemNumber != "":
		text += " (" + st.ProblemNumber + ")"
	}
	return text
}

// pairingOf is the source the request's ?number= names (a form's number
// field for the actions): that declared number's device when several run,
// the single source without one. An unknown number is not found.
func (s *Server) pairingOf(c echo.Context) (src PairingSource, number string, err error) {
	number = digitsOnly(cmpStr(c.QueryParam("number"), c.FormValue("number")))
	if s.pairing == nil || number == "" {
		return s.pairing, "", nil
	}
	np, ok := s.pairing.(NumberPairing)
	if !ok {
		return nil, "", echo.ErrNotFound
	}
	if src, ok = np.PairingFor(number); !ok {
		return nil, "", echo.ErrNotFound
	}
	return src, number, nil
}

// pairingURL is the pairing page of number's device ("" the single one).
func pairingURL(number, query string) string {
	u := "/admin/pairing"
	if number != "" {
		query = strings.TrimPrefix(query+"&number="+number, "&")
	}
	if query != "" {
		u += "?" + query
	}
	return u
}

func cmpErr(err, def error) error {
	if err != nil {
		return err
	}
	return def
}

func cmpStr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func digitsOnly(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
}

func (s *Server) pairingPage(c echo.Context) error {
	lang := langOf(c)
	src, number, err := s.pairingOf(c)
	if err != nil {
		return err
	}
	p := pairingPageData{page: s.basePage(c, lang), Configured: s.pairing != nil, Number: number}
	p.Title = T(lang, "pairing.title")
	if c.QueryParam("refused") == "1" {
		p.Refused = T(lang, "pairing.refused")
	}
	if src != nil {
		st, err := src.PairingStatus(c.Request().Context())
		if err != nil {
			return err
		}
		p.Status, p.StateText, p.ProblemText = st, T(lang, "pairing.state."+string(st.State)), problemText(lang, st)
	}
	if f := c.QueryParam("passkey"); f == "sent" || f == "confirmed" || f == "refused" {
		p.Flash = T(lang, "pairing.passkey."+f)
	}
	if p.Numbers, err = s.pairingNumbers(c.Request().Context(), lang, p.Status.Phone, number); err != nil {
		return err
	}
	s.audit(c, "pairing_viewed", "", "")
	return c.Render(http.StatusOK, "pairing", p)
}

// pairingStatus is polled by the page to refresh the QR and the state.
func (s *Server) pairingStatus(c echo.Context) error {
	src, _, err := s.pairingOf(c)
	if err != nil || src == nil {
		return cmpErr(err, echo.ErrNotFound)
	}
	st, err := src.PairingStatus(c.Request().Context())
	if err != nil {
		return err
	}
	lang := langOf(c)
	code := ""
	if st.Passkey != nil {
		code = st.Passkey.Code
	}
	return c.JSON(http.StatusOK, map[string]any{"state": st.State, "state_text": T(lang, "pairing.state."+string(st.State)),
		"phone": st.Phone, "has_qr": st.QR != "", "qr_version": hashToken(st.QR)[:12], "updated": st.Updated.UTC().Format(time.RFC3339),
		"problem": problemText(lang, st), "passkey_code": code})
}

// pairingQR renders the current code as a PNG (no external QR service).
func (s *Server) pairingQR(c echo.Context) error {
	src, _, err := s.pairingOf(c)
	if err != nil || src == nil {
		return cmpErr(err, echo.ErrNotFound)
	}
	st, err := src.PairingStatus(c.Request().Context())
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
	src, number, err := s.pairingOf(c)
	if err != nil || src == nil {
		return cmpErr(err, echo.ErrNotFound)
	}
	if err := src.Logout(c.Request().Context()); err != nil {
		return s.pairingRefused(c, number, err)
	}
	s.audit(c, "pairing_logout", number, "")
	return c.Redirect(http.StatusSeeOther, pairingURL(number, ""))
}

func (s *Server) pairingPair(c echo.Context) error {
	src, number, err := s.pairingOf(c)
	if err != nil || src == nil {
		return cmpErr(err, echo.ErrNotFound)
	}
	if err := src.Pair(c.Request().Context()); err != nil {
		return s.pairingRefused(c, number, err)
	}
	s.audit(c, "pairing_started", number, "")
	return c.Redirect(http.StatusSeeOther, pairingURL(number, ""))
}

// pairingRefused answers an action the channel refused as not applicable
// with the page and a notice (409 for scripts); other errors stay errors.
func (s *Server) pairingRefused(c echo.Context, number string, err error) error {
	if !errors.Is(err, ErrPairingUnavailable) {
		return err
	}
	s.log.Info("pairing action refused", "err", err)
	if !acceptsHTML(c) {
		return echo.NewHTTPError(http.StatusConflict, T(langOf(c), "pairing.refused"))
	}
	return c.Redirect(http.StatusSeeOther, pairingURL(number, "refused=1"))
}

// pairingPasskey sends the operator's pasted passkey response to WhatsApp.
// A response that is not one, or no passkey step waiting, is said on the
// page (an operator's mistake, not a server error).
func (s *Server) pairingPasskey(c echo.Context) error {
	src, number, err := s.pairingOf(c)
	if err != nil {
		return err
	}
	pa, ok := src.(PasskeyAnswerer)
	if !ok {
		return echo.ErrNotFound
	}
	outcome := "sent"
	if err := pa.AnswerPasskey(c.Request().Context(), c.FormValue("response")); err != nil {
		s.log.Warn("passkey response refused", "err", err)
		outcome = "refused"
	}
	s.audit(c, "pairing_passkey", number, outcome)
	return c.Redirect(http.StatusSeeOther, pairingURL(number, "passkey="+outcome))
}

// pairingPasskeyConfirm tells WhatsApp the code shown matches the phone's.
func (s *Server) pairingPasskeyConfirm(c echo.Context) error {
	src, number, err := s.pairingOf(c)
	if err != nil {
		return err
	}
	pa, ok := src.(PasskeyAnswerer)
	if !ok {
		return echo.ErrNotFound
	}
	outcome := "confirmed"
	if err := pa.ConfirmPasskey(c.Request().Context()); err != nil {
		s.log.Warn("passkey confirmation refused", "err", err)
		outcome = "refused"
	}
	s.audit(c, "pairing_passkey_confirm", number, outcome)
	return c.Redirect(http.StatusSeeOther, pairingURL(number, "passkey="+outcome))
}
