package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// seedModels stores a small demo history and two trained models (the
// first active) plus a bundle that cannot load.
func seedModels(t *testing.T, env *testEnv) (active, other, broken int64) {
	t.Helper()
	ctx := context.Background()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := demo.History(places, 1200, env.now, 3)
	rows := make([]store.HistoryLead, len(hist))
	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		rows[i] = store.HistoryLead{Key: fmt.Sprint(i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt, Converted: h.Converted}
		ex[i] = scoring.Example{Lead: h.Lead, Converted: h.Converted}
	}
	if _, err := env.st.ImportHistory(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, 2)
	for i := range ids {
		// A stored forest setting: the page is under test, not the tuning,
		// which costs minutes under -race.
		b, _, err := scoring.Train(ex, scoring.TrainOptions{Trees: 10, Folds: 3, Seed: uint64(i), Min: scoring.DefaultMinHistory(), Forest: &learn.ForestParams{}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := b.Encode()
		if ids[i], err = env.st.SaveModel(ctx, body, b.Summary(), i == 0); err != nil {
			t.Fatal(err)
		}
	}
	broken, err = env.st.SaveModel(ctx, []byte("not a bundle"), "broken", false)
	if err != nil {
		t.Fatal(err)
	}
	return ids[0], ids[1], broken
}

func TestModelPageReportAndActivation(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{ReportTrees: 10}})
	active, other, broken := seedModels(t, env)
	admin, viewer := env.client(), env.client()
	admin.login("admin1")
	viewer.login("viewer1")

	// First visit: the report is computed in the background.
	rec := viewer.do(http.MethodGet, "/model", nil, nil)
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), "se está calculando") {
		t.Fatalf("first visit: %d\n%s", rec.Code, rec.Body)
	}
	if !strings.Contains(rec.Body.String(), `href="/analytics/accuracy"`) || !strings.Contains(rec.Body.String(), `href="/model"`) {
		t.Error("the model page must link predicted vs actual and be in the navigation")
	}
	if strings.Contains(rec.Body.String(), "/activate") {
		t.Error("a viewer must not see activation buttons")
	}
	env.s.reports.wg.Wait()

	rec = viewer.do(http.MethodGet, "/model", nil, nil)
	page := rec.Body.String()
	if !strings.Contains(page, fmt.Sprintf(`src="/model/%d/report?lang=es"`, active)) || !strings.Contains(page, "download") {
		t.Fatalf("second visit shows no report frame:\n%s", page)
	}
	for _, lang := range []string{"es", "en"} {
		rec = viewer.do(http.MethodGet, fmt.Sprintf("/model/%d/report?lang=%s", active, lang), nil, nil)
		body := rec.Body.String()
		if rec.Code != http.StatusOK || !strings.Contains(body, `<section id="training">`) {
			t.Fatalf("report (%s): %d %.300s", lang, rec.Code, body)
		}
		csp := rec.Header().Get("Content-Security-Policy")
		if !strings.Contains(csp, "frame-ancestors 'self'") || !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("report CSP = %q", csp)
		}
		if want := map[string]string{"es": "Datos y limpieza", "en": "Data and cleaning"}[lang]; !strings.Contains(body, want) {
			t.Errorf("report in %s lacks %q", lang, want)
		}
	}
	rec = viewer.do(http.MethodGet, fmt.Sprintf("/model/%d/report?download=1", active), nil, nil)
	if cd := rec.Header().Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") {
		t.Errorf("download Content-Disposition = %q", cd)
	}
	if rec := viewer.do(http.MethodGet, "/model/999/report", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("report of an unknown model: %d; want 404", rec.Code)
	}

	// Activation: admins only, CSRF-checked, a broken bundle refused, audited.
	adminPage := admin.do(http.MethodGet, "/model", nil, nil).Body.String()
	if !strings.Contains(adminPage, fmt.Sprintf(`action="/model/%d/activate"`, other)) {
		t.Error("the admin sees no activation button for the inactive model")
	}
	if rec := viewer.post(fmt.Sprintf("/model/%d/activate", other), nil); rec.Code != http.StatusForbidden {
		t.Errorf("viewer activation: %d; want 403", rec.Code)
	}
	if rec := admin.do(http.MethodPost, fmt.Sprintf("/model/%d/activate", other), nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("activation without the CSRF token: %d; want 403", rec.Code)
	}
	if rec := admin.post(fmt.Sprintf("/model/%d/activate", broken), nil); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("activating a broken bundle: %d; want 422", rec.Code)
	}
	if id, _, err := env.st.ActiveBundle(context.Background()); err != nil || id != active {
		t.Fatalf("after the refusal the active model is %d (%v); want %d", id, err, active)
	}
	rec = admin.post(fmt.Sprintf("/model/%d/activate", other), nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/model?done=activated" {
		t.Fatalf("activation: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if id, _, _ := env.st.ActiveBundle(context.Background()); id != other {
		t.Errorf("active model %d; want %d", id, other)
	}
	audit, _ := env.st.RecentAudit(context.Background(), 5)
	if len(audit) == 0 || audit[0].Action != "model_activated" || audit[0].Object != fmt.Sprintf("model:%d", other) || audit[0].UserID != env.users[RoleAdmin].ID {
		t.Errorf("audit = %+v; want the admin's activation of model %d", audit, other)
	}
	env.s.reports.wg.Wait() // the page visit above may have started the other model's report
}
