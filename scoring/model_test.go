package scoring

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// Scoring reads numeric fields without printing them; the value must be
// the very number training reads back from the printed text.
func TestFieldNumberReadsAsFieldValue(t *testing.T) {
	_, _, hist := mustTrain(t)
	leads := []flow.Lead{{}, {Budget: flow.Budget{Unknown: true}}, {Budget: flow.Budget{MinCOP: 1, MaxCOP: 1}},
		{Budget: flow.Budget{MinCOP: 999_999_999_999, MaxCOP: 999_999_999_999}}, {Budget: flow.Budget{MinCOP: 1_500_000, MaxCOP: 2_500_000}},
		{Engagement: &flow.Engagement{Seconds: 0}}, {Engagement: &flow.Engagement{Seconds: 86_399}}, {Engagement: &flow.Engagement{Seconds: -1}}}
	for _, h := range hist {
		leads = append(leads, h.Lead)
	}
	for i := range 2000 { // every budget midpoint from 1 to 10^12 in small steps of the exponent
		mid := int64(math.Pow(10, float64(i)*6e-3))
		leads = append(leads, flow.Lead{Budget: flow.Budget{MinCOP: mid, MaxCOP: mid}, Engagement: &flow.Engagement{Seconds: mid % 100_000}})
	}
	for name, num := range fieldNumber {
		for i, l := range leads {
			text := fieldValue[name](l)
			got, ok := num(l)
			if text == "" {
				if ok {
					t.Fatalf("%s lead %d: number %v for a missing value", name, i, got)
				}
				continue
			}
			want, err := strconv.ParseFloat(text, 64)
			if err != nil || !ok || math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("%s lead %d: number %v (ok %v); the text %q reads %v", name, i, got, ok, text, want)
			}
		}
	}
}

// blendBundle is the shared test bundle with a forest-first blend added:
// partners fitted on the same leads and fixed weights (the weights do not
// matter to how a score is computed and explained).
func blendBundle(t *testing.T) *Bundle {
	t.Helper()
	b, _, hist := mustTrain(t)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	d, _, _ := leadDataset(sortedByTime(ex), leadFields)
	X := b.Schema.Encoder.Transform(d, seqInts(len(d.Y)))
	g := &learn.GradientBoosting{}
	l := &learn.Logistic{C: 1}
	if err := g.Fit(X, d.Y); err != nil {
		t.Fatal(err)
	}
	if err := l.Fit(X, d.Y); err != nil {
		t.Fatal(err)
	}
	bb := *b
	bb.Format = bundleFormatBlend
	bb.Blend = &learn.Blend{Cal: learn.Calibration{Method: "platt", A: 0.8, B: -0.3}, BoostW: 0.6, LinearW: 0.4, Boost: &g.Single, Linear: l}
	return &bb
}

// A blend bundle scores by its formula, through a save and a load, and
// its reasons add up to the probability.
func TestBlendBundleScoresAndExplains(t *testing.T) {
	b := blendBundle(t)
	_, _, hist := mustTrain(t)
	loaded, err := DecodeBundle(mustEncode(t, b))
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(1, loaded)
	if err != nil {
		t.Fatal(err)
	}
	forest, err := learn.NewCompact(loaded.Forest)
	if err != nil {
		t.Fatal(err)
	}
	bl := loaded.Blend
	for i, h := range hist[:400] {
		x := Features(h.Lead, &loaded.Schema)
		want := learn.Sigmoid(bl.Cal.A*logit(forest.Predict(x)) + bl.Cal.B + bl.BoostW*bl.Boost.Margin(x) + bl.LinearW*bl.Linear.Margin(x))
		p, class := m.Probability(h.Lead)
		if math.Abs(p-want) > 1e-12 {
			t.Fatalf("lead %d: Probability %v; the blend's formula gives %v", i, p, want)
		}
		q, c, reasons := m.Explain(h.Lead)
		var sum float64
		for _, r := range reasons {
			sum += r.Weight
		}
		if math.Abs(q-p) > 1e-12 || c != class || math.Abs(sum-p) > 1e-9 {
			t.Fatalf("lead %d: Explain %v %s (reasons add up to %v); Probability %v %s", i, q, c, sum, p, class)
		}
	}
}

func logit(p float64) float64 {
	p = math.Min(math.Max(p, 1e-6), 1-1e-6)
	return math.Log(p / (1 - p))
}

// A damaged blend is refused with the reason, at decoding or when laid out
// for scoring, never served.
func TestDamagedBlendIsRefused(t *testing.T) {
	good := mustEncode(t, blendBundle(t))
	tests := map[string]func(map[string]any){
		"no blend in format 2":   func(v map[string]any) { delete(v, "blend") },
		"blend in format 1":      func(v map[string]any) { v["format"] = 1 },
		"forest weight negative": func(v map[string]any) { v["blend"].(map[string]any)["calibration"].(map[string]any)["a"] = -1 },
		"linear weights short": func(v map[string]any) {
			l := v["blend"].(map[string]any)["linear"].(map[string]any)
			l["W"] = l["W"].([]any)[:2]
		},
		"booster node out of range": func(v map[string]any) {
			tree := v["blend"].(map[string]any)["boost"].(map[string]any)["Trees"].([]any)[0].([]any)
			tree[0].(map[string]any)["Right"] = 9999
		},
	}
	for name, edit := range tests {
		t.Run(name, func(t *testing.T) {
			b, err := DecodeBundle(damaged(t, good, edit))
			if err == nil {
				_, err = NewModel(1, b)
			}
			if !errors.Is(err, ErrInvalidBundle) {
				t.Errorf("err = %v; want ErrInvalidBundle", err)
			}
		})
	}
}

// Scoring a lead allocates nothing, with or without the blend.
func TestProbabilityDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates on its own")
	}
	plain, _, hist := mustTrain(t)
	for name, b := range map[string]*Bundle{"forest": plain, "blend": blendBundle(t)} {
		m, err := NewModel(1, b)
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		if n := testing.AllocsPerRun(200, func() { m.Probability(hist[i%len(hist)].Lead); i++ }); n != 0 {
			t.Errorf("%s: %v allocations per score; want 0", name, n)
		}
	}
}

// Train tunes the production forest on the training rows: the choice is
// recorded in the bundle (kept through a save and a load) with every
// candidate tried, the forest stored has the chosen number of trees, the
// setting is what the bundle reports, and the comparison records what the
// search chose in each training fold. The same for the churn forest.
func TestTrainStoresTheTuning(t *testing.T) {
	_, _, hist := mustTrain(t)
	ex := make([]Example, 600)
	for i, h := range hist[:len(ex)] {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	o := TrainOptions{Trees: 20, Folds: 2, Seed: 1, Min: DefaultMinHistory(), Models: learn.Models(20)[:1], Now: func() time.Time { return testEnd }}
	lead, leadRep, err := Train(ex, o)
	if err != nil {
		t.Fatal(err)
	}
	_, _, hs := mustTrainChurn(t)
	churn, churnRep, _, err := TrainChurn(hs[:len(hs)/8], nil, o)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		b   *Bundle
		rep *learn.Report
	}{"lead": {lead, leadRep}, "churn": {churn, churnRep}} {
		t.Run(name, func(t *testing.T) {
			b, err := DecodeBundle(mustEncode(t, c.b))
			if err != nil {
				t.Fatal(err)
			}
			tu := b.Tuning
			if tu == nil || tu.Fixed || tu.InnerFolds < 2 || tu.Rows != b.Rows || len(tu.Trials) != len(learn.DefaultGrid) {
				t.Fatalf("tuning %+v; want a search over %d settings on inner folds of the %d rows", tu, len(learn.DefaultGrid), b.Rows)
			}
			if tu.Chosen != c.b.Tuning.Chosen || len(b.Forest.Trees) != tu.Chosen.Trees {
				t.Errorf("chosen %v (%d trees stored); trained %v", tu.Chosen, len(b.Forest.Trees), c.b.Tuning.Chosen)
			}
			if s := b.Setting(); !strings.Contains(s, tu.Chosen.String()) || !strings.Contains(s, "inner folds") {
				t.Errorf("Setting() = %q; want the chosen %q and how it was chosen", s, tu.Chosen)
			}
			for _, r := range c.rep.Results {
				if r.Name == learn.ProductionModel && len(r.Settings) != c.rep.Folds {
					t.Errorf("comparison records %d fold settings; want %d", len(r.Settings), c.rep.Folds)
				}
			}
		})
	}
}

// A stored setting (TrainOptions.Forest, as the demo trains) is fitted as
// given, without a search, and the bundle says so.
func TestTrainWithAStoredSetting(t *testing.T) {
	_, _, hist := mustTrain(t)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	fixed := learn.ForestParams{LeafSize: 40, MaxDepth: 8}
	b, rep, err := Train(ex, TrainOptions{Trees: 20, Folds: 2, Seed: 1, Min: DefaultMinHistory(), Forest: &fixed,
		Models: learn.ModelsWith(20, &fixed)[:1], Now: func() time.Time { return testEnd }})
	if err != nil {
		t.Fatal(err)
	}
	want := fixed
	want.Trees = 20
	if b.Tuning == nil || !b.Tuning.Fixed || b.Tuning.Chosen != want || len(b.Tuning.Trials) != 0 || len(b.Forest.Trees) != 20 {
		t.Fatalf("tuning %+v, %d trees; want the stored %v, not searched", b.Tuning, len(b.Forest.Trees), want)
	}
	if s := b.Setting(); !strings.Contains(s, "stored setting") {
		t.Errorf("Setting() = %q; want it to say the setting was stored, not tuned", s)
	}
	if got := rep.Results[0].Settings; len(got) != 2 || got[0] != want.String()+" (stored, not tuned)" {
		t.Errorf("fold settings %q; want %q in both folds", got, want)
	}
}
