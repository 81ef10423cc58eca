package learn

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Importance is one input's permutation importance: how much the held-out
// ROC AUC drops when that input's values are shuffled among the held-out
// rows (the model and encoder stay as fitted on the training rows). Unlike
// split counts it measures what the model loses without the input, on rows
// it did not see.
type Importance struct {
	Input string  `json:"input"`
	Drop  float64 `json:"auc_drop"` // mean over folds
	Std   float64 `json:"std"`      // over folds (ddof 0)
}

// foldImportance returns, per input of e, the drop in ROC AUC of m on the
// test rows when the input's raw values are permuted among them.
func foldImportance(d *Dataset, e *Encoder, m Classifier, test []int, base float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x1a7)) // #nosec G404 -- seeded: the same seed gives the same permutations
	y := pickInts(d.Y, test)
	raw := make([][]string, len(test)) // raw[r][k]
	for r, i := range test {
		raw[r] = make([]string, len(e.Inputs))
		for k := range e.Inputs {
			v := d.Table.Cols[d.Index[k]][i]
			if d.IsMissing(v) {
				v = ""
			}
			raw[r][k] = v
		}
	}
	perm := make([]int, len(test))
	x := make([]float64, e.Width)
	row := make([]string, len(e.Inputs))
	p := make([]float64, len(test))
	out := make([]float64, len(e.Inputs))
	for k := range e.Inputs {
		for r := range perm {
			perm[r] = r
		}
		rng.Shuffle(len(perm), func(a, b int) { perm[a], perm[b] = perm[b], perm[a] })
		for r := range test {
			copy(row, raw[r])
			row[k] = raw[perm[r]][k]
			e.Encode(row, x)
			p[r] = m.Predict(x)
		}
		out[k] = base - ROCAUC(y, p)
	}
	return out
}

// importanceOf averages per-fold drops into Importance rows, largest first.
func importanceOf(inputs []Column, folds [][]float64) []Importance {
	out := make([]Importance, len(inputs))
	n := float64(len(folds))
	for k, c := range inputs {
		var mean, ss float64
		for _, f := range folds {
			mean += f[k] / n
		}
		for _, f := range folds {
			ss += (f[k] - mean) * (f[k] - mean) / n
		}
		out[k] = Importance{Input: c.Name, Drop: mean, Std: math.Sqrt(ss)}
	}
	slices.SortStableFunc(out, func(a, b Importance) int {
		switch {
		case a.Drop > b.Drop:
			return -1
		case a.Drop < b.Drop:
			return 1
		}
		return 0
	})
	return out
}

// Wilson returns the Wilson score interval of k successes in n trials at
// 95 % confidence: unlike p ± 1.96·se it stays inside [0, 1] and is wide
// for small n, so a town with five leads shows how little is known.
func Wilson(k, n int) (lo, hi float64) {
	if n == 0 {
		return 0, 1
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	den := 1 + z*z/nf
	mid := (p + z*z/(2*nf)) / den
	half := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return math.Max(0, mid-half), math.Min(1, mid+half)
}
