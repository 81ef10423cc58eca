package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// seedAnalytics gives the test store, in February 2026: two campaigns (one
// named like a spreadsheet formula, losing money on 40 lost leads), five
// scored leads of "fb" with known outcomes and a dropped conversation.
func seedAnalytics(t testing.TB, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	if _, err := st.ImportCampaigns(ctx, []store.CampaignRow{
		{Campaign: store.Campaign{Key: "fb", Name: "Facebook febrero", Channel: "facebook"}, Spend: &store.Spend{Period: "day", Day: "2026-02-10", AmountCOP: 250_000}},
		{Campaign: store.Campaign{Key: "evil", Name: "=HYPERLINK(\"http://x\")", Channel: "other"}, Spend: &store.Spend{Period: "month", Day: "2026-02-01", AmountCOP: 10_000_000}},
	}); err != nil {
		t.Fatal(err)
	}
	lead := func(src, class string, p float64, day int, status string, value int64) store.PastLead {
		at := time.Date(2026, 2, day, 15, 0, 0, 0, time.UTC)
		pl := store.PastLead{Lead: flow.Lead{Name: "Prospecto", City: flow.City{Name: "Cali"}, Urgency: flow.Immediate, Service: "ads", Source: src,
			StartedAt: at.Add(-5 * time.Minute), CompletedAt: at}, Score: flow.Score{Class: flow.Class(class), Probability: p, Model: "forest:1"},
			Deadline: at.Add(25 * time.Minute), Status: status}
		if status != "open" {
			pl.ContactedAt = at.Add(40 * time.Minute) // late: the deadline was 25 minutes
		}
		if status == "won" || status == "lost" {
			pl.OutcomeAt, pl.ValueCOP = at.Add(48*time.Hour), value
		}
		return pl
	}
	leads := []store.PastLead{
		lead("fb", "hot", 0.9, 10, "won", 1_000_000),
		lead("fb", "hot", 0.7, 11, "lost", 0),
		lead("fb", "warm", 0.6, 12, "won", 500_000),
		lead("fb", "cold", 0.2, 13, "lost", 0),
		lead("fb", "cold", 0.1, 14, "open", 0),
	}
	for i := range 40 {
		leads = append(leads, lead("evil", "cold", 0.05, 1+i%27, "lost", 0))
	}
	if err := st.InsertPastLeads(ctx, "test", "+5731", leads, []store.Dropout{{Step: "budget", Status: "abandoned", At: time.Date(2026, 2, 12, 15, 0, 0, 0, time.UTC)}}); err != nil {
		t.Fatal(err)
	}
}

func analyticsEnv(t testing.TB) (*testEnv, *client) {
	env := newEnv(t, Deps{Models: funcModels{lead: func() ModelInfo { return ModelInfo{Name: "forest:1", TrainAUC: 0.8, Hot: 0.65, Warm: 0.4} }}})
	seedAnalytics(t, env.st)
	c := env.client()
	c.login("viewer1")
	return env, c
}

const feb = "?from=2026-02-01&to=2026-02-28"

func TestAnalyticsPagesCarryTheirNumbers(t *testing.T) {
	_, c := analyticsEnv(t)
	for _, tc := range []struct {
		url  string
		want []string
	}{
		{"/analytics" + feb, []string{
			`id="kpi-leads"><span class="label">Leads</span><strong>45</strong>`,
			// Funnel: 46 reached the greeting, 1 dropped at the budget question (of 46 that reached it).
			`<td>Presupuesto</td><td class="num">46</td><td class="num">1</td><td class="num">2,2 %</td>`,
			// Conversion by class: hot 1 of 2 closed.
			`<td>Caliente</td><td class="num">2</td><td class="num">1</td><td class="num">1</td><td class="num">50,0 %</td>`,
			// Every contact was 40 minutes after completion, all late.
			`id="kpi-median"><span class="label">Mediana al primer contacto</span><strong>40 min</strong>`,
			// SLA: cold has 42 leads, 41 contacted (all late), the open one past its deadline now.
			`<td>Frío</td><td class="num">42</td><td class="num">41</td><td class="num">0,0 %</td><td class="num">41</td><td class="num">1</td><td class="num">40 min</td>`,
			`id="chart-leads-by-class"><figcaption>Leads por clase y mes</figcaption><svg class="chart"`, `id="chart-funnel"><figcaption>Abandono en cada pregunta</figcaption><svg class="chart"`}},
		{"/analytics/campaigns" + feb, []string{
			// fb: spend 250.000, 5 leads, 2 won, revenue 1.500.000: CPL 50.000, CPA 125.000, ROI 500 %.
			// No messaging cost in this store: its column reads $0.
			`<td>Facebook febrero</td><td>Facebook</td><td class="num">$250.000</td><td class="num">$0</td><td class="num">5</td>`,
			`<td class="num">$1.500.000</td><td class="num">$50.000</td><td class="num">$125.000</td><td class="num">500,0 %</td>`,
			// evil: 10.000.000 spent on 40 lost leads: CPA "—", ROI −100 %.
			`<td class="num">$250.000</td><td class="num">—</td><td class="num">-100,0 %</td>`,
			`id="chart-spend-revenue"><figcaption>Inversión e ingresos por campaña (COP)</figcaption><svg class="chart"`}},
		{"/analytics/insights" + feb, []string{`pierde dinero: gastó $10.000.000`, `campaign_loses`}},
		{"/analytics/accuracy", []string{
			// 44 closed: AUC with 2 won (0.9, 0.6) against 42 lost (0.7, 0.2, 40×0.05):
			// 0.9 beats 42, 0.6 beats 41 → 83/84.
			fmt.Sprintf(`<strong>%s</strong>`, strings.Replace(fmt.Sprintf("%.3f", 83.0/84), ".", ",", 1)),
			`al entrenar: 0,800`, `id="chart-lead-calibration"><figcaption>Modelo de leads · Calibración</figcaption><svg class="chart"`, `id="table-lead-confusion"`,
			`Modelo de cancelación: aún no hay resultados`}},
	} {
		rec := c.do(http.MethodGet, tc.url, nil, nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d %s", tc.url, rec.Code, rec.Body.String())
		}
		body := rec.Body.String()
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", tc.url, w)
			}
		}
		if strings.Contains(body, "http://") && !strings.Contains(tc.url, "campaigns") && !strings.Contains(tc.url, "insights") {
			t.Errorf("GET %s refers to a network address", tc.url)
		}
	}
}

func TestAnalyticsPagesInEnglish(t *testing.T) {
	_, c := analyticsEnv(t)
	body := c.do(http.MethodGet, "/analytics/campaigns"+feb+"&lang=en", nil, nil).Body.String()
	for _, w := range []string{`<th scope="col">Cost per lead</th>`, `<td class="num">500.0 %</td>`, `<td class="num">-100.0 %</td>`} {
		if !strings.Contains(body, w) {
			t.Errorf("English campaigns page lacks %q", w)
		}
	}
	if body := c.do(http.MethodGet, "/analytics/insights"+feb, nil, nil).Body.String(); !strings.Contains(body, "loses money: it spent $10,000,000") {
		t.Error("English insights lack the campaign losing money")
	}
}

func TestAnalyticsCSVIsFormulaSafe(t *testing.T) {
	_, c := analyticsEnv(t)
	rec := c.do(http.MethodGet, "/analytics/campaigns"+feb+"&csv=campaigns", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	recs, err := csv.NewReader(rec.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string][]string{}
	for _, r := range recs[1:] {
		byName[r[0]] = r
	}
	evil, ok := byName[`'=HYPERLINK("http://x")`]
	if !ok {
		t.Fatalf("formula-like campaign name not neutralised: %q", recs)
	}
	// Numbers stay numbers: raw pesos and the ROI as a fraction, negative included.
	if evil[2] != "10000000" || evil[13] != "-1.0000" || evil[12] != "" && evil[12] != "—" {
		t.Errorf("evil row %q", evil)
	}
	if fb := byName["Facebook febrero"]; fb[11] != "50000" || fb[13] != "5.0000" {
		t.Errorf("fb row %q", fb)
	}
	if rec := c.do(http.MethodGet, "/analytics/campaigns?csv=nope", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("unknown CSV table = %d; want 404", rec.Code)
	}
	for _, cell := range []string{"=1+1", "+A1", "-x", "@SUM(A1)", "\tx"} {
		if got := EscapeCell(cell); got != "'"+cell {
			t.Errorf("EscapeCell(%q) = %q", cell, got)
		}
	}
	if got := EscapeCell("-12.5"); got != "-12.5" { // a number is never a formula
		t.Errorf("a negative number became %q", got)
	}
}

func TestFunnelAndMedian(t *testing.T) {
	rows := buildFunnel([]store.FunnelCount{
		{Step: "done", Status: "completed", N: 10},
		{Step: "consent", Status: "refused", N: 2},
		{Step: "city_pick", Status: "abandoned", N: 3},
		{Step: "budget", Status: "in_progress", N: 1},
	})
	// greeting 16 reached; consent 16, 2 dropped; name 14; city 14, 3 dropped; budget 11, 1 answering; urgency, service 10.
	want := []funnelRow{{"greeting", 16, 0, 0}, {"consent", 16, 2, 0}, {"name", 14, 0, 0}, {"city", 14, 3, 0}, {"budget", 11, 0, 1}, {"urgency", 10, 0, 0}, {"service", 10, 0, 0}}
	for i, w := range want {
		if rows[i] != w {
			t.Errorf("funnel[%d] = %+v; want %+v", i, rows[i], w)
		}
	}
	b := []store.DelayBucket{{Class: "hot", Minutes: 5, N: 2}, {Class: "warm", Minutes: 10, N: 1}, {Class: "hot", Minutes: 60, N: 2}}
	if m, ok := median(b, ""); !ok || m != 10 {
		t.Errorf("median of 5,5,10,60,60 = %d; want 10", m)
	}
	if m, ok := median(b, "hot"); !ok || m != 5 {
		t.Errorf("hot median of 5,5,60,60 = %d; want 5 (lower middle)", m)
	}
	if _, ok := median(nil, ""); ok {
		t.Error("median of nothing")
	}
}

// TestWebChatUTMAttribution: a visitor who arrives on a UTM-tagged link
// (or through the widget on a tagged page) leaves a lead whose source is
// the campaign, and the campaigns page counts it there; a bad tag is ignored.
func TestWebChatUTMAttribution(t *testing.T) {
	env := newBotEnv(t, Deps{})
	visitor := env.client()
	visitor.do(http.MethodGet, "/chat?utm_campaign=Promo_Nov", nil, nil)
	for _, m := range hotLead {
		visitor.chat(m)
	}
	other := env.client()
	other.do(http.MethodGet, "/chat?utm_campaign=%3Cscript%3E", nil, nil)
	for _, m := range hotLead {
		other.chat(m)
	}
	rows, err := env.st.Queue(context.Background(), store.LeadFilter{Status: "all"})
	if err != nil {
		t.Fatal(err)
	}
	sources := map[string]bool{}
	for _, r := range rows {
		sources[r.Source] = true
	}
	if len(rows) != 2 || !sources["utm:Promo_Nov"] || !sources[""] {
		t.Fatalf("lead sources %v; want utm:Promo_Nov and none", sources)
	}
	facts, err := env.st.Campaigns(context.Background(), store.Period{})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, f := range facts {
		found = found || (f.Key == "promo_nov" && f.Leads == 1 && f.ByClass[0] == 1)
	}
	if !found {
		t.Errorf("campaign facts %+v; want promo_nov with the hot lead", facts)
	}
}

// seedChurnOutcomes stores customers scored 45 days before the test's now
// (their 30 days have passed) with known outcomes, per probability: at 0.40
// 20 cancelled within the 30 days and 20 did not, at 0.20 10 and 70, at
// 0.05 6 and 114 (each count divided by div). ROC AUC, ties counted half:
// (20·184 + 20·20/2 + 10·114 + 10·70/2 + 6·114/2) / (36·204) = 5712/7344 ≈ 0.778.
func seedChurnOutcomes(t testing.TB, e *testEnv, div int) {
	t.Helper()
	ctx := context.Background()
	scored := e.now.AddDate(0, 0, -45).Truncate(24 * time.Hour)
	var rows []store.CustomerImport
	var probs []float64
	for _, g := range []struct {
		p         float64
		cancelled int
		stayed    int
	}{{0.40, 20, 20}, {0.20, 10, 70}, {0.05, 6, 114}} {
		for i := range (g.cancelled + g.stayed) / div {
			c := store.Customer{ExtKey: fmt.Sprintf("c%d", len(rows)), Name: "Cliente", Service: "seo", MonthlyFeeCOP: 1_000_000,
				StartedAt: scored.AddDate(-1, 0, 0)}
			if i < g.cancelled/div {
				c.CancelledAt = scored.AddDate(0, 0, 10)
			}
			rows = append(rows, store.CustomerImport{Customer: c})
			probs = append(probs, g.p)
		}
	}
	if _, _, err := e.st.ImportCustomers(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	scores := make([]store.ChurnScore, len(probs))
	for i, p := range probs {
		scores[i] = store.ChurnScore{CustomerID: int64(i + 1), ScoredAt: scored, Probability: p, Model: "forest:7"}
	}
	if err := e.st.SaveChurnScores(ctx, scores); err != nil {
		t.Fatal(err)
	}
}

// The churn section of the accuracy page takes its tiers and training AUC
// from the active churn model, and flags a live drop by the leads' rule.
func TestChurnAccuracyUsesTheModel(t *testing.T) {
	model := func(auc float64) func(context.Context) (ModelInfo, error) {
		return func(context.Context) (ModelInfo, error) {
			return ModelInfo{Name: "forest:7", TrainAUC: auc, Hot: 0.30, Warm: 0.12}, nil
		}
	}
	const flag = "Modelo de cancelación: el ROC AUC en vivo (0,778) cayó por debajo del de entrenamiento"
	row := func(tier string, came, not int, rate string) string {
		return fmt.Sprintf(`<td>%s</td><td class="num">%d</td><td class="num">%d</td><td class="num">%s</td>`, tier, came, not, rate)
	}
	modelTiers := []string{"Riesgo alto ≥ 0,30, Riesgo medio ≥ 0,12", row("Riesgo alto", 20, 20, "50,0 %"),
		row("Riesgo medio", 10, 70, "12,5 %"), row("Riesgo bajo", 6, 114, "5,0 %")}
	for _, tc := range []struct {
		name     string
		model    func(context.Context) (ModelInfo, error)
		div      int
		flagged  bool
		want     []string
		trainAUC string
	}{
		// 0.778 is more than 0.05 below 0.85 on 240 outcomes (≥ 200): flagged.
		{"drop flagged", model(0.85), 1, true, modelTiers, "0,850"},
		// 0.778 is within 0.05 of 0.80: no flag.
		{"live AUC fine", model(0.80), 1, false, modelTiers, "0,800"},
		// The same ranking on 120 outcomes, below the minimum: no flag.
		{"sample below the minimum", model(0.85), 2, false, []string{"Riesgo alto ≥ 0,30, Riesgo medio ≥ 0,12",
			row("Riesgo alto", 10, 10, "50,0 %"), row("Riesgo medio", 5, 35, "12,5 %"), row("Riesgo bajo", 3, 57, "5,0 %")}, "0,850"},
		// No churn model yet: the placeholder tiers 0.50 / 0.25, no training AUC.
		{"no churn model", func(context.Context) (ModelInfo, error) { return ModelInfo{}, fmt.Errorf("x: %w", store.ErrNotFound) }, 1, false,
			[]string{"Riesgo alto ≥ 0,50, Riesgo medio ≥ 0,25", row("Riesgo alto", 0, 0, "—"), row("Riesgo medio", 20, 20, "50,0 %"),
				row("Riesgo bajo", 16, 184, "8,0 %")}, "—"},
		{"not wired", nil, 1, false, []string{"Riesgo alto ≥ 0,50, Riesgo medio ≥ 0,25"}, "—"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnv(t, Deps{Models: funcModels{churn: tc.model}})
			seedChurnOutcomes(t, env, tc.div)
			c := env.client()
			c.login("viewer1")
			rec := c.do(http.MethodGet, "/analytics/accuracy", nil, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET /analytics/accuracy = %d", rec.Code)
			}
			body := rec.Body.String()
			for _, w := range append(tc.want, "al entrenar: "+tc.trainAUC) {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if got := strings.Contains(body, flag); got != tc.flagged {
				t.Errorf("drop flagged = %v; want %v", got, tc.flagged)
			}
			if tc.flagged && !strings.Contains(body, "Reentrena con cis train churn.") {
				t.Error("the flag does not name cis train churn")
			}
		})
	}
}
