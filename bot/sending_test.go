package bot

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestCloudSenderClaimsOnlyWhatIsInFlight: the Cloud API sender claims each
// reply just before its request and marks it just after, so that at any
// moment at most Workers replies are claimed and not marked: a kill can
// leave no more than that uncertain (issue 15: 512 were).
func TestCloudSenderClaimsOnlyWhatIsInFlight(t *testing.T) {
	const workers = 4
	var e *cloudEnv
	var maxSending atomic.Int64
	graph := NewFakeGraph()
	probe := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, err := e.h.st.DeliveryAudit(context.Background(), CloudChannel)
		if err == nil {
			for {
				old := maxSending.Load()
				if int64(a.Outbox["sending"]) <= old || maxSending.CompareAndSwap(old, int64(a.Outbox["sending"])) {
					break
				}
			}
		}
		time.Sleep(2 * time.Millisecond) // a request takes a moment
		graph.ServeHTTP(w, r)
	})
	gsrv := httptest.NewServer(probe)
	t.Cleanup(gsrv.Close)
	e = newCloudEnv(t, func(c *CloudConfig) { c.GraphURL, c.Workers = gsrv.URL, workers })
	const people = 30
	for p := range people {
		if got := e.postSigned(t, testPayload(fmt.Sprintf("5730012%05d", p), fmt.Sprintf("wamid.w.%d", p), "hola", fixtureStart)); got != 200 {
			t.Fatal(got)
		}
	}
	sent := e.flush(t)
	if want := 2 * people; sent != want { // greeting and consent text each
		t.Errorf("sent %d; want %d", sent, want)
	}
	if m := maxSending.Load(); m < 1 || m > workers {
		t.Errorf("at most %d replies were claimed at once; want between 1 and %d (the workers)", m, workers)
	}
	if _, dups := graph.Count(); dups != 0 {
		t.Errorf("%d replies sent twice", dups)
	}
}

// TestFlushNeverSendsTwice: two Flush calls at once on one channel (two web
// chat visitors' requests) claim each reply before sending it, so none goes
// out twice.
func TestFlushNeverSendsTwice(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	ctx := context.Background()
	for p := range 10 {
		sim := &Simulator{Bot: h.bot, Clock: h.clock, Account: "web", Phone: fmt.Sprintf("web:%d", p), IDPrefix: fmt.Sprintf("p%d", p)}
		l, _ := ParseScriptLine("hola")
		if _, err := sim.deliver(ctx, l, "webchat"); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	send := senderFunc(func(_ context.Context, o store.Outgoing) (string, error) {
		time.Sleep(time.Millisecond)
		mu.Lock()
		seen[o.ID]++
		mu.Unlock()
		return fmt.Sprintf("web-%d", o.ID), nil
	})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := h.bot.Flush(ctx, "webchat", send); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if len(seen) != 20 {
		t.Errorf("%d replies sent; want 20", len(seen))
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("reply %d sent %d times", id, n)
		}
	}
}

type senderFunc func(ctx context.Context, o store.Outgoing) (string, error)

func (f senderFunc) Send(ctx context.Context, o store.Outgoing) (string, error) { return f(ctx, o) }
