package learn

import (
	"fmt"
	"slices"
)

// FitFunc fits an encoder on the training rows of d, as Compare does inside
// each fold (FitEncoderMin).
type FitFunc func(d *Dataset, train []int) *Encoder

// CheckNoLeak proves that fit learns nothing from the held-out rows'
// labels: for every fold it fits the encoder twice, once with the true
// labels and once with the held-out fold's labels flipped, and requires the
// held-out rows' vectors to be identical. A feature computed with the
// held-out labels (a target rate fitted on all rows) changes and is named
// in the error.
func CheckNoLeak(d *Dataset, folds [][]int, fit FitFunc) error {
	for f, test := range folds {
		train := Complement(len(d.Y), test)
		flipped := *d
		flipped.Y = slices.Clone(d.Y)
		for _, i := range test {
			flipped.Y[i] = 1 - flipped.Y[i]
		}
		a := fit(d, train)
		b := fit(&flipped, train)
		if a.Width != b.Width {
			return fmt.Errorf("fold %d: the encoder's width changes with the held-out labels (%d vs %d columns)", f+1, a.Width, b.Width)
		}
		xa, xb := a.Transform(d, test), b.Transform(&flipped, test)
		for r := range xa {
			for j := range xa[r] {
				if xa[r][j] != xb[r][j] {
					return fmt.Errorf("fold %d: column %q of held-out row %d depends on the held-out labels (%g vs %g): target leakage",
						f+1, a.Names[j], test[r], xa[r][j], xb[r][j])
				}
			}
		}
	}
	return nil
}
