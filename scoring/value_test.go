package scoring

import (
	"math"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

func TestDealValuesShrinkTowardTheParent(t *testing.T) {
	m := func(v int64) flow.Budget { return flow.Budget{MinCOP: v, MaxCOP: v} }
	var deals []Deal
	// 30 ads deals at 1.5 M budget worth 6 M each; 10 seo deals at 500k worth 2 M; one lost-revenue row ignored.
	for range 30 {
		deals = append(deals, Deal{Service: "ads", Budget: m(1_500_000), RevenueCOP: 6_000_000})
	}
	for range 10 {
		deals = append(deals, Deal{Service: "seo", Budget: m(500_000), RevenueCOP: 2_000_000})
	}
	deals = append(deals, Deal{Service: "web", Budget: m(9_000_000), RevenueCOP: 0})
	dv := FitDealValues(deals)
	overall := (30*6e6 + 10*2e6) / 40.0 // 5 M
	ads := (30*6e6 + 20*overall) / 50   // 5.6 M
	seo := (10*2e6 + 20*overall) / 30   // 4 M
	adsCell := (30*6e6 + 20*ads) / 50   // 5.84 M
	seoCell := (10*2e6 + 20*seo) / 30   // 3.333… M
	tests := []struct {
		service string
		b       flow.Budget
		want    float64
	}{
		{"ads", m(1_500_000), adsCell},
		{"ads", m(5_000_000), ads},        // band never seen: the service
		{"seo", m(400_000), seoCell},      // same band (<1M)
		{"branding", m(400_000), overall}, // service never seen: the overall mean
		{"seo", flow.Budget{Unknown: true}, seo},
	}
	for _, tt := range tests {
		if got := dv.Deal(tt.service, tt.b); math.Abs(got-tt.want) > 1e-6 {
			t.Errorf("Deal(%s, %v) = %.2f; want %.2f", tt.service, tt.b, got, tt.want)
		}
	}
	if got := dv.Expected(0.25, "ads", m(1_500_000)); got != 1_460_000 {
		t.Errorf("Expected(0.25, ads) = %d; want 1460000", got)
	}
	if FitDealValues(nil) != nil || (*DealValues)(nil).Deal("ads", m(1)) != 0 {
		t.Error("no deals: want a nil table that values every deal at 0")
	}
}

func TestSpearman(t *testing.T) {
	tests := []struct {
		a, b []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		{[]float64{1, 2, 3}, []float64{0, 0, 0}, 0},
		// ranks a = 1, 2.5, 2.5, 4; b = 1, 2, 3, 4 → r = 4.5 / √(4.5·5) = 0.9487
		{[]float64{1, 2, 2, 3}, []float64{1, 2, 3, 4}, 4.5 / math.Sqrt(4.5*5)},
	}
	for _, tt := range tests {
		if got := spearman(tt.a, tt.b); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("spearman(%v, %v) = %.4f; want %.4f", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCheckLeadValueOnTheDemoHistory(t *testing.T) {
	_, _, hist := mustTrain(t)
	ex := make([]ValueExample, len(hist))
	for i, h := range hist {
		ex[i] = ValueExample{Example{Lead: h.Lead, Converted: h.Converted}, h.RevenueCOP}
	}
	// A stored forest setting: the value check is under test, not the tuning.
	vc, err := CheckLeadValue(ex, 0.2, TrainOptions{Trees: 30, Folds: 3, Seed: 1, Min: DefaultMinHistory(),
		Forest: &learn.ForestParams{}, Now: func() time.Time { return testEnd }})
	if err != nil {
		t.Fatal(err)
	}
	if vc.Test != len(ex)-int(float64(len(ex))*0.8) || len(vc.Deciles) != 10 || !vc.From.Before(vc.Until) {
		t.Fatalf("check = %+v", vc)
	}
	// The demo's effects are real, so ranking by expected value must beat
	// chance and the totals must be of the same order.
	if vc.Spearman <= 0.1 || vc.RatioPredicted < 0.5 || vc.RatioPredicted > 2 || vc.TopDecileShare <= 0.1 {
		t.Errorf("predicted %d vs realised %d (ratio %.2f), Spearman %.3f, top decile %.2f of revenue",
			vc.PredictedCOP, vc.RealisedCOP, vc.RatioPredicted, vc.Spearman, vc.TopDecileShare)
	}
}
