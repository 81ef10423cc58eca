package insight

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

func TestROIHandComputed(t *testing.T) {
	facts := []store.CampaignFacts{
		{Campaign: store.Campaign{Key: "fb", Name: "FB", Channel: "facebook"}, Known: true, SpendCOP: 250_000, Leads: 3, ByClass: [4]int{1, 1, 1, 0}, Won: 1, Lost: 1, RevenueCOP: 1_000_000},
		{Campaign: store.Campaign{Key: "ig", Name: "IG", Channel: "facebook"}, Known: true, SpendCOP: 100_000, Leads: 4, Won: 0, Lost: 4},
		{Campaign: store.Campaign{Key: "gs", Name: "GS", Channel: "google"}, Known: true, SpendCOP: 1_500_000, Leads: 2, ByClass: [4]int{0, 0, 0, 2}, Won: 1, Lost: 1, RevenueCOP: 2_000_000},
		{Campaign: store.Campaign{Key: "ref", Name: "ref"}, Leads: 0},
	}
	camps, chans := Campaigns(facts)
	want := []struct {
		key           string
		cpl, cpa, roi Ratio
	}{
		{"fb", Ratio{83_333, true}, Ratio{250_000, true}, Ratio{3, true}}, // 250.000/3 = 83.333,3 → 83.333; (1.000.000−250.000)/250.000
		{"ig", Ratio{25_000, true}, Ratio{}, Ratio{-1, true}},             // no customer: no CPA; all spend lost
		{"gs", Ratio{750_000, true}, Ratio{1_500_000, true}, Ratio{1.0 / 3, true}},
		{"ref", Ratio{}, Ratio{}, Ratio{}}, // nothing spent, no leads: "—" everywhere
	}
	for i, w := range want {
		c := camps[i]
		if c.Key != w.key || c.CPL != w.cpl || c.CPA != w.cpa || c.ROI.OK != w.roi.OK || math.Abs(c.ROI.V-w.roi.V) > 1e-12 {
			t.Errorf("%s: CPL %v CPA %v ROI %v; want %v %v %v", c.Key, c.CPL, c.CPA, c.ROI, w.cpl, w.cpa, w.roi)
		}
	}
	// Channels by spend: google 1.500.000, facebook 350.000, "" 0.
	if len(chans) != 3 || chans[0].Key != "google" || chans[1].Key != "facebook" || chans[2].Key != "" {
		t.Fatalf("channels %+v", chans)
	}
	fb := chans[1]
	// facebook: 7 leads, 1 won, revenue 1.000.000, spend 350.000: CPL 50.000, CPA 350.000, ROI 650.000/350.000.
	if fb.Leads != 7 || fb.Won != 1 || fb.CPL.V != 50_000 || fb.CPA.V != 350_000 || math.Abs(fb.ROI.V-650.0/350) > 1e-12 || math.Abs(fb.Conversion.V-1.0/6) > 1e-12 {
		t.Errorf("facebook channel %+v", fb)
	}
	// Half a peso rounds up: 5 / 2 = 2,5 → 3.
	if r := pesosPer(5, 2); r.V != 3 {
		t.Errorf("pesosPer(5, 2) = %v; want 3", r.V)
	}
}

// knownOutcomes: four closed predictions in January and four in February.
// January: p 0.9 won, 0.7 lost, 0.6 won, 0.2 lost → AUC 3/4 (won 0.9 beats
// both lost; won 0.6 beats 0.2 only). February: 0.8 won, 0.5 won, 0.5 lost,
// 0.1 lost → AUC (2 + 1.5) / 4 = 0.875 (0.5 vs 0.5 is a tie).
var knownOutcomes = []store.Outcomes{
	{Month: "2026-01", Model: "m", Class: "hot", PerMille: 900, Pos: 1},
	{Month: "2026-01", Model: "m", Class: "hot", PerMille: 700, Neg: 1},
	{Month: "2026-01", Model: "m", Class: "warm", PerMille: 600, Pos: 1},
	{Month: "2026-01", Model: "m", Class: "cold", PerMille: 200, Neg: 1},
	{Month: "2026-02", Model: "m", Class: "hot", PerMille: 800, Pos: 1},
	{Month: "2026-02", Model: "m", Class: "warm", PerMille: 500, Pos: 1, Neg: 1},
	{Month: "2026-02", Model: "m", Class: "cold", PerMille: 100, Neg: 1},
}

func TestAccuracyOnKnownOutcomes(t *testing.T) {
	a := Evaluate(knownOutcomes, Thresholds{Hot: 0.65, Warm: 0.4})
	if a.N != 8 || a.Pos != 4 {
		t.Fatalf("N %d Pos %d; want 8, 4", a.N, a.Pos)
	}
	if len(a.Periods) != 2 || a.Periods[0].AUC != 0.75 || a.Periods[1].AUC != 0.875 {
		t.Errorf("periods %+v; want AUC 0.75 then 0.875", a.Periods)
	}
	// All eight: pairs won>lost: 0.9 beats 4, 0.8 beats 4, 0.6 beats 3 (0.5,0.2,0.1),
	// 0.5 beats 2 and ties 1 → (4+4+3+2.5)/16.
	if want := 13.5 / 16; math.Abs(a.AUC-want) > 1e-12 {
		t.Errorf("AUC %v; want %v", a.AUC, want)
	}
	// Tiers by probability: hot ≥ 0.65 {0.9 won, 0.7 lost, 0.8 won}, warm ≥ 0.4
	// {0.6 won, 0.5 won, 0.5 lost}, cold {0.2 lost, 0.1 lost}.
	if want := [3][2]int{{2, 1}, {2, 1}, {0, 2}}; a.Confusion != want {
		t.Errorf("confusion %v; want %v", a.Confusion, want)
	}
	// Stored classes: hot 2/3, warm 2/3, cold 0/2.
	if len(a.Classes) != 3 || a.Classes[0].Pos != 2 || a.Classes[0].N != 3 || a.Classes[2].Rate.V != 0 {
		t.Errorf("classes %+v", a.Classes)
	}
	if math.Abs(a.Periods[0].MeanP-0.6) > 1e-12 || a.Periods[0].Rate != 0.5 {
		t.Errorf("January mean p %v rate %v; want 0.6, 0.5", a.Periods[0].MeanP, a.Periods[0].Rate)
	}
	// Calibration, 10 bins, lowest first: 0.1 | 0.2 | 0.5 ×2 | 0.6 | 0.7 | 0.8 | 0.9.
	if len(a.Calibration) != 7 || a.Calibration[2].N != 2 || a.Calibration[2].Observed != 0.5 || a.Calibration[6].Predicted != 0.9 {
		t.Errorf("calibration %+v", a.Calibration)
	}
	if a.HotNotBest {
		t.Error("hot flagged below warm on 3 cases; the minimum is MinClass")
	}
}

func TestHotNotBestAndLiveDrop(t *testing.T) {
	obs := []store.Outcomes{
		{Month: "2026-03", Class: "hot", PerMille: 700, Pos: 5, Neg: 95},
		{Month: "2026-03", Class: "warm", PerMille: 450, Pos: 30, Neg: 70},
		{Month: "2026-03", Class: "cold", PerMille: 100, Pos: 10, Neg: 90},
	}
	if a := Evaluate(obs, Thresholds{0.6, 0.3}); !a.HotNotBest {
		t.Error("hot converting 5 % below warm's 30 % is not flagged")
	}
	// Live AUC: pos 45, neg 255. Pairs: hot pos (5) beat warm+cold neg (160) = 800,
	// tie hot neg 95 × 0.5 = 237.5; warm pos (30) beat cold neg 90 = 2700, tie 70 ×
	// 0.5 = 1050; cold pos (10) tie 90 × 0.5 = 450 → 5237.5 / 11475.
	d := LiveDrop(obs, 0.75)
	want := 5237.5 / 11475
	if !d.Flag || math.Abs(d.Live-want) > 1e-12 || d.N != 300 {
		t.Errorf("drop %+v; want flagged, live %v on 300", d, want)
	}
	if d := LiveDrop(obs, want+Margin); d.Flag {
		t.Errorf("a drop of exactly the margin is flagged: %+v", d)
	}
	if d := LiveDrop(obs[:1], 0.9); d.Flag || !math.IsNaN(d.Live) {
		t.Errorf("a single outcome class cannot be judged: %+v", d)
	}
}

func TestStats(t *testing.T) {
	// Wilson 95 % for 8/10: 0.4902 – 0.9433 (textbook value).
	lo, hi := learn.Wilson(8, 10)
	if math.Abs(lo-0.4902) > 1e-4 || math.Abs(hi-0.9433) > 1e-4 {
		t.Errorf("Wilson(8,10) = %v, %v", lo, hi)
	}
	// 60/100 vs 40/100: pooled p 0.5, se sqrt(0.25·0.02) = 0.0707, z = 2.828.
	if z := TwoProportionZ(60, 100, 40, 100); math.Abs(z-0.2/math.Sqrt(0.005)) > 1e-12 {
		t.Errorf("z = %v", z)
	}
	if p := PSI(map[string]int{"a": 50, "b": 50}, map[string]int{"a": 50, "b": 50}); p != 0 {
		t.Errorf("PSI of equal distributions = %v", p)
	}
	// 0.5/0.5 → 0.8/0.2: (0.3)ln(1.6) + (−0.3)ln(0.4).
	if p := PSI(map[string]int{"a": 50, "b": 50}, map[string]int{"a": 80, "b": 20}); math.Abs(p-(0.3*math.Log(1.6)-0.3*math.Log(0.4))) > 1e-12 {
		t.Errorf("PSI = %v", p)
	}
}

// triggerFacts builds facts on which every rule fires once; scale divides
// the sample sizes, so scale > 1 puts each rule just below its minimum.
func triggerFacts(scale int) Facts {
	d := func(n int) int { return n / scale }
	f := Facts{Now: time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC), WeekStart: "2026-03-16", ChurnMin: 0.5}
	f.Campaigns = []ROI{NewROI(store.CampaignFacts{Campaign: store.Campaign{Key: "fb", Name: "Facebook marzo"}, SpendCOP: 5_000_000,
		Leads: d(MinCampaign), Won: 1, Lost: d(MinCampaign) - 1, RevenueCOP: 1_000_000})}
	f.SLA = []store.ClassSLA{{Class: "hot", Leads: d(MinSLA), Contacted: d(MinSLA), Late: d(MinSLA) / 2}}
	// City: Medellín converts 30 % (on MinGroup + MinDrift/5 leads: 140), the
	// rest 10 % (560), with the same city mix in January and March.
	f.Dims = append(f.Dims,
		store.DimMonth{Month: "2026-01", Dim: "city", Value: "Medellín", N: d(MinGroup), Won: d(MinGroup) * 3 / 10},
		store.DimMonth{Month: "2026-01", Dim: "city", Value: "Bogotá", N: d(4 * MinGroup), Won: d(4*MinGroup) / 10},
		store.DimMonth{Month: "2026-03", Dim: "city", Value: "Medellín", N: d(MinDrift) / 5, Won: d(MinDrift) / 5 * 3 / 10},
		store.DimMonth{Month: "2026-03", Dim: "city", Value: "Bogotá", N: d(MinDrift) * 4 / 5, Won: d(MinDrift) * 4 / 5 / 10},
	)
	// Drift: in 2026-03 the service mix flips from ads-heavy to web-heavy.
	f.Dims = append(f.Dims,
		store.DimMonth{Month: "2026-02", Dim: "service", Value: "ads", N: d(MinDrift) * 9 / 10},
		store.DimMonth{Month: "2026-02", Dim: "service", Value: "web", N: d(MinDrift) / 10},
		store.DimMonth{Month: "2026-03", Dim: "service", Value: "ads", N: d(MinDrift) / 10},
		store.DimMonth{Month: "2026-03", Dim: "service", Value: "web", N: d(MinDrift) * 9 / 10},
	)
	f.Churn = store.ChurnRisk{Scored: d(MinChurn), AtRisk: 3, MonthlyCOP: 4_500_000}
	f.Drop = Drop{Flag: true, Live: 0.6, Train: 0.75, N: d(MinLive), From: "2026-02"}
	// Staffing: evening leads (18:00) break half their promises with half an
	// advisor on shift; the morning's (9:00) none, with three.
	f.Hours[18] = store.HourStaff{Hour: 18, Leads: d(MinStaffing), Late: d(MinStaffing) / 2, OnShift: 0.5}
	f.Hours[9] = store.HourStaff{Hour: 9, Leads: d(MinStaffing), OnShift: 3}
	return f
}

func TestEachRuleFiresOnItsFixtureAndNotBelowItsMinimum(t *testing.T) {
	got := map[string][]Finding{}
	for _, x := range Run(triggerFacts(1), Rules()) {
		got[x.Rule] = append(got[x.Rule], x)
	}
	// The dashboard words findings (dashboard/insight_words.go): here, the
	// key of each sentence and the figures it shows.
	type want struct {
		key  string
		args []Arg // the leading ones
	}
	wantText := map[string]want{
		"group_conversion":      {"insight.group_conversion.above", []Arg{Word("insight.dim_title.city"), Text("Medellín"), Percent(0.3)}},
		"campaign_loses":        {"insight.campaign_loses", []Arg{Text("Facebook marzo"), Pesos(5_000_000)}},
		"sla_breaches":          {"insight.sla_breaches", []Arg{Text("2026-03-16"), Count(10), Count(20), Word("insight.class.hot"), Percent(0.5)}},
		"drift":                 {"insight.drift", []Arg{Text("2026-03"), Word("insight.dim.service")}},
		"live_model_drop":       {"insight.live_model_drop", []Arg{Decimal(0.6, 3)}},
		"churn_revenue_at_risk": {"insight.churn_revenue_at_risk", []Arg{Count(3), Count(20), Percent(0.5), Pesos(4_500_000)}},
		"staffing_hours":        {"insight.staffing_hours", []Arg{Text("18:00"), Text("21:00"), Count(10), Count(20), Percent(0.5)}},
	}
	for _, r := range Rules() {
		fs := got[r.Name]
		// With two cities each is the other's "rest": Bogotá below average is the mirror finding.
		if len(fs) == 0 || (len(fs) > 1 && r.Name != "group_conversion") {
			t.Errorf("%s: %d findings; want 1: %+v", r.Name, len(fs), fs)
			continue
		}
		w := wantText[r.Name]
		if fs[0].Key != w.key || len(fs[0].Args) < len(w.args) || !slices.Equal(fs[0].Args[:len(w.args)], w.args) {
			t.Errorf("%s: %q %+v; want %q starting with %+v", r.Name, fs[0].Key, fs[0].Args, w.key, w.args)
		}
	}
	if below := Run(triggerFacts(2), Rules()); len(below) != 0 {
		t.Errorf("below the minimum samples the rules still found %+v", below)
	}
	if none := Run(Facts{Now: time.Now()}, Rules()); len(none) != 0 {
		t.Errorf("no data, yet findings: %+v", none)
	}
}
