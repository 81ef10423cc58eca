package dashboard

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// forestReasons are reasons as the trained forest stores them: the base
// rate first, feature keys, the scorer's words and small contributions.
var forestReasons = []flow.Reason{
	{Feature: "base", Value: "tasa base de conversión del historial", Weight: 0.18},
	{Feature: "urgency", Value: "urgencia inmediata", Weight: 0.10},
	{Feature: "budget", Value: "presupuesto bajo", Weight: -0.04},
	{Feature: "city", Value: "Medellín convierte por encima del promedio", Weight: 0.03},
	{Feature: "service", Value: "el servicio ads convierte por encima del promedio", Weight: 0.02},
	{Feature: "budget_unknown", Value: "dio un presupuesto", Weight: 0.0004},
	{Feature: "month", Value: "temporada baja (noviembre)", Weight: -0.003},
	{Feature: "returning", Value: "ya había escrito antes: convierte por encima del promedio", Weight: 0.012},
}

// TestLeadPageInAdvisorWords: reasons are sentences about the prospect with
// points, no feature key or raw weight; the ones under one point are folded
// into "otros factores"; the probability and the model are in words.
func TestLeadPageInAdvisorWords(t *testing.T) {
	env := newEnv(t, Deps{})
	ids := seedWorkday(t, env, []workLead{{"Carlos Andrés", "Medellín", "ads", flow.Hot, 20 * time.Minute, forestReasons}})
	c := env.client()
	c.login("advisor1")
	page := html.UnescapeString(c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[0]), nil, nil).Body.String())
	for _, want := range []string{
		"Quiere empezar ya", "+10",
		"Presupuesto de 2 a 5 millones: por debajo de lo que suele cerrar", "−4",
		"Escribe desde Medellín: una ciudad que cierra más que el promedio",
		"Pide Pauta digital (anuncios): un servicio que cierra más que el promedio",
		"Ya había escrito antes: convierte por encima del promedio",
		"Otros factores (2), que suman", "menos de 1 punto",
		"De cada 100 leads como este, unos 45 terminan comprando.", "el promedio es 18 de cada 100",
		"Modelo de leads n.º 3", "WhatsApp (demostración)",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("lead page lacks %q", want)
		}
	}
	for _, code := range []string{"urgency =", "budget_unknown", "+0.00", "-0.00", "forest:3", "temporada baja (noviembre)", ">demo<"} {
		if strings.Contains(page, code) {
			t.Errorf("lead page shows the code word %q", code)
		}
	}
}

// TestWonValueAsTheBotReadsIt: the won value takes what a prospect's budget
// takes; anything else is refused beside the field, keeping what was typed,
// and the lead stays open.
func TestWonValueAsTheBotReadsIt(t *testing.T) {
	tests := []struct {
		value, fee string
		want       int64 // 0: refused
		wantFee    int64
	}{
		{"3 millones", "", 3_000_000, 3_000_000},
		{"$3.000.000", "", 3_000_000, 3_000_000},
		{"3000000", "", 3_000_000, 3_000_000},
		{"2,5 millones", "800 mil", 2_500_000, 800_000},
		{"3M", "$1.200.000", 3_000_000, 1_200_000},
		{"tres millones", "", 3_000_000, 3_000_000},
		{"USD 1000", "", 4_000_000, 4_000_000},
		{"mucho", "", 0, 0},
		{"entre 1 y 2 millones", "", 0, 0},
		{"no sé", "", 0, 0},
		{"", "", 0, 0},
		{"3 millones", "la mitad", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.value+"/"+tt.fee, func(t *testing.T) {
			env := newEnv(t, Deps{USDToCOP: 4000})
			ids := seedWorkday(t, env, []workLead{{"Carlos Andrés", "Medellín", "ads", flow.Hot, 20 * time.Minute, nil}})
			c := env.client()
			c.login("advisor1")
			rec := c.post(fmt.Sprintf("/leads/%d/won", ids[0]), url.Values{"value": {tt.value}, "fee": {tt.fee}})
			d, err := env.st.Lead(context.Background(), ids[0])
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == 0 {
				body := rec.Body.String()
				if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="form-error"`) || !strings.Contains(body, "3 millones") ||
					!strings.Contains(body, `aria-invalid="true"`) {
					t.Errorf("refusal: %d; want 422 with an inline error and the example", rec.Code)
				}
				if tt.value != "" && !strings.Contains(body, `value="`+templateEscaped(tt.value)+`"`) {
					t.Errorf("the typed value %q is not kept", tt.value)
				}
				if d.Status != "open" {
					t.Errorf("status after a refused value: %s", d.Status)
				}
				return
			}
			if rec.Code != http.StatusSeeOther || d.Status != "won" || d.OutcomeValueCOP != tt.want {
				t.Fatalf("won %q: %d, status %s, value %d; want %d", tt.value, rec.Code, d.Status, d.OutcomeValueCOP, tt.want)
			}
			cust, err := env.st.CustomerHistories(context.Background(), true)
			if err != nil || len(cust) != 1 || cust[0].Events[0].AmountCOP != tt.wantFee {
				t.Errorf("customer fee = %+v, %v; want %d", cust, err, tt.wantFee)
			}
		})
	}
}

// TestErasedLeadCannotChange: once the person is erased, no action applies
// to the lead (no nameless customer), and the page says why.
func TestErasedLeadCannotChange(t *testing.T) {
	env := newEnv(t, Deps{})
	ids := seedWorkday(t, env, []workLead{{"Carlos Andrés", "Medellín", "ads", flow.Hot, 20 * time.Minute, nil}})
	d, err := env.st.Lead(context.Background(), ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.st.EraseByPhone(context.Background(), d.Phone, store.EraseRequested, "admin", env.users[RoleAdmin].ID); err != nil {
		t.Fatal(err)
	}
	c := env.client()
	c.login("advisor1")
	for _, a := range []struct {
		path string
		form url.Values
	}{{"won", url.Values{"value": {"3 millones"}}}, {"lost", url.Values{"reason": {"precio"}}}, {"contacted", nil}, {"note", url.Values{"note": {"x"}}}, {"take", nil}} {
		if rec := c.post(fmt.Sprintf("/leads/%d/%s", ids[0], a.path), a.form); rec.Code != http.StatusConflict {
			t.Errorf("%s on an erased lead: %d; want 409", a.path, rec.Code)
		}
	}
	if n, err := env.st.CustomerHistories(context.Background(), false); err != nil || len(n) != 0 {
		t.Errorf("customers after acting on an erased lead: %d, %v", len(n), err)
	}
	page := c.do(http.MethodGet, fmt.Sprintf("/leads/%d", ids[0]), nil, nil).Body.String()
	if !strings.Contains(page, `id="erased"`) || strings.Contains(page, `id="actions"`) {
		t.Error("the erased lead's page must say so and offer no action")
	}
}

// TestLeadTimeline: messages, actions, notifications and the outcome in
// one history, oldest first.
func TestLeadTimeline(t *testing.T) {
	env := newEnv(t, Deps{})
	seedLead(t, env.st, "+573001112233", "Carlos", "hola, quiero pauta", env.now)
	c := env.client()
	c.login("advisor1")
	env.now = env.now.Add(10 * time.Minute)
	c.post("/leads/1/contacted", nil)
	c.post("/leads/1/note", url.Values{"note": {"llamar el martes"}})
	c.post("/leads/1/won", url.Values{"value": {"2 millones"}})
	// After the deadline the prospect asks when they will be called (issue 13's event).
	promised := env.now.Add(2 * time.Hour)
	in := flow.Inbound{Channel: "whatsapp", Account: "+5760000000", ID: "m-later", From: "+573001112233", Kind: flow.KindText,
		Text: "¿a qué hora me llaman?", At: env.now}
	if _, err := env.st.Handle(context.Background(), in, func(st flow.State) flow.Result {
		return flow.Result{State: st, Events: []flow.Event{{Kind: flow.EventAskedForCall, Deadline: promised}}}
	}); err != nil {
		t.Fatal(err)
	}
	page := c.do(http.MethodGet, "/leads/1", nil, nil).Body.String()
	if !strings.Contains(page, "Preguntó cuándo lo llaman") || !strings.Contains(page, promised.In(bogota).Format("2006-01-02 15:04")) {
		t.Error("the timeline does not show the prospect asking when they will be called, with the new time promised")
	}
	var at []int
	for _, want := range []string{"hola, quiero pauta", "Completó sus datos con el bot", "Gracias Carlos", "Primer contacto del asesor",
		"llamar el martes", "Ganado: ahora es cliente"} {
		i := strings.Index(page, want)
		if i < 0 {
			t.Errorf("timeline lacks %q", want)
		}
		at = append(at, i)
	}
	for i := 1; i < len(at); i++ {
		if at[i] < at[i-1] {
			t.Errorf("timeline out of order around item %d", i)
		}
	}
}

// TestLeadPageOtherServices: a prospect who names several services in the
// web chat ("pauta en facebook, seo y redes sociales") gets the first as the
// lead's service; the lead page shows the others in words, Spanish by
// default and English on request, in the order named. A lead with one
// service shows no such line.
func TestLeadPageOtherServices(t *testing.T) {
	env := newBotEnv(t, Deps{})
	several := slices.Clone(hotLead)
	several[len(several)-2] = "pauta en facebook, seo y redes sociales"
	visitor := env.client()
	for _, m := range several {
		visitor.chat(m)
	}
	single := env.client()
	for _, m := range hotLead {
		single.chat(m)
	}
	adv := env.client()
	adv.login("advisor1")
	tests := []struct {
		id    int64
		query string
		want  string // "" when the line must be absent
	}{
		{1, "", "También le interesa</dt><dd id=\"other-services\"><bdi>SEO (posicionamiento en Google), Redes sociales</bdi>"},
		{1, "?lang=en", "Also interested in</dt><dd id=\"other-services\"><bdi>SEO (Google ranking), Social media management</bdi>"},
		{2, "", ""},
	}
	for _, tt := range tests {
		page := html.UnescapeString(adv.do(http.MethodGet, fmt.Sprintf("/leads/%d%s", tt.id, tt.query), nil, nil).Body.String())
		if !strings.Contains(page, "Pauta digital (anuncios)") && !strings.Contains(page, "Paid ads") {
			t.Errorf("lead %d%s: the lead's own service is not shown", tt.id, tt.query)
		}
		if tt.want == "" {
			if strings.Contains(page, `id="other-services"`) {
				t.Errorf("lead %d: a one-service lead shows other services", tt.id)
			}
			continue
		}
		if !strings.Contains(page, tt.want) {
			t.Errorf("lead %d%s lacks %q", tt.id, tt.query, tt.want)
		}
	}
}
