package bot

import (
	"context"
	"testing"
	"time"
)

// TestKillRunServedBeforeEachKill: KillEvery kills a server only once it
// has worked for the interval and acknowledged a message since it started,
// so that on a slow machine every kill still cuts a server at work; an
// acknowledgement of an earlier server does not count, and an ended context
// stops the wait.
func TestKillRunServedBeforeEachKill(t *testing.T) {
	k := NewKillRun([]string{"cis", "serve"}, nil, "unused.db", "serving")
	quick := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 50*time.Millisecond)
	}
	ctx, cancel := quick()
	if k.served(ctx, time.Millisecond) {
		t.Error("served with no message acknowledged; want it to wait for one")
	}
	cancel()

	k.Accept("wamid.1")
	start := time.Now()
	if !k.served(context.Background(), 30*time.Millisecond) {
		t.Fatal("not served after an acknowledged message")
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("served after %v; want at least the interval", d)
	}

	k.servers[0].lifeAck = len(k.acked) // what Start records for the next server
	ctx, cancel = quick()
	if k.served(ctx, time.Millisecond) {
		t.Error("the restarted server counted as served by the previous one's message")
	}
	cancel()
	go k.Accept("wamid.2")
	if !k.served(context.Background(), time.Millisecond) {
		t.Error("not served after the restarted server acknowledged a message")
	}

	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if err := k.KillEvery(ctx, time.Hour, 3); err != nil || k.kills != 0 {
		t.Errorf("KillEvery with an ended context = %v after %d kills; want nil, none", err, k.kills)
	}
}
