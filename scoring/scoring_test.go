package scoring

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/learn"
)

var testEnd = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)

var (
	trainOnce   sync.Once
	trained     *Bundle
	trainReport *learn.Report
	trainErr    error
	history     []demo.Lead
)

// mustTrain trains one small model on a demo history, shared by the tests
// (forests of 30 trees on 2,000 leads, 3 folds: a few seconds).
func mustTrain(tb testing.TB) (*Bundle, *learn.Report, []demo.Lead) {
	tb.Helper()
	trainOnce.Do(func() {
		places, err := place.Load()
		if err != nil {
			trainErr = err
			return
		}
		history = demo.History(places, 2000, testEnd, 1)
		ex := make([]Example, len(history))
		for i, h := range history {
			ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
		}
		// A stored forest setting: tuning in every fold would cost minutes
		// under -race; TestTrainStoresTheTuning tunes its own small model.
		trained, trainReport, trainErr = Train(ex, TrainOptions{Trees: 30, Folds: 3, Seed: 1, Min: DefaultMinHistory(),
			Forest: &learn.ForestParams{}, Now: func() time.Time { return testEnd }})
	})
	if trainErr != nil {
		tb.Fatal(trainErr)
	}
	return trained, trainReport, history
}

func mustEncode(tb testing.TB, b *Bundle) []byte {
	tb.Helper()
	body, err := b.Encode()
	if err != nil {
		tb.Fatal(err)
	}
	return body
}

func TestTrainedModelRanksAndTiersAreOrdered(t *testing.T) {
	b, rep, _ := mustTrain(t)
	for _, r := range rep.Results {
		floor := 0.6 // every family must rank clearly better than chance
		if strings.HasPrefix(r.Name, learn.ProductionModel) {
			floor = 0.65
		}
		if r.Mean.ROCAUC < floor {
			t.Errorf("%s: CV ROC AUC %.3f; want ≥ %.2f on the demo history", r.Name, r.Mean.ROCAUC, floor)
		}
	}
	var cal, raw learn.Result
	for _, r := range b.Metrics {
		switch r.Name {
		case learn.CalibratedModel:
			cal = r
		case learn.ProductionModel:
			raw = r
		}
	}
	if cal.Mean.Brier > raw.Mean.Brier {
		t.Errorf("selected model's Brier %.5f; want no worse than the uncalibrated forest's %.5f", cal.Mean.Brier, raw.Mean.Brier)
	}
	if cal.Mean.Brier < raw.Mean.Brier && b.Calibration.Method == "identity" {
		t.Errorf("calibration improved Brier but the bundle stores the identity")
	}
	if tiers := cal.Tiers; len(tiers) != 3 || !(tiers[0].Rate > tiers[1].Rate && tiers[1].Rate > tiers[2].Rate) {
		t.Errorf("out-of-fold tiers %+v; want decreasing conversion hot > warm > cold", tiers)
	}
	if !b.Thresholds.ordered() || b.Thresholds.Hot <= b.Thresholds.Warm {
		t.Errorf("thresholds %+v; want 0 ≤ warm < hot ≤ 1", b.Thresholds)
	}
}

func TestBundleRoundTrip(t *testing.T) {
	b, _, hist := mustTrain(t)
	body := mustEncode(t, b)
	d1, err := DecodeBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	body2 := mustEncode(t, d1)
	d2, err := DecodeBundle(body2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body2, mustEncode(t, d2)) {
		t.Error("encode → decode → encode changed the bytes")
	}
	mem, err := NewModel(0, b)
	if err != nil {
		t.Fatal(err)
	}
	m1, _ := NewModel(1, d1)
	m2, _ := NewModel(2, d2)
	for i, h := range hist[:300] {
		p0, _ := mem.Probability(h.Lead)
		p1, c1 := m1.Probability(h.Lead)
		p2, c2 := m2.Probability(h.Lead)
		if p1 != p2 || c1 != c2 {
			t.Fatalf("lead %d: decoded bundles disagree: %v %s vs %v %s", i, p1, c1, p2, c2)
		}
		// Saved floats are rounded to 5 decimals; isotonic steps can magnify that a little.
		if math.Abs(p0-p1) > 1e-3 {
			t.Errorf("lead %d: in memory %v, after save %v", i, p0, p1)
		}
	}
}

func TestFeaturesEncodeLeads(t *testing.T) {
	b, _, hist := mustTrain(t)
	s := &b.Schema
	col := func(name string) int {
		for j, c := range s.Columns {
			if c == name {
				return j
			}
		}
		t.Fatalf("no column %q in %v", name, s.Columns)
		return -1
	}
	medellin := hist[0].Lead
	for _, h := range hist {
		if h.Lead.City.Name == "Medellín" && !h.Lead.Budget.Unknown {
			medellin = h.Lead
			break
		}
	}
	tests := []struct {
		name  string
		lead  flow.Lead
		check func(x []float64) string
	}{
		{"known city one-hot", medellin, func(x []float64) string {
			if x[col("city="+medellin.City.Code)] != 1 {
				return "city column not set"
			}
			return ""
		}},
		{"unseen city and service pool as other or nothing", flow.Lead{City: flow.City{Code: "99999", Name: "Nueva"}, Service: "drones", Urgency: flow.Immediate}, func(x []float64) string {
			for j, c := range s.Columns {
				if strings.HasPrefix(c, "city=") && c != "city=(other)" && x[j] != 0 {
					return "unseen city set " + c
				}
			}
			return ""
		}},
		{"missing everything takes medians", flow.Lead{}, func(x []float64) string {
			if x[col("budget")] != s.Encoder.Medians[0] || x[col("urgency")] != s.Encoder.Medians[2] {
				return "missing numeric values not imputed with the training median"
			}
			return ""
		}},
		{"unknown budget flag", flow.Lead{Budget: flow.Budget{Unknown: true}}, func(x []float64) string {
			if x[col("budget_unknown")] != 1 {
				return "budget_unknown not set"
			}
			return ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := Features(tt.lead, s)
			if len(x) != len(s.Columns) {
				t.Fatalf("Features gave %d values; schema has %d columns", len(x), len(s.Columns))
			}
			if msg := tt.check(x); msg != "" {
				t.Errorf("Features(%+v): %s", tt.lead, msg)
			}
			m, _ := NewModel(1, b)
			if p, _ := m.Probability(tt.lead); p < 0 || p > 1 || math.IsNaN(p) {
				t.Errorf("Probability = %v; want a probability", p)
			}
		})
	}
}

func TestExplanationsAddUpToTheScore(t *testing.T) {
	b, _, hist := mustTrain(t)
	for _, lang := range []string{"es", "en"} {
		m, _ := NewModel(1, b)
		m.Lang = lang
		for i, h := range hist[:500] {
			p, class, reasons := m.Explain(h.Lead)
			var sum float64
			for _, r := range reasons {
				sum += r.Weight
				if r.Value == "" {
					t.Fatalf("%s lead %d: reason %q without words", lang, i, r.Feature)
				}
			}
			if math.Abs(sum-p) > 1e-9 {
				t.Fatalf("%s lead %d: reasons add up to %v; probability %v (%+v)", lang, i, sum, p, reasons)
			}
			if q, c := m.Probability(h.Lead); math.Abs(q-p) > 1e-12 || c != class {
				t.Fatalf("lead %d: Explain %v %s, Probability %v %s", i, p, class, q, c)
			}
		}
	}
}

// fakeSource is a bundle source whose answer the test changes.
type fakeSource struct {
	mu   sync.Mutex
	id   int64
	body []byte
	err  error
}

func (f *fakeSource) set(id int64, body []byte, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.id, f.body, f.err = id, body, err
}

func (f *fakeSource) ActiveBundle(context.Context) (int64, []byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.id, f.body, f.err
}

func gz(tb testing.TB, data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

// damaged returns the bundle's JSON with edit applied, gzip'd again.
func damaged(tb testing.TB, body []byte, edit func(map[string]any)) []byte {
	tb.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	var v map[string]any
	if err := json.NewDecoder(zr).Decode(&v); err != nil {
		tb.Fatal(err)
	}
	edit(v)
	raw, _ := json.Marshal(v)
	return gz(tb, raw)
}

func TestCorruptBundleKeepsTheCurrentScorer(t *testing.T) {
	b, _, hist := mustTrain(t)
	good := mustEncode(t, b)
	corrupt := []struct {
		name string
		body []byte
	}{
		{"not gzip", []byte("hello")},
		{"truncated", good[:len(good)/2]},
		{"bad json", gz(t, []byte(`{"format":1,`))},
		{"future format", damaged(t, good, func(v map[string]any) { v["format"] = 3 })},
		{"format 2 without a blend", damaged(t, good, func(v map[string]any) { v["format"] = 2; delete(v, "blend") })},
		{"no trees", damaged(t, good, func(v map[string]any) { v["forest"].(map[string]any)["trees"] = []any{} })},
		{"dangling node id", damaged(t, good, func(v map[string]any) {
			tree := v["forest"].(map[string]any)["trees"].([]any)[0].(map[string]any)
			for _, n := range tree["nodes"].([]any) {
				if nd := n.(map[string]any); nd["branch0"].(float64) >= 0 {
					nd["branch0"] = 99999
				}
			}
		})},
		{"schema narrower than forest", damaged(t, good, func(v map[string]any) {
			s := v["schema"].(map[string]any)
			s["columns"] = s["columns"].([]any)[1:]
		})},
		{"thresholds reversed", damaged(t, good, func(v map[string]any) { v["thresholds"] = map[string]any{"hot": 0.1, "warm": 0.5} })},
	}
	lead := hist[0].Lead
	for _, start := range []string{"rules", "model"} {
		for _, c := range corrupt {
			t.Run(start+"/"+c.name, func(t *testing.T) {
				src := &fakeSource{}
				a := NewActive(src, nil, DefaultMinHistory(), "es")
				want := "rules"
				if start == "model" {
					src.set(1, good, nil)
					if err := a.Load(context.Background()); err != nil {
						t.Fatal(err)
					}
					want = "forest:1"
				}
				src.set(2, c.body, nil)
				err := a.Load(context.Background())
				if !errors.Is(err, ErrInvalidBundle) {
					t.Errorf("Load = %v; want ErrInvalidBundle", err)
				}
				if got := a.Score(lead).Model; got != want {
					t.Errorf("after a bad bundle Score uses %q; want %q kept", got, want)
				}
				if !strings.Contains(a.Status(), "invalid model bundle") {
					t.Errorf("Status = %q; want the reason shown", a.Status())
				}
			})
		}
	}
}

func TestNotEnoughHistoryKeepsRules(t *testing.T) {
	_, _, hist := mustTrain(t)
	ex := make([]Example, 150)
	for i := range ex {
		ex[i] = Example{Lead: hist[i].Lead, Converted: hist[i].Converted}
	}
	if _, _, err := Train(ex, TrainOptions{Trees: 5, Min: DefaultMinHistory()}); !errors.Is(err, ErrNotEnoughHistory) {
		t.Errorf("Train on 150 leads = %v; want ErrNotEnoughHistory", err)
	}
	b, _, _ := mustTrain(t)
	src := &fakeSource{}
	src.set(1, mustEncode(t, b), nil)
	a := NewActive(src, nil, MinHistory{Leads: b.Rows + 1, Conversions: 1}, "es")
	if err := a.Load(context.Background()); !errors.Is(err, ErrNotEnoughHistory) {
		t.Errorf("Load with a higher minimum = %v; want ErrNotEnoughHistory", err)
	}
	if got := a.Score(hist[0].Lead).Model; got != "rules" {
		t.Errorf("Score uses %q; want rules", got)
	}
}

// Scoring goroutines run while models are swapped; run with -race.
func TestHotSwapUnderConcurrentScoring(t *testing.T) {
	b, _, hist := mustTrain(t)
	good := mustEncode(t, b)
	src := &fakeSource{}
	a := NewActive(src, nil, DefaultMinHistory(), "en")
	var wg sync.WaitGroup
	stop := make(chan struct{})
	seen := make([]map[string]bool, 4)
	for g := range seen {
		seen[g] = map[string]bool{}
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				s := a.Score(hist[i%len(hist)].Lead)
				if s.Class == "" || s.Probability < 0 || s.Probability > 1 {
					t.Errorf("bad score %+v", s)
					return
				}
				seen[g][s.Model] = true
			}
		})
	}
	for i := int64(1); i <= 20; i++ {
		switch i % 3 {
		case 0:
			src.set(i, []byte("corrupt"), nil)
		default:
			src.set(i, good, nil)
		}
		a.Load(context.Background())
	}
	close(stop)
	wg.Wait()
	if cur := a.Current(); cur == nil || cur.Version != "forest:20" {
		t.Errorf("current model %v; want forest:20", cur)
	}
}
