package learn

import (
	"os"
	"path/filepath"
	"testing"
)

// bankMarketing is the Bank Marketing file: $CIS_BANK_MARKETING_CSV, or
// the shared data folder next to a checkout of the project.
func bankMarketing(b *testing.B) string {
	if p := os.Getenv("CIS_BANK_MARKETING_CSV"); p != "" {
		return p
	}
	return filepath.Join("..", "..", "..", "shared", "data", "bank-marketing", "bank-additional-full.csv.gz")
}

// BenchmarkTrainForest trains the production forest (300 trees, library
// defaults) on all 41,188 Bank Marketing rows, duration dropped. Target
// ≤ 60 s on 2 cores (docs/benchmarks.md). Run with -benchtime=1x.
func BenchmarkTrainForest(b *testing.B) {
	f, err := os.Open(bankMarketing(b))
	if err != nil {
		b.Fatalf("Bank Marketing data not found next to the checkout (set CIS_BANK_MARKETING_CSV): %v", err)
	}
	t, err := ReadTable(f)
	f.Close()
	if err != nil {
		b.Fatal(err)
	}
	d, err := Prepare(t, "y", []string{"duration"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rows := seq(len(d.Y))
	X := FitEncoder(d, rows).Transform(d, rows)
	b.ResetTimer()
	for b.Loop() {
		m := &Forest{Trees: 300}
		if err := m.Fit(X, d.Y); err != nil {
			b.Fatal(err)
		}
	}
}
