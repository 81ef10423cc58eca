package learn

import (
	"errors"
	"math"
)

// Logistic is L2-regularised logistic regression, fitted by Newton's method
// on standardised inputs. Its objective is scikit-learn's:
// C·Σ log loss + ½‖w‖² (intercept not penalised); C = 1 when zero.
// Columns are standardised (mean 0, standard deviation 1) before fitting;
// the weights are stored for the standardised inputs.
type Logistic struct {
	C float64

	Mean, Scale []float64
	W           []float64 // weights for standardised inputs
	B           float64   // intercept
	// Offset, when set during Fit, is a fixed log-odds per training row
	// that the weights are fitted on top of (they then explain only what
	// it misses); Margin and Predict do not add it.
	Offset []float64 `json:"-"`
}

// Fit estimates the weights; it stops when the Newton step is below 1e-8
// or after 100 iterations.
func (m *Logistic) Fit(X [][]float64, y []int) error {
	if err := checkXY(X, y); err != nil {
		return err
	}
	c := m.C
	if c == 0 {
		c = 1
	}
	Z := m.standardize(X)
	p := len(X[0])
	d := p + 1
	w := make([]float64, d)
	H := make([]float64, d*d)
	grad := make([]float64, d)
	for range 100 {
		clear(H)
		for j := range grad {
			grad[j] = 0
			if j < p {
				grad[j] = w[j]
				H[j*d+j] = 1
			}
		}
		for i, z := range Z {
			var f float64
			if m.Offset != nil {
				f = m.Offset[i]
			}
			for j, v := range z {
				f += w[j] * v
			}
			pr := sigmoid(f)
			r := c * (pr - float64(y[i]))
			s := c * pr * (1 - pr)
			for j, v := range z {
				if v == 0 {
					continue
				}
				grad[j] += r * v
				sv := s * v
				row := H[j*d:]
				for k := 0; k <= j; k++ {
					row[k] += sv * z[k]
				}
			}
		}
		for j := range d {
			for k := 0; k < j; k++ {
				H[k*d+j] = H[j*d+k]
			}
		}
		step, err := cholSolve(H, grad, d)
		if err != nil {
			return err
		}
		var norm float64
		for j := range w {
			w[j] -= step[j]
			norm = math.Max(norm, math.Abs(step[j]))
		}
		if norm < 1e-8 {
			break
		}
	}
	m.W, m.B = w[:p], w[p]
	return nil
}

// standardize sets Mean and Scale from X and returns X's rows standardised
// with a trailing 1 for the intercept. Scaling first keeps the Newton steps
// well conditioned and makes one penalty C fair to every column; a constant
// column gets scale 1 so it divides by nothing.
func (m *Logistic) standardize(X [][]float64) [][]float64 {
	n, p := len(X), len(X[0])
	m.Mean, m.Scale = make([]float64, p), make([]float64, p)
	for _, x := range X {
		for j, v := range x {
			m.Mean[j] += v
		}
	}
	for j := range m.Mean {
		m.Mean[j] /= float64(n)
	}
	for _, x := range X {
		for j, v := range x {
			d := v - m.Mean[j]
			m.Scale[j] += d * d
		}
	}
	for j := range m.Scale {
		m.Scale[j] = math.Sqrt(m.Scale[j] / float64(n))
		if m.Scale[j] == 0 {
			m.Scale[j] = 1
		}
	}
	Z := make([][]float64, n)
	for i, x := range X {
		z := make([]float64, p+1)
		for j, v := range x {
			z[j] = (v - m.Mean[j]) / m.Scale[j]
		}
		z[p] = 1 // intercept
		Z[i] = z
	}
	return Z
}

// Predict returns P(1).
func (m *Logistic) Predict(x []float64) float64 { return sigmoid(m.Margin(x)) }

// Margin returns the log-odds of x: B + Σ W_j·(x_j − Mean_j)/Scale_j, a
// sum of one term per column (the intercept is the margin of the mean row).
func (m *Logistic) Margin(x []float64) float64 {
	f := m.B
	for j, v := range x {
		f += m.W[j] * (v - m.Mean[j]) / m.Scale[j]
	}
	return f
}

// Folded returns the weights and intercept of Margin on the raw columns,
// the standardisation folded in: Margin(x) = b + Σ w[j]·x[j] up to
// rounding, with no subtraction or division per column.
func (m *Logistic) Folded() (w []float64, b float64) {
	w = make([]float64, len(m.W))
	b = m.B
	for j := range m.W {
		w[j] = m.W[j] / m.Scale[j]
		b -= w[j] * m.Mean[j]
	}
	return w, b
}

// FoldedMargin is Margin with the weights Folded gives, summed in four
// independent chains (x is a lead's few dozen columns: one chain of adds
// would wait on each).
func FoldedMargin(w []float64, b float64, x []float64) float64 {
	x = x[:len(w)]
	var s [4]float64
	for len(w) >= 4 {
		w4, x4 := (*[4]float64)(w), (*[4]float64)(x)
		s[0] += w4[0] * x4[0]
		s[1] += w4[1] * x4[1]
		s[2] += w4[2] * x4[2]
		s[3] += w4[3] * x4[3]
		w, x = w[4:], x[4:]
	}
	for j, v := range w {
		s[0] += v * x[j]
	}
	return b + (s[0] + s[1]) + (s[2] + s[3])
}

// cholSolve solves A x = b for a symmetric positive definite d×d matrix A
// (row-major), adding a tiny ridge if rounding made it indefinite.
func cholSolve(A, b []float64, d int) ([]float64, error) {
	L := make([]float64, d*d)
	for ridge := 0.0; ; {
		ok := true
		for i := 0; i < d && ok; i++ {
			for j := 0; j <= i; j++ {
				s := A[i*d+j]
				if i == j {
					s += ridge
				}
				for k := 0; k < j; k++ {
					s -= L[i*d+k] * L[j*d+k]
				}
				if i == j {
					if s <= 0 {
						ok = false
						break
					}
					L[i*d+i] = math.Sqrt(s)
				} else {
					L[i*d+j] = s / L[j*d+j]
				}
			}
		}
		if ok {
			break
		}
		if ridge == 0 {
			ridge = 1e-10
		} else if ridge *= 10; ridge > 1 {
			return nil, errors.New("logistic: hessian not positive definite")
		}
	}
	x := make([]float64, d)
	for i := range d {
		s := b[i]
		for k := 0; k < i; k++ {
			s -= L[i*d+k] * x[k]
		}
		x[i] = s / L[i*d+i]
	}
	for i := d - 1; i >= 0; i-- {
		s := x[i]
		for k := i + 1; k < d; k++ {
			s -= L[k*d+i] * x[k]
		}
		x[i] = s / L[i*d+i]
	}
	return x, nil
}
