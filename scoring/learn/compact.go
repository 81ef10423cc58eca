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
type Compact struct {
	Features int
	Roots    []int32 // index of each tree's root in Nodes
	Nodes    []Node

	fast []packed // Nodes packed for Predict; built by pack
}

// packed is a node in 16 bytes, so a 300-tree forest walks through about
// half the cache lines of Node. Nodes are in depth-first pre-order, so a
// left child always follows its parent. A leaf has feat -1 (or -2 when
// empty) and keeps its class-1 share in thr.
type packed struct {
	thr   float64
	right int32
	feat  int32
}

// pack builds the scoring form; every constructor calls it.
func (c *Compact) pack() {
	c.fast = make([]packed, len(c.Nodes))
	for i, n := range c.Nodes {
		switch {
		case n.Left < 0 && n.Empty:
			c.fast[i] = packed{thr: n.Value, right: -1, feat: -2}
		case n.Left < 0:
			c.fast[i] = packed{thr: n.Value, right: -1, feat: -1}
		default:
			if n.Left != int32(i)+1 {
				panic("learn: compact nodes not in pre-order") // a bug in this package, not bad input
			}
			c.fast[i] = packed{thr: n.Threshold, right: n.Right, feat: n.Feature}
		}
	}
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
	c.pack()
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

// leaf returns the index of the leaf x reaches from root.
func (c *Compact) leaf(root int32, x []float64) int32 {
	i := root
	nodes := c.Nodes
	for nodes[i].Left >= 0 {
		n := &nodes[i]
		if x[n.Feature] > n.Threshold {
			i = n.Right
		} else {
			i = n.Left
		}
	}
	return i
}

// Predict returns the normalised vote for class 1 (0.5 if every tree's
// leaf is empty, which a trained forest does not produce in practice).
func (c *Compact) Predict(x []float64) float64 {
	var sum float64
	var votes int
	fast := c.fast
	roots := c.Roots
	// Four trees are walked side by side: their node loads are independent,
	// so the CPU overlaps the cache misses instead of waiting on each.
	k := 0
	for ; k+4 <= len(roots); k += 4 {
		a, b, cc, d := roots[k], roots[k+1], roots[k+2], roots[k+3]
		for fast[a].feat >= 0 || fast[b].feat >= 0 || fast[cc].feat >= 0 || fast[d].feat >= 0 {
			a = step(fast, a, x)
			b = step(fast, b, x)
			cc = step(fast, cc, x)
			d = step(fast, d, x)
		}
		for _, i := range [4]int32{a, b, cc, d} {
			if fast[i].feat == -1 {
				sum += fast[i].thr
				votes++
			}
		}
	}
	for ; k < len(roots); k++ {
		i := roots[k]
		for fast[i].feat >= 0 {
			i = step(fast, i, x)
		}
		if fast[i].feat == -1 {
			sum += fast[i].thr
			votes++
		}
	}
	if votes == 0 {
		return 0.5
	}
	return sum / float64(votes)
}

// step moves from node i one level down for x; a leaf stays where it is.
func step(fast []packed, i int32, x []float64) int32 {
	n := &fast[i]
	if n.feat < 0 {
		return i
	}
	next := i + 1
	if x[n.feat] > n.thr {
		next = n.right
	}
	return next
}

// Explain splits Predict(x) into a bias and one contribution per feature:
// along each voting tree's path, the change in the class-1 fraction from a
// node to the child x goes to is credited to the node's split feature
// (Saabas' method). Averaged over the voting trees, bias + Σ contrib equals
// Predict(x) up to rounding. contrib has Features entries.
func (c *Compact) Explain(x []float64, contrib []float64) (bias float64) {
	clear(contrib)
	var votes int
	var rootSum float64
	// First find which trees vote, so only their paths are credited.
	for _, r := range c.Roots {
		if c.Nodes[c.leaf(r, x)].Empty {
			continue
		}
		votes++
		i := r
		rootSum += c.Nodes[i].Value
		for c.Nodes[i].Left >= 0 {
			n := &c.Nodes[i]
			next := n.Left
			if x[n.Feature] > n.Threshold {
				next = n.Right
			}
			contrib[n.Feature] += c.Nodes[next].Value - n.Value
			i = next
		}
	}
	if votes == 0 {
		return 0.5
	}
	for j := range contrib {
		contrib[j] /= float64(votes)
	}
	return rootSum / float64(votes)
}
