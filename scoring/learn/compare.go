package learn

import (
	"fmt"
	"math"
	"time"
)

// Spec names a model family and builds a fresh, untrained model.
type Spec struct {
	Name string
	New  func(seed uint64) Classifier
}

// ProductionModel is the name of the production forest in comparisons.
const ProductionModel = "forest"

// Models are the families compared by cis train, production forest first.
func Models(trees int) []Spec {
	return []Spec{
		{ProductionModel, func(uint64) Classifier { return &Forest{Trees: trees} }},
		{"extra_trees", func(s uint64) Classifier { return &ExtraTrees{Trees: trees, Seed: s} }},
		{"decision_tree", func(uint64) Classifier { return &DecisionTree{MaxDepth: 6} }},
		{"gradient_boosting", func(s uint64) Classifier { return &GradientBoosting{Seed: s, Bags: 10, Depths: []int{4, 5, 6}} }},
		{"logistic", func(uint64) Classifier { return &Logistic{C: 1} }},
	}
}

// Metrics are one evaluation of one model.
type Metrics struct {
	ROCAUC  float64 `json:"roc_auc"`
	PRAUC   float64 `json:"pr_auc"`
	LogLoss float64 `json:"log_loss"`
	Brier   float64 `json:"brier"`
	FitSec  float64 `json:"fit_seconds"`
}

// Evaluate computes the metrics of predictions p for labels y.
func Evaluate(y []int, p []float64) Metrics {
	return Metrics{ROCAUC: ROCAUC(y, p), PRAUC: PRAUC(y, p), LogLoss: LogLoss(y, p), Brier: Brier(y, p)}
}

// Result is one model's cross-validation and hold-out figures.
type Result struct {
	Name    string       `json:"name"`
	Mean    Metrics      `json:"mean"` // means over folds
	Std     Metrics      `json:"std"`  // standard deviation over folds (ddof 0)
	Folds   []Metrics    `json:"folds"`
	Tiers   []ClassStats `json:"tiers"`             // out-of-fold, at the report's thresholds
	Holdout *Metrics     `json:"holdout,omitempty"` // time-ordered hold-out
	OOF     []float64    `json:"-"`                 // out-of-fold predictions
	// Importance is the permutation importance on the held-out folds, for
	// the production forest when Options.Importance is set.
	Importance []Importance `json:"importance,omitempty"`
}

// Report is a whole comparison.
type Report struct {
	Rows        int         `json:"rows"`
	Positives   int         `json:"positives"`
	Width       int         `json:"width"` // vector length after encoding (all rows)
	Folds       int         `json:"folds"`
	Seed        uint64      `json:"seed"`
	Results     []Result    `json:"models"`
	Hot, Warm   float64     `json:"-"`
	Thresholds  [2]float64  `json:"thresholds"`  // hot, warm on the calibrated production model
	Calibration Calibration `json:"calibration"` // chosen for the production forest (see calibrate)
	HoldoutNote string      `json:"holdout,omitempty"`
}

// Options steer Compare.
type Options struct {
	Folds    int    // 5 when zero
	Seed     uint64 // folds and everything else this package draws
	Holdout  []int  // rows oldest first; when set, the newest 20 % are a hold-out
	HoldNote string // how the hold-out was ordered
	Tiers    TierPolicy
	MinCount int // categorical levels rarer than this are pooled (see FitEncoderMin)
	// Importance asks for the production forest's permutation importance
	// on each held-out fold (Result.Importance); it costs one prediction
	// per held-out row and input.
	Importance bool
	Progress   func(done, total int, step string) // may be nil
}

// Compare cross-validates every spec on d with stratified folds (the same
// folds for every model), fitting the encoder inside each training fold.
// It adds the row "forest+calibrated": the production forest's out-of-fold
// predictions calibrated by isotonic regression cross-fitted over the same
// folds (each fold's calibrator learns from the other folds' out-of-fold
// predictions), which is the model cis train selects.
func Compare(d *Dataset, specs []Spec, o Options) (*Report, error) {
	y := d.Y
	folds := CVFolds(y, o)
	k := len(folds)
	total := len(specs) * k
	if o.Holdout != nil {
		total += len(specs)
	}
	done := 0
	tick := func(step string) {
		if o.Progress != nil {
			o.Progress(done, total, step)
		}
	}
	rep := &Report{Rows: len(y), Folds: k, Seed: o.Seed, HoldoutNote: o.HoldNote}
	for _, v := range y {
		rep.Positives += v
	}
	rep.Width = FitEncoderMin(d, seq(len(y)), max(o.MinCount, 1)).Width
	type enc struct {
		e           *Encoder
		train, test [][]float64
	}
	encoded := make([]enc, k)
	for f, test := range folds {
		train := Complement(len(y), test)
		e := FitEncoderMin(d, train, max(o.MinCount, 1))
		encoded[f] = enc{e, e.Transform(d, train), e.Transform(d, test)}
	}
	for _, s := range specs {
		r := Result{Name: s.Name, OOF: make([]float64, len(y))}
		var drops [][]float64
		for f, test := range folds {
			tick(fmt.Sprintf("%s fold %d/%d", s.Name, f+1, k))
			train := Complement(len(y), test)
			m := s.New(o.Seed + uint64(f))
			start := time.Now()
			if err := m.Fit(encoded[f].train, pickInts(y, train)); err != nil {
				return nil, fmt.Errorf("%s fold %d: %w", s.Name, f+1, err)
			}
			fit := time.Since(start).Seconds()
			p := make([]float64, len(test))
			for i, x := range encoded[f].test {
				p[i] = m.Predict(x)
				r.OOF[test[i]] = p[i]
			}
			mt := Evaluate(pickInts(y, test), p)
			mt.FitSec = fit
			r.Folds = append(r.Folds, mt)
			if o.Importance && s.Name == ProductionModel {
				drops = append(drops, foldImportance(d, encoded[f].e, m, test, mt.ROCAUC, o.Seed+uint64(f)))
			}
			done++
		}
		if drops != nil {
			r.Importance = importanceOf(d.Inputs, drops)
		}
		r.Mean, r.Std = meanStd(r.Folds)
		if o.Holdout != nil {
			tick(s.Name + " hold-out")
			train, test := TimeSplit(o.Holdout, 0.2)
			e := FitEncoderMin(d, train, max(o.MinCount, 1))
			m := s.New(o.Seed)
			start := time.Now()
			if err := m.Fit(e.Transform(d, train), pickInts(y, train)); err != nil {
				return nil, fmt.Errorf("%s hold-out: %w", s.Name, err)
			}
			fit := time.Since(start).Seconds()
			xs := e.Transform(d, test)
			p := make([]float64, len(test))
			for i, x := range xs {
				p[i] = m.Predict(x)
			}
			mt := Evaluate(pickInts(y, test), p)
			mt.FitSec = fit
			r.Holdout = &mt
			done++
		}
		rep.Results = append(rep.Results, r)
	}
	tick("calibration")
	if err := calibrate(rep, folds, y, o.Tiers); err != nil {
		return nil, err
	}
	for i := range rep.Results {
		rep.Results[i].Tiers = TierStats(y, rep.Results[i].OOF, rep.Hot, rep.Warm)
	}
	done = total
	tick("done")
	return rep, nil
}

// CVFolds returns the stratified folds Compare evaluates on for labels y
// and options o (rows of each fold, in order), so that they can be written
// out and another tool scored on exactly the same rows.
func CVFolds(y []int, o Options) [][]int {
	k := o.Folds
	if k == 0 {
		k = 5
	}
	return StratifiedFolds(y, k, o.Seed)
}

func meanStd(ms []Metrics) (mean, std Metrics) {
	get := func(m *Metrics) []*float64 { return []*float64{&m.ROCAUC, &m.PRAUC, &m.LogLoss, &m.Brier, &m.FitSec} }
	mp, sp := get(&mean), get(&std)
	n := float64(len(ms))
	for i := range ms {
		for j, v := range get(&ms[i]) {
			*mp[j] += *v / n
		}
	}
	for i := range ms {
		for j, v := range get(&ms[i]) {
			d := *v - *mp[j]
			*sp[j] += d * d / n
		}
	}
	for _, v := range sp {
		*v = math.Sqrt(*v)
	}
	return mean, std
}

func pickInts(y []int, rows []int) []int {
	out := make([]int, len(rows))
	for k, i := range rows {
		out[k] = y[i]
	}
	return out
}

func pickFloats(p []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for k, i := range rows {
		out[k] = p[i]
	}
	return out
}

// CalibratedModel is the name of the calibrated production forest's row.
const CalibratedModel = ProductionModel + "+calibrated"

// calibrate adds the rows "forest+isotonic" and "forest+platt": the
// production forest's out-of-fold votes calibrated, cross-fitted over the
// same folds (each fold's calibrator is learned on the other folds'
// out-of-fold votes). The method with the lowest log loss among those whose
// Brier score is no worse than the raw forest's is chosen (the identity if
// neither is), refitted on all out-of-fold votes as rep.Calibration, and
// repeated as the row "forest+calibrated", the model cis train selects;
// tier thresholds come from its out-of-fold predictions.
func calibrate(rep *Report, folds [][]int, y []int, tiers TierPolicy) error {
	var raw *Result
	for i := range rep.Results {
		if rep.Results[i].Name == ProductionModel {
			raw = &rep.Results[i]
		}
	}
	if raw == nil {
		// No forest compared (cis train --models without it): the tiers come
		// from the model with the lowest log loss, so they still mean something.
		return chooseTiers(rep, y, tiers, lowestLogLoss(rep.Results))
	}
	fits := []struct {
		name string
		fit  func([]float64, []int) Calibration
	}{{"isotonic", FitIsotonic}, {"platt", FitPlatt}}
	best := *raw
	best.Name, best.Tiers = CalibratedModel, nil
	rep.Calibration = Calibration{Method: "identity"}
	for _, f := range fits {
		cal := Result{Name: ProductionModel + "+" + f.name, OOF: make([]float64, len(y))}
		for k, test := range folds {
			train := Complement(len(y), test)
			c := f.fit(pickFloats(raw.OOF, train), pickInts(y, train))
			p := make([]float64, len(test))
			for i, row := range test {
				p[i] = c.Apply(raw.OOF[row])
				cal.OOF[row] = p[i]
			}
			m := Evaluate(pickInts(y, test), p)
			m.FitSec = raw.Folds[k].FitSec
			cal.Folds = append(cal.Folds, m)
		}
		cal.Mean, cal.Std = meanStd(cal.Folds)
		rep.Results = append(rep.Results, cal)
		if cal.Mean.Brier <= raw.Mean.Brier && cal.Mean.LogLoss < best.Mean.LogLoss {
			best = cal
			best.Name = CalibratedModel
			rep.Calibration = f.fit(raw.OOF, y)
		}
	}
	rep.Results = append(rep.Results, best)
	return chooseTiers(rep, y, tiers, &best)
}

// chooseTiers sets the report's thresholds from r's out-of-fold predictions.
func chooseTiers(rep *Report, y []int, tiers TierPolicy, r *Result) error {
	if r == nil {
		return nil
	}
	hot, warm, err := tiers.Choose(y, r.OOF)
	if err != nil {
		return err
	}
	rep.Hot, rep.Warm = hot, warm
	rep.Thresholds = [2]float64{hot, warm}
	return nil
}

// lowestLogLoss returns the result with the lowest mean log loss, or nil.
func lowestLogLoss(rs []Result) *Result {
	var best *Result
	for i := range rs {
		if best == nil || rs[i].Mean.LogLoss < best.Mean.LogLoss {
			best = &rs[i]
		}
	}
	return best
}
