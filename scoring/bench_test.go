package scoring

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// benchModel is the production model Train gives for 5,000 demo leads
// (forests of at most 300 trees), saved and loaded as the server does.
func benchModel(b *testing.B) (*Model, []DemoLead) {
	b.Helper()
	places, err := flow.LoadPlaces()
	if err != nil {
		b.Fatal(err)
	}
	hist := GenerateHistory(places, 5000, testEnd, 2)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = h.Example
	}
	bundle, _, err := Train(ex, TrainOptions{Trees: 300, Folds: 2, Seed: 2, Min: DefaultMinHistory, Now: func() time.Time { return testEnd }})
	if err != nil {
		b.Fatal(err)
	}
	body, err := bundle.Encode()
	if err != nil {
		b.Fatal(err)
	}
	loaded, err := DecodeBundle(body) // score with the saved form, as the server does
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("model: %s, calibration %s", loaded.Setting(), loaded.calMethod())
	m, err := NewModel(1, loaded)
	if err != nil {
		b.Fatal(err)
	}
	return m, hist
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
