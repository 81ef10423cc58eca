package scoring

import (
	"errors"
	"io/fs"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
)

// benchModel is the production model Train gives for 5,000 demo leads
// (asked for 300 trees; the production forest keeps at most
// learn.MaxProductionTrees), saved and loaded as the server does.
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

// trainBenchModel trains the benchmarks' model, or, when
// $CIS_BENCH_BUNDLE names a file, loads the bundle saved there (saving it
// there first if the file does not exist yet). The library trains from the
// global math/rand, so every training gives a somewhat different forest; a
// saved bundle lets two builds (before and after a change) score the very
// same model (docs/benchmarks.md).
func trainBenchModel() (*Model, []demo.Lead, error) {
	places, err := place.Load()
	if err != nil {
		return nil, nil, err
	}
	hist := demo.History(places, 5000, testEnd, 2)
	path := os.Getenv("CIS_BENCH_BUNDLE")
	body, err := os.ReadFile(path)
	switch {
	case path == "" || errors.Is(err, fs.ErrNotExist):
		if body, err = benchBundle(hist); err != nil {
			return nil, nil, err
		}
		if path != "" {
			if err := os.WriteFile(path, body, 0o600); err != nil {
				return nil, nil, err
			}
		}
	case err != nil:
		return nil, nil, err
	}
	loaded, err := DecodeBundle(body) // score with the saved form, as the server does
	if err != nil {
		return nil, nil, err
	}
	m, err := NewModel(1, loaded)
	return m, hist, err
}

// benchBundle trains the benchmarks' model on hist and returns its saved
// form.
func benchBundle(hist []demo.Lead) ([]byte, error) {
	ex := make([]Example, len(hist))
	for i, h := range hist {
		ex[i] = Example{Lead: h.Lead, Converted: h.Converted}
	}
	bundle, _, err := Train(ex, TrainOptions{Trees: 300, Folds: 2, Seed: 2, Min: DefaultMinHistory(), Now: func() time.Time { return testEnd }})
	if err != nil {
		return nil, err
	}
	return bundle.Encode()
}

// BenchmarkScoreLead: one lead through features, the production model
// Train gives for 5,000 demo leads (tuned forest of at most
// learn.MaxProductionTrees = 160 trees, and the forest-first blend when the
// comparison chooses it) and the calibration, as the server scores a
// finished conversation. Target ≤ 5 µs and no allocation
// (docs/benchmarks.md).
func BenchmarkScoreLead(b *testing.B) {
	m, hist := benchModel(b)
	b.ResetTimer()
	defer reportCPU(b)()
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
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		m.Score(hist[i%len(hist)].Lead)
		i++
	}
}

// reportCPU reports the process's CPU time (user + system) per op as
// cpu-ns/op when the returned function runs. On the shared machine other
// processes stretch the wall time (ns/op) by taking turns on the two cores;
// the CPU time counts only this process's own turns, so two builds measured
// in the same busy minutes compare more fairly by it (docs/benchmarks.md).
func reportCPU(b *testing.B) func() {
	before := cpuTime()
	return func() {
		b.ReportMetric(float64(cpuTime()-before)/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime() int64 {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return u.Utime.Nano() + u.Stime.Nano()
}
