package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// benchStore returns a closed store file with the demo's 20,000-lead
// history, the size `serve --demo` starts with.
func benchStore(b *testing.B) string {
	b.Helper()
	s, path := mustOpen(b)
	if err := s.InsertSyntheticLeads(context.Background(), 20000, t0); err != nil {
		b.Fatal(err)
	}
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
	return path
}

func reportSize(b *testing.B, path string) {
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MiB")
}

// BenchmarkBackup is `cis backup`: VACUUM INTO plus the full integrity_check.
func BenchmarkBackup(b *testing.B) {
	path := benchStore(b)
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	dir := b.TempDir()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Backup(context.Background(), filepath.Join(dir, fmt.Sprintf("b%d.db", i))); err != nil {
			b.Fatal(err)
		}
	}
	reportSize(b, path)
}

// BenchmarkStartupCheck is what Open adds to every start: header, quick_check
// and the migration record, through a read-only handle.
func BenchmarkStartupCheck(b *testing.B) {
	path := benchStore(b)
	opt := Options{}.withDefaults()
	for b.Loop() {
		if err := preflight(context.Background(), path, opt); err != nil {
			b.Fatal(err)
		}
	}
	reportSize(b, path)
}
