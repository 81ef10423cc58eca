package main

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/training"
)

// writeCSV writes a small synthetic data set where the outcome depends on
// a number and a category, with an identifier and a constant column that
// train must drop and list.
func writeCSV(t *testing.T, n int) string {
	t.Helper()
	r := rand.New(rand.NewPCG(7, 7))
	var b strings.Builder
	b.WriteString("id;budget;city;constant;y\n")
	cities := []string{"Medellín", "Bogotá", "Cali"}
	for i := range n {
		budget := r.Float64() * 5
		city := cities[r.IntN(len(cities))]
		logit := budget - 2.5
		if city == "Medellín" {
			logit += 1
		}
		y := "no"
		if r.Float64() < 1/(1+math.Exp(-logit)) {
			y = "yes"
		}
		fmt.Fprintf(&b, "L%05d;%.2f;%s;x;%s\n", i, budget, city, y)
	}
	path := filepath.Join(t.TempDir(), "leads.csv")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTrainCSVJSON(t *testing.T) {
	path := writeCSV(t, 800)
	tests := []struct {
		name   string
		models string
		want   []string
	}{
		{"forest and logistic", "forest,logistic", []string{"forest", "logistic", "forest+calibrated"}},
		{"a subset without the forest still gets tiers", "gradient_boosting", []string{"gradient_boosting"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, nil, "", "train", "--csv", path, "--target", "y", "--models", tt.models, "--trees", "30", "--json")
			if err != nil {
				t.Fatalf("train: %v\n%s", err, out)
			}
			var rep struct {
				Dropped []struct {
					Name string `json:"name"`
				} `json:"dropped"`
				Thresholds [2]float64 `json:"thresholds"`
				Models     []struct {
					Name string             `json:"name"`
					Mean map[string]float64 `json:"mean"`
				} `json:"models"`
			}
			if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep); err != nil {
				t.Fatalf("output is not the JSON report: %v\n%s", err, out)
			}
			got := map[string]map[string]float64{}
			for _, m := range rep.Models {
				got[m.Name] = m.Mean
			}
			for _, name := range tt.want {
				m, ok := got[name]
				if !ok {
					t.Errorf("no row for %s in %v", name, rep.Models)
					continue
				}
				if m["roc_auc"] < 0.7 || m["log_loss"] <= 0 || m["brier"] <= 0 || m["pr_auc"] <= 0 {
					t.Errorf("%s: metrics %v; want roc_auc ≥ 0.7 on this easy set and every metric present", name, m)
				}
			}
			if rep.Thresholds[0] <= rep.Thresholds[1] || rep.Thresholds[1] <= 0 {
				t.Errorf("tier thresholds hot %v, warm %v; want hot > warm > 0", rep.Thresholds[0], rep.Thresholds[1])
			}
			var names []string
			for _, d := range rep.Dropped {
				names = append(names, d.Name)
			}
			dropped := strings.Join(names, ",")
			if dropped != "id,constant" {
				t.Errorf("dropped = %v; want the identifier and the constant column listed", rep.Dropped)
			}
		})
	}
}

// --folds-out must write the very folds the comparison was scored on: a
// decision tree refitted here on the rows the file puts outside fold 1 must
// give the ROC AUC the report prints for fold 1.
func TestTrainFoldsOutAreTheEvaluatedFolds(t *testing.T) {
	path := writeCSV(t, 600)
	foldsPath := filepath.Join(t.TempDir(), "folds.csv")
	out, err := runCmd(t, nil, "", "train", "--csv", path, "--target", "y", "--models", "decision_tree",
		"--folds", "4", "--seed", "3", "--folds-out", foldsPath, "--json")
	if err != nil {
		t.Fatalf("train: %v\n%s", err, out)
	}
	var rep struct {
		Models []struct {
			Name  string               `json:"name"`
			Folds []map[string]float64 `json:"folds"`
		} `json:"models"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep); err != nil || len(rep.Models) == 0 {
		t.Fatalf("output is not the JSON report: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(foldsPath)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if lines[0] != "row,fold" || len(lines) != 601 {
		t.Fatalf("folds file starts %q and has %d lines; want the header row,fold and 600 rows", lines[0], len(lines))
	}
	var inFold1, rest []int
	for i, l := range lines[1:] {
		var row, fold int
		if _, err := fmt.Sscanf(l, "%d,%d", &row, &fold); err != nil || row != i || fold < 1 || fold > 4 {
			t.Fatalf("line %d %q; want row %d and a fold in 1..4", i+2, l, i)
		}
		if fold == 1 {
			inFold1 = append(inFold1, row)
		} else {
			rest = append(rest, row)
		}
	}
	cf, err := training.ReadCSV(training.CSVOptions{Path: path, Target: "y"})
	if err != nil {
		t.Fatal(err)
	}
	d := cf.Data
	e := learn.FitEncoderMin(d, rest, 1)
	m := &learn.DecisionTree{MaxDepth: 6}
	if err := m.Fit(e.Transform(d, rest), pick(d.Y, rest)); err != nil {
		t.Fatal(err)
	}
	var p []float64
	for _, x := range e.Transform(d, inFold1) {
		p = append(p, m.Predict(x))
	}
	want := rep.Models[0].Folds[0]["roc_auc"]
	if got := learn.ROCAUC(pick(d.Y, inFold1), p); math.Abs(got-want) > 1e-12 {
		t.Errorf("decision tree refitted on the file's folds: fold 1 ROC AUC %.6f; the report says %.6f", got, want)
	}
}

func pick(y []int, rows []int) []int {
	out := make([]int, len(rows))
	for k, i := range rows {
		out[k] = y[i]
	}
	return out
}
