package scoring

import (
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
)

// benchModel is the production model Train gives for 5,000 demo leads
// (forests of at most 300 trees), saved and loaded as the server does.
// It is trained once per test binary: the nested tuning makes a training
// cost minutes on the loaded machine, and -count repeats the benchmarks.
func benchModel(b *testing.B) (*Model, []demo.Lead) {
	b.Helper()
	bench.once.Do(func() { bench.m, bench.hist, bench.err = trainBenchModel() })
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	b.Logf("model: %s, calibration %s", bench.m.Bundle.Setting(), bench.m.Bundle.calMethod())
	return bench.m, bench.hist
}

var bench struct {
	once sync.Once
	m    *Model
	hist []demo.Lead
	err  error
}

func trainBenchModel() (*Model, []demo.Lead, error) {
	places, err := place.Load()
	if err != nil {
		return nil, nil, err
	}
	hist := demo.History(places, 5000, testEnd, 2)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	bundle, _, err := Train(ex, TrainOptions{Trees: 300, Folds: 2, Seed: 2, Min: DefaultMinHistory(), Now: func() time.Time { return testEnd }})
	if err != nil {
		return nil, nil, err
	}
	body, err := bundle.Encode()
	if err != nil {
		return nil, nil, err
	}
	loaded, err := DecodeBundle(body) // score with the saved form, as the server does
	if err != nil {
		return nil, nil, err
	}
	m, err := NewModel(1, loaded)
	return m, hist, err
}

// BenchmarkScoreLead: one lead through features, the production model
// Train gives for 5,000 demo leads (tuned forest of at most 300 trees, and
// the forest-first blend when the comparison chooses it) and the
// calibration, as the server scores a finished conversation. Target ≤ 5 µs
// and no allocation (docs/benchmarks.md).
func BenchmarkScoreLead(b *testing.B) {
	m, hist := benchModel(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Probability(hist[i%len(hist)].Lead)
		i++
	}
}

// BenchmarkExplainLead: the same plus per-field contributions along every
// tree's path, in words. Target ≤ 200 µs.
func BenchmarkExplainLead(b *testing.B) {
	m, hist := benchModel(b)
	b.ResetTimer()
	i := 0
	for b.Loop() {
		m.Score(hist[i%len(hist)].Lead)
		i++
	}
}
