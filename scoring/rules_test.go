package scoring

import (
	"testing"

	"github.com/cis-agencia/cis/flow"
)

func TestRulesScore(t *testing.T) {
	tests := []struct {
		name    string
		urgency flow.Urgency
		budget  flow.Budget
		service string
		foreign bool
		want    flow.Class
	}{
		{"urgent with a big budget is hot", flow.Immediate, flow.Budget{MinCOP: 5e6, MaxCOP: 5e6}, "ads", false, flow.Hot},
		{"urgent with a mid budget is hot", flow.Immediate, flow.Budget{MinCOP: 2e6, MaxCOP: 2e6}, "web", false, flow.Hot},
		{"this month with a mid budget is warm", flow.ThisMonth, flow.Budget{MinCOP: 1e6, MaxCOP: 2e6}, "seo", false, flow.Warm},
		{"urgent but unknown budget is warm", flow.Immediate, flow.Budget{Unknown: true}, "branding", false, flow.Warm},
		{"exploring with a small budget is cold", flow.Exploring, flow.Budget{MinCOP: 5e5, MaxCOP: 5e5}, "other", false, flow.Cold},
		{"later with a small budget is cold", flow.OneToThreeMonths, flow.Budget{MinCOP: 8e5, MaxCOP: 8e5}, "email", false, flow.Cold},
		{"abroad lowers the score", flow.ThisMonth, flow.Budget{MinCOP: 2e6, MaxCOP: 2e6}, "branding", true, flow.Warm},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := flow.Lead{Urgency: tt.urgency, Budget: tt.budget, Service: tt.service, City: flow.City{Foreign: tt.foreign}}
			got := Rules{}.Score(l)
			if got.Class != tt.want {
				t.Errorf("Score(%+v) class = %s (p=%.3f); want %s", l, got.Class, got.Probability, tt.want)
			}
			if got.Model != "rules" || len(got.Reasons) < 3 {
				t.Errorf("Score(%+v) = %+v; want model rules with its reasons", l, got)
			}
			sum := base
			for _, r := range got.Reasons {
				sum += r.Weight
			}
			if diff := sum - got.Probability; diff > 0.001 || diff < -0.001 {
				t.Errorf("reasons add up to %.3f, probability is %.3f: the explanation must match the score", sum, got.Probability)
			}
		})
	}
}

func TestRulesOrdering(t *testing.T) {
	// More urgency never lowers the score, all else equal.
	b := flow.Budget{MinCOP: 1e6, MaxCOP: 1e6}
	prev := -1.0
	for i := len(flow.Urgencies()) - 1; i >= 0; i-- {
		p := Rules{}.Score(flow.Lead{Urgency: flow.Urgencies()[i], Budget: b, Service: "seo"}).Probability
		if p < prev {
			t.Errorf("urgency %s scores %.3f, below a less urgent lead's %.3f", flow.Urgencies()[i], p, prev)
		}
		prev = p
	}
}

func TestThresholdsClassify(t *testing.T) {
	th := Thresholds{Hot: 0.6, Warm: 0.35}
	for p, want := range map[float64]flow.Class{0: flow.Cold, 0.349: flow.Cold, 0.35: flow.Warm, 0.599: flow.Warm, 0.6: flow.Hot, 1: flow.Hot} {
		if got := th.Classify(p); got != want {
			t.Errorf("Classify(%v) = %s; want %s", p, got, want)
		}
	}
}
