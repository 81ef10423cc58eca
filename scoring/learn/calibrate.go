package learn

import (
	"math"
	"sort"
)

// Calibration maps a model's raw P(1) to a calibrated one. Method is
// "isotonic" (a monotone step function, pool-adjacent-violators, linear
// between steps) or "platt" (a logistic curve on the logit of the raw
// score); the zero value is the identity.
type Calibration struct {
	Method string    `json:"method"`
	X      []float64 `json:"x,omitempty"` // isotonic: raw scores, increasing
	Y      []float64 `json:"y,omitempty"` // isotonic: calibrated values, non-decreasing
	A      float64   `json:"a,omitempty"` // platt: p = sigmoid(A·logit(raw) + B)
	B      float64   `json:"b,omitempty"`
}

// Apply calibrates raw.
func (c Calibration) Apply(raw float64) float64 {
	switch c.Method {
	case "isotonic":
		n := len(c.X)
		if n == 0 {
			return raw
		}
		if raw <= c.X[0] {
			return c.Y[0]
		}
		if raw >= c.X[n-1] {
			return c.Y[n-1]
		}
		k := sort.SearchFloat64s(c.X, raw) // c.X[k-1] < raw <= c.X[k]
		x0, x1, y0, y1 := c.X[k-1], c.X[k], c.Y[k-1], c.Y[k]
		return y0 + (y1-y0)*(raw-x0)/(x1-x0)
	case "platt":
		return sigmoid(c.A*logit(raw) + c.B)
	}
	return raw
}

// Margin is the calibrated log-odds of raw for Platt, A·logit(raw) + B,
// and the log-odds of Apply(raw) for the other methods.
func (c Calibration) Margin(raw float64) float64 {
	if c.Method == "platt" {
		return c.A*logit(raw) + c.B
	}
	return logit(c.Apply(raw))
}

// Sigmoid is the logistic function, the inverse of a margin.
func Sigmoid(z float64) float64 { return sigmoid(z) }

// Valid reports whether the calibration can be applied safely.
func (c Calibration) Valid() bool {
	switch c.Method {
	case "", "identity":
		return true
	case "platt":
		return !math.IsNaN(c.A) && !math.IsNaN(c.B) && c.A > 0
	case "isotonic":
		if len(c.X) == 0 || len(c.X) != len(c.Y) {
			return false
		}
		for i := range c.X {
			if c.Y[i] < 0 || c.Y[i] > 1 || (i > 0 && (c.X[i] <= c.X[i-1] || c.Y[i] < c.Y[i-1])) {
				return false
			}
		}
		return true
	}
	return false
}

// FitIsotonic fits an isotonic (non-decreasing) map from raw scores p to
// labels y by pool-adjacent-violators; tied scores are pooled first.
func FitIsotonic(p []float64, y []int) Calibration {
	idx := order(p)
	type block struct{ x, sum, w float64 }
	var bs []block
	for k := 0; k < len(idx); {
		j := k
		var s float64
		for j < len(idx) && p[idx[j]] == p[idx[k]] {
			s += float64(y[idx[j]])
			j++
		}
		bs = append(bs, block{x: p[idx[k]], sum: s, w: float64(j - k)})
		k = j
		for len(bs) > 1 && bs[len(bs)-2].sum/bs[len(bs)-2].w >= bs[len(bs)-1].sum/bs[len(bs)-1].w {
			a, b := bs[len(bs)-2], bs[len(bs)-1]
			// The pooled block spans both; keep the weighted mean score as its x.
			bs = append(bs[:len(bs)-2], block{x: (a.x*a.w + b.x*b.w) / (a.w + b.w), sum: a.sum + b.sum, w: a.w + b.w})
		}
	}
	c := Calibration{Method: "isotonic"}
	for _, b := range bs {
		if len(c.X) > 0 && b.x <= c.X[len(c.X)-1] {
			continue
		}
		c.X = append(c.X, b.x)
		c.Y = append(c.Y, b.sum/b.w)
	}
	return c
}

// FitPlatt fits p' = sigmoid(A·logit(p) + B) by Newton's method on log loss.
func FitPlatt(p []float64, y []int) Calibration {
	a, b := 1.0, 0.0
	for range 50 {
		var ga, gb, haa, hab, hbb float64
		for i, raw := range p {
			z := logit(raw)
			q := sigmoid(a*z + b)
			r := q - float64(y[i])
			s := math.Max(q*(1-q), 1e-12)
			ga += r * z
			gb += r
			haa += s * z * z
			hab += s * z
			hbb += s
		}
		haa += 1e-9
		hbb += 1e-9
		det := haa*hbb - hab*hab
		if det <= 0 {
			break
		}
		da := (hbb*ga - hab*gb) / det
		db := (haa*gb - hab*ga) / det
		a -= da
		b -= db
		if math.Abs(da)+math.Abs(db) < 1e-10 {
			break
		}
	}
	return Calibration{Method: "platt", A: a, B: b}
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}
