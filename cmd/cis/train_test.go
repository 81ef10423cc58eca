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
