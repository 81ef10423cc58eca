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
	// forest is the forest, and the blend's boosted partner when there is
	// one, in the layout for scoring (learn.Compact).
	forest *learn.Compact
	// values and numbers compute a lead bundle's inputs: each input's
	// field function, looked up once; numbers[k] is set for numeric fields
	// that can skip the text (fieldNumber).
	values  []func(flow.Lead) string
	numbers []func(flow.Lead) (float64, bool)
	// linW and linB are the blend's linear partner with its
	// standardisation folded in (learn.Logistic.Folded), for scoring.
	linW []float64
	linB float64
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
	if b.Blend != nil && b.Blend.Boost != nil {
		if err := c.AddCorrection(b.Blend.Boost.Trees); err != nil {
			return nil, fmt.Errorf("%w: blend: %w", ErrInvalidBundle, err)
		}
	}
	m := &Model{ID: id, Version: "forest:" + strconv.FormatInt(id, 10), Bundle: b, forest: c}
	if b.Blend != nil && b.Blend.Linear != nil {
		m.linW, m.linB = b.Blend.Linear.Folded()
	}
	if b.Kind == "" || b.Kind == KindLead {
		for _, in := range b.Schema.Encoder.Inputs {
			m.values = append(m.values, fieldValue[in.Name]) // every name checked by Bundle.validate
			m.numbers = append(m.numbers, fieldNumber[in.Name])
		}
	}
	return m, nil
}

// codes encodes lead l for the forest: its vector into x (Width long, a
// scratch), then the forest's codes (CodesLen long), once per lead
// whatever reads them. It does not allocate.
func (m *Model) codes(l flow.Lead, x []float64, codes []uint16) {
	enc := &m.Bundle.Schema.Encoder
	clear(x)
	for k, value := range m.values {
		if num := m.numbers[k]; num != nil {
			f, ok := num(l)
			enc.EncodeNumber(k, f, ok, x)
			continue
		}
		enc.EncodeField(k, value(l), x)
	}
	m.forest.Codes(x, codes)
}

// scratch returns buffers for one lead's vector and codes: the arrays
// given when they are long enough, else new ones.
func (m *Model) scratch(xa []float64, ca []uint16) ([]float64, []uint16) {
	w, n := m.Bundle.Schema.Encoder.Width, m.forest.CodesLen()
	if w > len(xa) {
		xa = make([]float64, w)
	}
	if n > len(ca) {
		ca = make([]uint16, n)
	}
	return xa[:w], ca[:n]
}

// Probability returns the calibrated P(conversion) of l and its class.
func (m *Model) Probability(l flow.Lead) (float64, flow.Class) {
	var xa [128]float64
	var ca [256]uint16
	x, codes := m.scratch(xa[:], ca[:])
	m.codes(l, x, codes)
	p := m.prob(x, codes)
	return p, m.Bundle.Thresholds.Classify(p)
}

// prob is the model's probability for a row x encoded by
// learn.Compact.Codes as codes: the forest's vote through the calibration,
// or through the forest-first blend with its partners (learn.Blend).
func (m *Model) prob(x []float64, codes []uint16) float64 {
	v := m.forest.PredictCodes(codes)
	bl := m.Bundle.Blend
	if bl == nil {
		return m.Bundle.Calibration.Apply(v)
	}
	var boost, linear float64
	if bl.Boost != nil {
		boost = bl.Boost.Init + m.forest.CorrectionCodes(codes)
	}
	if bl.Linear != nil {
		linear = learn.FoldedMargin(m.linW, m.linB, x)
	}
	return learn.Sigmoid(bl.Cal.Margin(v) + bl.BoostW*boost + bl.LinearW*linear)
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
// Contributions come from the forest's paths (learn.Compact.ExplainCodes),
// summed over a field's one-hot columns. Calibration is a monotone map g
// applied to the forest's vote v; the base becomes g(bias) and every
// contribution is scaled by (g(v) − g(bias)) / (v − bias), which keeps its
// sign, its rank and the sum. With the forest-first blend the same is done
// in margin units: the forest's contributions scaled onto A·logit(v) + B,
// the boosted partner's path contributions and the linear partner's terms
// added with their weights, and the total mapped through the sigmoid the
// same way.
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
	var xa [128]float64
	var ca [256]uint16
	x, codes := m.scratch(xa[:], ca[:])
	enc.Encode(rv, x)
	m.forest.Codes(x, codes)
	contrib := make([]float64, enc.Width)
	p, base := m.contributions(x, codes, contrib)
	perField := make([]float64, len(enc.Inputs))
	for j, c := range contrib {
		perField[enc.Field[j]] += c
	}
	reasons := []flow.Reason{{Feature: "base", Value: say("base", "", 0), Weight: base}}
	var fields []flow.Reason
	for k, w := range perField {
		if w == 0 {
			continue
		}
		name := enc.Inputs[k].Name
		fields = append(fields, flow.Reason{Feature: name, Value: say(name, rv[k], w), Weight: w})
	}
	sort.SliceStable(fields, func(a, b int) bool { return math.Abs(fields[a].Weight) > math.Abs(fields[b].Weight) })
	return p, append(reasons, fields...)
}

// contributions returns the probability of a row x encoded by Codes as
// codes and the base, and sets contrib (Width long) to each column's share
// of p − base.
func (m *Model) contributions(x []float64, codes []uint16, contrib []float64) (p, base float64) {
	bias := m.forest.ExplainCodes(codes, contrib)
	v := m.forest.PredictCodes(codes)
	bl := m.Bundle.Blend
	if bl == nil {
		cal := m.Bundle.Calibration
		p, base = cal.Apply(v), cal.Apply(bias)
		scaleTo(contrib, p-base)
		return p, base
	}
	// In margin units first: the forest's share of A·logit(v) + B, then
	// each partner's own terms, weighted.
	z0 := bl.Cal.Margin(bias)
	scaleTo(contrib, bl.Cal.Margin(v)-z0)
	if b := bl.Boost; b != nil {
		z0 += bl.BoostW * (b.Init + m.forest.ExplainCorrection(codes, contrib, bl.BoostW))
	}
	if l := bl.Linear; l != nil {
		z0 += bl.LinearW * l.B
		for j, xj := range x {
			contrib[j] += bl.LinearW * l.W[j] * (xj - l.Mean[j]) / l.Scale[j]
		}
	}
	p, base = m.prob(x, codes), learn.Sigmoid(z0)
	scaleTo(contrib, p-base)
	return p, base
}

// scaleTo rescales contributions so that they add up to to. The map from
// raw to calibrated is monotone, so the factor is positive: signs and
// ranks stay. Contributions that add up to 0 (none, or cancelling) become
// all 0.
func scaleTo(contrib []float64, to float64) {
	var from float64
	for _, c := range contrib {
		from += c
	}
	s := 0.0
	if from != 0 {
		s = to / from
	}
	for j := range contrib {
		contrib[j] *= s
	}
}
