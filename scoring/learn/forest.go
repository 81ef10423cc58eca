package learn

import (
	"errors"
	"fmt"
	"math"

	randomforest "github.com/malaschitz/randomForest"
)

// Classifier is a binary model: Fit learns from rows X with labels y (0/1);
// Predict returns P(y = 1) for one row. After Fit, Predict is safe for
// concurrent use.
type Classifier interface {
	Fit(X [][]float64, y []int) error
	Predict(x []float64) float64
}

// ForestParams are the settings of the pinned library a forest is trained
// with. The zero value is the library's defaults with 300 trees.
type ForestParams struct {
	Trees int `json:"trees"` // 300 when zero
	// LeafSize: a node with at most this many (bootstrap) rows becomes a
	// leaf; 0 is the library's min(50, n/20).
	LeafSize int `json:"leaf_size,omitempty"`
	// MaxDepth counts the root as 1; 0 is the library's 10.
	MaxDepth int `json:"max_depth,omitempty"`
	// Features tried per split, as a multiple of √p (p = columns), at least
	// 1 and at most p; 0 is the library's int(√p).
	FeatureScale float64 `json:"feature_scale,omitempty"`
	// PositiveWeight is class weighting: each class-1 row is given to the
	// library this many times, so bootstraps draw it that much more often
	// and splits favour separating the positives. 0 or 1 is none. The
	// leaves' class-1 fractions are then converted back to unweighted ones
	// (see unweight), so votes keep the scale of an unweighted forest.
	PositiveWeight int `json:"positive_weight,omitempty"`
}

// features is the library's MFeatures for p columns.
func (fp ForestParams) features(p int) int {
	if fp.FeatureScale <= 0 {
		return max(int(math.Sqrt(float64(p))), 1)
	}
	return min(max(int(fp.FeatureScale*math.Sqrt(float64(p))+0.5), 1), p)
}

// String is the setting in words, for reports and logs.
func (fp ForestParams) String() string {
	leaf := "min(50, n/20)"
	if fp.LeafSize > 0 {
		leaf = fmt.Sprint(fp.LeafSize)
	}
	depth := fp.MaxDepth
	if depth == 0 {
		depth = 10
	}
	scale := fp.FeatureScale
	if scale <= 0 {
		scale = 1
	}
	w := max(fp.PositiveWeight, 1)
	return fmt.Sprintf("%d trees, leaf ≤ %s rows, depth ≤ %d, %.3g·√p features per split, positive weight %d",
		max(fp.Trees, 0), leaf, depth, scale, w)
}

// Forest is the production model: github.com/malaschitz/randomForest,
// trained with Params (the library's defaults when zero: MFeatures =
// int(sqrt(p)), leaf at ≤ min(50, n/20) rows, MaxDepth 10 counting the
// root). Extra selects the library's TrainX, which is not used by Models
// (see ExtraTrees for why). Training draws from the global math/rand, so
// two fits differ; the votes are normalised (see Compact).
type Forest struct {
	Trees  int // number of trees when Params.Trees is zero; 300 when both are
	Extra  bool
	Params ForestParams

	Model   *randomforest.Forest // the trained library forest, for saving
	Compact *Compact             // the same forest in its fast inference form
}

// Fit trains the forest.
func (f *Forest) Fit(X [][]float64, y []int) error {
	if err := checkXY(X, y); err != nil {
		return err
	}
	fp := f.Params
	n := fp.Trees
	if n <= 0 {
		n = f.Trees
	}
	if n <= 0 {
		n = 300
	}
	X, y = weighted(X, y, fp.PositiveWeight)
	lf := &randomforest.Forest{Data: randomforest.ForestData{X: X, Class: y},
		LeafSize: fp.LeafSize, MaxDepth: fp.MaxDepth, MFeatures: fp.features(len(X[0]))}
	if f.Extra {
		lf.TrainX(n)
	} else {
		lf.Train(n)
	}
	lf.Data = randomforest.ForestData{} // the training rows are not part of the model
	if w := fp.PositiveWeight; w > 1 {
		for i := range lf.Trees {
			unweight(&lf.Trees[i].Root, float64(w))
		}
	}
	f.Model = lf
	c, err := NewCompact(lf)
	if err != nil {
		return err
	}
	f.Compact = c
	return nil
}

// weighted repeats every class-1 row w times in all (w ≤ 1: unchanged).
func weighted(X [][]float64, y []int, w int) ([][]float64, []int) {
	if w <= 1 {
		return X, y
	}
	wx, wy := append([][]float64(nil), X...), append([]int(nil), y...)
	for i, v := range y {
		for range (w - 1) * v {
			wx, wy = append(wx, X[i]), append(wy, 1)
		}
	}
	return wx, wy
}

// unweight turns the class-1 fraction of every leaf under b, learned with
// each positive row counted w times, into the fraction without weights: a
// leaf with k positives and m negatives has f_w = w·k / (w·k + m), and
// k / (k + m) = f_w / (w − (w − 1)·f_w) exactly.
func unweight(b *randomforest.Branch, w float64) {
	if b == nil {
		return
	}
	if b.IsLeaf || b.Branch0 == nil || b.Branch1 == nil {
		if len(b.LeafValue) == 2 && b.LeafValue[0]+b.LeafValue[1] > 0 {
			fw := b.LeafValue[1]
			f := fw / (w - (w-1)*fw)
			b.LeafValue[0], b.LeafValue[1] = 1-f, f
		}
		return
	}
	unweight(b.Branch0, w)
	unweight(b.Branch1, w)
}

// Predict returns the normalised forest vote for class 1.
func (f *Forest) Predict(x []float64) float64 { return f.Compact.Predict(x) }

func checkXY(X [][]float64, y []int) error {
	if len(X) == 0 || len(X) != len(y) {
		return fmt.Errorf("training data: %d rows, %d labels", len(X), len(y))
	}
	var pos int
	for _, v := range y {
		if v != 0 && v != 1 {
			return fmt.Errorf("training data: label %d, want 0 or 1", v)
		}
		pos += v
	}
	if pos == 0 || pos == len(y) {
		return errors.New("training data: a single class")
	}
	return nil
}
