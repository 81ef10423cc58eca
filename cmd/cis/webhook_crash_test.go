package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// webhookCrashRun is the outgoing webhooks' crash point in the real server:
// `cis serve` is killed with SIGKILL right after a destination answered
// 2xx and before the delivery was recorded (webhook-send-after-post) while
// prospects complete their conversations; after the restart every
// lead.completed reaches the destination, and exactly once by event id: the
// one in flight at the kill arrives twice, which receivers deduplicate.
func webhookCrashRun(t *testing.T, bin string) {
	var mu sync.Mutex
	got := map[string]int{}
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		got[r.Header.Get(bot.HeaderEventID)]++
		mu.Unlock()
	}))
	defer rcv.Close()
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	db := filepath.Join(t.TempDir(), "cis.db")
	if err := store.CreateFile(db); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.CreateWebhook(context.Background(), store.NewWebhook{URL: rcv.URL, Events: store.WebhookEvents()}, 0); err != nil {
		t.Fatal(err)
	}
	st.Close()
	env := append(os.Environ(), "CIS_DB="+store.TestDB(db), "CIS_ADDR=127.0.0.1:0", "CIS_LOG_LEVEL=error", "CIS_WEBHOOKS_ALLOW_PRIVATE=true",
		"CIS_CLOUDAPI_APP_SECRET=crash-secret", "CIS_CLOUDAPI_VERIFY_TOKEN=v", "CIS_CLOUDAPI_ACCESS_TOKEN=a", "CIS_GRAPH_URL="+gsrv.URL)
	env = append(env, crashLeaseEnv()...)
	prospects := make([]*bot.Prospect, crashProspects)
	for p := range prospects {
		prospects[p] = crashProspect(graph, p)
	}
	child, url := startChild(t, bin, append(env, "CIS_CRASH_AT=webhook-send-after-post:3"))
	talkAll(prospects, url, child.done)
	waitKilled(t, child, "webhook-send-after-post")

	child, url = startChild(t, bin, env)
	for _, p := range prospects {
		for _, m := range p.Said() {
			if m.Acked {
				postUntilAccepted(&http.Client{Timeout: 20 * time.Second}, url, crashPayloadFor(p, m))
			}
		}
	}
	if n := talkAll(prospects, url, child.done); n != crashProspects {
		t.Fatalf("only %d of %d prospects got through after the restart", n, crashProspects)
	}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= crashProspects {
			break
		}
	}
	child.cmd.Process.Signal(syscall.SIGTERM)
	<-child.done
	au := openAudit(t, db)
	ws, err := au.store.Webhooks(context.Background())
	if err != nil || len(ws) != 1 {
		t.Fatalf("webhooks %+v, %v", ws, err)
	}
	mu.Lock()
	defer mu.Unlock()
	twice := 0
	for _, n := range got {
		twice += n - 1
	}
	t.Logf("webhook-send-after-post: %d events, %d received twice; store %+v", len(got), twice, ws[0])
	if len(got) != crashProspects || ws[0].Delivered != crashProspects || ws[0].Pending != 0 {
		t.Errorf("%d distinct events received, %d delivered, %d pending; want one lead.completed per prospect (%d), all delivered",
			len(got), ws[0].Delivered, ws[0].Pending, crashProspects)
	}
	if twice != 1 {
		t.Errorf("%d events received twice; want 1, the one in flight at the kill", twice)
	}
}
