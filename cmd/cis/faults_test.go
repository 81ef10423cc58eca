package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// openAudit opens the store a crashed or stopped `cis serve` left behind,
// wired as the server wires it, so that the checker can replay the flow.
func openAudit(t *testing.T, db string) *app {
	t.Helper()
	fs, c := newFlagSet("audit", envOf(map[string]string{"CIS_DB": db}))
	if err := c.parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	a, err := open(context.Background(), c, slog.New(slog.DiscardHandler), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

// checkInvariants fails the test on any violation of RELIABILITY §4.1;
// the replay (I3) uses the server's own bot and flow.
func checkInvariants(t *testing.T, a *app, e store.Expect) {
	t.Helper()
	if e.Step == nil {
		e.Step = a.bot.Step
	}
	vs, err := a.store.CheckInvariants(context.Background(), e)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Error(v)
	}
}

// auditAfterKill checks, with no process running, that every message the
// killed process acknowledged is on disk (I1) and returns a checksum of
// every committed row for the check after the recovery (I5).
func auditAfterKill(t *testing.T, db string, acked []string) store.Snapshot {
	t.Helper()
	a := openAudit(t, db)
	defer a.Close()
	checkInvariants(t, a, store.Expect{Channel: bot.CloudChannel, Accepted: acked})
	snap, err := a.store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

// killFigures are what the random-kill run measured (docs/reliability.md, F1).
type killFigures struct {
	Kills, Sent, Deliveries, Acknowledged, Processed, DuplicateInbound, DuplicateReplies, Unconfirmed int
	// CutByKill counts deliveries that got no answer because the process
	// died under them: the kills landed while messages were in flight.
	CutByKill int
}

// killRandomly is F1 without crash points: prospects write through the
// webhook while the test kills `cis serve` with SIGKILL at random moments
// (after a seeded random number of acknowledged messages, so that the kill
// lands while other prospects' deliveries are in flight), restarts it, and
// redelivers what was not acknowledged plus the last acknowledged message
// of everyone (a 200 Meta never saw). After every kill the acknowledged
// messages must be on disk; after the last restart every invariant must hold.
func killRandomly(t *testing.T, bin string, kills int) killFigures {
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	db := filepath.Join(t.TempDir(), "cis.db")
	env := append(os.Environ(), "CIS_DB="+db, "CIS_ADDR=127.0.0.1:0", "CIS_LOG_LEVEL=error",
		"CIS_CLOUDAPI_APP_SECRET=crash-secret", "CIS_CLOUDAPI_VERIFY_TOKEN=v", "CIS_CLOUDAPI_ACCESS_TOKEN=a",
		"CIS_GRAPH_URL="+gsrv.URL)
	const prospects = 24
	rng := rand.New(rand.NewPCG(1, 9))
	var (
		mu         sync.Mutex
		next       = make([]int, prospects) // per prospect: the first message not acknowledged
		sent       = map[string]bool{}
		acked      []string
		deliveries int
		fig        killFigures
		before     store.Snapshot
	)
	client := &http.Client{Timeout: 20 * time.Second}
	// post delivers one message once; true when acknowledged.
	post := func(url string, p, i int) bool {
		id := fmt.Sprintf("wamid.kill.%d.%d", p, i)
		body := crashPayload(p, id, crashScript[i])
		req, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", bot.Sign("crash-secret", body))
		mu.Lock()
		sent[id], deliveries = true, deliveries+1
		mu.Unlock()
		resp, err := client.Do(req)
		if err != nil {
			mu.Lock()
			fig.CutByKill++
			mu.Unlock()
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}
	for round := 0; ; round++ {
		last := round == kills
		child, url := startChild(t, bin, env)
		kill := func() { child.cmd.Process.Signal(syscall.SIGKILL) }
		killAfter, ackedHere := 5+rng.IntN(16), 0
		guard := time.AfterFunc(time.Hour, kill)
		guard.Stop()
		if !last {
			guard.Reset(3 * time.Second) // in case the round runs out of messages before killAfter
		}
		var wg sync.WaitGroup
		for p := range prospects {
			wg.Go(func() {
				if next[p] > 0 && !post(url, p, next[p]-1) { // redelivery of an acknowledged message
					return
				}
				for tries := 0; next[p] < len(crashScript); tries++ {
					if !post(url, p, next[p]) {
						if !last {
							return // the process is dead, or refused: redelivered after the restart
						}
						if tries > 200 {
							t.Errorf("prospect %d: message %d never acknowledged", p, next[p])
							return
						}
						time.Sleep(20 * time.Millisecond) // refused while busy: Meta retries
						continue
					}
					mu.Lock()
					acked = append(acked, fmt.Sprintf("wamid.kill.%d.%d", p, next[p]))
					if ackedHere++; !last && ackedHere == killAfter {
						kill()
					}
					mu.Unlock()
					next[p]++
				}
			})
		}
		wg.Wait()
		if last {
			waitQuiet(graph)
			child.cmd.Process.Signal(syscall.SIGTERM)
			if err := child.cmd.Wait(); err != nil {
				t.Fatalf("clean stop: %v\n%s", err, child.stderr.String())
			}
			break
		}
		child.cmd.Wait()
		guard.Stop()
		fig.Kills++
		au := openAudit(t, db)
		checkInvariants(t, au, store.Expect{Channel: bot.CloudChannel, Accepted: acked, Before: before})
		var err error
		if before, err = au.store.Snapshot(context.Background()); err != nil {
			t.Fatal(err)
		}
		au.Close()
	}
	au := openAudit(t, db)
	checkInvariants(t, au, store.Expect{Channel: bot.CloudChannel, Accepted: acked, Drained: true,
		Sends: graph.PerOutbox(), Before: before})
	a, err := au.store.DeliveryAudit(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	ackedOnce := map[string]bool{}
	for _, id := range acked {
		ackedOnce[id] = true
	}
	fig.Sent, fig.Deliveries, fig.Acknowledged = len(sent), deliveries, len(ackedOnce)
	fig.Processed = a.Inbound - a.Unprocessed
	fig.DuplicateInbound = a.Inbound - len(sent)
	_, fig.DuplicateReplies = graph.Count()
	fig.Unconfirmed = a.Outbox["unconfirmed"]
	for p := range prospects {
		v, err := au.store.Conversation(context.Background(), bot.CloudChannel, "crashtest", crashPhone(p))
		if err != nil {
			t.Fatal(err)
		}
		if v.Lead == nil {
			t.Errorf("prospect %d: %s at %s; want completed", p, v.State.Status, v.State.Stage)
		}
	}
	return fig
}

// TestTimeZoneDataIsEmbedded is F19: the binary links time/tzdata, so
// America/Bogota resolves where the machine has no zone files. (Hiding
// /usr/share/zoneinfo, which Go consults before the embedded copy, needs a
// mount namespace; ZONEINFO pointing to an empty directory does not hide it.)
func TestTimeZoneDataIsEmbedded(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	if !slices.Contains(strings.Fields(string(out)), "time/tzdata") {
		t.Error("cmd/cis does not link time/tzdata")
	}
}
