package scoring

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

func TestConversationFieldsSameForHistoryAndLiveLeads(t *testing.T) {
	at := time.Date(2026, 3, 2, 15, 4, 0, 0, time.UTC) // Monday 10:04 in Bogotá
	live := flow.Lead{Channel: "cloudapi", StartedAt: at, CompletedAt: at.Add(3 * time.Minute), City: flow.City{Code: "05001"}, Service: "ads"}
	history := flow.Lead{Channel: "import", StartedAt: at, CompletedAt: at, City: flow.City{Code: "05001"}, Service: "ads"}
	dateOnly := time.Date(2026, 3, 2, 0, 0, 0, 0, bogota)
	cases := []struct {
		name  string
		lead  flow.Lead
		field string
		want  string
	}{
		{"live hour in Bogotá", live, "hour", "10"},
		{"history hour from its created_at", history, "hour", "10"},
		{"weekday Monday is 1", live, "weekday", "1"},
		{"date-only history has no hour", flow.Lead{StartedAt: dateOnly, CompletedAt: dateOnly}, "hour", ""},
		{"date-only history has no weekday either", flow.Lead{StartedAt: dateOnly}, "weekday", ""},
		{"no start time is missing, not zero", flow.Lead{}, "hour", ""},
		{"city rate reads the city code", live, "city_rate", "05001"},
		{"service rate reads the service key", history, "service_rate", "ads"},
	}
	for _, c := range cases {
		if got := fieldValue[c.field](c.lead); got != c.want {
			t.Errorf("%s: %s = %q; want %q", c.name, c.field, got, c.want)
		}
	}
}

func TestTargetRatesLearnedOnlyFromTrainingFolds(t *testing.T) {
	_, _, hist := mustTrain(t)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	fields := append(append([]learn.Column(nil), leadFields...), candidateFields...)
	d, _, _ := leadDataset(sortedByTime(ex), fields)
	folds := learn.StratifiedFolds(d.Y, 3, 1)
	inFold := func(d *learn.Dataset, train []int) *learn.Encoder {
		return learn.FitEncoderMin(d, train, minLevelCount)
	}
	if err := learn.CheckNoLeak(d, folds, inFold); err != nil {
		t.Errorf("the encoder Compare and Train fit per fold leaks: %v", err)
	}
	leaky := func(d *learn.Dataset, _ []int) *learn.Encoder {
		return learn.FitEncoderMin(d, seqInts(len(d.Y)), minLevelCount)
	}
	if err := learn.CheckNoLeak(d, folds, leaky); err == nil || !strings.Contains(err.Error(), "_rate") {
		t.Errorf("rates fitted on every lead: err = %v; want the city or service rate caught", err)
	}
}

func TestBundlesOfOtherFieldListsLoad(t *testing.T) {
	old, _, hist := mustTrain(t) // the production fields
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	stored := &learn.ForestParams{} // the field lists are the subject, not the tuning
	wide, _, err := Train(ex, TrainOptions{Trees: 10, Folds: 3, Seed: 1, Min: DefaultMinHistory(), Forest: stored,
		Fields: append(append([]learn.Column(nil), leadFields...), candidateFields...)})
	if err != nil {
		t.Fatal(err)
	}
	narrow, _, err := Train(ex, TrainOptions{Trees: 10, Folds: 3, Seed: 1, Min: DefaultMinHistory(), Forest: stored, Fields: leadFields[:3]})
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string]*Bundle{"production fields": old, "with conversation fields": wide, "an older, shorter list": narrow} {
		src := &fakeSource{}
		src.set(1, mustEncode(t, b), nil)
		a := NewActive(src, nil, DefaultMinHistory(), "es")
		if err := a.Load(context.Background()); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		s := a.Score(hist[0].Lead)
		if s.Model != "forest:1" || s.Probability <= 0 || s.Probability >= 1 {
			t.Errorf("%s: score %+v", name, s)
		}
	}
	// A bundle naming a field this build cannot compute, or computing a
	// known one another way, is refused with the reason; the rules stay.
	refused := map[string][]byte{
		"unknown field": damaged(t, mustEncode(t, old), func(m map[string]any) {
			m["schema"].(map[string]any)["encoder"].(map[string]any)["inputs"].([]any)[0].(map[string]any)["name"] = "answer_speed_v9"
		}),
		"known field, other kind": damaged(t, mustEncode(t, old), func(m map[string]any) {
			m["schema"].(map[string]any)["encoder"].(map[string]any)["inputs"].([]any)[0].(map[string]any)["kind"] = "categorical"
		}),
	}
	for name, body := range refused {
		src := &fakeSource{}
		src.set(1, body, nil)
		a := NewActive(src, nil, DefaultMinHistory(), "es")
		err := a.Load(context.Background())
		if !errors.Is(err, ErrInvalidBundle) || !strings.Contains(err.Error(), "this build") {
			t.Errorf("%s: Load = %v; want a clear refusal", name, err)
		}
		if got := a.Score(hist[0].Lead).Model; got != "rules" {
			t.Errorf("%s: scored by %q; want the rules", name, got)
		}
	}
}
