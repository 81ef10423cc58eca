package scoring

import (
	"fmt"
	"math"
	"sort"
	"strconv"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// Model is a decoded, validated bundle ready to score. Safe for concurrent use.
type Model struct {
	ID      int64  // the store's bundle id
	Version string // recorded with every lead it scores: "forest:<id>"
	Bundle  *Bundle
	Lang    string // language of the reasons: "es" (default) or "en"
	forest  *learn.Compact
}

// NewModel prepares a decoded bundle for scoring.
func NewModel(id int64, b *Bundle) (*Model, error) {
	c, err := learn.NewCompact(b.Forest)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidBundle, err)
	}
	if c.Features != b.Schema.Encoder.Width {
		return nil, fmt.Errorf("%w: forest has %d features, encoder %d", ErrInvalidBundle, c.Features, b.Schema.Encoder.Width)
	}
	return &Model{ID: id, Version: "forest:" + strconv.FormatInt(id, 10), Bundle: b, forest: c}, nil
}

// features encodes l into x (len ≥ Width) without allocating for small schemas.
func (m *Model) features(l flow.Lead, x []float64) []float64 {
	var buf [16]string
	x = x[:m.Bundle.Schema.Encoder.Width]
	m.Bundle.Schema.Encoder.Encode(rawLead(l, m.Bundle.Schema.Encoder.Inputs, buf[:0]), x)
	return x
}

// Probability returns the calibrated P(conversion) of l and its class.
func (m *Model) Probability(l flow.Lead) (float64, flow.Class) {
	var arr [128]float64
	x := arr[:]
	if w := m.Bundle.Schema.Encoder.Width; w > len(arr) {
		x = make([]float64, w)
	}
	x = m.features(l, x)
	p := m.Bundle.Calibration.Apply(m.forest.Predict(x))
	return p, m.Bundle.Thresholds.Classify(p)
}

// Score implements flow.Scorer: class, calibrated probability, model
// version and the reasons (see Explain).
func (m *Model) Score(l flow.Lead) flow.Score {
	p, class, reasons := m.Explain(l)
	return flow.Score{Class: class, Probability: math.Round(p*1000) / 1000, Model: m.Version, Reasons: reasons}
}

// Explain returns the calibrated probability, its class and the reasons:
// first the base rate ("base"), then one reason per field with a non-zero
// contribution, largest effect first. The weights add up to the probability.
//
// Contributions come from the forest's paths (learn.Compact.Explain), summed
// over a field's one-hot columns. Calibration is a monotone map g applied to
// the forest's vote v; the base becomes g(bias) and every contribution is
// scaled by (g(v) − g(bias)) / (v − bias), which keeps its sign, its rank and
// the sum.
func (m *Model) Explain(l flow.Lead) (float64, flow.Class, []flow.Reason) {
	var raws [16]string
	rv := rawLead(l, m.Bundle.Schema.Encoder.Inputs, raws[:0])
	lang := m.Lang
	p, reasons := m.explainRaw(rv, func(field, raw string, w float64) string { return words(lang, field, raw, w, m.Bundle.Schema) })
	return p, m.Bundle.Thresholds.Classify(p), reasons
}

// explainRaw scores one row of raw field values (as the bundle's kind
// writes them) and explains it as Explain describes; say puts a field's
// value and the direction of its effect into words.
func (m *Model) explainRaw(rv []string, say func(field, raw string, w float64) string) (float64, []flow.Reason) {
	enc := &m.Bundle.Schema.Encoder
	x := make([]float64, enc.Width)
	enc.Encode(rv, x)
	contrib := make([]float64, enc.Width)
	bias := m.forest.Explain(x, contrib)
	raw := bias
	perField := make([]float64, len(enc.Inputs))
	for j, c := range contrib {
		perField[enc.Field[j]] += c
		raw += c
	}
	cal := m.Bundle.Calibration
	p, base := cal.Apply(raw), cal.Apply(bias)
	scale := 0.0
	if raw != bias {
		scale = (p - base) / (raw - bias)
	}
	reasons := []flow.Reason{{Feature: "base", Value: say("base", "", 0), Weight: base}}
	var fields []flow.Reason
	for k, w := range perField {
		if w == 0 {
			continue
		}
		name := enc.Inputs[k].Name
		fields = append(fields, flow.Reason{Feature: name, Value: say(name, rv[k], w), Weight: w * scale})
	}
	sort.SliceStable(fields, func(a, b int) bool { return math.Abs(fields[a].Weight) > math.Abs(fields[b].Weight) })
	return p, append(reasons, fields...)
}
