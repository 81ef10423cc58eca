// Package training holds the scoring use-cases that run over the store:
// train the lead model or the churn model and make it active, measure
// candidate conversation fields, and check the expected lead values. Each
// reads what it needs through the small interfaces declared here; the
// command line only parses flags and prints the results.
package training

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// LeadStore is where the lead model learns from and is saved to;
// *store.Store satisfies it.
type LeadStore interface {
	LabelledLeads(ctx context.Context) ([]store.HistoryLead, error)
	SaveModel(ctx context.Context, body []byte, summary string, activate bool) (int64, error)
}

// Loader reloads the active model into the running scorer (*scoring.Active).
type Loader interface {
	Load(ctx context.Context) error
}

// Result is a trained and stored model with its comparison report.
type Result struct {
	ID      int64 // the stored model, active
	Bundle  *scoring.Bundle
	Report  *learn.Report
	Dataset *learn.Dataset
	Rows    int    // examples the production model was fitted on
	Unit    string // what a row is: "leads", "snapshots"
	Header  string // a line printed before the text report; may be empty
}

// Write prints the comparison as text (with the production model's
// setting) or as JSON.
func (r *Result) Write(w io.Writer, asJSON bool) error {
	if asJSON {
		return r.Report.WriteJSON(w, r.Dataset)
	}
	if r.Header != "" {
		fmt.Fprintln(w, r.Header)
	}
	if err := r.Report.WriteText(w, r.Dataset); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nProduction model (all %d %s): %s\n", r.Rows, r.Unit, r.Bundle.Setting())
	return err
}

// Leads fits a model on the store's labelled leads, stores it as the active
// bundle and loads it into the running scorer. When the model was saved
// but not loaded, the result comes with the error.
func Leads(ctx context.Context, st LeadStore, scorer Loader, o scoring.TrainOptions) (*Result, error) {
	rows, err := st.LabelledLeads(ctx)
	if err != nil {
		return nil, err
	}
	ex := scoring.Examples(rows)
	b, rep, err := scoring.Train(ex, o)
	if err != nil {
		return nil, fmt.Errorf("train: %w", err)
	}
	body, err := b.Encode()
	if err != nil {
		return nil, err
	}
	id, err := st.SaveModel(ctx, body, b.Summary(), true)
	if err != nil {
		return nil, err
	}
	r := &Result{ID: id, Bundle: b, Report: rep, Dataset: scoring.TrainingDataset(ex), Rows: len(ex), Unit: "leads"}
	if err := scorer.Load(ctx); err != nil {
		return r, fmt.Errorf("model %d saved but not loaded: %w", id, err)
	}
	return r, nil
}

// ChurnStore is where the churn model learns from and is saved to;
// *store.Store satisfies it.
type ChurnStore interface {
	CustomerHistories(ctx context.Context, activeOnly bool) ([]store.CustomerHistory, error)
	SaveModelKind(ctx context.Context, kind string, body []byte, summary string, activate bool) (int64, error)
}

// Churn trains the churn model on every customer's history and stores it as
// the active churn bundle. every > 1 keeps one monthly snapshot in every
// (the demo, for a quick start); the latest snapshot is always kept.
func Churn(ctx context.Context, st ChurnStore, o scoring.TrainOptions, every int) (*Result, error) {
	hs, err := st.CustomerHistories(ctx, false)
	if err != nil {
		return nil, err
	}
	all := scoring.ChurnSnapshots(hs)
	var snaps []time.Time
	for i, t := range all {
		if every <= 1 || (len(all)-1-i)%every == 0 {
			snaps = append(snaps, t)
		}
	}
	b, rep, ex, err := scoring.TrainChurn(hs, snaps, o)
	if err != nil {
		return nil, fmt.Errorf("train churn: %w", err)
	}
	body, err := b.Encode()
	if err != nil {
		return nil, err
	}
	id, err := st.SaveModelKind(ctx, store.KindChurn, body, b.ChurnSummary(), true)
	if err != nil {
		return nil, err
	}
	return &Result{ID: id, Bundle: b, Report: rep, Dataset: scoring.ChurnDataset(ex), Rows: len(ex), Unit: "snapshots",
		Header: fmt.Sprintf("churn model: %d customers, %d monthly snapshots (customers active at each), label = cancelled within 30 days", len(hs), len(ex))}, nil
}

// Labelled reads the store's labelled leads (*store.Store).
type Labelled interface {
	LabelledLeads(ctx context.Context) ([]store.HistoryLead, error)
}

// FieldTrial measures each candidate conversation field on the store's
// labelled leads (scoring.FieldTrial) and writes the table to w.
func FieldTrial(ctx context.Context, st Labelled, trees int, progress func(done, total int, step string), w io.Writer) error {
	rows, err := st.LabelledLeads(ctx)
	if err != nil {
		return err
	}
	rs, err := scoring.FieldTrial(ctx, scoring.Examples(rows), trees, progress)
	if err != nil {
		return err
	}
	return scoring.WriteFieldTrial(w, rs)
}

// Revenue reads the labelled leads with their revenue (*store.Store).
type Revenue interface {
	LabelledRevenue(ctx context.Context) ([]store.HistoryLead, error)
}

// LeadValue checks how well expected lead values predicted revenue on the
// newest fifth of the store's labelled leads (scoring.CheckLeadValue).
func LeadValue(ctx context.Context, st Revenue, o scoring.TrainOptions) (*scoring.ValueCheck, error) {
	rows, err := st.LabelledRevenue(ctx)
	if err != nil {
		return nil, err
	}
	return scoring.CheckLeadValue(scoring.ValueExamples(rows), 0.2, o)
}

// WriteValueCheck prints vc as text, or as indented JSON.
func WriteValueCheck(w io.Writer, vc *scoring.ValueCheck, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(vc)
	}
	fmt.Fprintf(w, "lead value on the newest %d leads (%s … %s), model and deal values fitted on the %d older ones\n",
		vc.Test, vc.From.Format(time.DateOnly), vc.Until.Format(time.DateOnly), vc.Train)
	fmt.Fprintf(w, "predicted revenue %d COP, realised %d COP (ratio %.3f); Spearman per lead %.3f; top tenth by prediction brought %.1f %% of the revenue\n\n",
		vc.PredictedCOP, vc.RealisedCOP, vc.RatioPredicted, vc.Spearman, 100*vc.TopDecileShare)
	fmt.Fprintln(w, "| Tenth (by predicted value) | Leads | Predicted COP | Realised COP |\n|---|---|---|---|")
	for i, d := range vc.Deciles {
		fmt.Fprintf(w, "| %d | %d | %d | %d |\n", i+1, d.Leads, d.PredictedCOP, d.RealisedCOP)
	}
	return nil
}
