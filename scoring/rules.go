package scoring

import (
	"math"

	"github.com/cis-agencia/cis/flow"
)

// A finished lead becomes a class (hot, warm, cold) and a probability.
// Until a model trained on the agency's history is active, the transparent
// rule-based scorer in this file is used: every point it gives is listed as
// a reason, so an advisor can see why a lead is hot.

// Thresholds split probabilities into classes: p ≥ Hot is hot, p ≥ Warm is
// warm, the rest cold.
type Thresholds struct {
	Hot  float64 `json:"hot"`
	Warm float64 `json:"warm"`
}

// ordered reports whether 0 ≤ Warm ≤ Hot ≤ 1.
func (t Thresholds) ordered() bool { return 0 <= t.Warm && t.Warm <= t.Hot && t.Hot <= 1 }

// DefaultThresholds returns the rule scorer's cut points.
func DefaultThresholds() Thresholds { return Thresholds{Hot: 0.60, Warm: 0.35} }

// Classify returns the class of probability p.
func (t Thresholds) Classify(p float64) flow.Class {
	switch {
	case p >= t.Hot:
		return flow.Hot
	case p >= t.Warm:
		return flow.Warm
	}
	return flow.Cold
}

// Rules is the rule-based scorer. The weights encode what agencies report
// about inbound leads: urgency and budget drive conversion; an unknown
// budget is a weak signal, not a bad one. The zero value is ready to use and
// safe for concurrent use.
type Rules struct{}

// base is the probability of a lead with no signal at all.
const base = 0.10

var urgencyWeight = map[flow.Urgency]float64{
	flow.Immediate:        0.35,
	flow.ThisMonth:        0.22,
	flow.OneToThreeMonths: 0.08,
	flow.Exploring:        0,
}

// budgetWeight grades the monthly budget; a range counts by its midpoint.
func budgetWeight(b flow.Budget) (float64, string) {
	mid := b.MinCOP/2 + b.MaxCOP/2
	switch {
	case b.Unknown:
		return 0.05, "unknown"
	case mid >= 5_000_000:
		return 0.30, ">=5M"
	case mid >= 2_000_000:
		return 0.20, "2M-5M"
	case mid >= 1_000_000:
		return 0.12, "1M-2M"
	}
	return 0.03, "<1M"
}

// serviceWeight: paid media and web projects close faster than branding or
// "other" requests, which usually need discovery first.
var serviceWeight = map[string]float64{"ads": 0.06, "web": 0.05, "seo": 0.04, "social": 0.04, "email": 0.02, "branding": 0.02}

// Score implements flow.Scorer.
func (Rules) Score(l flow.Lead) flow.Score {
	reasons := make([]flow.Reason, 0, 4)
	add := func(feature, value string, w float64) {
		reasons = append(reasons, flow.Reason{Feature: feature, Value: value, Weight: w})
	}
	add("urgency", string(l.Urgency), urgencyWeight[l.Urgency])
	bw, bv := budgetWeight(l.Budget)
	add("budget", bv, bw)
	add("service", l.Service, serviceWeight[l.Service])
	if l.City.Foreign {
		add("city", "foreign", -0.05)
	}
	p := base
	for _, r := range reasons {
		p += r.Weight
	}
	p = math.Round(math.Max(0.01, math.Min(0.99, p))*1000) / 1000
	return flow.Score{Class: DefaultThresholds().Classify(p), Probability: p, Model: "rules", Reasons: reasons}
}
