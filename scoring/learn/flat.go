package learn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// flat is the scoring layout of a Compact forest: every tree's nodes in one
// contiguous array of 8-byte nodes, in depth-first pre-order (a left child
// follows its parent), so a walk mostly stays inside a cache line or the
// next.
//
// Thresholds are replaced by small integers. For each feature the distinct
// thresholds the trees split it at are sorted (cuts); a row's code for the
// feature is how many of them lie below its value, so "x > cuts[k]" is
// exactly "code > k". Encoding a row costs one search per feature, done
// once per row however many trees read it (Codes).
//
// A leaf points to itself and reads the always-1 code slot after the last
// feature, so once a walk reaches a leaf further steps stay there: a group
// of trees is walked for a fixed number of steps (the deepest of them)
// without asking at each step whether it has arrived.
//
// Two sets of trees share the layout and the codes: the forest (votes
// averaged) and an optional booster (margins summed; the forest-first
// blend's partner, see Blend).
type flat struct {
	cuts     [][]float64 // per feature, increasing
	fnodes   []fnode     // all trees, pre-order
	vals     []float64   // per node: the forest's class-1 fraction, or the booster's margin
	empty    []bool      // per node: a leaf no training row reached (casts no vote)
	hasEmpty bool        // any empty leaf at all
	forest   treeSet
	corr     treeSet
	leafFeat uint16 // the feature index leaves carry: Features, the always-1 slot
}

// treeSet is the roots of some trees, deepest first so that interleaved
// walks end together, and how many steps each needs to reach any leaf.
type treeSet struct {
	order []int32
	depth []uint8
}

// fnode is one node of the scoring layout. Internal: go to right when
// codes[feat] > cut, else to the next node. Leaf: feat is the always-1
// slot, cut 0 and right the leaf itself.
type fnode struct {
	feat  uint16
	cut   uint16
	right int32
}

// maxCodes bounds the distinct thresholds per feature (codes are uint16).
const maxCodes = math.MaxUint16

// group is how many trees are walked side by side.
const group = 16

// build lays out c.Nodes for scoring.
func (c *Compact) build() error {
	if c.Features <= 0 || c.Features >= math.MaxUint16 {
		return fmt.Errorf("%d features; the scoring layout takes 1 to %d", c.Features, math.MaxUint16-1)
	}
	f := flat{cuts: make([][]float64, c.Features), leafFeat: uint16(c.Features)} // #nosec G115 -- checked above
	for _, n := range c.Nodes {
		if n.Left >= 0 {
			f.cuts[n.Feature] = append(f.cuts[n.Feature], n.Threshold)
		}
	}
	for j, cs := range f.cuts {
		slices.Sort(cs)
		f.cuts[j] = slices.Compact(cs)
		if len(f.cuts[j]) >= maxCodes {
			return fmt.Errorf("feature %d has %d distinct thresholds; the scoring layout takes %d", j, len(f.cuts[j]), maxCodes-1)
		}
	}
	f.fnodes = make([]fnode, len(c.Nodes))
	f.vals = make([]float64, len(c.Nodes))
	f.empty = make([]bool, len(c.Nodes))
	for i, n := range c.Nodes {
		f.vals[i] = n.Value
		if n.Left < 0 {
			f.fnodes[i] = fnode{feat: f.leafFeat, right: int32(i)} // #nosec G115 -- len(Nodes) < 2^31
			f.empty[i] = n.Empty
			f.hasEmpty = f.hasEmpty || n.Empty
			continue
		}
		if n.Left != int32(i)+1 { // #nosec G115 -- len(Nodes) < 2^31
			return errors.New("nodes not in pre-order")
		}
		k := sort.SearchFloat64s(f.cuts[n.Feature], n.Threshold)
		f.fnodes[i] = fnode{feat: uint16(n.Feature), cut: uint16(k), right: n.Right} // #nosec G115 -- bounds checked above
	}
	var err error
	if f.forest, err = c.treeSet(c.Roots); err != nil {
		return err
	}
	if f.corr, err = c.treeSet(c.CorrectionRoots); err != nil {
		return err
	}
	c.flat = f
	return nil
}

// treeSet orders roots deepest first.
func (c *Compact) treeSet(roots []int32) (treeSet, error) {
	depths := make([]int, len(roots))
	for t, r := range roots {
		depths[t] = c.depthOf(r)
		if depths[t] > math.MaxUint8 {
			return treeSet{}, fmt.Errorf("tree %d is %d levels deep; the scoring layout takes %d", t, depths[t], math.MaxUint8)
		}
	}
	idx := seq(len(roots))
	sort.SliceStable(idx, func(a, b int) bool { return depths[idx[a]] > depths[idx[b]] })
	var s treeSet
	for _, t := range idx {
		s.order = append(s.order, roots[t])
		s.depth = append(s.depth, uint8(depths[t])) // #nosec G115 -- checked above
	}
	return s, nil
}

// depthOf returns the number of edges from node i to its deepest leaf.
func (c *Compact) depthOf(i int32) int {
	n := c.Nodes[i]
	if n.Left < 0 {
		return 0
	}
	return 1 + max(c.depthOf(n.Left), c.depthOf(n.Right))
}

// CodesLen is the length of the codes slice Codes fills: one per feature
// plus the slot leaves read.
func (c *Compact) CodesLen() int { return c.Features + 1 }

// Codes encodes row x (Features values) for PredictCodes and ExplainCodes;
// codes must have CodesLen entries. A NaN goes left at every split, as in
// the library.
func (c *Compact) Codes(x []float64, codes []uint16) {
	codes = codes[:c.Features+1]
	for j, cs := range c.cuts {
		v := x[j]
		// The number of cuts below v: a short scan for the usual one-hot
		// column (a single cut), a binary search otherwise.
		k := 0
		switch {
		case v != v: // NaN
		case len(cs) <= 4:
			for k < len(cs) && cs[k] < v {
				k++
			}
		default:
			k = sort.SearchFloat64s(cs, v)
		}
		codes[j] = uint16(k) // #nosec G115 -- k ≤ len(cs) < maxCodes
	}
	codes[c.Features] = 1
}

// Predict returns the normalised vote for class 1 (0.5 if every tree's
// leaf is empty, which a trained forest does not produce in practice).
func (c *Compact) Predict(x []float64) float64 {
	var buf [256]uint16
	codes := buf[:]
	if c.Features+1 > len(buf) {
		codes = make([]uint16, c.Features+1)
	}
	c.Codes(x, codes)
	return c.PredictCodes(codes)
}

// PredictCodes is Predict on a row encoded by Codes.
func (c *Compact) PredictCodes(codes []uint16) float64 {
	sum, votes := c.voteSum(codes)
	if votes == 0 {
		return 0.5
	}
	return sum / float64(votes)
}

// voteSum returns the sum of the leaf votes the row reaches and how many
// trees cast one.
func (c *Compact) voteSum(codes []uint16) (sum float64, votes int) {
	codes = codes[:c.Features+1]
	s := &c.forest
	var at [group]int32
	for k := 0; k < len(s.order); k += group {
		n := min(group, len(s.order)-k)
		walkGroup(c.fnodes, codes, s.order[k:k+n], s.depth[k], &at)
		for _, i := range at[:n] {
			if c.hasEmpty && c.empty[i] {
				continue
			}
			sum += c.vals[i]
			votes++
		}
	}
	return sum, votes
}

// CorrectionCodes returns the booster's margin without its Init for a row
// encoded by Codes: the sum of its trees' leaves (0 without one).
func (c *Compact) CorrectionCodes(codes []uint16) float64 {
	codes = codes[:c.Features+1]
	s := &c.corr
	var sum float64
	var at [group]int32
	for k := 0; k < len(s.order); k += group {
		n := min(group, len(s.order)-k)
		walkGroup(c.fnodes, codes, s.order[k:k+n], s.depth[k], &at)
		for _, i := range at[:n] {
			sum += c.vals[i]
		}
	}
	return sum
}

// walkGroup walks the trees of roots (at most group of them) side by side
// for steps steps and leaves the leaves they reach in at. Their node loads
// are independent, so the CPU overlaps the cache misses instead of waiting
// on each; roots are deepest first, so steps is the first one's depth.
func walkGroup(nodes []fnode, codes []uint16, roots []int32, steps uint8, at *[group]int32) {
	copy(at[:], roots)
	if len(roots) == group {
		for range steps {
			for t := range at {
				at[t] = next(nodes, codes, at[t])
			}
		}
		return
	}
	part := at[:len(roots)]
	for range steps {
		for t := range part {
			part[t] = next(nodes, codes, part[t])
		}
	}
}

// next moves one step down from node i; a leaf stays where it is.
func next(nodes []fnode, codes []uint16, i int32) int32 {
	n := nodes[i]
	if codes[n.feat] > n.cut {
		return n.right
	}
	return i + 1
}

// Explain splits Predict(x) into a bias and one contribution per feature:
// along each voting tree's path, the change in the class-1 fraction from a
// node to the child x goes to is credited to the node's split feature
// (Saabas' method). Averaged over the voting trees, bias + Σ contrib equals
// Predict(x) up to rounding. contrib has Features entries.
func (c *Compact) Explain(x []float64, contrib []float64) (bias float64) {
	codes := make([]uint16, c.Features+1)
	c.Codes(x, codes)
	return c.ExplainCodes(codes, contrib)
}

// ExplainCodes is Explain on a row encoded by Codes; contrib is
// overwritten.
func (c *Compact) ExplainCodes(codes []uint16, contrib []float64) (bias float64) {
	codes = codes[:c.Features+1]
	contrib = contrib[:c.Features]
	clear(contrib)
	var votes int
	var rootSum float64
	for _, r := range c.forest.order {
		if c.hasEmpty && c.empty[c.leafOf(r, codes)] {
			continue
		}
		votes++
		rootSum += c.vals[r]
		c.credit(r, codes, contrib, 1)
	}
	if votes == 0 {
		return 0.5
	}
	for j := range contrib {
		contrib[j] /= float64(votes)
	}
	return rootSum / float64(votes)
}

// ExplainCorrection adds w × the booster's path contributions for a row
// encoded by Codes to contrib (in margin units) and returns its bias, the
// sum of its trees' root values: bias + the contributions (divided by w)
// equals CorrectionCodes.
func (c *Compact) ExplainCorrection(codes []uint16, contrib []float64, w float64) (bias float64) {
	codes = codes[:c.Features+1]
	contrib = contrib[:c.Features]
	for _, r := range c.corr.order {
		bias += c.vals[r]
		c.credit(r, codes, contrib, w)
	}
	return bias
}

// leafOf returns the leaf the row reaches from root r.
func (c *Compact) leafOf(r int32, codes []uint16) int32 {
	for c.fnodes[r].feat != c.leafFeat {
		r = next(c.fnodes, codes, r)
	}
	return r
}

// credit walks from r to the row's leaf and adds w × each step's change in
// value to the feature split on.
func (c *Compact) credit(r int32, codes []uint16, contrib []float64, w float64) {
	for c.fnodes[r].feat != c.leafFeat {
		to := next(c.fnodes, codes, r)
		contrib[c.fnodes[r].feat] += w * (c.vals[to] - c.vals[r])
		r = to
	}
}
