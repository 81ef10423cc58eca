package dashboard

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/store"
)

// passkeyPairing is a PairingSource in the states of issue 23 (passkey
// step, outdated client, a second device) that records the passkey answers.
type passkeyPairing struct {
	mu        sync.Mutex
	st        PairingStatus
	answers   []string
	confirmed int
}

func (p *passkeyPairing) PairingStatus(context.Context) (PairingStatus, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.st, nil
}
func (p *passkeyPairing) Logout(context.Context) error { return nil }
func (p *passkeyPairing) Pair(context.Context) error   { return nil }
func (p *passkeyPairing) AnswerPasskey(_ context.Context, response string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !strings.HasPrefix(response, "{") {
		return errors.New("not a passkey response")
	}
	p.answers = append(p.answers, response)
	k := *p.st.Passkey // the statuses below are shared by the tests: never changed in place
	k.Answered = true
	p.st.Passkey = &k
	return nil
}
func (p *passkeyPairing) ConfirmPasskey(context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.confirmed++
	return nil
}

func (p *passkeyPairing) set(st PairingStatus) {
	p.mu.Lock()
	p.st = st
	p.mu.Unlock()
}

var (
	updated       = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	passkeyStatus = PairingStatus{State: PairingPasskey, Updated: updated,
		Passkey: &PairingPasskeyStep{Snippet: `(async o=>{…navigator.credentials.get…})({"challenge":"YWJj","rpId":"whatsapp.com"})`}}
	outdatedStatus     = PairingStatus{State: PairingClientOutdated, Updated: updated, Problem: "client_outdated"}
	secondDeviceStatus = PairingStatus{State: PairingConnected, Phone: "+573009990000", Updated: updated,
		OtherDevices: []string{"+573009990000 · 21"}}
)

// TestPairingPageStates: the pairing page shows each new state with what
// the operator must do, and carries the passkey answers to the channel.
func TestPairingPageStates(t *testing.T) {
	fp := &passkeyPairing{}
	env := newEnv(t, Deps{Pairing: fp})
	c := env.client()
	c.login("admin1")
	page := func() string {
		t.Helper()
		r := c.do(http.MethodGet, "/admin/pairing", nil, nil)
		if r.Code != http.StatusOK {
			t.Fatalf("pairing page: %d", r.Code)
		}
		return r.Body.String()
	}
	fp.set(passkeyStatus)
	body := page()
	for _, want := range []string{templateEscaped(T("es", "pairing.state.passkey")), "web.whatsapp.com", "navigator.credentials.get",
		`id="passkey-response"`, `action="/admin/pairing/passkey"`} {
		if !strings.Contains(body, want) {
			t.Errorf("passkey step: page lacks %q", want)
		}
	}
	if r := c.post("/admin/pairing/passkey", url.Values{"response": {"hola"}}); r.Code != http.StatusSeeOther ||
		!strings.HasSuffix(r.Header().Get("Location"), "passkey=refused") {
		t.Errorf("a response that is not one: %d %s; want back to the page saying so", r.Code, r.Header().Get("Location"))
	}
	resp := `{"id":"AQID","rawId":"AQID"}`
	if r := c.post("/admin/pairing/passkey", url.Values{"response": {resp}}); r.Code != http.StatusSeeOther ||
		!strings.HasSuffix(r.Header().Get("Location"), "passkey=sent") || len(fp.answers) != 1 || fp.answers[0] != resp {
		t.Errorf("passkey answer: %d %s, channel got %q", r.Code, r.Header().Get("Location"), fp.answers)
	}
	if body := c.do(http.MethodGet, "/admin/pairing?passkey=sent", nil, nil).Body.String(); !strings.Contains(body, T("es", "pairing.passkey.answered")) {
		t.Error("the page does not say the passkey was answered")
	}
	st := passkeyStatus
	st.Passkey = &PairingPasskeyStep{Answered: true, Code: "ABCD-EFGH"}
	fp.set(st)
	if body := page(); !strings.Contains(body, "ABCD-EFGH") || !strings.Contains(body, `action="/admin/pairing/passkey/confirm"`) {
		t.Error("confirmation code not shown with its button")
	}
	if r := c.post("/admin/pairing/passkey/confirm", nil); r.Code != http.StatusSeeOther || fp.confirmed != 1 {
		t.Errorf("confirm: %d, %d confirmations", r.Code, fp.confirmed)
	}
	fp.set(outdatedStatus)
	if body := page(); !strings.Contains(body, templateEscaped(T("es", "pairing.state.client_outdated"))) ||
		!strings.Contains(body, "--whatsapp-version") || !strings.Contains(body, "(405)") {
		t.Error("client outdated: the page does not say why nor what to do")
	}
	wrong := PairingStatus{State: PairingWaitingQR, QR: "2@x", Updated: updated, Problem: "wrong_number", ProblemNumber: "+573001234567"}
	fp.set(wrong)
	if body := page(); !strings.Contains(body, templateEscaped("(+573001234567)")) || !strings.Contains(body, "--whatsapp-number") {
		t.Error("a refused number is not shown while new codes are")
	}
	fp.set(secondDeviceStatus)
	if body := page(); !strings.Contains(body, templateEscaped("+573009990000 · 21")) || !strings.Contains(body, templateEscaped(T("es", "pairing.others"))) {
		t.Error("a second device in the store is not reported")
	}
	// The JSON the page polls carries the reason and the code.
	fp.set(outdatedStatus)
	if body := c.do(http.MethodGet, "/admin/pairing/status", nil, nil).Body.String(); !strings.Contains(body, `"problem":"WhatsApp rechazó`) {
		t.Errorf("status JSON %s lacks the problem", body)
	}
}

// TestHandBackFromTheLeadPage: a chat an advisor took over from the phone
// shows so on the queue and the lead page, and the lead page gives it back.
func TestHandBackFromTheLeadPage(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	seedLead(t, env.st, "+573001234567", "Carlos", "hola", env.now)
	if _, err := env.st.TakeOver(ctx, "whatsapp", "+5760000000", "+573001234567", "PHONE1", env.now); err != nil {
		t.Fatal(err)
	}
	rows, err := env.st.Queue(ctx, store.LeadFilter{Status: "all"})
	if err != nil || len(rows) != 1 || !rows[0].TakenOver || rows[0].Status != "contacted" {
		t.Fatalf("queue %+v, %v", rows, err)
	}
	c := env.client()
	c.login("advisor1")
	if q := c.do(http.MethodGet, "/?status=all", nil, nil).Body.String(); !strings.Contains(q, templateEscaped(T("es", "queue.takeover"))) {
		t.Error("the queue does not show the chat is with a person")
	}
	lead := "/leads/" + strconv.FormatInt(rows[0].ID, 10)
	page := c.do(http.MethodGet, lead, nil, nil).Body.String()
	if !strings.Contains(page, `id="hand-back"`) || !strings.Contains(page, templateEscaped(T("es", "event.whatsapp_phone"))) {
		t.Error("the lead page lacks the takeover section or the contact from the phone")
	}
	if r := c.post(lead+"/handback", nil); r.Code != http.StatusSeeOther {
		t.Fatalf("hand back: %d", r.Code)
	}
	if d, err := env.st.Lead(ctx, rows[0].ID); err != nil || d.TakenOver {
		t.Errorf("after hand back: taken over %v, %v", d.TakenOver, err)
	}
	if page := c.do(http.MethodGet, lead, nil, nil).Body.String(); strings.Contains(page, `id="hand-back"`) {
		t.Error("the hand-back button is still shown")
	}
}

// TestBrowserPairingStates opens the pairing page in Chromium in the new
// states and takes the screenshots the README shows: the passkey prompt,
// the confirmation code, the outdated client, a second device.
func TestBrowserPairingStates(t *testing.T) {
	fp := &passkeyPairing{}
	env := newEnv(t, Deps{Pairing: fp})
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	admin := browser(t)
	if err := within(admin, 30*time.Second, login(srv.URL, "admin1")...); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	open := func(st PairingStatus, ready string) {
		t.Helper()
		fp.set(st)
		if err := within(admin, 20*time.Second, chromedp.Navigate(srv.URL+"/admin/pairing"), chromedp.WaitVisible(chromedp.CSS(ready))); err != nil {
			t.Fatalf("pairing page (%s): %v", st.State, err)
		}
	}
	open(passkeyStatus, "#passkey-response")
	shot(t, admin, "pairing-passkey")
	// The operator pastes the response; the page says it went.
	err := within(admin, 20*time.Second,
		chromedp.SendKeys(chromedp.CSS("#passkey-response"), `{"id":"AQID","rawId":"AQID","type":"public-key"}`),
		chromedp.Submit(chromedp.CSS("#passkey-response")),
		chromedp.WaitVisible(chromedp.CSS("#pairing-flash")))
	if err != nil || len(fp.answers) != 1 {
		t.Fatalf("passkey answer in the browser: %v, %d answers", err, len(fp.answers))
	}
	// WhatsApp sends the code to compare: the page reloads by itself to show it.
	st := passkeyStatus
	st.Passkey = &PairingPasskeyStep{Answered: true, Code: "ABCD-EFGH"}
	fp.set(st)
	if err := within(admin, 20*time.Second, chromedp.WaitVisible(chromedp.CSS("#passkey-code"))); err != nil {
		t.Fatalf("the confirmation code did not appear: %v", err)
	}
	shot(t, admin, "pairing-passkey-code")
	open(outdatedStatus, "#pairing-outdated")
	if got := text(t, admin, "#pairing-problem"); !strings.Contains(got, "405") {
		t.Errorf("problem shown: %q", got)
	}
	shot(t, admin, "pairing-outdated")
	open(secondDeviceStatus, "#pairing-others")
	shot(t, admin, "pairing-second-device")
}
