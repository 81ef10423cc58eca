package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// TestAnalyticsPerNumber: two declared numbers, one whole conversation on
// Norte and two on Sur; the overview and campaigns pages filtered by a
// number count only its leads (1 and 2), every number counts 3, the
// Número filter is shown and kept in the section and CSV links, and an
// unknown number reads as every number.
func TestAnalyticsPerNumber(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	for _, n := range []store.Number{{Channel: "cloudapi", Address: "111", Brand: "Norte Digital"}, {Channel: "cloudapi", Address: "222", Brand: "Sur Creativo"}} {
		if err := env.st.DeclareNumber(ctx, n, env.users[RoleAdmin].ID, ""); err != nil {
			t.Fatal(err)
		}
	}
	m, err := flow.New(flow.DefaultConfig(bogota), scoring.Rules{})
	if err != nil {
		t.Fatal(err)
	}
	for i, acct := range []string{"111", "222", "222"} {
		for j, text := range []string{"hola", "sí", "Carlos", "Cali", "2 millones", "pa' ya", "una página web"} {
			in := flow.Inbound{Channel: "cloudapi", Account: acct, ID: fmt.Sprintf("a%d.%d", i, j), From: fmt.Sprintf("+57300888000%d", i),
				Kind: flow.KindText, Text: text, At: env.now}
			if _, err := env.st.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, env.now) }); err != nil {
				t.Fatal(err)
			}
			sendAll(t, env.st, "cloudapi")
		}
	}
	ns, err := env.st.Numbers(ctx)
	if err != nil || len(ns) != 2 {
		t.Fatalf("numbers %+v, %v", ns, err)
	}
	c := env.client()
	c.login("viewer1")
	const march = "?from=2026-03-01&to=2026-03-31"
	kpi := func(n int) string {
		return fmt.Sprintf(`id="kpi-leads"><span class="label">Leads</span><strong>%d</strong>`, n)
	}
	for _, tc := range []struct {
		number string
		want   []string
	}{
		{"", []string{kpi(3), `id="number-filter"`}},
		{itoa(ns[0].ID), []string{kpi(1), `value="` + itoa(ns[0].ID) + `" selected>Norte Digital · 111`, `id="number-note"`,
			`href="/analytics/campaigns?from=2026-03-01&amp;to=2026-03-31&amp;number=` + itoa(ns[0].ID) + `"`,
			`&amp;number=` + itoa(ns[0].ID) + `" download>`}},
		{itoa(ns[1].ID), []string{kpi(2), `value="` + itoa(ns[1].ID) + `" selected>Sur Creativo · 222`}},
		{"999", []string{kpi(3)}},
	} {
		url := "/analytics" + march + "&number=" + tc.number
		body := c.do(http.MethodGet, url, nil, nil).Body.String()
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", url, w)
			}
		}
	}
	// Insights and accuracy read the number too (their figures: store's
	// TestAnalyticsPerNumberBothEngines); the filter is on both pages.
	for _, page := range []string{"/analytics/insights", "/analytics/accuracy"} {
		url := page + march + "&number=" + itoa(ns[1].ID)
		rec := c.do(http.MethodGet, url, nil, nil)
		if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, `value="`+itoa(ns[1].ID)+`" selected>Sur Creativo`) ||
			!strings.Contains(body, `id="number-note"`) {
			t.Errorf("GET %s = %d without the number chosen and its note", url, rec.Code)
		}
	}
	// Campaigns: every lead came without a source; its row counts the number's leads.
	for n, want := range map[string]int{"": 3, itoa(ns[0].ID): 1, itoa(ns[1].ID): 2} {
		url := "/analytics/campaigns" + march + "&number=" + n
		body := c.do(http.MethodGet, url, nil, nil).Body.String()
		row := fmt.Sprintf(`<td>(sin fuente)</td><td>(sin canal)</td><td class="num">$0</td><td class="num">$0</td><td class="num">%d</td>`, want)
		if !strings.Contains(body, row) {
			t.Errorf("GET %s lacks %q", url, row)
		}
	}
}
