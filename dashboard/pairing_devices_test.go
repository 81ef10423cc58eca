package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/store"
)

// multiPairing stands in for several linked devices, one per declared
// number (cmd/cis's linkedPairing with devices).
type multiPairing struct {
	*fakePairing // the default: the first number's device
	by           map[string]*fakePairing
}

func (m *multiPairing) PairingFor(number string) (PairingSource, bool) {
	f, ok := m.by[number]
	return f, ok
}

// TestPairingPageSeveralDevices (issue 16): with several linked devices the
// pairing page lists every declared number with its device's state and a
// pair action; ?number= shows and acts on that number's device only (its
// QR, its pair and logout); a phone of another number that scanned its
// code is named with the number the code is for; an unknown number is not
// found.
func TestPairingPageSeveralDevices(t *testing.T) {
	norte := &fakePairing{st: PairingStatus{State: PairingConnected, Phone: "+573001110000", Number: "573001110000"}}
	sur := &fakePairing{st: PairingStatus{State: PairingWaitingQR, QR: "2@sur,code", Number: "573002220000",
		Problem: "wrong_number", ProblemNumber: "573001110000"}}
	env := newEnv(t, Deps{Pairing: &multiPairing{fakePairing: norte, by: map[string]*fakePairing{"573001110000": norte, "573002220000": sur}}})
	ctx := context.Background()
	for _, n := range []store.Number{
		{Channel: "whatsapp", Address: "573001110000", Brand: "Norte"},
		{Channel: "whatsapp", Address: "573002220000", Brand: "Sur"},
	} {
		if err := env.st.DeclareNumber(ctx, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/admin/pairing", nil, nil).Body.String()
	for _, want := range []string{`<bdi>Norte</bdi> · Conectado`, `<bdi>Sur</bdi> · Esperando escaneo del QR`,
		`href="/admin/pairing?number=573002220000"`, `href="/admin/pairing?number=573001110000"`} {
		if !strings.Contains(page, want) {
			t.Errorf("pairing page lacks %q", want)
		}
	}
	page = admin.do(http.MethodGet, "/admin/pairing?number=573002220000", nil, nil).Body.String()
	for _, want := range []string{`<code>+573002220000</code>`, `src="/admin/pairing/qr.png?number=573002220000"`,
		`escaneó con el WhatsApp de &#43;573001110000, pero este código es para &#43;573002220000: no se vinculó`,
		`<input type="hidden" name="number" value="573002220000">`, `<bdi>Sur</bdi> · Esperando escaneo del QR · <strong>`} {
		if !strings.Contains(page, want) {
			t.Errorf("number's pairing page lacks %q", want)
		}
	}
	if rec := admin.do(http.MethodGet, "/admin/pairing/qr.png?number=573002220000", nil, nil); rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
		t.Errorf("number's QR: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec := admin.do(http.MethodGet, "/admin/pairing/qr.png?number=573001110000", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("QR of a connected device: %d; want 404 (no code)", rec.Code)
	}
	if rec := admin.do(http.MethodGet, "/admin/pairing?number=573009999999", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown number's page: %d; want 404", rec.Code)
	}
	rec := admin.post("/admin/pairing/logout", url.Values{"number": {"573002220000"}})
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/pairing?number=573002220000" {
		t.Errorf("logout: %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	if sur.logouts != 1 || norte.logouts != 0 {
		t.Errorf("logouts: sur %d, norte %d; want only the named number's device", sur.logouts, norte.logouts)
	}
	if rec := admin.post("/admin/pairing/pair", url.Values{"number": {"573002220000"}}); rec.Code != http.StatusSeeOther || sur.pairs != 1 || norte.pairs != 0 {
		t.Errorf("pair: %d; pairs sur %d, norte %d", rec.Code, sur.pairs, norte.pairs)
	}
}
