package store

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// BenchmarkHandleBothEngines: whole conversations through the real flow and
// a committed store transaction each message, on SQLite (synchronous=FULL,
// the default) and on the PostgreSQL of CIS_TEST_PG, one prospect at a time
// and 32 at once (group commit on both). The figure that matters on a shared
// 2-core machine is the comparison, taken in one run; the durability of the
// PostgreSQL side is its cluster's (.ci/pg's throw-away cluster runs with
// fsync off: measure on one with fsync on, docs/benchmarks.md says how).
func BenchmarkHandleBothEngines(b *testing.B) {
	m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
	if err != nil {
		b.Fatal(err)
	}
	msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
	engines := map[string]func(b *testing.B) string{
		"sqlite": func(b *testing.B) string { return b.TempDir() + "/cis.db" },
		"postgres": func(b *testing.B) string {
			return pgEngine(b).db
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, parallel := range []int{1, 32} {
			b.Run(fmt.Sprintf("%s/prospects=%d", name, parallel), func(b *testing.B) {
				db := engines[name](b)
				s, err := Open(context.Background(), db, Options{})
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				var prospects atomic.Int64
				send := func(ctx context.Context, p int64, n int) {
					in := flow.Inbound{Channel: "chat", Account: "bench", ID: fmt.Sprintf("p%d-m%d", p, n),
						From: fmt.Sprintf("+57%d", p+int64(n/len(msgs))), Kind: flow.KindText, Text: msgs[n%len(msgs)], At: pgT0}
					if handled, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, pgT0) }); err != nil || !handled {
						b.Error(handled, err)
					}
				}
				var stmts atomic.Int64 // statements sent to PostgreSQL (round trips, BEGIN and COMMIT aside)
				if name == "postgres" {
					count := func(string) { stmts.Add(1) }
					pgTrace.Store(&count)
					defer pgTrace.Store(nil)
				}
				start := time.Now()
				if parallel == 1 {
					n := 0
					for b.Loop() {
						send(context.Background(), 1_000_000, n)
						n++
					}
				} else {
					b.SetParallelism(parallel / 2) // × GOMAXPROCS(2) goroutines
					b.RunParallel(func(pb *testing.PB) {
						p := prospects.Add(1) * 1_000_000
						for n := 0; pb.Next(); n++ {
							send(context.Background(), p, n)
						}
					})
				}
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
				if name == "postgres" {
					b.ReportMetric(float64(stmts.Load())/float64(b.N), "stmts/msg")
				}
			})
		}
	}
}
