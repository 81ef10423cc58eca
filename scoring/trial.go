package scoring

import (
	"context"
	"fmt"
	"io"

	"github.com/cis-agencia/cis/scoring/learn"
)

// FieldTrialResult is the time-ordered hold-out of the production forest
// with the production fields (Base) and with them plus one candidate (With).
type FieldTrialResult struct {
	Field      string
	Base, With learn.Metrics
}

// Helps says whether the candidate earns its place: a higher hold-out ROC
// AUC by more than the forest's run-to-run noise (0.002 on the demo
// history) and a log loss no worse.
func (r FieldTrialResult) Helps() bool {
	return r.With.ROCAUC > r.Base.ROCAUC+0.002 && r.With.LogLoss <= r.Base.LogLoss
}

// FieldTrial measures each of candidateFields on the newest 20 % of the
// examples, training on the older 80 % exactly as Compare's hold-out does
// (encoder, target rates included, fitted on the training part only).
// When ctx ends it stops before the next candidate and returns ctx.Err().
func FieldTrial(ctx context.Context, ex []Example, trees int, progress func(done, total int, step string)) ([]FieldTrialResult, error) {
	ex = sortedByTime(ex)
	holdout := func(fields []learn.Column) (learn.Metrics, error) {
		d, _, _ := leadDataset(ex, fields)
		train, test := learn.TimeSplit(seqInts(len(d.Y)), 0.2)
		e := learn.FitEncoderMin(d, train, minLevelCount)
		f := &learn.Forest{Trees: trees}
		ytr := make([]int, len(train))
		for k, i := range train {
			ytr[k] = d.Y[i]
		}
		if err := f.Fit(e.Transform(d, train), ytr); err != nil {
			return learn.Metrics{}, err
		}
		yte := make([]int, len(test))
		p := make([]float64, len(test))
		for k, x := range e.Transform(d, test) {
			p[k], yte[k] = f.Predict(x), d.Y[test[k]]
		}
		return learn.Evaluate(yte, p), nil
	}
	var out []FieldTrialResult
	for i, c := range candidateFields {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if progress != nil {
			progress(i, len(candidateFields), c.Name)
		}
		// A fresh baseline per candidate: the forest is not reproducible, so
		// each comparison carries its own noise rather than sharing one draw.
		base, err := holdout(leadFields)
		if err != nil {
			return nil, fmt.Errorf("field trial: %w", err)
		}
		with, err := holdout(append(append([]learn.Column(nil), leadFields...), c))
		if err != nil {
			return nil, fmt.Errorf("field trial %s: %w", c.Name, err)
		}
		out = append(out, FieldTrialResult{Field: c.Name, Base: base, With: with})
	}
	if progress != nil {
		progress(len(candidateFields), len(candidateFields), "done")
	}
	return out, nil
}

// WriteFieldTrial prints the trial as a Markdown table.
func WriteFieldTrial(w io.Writer, rs []FieldTrialResult) error {
	if _, err := fmt.Fprintln(w, "| Candidate | ROC AUC base → with | Log loss base → with | Kept |\n|---|---|---|---|"); err != nil {
		return err
	}
	for _, r := range rs {
		kept := "no"
		if r.Helps() {
			kept = "yes"
		}
		if _, err := fmt.Fprintf(w, "| %s | %.4f → %.4f | %.4f → %.4f | %s |\n", r.Field, r.Base.ROCAUC, r.With.ROCAUC, r.Base.LogLoss, r.With.LogLoss, kept); err != nil {
			return err
		}
	}
	return nil
}
