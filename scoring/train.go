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
	"github.com/cis-agencia/cis/store"
)

// Example is one labelled lead for training.
type Example struct {
	Lead      flow.Lead // CompletedAt is when the lead arrived
	Converted bool
}

// Examples turns the store's labelled leads into training examples: the
// one conversion that training, the field trial, the value check and the
// model report share.
func Examples(rows []store.HistoryLead) []Example {
	ex := make([]Example, len(rows))
	for i, r := range rows {
		ex[i] = Example{Lead: r.Lead, Converted: r.Converted}
	}
	return ex
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
	Models   []learn.Spec   // the families compared; learn.ModelsWith(Trees, Forest) when nil
	// Forest fixes the production forest's setting instead of tuning it on
	// the training rows (the demo uses a stored choice to start quickly).
	Forest *learn.ForestParams
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
// oldest first), then the production model fitted on all rows (its forest
// tuned on them, unless o.Forest fixes the setting), its calibration and
// tiers.
func fitBundle(d *learn.Dataset, o TrainOptions, holdNote string) (*Bundle, *learn.Report, error) {
	y := d.Y
	specs := learn.ModelsWith(o.Trees, o.Forest)
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
	pos := 0
	for _, v := range y {
		pos += v
	}
	b := &Bundle{
		Format:      bundleFormat,
		CreatedAt:   o.Now().UTC().Truncate(time.Second),
		Schema:      Schema{Encoder: *enc, Columns: enc.Names},
		Calibration: rep.Calibration, // chosen by learn.Compare: no worse Brier than the raw votes
		Thresholds:  Thresholds{Hot: rep.Hot, Warm: rep.Warm},
		Metrics:     rep.Results,
		Rows:        len(y),
		Positives:   pos,
	}
	if err := b.fitProduction(X, y, o, specs, rep); err != nil {
		return nil, nil, fmt.Errorf("train production forest: %w", err)
	}
	return b, rep, nil
}

// fitProduction fits the production forest on all rows (tuned on them,
// unless o.Forest fixes the setting). When the comparison chose the
// forest-first blend, its weights are those learned from all the
// comparison's out-of-fold scores (rep.Blend), composed with this forest's
// own calibration, and its partners are fitted on all rows as the
// comparison fitted them in each fold.
func (b *Bundle) fitProduction(X [][]float64, y []int, o TrainOptions, specs []learn.Spec, rep *learn.Report) error {
	f := learn.NewProduction(o.Trees, o.Seed, o.Forest)
	if err := f.Fit(X, y); err != nil {
		return err
	}
	b.Forest, b.Tuning = f.Model, f.Tuning
	if rep.Blend == nil {
		return nil
	}
	bl := rep.Blend.Compose(f.Cal)
	for _, s := range specs {
		if s.Name != learn.BoostPartner && s.Name != learn.LinearPartner {
			continue
		}
		m := s.New(o.Seed)
		if err := m.Fit(X, y); err != nil {
			return fmt.Errorf("blend partner %s: %w", s.Name, err)
		}
		switch p := m.(type) {
		case *learn.GradientBoosting:
			bl.Boost = &p.Single
		case *learn.Logistic:
			bl.Linear = p
		}
	}
	b.Format, b.Blend = bundleFormatBlend, &bl
	return nil
}

// Summary is one line describing a bundle, for `cis models`.
func (b *Bundle) Summary() string {
	s := fmt.Sprintf("%d leads, %d conversions, %d trees", b.Rows, b.Positives, len(b.Forest.Trees))
	for _, r := range b.Metrics {
		if r.Name == learn.CalibratedModel {
			s += fmt.Sprintf(", CV ROC AUC %.3f, Brier %.4f", r.Mean.ROCAUC, r.Mean.Brier)
		}
	}
	return s + fmt.Sprintf(", hot ≥ %.2f, warm ≥ %.2f, calibration %s", b.Thresholds.Hot, b.Thresholds.Warm, b.calMethod())
}

// calMethod names how the forest's vote becomes a probability.
func (b *Bundle) calMethod() string {
	if b.Blend != nil {
		return "blend"
	}
	return CalibrationName(b.Calibration)
}

// Setting is the production forest's setting in words, as chosen by the
// tuning (or fixed), and the blend's correction when there is one.
func (b *Bundle) Setting() string {
	s := fmt.Sprintf("%d trees, library defaults (not tuned)", len(b.Forest.Trees))
	if b.Tuning != nil {
		s = b.Tuning.Chosen.String()
		if b.Tuning.Fixed {
			s += " (stored setting, not tuned on these rows)"
		} else {
			s += fmt.Sprintf(" (chosen from %d settings on %d inner folds in %.0f s)", len(b.Tuning.Trials), b.Tuning.InnerFolds, b.Tuning.Seconds)
		}
	}
	if bl := b.Blend; bl != nil {
		s += fmt.Sprintf("; blend: log-odds = %.3f·logit(forest) %+.3f", bl.Cal.A, bl.Cal.B)
		if bl.Boost != nil {
			s += fmt.Sprintf(" %+.3f·boosting (%d trees)", bl.BoostW, len(bl.Boost.Trees))
		}
		if bl.Linear != nil {
			s += fmt.Sprintf(" %+.3f·logistic", bl.LinearW)
		}
	}
	return s
}

// CalibrationName names a calibration the way reports show it: its method,
// "identity" when there is none.
func CalibrationName(c learn.Calibration) string {
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

// ReportDataset is the examples oldest first laid out over fields, with the
// SHA-256 of the rows (Bundle.DataSHA256 is that of the training rows), so
// the model report rebuilds exactly what Train saw.
func ReportDataset(ex []Example, fields []learn.Column) ([]Example, *learn.Dataset, string) {
	ex = sortedByTime(ex)
	d, _, sum := leadDataset(ex, fields)
	return ex, d, sum
}

// TrainingDataset is the examples as Train sees them (oldest first, the
// production fields), for printing and reporting.
func TrainingDataset(ex []Example) *learn.Dataset {
	d, _, _ := leadDataset(sortedByTime(ex), leadFields)
	return d
}
