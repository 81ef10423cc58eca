package learn

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
)

// ExtraTrees is the extremely randomised variant of the forest (Geurts,
// Ernst and Wehenkel, 2006): at each node, for features drawn at random
// until MFeatures non-constant ones were tried, one threshold is drawn
// uniformly between the feature's minimum and maximum in the node, and the
// best of those splits by Gini is kept. No bootstrap. Limits follow the
// production forest's defaults so the two compare fairly: MFeatures =
// int(sqrt(p)), a node with ≤ min(50, n/20) rows is a leaf, depth ≤ 10
// counting the root as 1.
//
// Written here rather than taken from the pinned library's TrainX: at
// commit 7c30b8b21d88 TrainX ignores MaxDepth, and when every sampled
// column is constant in a node it "splits" on column 0 at 0, which can send
// every row to the same child; a node of identical rows with mixed labels
// then recurses without end (on Bank Marketing it exhausted memory). Trees
// here draw from their own seeded source, so a fit is reproducible.
type ExtraTrees struct {
	Trees int // 300 when zero
	Seed  uint64

	Compact *Compact
}

// Fit grows the trees, in parallel on all cores.
func (m *ExtraTrees) Fit(X [][]float64, y []int) error {
	if err := checkXY(X, y); err != nil {
		return err
	}
	n := m.Trees
	if n <= 0 {
		n = 300
	}
	p := len(X[0])
	mf := max(int(math.Sqrt(float64(p))), 1)
	leaf := min(max(len(X)/20, 1), 50)
	cols := make([][]float64, p)
	for j := range cols {
		cols[j] = make([]float64, len(X))
		for i, x := range X {
			cols[j][i] = x[j]
		}
	}
	trees := make([][]Node, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for t := range next {
				rng := rand.New(rand.NewPCG(m.Seed, uint64(t)+1)) // #nosec G404 G115 -- seeded for reproducible models; t >= 0
				trees[t] = extraTree(cols, y, rng, mf, leaf, 10)
			}
		})
	}
	for t := range n {
		next <- t
	}
	close(next)
	wg.Wait()
	c := &Compact{Features: p}
	for _, nodes := range trees {
		base := int32(len(c.Nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
		c.Roots = append(c.Roots, base)
		for _, nd := range nodes {
			if nd.Left >= 0 {
				nd.Left += base
				nd.Right += base
			}
			c.Nodes = append(c.Nodes, nd)
		}
	}
	if err := c.build(); err != nil {
		return fmt.Errorf("extra trees: %w", err)
	}
	m.Compact = c
	return nil
}

// Predict returns the mean class-1 share of x's leaves.
func (m *ExtraTrees) Predict(x []float64) float64 { return m.Compact.Predict(x) }

// extraTree grows one tree on the columns of X (cols[j][i] is row i's
// value of feature j: a node reads one feature of many rows, so columns
// keep those reads contiguous).
func extraTree(cols [][]float64, y []int, rng *rand.Rand, mf, leaf, maxDepth int) []Node {
	var nodes []Node
	rows := seq(len(y))
	p := len(cols)
	var grow func(rows []int, depth int) int32
	grow = func(rows []int, depth int) int32 {
		var pos int
		for _, i := range rows {
			pos += y[i]
		}
		n := len(rows)
		at := int32(len(nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
		nodes = append(nodes, Node{Feature: -1, Left: -1, Right: -1, Value: float64(pos) / float64(n)})
		if n <= leaf || pos == 0 || pos == n || depth >= maxDepth {
			return at
		}
		best, bestF, bestT := math.Inf(1), -1, 0.0
		tried := 0
		for _, j := range rng.Perm(p) {
			if tried == mf {
				break
			}
			col := cols[j]
			lo, hi := col[rows[0]], col[rows[0]]
			for _, i := range rows[1:] {
				// Comparisons, not math.Min and math.Max: the same result on
				// the encoder's values (never NaN), several times faster.
				if v := col[i]; v < lo {
					lo = v
				} else if v > hi {
					hi = v
				}
			}
			if lo == hi {
				continue
			}
			tried++
			thr := lo + rng.Float64()*(hi-lo)
			var nl, pl int
			for _, i := range rows {
				if col[i] <= thr {
					nl++
					pl += y[i]
				}
			}
			nr, pr := n-nl, pos-pl
			if nl == 0 || nr == 0 {
				continue
			}
			g := float64(nl)*giniOf(pl, nl) + float64(nr)*giniOf(pr, nr)
			if g < best {
				best, bestF, bestT = g, j, thr
			}
		}
		if bestF < 0 {
			return at
		}
		k := 0 // partition: rows[:k] go left
		for r, i := range rows {
			if cols[bestF][i] <= bestT {
				rows[k], rows[r] = rows[r], rows[k]
				k++
			}
		}
		l := grow(rows[:k], depth+1)
		r := grow(rows[k:], depth+1)
		nodes[at].Feature, nodes[at].Threshold, nodes[at].Left, nodes[at].Right = int32(bestF), bestT, l, r
		return at
	}
	grow(rows, 1)
	return nodes
}

func giniOf(pos, n int) float64 {
	q := float64(pos) / float64(n)
	return 2 * q * (1 - q)
}
