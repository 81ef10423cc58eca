package learn

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
)

// flat is the scoring layout of a Compact forest: every tree's nodes in one
// contiguous array of 8-byte nodes, the trees in the order they are walked
// (the forest's, then the booster's), each in depth-first pre-order (a left
// child follows its parent), so a walk mostly stays inside a cache line or
// the next.
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
	fnodes   []fnode     // all trees, in walk order, each in pre-order
	vals     []float64   // per node: the forest's class-1 fraction, or the booster's margin
	empty    []bool      // per node: a leaf no training row reached (casts no vote)
	hasEmpty bool        // any empty leaf at all
	forest   treeSet
	corr     treeSet
	leafFeat uint16 // the feature index leaves carry: Features, the always-1 slot
}

// treeSet is the roots of some trees in fnodes, deepest first so that
// the trees walked side by side end together, and how many steps each
// needs to reach any leaf. pairs holds order two by two, as the walk reads
// it (an odd last tree is paired with node 0, walked and ignored).
type treeSet struct {
	order []uint32
	depth []uint8
	pairs [][2]uint32
}

// fnode is one node of the scoring layout, packed in one word: bits 0–15
// the feature, 16–31 the cut, 32–63 the right child's index. Internal: the
// row goes right when codes[feat] > cut, else to the next node. Leaf: feat
// is the always-1 slot, cut 0 and right the leaf itself.
type fnode uint64

func newNode(feat, cut uint16, right uint32) fnode {
	return fnode(feat) | fnode(cut)<<16 | fnode(right)<<32
}

// feat is the node's low 16 bits.
func (n fnode) feat() uint16 { return uint16(n) } // #nosec G115 -- bit-field extraction from a packed node: the truncation to the field is the point (newNode packs feat<<0, cut<<16, right<<32)

// maxCodes bounds the distinct thresholds per feature (codes are uint16).
const maxCodes = math.MaxUint16

// group is how many trees are walked side by side (walkPairs: two per
// iteration of its inner loop).
const group = 16

// build lays out c.Nodes for scoring.
func (c *Compact) build() error {
	if c.Features <= 0 || c.Features >= math.MaxUint16 {
		return fmt.Errorf("%d features; the scoring layout takes 1 to %d", c.Features, math.MaxUint16-1)
	}
	if len(c.Nodes) >= math.MaxUint32 {
		return fmt.Errorf("%d nodes; the scoring layout takes %d", len(c.Nodes), math.MaxUint32-1)
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
	f.fnodes = make([]fnode, 0, len(c.Nodes))
	f.vals = make([]float64, 0, len(c.Nodes))
	f.empty = make([]bool, 0, len(c.Nodes))
	var err error
	if f.forest, err = f.lay(c, c.Roots); err != nil {
		return err
	}
	if f.corr, err = f.lay(c, c.CorrectionRoots); err != nil {
		return err
	}
	c.flat = f
	return nil
}

// lay appends the trees at roots (indexes into c.Nodes) to f.fnodes,
// deepest first, and returns where they start.
func (f *flat) lay(c *Compact, roots []int32) (treeSet, error) {
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
		s.order = append(s.order, uint32(len(f.fnodes))) // #nosec G115 -- len(Nodes) < 2^32, checked by build
		s.depth = append(s.depth, uint8(depths[t]))      // #nosec G115 -- checked above
		if err := f.add(c, roots[t]); err != nil {
			return treeSet{}, fmt.Errorf("tree %d: %w", t, err)
		}
	}
	for k := 0; k < len(s.order); k += 2 {
		p := [2]uint32{s.order[k], 0}
		if k+1 < len(s.order) {
			p[1] = s.order[k+1]
		}
		s.pairs = append(s.pairs, p)
	}
	return s, nil
}

// add appends the tree at root r of c.Nodes (in pre-order: it spans
// r up to its last leaf) to the layout.
func (f *flat) add(c *Compact, r int32) error {
	off := int64(len(f.fnodes)) - int64(r)
	end := r
	for i := r; i <= end; i++ {
		n := c.Nodes[i]
		f.vals = append(f.vals, n.Value)
		f.empty = append(f.empty, n.Left < 0 && n.Empty)
		if n.Left < 0 {
			f.fnodes = append(f.fnodes, newNode(f.leafFeat, 0, uint32(int64(i)+off))) // #nosec G115 -- within the layout
			f.hasEmpty = f.hasEmpty || n.Empty
			continue
		}
		if n.Left != i+1 || n.Right <= n.Left || int(n.Right) >= len(c.Nodes) {
			return errors.New("nodes not in pre-order")
		}
		end = max(end, n.Right)
		k := sort.SearchFloat64s(f.cuts[n.Feature], n.Threshold)
		f.fnodes = append(f.fnodes, newNode(uint16(n.Feature), uint16(k), uint32(int64(n.Right)+off))) // #nosec G115 -- bounds checked by build
	}
	return nil
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
// plus the slot leaves read, and at least narrowCodes (see walkPairs).
func (c *Compact) CodesLen() int { return max(c.Features+1, narrowCodes) }

// narrowCodes is the length of codes for a forest of fewer features: one
// byte indexes it.
const narrowCodes = 256

// Codes encodes row x (Features values) for PredictCodes and ExplainCodes;
// codes must have CodesLen entries. A NaN goes left at every split, as in
// the library.
func (c *Compact) Codes(x []float64, codes []uint16) {
	codes = codes[:c.CodesLen()]
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
	var buf [narrowCodes]uint16
	codes := buf[:]
	if n := c.CodesLen(); n > len(buf) {
		codes = make([]uint16, n)
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
	codes = codes[:c.CodesLen()]
	s := &c.forest
	var at [group / 2][2]uint32
	for k := 0; k < len(s.order); k += group {
		n := s.walk(c.fnodes, codes, k, &at)
		for t := range n {
			i := at[t/2][t%2]
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
	codes = codes[:c.CodesLen()]
	s := &c.corr
	var sum float64
	var at [group / 2][2]uint32
	for k := 0; k < len(s.order); k += group {
		n := s.walk(c.fnodes, codes, k, &at)
		for t := range n {
			sum += c.vals[at[t/2][t%2]]
		}
	}
	return sum
}

// walk sets at to the leaves the row reaches in trees k to k+group-1 of s
// (k even), two by two, and returns how many trees there are (fewer at the
// end). The trees are walked side by side: their node loads are
// independent, so the CPU overlaps the cache misses instead of waiting on
// each; they are deepest first, so the first one's depth is the number of
// steps.
func (s *treeSet) walk(nodes []fnode, codes []uint16, k int, at *[group / 2][2]uint32) int {
	m := copy(at[:], s.pairs[k/2:])
	steps := s.depth[k]
	if m < len(at) || len(codes) != narrowCodes {
		part := at[:m]
		for range steps {
			for t := range part {
				part[t][0] = next(nodes, codes, part[t][0])
				part[t][1] = next(nodes, codes, part[t][1])
			}
		}
	} else {
		walkPairs(nodes, (*[narrowCodes]uint16)(codes), at, steps)
	}
	return min(group, len(s.order)-k)
}

// walkPairs walks a full group for steps steps, two trees per iteration
// of the inner loop (half its bookkeeping per step), for a forest of fewer
// than narrowCodes features: a feature index read as a byte is then always
// inside codes, so the compiler drops that bounds check.
func walkPairs(nodes []fnode, codes *[narrowCodes]uint16, at *[group / 2][2]uint32, steps uint8) {
	for range steps {
		for t := range at {
			at[t][0] = nextNarrow(nodes, codes, at[t][0])
			at[t][1] = nextNarrow(nodes, codes, at[t][1])
		}
	}
}

// nextNarrow is next for a forest of fewer than narrowCodes features.
func nextNarrow(nodes []fnode, codes *[narrowCodes]uint16, i uint32) uint32 {
	n := nodes[i]
	j, right := i+1, uint32(n>>32)
	if codes[uint8(n)] > uint16(n>>16) { // #nosec G115 -- bit-field extraction from a packed node: the truncation to the field is the point (newNode packs feat<<0, cut<<16, right<<32); uint8 because a narrow forest has < 256 features
		j = right
	}
	return j
}

// next moves one step down from node i; a leaf stays where it is. Both
// children are computed and one chosen; i comes from memory (the caller's
// array), so the compiler emits a conditional move rather than a branch
// the CPU would mispredict half the time (it keeps branches where the
// result feeds a load address directly: see cmd/compile's branchelim).
func next(nodes []fnode, codes []uint16, i uint32) uint32 {
	n := nodes[i]
	j, right := i+1, uint32(n>>32)
	if codes[uint16(n)] > uint16(n>>16) { // #nosec G115 -- bit-field extraction from a packed node: the truncation to the field is the point (newNode packs feat<<0, cut<<16, right<<32)
		j = right
	}
	return j
}

// Explain splits Predict(x) into a bias and one contribution per feature:
// along each voting tree's path, the change in the class-1 fraction from a
// node to the child x goes to is credited to the node's split feature
// (Saabas' method). Averaged over the voting trees, bias + Σ contrib equals
// Predict(x) up to rounding. contrib has Features entries.
func (c *Compact) Explain(x []float64, contrib []float64) (bias float64) {
	codes := make([]uint16, c.CodesLen())
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
func (c *Compact) leafOf(r uint32, codes []uint16) uint32 {
	for c.fnodes[r].feat() != c.leafFeat {
		r = next(c.fnodes, codes, r)
	}
	return r
}

// credit walks from r to the row's leaf and adds w × each step's change in
// value to the feature split on.
func (c *Compact) credit(r uint32, codes []uint16, contrib []float64, w float64) {
	for c.fnodes[r].feat() != c.leafFeat {
		to := next(c.fnodes, codes, r)
		contrib[c.fnodes[r].feat()] += w * (c.vals[to] - c.vals[r])
		r = to
	}
}
