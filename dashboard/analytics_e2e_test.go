package dashboard

import (
	"context"
	"fmt"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/cis-agencia/cis/dashboard/report"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/demo/seeding"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/store"
)

// seedDemoAnalytics fills the store as `cis demo` does, smaller: the demo
// history, then six months of past bot leads (scored by the rule scorer, as
// training a forest would slow the test), dropped conversations and campaigns.
func seedDemoAnalytics(t testing.TB, st *store.Store, now time.Time) []demo.Lead {
	t.Helper()
	const leads, seed = 3000, 20260301
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	hist := demo.History(places, leads, monthStart, seed)
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
	if n, err := seeding.Analytics(ctx, st, scoring.Rules{}, flow.DefaultConfig(bogota), leads, seed, now); err != nil || n == 0 {
		t.Fatalf("seed demo analytics: %d leads, %v", n, err)
	}
	return hist
}

// seedDemoModels adds what `cis demo` trains on the same history, with
// small forests so the test stays quick: the demo customers with a churn
// model and their scores, and an active lead model whose report is computed
// now, through the function the model page runs in the background.
func seedDemoModels(t testing.TB, env *testEnv, hist []demo.Lead, seed uint64) int64 {
	t.Helper()
	ctx := context.Background()
	const trees = 10
	if _, _, err := env.st.ImportCustomers(ctx, demo.Customers(hist, env.now, seed, "demo-"), nil); err != nil {
		t.Fatal(err)
	}
	hs, err := env.st.CustomerHistories(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	all := scoring.ChurnSnapshots(hs)
	var snaps []time.Time
	for i, s := range all { // every other month, the latest always, as the demo does
		if (len(all)-1-i)%2 == 0 {
			snaps = append(snaps, s)
		}
	}
	stored := &learn.ForestParams{} // the pages are under test, not the forest's tuning
	o := scoring.TrainOptions{Trees: trees, Folds: 3, Seed: seed, Models: learn.ModelsWith(trees, stored)[:1], Forest: stored, Min: scoring.DefaultMinHistory()}
	b, _, _, err := scoring.TrainChurn(hs, snaps, o)
	if err != nil {
		t.Fatal(err)
	}
	body, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.st.SaveModelKind(ctx, store.KindChurn, body, b.ChurnSummary(), true); err != nil {
		t.Fatal(err)
	}
	m, err := scoring.LoadChurnModel(ctx, env.st, "es")
	if err != nil {
		t.Fatal(err)
	}
	active, err := env.st.CustomerHistories(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := scoring.ScoreCustomers(m, active, env.now.Truncate(24*time.Hour))
	if err != nil || len(scores) == 0 {
		t.Fatalf("churn scores: %d, %v", len(scores), err)
	}
	if err := env.st.SaveChurnScores(ctx, scores); err != nil {
		t.Fatal(err)
	}

	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		ex[i] = scoring.Example{Lead: h.Lead, Converted: h.Converted}
	}
	lead, _, err := scoring.Train(ex, o)
	if err != nil {
		t.Fatal(err)
	}
	body, err = lead.Encode()
	if err != nil {
		t.Fatal(err)
	}
	id, err := env.st.SaveModel(ctx, body, lead.Summary(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := report.Compute(ctx, env.st, id, modelreport.Options{Trees: trees, Folds: 3, Now: env.s.now}); err != nil {
		t.Fatal(err)
	}
	return id
}

// TestBrowserAnalyticsPages opens each analytics page in Chromium on the
// demo data, checks that every chart and table carries numbers, and saves
// the screenshots the README shows.
func TestBrowserAnalyticsPages(t *testing.T) {
	env := newEnv(t, Deps{})
	env.now = time.Now()
	hist := seedDemoAnalytics(t, env.st, env.now)
	seedDemoModels(t, env, hist, 20260301)
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

	// The churn-risk list on the demo customers scored by the demo's forest.
	if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+"/churn"), chromedp.WaitVisible(chromedp.CSS("#risk-table"))); err != nil {
		t.Fatalf("open /churn: %v", err)
	}
	ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
	labels, err := chromedp.Run(ectx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".churn-chart svg text")).map(e => e.textContent)`))
	cancel()
	if err != nil || !slicesContainDigits(labels) {
		t.Errorf("/churn chart texts %v, %v; want numbers", labels, err)
	}
	if first := text(t, ctx, "#risk-table tbody tr:first-child"); !regexp.MustCompile(`\d+ %`).MatchString(first) || !regexp.MustCompile(`\$\d`).MatchString(first) {
		t.Errorf("/churn first row %q; want a probability and pesos", first)
	}
	shot(t, ctx, "churn")

	// The model page frames the stored report of the active lead model:
	// its SVG charts and tables carry numbers.
	if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+"/model"), chromedp.WaitVisible(chromedp.CSS("iframe.report"))); err != nil {
		t.Fatalf("open /model: %v", err)
	}
	const frame = `document.querySelector("iframe.report").contentDocument`
	mctx, mcancel := context.WithTimeout(ctx, 20*time.Second)
	defer mcancel()
	if err := chromedp.Do(mctx, chromedp.Poll[chromedp.Void](`(() => { const d = `+frame+`; return d && d.readyState === "complete" && d.querySelector("svg.chart") !== null })()`)); err != nil {
		t.Fatalf("model report frame: %v", err)
	}
	charts, err := chromedp.Run(mctx, chromedp.Evaluate[[]string](`Array.from(`+frame+`.querySelectorAll("svg.chart")).map(s => Array.from(s.querySelectorAll("text")).map(t => t.textContent).join(" "))`))
	if err != nil {
		t.Fatal(err)
	}
	cells, err := chromedp.Run(mctx, chromedp.Evaluate[[]string](`Array.from(`+frame+`.querySelectorAll("table td.n")).map(td => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(charts) < 3 {
		t.Errorf("/model report: %d charts; want at least 3", len(charts))
	}
	for i, c := range charts {
		if !digits.MatchString(c) {
			t.Errorf("/model report: chart %d carries no number: %q", i, c)
		}
	}
	if !slicesContainDigits(cells) {
		t.Errorf("/model report tables: %q; want numbers", cells)
	}
	shot(t, ctx, "model")

	checkLayout(t, ctx, srv.URL, []string{"/", "/analytics", "/analytics/campaigns", "/analytics/insights", "/analytics/accuracy", "/churn", "/model"})
}

// checkLayout opens each page at 1,366 px and at a 390 px phone: the page
// never scrolls sideways, tables fit at 1,366 px (and scroll inside
// themselves on the phone), chart labels are at least 10 px high and do
// not overlap, and the phone's header takes at most two lines.
func checkLayout(t *testing.T, ctx context.Context, base string, pages []string) {
	t.Helper()
	const probe = `(() => {
		const out = {pageScroll: document.documentElement.scrollWidth - window.innerWidth, tables: [], small: 0, overlaps: 0,
			header: (document.querySelector("header.top") || {offsetHeight: 0}).offsetHeight};
		document.querySelectorAll(".table-wrap").forEach(w => { const tb = w.querySelector("table");
			if (tb && tb.scrollWidth > w.clientWidth + 1) out.tables.push(tb.id || tb.className); });
		out.pairs = [];
		document.querySelectorAll("svg.chart").forEach(svg => {
			const texts = Array.from(svg.querySelectorAll("text")).filter(e => e.getBoundingClientRect().width > 0);
			const boxes = texts.map(e => e.getBoundingClientRect());
			boxes.forEach(r => { if (r.height < 10) out.small++; });
			for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
				const a = boxes[i], b = boxes[j];
				if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) { out.overlaps++; if (out.pairs.length < 4) out.pairs.push(texts[i].textContent + " / " + texts[j].textContent); }
			}
		});
		return out; })()`
	type result struct {
		PageScroll int      `json:"pageScroll"`
		Tables     []string `json:"tables"`
		Small      int      `json:"small"`
		Overlaps   int      `json:"overlaps"`
		Header     int      `json:"header"`
		Pairs      []string `json:"pairs"`
	}
	for _, size := range []struct {
		w, h  int64
		phone bool
	}{{1366, 768, false}, {390, 844, true}} {
		var opts []chromedp.EmulateViewportOption
		if size.phone {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := within(ctx, 10*time.Second, chromedp.EmulateViewport(size.w, size.h, opts...)); err != nil {
			t.Fatal(err)
		}
		for _, p := range pages {
			if err := within(ctx, 20*time.Second, chromedp.Navigate(base+p), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
				t.Fatalf("open %s: %v", p, err)
			}
			ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
			r, err := chromedp.Run(ectx, chromedp.Evaluate[result](probe))
			cancel()
			if err != nil {
				t.Fatal(err)
			}
			if r.PageScroll > 0 {
				t.Errorf("%s at %d px: the page scrolls sideways by %d px", p, size.w, r.PageScroll)
			}
			if !size.phone && len(r.Tables) > 0 {
				t.Errorf("%s at %d px: tables wider than the page: %v", p, size.w, r.Tables)
			}
			if r.Small > 0 || r.Overlaps > 0 {
				t.Errorf("%s at %d px: %d chart labels under 10 px, %d overlapping (%q)", p, size.w, r.Small, r.Overlaps, r.Pairs)
			}
			if size.phone && r.Header > 110 {
				t.Errorf("%s at %d px: the header is %d px high; want at most two lines", p, size.w, r.Header)
			}
		}
	}
	if err := within(ctx, 10*time.Second, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}
