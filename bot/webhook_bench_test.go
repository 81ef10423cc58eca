package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// BenchmarkHandleMessageWebhooks is BenchmarkHandleMessage (synchronous=FULL,
// each message's replies flushed so that every seven messages complete a lead)
// without webhooks, and with two destinations subscribed to every event
// that fail all the time — one answers 503, one refuses connections — while
// the webhook worker runs: each lead queues its events in the message's
// commit, and the worker retries them beside the bot (the clock sped up so
// that retries keep coming). The difference is
// what webhooks cost the bot, failing destinations included
// (docs/benchmarks.md).
func BenchmarkHandleMessageWebhooks(b *testing.B) {
	for _, failing := range []bool{false, true} {
		b.Run(fmt.Sprintf("failing-destinations=%v", failing), func(b *testing.B) {
			h := newHarness(b, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var attempts atomic.Int64
			if failing {
				down := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
					attempts.Add(1)
					w.WriteHeader(http.StatusServiceUnavailable)
				}))
				defer down.Close()
				gone := httptest.NewServer(http.NotFoundHandler())
				gone.Close() // connection refused from now on
				for _, u := range []string{down.URL, gone.URL} {
					if _, _, err := h.st.CreateWebhook(ctx, store.NewWebhook{URL: u, Events: store.WebhookEvents()}, 0); err != nil {
						b.Fatal(err)
					}
				}
				w := NewWebhooks(h.st, WebhookConfig{AllowPrivate: true, Now: h.clock.Now, Timeout: time.Second}, nil)
				go w.Run(ctx, 10*time.Millisecond)
			}
			// The clock runs 3,000 times faster than the wall: every backoff
			// step comes due within the run, so failing destinations are
			// retried all along (a worst case), in both runs alike.
			go func() {
				for ctx.Err() == nil {
					time.Sleep(10 * time.Millisecond)
					h.clock.Add(30 * time.Second)
				}
			}()
			delivered := senderFunc(func(_ context.Context, o store.Outgoing) (string, error) { return fmt.Sprint(o.ID), nil })
			msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				in := flow.Inbound{Channel: ChatChannel, Account: "bench", ID: fmt.Sprintf("m%d", n),
					From: fmt.Sprintf("+5730%08d", n/len(msgs)), Kind: flow.KindText, Text: msgs[n%len(msgs)], At: h.clock.Now()}
				if handled, err := h.bot.Receive(ctx, in); err != nil || !handled {
					b.Fatal(handled, err)
				}
				if _, err := h.bot.Flush(ctx, ChatChannel, delivered); err != nil { // the consent text must leave for the yes to count
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
			b.ReportMetric(float64(attempts.Load()), "503s")
			if ws, err := h.st.Webhooks(ctx); err == nil && len(ws) > 0 {
				b.ReportMetric(float64(ws[0].Pending+ws[0].Failed), "events")
			}
		})
	}
}
