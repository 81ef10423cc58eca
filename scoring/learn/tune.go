package learn

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// DefaultGrid returns the settings TunedForest chooses from: the library's
// defaults first, then smaller and larger leaves, deeper trees, more
// features per split and class weighting. Each is a step away from the
// defaults in one or two directions, so a small search covers the settings
// that matter for a depth-limited forest (docs/models.md).
func DefaultGrid() []ForestParams {
	return []ForestParams{
		{},                            // library defaults
		{LeafSize: 20},                // smaller leaves
		{LeafSize: 150, MaxDepth: 12}, // larger leaves, one level deeper to use them
		{MaxDepth: 14},                // deeper trees
		{FeatureScale: 2},             // twice the features per split
		{FeatureScale: 2, MaxDepth: 14, LeafSize: 100},
		{FeatureScale: 0.5}, // half: more randomised, less correlated trees
		{PositiveWeight: 2}, // class weighting
	}
}

// Trial is one candidate setting as the search last measured it.
type Trial struct {
	Params  ForestParams `json:"params"`
	Trees   int          `json:"trees"`    // trees per inner forest when last measured
	LogLoss float64      `json:"log_loss"` // inner-fold log loss of its Platt-calibrated votes
	Round   int          `json:"round"`    // the last halving round it took part in (0 = first)
}

// Tuning records how a TunedForest chose its setting, for the bundle and
// the report.
type Tuning struct {
	Chosen     ForestParams `json:"chosen"`
	InnerFolds int          `json:"inner_folds"`
	Rows       int          `json:"rows"`
	Trials     []Trial      `json:"trials"`
	// TreeLoss is the chosen setting's inner log loss at each tree count of
	// TreeSteps (the number of trees is chosen from these).
	TreeSteps []int     `json:"tree_steps,omitempty"`
	TreeLoss  []float64 `json:"tree_loss,omitempty"`
	Seconds   float64   `json:"seconds"`         // the search's wall time (not the final fit)
	Fixed     bool      `json:"fixed,omitempty"` // the setting was given, not searched
}

// TunedForest is the production forest with its setting chosen on the rows
// it is fitted on, never on the rows it is evaluated on: inside Fit, each
// candidate of Grid is trained on inner stratified folds of the training
// rows, and its votes on the held-out inner fold, Platt-calibrated
// (cross-fitted over the inner folds, as the production forest is
// calibrated), give an inner log loss. Successive halving keeps the better
// half of the candidates at each round while doubling their trees (a
// forest is a union of trees, so a round only adds trees to the previous
// round's forests); the first candidate, the library's defaults, stays to
// the end and is replaced only by a setting whose inner log loss is lower
// by more than prefer. The setting kept is then grown to MaxTrees on the
// inner folds, and the number of trees is the smallest count measured,
// from minTrees on, whose inner log loss is within TreeTolerance of
// MaxTrees' (more trees never hurt on average; they cost scoring time).
// Last, the forest is fitted on all rows with that setting. In
// cross-validation (Compare) this happens inside every outer training
// fold: nested tuning.
type TunedForest struct {
	MaxTrees      int            // most trees; MaxProductionTrees when zero or above it
	Grid          []ForestParams // candidates (their Trees is ignored); DefaultGrid when nil
	Folds         int            // inner folds; when zero 3, or 2 above bigTuning rows
	FirstTrees    int            // trees per candidate in the first round; 40 when zero
	TreeTolerance float64        // log loss a smaller forest may give up; 0.0001 when zero
	Seed          uint64
	// Fixed skips the search and fits this setting (a stored choice, or a
	// report refitting a bundle's forest).
	Fixed *ForestParams

	Forest
	Tuning *Tuning
	// Cal is Platt's calibration of the chosen setting's votes on the inner
	// folds' held-out rows (the identity for a Fixed setting, which has
	// none): Margin puts the votes of forests tuned to different settings
	// on one log-odds scale, for the blend (Blend).
	Cal Calibration

	oof []float64 // the chosen setting's votes on the inner folds' held-out rows
}

// bigTuning is the training size above which the search uses 2 inner
// folds instead of 3: half of so many rows still grows forests like the
// final one, and the search costs about half as much.
const bigTuning = 20000

// prefer is how much lower its inner log loss must be for a setting to
// replace the library's defaults: about the spread of the inner log loss
// of near-equal settings measured again on another draw of the folds
// (0.0001–0.0003 on the demo store, docs/models.md).
const prefer = 0.0005

// MaxProductionTrees is the most trees the production forest may have,
// whatever MaxTrees (cis train's --trees) asks for: a live lead is scored
// by this forest plus the blend's booster (up to 100 trees), and issue 19's
// budget is 5 µs per score. Measured on the quiet 2-core machine, 160
// trees + the booster score in 3.1–3.9 µs, 260 trees + the booster in
// 4.33–5.05 µs; what 300 trees would gain is small (on Telco the inner log
// loss of 160 trees is 0.00065 above 300 trees', docs/models.md).
// TestGridCannotExceedTheScoringBudget pins it.
const MaxProductionTrees = 160

// minTrees is the fewest trees the search may choose: fewer make the
// votes noticeably noisier from one training to the next.
const minTrees = 100

// candidate is one setting's inner-fold state during the search.
type candidate struct {
	p     ForestParams
	trees int
	sum   []float64 // per row: sum of leaf votes from the inner forests that held it out
	votes []int
	loss  float64
	round int
	curve [][2]float64 // (trees, inner log loss) after each growth
}

// Fit chooses the setting on X, y and fits the forest on all of them.
func (m *TunedForest) Fit(X [][]float64, y []int) error {
	if err := checkXY(X, y); err != nil {
		return err
	}
	start := time.Now()
	maxTrees := m.MaxTrees
	if maxTrees <= 0 || maxTrees > MaxProductionTrees {
		maxTrees = MaxProductionTrees
	}
	if m.Fixed != nil {
		m.Cal = Calibration{Method: "identity"}
		m.Forest = Forest{Params: *m.Fixed}
		m.Tuning = &Tuning{Chosen: *m.Fixed, Rows: len(y), Fixed: true}
		if t := m.Forest.Params.Trees; t == 0 || t > maxTrees {
			m.Forest.Params.Trees = maxTrees
			m.Tuning.Chosen.Trees = maxTrees
		}
		return m.Forest.Fit(X, y)
	}
	chosen, tuning, err := m.search(X, y, maxTrees)
	if err != nil {
		return err
	}
	tuning.Seconds = time.Since(start).Seconds()
	m.Tuning = tuning
	m.Cal = FitPlatt(m.oof, y)
	m.Forest = Forest{Params: chosen}
	return m.Forest.Fit(X, y)
}

// search runs the successive halving on inner folds of X, y.
func (m *TunedForest) search(X [][]float64, y []int, maxTrees int) (ForestParams, *Tuning, error) {
	grid := m.Grid
	if grid == nil {
		grid = DefaultGrid()
	}
	k := m.Folds
	if k <= 0 {
		k = 3
		if len(y) > bigTuning {
			k = 2
		}
	}
	first := m.FirstTrees
	if first <= 0 {
		first = 40
	}
	first = min(first, maxTrees)
	tol := m.TreeTolerance
	if tol <= 0 {
		tol = 0.0001
	}
	folds := StratifiedFolds(y, k, m.Seed^0x7e4e)
	cands := make([]*candidate, len(grid))
	for i, p := range grid {
		p.Trees = 0
		cands[i] = &candidate{p: p, sum: make([]float64, len(y)), votes: make([]int, len(y))}
	}
	live := append([]*candidate(nil), cands...)
	trees := first
	for round := 0; ; round++ {
		for _, c := range live {
			if err := c.grow(X, y, folds, trees-c.trees); err != nil {
				return ForestParams{}, nil, err
			}
			c.measure(y, folds)
			c.round = round
		}
		sort.SliceStable(live, func(a, b int) bool { return live[a].loss < live[b].loss })
		if len(live) <= 2 || trees*2 > maxTrees {
			break
		}
		live = keep(live[:(len(live)+1)/2], cands[0])
		trees *= 2
	}
	// The first setting (the library's defaults) stays in every round and
	// is replaced only by a setting clearly better than it: near-equal
	// settings trade places from one draw of the folds to the next, and a
	// forest whose setting changes from fold to fold calibrates worse.
	best := live[0]
	steps, losses, err := best.treeCurve(X, y, folds, maxTrees)
	if err != nil {
		return ForestParams{}, nil, err
	}
	if best != cands[0] {
		// Compared with all their trees, where their losses are steadiest.
		ds, dl, err := cands[0].treeCurve(X, y, folds, maxTrees)
		if err != nil {
			return ForestParams{}, nil, err
		}
		if dl[len(dl)-1]-losses[len(losses)-1] <= prefer {
			best, steps, losses = cands[0], ds, dl
		}
	}
	m.oof = best.votesOf()
	chosen := best.p
	chosen.Trees = maxTrees
	for i, l := range losses {
		if steps[i] >= min(minTrees, maxTrees) && l <= losses[len(losses)-1]+tol {
			chosen.Trees = steps[i]
			break
		}
	}
	t := &Tuning{Chosen: chosen, InnerFolds: k, Rows: len(y), TreeSteps: steps, TreeLoss: losses}
	for _, c := range cands {
		t.Trials = append(t.Trials, Trial{Params: c.p, Trees: c.trees, LogLoss: c.loss, Round: c.round})
	}
	return chosen, t, nil
}

// treeCurve grows c to maxTrees in steps and returns its inner log loss at
// every tree count it was measured at, from the first round on.
func (c *candidate) treeCurve(X [][]float64, y []int, folds [][]int, maxTrees int) ([]int, []float64, error) {
	step := max(maxTrees/6, 1)
	for c.trees < maxTrees {
		if err := c.grow(X, y, folds, min(step, maxTrees-c.trees)); err != nil {
			return nil, nil, err
		}
		c.measure(y, folds)
	}
	steps := make([]int, len(c.curve))
	losses := make([]float64, len(c.curve))
	for i, pt := range c.curve {
		steps[i], losses[i] = int(pt[0]), pt[1]
	}
	return steps, losses, nil
}

// measure records the candidate's inner log loss at its current size.
func (c *candidate) measure(y []int, folds [][]int) {
	c.loss = c.innerLoss(y, folds)
	c.curve = append(c.curve, [2]float64{float64(c.trees), c.loss})
}

// grow adds n trees to the candidate's forest of every inner fold and
// their votes on that fold's held-out rows.
func (c *candidate) grow(X [][]float64, y []int, folds [][]int, n int) error {
	if n <= 0 {
		return nil
	}
	p := c.p
	p.Trees = n
	codes := []uint16(nil)
	for _, test := range folds {
		train := Complement(len(y), test)
		f := &Forest{Params: p}
		if err := f.Fit(pick(X, train), pickInts(y, train)); err != nil {
			return fmt.Errorf("tuning %v: %w", c.p, err)
		}
		if codes == nil {
			codes = make([]uint16, f.Compact.CodesLen())
		}
		for _, i := range test {
			f.Compact.Codes(X[i], codes)
			s, v := f.Compact.voteSum(codes)
			c.sum[i] += s
			c.votes[i] += v
		}
	}
	c.trees += n
	return nil
}

// innerLoss is the log loss of the candidate's held-out votes after Platt
// calibration, cross-fitted over the inner folds.
func (c *candidate) innerLoss(y []int, folds [][]int) float64 {
	v := c.votesOf()
	var loss float64
	for _, test := range folds {
		train := Complement(len(y), test)
		cal := FitPlatt(pickFloats(v, train), pickInts(y, train))
		for _, i := range test {
			p := math.Min(math.Max(cal.Apply(v[i]), 1e-15), 1-1e-15)
			if y[i] == 1 {
				loss -= math.Log(p)
			} else {
				loss -= math.Log(1 - p)
			}
		}
	}
	return loss / float64(len(y))
}

// keep returns live with c added when it is not there.
func keep(live []*candidate, c *candidate) []*candidate {
	for _, l := range live {
		if l == c {
			return live
		}
	}
	return append(live, c)
}

// votesOf returns the normalised held-out vote of every row.
func (c *candidate) votesOf() []float64 {
	v := make([]float64, len(c.sum))
	for i := range v {
		v[i] = 0.5
		if c.votes[i] > 0 {
			v[i] = c.sum[i] / float64(c.votes[i])
		}
	}
	return v
}

// Margin returns the forest's calibrated log-odds for x: Cal applied to
// the vote.
func (m *TunedForest) Margin(x []float64) float64 { return m.Cal.Margin(m.Forest.Predict(x)) }

// Setting is the chosen setting in words.
func (m *TunedForest) Setting() string {
	switch {
	case m.Tuning == nil:
		return m.Forest.Params.String()
	case m.Tuning.Fixed:
		return m.Tuning.Chosen.String() + " (stored, not tuned)"
	}
	return m.Tuning.Chosen.String()
}
