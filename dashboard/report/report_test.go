package report

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/store"
	"golang.org/x/net/html"
)

var digit = regexp.MustCompile(`\d`)

// checkReport parses a rendered report and fails on a missing section, a
// chart without a printed number, or anything that would need a network.
func checkReport(t *testing.T, name string, page []byte) {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("%s: not HTML: %v", name, err)
	}
	sections := map[string]bool{}
	charts, bare := 0, 0
	var walk func(n *html.Node)
	var textOf func(n *html.Node) string
	textOf = func(n *html.Node) string {
		var b strings.Builder
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.TextNode {
				b.WriteString(c.Data)
			}
			b.WriteString(textOf(c))
		}
		return b.String()
	}
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			for _, a := range n.Attr {
				if strings.Contains(a.Val, "://") || strings.HasPrefix(strings.TrimSpace(a.Val), "//") {
					t.Errorf("%s: <%s %s=%q> refers to a network address", name, n.Data, a.Key, a.Val)
				}
				if a.Key == "id" && n.Data == "section" {
					sections[a.Val] = true
				}
			}
			switch n.Data {
			case "script", "link", "iframe", "img", "object", "embed":
				t.Errorf("%s: <%s> in a self-contained report", name, n.Data)
			case "svg":
				charts++
				var nums bool
				var find func(*html.Node)
				find = func(m *html.Node) {
					if m.Type == html.ElementNode && m.Data == "text" && digit.MatchString(textOf(m)) {
						nums = true
					}
					for c := m.FirstChild; c != nil; c = c.NextSibling {
						find(c)
					}
				}
				find(n)
				if !nums {
					bare++
				}
			}
		}
		if n.Type == html.TextNode && strings.Contains(n.Data, "://") {
			t.Errorf("%s: text refers to a network address: %.80q", name, n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	for _, s := range []string{"data", "exploration", "features", "training"} {
		if !sections[s] {
			t.Errorf("%s: section %q missing", name, s)
		}
	}
	if charts < 6 || bare > 0 {
		t.Errorf("%s: %d charts, %d without a printed number; want ≥ 6, all with numbers", name, charts, bare)
	}
	if !bytes.Contains(page, []byte(`id="confusion"`)) {
		t.Errorf("%s: no confusion matrix", name)
	}
	if bytes.Contains(page, []byte("%!")) {
		t.Errorf("%s: a format verb went wrong: %s", name, page[bytes.Index(page, []byte("%!"))-40:][:80])
	}
}

var testNow = func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func TestDemoModelReportFromTheStore(t *testing.T) {
	ctx := context.Background()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := demo.History(places, 2000, testNow(), 1)
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "cis.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows := make([]store.HistoryLead, len(hist))
	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		rows[i] = store.HistoryLead{Key: fmt.Sprint(i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt, Converted: h.Converted}
		ex[i] = scoring.Example{Lead: h.Lead, Converted: h.Converted}
	}
	if _, err := st.ImportHistory(ctx, rows, nil); err != nil {
		t.Fatal(err)
	}
	// An import run as cis import leads records it (a messy file's lessons).
	stats, _ := json.Marshal(importer.ImportStats{Read: 12, Good: 9, Duplicates: 2,
		Rejected: map[string]int{"city": 2, "budget": 1}, Cities: map[string]int{"medallo → Medellín (05001)": 4},
		Budgets: map[string]int{"text": 5, "digits": 4}})
	if err := st.SaveImportRun(ctx, "leads", stats); err != nil {
		t.Fatal(err)
	}
	b, _, err := scoring.Train(ex, scoring.TrainOptions{Trees: 15, Folds: 3, Seed: 1, Min: scoring.DefaultMinHistory(), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := b.Encode()
	id, err := st.SaveModel(ctx, body, b.Summary(), true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Stored(ctx, st, id); !IsMissing(err) {
		t.Fatalf("before Compute: %v; want not found", err)
	}
	r, err := Compute(ctx, st, id, modelreport.Options{Trees: 15, Folds: 3, Seed: 1, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	saved, err := Stored(ctx, st, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, lang := range []string{"es", "en"} {
		var fresh, cached bytes.Buffer
		if err := Render(&fresh, r, lang); err != nil {
			t.Fatal(err)
		}
		if err := Render(&cached, saved, lang); err != nil {
			t.Fatal(err)
		}
		checkReport(t, "demo/"+lang, fresh.Bytes())
		checkTrials(t, lang, fresh.String())
		if !bytes.Equal(fresh.Bytes(), cached.Bytes()) {
			t.Errorf("%s: the stored report renders differently from the computed one", lang)
		}
		wants := map[string][]string{
			"es": {"Datos y limpieza", "medallo → Medellín (05001)", "Medellín (05001)", "Matriz de confusión", `class="chosen"`},
			"en": {"Data and cleaning", "Rows rejected, by reason", "Permutation importance", "Confusion matrix"},
		}[lang]
		for _, w := range wants {
			if !strings.Contains(fresh.String(), w) {
				t.Errorf("%s report lacks %q", lang, w)
			}
		}
	}
	if r.Data.Read != 12 || len(r.Data.Rejected) != 2 || r.Data.Rejected[0] != (modelreport.Count{Label: "city", Rows: 2}) {
		t.Errorf("data section = %+v; want the import run's figures", r.Data)
	}
	if len(r.Monthly) < 17 || len(r.Importance) != 8 || len(r.Calibration) != 10 {
		t.Errorf("monthly %d, importance %d, calibration %d; want ≥ 17 months, 8 inputs, 10 bins", len(r.Monthly), len(r.Importance), len(r.Calibration))
	}
	if r.Importance[0].Input != "urgency" && r.Importance[0].Input != "budget" && r.Importance[0].Input != "source" {
		t.Errorf("most important input %q; the demo's strongest effects are urgency, budget and source", r.Importance[0].Input)
	}
	var n int
	for _, tier := range r.Tiers {
		n += tier.Predicted
	}
	if n != r.Rows || !(r.Tiers[0].Rate > r.Tiers[2].Rate) {
		t.Errorf("tiers %+v: want every lead in a tier and hot converting above cold", r.Tiers)
	}
}

// checkTrials asserts the candidate-feature table: one row per candidate,
// each with measured ROC AUC and log loss without → with and a decision.
func checkTrials(t *testing.T, lang, html string) {
	t.Helper()
	i := strings.Index(html, `<table class="trials">`)
	if i < 0 {
		t.Errorf("%s report lacks the candidate features table", lang)
		return
	}
	table := html[i : i+strings.Index(html[i:], "</table>")]
	rows := strings.Split(table, "<tr>")[2:] // [0] before the first row, [1] the header
	if len(rows) != len(scoring.CandidateFields()) {
		t.Errorf("%s: %d candidate rows; want %d, one per candidate", lang, len(rows), len(scoring.CandidateFields()))
	}
	pair := regexp.MustCompile(`[01][.,]\d{4} → [01][.,]\d{4}`)
	decision := map[string]*regexp.Regexp{"es": regexp.MustCompile(`<td>(no )?se conserva</td>`), "en": regexp.MustCompile(`<td>(not )?kept</td>`)}[lang]
	for k, row := range rows {
		if !strings.Contains(row, "<td>"+scoring.CandidateFields()[min(k, len(scoring.CandidateFields())-1)].Name+"</td>") {
			t.Errorf("%s: row %d %q does not name candidate %d", lang, k, row, k)
		}
		if n := len(pair.FindAllString(row, -1)); n != 2 || !decision.MatchString(row) {
			t.Errorf("%s: row %q: want ROC AUC and log loss without → with and a decision", lang, row)
		}
	}
}

// sharedData is the shared folder next to the checkout (../shared/data
// from the repository root).
var sharedData = filepath.Join("..", "..", "..", "shared", "data")

func TestPublicDataReports(t *testing.T) {
	if _, err := os.Stat(sharedData); err != nil {
		t.Skipf("public data sets not found at %s (the shared folder next to the checkout)", sharedData)
	}
	sets := []struct {
		name, file, target string
		drop, missing      []string
		every              int // keep one row in every: sub-sampled to keep the test short (docs/models.md has full runs)
	}{
		{"telco", "telco-churn/WA_Fn-UseC_-Telco-Customer-Churn.csv", "Churn", []string{"customerID"}, nil, 2},
		{"xeducation", "x-education-leads/Leads.csv", "Converted", []string{"Prospect ID", "Lead Number", "Tags", "Lead Quality",
			"Last Activity", "Last Notable Activity", "Asymmetrique Activity Index", "Asymmetrique Profile Index",
			"Asymmetrique Activity Score", "Asymmetrique Profile Score"}, []string{"Select"}, 2},
		{"bank", "bank-marketing/bank-additional-full.csv.gz", "y", []string{"duration"}, nil, 12},
	}
	specs := []learn.Spec{learn.Models(10)[0], learn.Models(10)[2]} // the production forest and a single tree
	for _, s := range sets {
		t.Run(s.name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(sharedData, s.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			tab, err := learn.ReadTable(f)
			if err != nil {
				t.Fatal(err)
			}
			if s.every > 1 {
				for j := range tab.Cols {
					var keep []string
					for i := 0; i < len(tab.Cols[j]); i += s.every {
						keep = append(keep, tab.Cols[j][i])
					}
					tab.Cols[j] = keep
				}
			}
			d, err := learn.Prepare(tab, s.target, s.drop, s.missing)
			if err != nil {
				t.Fatal(err)
			}
			order, note, _ := learn.TimeOrder(tab, "")
			q := modelreport.DataQuality{Read: tab.Rows(), Dropped: d.Dropped, DupNote: "kept", Notes: []string{"csv"}}
			r, err := modelreport.ForTable(s.file, d, specs, order, note, nil, q, modelreport.Options{Trees: 10, Folds: 3, Seed: 1, Now: testNow})
			if err != nil {
				t.Fatal(err)
			}
			var page bytes.Buffer
			if err := Render(&page, r, "es"); err != nil {
				t.Fatal(err)
			}
			checkReport(t, s.name, page.Bytes())
			if len(r.Fields) != len(d.Inputs) || len(r.Importance) != len(d.Inputs) {
				t.Errorf("%d field profiles, %d importances; want one per input (%d)", len(r.Fields), len(r.Importance), len(d.Inputs))
			}
			for _, res := range r.Results {
				if res.Name == learn.CalibratedModel && res.Mean.ROCAUC < 0.7 {
					t.Errorf("chosen model's CV ROC AUC %.3f; want ≥ 0.7 on %s", res.Mean.ROCAUC, s.name)
				}
			}
			if !strings.Contains(page.String(), "explore.no_dates") && len(r.Monthly) == 0 && !strings.Contains(page.String(), "no hay serie mensual") {
				t.Error("a report without dates must say there is no monthly series")
			}
		})
	}
}

func TestEveryTextHasBothLanguages(t *testing.T) {
	for k, v := range texts {
		if v[0] == "" || v[1] == "" {
			t.Errorf("text %q lacks a language: %q", k, v)
		}
	}
}
