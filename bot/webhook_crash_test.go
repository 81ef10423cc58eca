package bot

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// webhookHelper is the process TestOutgoingWebhookKilledMidDelivery kills:
// the webhook worker on the store at path, at the test's clock (now, Unix
// ms), killing itself with SIGKILL the n-th time it reaches the crash
// point (crashAt "point:n") — no deferred function, no clean close.
func webhookHelper(path, crashAt, now string) {
	ms, _ := strconv.ParseInt(now, 10, 64)
	clock := func() time.Time { return time.UnixMilli(ms).UTC() }
	st, err := store.Open(context.Background(), path, store.Options{Now: clock})
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	point, nth, _ := strings.Cut(crashAt, ":")
	n, _ := strconv.Atoi(nth)
	var hits atomic.Int32
	crash := func(p string) {
		if p == point && int(hits.Add(1)) == n {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	w := NewWebhooks(st, WebhookConfig{AllowPrivate: true, Now: clock, Crash: crash}, nil)
	fmt.Println("running")
	_ = w.Run(context.Background(), 10*time.Millisecond)
}

// TestOutgoingWebhookKilledMidDelivery kills the webhook worker with
// SIGKILL at each crash point of a delivery — after its claim committed
// (before the POST) and after the destination answered 2xx (before the
// answer was recorded) — then restarts it on a store reopened from the same
// file: every event reaches the destination, each lead's in order, and
// after deduplication by event id exactly once. The only repeat is the one
// event in flight at a kill after the POST, which must be sent again (the
// worker cannot know it arrived): receivers deduplicate by event id.
func TestOutgoingWebhookKilledMidDelivery(t *testing.T) {
	for _, c := range []struct {
		point string
		dups  int
	}{{"send-after-claim", 0}, {"send-after-post", 1}} {
		t.Run(c.point, func(t *testing.T) {
			e := newHookEnv(t)
			var leads []int64
			for range 3 {
				leads = append(leads, e.lead(t))
			}
			if err := e.h.st.Close(); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), "CIS_BOT_HELPER=webhooks", "CIS_BOT_STORE="+e.h.path, "CIS_BOT_CRASH_AT="+c.point+":5",
				fmt.Sprintf("CIS_BOT_NOW=%d", e.h.clock.Now().UnixMilli()))
			out, err := cmd.CombinedOutput()
			ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
			if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
				t.Fatalf("helper was not killed at %s: %v\n%s", c.point, err, out)
			}
			before := len(e.rcv.delivered())
			e.h.open() // the restart: the same file
			n, err := e.h.st.ReleaseWebhookOrphans(context.Background())
			if err != nil || n != 1 {
				t.Fatalf("released %d deliveries left in flight, %v; want the 1 cut by the kill", n, err)
			}
			w := e.worker(nil)
			for i := 0; i < 10 && e.status(t).Pending > 0; i++ {
				e.passes(t, w, 1, time.Second)
			}
			got := e.rcv.delivered()
			t.Logf("%s: %d delivered before the kill, %d in all", c.point, before, len(got))
			checkOnceInOrder(t, got, leads, c.dups)
			if dups := len(got) - 12; dups != c.dups {
				t.Errorf("%d events received twice; want %d (the one in flight after its POST)", dups, c.dups)
			}
			if st := e.status(t); st.Delivered != 12 || st.Pending != 0 || st.Failed != 0 {
				t.Errorf("status %+v; want all 12 delivered", st)
			}
		})
	}
}
