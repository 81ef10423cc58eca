package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	randomforest "github.com/malaschitz/randomForest"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Known results computed by hand (and matching scikit-learn's
// roc_auc_score, average_precision_score, log_loss and brier_score_loss).
func TestMetricsKnownResults(t *testing.T) {
	tests := []struct {
		name                    string
		y                       []int
		p                       []float64
		auc, ap, logloss, brier float64
	}{
		{"sklearn docs example", []int{0, 0, 1, 1}, []float64{0.1, 0.4, 0.35, 0.8}, 0.75, 0.8333333, 0.4722880, 0.158125},
		{"perfect ranking", []int{0, 1, 0, 1}, []float64{0.2, 0.9, 0.3, 0.6}, 1, 1, 0.2990012, 0.075},
		{"ties count half", []int{0, 1}, []float64{0.5, 0.5}, 0.5, 0.5, 0.6931472, 0.25},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ROCAUC(tt.y, tt.p); !near(got, tt.auc, 1e-6) {
				t.Errorf("ROCAUC = %v; want %v", got, tt.auc)
			}
			if got := PRAUC(tt.y, tt.p); !near(got, tt.ap, 1e-6) {
				t.Errorf("PRAUC = %v; want %v", got, tt.ap)
			}
			if got := LogLoss(tt.y, tt.p); !near(got, tt.logloss, 1e-6) {
				t.Errorf("LogLoss = %v; want %v", got, tt.logloss)
			}
			if got := Brier(tt.y, tt.p); !near(got, tt.brier, 1e-9) {
				t.Errorf("Brier = %v; want %v", got, tt.brier)
			}
		})
	}
}

func TestStratifiedFoldsKeepBalanceAndAreReproducible(t *testing.T) {
	y := make([]int, 1000)
	for i := range 230 {
		y[i*4] = 1
	}
	a := StratifiedFolds(y, 5, 7)
	b := StratifiedFolds(y, 5, 7)
	seen := make([]int, len(y))
	for f := range a {
		var pos int
		for k, i := range a[f] {
			seen[i]++
			pos += y[i]
			if b[f][k] != i {
				t.Fatalf("fold %d differs between two runs with the same seed", f)
			}
		}
		if len(a[f]) != 200 || pos != 46 {
			t.Errorf("fold %d: %d rows, %d positives; want 200 and 46", f, len(a[f]), pos)
		}
	}
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("row %d is in %d test folds; want 1", i, n)
		}
	}
	if c := StratifiedFolds(y, 5, 8); equalInts(c[0], a[0]) {
		t.Error("another seed gave the same first fold")
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// synthetic draws n rows of p features where P(y=1) = sigmoid(x·w), plus
// one constant column (the library's empty-leaf trap).
func synthetic(n int, seed uint64) ([][]float64, []int, []float64) {
	rng := rand.New(rand.NewPCG(seed, 1))
	w := []float64{1.5, -1, 0.8, 0, 0.5}
	X := make([][]float64, n)
	y := make([]int, n)
	truth := make([]float64, n)
	for i := range X {
		x := make([]float64, len(w)+1)
		var z float64 = -0.5
		for j := range w {
			x[j] = rng.NormFloat64()
			if j == 4 {
				x[j] = float64(rng.IntN(2)) // a 0/1 column like one-hot
			}
			z += w[j] * x[j]
		}
		x[len(w)] = 3 // constant
		X[i] = x
		truth[i] = sigmoid(z)
		if rng.Float64() < truth[i] {
			y[i] = 1
		}
	}
	return X, y, truth
}

// The Bayes-optimal AUC of synthetic(…) is about 0.83; each model must get
// close to it on fresh rows, and its probabilities must beat the base rate.
// The production forest runs with the library's defaults here; its tuning
// is TestTunedForestChoosesAndFits'.
func TestModelsReachQualityFloor(t *testing.T) {
	X, y, _ := synthetic(3000, 1)
	Xt, yt, truth := synthetic(2000, 2)
	best := ROCAUC(yt, truth)
	floor := map[string]float64{"forest": 0.03, "extra_trees": 0.04, "decision_tree": 0.07, "gradient_boosting": 0.03, "logistic": 0.01}
	var base float64
	for _, v := range y {
		base += float64(v)
	}
	base /= float64(len(y))
	constLoss := LogLoss(yt, constant(len(yt), base))
	for _, s := range ModelsWith(60, &ForestParams{}) {
		t.Run(s.Name, func(t *testing.T) {
			m := s.New(1)
			if err := m.Fit(X, y); err != nil {
				t.Fatal(err)
			}
			p := make([]float64, len(yt))
			for i, x := range Xt {
				p[i] = m.Predict(x)
				if p[i] < 0 || p[i] > 1 || math.IsNaN(p[i]) {
					t.Fatalf("Predict(row %d) = %v; want a probability", i, p[i])
				}
			}
			auc := ROCAUC(yt, p)
			if auc < best-floor[s.Name] {
				t.Errorf("AUC %.3f; want ≥ %.3f (Bayes %.3f)", auc, best-floor[s.Name], best)
			}
			if ll := LogLoss(yt, p); s.Name != "decision_tree" && ll >= constLoss {
				t.Errorf("log loss %.3f; want below the base rate's %.3f", ll, constLoss)
			}
		})
	}
}

func constant(n int, v float64) []float64 {
	p := make([]float64, n)
	for i := range p {
		p[i] = v
	}
	return p
}

// Logistic regression against a closed form: with one binary input the
// unpenalised maximum-likelihood fit reproduces the two group rates.
func TestLogisticMatchesGroupRates(t *testing.T) {
	var X [][]float64
	var y []int
	add := func(x float64, n, pos int) {
		for i := range n {
			X = append(X, []float64{x})
			y = append(y, b2i(i < pos))
		}
	}
	add(0, 400, 100) // 25 %
	add(1, 600, 450) // 75 %
	m := &Logistic{C: 1e9}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if p0, p1 := m.Predict([]float64{0}), m.Predict([]float64{1}); !near(p0, 0.25, 1e-6) || !near(p1, 0.75, 1e-6) {
		t.Errorf("Predict = %.6f, %.6f; want 0.25, 0.75", p0, p1)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestIsotonicPoolsViolators(t *testing.T) {
	p := []float64{0.1, 0.2, 0.3, 0.4, 0.5, 0.6}
	y := []int{0, 1, 0, 0, 1, 1}
	c := FitIsotonic(p, y)
	if !c.Valid() {
		t.Fatalf("calibration %+v not valid", c)
	}
	// PAV: [0] 0, then 1,0,0 pooled to 1/3, then 1, 1.
	want := map[float64]float64{0.1: 0, 0.3: 1.0 / 3, 0.55: 1}
	for raw, w := range want {
		if got := c.Apply(raw); !near(got, w, 1e-9) {
			t.Errorf("Apply(%v) = %v; want %v", raw, got, w)
		}
	}
	pl := FitPlatt([]float64{0.2, 0.2, 0.8, 0.8}, []int{0, 1, 1, 1})
	if got := pl.Apply(0.8); !near(got, 1, 1e-3) && got < pl.Apply(0.2) {
		t.Errorf("Platt is not increasing: %v", pl)
	}
}

// The compact form must vote like the library, normalised: P = V1/(V0+V1).
// Explanations must add up to the prediction. A forest of more than 255
// features takes the scoring layout's wide walk (feature indexes past a
// byte), the usual one the narrow walk.
func TestCompactMatchesLibraryAndExplains(t *testing.T) {
	for _, extra := range []int{0, 300} {
		t.Run(fmt.Sprintf("%d noise columns", extra), func(t *testing.T) {
			X, y, _ := synthetic(800, 3)
			rng := rand.New(rand.NewPCG(3, uint64(extra)))
			for i := range X {
				for range extra {
					X[i] = append(X[i], rng.Float64())
				}
			}
			lf := &randomforest.Forest{Data: randomforest.ForestData{X: X, Class: y}}
			lf.Train(40)
			c, err := NewCompact(lf)
			if err != nil {
				t.Fatal(err)
			}
			if wide := c.CodesLen() > narrowCodes; wide != (extra > 0) {
				t.Fatalf("%d features: CodesLen %d", c.Features, c.CodesLen())
			}
			compactMatchesLibrary(t, lf, c, X[:200])
		})
	}
}

func compactMatchesLibrary(t *testing.T, lf *randomforest.Forest, c *Compact, X [][]float64) {
	t.Helper()
	contrib := make([]float64, len(X[0]))
	for i, x := range X {
		v := lf.Vote(x)
		want := v[1] / (v[0] + v[1])
		got := c.Predict(x)
		if !near(got, want, 1e-12) {
			t.Fatalf("row %d: Compact.Predict = %v; library normalised vote = %v (raw %v)", i, got, want, v)
		}
		bias := c.Explain(x, contrib)
		sum := bias
		for _, v := range contrib {
			sum += v
		}
		if !near(sum, got, 1e-9) {
			t.Fatalf("row %d: bias + contributions = %v; Predict = %v", i, sum, got)
		}
	}
}

func TestTiersAreOrdered(t *testing.T) {
	_, _, truth := synthetic(5000, 4)
	rng := rand.New(rand.NewPCG(9, 9))
	y := make([]int, len(truth))
	for i, p := range truth {
		y[i] = b2i(rng.Float64() < p)
	}
	tests := []struct {
		name     string
		policy   TierPolicy
		maxHot   float64
		wantFail bool
	}{
		{"defaults", TierPolicy{}, 0.2, false},
		{"at most 10 % hot", TierPolicy{HotShare: 0.1, WarmShare: 0.3}, 0.1, false},
		{"bad shares", TierPolicy{HotShare: 0.6, WarmShare: 0.5}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hot, warm, err := tt.policy.Choose(y, truth)
			if tt.wantFail {
				if err == nil {
					t.Fatalf("Choose = %v, %v; want an error", hot, warm)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			st := TierStats(y, truth, hot, warm)
			if float64(st[0].Predicted) > tt.maxHot*float64(len(y))+1 {
				t.Errorf("%d hot of %d; want at most %.0f %%", st[0].Predicted, len(y), 100*tt.maxHot)
			}
			if !(st[0].Rate > st[1].Rate && st[1].Rate > st[2].Rate) {
				t.Errorf("conversion by tier %.3f, %.3f, %.3f; want decreasing", st[0].Rate, st[1].Rate, st[2].Rate)
			}
		})
	}
	noSignal := constant(len(y), 0.3)
	if _, _, err := (TierPolicy{}).Choose(y, noSignal); err == nil {
		t.Error("Choose on constant predictions succeeded; want ErrTiersNotOrdered")
	}
}
