package bot

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// BenchmarkHandleMessage measures one message through flow and a committed
// store transaction (message log, conversation state, outbox rows), on a real
// SQLite file with the default synchronous=FULL. Each op is one message.
func BenchmarkHandleMessage(b *testing.B) {
	for _, sync := range []string{"FULL", "NORMAL"} {
		b.Run("synchronous="+sync, func(b *testing.B) {
			h := newHarness(b, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
			h.st.Close()
			h.syncMode = sync
			h.open()
			msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
			ctx := context.Background()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				in := flow.Inbound{Channel: ChatChannel, Account: "bench", ID: fmt.Sprintf("m%d", n),
					From: fmt.Sprintf("+5730%08d", n/len(msgs)), Kind: flow.KindText, Text: msgs[n%len(msgs)], At: h.clock.Now()}
				if handled, err := h.bot.Receive(ctx, in); err != nil || !handled {
					b.Fatal(handled, err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}

// BenchmarkHandleMessageConcurrent is BenchmarkHandleMessage with 32
// prospects writing at once, as on a busy number: messages that arrive
// during a commit share the next one (group commit in store/batch.go).
func BenchmarkHandleMessageConcurrent(b *testing.B) {
	h := newHarness(b, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
	msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
	var next atomic.Int64
	b.SetParallelism(16) // 16 × GOMAXPROCS(2) goroutines
	b.ReportAllocs()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		ctx := context.Background()
		prospect := next.Add(1) * 1_000_000
		n := 0
		for pb.Next() {
			in := flow.Inbound{Channel: ChatChannel, Account: "bench", ID: fmt.Sprintf("p%d-m%d", prospect, n),
				From: fmt.Sprintf("+57%d", prospect+int64(n/len(msgs))), Kind: flow.KindText, Text: msgs[n%len(msgs)], At: h.clock.Now()}
			if handled, err := h.bot.Receive(ctx, in); err != nil || !handled {
				b.Error(handled, err)
				return
			}
			n++
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}
