package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// TestNumbersPage: an admin sees a delivery held for an undeclared number,
// declares it and a second one (a linked device, written as people write
// it) with their brands and advisors, each audited under the admin's
// name; bad input gets a clear message in the page's language and stores
// nothing; the queue filters by number; advisors and viewers cannot see
// the page.
func TestNumbersPage(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	admin := env.client()
	admin.login("admin1")
	if err := env.st.HoldForNumber(ctx, "cloudapi", "106540352242922", []byte(`{"object":"whatsapp_business_account"}`)); err != nil {
		t.Fatal(err)
	}
	page := admin.do(http.MethodGet, "/admin/numbers", nil, nil).Body.String()
	for _, want := range []string{`data-number="106540352242922"`, "Mensajes retenidos", `value="106540352242922"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"channel": {"cloudapi"}, "number": {"+57 300"}, "brand": {"X"}}, "phone_number_id"},
		{url.Values{"channel": {"whatsapp"}, "number": {"300 123"}, "brand": {"X"}}, "código de país"},
		{url.Values{"channel": {"cloudapi"}, "number": {"1"}}, "La marca es obligatoria"},
		{url.Values{"channel": {"sms"}, "number": {"1"}, "brand": {"X"}}, "Elige el canal"},
		{url.Values{"channel": {"cloudapi"}, "number": {"1"}, "brand": {"X"}, "services": {`[{"key":"Bad Key"}]`}}, "Los servicios no se pueden leer"},
		{url.Values{"channel": {"cloudapi"}, "number": {"1"}, "brand": {"X"}, "advisors": {"nadie"}}, "no tiene cuenta"},
		{url.Values{"channel": {"cloudapi"}, "number": {"1"}, "brand": {"X"}, "policy_url": {"javascript:alert(1)"}}, "https://"},
	} {
		rec := admin.post("/admin/numbers", bad.form)
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), bad.want) {
			t.Errorf("%v: %d; want 422 saying %q", bad.form, rec.Code, bad.want)
		}
	}
	if ns, err := env.st.Numbers(ctx); err != nil || len(ns) != 0 {
		t.Fatalf("refused forms stored %+v, %v", ns, err)
	}
	for _, form := range []url.Values{
		{"channel": {"cloudapi"}, "number": {"106540352242922"}, "brand": {"Norte Digital SAS"}, "contact": {"datos@norte.example"},
			"advisors": {"advisor1"}, "services": {`[{"key":"video","label":{"es":"Video","en":"Video"},"synonyms":["video"]}]`}},
		{"channel": {"whatsapp"}, "number": {"+57 300 123 4567"}, "brand": {"Sur Creativo"}},
	} {
		if rec := admin.post("/admin/numbers", form); rec.Code != http.StatusSeeOther {
			t.Fatalf("declare %v: %d\n%s", form, rec.Code, rec.Body.String())
		}
	}
	ns, err := env.st.Numbers(ctx)
	if err != nil || len(ns) != 2 || ns[0].Brand != "Norte Digital SAS" || fmt.Sprint(ns[0].Advisors) != "[advisor1]" ||
		ns[1].Address != "573001234567" || ns[1].Channel != "whatsapp" {
		t.Fatalf("numbers = %+v, %v", ns, err)
	}
	audit, err := env.st.RecentAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	declared := 0
	for _, a := range audit {
		if a.Action == "number.declare" && a.UserID == env.users[RoleAdmin].ID {
			declared++
		}
	}
	if declared != 2 {
		t.Errorf("%d declarations audited under the admin; want 2 (%+v)", declared, audit)
	}
	page = admin.do(http.MethodGet, "/admin/numbers?edit="+itoa(ns[0].ID), nil, nil).Body.String()
	for _, want := range []string{"Norte Digital SAS", `value="datos@norte.example"`, "&#34;video&#34;", "Sur Creativo", "Dispositivo vinculado"} {
		if !strings.Contains(page, want) {
			t.Errorf("page after declaring lacks %q", want)
		}
	}
	// A lead of each number; the queue's number filter shows one.
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for i, acct := range []string{"106540352242922", "573001234567"} {
		ch := []string{"cloudapi", "whatsapp"}[i]
		for j, text := range []string{"hola", "sí", "Carlos", "Cali", "2 millones", "pa' ya", "una página web"} {
			in := flow.Inbound{Channel: ch, Account: acct, ID: fmt.Sprintf("n%d.%d", i, j), From: fmt.Sprintf("+57300999000%d", i),
				Kind: flow.KindText, Text: text, At: env.now}
			if _, err := env.st.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, env.now) }); err != nil {
				t.Fatal(err)
			}
			sendAll(t, env.st, ch)
		}
	}
	queue := admin.do(http.MethodGet, "/?number="+itoa(ns[1].ID), nil, nil).Body.String()
	if n := strings.Count(queue, `data-lead="`); n != 1 || !strings.Contains(queue, `id="number-filter"`) {
		t.Errorf("queue filtered by number: %d leads, filter shown %v; want 1", n, strings.Contains(queue, `id="number-filter"`))
	}
	if all := admin.do(http.MethodGet, "/", nil, nil).Body.String(); strings.Count(all, `data-lead="`) != 2 {
		t.Errorf("queue of every number: %d leads; want 2", strings.Count(all, `data-lead="`))
	}
	for _, role := range []string{RoleAdvisor, RoleViewer} {
		c := env.client()
		c.login(role + "1")
		if rec := c.do(http.MethodGet, "/admin/numbers", nil, nil); rec.Code != http.StatusForbidden {
			t.Errorf("%s sees the numbers page: %d", role, rec.Code)
		}
	}
}

// sendAll marks every due reply of channel sent, as the sender would.
func sendAll(t *testing.T, st *store.Store, channel string) {
	t.Helper()
	ctx := context.Background()
	out, err := st.PendingOutbox(ctx, channel, 100)
	if err != nil {
		t.Fatal(err)
	}
	var done []store.Sent
	for _, o := range out {
		if ok, err := st.ClaimNext(ctx, done, o.ID); err != nil || !ok {
			t.Fatalf("claim %d: %v %v", o.ID, ok, err)
		}
		done = []store.Sent{{ID: o.ID, ExtID: fmt.Sprintf("out.%d", o.ID)}}
	}
	if err := st.MarkSentMany(ctx, done); err != nil {
		t.Fatal(err)
	}
}

// TestPairingPageNumbers: the pairing page lists the declared numbers and
// says which one this installation's linked device is.
func TestPairingPageNumbers(t *testing.T) {
	env := newEnv(t, Deps{Pairing: &fakePairing{st: PairingStatus{State: "connected", Phone: "+573001234567"}}})
	ctx := context.Background()
	for _, n := range []store.Number{
		{Channel: "whatsapp", Address: "573001234567", Brand: "Norte"},
		{Channel: "whatsapp", Address: "573007654321", Brand: "Sur"},
		{Channel: "cloudapi", Address: "106540352242922", Brand: "Oriente"},
	} {
		if err := env.st.DeclareNumber(ctx, n, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/admin/pairing", nil, nil).Body.String()
	for _, want := range []string{`data-number="573001234567"><code>573001234567</code> · <bdi>Norte</bdi> · <strong>vinculado en esta instalación`,
		`<bdi>Sur</bdi> · <span class="badge cold">sin vincular aquí`, `<bdi>Oriente</bdi> · Cloud API`} {
		if !strings.Contains(page, want) {
			t.Errorf("pairing page lacks %q", want)
		}
	}
}
