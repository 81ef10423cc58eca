package learn

import (
	"errors"
	"fmt"
	"math"
)

// Blend is the forest-first blend: the production forest's vote v,
// calibrated on the out-of-fold margins of two partner models, boosting
// (a single booster, GradientBoosting.Single) and logistic regression:
//
//	P(1) = sigmoid(A·f + B + BoostW·boost(x) + LinearW·linear(x))
//
// f is the forest's margin: the logit of its vote, through the forest's own
// calibration when it has one (TunedForest.Margin, so that forests tuned to
// different settings in different folds speak one scale); in a bundle that
// calibration is folded into A and B, and f is logit(v). A, B, BoostW and
// LinearW are a logistic regression on the three out-of-fold scores
// (FitBlend): Platt's calibration of the forest with two more inputs. The
// forest always keeps a positive weight. Every part is a sum
// over inputs (paths through trees, or one term per column), so a score
// still splits exactly into a base and one contribution per input (see
// scoring.Model.Explain).
type Blend struct {
	Cal     Calibration `json:"calibration"` // Method "platt": A on logit(v), B the intercept
	BoostW  float64     `json:"boost_weight"`
	LinearW float64     `json:"linear_weight"`
	Boost   *Booster    `json:"boost,omitempty"`  // set by the caller that fits the partners
	Linear  *Logistic   `json:"linear,omitempty"` // likewise
}

// Partner models of the blend, as named in a comparison.
const (
	BoostPartner  = "gradient_boosting"
	LinearPartner = "logistic"
)

// BlendModel is the name of the forest-first blend's row.
const BlendModel = ProductionModel + "+blend"

// FitBlend learns the blend's weights from the forest's out-of-fold
// margins and the partners' out-of-fold margins (boost, linear; either may be
// nil when that partner was not compared) for labels y: a logistic
// regression on the three. Where the forest adds nothing the others do not
// already give (its weight comes out ≤ 0), the forest keeps its own Platt
// calibration and the partners' weights are fitted on top of it, so the
// forest always takes part with a positive weight.
func FitBlend(forest, boost, linear []float64, y []int) (Blend, error) {
	w, b, err := fitWeights([][]float64{boost, linear, forest}, y, nil)
	if err == nil && w[2] > 0 {
		return Blend{Cal: Calibration{Method: "platt", A: w[2], B: b}, BoostW: w[0], LinearW: w[1]}, nil
	}
	p := make([]float64, len(forest))
	for i, f := range forest {
		p[i] = sigmoid(f)
	}
	cal := FitPlatt(p, y)
	offset := make([]float64, len(forest))
	for i := range p {
		offset[i] = cal.Margin(p[i])
	}
	w, b, err = fitWeights([][]float64{boost, linear}, y, offset)
	if err != nil {
		return Blend{}, err
	}
	return Blend{Cal: Calibration{Method: "platt", A: cal.A, B: cal.B + b}, BoostW: w[0], LinearW: w[1]}, nil
}

// Compose returns the blend for forest margins f = cal.Margin(vote): A·f
// + B becomes A'·logit(vote) + B', so the blend reads the vote itself.
func (b Blend) Compose(cal Calibration) Blend {
	if cal.Method == "platt" {
		b.Cal.A, b.Cal.B = b.Cal.A*cal.A, b.Cal.A*cal.B+b.Cal.B
	}
	return b
}

// fitWeights fits log-odds = b + Σ w[k]·cols[k] (+ offset when not nil)
// on labels y and returns one weight per column (0 for a nil column) and
// the intercept.
func fitWeights(cols [][]float64, y []int, offset []float64) ([]float64, float64, error) {
	X := make([][]float64, len(y))
	for i := range X {
		for _, c := range cols {
			if c != nil {
				X[i] = append(X[i], c[i])
			}
		}
	}
	// A few inputs and thousands of rows: the penalty only keeps Newton's
	// method stable when two scores are almost the same.
	m := &Logistic{C: 1e4, Offset: offset}
	if err := m.Fit(X, y); err != nil {
		return nil, 0, fmt.Errorf("blend: %w", err)
	}
	w := make([]float64, len(cols))
	b := m.B
	j := 0
	for k, c := range cols {
		if c == nil {
			continue
		}
		w[k] = m.W[j] / m.Scale[j]
		b -= w[k] * m.Mean[j]
		j++
	}
	if math.IsNaN(b) {
		return nil, 0, errors.New("blend: weights not a number")
	}
	return w, b, nil
}

// Margin returns the blend's log-odds from the forest's margin f and the
// partners' margins.
func (b Blend) Margin(f, boost, linear float64) float64 {
	return b.Cal.A*f + b.Cal.B + b.BoostW*boost + b.LinearW*linear
}

// Predict returns the blend's P(1) for x with the forest's vote v (a
// composed blend: see Compose), from the partners the blend holds.
func (b Blend) Predict(v float64, x []float64) float64 {
	var boost, linear float64
	if b.Boost != nil {
		boost = b.Boost.Margin(x)
	}
	if b.Linear != nil {
		linear = b.Linear.Margin(x)
	}
	return sigmoid(b.Margin(logit(v), boost, linear))
}
