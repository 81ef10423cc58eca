package scoring

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
)

// benchModel is a 300-tree production model trained on 5,000 demo leads.
func benchModel(b *testing.B) (*Model, []DemoLead) {
	b.Helper()
	places, err := place.Load()
	if err != nil {
		b.Fatal(err)
	}
	hist := GenerateHistory(places, 5000, testEnd, 2)
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = h.Example
	}
	bundle, _, err := Train(ex, TrainOptions{Trees: 300, Folds: 2, Seed: 2, Min: DefaultMinHistory(), Now: func() time.Time { return testEnd }})
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
	m, err := NewModel(1, loaded)
	if err != nil {
		b.Fatal(err)
	}
	return m, hist
}

// BenchmarkScoreLead: one lead through features, the 300-tree forest and
// the calibration, as the server scores a finished conversation. Target
// ≤ 20 µs.
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
