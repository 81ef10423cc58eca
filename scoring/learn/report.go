package learn

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText prints the comparison as a Markdown table (means ± standard
// deviation over folds), then the hold-out and tier figures.
func (r *Report) WriteText(w io.Writer, d *Dataset) error {
	var b strings.Builder
	fmt.Fprintf(&b, "rows %d, positives %d (%.1f %%, class %q), %d inputs → %d columns, %d stratified folds, seed %d\n",
		r.Rows, r.Positives, 100*float64(r.Positives)/float64(r.Rows), d.Positive, len(d.Inputs), r.Width, r.Folds, r.Seed)
	for _, dr := range d.Dropped {
		fmt.Fprintf(&b, "dropped %q: %s\n", dr.Name, dr.Reason)
	}
	b.WriteString("\n| Model | ROC AUC | PR AUC | Log loss | Brier | Fit s / fold |\n|---|---|---|---|---|---|\n")
	for _, m := range r.Results {
		fmt.Fprintf(&b, "| %s | %.4f ± %.3f | %.4f ± %.3f | %.4f ± %.3f | %.4f ± %.3f | %.2f |\n", m.Name,
			m.Mean.ROCAUC, m.Std.ROCAUC, m.Mean.PRAUC, m.Std.PRAUC, m.Mean.LogLoss, m.Std.LogLoss, m.Mean.Brier, m.Std.Brier, m.Mean.FitSec)
	}
	for _, m := range r.Results {
		if m.Name == ProductionModel && len(m.Settings) > 0 {
			b.WriteString("\nForest setting in each training fold (chosen on inner folds of its training rows, the test fold unseen, unless stored):\n\n")
			for f, st := range m.Settings {
				fmt.Fprintf(&b, "- fold %d: %s\n", f+1, st)
			}
		}
	}
	if r.Production != "" {
		fmt.Fprintf(&b, "\nScoring model: %s (row %s)", r.Production, CalibratedModel)
		if bl := r.Blend; bl != nil {
			fmt.Fprintf(&b, ", log-odds = %.3f·forest %+.3f·boosting %+.3f·logistic %+.3f (weights on all out-of-fold scores; forest = its calibrated log-odds)",
				bl.Cal.A, bl.BoostW, bl.LinearW, bl.Cal.B)
		}
		b.WriteString("\n")
	}
	if r.HoldoutNote != "" {
		fmt.Fprintf(&b, "\nTime-ordered hold-out (%s; newest 20 %% as test)\n\n| Model | ROC AUC | PR AUC | Log loss | Brier | Fit s |\n|---|---|---|---|---|---|\n", r.HoldoutNote)
		for _, m := range r.Results {
			if h := m.Holdout; h != nil {
				fmt.Fprintf(&b, "| %s | %.4f | %.4f | %.4f | %.4f | %.2f |\n", m.Name, h.ROCAUC, h.PRAUC, h.LogLoss, h.Brier, h.FitSec)
			}
		}
	}
	fmt.Fprintf(&b, "\nTiers on out-of-fold predictions: hot p ≥ %.3f, warm p ≥ %.3f\n\n| Model | Tier | Leads | Conversion | Precision | Recall | Accuracy |\n|---|---|---|---|---|---|---|\n", r.Hot, r.Warm)
	for _, m := range r.Results {
		for _, t := range m.Tiers {
			fmt.Fprintf(&b, "| %s | %s | %d | %.3f | %.3f | %.3f | %.3f |\n", m.Name, t.Class, t.Predicted, t.Rate, t.Precision, t.Recall, t.Accuracy)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON prints the report as one JSON object.
func (r *Report) WriteJSON(w io.Writer, d *Dataset) error {
	out := struct {
		*Report
		Positive string    `json:"positive_class"`
		Inputs   []Column  `json:"inputs"`
		Dropped  []Dropped `json:"dropped"`
	}{r, d.Positive, d.Inputs, d.Dropped}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
