package store

import (
	"context"
	"path/filepath"
	"testing"
)

// BenchmarkStoreCopy copies a store of 20,000 made-up leads (with their
// contacts and conversations, about 60,000 rows) into a fresh PostgreSQL
// schema per iteration, verification included (docs/benchmarks.md):
//
//	CIS_TEST_PG=… go test ./store -run '^$' -bench StoreCopy -benchtime 3x
func BenchmarkStoreCopy(b *testing.B) {
	saved := testRedirect
	testRedirect = nil
	defer func() { testRedirect = saved }()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "cis.db")
	s, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InsertSyntheticLeads(ctx, 20_000, pgT0); err != nil {
		b.Fatal(err)
	}
	s.Close()
	var rows int64
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		to := pgEngine(b)
		b.StartTimer()
		rep, err := CopyToPostgres(ctx, path, to.db, CopyOptions{})
		if err != nil {
			b.Fatal(err)
		}
		rows = rep.Rows()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
