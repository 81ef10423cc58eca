package main

import (
	"context"
	"log/slog"
	"os/exec"
	"slices"
	"strings"
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
// killed process acknowledged is on disk (I1), and returns a checksum of
// every committed row for the check after the recovery (I5) and the replies
// the kill caught in flight (claimed, not marked).
func auditAfterKill(t *testing.T, db string, acked []string) (store.Snapshot, map[int64]bool) {
	t.Helper()
	a := openAudit(t, db)
	defer a.Close()
	checkInvariants(t, a, store.Expect{Channel: bot.CloudChannel, Accepted: acked})
	snap, err := a.store.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ids, err := a.store.InFlight(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	inFlight := map[int64]bool{}
	for _, id := range ids {
		inFlight[id] = true
	}
	return snap, inFlight
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
