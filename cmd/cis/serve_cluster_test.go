package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestTwoServersOnPostgres: two `cis serve` on one PostgreSQL database
// share the work: one holds every periodic job's lease, the other stands
// by (both say so on /readyz); when the first stops, the second takes
// every job at once (a clean stop releases; a kill -9 is
// bot.TestLinkedDeviceTakeoverAfterKill).
func TestTwoServersOnPostgres(t *testing.T) {
	dbURL := pgSchemaURL(t)
	env := map[string]string{"CIS_DB": dbURL, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error", "CIS_LEASE_TTL": "2s"}
	stopA, a := serveUntil(t, env)
	waitReadyz(t, a, "standby: none")
	_, b := serveUntil(t, env)
	for _, job := range []string{"job:daily", "job:privacy", "job:sweeper", "job:staffing", "job:webhooks"} {
		waitReadyz(t, b, job+" (held by ") // each once the second server tried it
	}
	if body := waitReadyz(t, b, "held: none"); !strings.HasPrefix(body, "ready\n") {
		t.Errorf("second server's /readyz = %q; want ready, holding nothing", body)
	}
	stopA()
	body := waitReadyz(t, b, "standby: none")
	if !strings.HasPrefix(body, "ready\n") || !strings.Contains(body, "job:sweeper (token 2)") {
		t.Errorf("after the first server stopped: /readyz = %q; want the second holding every job, token 2", body)
	}
}

// pgSchemaURL is a database URL on CIS_TEST_PG with a schema of the
// test's own, owned by a login role of its own (store.TestSchema: the
// servers log in as that role, as an installation's would), both dropped at
// the end.
func pgSchemaURL(t *testing.T) string {
	base := store.TestCluster(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "t_" + hex.EncodeToString(b)
	url, err := store.TestSchema(base, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.DropTestSchema(base, name) })
	return url
}

// serveUntil starts cis serve in this process and returns a stop that
// waits for it to end, and its base URL.
func serveUntil(t *testing.T, env map[string]string) (stop func(), base string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no start line: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	var stopped bool
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	}
	t.Cleanup(stop)
	return stop, strings.Fields(strings.TrimPrefix(line, "cis: serving on "))[0]
}

// waitReadyz waits for /readyz at base to contain want and returns it.
func waitReadyz(t *testing.T, base, want string) string {
	t.Helper()
	var body string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if _, body = get(t, base+"/readyz"); strings.Contains(body, want) {
			return body
		}
	}
	t.Fatalf("/readyz = %q; want it to say %q", body, want)
	return ""
}
