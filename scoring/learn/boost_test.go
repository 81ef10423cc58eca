package learn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// xor2 draws rows whose label depends only on whether x0 and x1 have
// different signs: P(1) is 0.85 then, else 0.15 (Bayes AUC 0.85). Neither
// input alone says anything, so stumps (depth 1) cannot learn it; x2–x4
// are noise.
func xor2(n int, seed uint64) ([][]float64, []int) {
	rng := rand.New(rand.NewPCG(seed, 3))
	X := make([][]float64, n)
	y := make([]int, n)
	for i := range X {
		x := make([]float64, 5)
		odd := false
		for j := range x {
			x[j] = rng.NormFloat64()
			if j < 2 && x[j] > 0 {
				odd = !odd
			}
		}
		X[i] = x
		if p := map[bool]float64{true: 0.85, false: 0.15}[odd]; rng.Float64() < p {
			y[i] = 1
		}
	}
	return X, y
}

func TestBoostingWithoutEarlyStoppingFitsOneModel(t *testing.T) {
	X, y, _ := synthetic(3000, 1)
	m := &GradientBoosting{Bags: 10, Depths: []int{4, 5, 6}}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if len(m.Members) != 1 || m.Depth != 5 || m.OOBLoss != nil {
		t.Errorf("3,000 rows: %d members, depth %d, out-of-bag %v; want 1 member at the default depth 5, no out-of-bag loss",
			len(m.Members), m.Depth, m.OOBLoss)
	}
	if n := len(m.Members[0].Trees); n != 100 {
		t.Errorf("%d trees; want all 100 rounds without early stopping", n)
	}
}

// With early stopping every member holds out a different tenth; the bag
// averages their probabilities, so (log loss being convex) it is never
// worse on fresh rows than the members' mean.
func TestBoostingBagAveragesMembersHoldingOutDifferentTenths(t *testing.T) {
	X, y := xor2(10500, 1)
	Xt, yt := xor2(3000, 2)
	m := &GradientBoosting{Bags: 3, MaxDepth: 3, Seed: 7}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if len(m.Members) != 3 || len(m.OOBLoss) != 1 || m.Depth != 3 {
		t.Fatalf("%d members, out-of-bag %v, depth %d; want 3 members, one out-of-bag loss, depth 3", len(m.Members), m.OOBLoss, m.Depth)
	}
	bag := make([]float64, len(yt))
	var memberLoss float64
	differ := false
	for k, b := range m.Members {
		p := make([]float64, len(yt))
		for i, x := range Xt {
			p[i] = b.Predict(x)
			bag[i] += p[i] / 3
			if k > 0 && p[i] != m.Members[0].Predict(x) {
				differ = true
			}
		}
		memberLoss += LogLoss(yt, p) / 3
	}
	if !differ {
		t.Error("all members predict alike; want each fitted on different rows")
	}
	for i, x := range Xt {
		if got := m.Predict(x); !near(got, bag[i], 1e-12) {
			t.Fatalf("Predict(row %d) = %v; want the members' mean %v", i, got, bag[i])
		}
	}
	if ll := LogLoss(yt, bag); ll > memberLoss+1e-12 {
		t.Errorf("bag log loss %.5f; want ≤ the members' mean %.5f", ll, memberLoss)
	}
	auc := ROCAUC(yt, bag)
	t.Logf("bag: AUC %.3f, log loss %.4f; members' mean log loss %.4f", auc, LogLoss(yt, bag), memberLoss)
	if auc < 0.75 {
		t.Errorf("bag AUC %.3f on fresh rows; want ≥ 0.75 (Bayes ≈ 0.85)", auc)
	}
}

// Nested tuning: the depth is chosen by the bags' out-of-bag loss on the
// training rows. Stumps cannot see an interaction, so depth 3
// must win, and the kept members must be the depth-3 bag.
func TestBoostingChoosesDepthByOutOfBagLoss(t *testing.T) {
	X, y := xor2(10500, 3)
	Xt, yt := xor2(3000, 4)
	m := &GradientBoosting{Bags: 2, Depths: []int{1, 3}, Seed: 1}
	if err := m.Fit(X, y); err != nil {
		t.Fatal(err)
	}
	if len(m.OOBLoss) != 2 || m.Depth != 3 || !(m.OOBLoss[1] < m.OOBLoss[0]) {
		t.Fatalf("depth %d with out-of-bag losses %v for depths 1, 3; want depth 3 with the lower loss", m.Depth, m.OOBLoss)
	}
	if math.Abs(m.OOBLoss[0]-math.Ln2) > 0.01 {
		t.Errorf("stumps' out-of-bag loss %.4f; want ≈ ln 2 = %.4f (they cannot see the interaction)", m.OOBLoss[0], math.Ln2)
	}
	p := make([]float64, len(yt))
	for i, x := range Xt {
		p[i] = m.Predict(x)
	}
	auc := ROCAUC(yt, p)
	t.Logf("depth %d, out-of-bag %v, AUC %.3f", m.Depth, m.OOBLoss, auc)
	if auc < 0.75 {
		t.Errorf("AUC %.3f on fresh rows; want ≥ 0.75 from the depth-3 bag", auc)
	}
}

// Histogram subtraction must grow the same tree as summing every node's
// histogram from its rows. With 0/1 gradients and unit hessians (a CART
// tree) all sums are exact, so the trees must be identical node for node;
// with boosting's real-valued gradients they may differ only by rounding,
// so their predictions must agree closely.
func TestHistogramSubtractionGrowsTheSameTree(t *testing.T) {
	X, y, _ := synthetic(4000, 5)
	b := newBinner(X)
	bins := b.bin(X)
	rows := seq(len(y))
	exact := make([]float64, len(y))
	real := make([]float64, len(y))
	ones := make([]float64, len(y))
	hess := make([]float64, len(y))
	for i, v := range y {
		exact[i], ones[i] = -float64(v), 1
		q := 0.3 + 0.4*float64(i%7)/7 // a boosting round's P(1), not constant
		real[i], hess[i] = q-float64(v), q*(1-q)
	}
	tests := []struct {
		name string
		g, h []float64
		p    treeParams
		tol  float64
	}{
		{"CART, deep, small leaves", exact, ones, treeParams{MaxDepth: 8, MinLeaf: 5}, 0},
		{"CART, leaves of 200 rows", exact, ones, treeParams{MaxDepth: 6, MinLeaf: 200}, 0},
		{"boosting round", real, hess, treeParams{MaxDepth: 6, MinLeaf: 20, Lambda: 1e-3}, 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sub := newTreeBuilder(bins, b.Thr, tt.g, tt.h, tt.p, len(rows)).build(rows)
			d := newTreeBuilder(bins, b.Thr, tt.g, tt.h, tt.p, len(rows))
			d.direct = true
			direct := d.build(rows)
			if len(sub) < 15 {
				t.Fatalf("only %d nodes; want a tree deep enough to exercise subtraction", len(sub))
			}
			if tt.tol == 0 {
				if !slices.Equal(sub, direct) {
					t.Fatalf("trees differ: %d nodes with subtraction, %d summed directly", len(sub), len(direct))
				}
				return
			}
			for i, x := range X {
				if a, c := walk(sub, x), walk(direct, x); math.Abs(a-c) > tt.tol {
					t.Fatalf("row %d: %v with subtraction, %v summed directly", i, a, c)
				}
			}
		})
	}
}
