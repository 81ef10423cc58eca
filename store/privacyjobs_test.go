package store

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestPrivacyJobsRunRetentionDaily: serve's job carries out chat deletions on every tick and
// applies the retention policy on the first tick and then once per day, on a fake clock.
func TestPrivacyJobsRunRetentionDaily(t *testing.T) {
	const day = 24 * time.Hour
	ctx := context.Background()
	now := time.Date(2026, 1, 5, 14, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	st, err := Open(ctx, filepath.Join(t.TempDir(), "cis.db"), Options{Now: func() time.Time { return clock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	j := &PrivacyJobs{Store: st, Retention: Retention{Incomplete: 30 * day}, Now: clock, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	runs := func() int {
		es, err := st.RecentAudit(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range es {
			if e.Action == "privacy.retention" {
				n++
			}
		}
		return n
	}
	// A person who wrote once: seeded through the real chat path on the same store.
	seedChat(t, st, "+573001112233", now)
	j.Tick(ctx)
	if runs() != 0 {
		t.Fatal("retention erased a fresh conversation")
	}
	now = now.Add(31 * day)
	j.Tick(ctx) // a day has passed since the first run: runs and erases
	if runs() != 1 {
		t.Fatalf("retention runs = %d after 31 days, want 1", runs())
	}
	seedChat(t, st, "+573004445566", now.Add(-40*day))
	now = now.Add(time.Hour)
	j.Tick(ctx) // less than a day since the last run: does not run
	if runs() != 1 {
		t.Errorf("retention ran again within the day")
	}
	now = now.Add(day)
	j.Tick(ctx)
	if runs() != 2 {
		t.Errorf("retention runs = %d the next day, want 2", runs())
	}
}

// seedChat stores one message from phone whose conversation was last active at.
func seedChat(t *testing.T, st *Store, phone string, at time.Time) {
	t.Helper()
	in := flow.Inbound{Channel: "chat", Account: "acct", ID: "m-" + phone, From: phone, Kind: flow.KindText, Text: "hola", At: at}
	step := func(flow.State) flow.Result {
		return flow.Result{State: flow.State{Version: flow.StateVersion, Status: flow.Abandoned, Stage: flow.StageName, StartedAt: at, UpdatedAt: at}}
	}
	if _, err := st.Handle(context.Background(), in, step); err != nil {
		t.Fatal(err)
	}
}
