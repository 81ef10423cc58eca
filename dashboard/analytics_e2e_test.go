package dashboard

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/insight"
	"github.com/cis-agencia/cis/store"
)

// seedDemoAnalytics fills the store as `cis demo` does, smaller: the demo
// history, then six months of past bot leads (scored by the rule scorer, as
// training a forest would slow the test), dropped conversations and campaigns.
func seedDemoAnalytics(t testing.TB, st *store.Store, now time.Time) {
	t.Helper()
	const leads, seed = 3000, 20260301
	places, err := flow.LoadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	hist := scoring.GenerateHistory(places, leads, monthStart, seed)
	rows := make([]store.HistoryLead, len(hist))
	for i, h := range hist {
		var rev *int64
		if h.RevenueCOP > 0 {
			rev = &h.RevenueCOP
		}
		rows[i] = store.HistoryLead{Key: fmt.Sprint("demo-", i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt, Converted: h.Converted, RevenueCOP: rev}
	}
	ctx := context.Background()
	if _, err := st.ImportHistory(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	if n, err := insight.SeedDemo(ctx, st, scoring.Rules{}, flow.DefaultConfig(bogota), leads, seed, now); err != nil || n == 0 {
		t.Fatalf("seed demo analytics: %d leads, %v", n, err)
	}
}

// TestBrowserAnalyticsPages opens each analytics page in Chromium on the
// demo data, checks that every chart and table carries numbers, and saves
// the screenshots the README shows.
func TestBrowserAnalyticsPages(t *testing.T) {
	env := newEnv(t, Deps{})
	env.now = time.Now()
	seedDemoAnalytics(t, env.st, env.now)
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	if err := within(ctx, 30*time.Second, login(srv.URL, "viewer1")...); err != nil {
		t.Fatalf("login: %v", err)
	}
	digits := regexp.MustCompile(`\d`)
	for _, pg := range []struct {
		path, shot string
		charts     int
		table      string
	}{
		{"/analytics", "analytics-overview", 4, "#table-funnel"},
		{"/analytics/campaigns", "analytics-campaigns", 1, "#table-campaigns"},
		{"/analytics/insights", "analytics-insights", 0, "#table-rules"},
		{"/analytics/accuracy", "analytics-accuracy", 3, "#table-lead-confusion"},
	} {
		if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+pg.path), chromedp.WaitVisible(chromedp.CSS("#analytics"))); err != nil {
			t.Fatalf("open %s: %v", pg.path, err)
		}
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		// Each chart: an inline SVG whose text marks include numbers.
		charts, err := chromedp.Run(ectx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("figure svg.chart")).map(s => Array.from(s.querySelectorAll("text")).map(t => t.textContent).join(" "))`))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		cells, err := chromedp.Run(ectx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("`+pg.table+` tbody td.num")).map(td => td.textContent)`))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if len(charts) < pg.charts {
			t.Errorf("%s: %d charts; want at least %d", pg.path, len(charts), pg.charts)
		}
		for i, c := range charts {
			if !digits.MatchString(c) {
				t.Errorf("%s: chart %d carries no number: %q", pg.path, i, c)
			}
		}
		var numeric int
		for _, c := range cells {
			if digits.MatchString(c) {
				numeric++
			}
		}
		if numeric == 0 {
			t.Errorf("%s: table %s has no numbers: %q", pg.path, pg.table, cells)
		}
		// The insights page finds something on the demo: it has money-losing campaigns.
		if pg.path == "/analytics/insights" {
			if f := text(t, ctx, "#findings"); !regexp.MustCompile(`pierde dinero`).MatchString(f) {
				t.Errorf("insights on the demo data: %q; want a campaign losing money", f)
			}
		}
		shot(t, ctx, pg.shot)
	}
}
