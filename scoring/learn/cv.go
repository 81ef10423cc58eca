package learn

import (
	"math/rand/v2"
	"sort"
)

// StratifiedFolds splits the row indexes of y into k folds that each keep
// the class balance of y (like scikit-learn's StratifiedKFold with
// shuffle): each class is shuffled with the seed and dealt round-robin.
// The same y, k and seed always give the same folds. Each returned slice
// is the test part of one fold, in increasing row order.
func StratifiedFolds(y []int, k int, seed uint64) [][]int {
	rng := rand.New(rand.NewPCG(seed, 0x5eed)) // #nosec G404 -- seeded: the same seed gives the same folds
	byClass := map[int][]int{}
	var classes []int
	for i, v := range y {
		if _, ok := byClass[v]; !ok {
			classes = append(classes, v)
		}
		byClass[v] = append(byClass[v], i)
	}
	sort.Ints(classes)
	inFold := make([]int, len(y))
	next := 0
	for _, c := range classes {
		rows := byClass[c]
		rng.Shuffle(len(rows), func(a, b int) { rows[a], rows[b] = rows[b], rows[a] })
		for _, r := range rows {
			inFold[r] = next % k
			next++
		}
	}
	folds := make([][]int, k)
	for i, f := range inFold {
		folds[f] = append(folds[f], i)
	}
	return folds
}

// Complement returns the indexes in [0, n) that are not in test (sorted).
func Complement(n int, test []int) []int {
	in := make([]bool, n)
	for _, i := range test {
		in[i] = true
	}
	out := make([]int, 0, n-len(test))
	for i := range n {
		if !in[i] {
			out = append(out, i)
		}
	}
	return out
}

// TimeSplit returns a time-ordered hold-out: order lists the rows from
// oldest to newest; the newest share (e.g. 0.2) is the test part.
func TimeSplit(order []int, share float64) (train, test []int) {
	cut := len(order) - int(float64(len(order))*share+0.5)
	return append([]int(nil), order[:cut]...), append([]int(nil), order[cut:]...)
}
