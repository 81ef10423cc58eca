package learn

import (
	"errors"
	"fmt"
	"math"

	randomforest "github.com/malaschitz/randomForest"
)

// Compact is a trained binary forest flattened into arrays: one slice of
// nodes per forest, children by index, so scoring walks contiguous memory
// instead of pointers. It also keeps each node's class-1 fraction, which the
// library stores only at leaves, so a score can be explained.
//
// Vote normalisation: the pinned library can build an empty leaf (when no
// sampled column splits a node it still "splits" on column 0), and a row
// that lands there gets the vote [0, 0] from that tree, so the library's
// Vote sums to less than 1 and under-states P(class 1). Compact divides by
// the votes actually cast: P = Σ leaf fraction / number of trees whose leaf
// is not empty; this equals Vote[1] / (Vote[0] + Vote[1]).
//
// Scoring uses a second, smaller layout built from Nodes (see flat): a row
// is first turned into one small integer per feature (Codes), and every
// node compares an integer, so a node fits in 8 bytes.
type Compact struct {
	Features int
	Roots    []int32 // index of each forest tree's root in Nodes
	Nodes    []Node
	// CorrectionRoots are the roots of the trees of a booster laid out with
	// the forest (AddCorrection); their values are margins, summed.
	CorrectionRoots []int32

	flat
}

// AddCorrection appends the trees of a booster (each in pre-order,
// children indexed within the tree; the forest-first blend's partner) and
// lays them out with the forest, so one encoding of a row serves both.
func (c *Compact) AddCorrection(trees [][]Node) error {
	for t, nodes := range trees {
		base := int32(len(c.Nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
		for k, nd := range nodes {
			if nd.Left >= 0 {
				if nd.Left != int32(k)+1 || nd.Right <= nd.Left || int(nd.Right) >= len(nodes) || nd.Feature < 0 || int(nd.Feature) >= c.Features { // #nosec G115 -- k < len(nodes)
					return fmt.Errorf("correction tree %d: node %d does not link up", t, k)
				}
				nd.Left += base
				nd.Right += base
			}
			if math.IsNaN(nd.Value) || math.IsInf(nd.Value, 0) {
				return fmt.Errorf("correction tree %d: node %d value %v", t, k, nd.Value)
			}
			c.Nodes = append(c.Nodes, nd)
		}
		if len(nodes) > 0 {
			c.CorrectionRoots = append(c.CorrectionRoots, base)
		}
	}
	return c.build()
}

// Node is one node of a Compact forest. A leaf has Left == -1.
type Node struct {
	Feature     int32
	Left, Right int32   // x[Feature] <= Threshold goes Left, else Right
	Threshold   float64 // split value
	Value       float64 // class-1 fraction of the training rows that reached the node
	Empty       bool    // a leaf no training row reached: it casts no vote
}

// NewCompact flattens a trained binary library forest.
func NewCompact(f *randomforest.Forest) (*Compact, error) {
	if f == nil || len(f.Trees) == 0 {
		return nil, errors.New("forest: no trees")
	}
	if f.Classes > 2 {
		return nil, fmt.Errorf("forest: %d classes, want 2", f.Classes)
	}
	c := &Compact{Features: f.Features}
	for i := range f.Trees {
		root := int32(len(c.Nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
		if _, _, err := c.add(&f.Trees[i].Root, f.Features); err != nil {
			return nil, fmt.Errorf("forest: tree %d: %w", i, err)
		}
		c.Roots = append(c.Roots, root)
	}
	if err := c.build(); err != nil {
		return nil, fmt.Errorf("forest: %w", err)
	}
	return c, nil
}

// add appends b's subtree and returns the class-1 count and size it covers.
func (c *Compact) add(b *randomforest.Branch, features int) (pos, size float64, err error) {
	at := len(c.Nodes)
	c.Nodes = append(c.Nodes, Node{Left: -1, Right: -1})
	if b.IsLeaf || b.Branch0 == nil || b.Branch1 == nil {
		v := 0.0
		if len(b.LeafValue) > 1 {
			v = b.LeafValue[1]
		}
		var sum float64
		for _, lv := range b.LeafValue {
			sum += lv
		}
		empty := b.Size == 0 || sum == 0
		if math.IsNaN(v) || v < 0 || v > 1 {
			return 0, 0, fmt.Errorf("leaf value %v", v)
		}
		c.Nodes[at] = Node{Feature: -1, Left: -1, Right: -1, Value: v, Empty: empty}
		return v * float64(b.Size), float64(b.Size), nil
	}
	if b.Attribute < 0 || b.Attribute >= features {
		return 0, 0, fmt.Errorf("split on feature %d of %d", b.Attribute, features)
	}
	l := int32(len(c.Nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
	p0, s0, err := c.add(b.Branch0, features)
	if err != nil {
		return 0, 0, err
	}
	r := int32(len(c.Nodes)) // #nosec G115 -- 2^31 nodes would not fit in memory
	p1, s1, err := c.add(b.Branch1, features)
	if err != nil {
		return 0, 0, err
	}
	n := Node{Feature: int32(b.Attribute), Left: l, Right: r, Threshold: b.Value} // #nosec G115 -- 0 <= Attribute < features, checked above
	if s0+s1 > 0 {
		n.Value = (p0 + p1) / (s0 + s1)
	}
	c.Nodes[at] = n
	return p0 + p1, s0 + s1, nil
}
