package learn

import (
	"errors"
	"fmt"

	randomforest "github.com/malaschitz/randomForest"
)

// Classifier is a binary model: Fit learns from rows X with labels y (0/1);
// Predict returns P(y = 1) for one row. After Fit, Predict is safe for
// concurrent use.
type Classifier interface {
	Fit(X [][]float64, y []int) error
	Predict(x []float64) float64
}

// Forest is the production model: github.com/malaschitz/randomForest with
// its defaults (MFeatures = int(sqrt(p)), leaf at ≤ min(50, n/20) rows,
// MaxDepth 10 counting the root). Extra selects the library's TrainX, which
// is not used by Models (see ExtraTrees for why). Training draws from the global math/rand, so
// two fits differ; the votes are normalised (see Compact).
type Forest struct {
	Trees int  // number of trees; 300 when zero
	Extra bool // extremely randomised trees (the library's TrainX)

	Model   *randomforest.Forest // the trained library forest, for saving
	Compact *Compact             // the same forest in its fast inference form
}

// Fit trains the forest.
func (f *Forest) Fit(X [][]float64, y []int) error {
	if err := checkXY(X, y); err != nil {
		return err
	}
	n := f.Trees
	if n <= 0 {
		n = 300
	}
	lf := &randomforest.Forest{Data: randomforest.ForestData{X: X, Class: y}}
	if f.Extra {
		lf.TrainX(n)
	} else {
		lf.Train(n)
	}
	lf.Data = randomforest.ForestData{} // the training rows are not part of the model
	f.Model = lf
	c, err := NewCompact(lf)
	if err != nil {
		return err
	}
	f.Compact = c
	return nil
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
