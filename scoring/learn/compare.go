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

// Models are the families compared by cis train, production forest first
// (tuned inside each training fold).
func Models(trees int) []Spec { return ModelsWith(trees, nil) }

// ModelsWith is Models with the production forest's setting fixed (no
// search) when fixed is not nil.
func ModelsWith(trees int, fixed *ForestParams) []Spec {
	return []Spec{
		{ProductionModel, func(s uint64) Classifier { return NewProduction(trees, s, fixed) }},
		{"extra_trees", func(s uint64) Classifier { return &ExtraTrees{Trees: trees, Seed: s} }},
		{"decision_tree", func(uint64) Classifier { return &DecisionTree{MaxDepth: 6} }},
		{"gradient_boosting", func(s uint64) Classifier { return &GradientBoosting{Seed: s, Bags: 10, Depths: []int{4, 5, 6}} }},
		{"logistic", func(uint64) Classifier { return &Logistic{C: 1} }},
	}
}

// NewProduction is the production forest as cis train fits it: at most
// trees trees, its setting tuned on the training rows (or fixed when fixed
// is not nil).
func NewProduction(trees int, seed uint64, fixed *ForestParams) *TunedForest {
	return &TunedForest{MaxTrees: trees, Seed: seed, Fixed: fixed}
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
	// Settings are what a model that tunes itself chose in each training
	// fold (see Tuned), in fold order.
	Settings []string `json:"settings,omitempty"`
	// Margins are the out-of-fold log-odds of a model that gives them
	// (Margined): the blend's partners.
	Margins []float64 `json:"-"`
}

// Margined is a model whose score is a log-odds made of a sum over its
// inputs (logistic regression, a booster), so it can be a partner of the
// forest-first blend (Blend).
type Margined interface {
	Margin(x []float64) float64
}

// Tuned is a model that chooses its own setting inside Fit; Setting says
// which it chose.
type Tuned interface {
	Setting() string
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
	// Production is the row "forest+calibrated" copies: the model that
	// scores (one of the calibrations, "forest+blend" among them).
	Production string `json:"production,omitempty"`
	// Blend is the blend's weights learned from all out-of-fold scores,
	// for the forest's margins (when Production is the blend); a bundle
	// composes them with its forest's own calibration.
	Blend       *Blend `json:"blend,omitempty"`
	HoldoutNote string `json:"holdout,omitempty"`
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
	// Stop, when set, is asked before each fold, hold-out, the
	// calibration and the return; an error ends Compare with it. A caller
	// that has a context passes ctx.Err: a fit in flight finishes, nothing
	// after it starts, and no report comes back once the context ended.
	Stop func() error
}

// Compare cross-validates every spec on d with stratified folds (the same
// folds for every model), fitting the encoder inside each training fold.
// Compare then adds the rows "forest+isotonic", "forest+platt" and
// "forest+blend" (the production forest's out-of-fold votes calibrated, and
// blended with its partners' margins, cross-fitted over the same folds) and "forest+calibrated",
// a copy of the row of the model cis train puts in production (see
// calibrate).
func Compare(d *Dataset, specs []Spec, o Options) (*Report, error) {
	y := d.Y
	folds := CVFolds(y, o)
	ev := &evaluation{d: d, o: o, folds: folds, total: len(specs) * len(folds)}
	if o.Holdout != nil {
		ev.total += len(specs)
	}
	rep := &Report{Rows: len(y), Folds: len(folds), Seed: o.Seed, HoldoutNote: o.HoldNote}
	for _, v := range y {
		rep.Positives += v
	}
	rep.Width = FitEncoderMin(d, seq(len(y)), max(o.MinCount, 1)).Width
	for _, test := range folds {
		train := Complement(len(y), test)
		e := FitEncoderMin(d, train, max(o.MinCount, 1))
		ev.encoded = append(ev.encoded, encodedFold{e, e.Transform(d, train), e.Transform(d, test)})
	}
	for _, s := range specs {
		rows, err := ev.spec(s)
		if err != nil {
			return nil, err
		}
		rep.Results = append(rep.Results, rows...)
	}
	if err := ev.tick("calibration"); err != nil {
		return nil, err
	}
	if err := ev.calibrate(rep); err != nil {
		return nil, err
	}
	for i := range rep.Results {
		rep.Results[i].Tiers = TierStats(y, rep.Results[i].OOF, rep.Hot, rep.Warm)
	}
	ev.done = ev.total
	if err := ev.tick("done"); err != nil {
		return nil, err
	}
	return rep, nil
}

// evaluation is one Compare run's folds, encodings and progress.
type evaluation struct {
	d           *Dataset
	o           Options
	folds       [][]int
	encoded     []encodedFold
	done, total int
}

type encodedFold struct {
	e           *Encoder
	train, test [][]float64
}

// tick starts the next step: it returns Options.Stop's error, if any, and
// otherwise reports the step to Options.Progress.
func (ev *evaluation) tick(step string) error {
	if ev.o.Stop != nil {
		if err := ev.o.Stop(); err != nil {
			return err
		}
	}
	if ev.o.Progress != nil {
		ev.o.Progress(ev.done, ev.total, step)
	}
	return nil
}

// spec cross-validates one spec and runs its hold-out.
func (ev *evaluation) spec(s Spec) ([]Result, error) {
	y := ev.d.Y
	r := Result{Name: s.Name, OOF: make([]float64, len(y))}
	var drops [][]float64
	for f, test := range ev.folds {
		if err := ev.tick(fmt.Sprintf("%s fold %d/%d", s.Name, f+1, len(ev.folds))); err != nil {
			return nil, err
		}
		m, fit, err := fitTimed(s, ev.o.Seed+uint64(f), ev.encoded[f].train, pickInts(y, Complement(len(y), test)))
		if err != nil {
			return nil, fmt.Errorf("%s fold %d: %w", s.Name, f+1, err)
		}
		if t, ok := m.(Tuned); ok {
			r.Settings = append(r.Settings, t.Setting())
		}
		mt := score(m.Predict, ev.encoded[f].test, y, test, r.OOF, fit)
		r.Folds = append(r.Folds, mt)
		if mg, ok := m.(Margined); ok {
			if r.Margins == nil {
				r.Margins = make([]float64, len(y))
			}
			for i, x := range ev.encoded[f].test {
				r.Margins[test[i]] = mg.Margin(x)
			}
		}
		if ev.o.Importance && s.Name == ProductionModel {
			drops = append(drops, foldImportance(ev.d, ev.encoded[f].e, m, test, mt.ROCAUC, ev.o.Seed+uint64(f)))
		}
		ev.done++
	}
	if drops != nil {
		r.Importance = importanceOf(ev.d.Inputs, drops)
	}
	r.Mean, r.Std = meanStd(r.Folds)
	if ev.o.Holdout != nil {
		if err := ev.holdout(s, &r); err != nil {
			return nil, err
		}
	}
	return []Result{r}, nil
}

// holdout fits s on the oldest 80 % and scores the newest 20 %.
func (ev *evaluation) holdout(s Spec, r *Result) error {
	y := ev.d.Y
	if err := ev.tick(s.Name + " hold-out"); err != nil {
		return err
	}
	train, test := TimeSplit(ev.o.Holdout, 0.2)
	e := FitEncoderMin(ev.d, train, max(ev.o.MinCount, 1))
	m, fit, err := fitTimed(s, ev.o.Seed, e.Transform(ev.d, train), pickInts(y, train))
	if err != nil {
		return fmt.Errorf("%s hold-out: %w", s.Name, err)
	}
	xs := e.Transform(ev.d, test)
	mt := score(m.Predict, xs, y, test, nil, fit)
	r.Holdout = &mt
	ev.done++
	return nil
}

// fitTimed builds s's model with seed and fits it, timing the fit.
func fitTimed(s Spec, seed uint64, X [][]float64, y []int) (Classifier, float64, error) {
	m := s.New(seed)
	start := time.Now()
	err := m.Fit(X, y)
	return m, time.Since(start).Seconds(), err
}

// score predicts the rows xs (rows test of y), stores the predictions in
// oof (when not nil) and returns their metrics with the fit time.
func score(predict func([]float64) float64, xs [][]float64, y, test []int, oof []float64, fit float64) Metrics {
	p := make([]float64, len(test))
	for i, x := range xs {
		p[i] = predict(x)
		if oof != nil {
			oof[test[i]] = p[i]
		}
	}
	mt := Evaluate(pickInts(y, test), p)
	mt.FitSec = fit
	return mt
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

// calibrate adds the rows "forest+isotonic", "forest+platt" and
// "forest+blend": the production forest's out-of-fold votes calibrated by
// isotonic regression, by Platt's logistic curve, and blended with the
// out-of-fold margins of the boosting and logistic models (Blend), each
// cross-fitted over the same folds: the map applied to a fold is learned on
// the other folds' out-of-fold scores. The one with the lowest log loss
// among those whose Brier score is no worse than the raw forest's scores
// (the raw votes if none is), and is repeated as the row
// "forest+calibrated", the model cis train selects; rep.Calibration is its
// map refitted on all out-of-fold scores (Platt's for the blend, whose
// partners the caller fits). Tier thresholds come from its out-of-fold
// predictions.
func (ev *evaluation) calibrate(rep *Report) error {
	y, folds, tiers := ev.d.Y, ev.folds, ev.o.Tiers
	var raw *Result
	var boost, linear []float64
	for i := range rep.Results {
		switch rep.Results[i].Name {
		case ProductionModel:
			raw = &rep.Results[i]
		case BoostPartner:
			boost = rep.Results[i].Margins
		case LinearPartner:
			linear = rep.Results[i].Margins
		}
	}
	if raw == nil {
		// No forest compared (cis train --models without it): the tiers come
		// from the model with the lowest log loss, so they still mean something.
		return chooseTiers(rep, y, tiers, lowestLogLoss(rep.Results))
	}
	oof := raw.OOF
	forest := raw.Margins // the forest's calibrated log-odds (TunedForest.Margin)
	if forest == nil {
		forest = make([]float64, len(oof))
		for i, v := range oof {
			forest[i] = logit(v)
		}
	}
	fits := []struct {
		name string
		fit  func(train []int) (func(row int) float64, error)
	}{
		{ProductionModel + "+isotonic", func(train []int) (func(int) float64, error) {
			c := FitIsotonic(pickFloats(oof, train), pickInts(y, train))
			return func(row int) float64 { return c.Apply(oof[row]) }, nil
		}},
		{ProductionModel + "+platt", func(train []int) (func(int) float64, error) {
			c := FitPlatt(pickFloats(oof, train), pickInts(y, train))
			return func(row int) float64 { return c.Apply(oof[row]) }, nil
		}},
	}
	if boost != nil || linear != nil {
		fits = append(fits, struct {
			name string
			fit  func(train []int) (func(row int) float64, error)
		}{BlendModel, func(train []int) (func(int) float64, error) {
			b, err := FitBlend(pickFloats(forest, train), pickOrNil(boost, train), pickOrNil(linear, train), pickInts(y, train))
			return func(row int) float64 { return sigmoid(b.Margin(forest[row], at(boost, row), at(linear, row))) }, err
		}})
	}
	best := *raw
	for _, f := range fits {
		cal, err := crossFit(f.name, f.fit, raw, folds, y)
		if err != nil {
			continue // the blend without the forest taking part: not a candidate
		}
		rep.Results = append(rep.Results, cal)
		if cal.Mean.Brier <= raw.Mean.Brier && cal.Mean.LogLoss < best.Mean.LogLoss {
			best = cal
		}
	}
	rep.Production = best.Name
	switch best.Name {
	case ProductionModel + "+isotonic":
		rep.Calibration = FitIsotonic(oof, y)
	case ProductionModel + "+platt":
		rep.Calibration = FitPlatt(oof, y)
	case BlendModel:
		rep.Calibration = FitPlatt(oof, y)
		b, err := FitBlend(forest, boost, linear, y)
		if err != nil {
			return err
		}
		rep.Blend = &b
	default:
		rep.Calibration = Calibration{Method: "identity"}
	}
	best.Name, best.Tiers = CalibratedModel, nil
	rep.Results = append(rep.Results, best)
	return chooseTiers(rep, y, tiers, &best)
}

// crossFit is the row name: for each fold, fit learns a map on the other
// folds' rows and it is applied to the fold's.
func crossFit(name string, fit func(train []int) (func(row int) float64, error), raw *Result, folds [][]int, y []int) (Result, error) {
	cal := Result{Name: name, OOF: make([]float64, len(y))}
	for k, test := range folds {
		apply, err := fit(Complement(len(y), test))
		if err != nil {
			return Result{}, err
		}
		p := make([]float64, len(test))
		for i, row := range test {
			p[i] = apply(row)
			cal.OOF[row] = p[i]
		}
		m := Evaluate(pickInts(y, test), p)
		m.FitSec = raw.Folds[k].FitSec
		cal.Folds = append(cal.Folds, m)
	}
	cal.Mean, cal.Std = meanStd(cal.Folds)
	return cal, nil
}

// pickOrNil is pickFloats, or nil for nil.
func pickOrNil(p []float64, rows []int) []float64 {
	if p == nil {
		return nil
	}
	return pickFloats(p, rows)
}

// at is p[i], or 0 for nil.
func at(p []float64, i int) float64 {
	if p == nil {
		return 0
	}
	return p[i]
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
