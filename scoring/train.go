package scoring

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// Example is one labelled lead for training.
type Example struct {
	Lead      flow.Lead // CompletedAt is when the lead arrived
	Converted bool
}

// MinHistory is how much labelled history a model needs before it may
// replace the rule-based scorer.
type MinHistory struct {
	Leads, Conversions int
}

// DefaultMinHistory: below 200 labelled leads or 30 conversions the
// out-of-fold figures are too noisy to trust tiers built on them.
func DefaultMinHistory() MinHistory { return MinHistory{Leads: 200, Conversions: 30} }

// ErrNotEnoughHistory is returned by Train when the examples are fewer than
// the MinHistory asks for; the rule-based scorer stays.
var ErrNotEnoughHistory = errors.New("not enough labelled history")

// TrainOptions steer Train.
type TrainOptions struct {
	Trees    int // per forest; 300 when zero
	Folds    int // 5 when zero
	Seed     uint64
	Min      MinHistory
	Tiers    learn.TierPolicy
	Progress func(done, total int, step string)
	Now      func() time.Time
	Fields   []learn.Column // the model's inputs; leadFields when nil
	Models   []learn.Spec   // the families compared; learn.Models(Trees) when nil
}

// Train compares the models on the examples (stratified k-fold, plus a
// hold-out of the newest 20 %), then fits the production forest on all of
// them and returns the bundle: schema and encoders, forest, the calibration
// learned on the forest's out-of-fold votes (isotonic or Platt, whichever
// has the lower log loss without a worse Brier score; else the identity),
// tiers chosen from the calibrated out-of-fold predictions, and the comparison.
func Train(ex []Example, o TrainOptions) (*Bundle, *learn.Report, error) {
	if o.Trees == 0 {
		o.Trees = 300
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var pos int
	for _, e := range ex {
		if e.Converted {
			pos++
		}
	}
	if len(ex) < o.Min.Leads || pos < o.Min.Conversions {
		return nil, nil, fmt.Errorf("%w: %d leads with %d conversions; need %d with %d",
			ErrNotEnoughHistory, len(ex), pos, o.Min.Leads, o.Min.Conversions)
	}
	if o.Fields == nil {
		o.Fields = leadFields
	}
	ex = sortedByTime(ex)
	d, cities, sum := leadDataset(ex, o.Fields)
	b, rep, err := fitBundle(d, o, "leads ordered by date")
	if err != nil {
		return nil, nil, err
	}
	b.Schema.CityNames = cities
	b.DataSHA256 = sum
	return b, rep, b.validate()
}

// fitBundle is what every model kind shares: the comparison of
// learn.Models under stratified CV with a time-ordered hold-out (d's rows
// oldest first), then the production forest fitted on all rows, its
// calibration and tiers.
func fitBundle(d *learn.Dataset, o TrainOptions, holdNote string) (*Bundle, *learn.Report, error) {
	y := d.Y
	specs := learn.Models(o.Trees)
	if o.Models != nil {
		specs = o.Models
	}
	rep, err := learn.Compare(d, specs, learn.Options{
		Folds: o.Folds, Seed: o.Seed, Holdout: seqInts(len(y)), HoldNote: holdNote,
		Tiers: o.Tiers, MinCount: minLevelCount, Progress: o.Progress,
	})
	if err != nil {
		return nil, nil, err
	}
	enc := learn.FitEncoderMin(d, seqInts(len(y)), minLevelCount)
	X := enc.Transform(d, seqInts(len(y)))
	f := &learn.Forest{Trees: o.Trees}
	if err := f.Fit(X, y); err != nil {
		return nil, nil, fmt.Errorf("train production forest: %w", err)
	}
	pos := 0
	for _, v := range y {
		pos += v
	}
	b := &Bundle{
		Format:      bundleFormat,
		CreatedAt:   o.Now().UTC().Truncate(time.Second),
		Schema:      Schema{Encoder: *enc, Columns: enc.Names},
		Forest:      f.Model,
		Calibration: rep.Calibration, // chosen by learn.Compare: no worse Brier than the raw votes
		Thresholds:  Thresholds{Hot: rep.Hot, Warm: rep.Warm},
		Metrics:     rep.Results,
		Rows:        len(y),
		Positives:   pos,
	}
	return b, rep, nil
}

// Summary is one line describing a bundle, for `cis models`.
func (b *Bundle) Summary() string {
	s := fmt.Sprintf("%d leads, %d conversions, %d trees", b.Rows, b.Positives, len(b.Forest.Trees))
	for _, r := range b.Metrics {
		if r.Name == learn.CalibratedModel {
			s += fmt.Sprintf(", CV ROC AUC %.3f, Brier %.4f", r.Mean.ROCAUC, r.Mean.Brier)
		}
	}
	return s + fmt.Sprintf(", hot ≥ %.2f, warm ≥ %.2f, calibration %s", b.Thresholds.Hot, b.Thresholds.Warm, calName(b.Calibration))
}

func calName(c learn.Calibration) string {
	if c.Method == "" {
		return "identity"
	}
	return c.Method
}

func seqInts(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}

// sortedByTime returns a copy of ex, oldest first, so the hold-out is the
// newest leads.
func sortedByTime(ex []Example) []Example {
	ex = append([]Example(nil), ex...)
	sort.SliceStable(ex, func(a, b int) bool { return ex[a].Lead.CompletedAt.Before(ex[b].Lead.CompletedAt) })
	return ex
}

// leadDataset lays the examples out as a learn.Dataset over fields, with
// the city names seen (for explanations) and the SHA-256 of the rows.
func leadDataset(ex []Example, fields []learn.Column) (*learn.Dataset, map[string]string, string) {
	t := &learn.Table{Cols: make([][]string, len(fields))}
	y := make([]int, len(ex))
	cities := map[string]string{}
	h := sha256.New()
	raw := make([]string, 0, len(fields))
	for i, e := range ex {
		for k, v := range rawLead(e.Lead, fields, raw[:0]) {
			t.Cols[k] = append(t.Cols[k], v)
			fmt.Fprintf(h, "%s\x1f", v)
		}
		if e.Converted {
			y[i] = 1
		}
		fmt.Fprintf(h, "%d\n", y[i])
		if c := e.Lead.City; c.Code != "" {
			cities[c.Code] = c.Name
		}
	}
	for _, f := range fields {
		t.Names = append(t.Names, f.Name)
	}
	return learn.NewDataset(t, fields, y), cities, hex.EncodeToString(h.Sum(nil))
}

// TrainingDataset is the examples as Train sees them (oldest first, the
// production fields), for printing and reporting.
func TrainingDataset(ex []Example) *learn.Dataset {
	d, _, _ := leadDataset(sortedByTime(ex), leadFields)
	return d
}
