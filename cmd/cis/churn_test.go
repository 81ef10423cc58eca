package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

func TestImportCustomersAndEvents(t *testing.T) {
	dir := t.TempDir()
	copyFixture := func(name string) string {
		src, err := os.ReadFile(filepath.Join("..", "..", "testdata", "import", name))
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, src, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	customers, events := copyFixture("messy_customers.csv"), copyFixture("customer_events.csv")
	env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_LOG_LEVEL": "warn"}
	steps := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"events before their customers", []string{"import", "customer-events", events, "--skip-bad"}, "not in the store", ""},
		{"bad customer rows stop the import", []string{"import", "customers", customers}, "5 bad rows, nothing imported", ""},
		{"skip-bad imports the good rows", []string{"import", "customers", customers, "--skip-bad"}, "", "imported 3 new customers (0 already present), 4 new events"},
		{"re-import adds nothing", []string{"import", "customers", customers, "--skip-bad"}, "", "imported 0 new customers (3 already present), 0 new events"},
		{"events, bad rows skipped", []string{"import", "customer-events", events, "--skip-bad"}, "", "imported 6 new customer events (0 already present)"},
		{"events again", []string{"import", "customer-events", events, "--skip-bad"}, "", "imported 0 new customer events (6 already present)"},
		{"too little history to train churn", []string{"train", "churn"}, "not enough labelled history", ""},
		{"nothing to score", []string{"churn", "score"}, "not found", ""},
		{"churn needs a subcommand", []string{"churn"}, "usage: cis churn score", ""},
	}
	for _, st := range steps {
		out, err := runCmd(t, env, "", st.args...)
		if st.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), st.wantErr) {
				t.Errorf("%s: err = %v; want it to mention %q", st.name, err, st.wantErr)
			}
			continue
		}
		if err != nil || !strings.Contains(out, st.wantOut) {
			t.Errorf("%s: out = %q, err = %v; want %q", st.name, out, err, st.wantOut)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "messy_customers.rejects.csv")); err != nil {
		t.Errorf("no reject file: %v", err)
	}
}

func TestDemoTrainsAndScoresChurn(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_LOG_LEVEL": "warn",
		"CIS_DEMO_LEADS": "4000", "CIS_DEMO_TREES": "30"}
	out, err := runCmd(t, env, "", "demo")
	if err != nil || !strings.Contains(out, "churn: ") || !strings.Contains(out, "active customers scored") {
		t.Fatalf("demo: %v\n%s", err, out)
	}
	c := mustConfig(t, env)
	st, err := store.Open(context.Background(), c.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rows, err := st.ChurnRisk(context.Background(), store.RiskFilter{})
	if err != nil || len(rows) == 0 || rows[0].Probability <= 0 || len(rows[0].Reasons) != 4 || !strings.HasPrefix(rows[0].Model, "forest:") {
		t.Fatalf("risk list after demo: %d rows, first %+v, %v", len(rows), rows, err)
	}
	// The demo again: customers are not added twice, the churn model is kept.
	n, _, _, _ := st.RevenueAtRisk(context.Background(), 0)
	if _, err := runCmd(t, env, "", "demo"); err != nil {
		t.Fatal(err)
	}
	if m, _, _, _ := st.RevenueAtRisk(context.Background(), 0); m != n {
		t.Errorf("scored active customers %d → %d after a second demo", n, m)
	}
	list, _ := st.Models(context.Background())
	churnModels := 0
	for _, m := range list {
		if m.Kind == store.KindChurn {
			churnModels++
		}
	}
	if churnModels != 1 {
		t.Errorf("%d churn models after two demos; want 1", churnModels)
	}
	checkChurnModelInfo(t, c, st)
}

// checkChurnModelInfo checks what the accuracy page learns about the churn
// model: the active bundle's tiers and calibrated-forest CV ROC AUC, and a
// newly activated churn model as soon as it is active.
func checkChurnModelInfo(t *testing.T, c *Config, st *store.Store) {
	t.Helper()
	ctx := context.Background()
	a, err := open(ctx, c, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	id, body, err := st.ActiveBundleKind(ctx, store.KindChurn)
	if err != nil {
		t.Fatal(err)
	}
	b, err := scoring.DecodeBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	want := math.NaN()
	for _, r := range b.Metrics {
		if r.Name == learn.CalibratedModel {
			want = r.Mean.ROCAUC
		}
	}
	info, err := a.churnModelInfo(ctx)
	if err != nil || math.IsNaN(want) || info.TrainAUC != want || info.Hot != b.Thresholds.Hot || info.Warm != b.Thresholds.Warm ||
		info.Name != fmt.Sprintf("forest:%d", id) {
		t.Fatalf("churn model info %+v, %v; want forest:%d, AUC %v, tiers %+v", info, err, id, want, b.Thresholds)
	}
	// Another churn model becomes active (as `cis train churn` in another process would do).
	b.Thresholds = scoring.Thresholds{Hot: 0.31, Warm: 0.11}
	body, err = b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	id2, err := st.SaveModelKind(ctx, store.KindChurn, body, b.ChurnSummary(), true)
	if err != nil {
		t.Fatal(err)
	}
	if info, err = a.churnModelInfo(ctx); err != nil || info.Hot != 0.31 || info.Warm != 0.11 || info.Name != fmt.Sprintf("forest:%d", id2) {
		t.Errorf("after activating model %d: %+v, %v", id2, info, err)
	}
}

func TestChurnModelInfoWithoutChurnModel(t *testing.T) {
	c := mustConfig(t, map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_LOG_LEVEL": "warn"})
	a, err := open(context.Background(), c, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if _, err := a.churnModelInfo(context.Background()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("err = %v; want store.ErrNotFound", err)
	}
}
