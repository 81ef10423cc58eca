package learn

import "testing"

// BenchmarkCompactPredict walks a 300-tree library forest (depth ≤ 10) for
// one row: the forest part of scoring a lead.
func BenchmarkCompactPredict(b *testing.B) {
	X, y, _ := synthetic(5000, 5)
	f := &Forest{Trees: 300}
	if err := f.Fit(X, y); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		f.Compact.Predict(X[i%len(X)])
		i++
	}
}
