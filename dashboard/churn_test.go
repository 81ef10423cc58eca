package dashboard

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// seedCustomers stores n customers with fees and churn scores: customer i
// pays (1 + i mod 40) × 100,000 a month, started 1 + i mod 60 months ago
// and has probability (i+1)/(n+1).
func seedCustomers(t testing.TB, e *testEnv, n int) {
	t.Helper()
	ctx := context.Background()
	rows := make([]store.CustomerImport, n)
	for i := range rows {
		rows[i] = store.CustomerImport{Customer: store.Customer{ExtKey: "c" + strconv.Itoa(i),
			Name: "Cliente " + string(rune('A'+i%26)), Service: "seo", MonthlyFeeCOP: int64(1+i%40) * 100_000, StartedAt: e.now.AddDate(0, -1-i%60, 0)}}
	}
	if _, _, err := e.st.ImportCustomers(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	scores := make([]store.ChurnScore, n)
	for i := range scores {
		scores[i] = store.ChurnScore{CustomerID: int64(i + 1), ScoredAt: e.now.Truncate(24 * time.Hour), Probability: float64(i+1) / float64(n+1),
			Model: "forest:2", Reasons: []store.Reason{{Feature: "base", Value: "tasa base", Weight: 0.05}, {Feature: "support_30d", Value: "3 contactos a soporte en 30 días", Weight: 0.2}}}
	}
	if err := e.st.SaveChurnScores(ctx, scores); err != nil {
		t.Fatal(err)
	}
}

func TestChurnPageListsSortsExportsAndActs(t *testing.T) {
	env := newEnv(t, Deps{})
	seedCustomers(t, env, 4) // probabilities 0.2, 0.4, 0.6, 0.8; fees 100k…400k
	c := env.client()
	c.login("advisor1")
	rec := c.do(http.MethodGet, "/churn", nil, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /churn = %d", rec.Code)
	}
	for _, want := range []string{"<svg", "80 %", "$320.000", "3 contactos a soporte en 30 días", `action="/churn/4/retained"`, `href="/churn"`} {
		if !strings.Contains(body, want) {
			t.Errorf("churn page lacks %q", want)
		}
	}
	if strings.Contains(body, "tasa base") {
		t.Error("the base rate is listed as a reason")
	}
	// Highest probability first; by tenure the oldest customer (D, 4 months) first too.
	if a, b := strings.Index(body, "Cliente D"), strings.Index(body, "Cliente A"); a < 0 || a > b {
		t.Errorf("sort by risk: D at %d, A at %d", a, b)
	}
	en := c.do(http.MethodGet, "/churn?sort=tenure&lang=en", nil, nil).Body.String()
	if !strings.Contains(en, "Customers at risk of cancelling") || strings.Index(en, "Cliente D") > strings.Index(en, "Cliente A") {
		t.Error("English page by tenure: wrong title or order")
	}

	// CSV export: every active customer, in order, with a header.
	rec = c.do(http.MethodGet, "/churn.csv?sort=at_stake", nil, nil)
	recs, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || rec.Code != http.StatusOK || len(recs) != 5 {
		t.Fatalf("CSV = %d, %d records, %v", rec.Code, len(recs), err)
	}
	if recs[0][0] != "customer_id" || recs[1][1] != "Cliente D" || recs[1][6] != "0.8000" || recs[1][7] != "320000" {
		t.Errorf("CSV first rows = %v / %v", recs[0], recs[1])
	}

	// Actions: POST with CSRF, audited; churned leaves the list.
	if rec := c.do(http.MethodPost, "/churn/4/churned", url.Values{}, nil); rec.Code != http.StatusForbidden {
		t.Errorf("POST without CSRF = %d; want 403", rec.Code)
	}
	if rec := c.post("/churn/4/contacted", url.Values{"sort": {"tenure"}}); rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/churn?sort=tenure" {
		t.Errorf("contacted = %d → %q", rec.Code, rec.Header().Get("Location"))
	}
	if rec := c.post("/churn/4/churned", nil); rec.Code != http.StatusSeeOther {
		t.Errorf("churned = %d", rec.Code)
	}
	if rec := c.post("/churn/4/retained", nil); rec.Code != http.StatusConflict {
		t.Errorf("retaining a churned customer = %d; want 409", rec.Code)
	}
	if rec := c.post("/churn/99/retained", nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown customer = %d; want 404", rec.Code)
	}
	if body := c.do(http.MethodGet, "/churn", nil, nil).Body.String(); strings.Contains(body, "Cliente D") {
		t.Error("a churned customer is still listed")
	}
	audit, err := env.st.RecentAudit(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, a := range audit {
		seen[a.Action+" "+a.Object] = true
	}
	for _, want := range []string{"customer_contacted customer:4", "customer_churned customer:4", "churn_exported customers"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q", want)
		}
	}

	// A viewer reads the list but cannot act.
	v := env.client()
	v.login("viewer1")
	if rec := v.do(http.MethodGet, "/churn", nil, nil); rec.Code != http.StatusOK || strings.Contains(rec.Body.String(), `/retained"`) {
		t.Errorf("viewer: GET /churn = %d, action buttons shown = %v", rec.Code, strings.Contains(rec.Body.String(), `/retained"`))
	}
	if rec := v.post("/churn/3/retained", nil); rec.Code != http.StatusForbidden {
		t.Errorf("viewer POST = %d; want 403", rec.Code)
	}
}

func TestChurnPageWithoutScores(t *testing.T) {
	env := newEnv(t, Deps{})
	c := env.client()
	c.login("advisor1")
	rec := c.do(http.MethodGet, "/churn", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "cis train churn") {
		t.Errorf("GET /churn on an empty store = %d; want 200 with how to train", rec.Code)
	}
}

func TestQueueAndLeadShowExpectedValue(t *testing.T) {
	env := newEnv(t, Deps{LeadValue: func(p float64, service string, b flow.Budget) int64 {
		return int64(p * 10_000_000) // a flat 10 M deal: expected value = p × 10 M
	}})
	if err := env.st.InsertSyntheticLeads(context.Background(), 2, env.now); err != nil {
		t.Fatal(err)
	}
	rows, err := env.st.Queue(context.Background(), store.LeadFilter{})
	if err != nil || len(rows) == 0 {
		t.Fatal(err)
	}
	want := formatCOP(int64(rows[0].Probability * 10_000_000))
	c := env.client()
	c.login("advisor1")
	if body := c.do(http.MethodGet, "/", nil, nil).Body.String(); !strings.Contains(body, "≈ "+want) {
		t.Errorf("queue lacks the expected value %s", want)
	}
	if body := c.do(http.MethodGet, "/leads/"+strconv.FormatInt(rows[0].ID, 10), nil, nil).Body.String(); !strings.Contains(body, `id="expected-value">`+want) {
		t.Errorf("lead page lacks the expected value %s", want)
	}
	// Won with a fee: the lead becomes a customer paying that fee.
	if rec := c.post("/leads/"+strconv.FormatInt(rows[0].ID, 10)+"/won", url.Values{"value": {"9.000.000"}, "fee": {"1.500.000"}}); rec.Code != http.StatusSeeOther {
		t.Fatalf("won = %d", rec.Code)
	}
	cs, err := env.st.CustomerHistories(context.Background(), true)
	if err != nil || len(cs) != 1 || cs[0].MonthlyFeeCOP != 1_500_000 || cs[0].LeadID != rows[0].ID {
		t.Errorf("customers after won = %+v, %v", cs, err)
	}
}

// TestChurnListForOwners: sorted by expected loss by default, searchable,
// paged with a total, risk levels in words beside the colours, the model
// in words.
func TestChurnListForOwners(t *testing.T) {
	env := newEnv(t, Deps{})
	seedCustomers(t, env, 250)
	c := env.client()
	c.login("viewer1")
	page := c.do(http.MethodGet, "/churn", nil, nil).Body.String()
	for _, want := range []string{"250 clientes activos", "Página 1 de 3", `href="/churn?page=2"`, "Modelo de cancelación n.º 2",
		`<span class="risk high"><strong>`, "alto</span>", "pérdida esperada"} {
		if !strings.Contains(page, want) {
			t.Errorf("churn page lacks %q", want)
		}
	}
	if strings.Contains(page, "forest:2") {
		t.Error("the churn page names the model by its code")
	}
	// Expected loss: fee × probability, the largest first.
	rows, err := env.st.ChurnRisk(context.Background(), store.RiskFilter{Sort: "at_stake", Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if first := strings.Index(page, `data-customer="`+strconv.FormatInt(rows[0].ID, 10)+`"`); first < 0 || first > strings.Index(page, `data-customer="`+strconv.FormatInt(rows[1].ID, 10)+`"`) {
		t.Error("the list does not start with the largest expected loss")
	}
	found := c.do(http.MethodGet, "/churn?q=c249", nil, nil).Body.String()
	if !strings.Contains(found, "1 clientes activos") || strings.Count(found, "data-customer=") != 1 {
		t.Errorf("search by customer key finds %d rows", strings.Count(found, "data-customer="))
	}
	if p3 := c.do(http.MethodGet, "/churn?page=3", nil, nil).Body.String(); strings.Count(p3, "data-customer=") != 50 || strings.Contains(p3, "page=4") {
		t.Error("page 3 should hold the last 50 customers and no next page")
	}
}

// TestChurnCSVEscapesEveryCell: spreadsheet formulas typed in any text
// column come out as text.
func TestChurnCSVEscapesEveryCell(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	evil := "=HYPERLINK(\"http://x\",\"y\")"
	rows := []store.CustomerImport{{Customer: store.Customer{ExtKey: "@key", Name: evil, Service: "+svc", Plan: "-plan",
		MonthlyFeeCOP: 100_000, StartedAt: env.now.AddDate(0, -3, 0)}}}
	if _, _, err := env.st.ImportCustomers(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	if err := env.st.SaveChurnScores(ctx, []store.ChurnScore{{CustomerID: 1, ScoredAt: env.now, Probability: 0.4, Model: "=model",
		Reasons: []store.Reason{{Feature: "x", Value: "=cmd|' /C calc'!A0", Weight: 0.1}}}}); err != nil {
		t.Fatal(err)
	}
	c := env.client()
	c.login("advisor1")
	rec := c.do(http.MethodGet, "/churn.csv", nil, nil)
	recs, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("CSV: %v, %d records", err, len(recs))
	}
	for i, cell := range recs[1] {
		if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
			if _, err := strconv.ParseFloat(cell, 64); err != nil {
				t.Errorf("column %s = %q: a spreadsheet would run it", recs[0][i], cell)
			}
		}
	}
}
