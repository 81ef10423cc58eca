package learn

import (
	"math"
	"math/rand/v2"
	"testing"
)

// The tuned forest must land near the Bayes AUC on fresh rows and record
// one trial per candidate, in grid order.
func TestTunedForestChoosesAndFits(t *testing.T) {
	X, y, _ := synthetic(2000, 11)
	Xt, yt, truth := synthetic(2000, 12)
	m := &TunedForest{MaxTrees: 110, FirstTrees: 20, Seed: 1}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	tu := m.Tuning
	if tu == nil || len(tu.Trials) != len(DefaultGrid()) || tu.InnerFolds != 3 || tu.Rows != len(y) {
		t.Fatalf("tuning %+v; want one trial per grid setting, 3 inner folds, %d rows", tu, len(y))
	}
	for i, tr := range tu.Trials {
		want := DefaultGrid()[i]
		if tr.Params != want {
			t.Errorf("trial %d is %v; want the grid's %v", i, tr.Params, want)
		}
		if tr.Trees < 20 || math.IsNaN(tr.LogLoss) || tr.LogLoss <= 0 {
			t.Errorf("trial %d: %d trees, log loss %v", i, tr.Trees, tr.LogLoss)
		}
	}
	if got := len(m.Model.Trees); got != tu.Chosen.Trees || got < 100 || got > 110 {
		t.Errorf("fitted %d trees; chosen %d (100 to 110)", got, tu.Chosen.Trees)
	}
	p := make([]float64, len(yt))
	for i, x := range Xt {
		p[i] = m.Predict(x)
	}
	if auc, best := ROCAUC(yt, p), ROCAUC(yt, truth); auc < best-0.03 {
		t.Errorf("AUC %.3f; want ≥ %.3f (Bayes %.3f)", auc, best-0.03, best)
	}
}

// The votes the tuning scores each setting by must come from forests that
// did not train on the row. On pure noise with a memorising setting an
// in-sample vote ranks the labels almost perfectly; an out-of-fold one
// cannot beat chance.
func TestTunedForestInnerVotesAreOutOfFold(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	X := make([][]float64, 1200)
	y := make([]int, len(X))
	for i := range X {
		X[i] = []float64{rng.Float64(), rng.Float64(), rng.Float64()}
		y[i] = rng.IntN(2)
	}
	m := &TunedForest{MaxTrees: 40, Seed: 2, Grid: []ForestParams{{LeafSize: 1, MaxDepth: 30}, {LeafSize: 2, MaxDepth: 30}}}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	in := make([]float64, len(y))
	for i, x := range X {
		in[i] = m.Predict(x)
	}
	oof := m.oof
	if auc := ROCAUC(y, in); auc < 0.9 {
		t.Fatalf("in-sample AUC %.3f; the memorising setting should reach 0.9 (the test needs it)", auc)
	}
	if auc := ROCAUC(y, oof); auc > 0.58 {
		t.Errorf("tuning votes AUC %.3f on noise; want chance (≤ 0.58): they saw their own rows", auc)
	}
	for _, tr := range m.Tuning.Trials {
		if tr.LogLoss < 0.68 {
			t.Errorf("trial %v: inner log loss %.3f on noise; want ≥ 0.68 (chance is 0.693)", tr.Params, tr.LogLoss)
		}
	}
}

// A fixed setting is fitted as given, with no search.
func TestTunedForestFixedSetting(t *testing.T) {
	X, y, _ := synthetic(800, 13)
	m := &TunedForest{MaxTrees: 300, Fixed: &ForestParams{Trees: 30, LeafSize: 80, MaxDepth: 6}}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if !m.Tuning.Fixed || len(m.Tuning.Trials) != 0 || len(m.Model.Trees) != 30 || m.Model.LeafSize != 80 || m.Model.MaxDepth != 6 {
		t.Errorf("fixed fit: tuning %+v, %d trees, leaf %d, depth %d; want the given setting untouched",
			m.Tuning, len(m.Model.Trees), m.Model.LeafSize, m.Model.MaxDepth)
	}
}

func TestForestParamsFeaturesAndWeights(t *testing.T) {
	tests := []struct {
		p    ForestParams
		cols int
		want int
	}{
		{ForestParams{}, 45, 6},
		{ForestParams{FeatureScale: 2}, 45, 13},
		{ForestParams{FeatureScale: 0.5}, 45, 3},
		{ForestParams{FeatureScale: 100}, 45, 45},
		{ForestParams{FeatureScale: 0.01}, 4, 1},
	}
	for _, tt := range tests {
		if got := tt.p.features(tt.cols); got != tt.want {
			t.Errorf("%v.features(%d) = %d; want %d", tt.p, tt.cols, got, tt.want)
		}
	}
	X := [][]float64{{0}, {1}, {2}}
	wx, wy := weighted(X, []int{0, 1, 1}, 3)
	if len(wx) != 7 || len(wy) != 7 || wy[6] != 1 || wx[6][0] != 2 {
		t.Errorf("weighted: %v %v; want each positive row 3 times in all", wx, wy)
	}
}

// Class weighting shapes the trees but not the scale of the votes: the
// leaves hold unweighted class-1 fractions, so the mean vote stays near
// the base rate instead of doubling its odds.
func TestPositiveWeightKeepsTheVoteScale(t *testing.T) {
	X, y, _ := synthetic(3000, 21)
	base := 0.0
	for _, v := range y {
		base += float64(v)
	}
	base /= float64(len(y))
	for _, w := range []int{1, 3} {
		f := &Forest{Params: ForestParams{Trees: 60, PositiveWeight: w}}
		if err := f.Fit(X, y); err != nil {
			t.Fatal(err)
		}
		var mean float64
		for _, x := range X {
			mean += f.Predict(x) / float64(len(X))
		}
		if math.Abs(mean-base) > 0.03 {
			t.Errorf("positive weight %d: mean vote %.3f; want the base rate %.3f ± 0.03", w, mean, base)
		}
	}
}

// The first setting of the grid is kept unless another is clearly better.
func TestTunedForestPrefersTheFirstSetting(t *testing.T) {
	X, y, _ := synthetic(1500, 31)
	shallow, deflt := ForestParams{MaxDepth: 2}, ForestParams{}
	tests := []struct {
		name string
		grid []ForestParams
		want ForestParams
	}{
		{"defaults first, a worse setting second", []ForestParams{deflt, shallow}, deflt},
		{"a worse setting first, a clearly better one second", []ForestParams{shallow, deflt}, deflt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &TunedForest{MaxTrees: 100, FirstTrees: 25, Seed: 4, Grid: tt.grid}
			if err := m.Fit(X, y); err != nil {
				t.Fatal(err)
			}
			got := m.Tuning.Chosen
			got.Trees = 0
			if got != tt.want {
				t.Errorf("chose %v; want %v (trials %+v)", got, tt.want, m.Tuning.Trials)
			}
		})
	}
}

// The production forest is scored for every live lead together with the
// blend's booster, and issue 19's budget for that is 5 µs
// (BenchmarkScoreLead). Measured on the quiet 2-core machine: 160 trees +
// the booster 3.1–3.9 µs, 260 trees + the booster 4.33–5.05 µs. So however
// many trees cis train's --trees asks for (300 by default) and whichever
// setting the tuning or a stored choice picks, the fitted forest must not
// grow past MaxProductionTrees, and that cap must not be raised without
// re-measuring BenchmarkScoreLead (docs/benchmarks.md).
func TestGridCannotExceedTheScoringBudget(t *testing.T) {
	const budgetTrees = 160 // the most trees measured within 5 µs with margin
	if MaxProductionTrees > budgetTrees {
		t.Fatalf("MaxProductionTrees = %d; at most %d trees fit the 5 µs scoring budget", MaxProductionTrees, budgetTrees)
	}
	for _, p := range DefaultGrid() {
		if p.Trees > MaxProductionTrees {
			t.Errorf("grid setting %v asks for %d trees; at most %d", p, p.Trees, MaxProductionTrees)
		}
	}
	X, y, _ := synthetic(400, 21)
	tests := []struct {
		name string
		m    *TunedForest
	}{
		{"searched, --trees 300", &TunedForest{MaxTrees: 300, Seed: 5, Grid: []ForestParams{{}, {LeafSize: 20}}}},
		{"searched, no --trees", &TunedForest{Seed: 5, Grid: []ForestParams{{}, {MaxDepth: 14}}}},
		{"stored setting without a count", &TunedForest{MaxTrees: 300, Fixed: &ForestParams{}}},
		{"stored setting of 300 trees", &TunedForest{MaxTrees: 300, Fixed: &ForestParams{Trees: 300}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.m.Fit(X, y); err != nil {
				t.Fatal(err)
			}
			if got := len(tt.m.Model.Trees); got > MaxProductionTrees || tt.m.Tuning.Chosen.Trees != got {
				t.Errorf("fitted %d trees (chosen %d); want at most %d, as chosen", got, tt.m.Tuning.Chosen.Trees, MaxProductionTrees)
			}
		})
	}
}
