package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// crashScript is what each prospect of the crash test writes: a whole
// conversation, so that any lost, repeated or reordered message shows as a
// conversation that does not end completed. The prospects converse
// (bot.Prospect): each line waits for the answer to the one before, and a
// consent text is answered when it arrives.
var crashScript = []string{"hola", "sí", "me llamo Ana", "medallo", "2 millones", "este mes", "diseño web"}

const crashProspects = 6

// TestCrashPoints kills `cis serve` with SIGKILL at each named crash point
// (docs/reliability.md) while prospects are writing through the Cloud API
// webhook, restarts it, lets Meta's redeliveries arrive (every message again)
// and checks the store and the fake Graph API: every message stored and
// processed once, every conversation completed in order, no reply twice
// except a question resent after its send was cut (store/sending.go), no
// consent without its consent text sent, no reply never sent unless it was in
// flight at the kill.
func TestCrashPoints(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cis-crashtest")
	if out, err := exec.Command("go", "build", "-tags", "crashtest", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	points := []struct {
		name string
		nth  int
	}{
		{"store-before-commit", 4},
		{"store-after-commit", 4},
		{"webhook-before-ack", 10},
		{"send-after-claim", 3},
		{"send-after-post", 3},
	}
	for _, p := range points {
		t.Run(p.name, func(t *testing.T) {
			crashRun(t, bin, p.name, p.nth)
		})
	}
	t.Run("webhook-send-after-post", func(t *testing.T) { webhookCrashRun(t, bin) })
	// F1 with several kills at moments nobody chose, under load: `cis
	// loadtest --kill`; the figures go to docs/reliability.md
	// (go test ./cmd/cis -run CrashPoints/random -v). Each kill lands after
	// the server worked (bot.KillRun.KillEvery), so a slow machine makes the
	// run longer, never the kills fewer.
	t.Run("random-kill", func(t *testing.T) {
		start := time.Now()
		rep := killUnderLoad(t, bin, randomKills)
		t.Logf("kill -9 figures (%.1f s): %+v", time.Since(start).Seconds(), rep)
		if rep.Kills != randomKills || rep.Messages == 0 || rep.Lost != 0 || rep.Unprocessed != 0 || rep.RepliesPending != 0 {
			t.Errorf("figures %+v: want %d kills, every acknowledged message stored and processed, nothing left queued", rep, randomKills)
		}
		if rep.NeverSentOther != 0 || rep.DuplicateReplies != 0 || rep.ConsentNoText != 0 || len(rep.Violations) != 0 {
			t.Errorf("never sent beyond what was in flight %d, sent twice (not a resent question) %d, consent without its text %d, violations %v; want none",
				rep.NeverSentOther, rep.DuplicateReplies, rep.ConsentNoText, rep.Violations)
		}
	})
}

// randomKills is how many times random-kill kills the server.
const randomKills = 6

// killUnderLoad runs `cis loadtest --kill` on bin (a crashtest build serves
// as well as any) with 24 conversing prospects: each server works at least
// 12 s/(kills+1) and acknowledges a message before its kill; the run lasts
// until every kill happened, at most 5 minutes (a bound for a hung server,
// far above what a loaded 2-core machine needs).
func killUnderLoad(t *testing.T, bin string, kills int) bot.LoadReport {
	t.Helper()
	env := map[string]string{"CIS_LOG_LEVEL": "error"}
	run := serverRun{bin: bin, servers: 1, kills: kills, limit: 5 * time.Minute}
	if store.TestsOnPostgres() {
		// The servers are the real binary: a schema of their own in the test
		// cluster, and the crash test's short lease (crashLeaseEnv).
		run.pg = os.Getenv("CIS_TEST_PG")
		env["CIS_LEASE_TTL"] = "3s"
	}
	c := mustConfig(t, env)
	cfg := bot.LoadConfig{Account: "loadtest", Prospects: 24, Duration: 12 * time.Second, Concurrency: 24, Seed: 1,
		Duplicates: 0.10, Reorder: -1, Patience: 5 * time.Second}
	rep, err := loadtestServers(context.Background(), c, cfg, run)
	if err != nil {
		t.Fatalf("%v (figures %+v)", err, rep)
	}
	return rep
}

// crashProspect is prospect p of the crash test.
func crashProspect(graph *bot.FakeGraph, p int) *bot.Prospect {
	return &bot.Prospect{Graph: graph, To: strings.TrimPrefix(crashPhone(p), "+"), IDPrefix: fmt.Sprintf("wamid.crash.%d", p),
		Script: crashScript, ConsentMark: flow.DefaultConfig(time.UTC).Agency.PolicyURL, AgainMark: bot.ConsentAgainMark(), Patience: 5 * time.Second}
}

func crashRun(t *testing.T, bin, point string, nth int) {
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	db := filepath.Join(t.TempDir(), "cis.db")
	env := append(os.Environ(), "CIS_DB="+store.TestDB(db), "CIS_ADDR=127.0.0.1:0", "CIS_LOG_LEVEL=error",
		"CIS_CLOUDAPI_APP_SECRET=crash-secret", "CIS_CLOUDAPI_VERIFY_TOKEN=v", "CIS_CLOUDAPI_ACCESS_TOKEN=a",
		"CIS_GRAPH_URL="+gsrv.URL)
	env = append(env, crashLeaseEnv()...)
	prospects := make([]*bot.Prospect, crashProspects)
	for p := range prospects {
		prospects[p] = crashProspect(graph, p)
	}

	// First process: dies at the crash point while the prospects talk.
	child, url := startChild(t, bin, append(env, fmt.Sprintf("CIS_CRASH_AT=%s:%d", point, nth)))
	talkAll(prospects, url, child.done)
	waitKilled(t, child, point)
	// What the dead process acknowledged is on disk (I1); keep a checksum of
	// every committed row to compare after the recovery (I5).
	before, inFlight := auditAfterKill(t, db, ackedIDs(prospects))

	// Second process: Meta redelivers every acknowledged message, then the
	// prospects go on (the one not acknowledged is delivered again first).
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
	waitDrained(t, db)
	waitQuiet(graph)
	child.cmd.Process.Signal(syscall.SIGTERM)
	<-child.done
	if err := child.err; err != nil {
		t.Fatalf("clean stop: %v\n%s", err, child.stderr.String())
	}

	au := openAudit(t, db)
	st := au.store
	checkInvariants(t, au, store.Expect{Channel: bot.CloudChannel, Accepted: ackedIDs(prospects), Drained: true,
		Sends: graph.PerOutbox(), Before: before})
	a, err := st.DeliveryAudit(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	accepted, _ := graph.Count()
	said := 0
	for _, p := range prospects {
		said += len(p.Said())
	}
	t.Logf("%s: messages %d, inbound %d, outbox %v, graph accepted %d", point, said, a.Inbound, a.Outbox, accepted)
	if a.Inbound != said || a.Unprocessed != 0 {
		t.Errorf("inbound %d (unprocessed %d); want %d, all processed", a.Inbound, a.Unprocessed, said)
	}
	if a.Outbox["pending"]+a.Outbox["sending"] != 0 {
		t.Errorf("replies left in the queue: %v", a.Outbox)
	}
	checkNeverSent(t, st, graph, inFlight)
	for p := range crashProspects {
		v, err := st.Conversation(context.Background(), bot.CloudChannel, "crashtest", crashPhone(p))
		if err != nil {
			t.Fatal(err)
		}
		if v.Lead == nil || string(v.State.Status) != "completed" {
			t.Errorf("prospect %d: status %s at %s; want completed (messages lost or out of order)", p, v.State.Status, v.State.Stage)
		}
	}
}

// crashLeaseEnv is the crash test's lease time on PostgreSQL. There no file
// lock proves the killed server dead: the restarted one settles the replies
// the kill caught in flight once the killed server's process lease has
// expired (docs/postgres.md, "Crash orphans"), so a lease of 3 s (as the
// bot's kill tests) rather than the default 15 s keeps the wait short. On
// SQLite the file lock does prove it, and the default stays.
func crashLeaseEnv() []string {
	if store.TestsOnPostgres() {
		return []string{"CIS_LEASE_TTL=3s"}
	}
	return nil
}

// waitDrained waits (a minute at most) until the running server has no
// reply left pending or sending: on PostgreSQL the killed server's claims
// are settled only after its lease expired, which may be after the
// prospects finished. What is left then fails the test afterwards.
func waitDrained(t *testing.T, db string) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		a, err := st.DeliveryAudit(ctx, bot.CloudChannel)
		if err != nil {
			t.Fatal(err)
		}
		if a.Outbox["pending"]+a.Outbox["sending"] == 0 {
			return
		}
	}
}

// talkAll lets every prospect converse through url until all are done or
// the server dies (done closes); it returns how many finished.
func talkAll(prospects []*bot.Prospect, url string, done <-chan struct{}) int {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-done:
			cancel()
		case <-ctx.Done():
		}
	}()
	client := &http.Client{Timeout: 20 * time.Second}
	var mu sync.Mutex
	finished := 0
	var wg sync.WaitGroup
	for _, p := range prospects {
		wg.Go(func() {
			err := p.Talk(ctx, func(ctx context.Context, id, text string) error {
				if !postUntilAccepted(client, url, crashPayloadFor(p, bot.Said{ID: id, Text: text})) {
					return errors.New("not acknowledged")
				}
				return nil
			})
			if err == nil {
				mu.Lock()
				finished++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return finished
}

// checkNeverSent fails the test for a reply the provider never received
// (and that was not withdrawn) unless a kill caught it in flight: only those
// can be uncertain, and only those that are not questions stay unsent.
func checkNeverSent(t *testing.T, st *store.Store, graph *bot.FakeGraph, inFlight map[int64]bool) {
	t.Helper()
	rows, err := st.ReplyRows(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	sends := graph.PerOutbox()
	for _, r := range rows {
		if sends[r.ID] == 0 && r.Status != "cancelled" && !inFlight[r.ID] {
			t.Errorf("reply %d (%s, %s) never sent, and it was not in flight at the kill", r.ID, r.Key, r.Status)
		}
	}
}

func ackedIDs(prospects []*bot.Prospect) []string {
	var ids []string
	for _, p := range prospects {
		for _, m := range p.Said() {
			if m.Acked {
				ids = append(ids, m.ID)
			}
		}
	}
	return ids
}

type childProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan struct{} // closed when the process has ended
	err    error         // its Wait error, once done
}

func startChild(t *testing.T, bin string, env []string) (*childProc, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &childProc{cmd: cmd, stderr: &stderr, done: make(chan struct{})}
	t.Cleanup(func() { cmd.Process.Kill(); <-c.done })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		c.err = cmd.Wait()
		close(c.done) // the cleanup waits for it: a child that never started must not hang the test
		t.Fatalf("no start line: %v\n%s", err, stderr.String())
	}
	go func() {
		io.Copy(io.Discard, out)
		c.err = cmd.Wait()
		close(c.done)
	}()
	base := strings.Fields(strings.TrimPrefix(line, "cis: serving on "))[0]
	return c, base + "/webhook/whatsapp"
}

// waitKilled waits for the child to die of SIGKILL at its crash point.
func waitKilled(t *testing.T, c *childProc, point string) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the process never reached crash point %s", point)
	}
	ws, ok := c.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("process ended with %v, not SIGKILL at %s\n%s", c.cmd.ProcessState, point, c.stderr.String())
	}
}

func crashPhone(p int) string { return fmt.Sprintf("+5731000000%02d", p) }

// crashPayloadFor is the delivery of message m from prospect pr.
func crashPayloadFor(pr *bot.Prospect, m bot.Said) []byte {
	var p int
	fmt.Sscanf(pr.IDPrefix, "wamid.crash.%d", &p)
	return crashPayload(p, m.ID, m.Text)
}

// crashPayload is one signed-to-be delivery of text from prospect p.
func crashPayload(p int, id, text string) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"crashtest"},`+
		`"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`,
		strings.TrimPrefix(crashPhone(p), "+"), id, time.Now().Unix(), text)
}

func postUntilAccepted(client *http.Client, url string, body []byte) bool {
	for range 100 {
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", bot.Sign("crash-secret", body))
		resp, err := client.Do(req)
		if err != nil {
			return false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return true
		}
		time.Sleep(20 * time.Millisecond) // Meta's retry backoff, shortened
	}
	return false
}

// waitQuiet waits until the fake Graph API has received nothing new for a
// while: the child's sender has drained the outbox (checked afterwards in
// the store, so a premature stop fails the test rather than passing it).
func waitQuiet(g *bot.FakeGraph) {
	bot.WaitGraphQuiet(context.Background(), g, 1500*time.Millisecond, time.Minute)
}
