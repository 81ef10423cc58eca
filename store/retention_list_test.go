package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestRetentionErasuresAreNotRequests: the retention policy's erasures are
// counted apart, not listed as data-subject requests.
func TestRetentionErasuresAreNotRequests(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 6, 15, 0, 0, 0, time.UTC)
	st, err := Open(ctx, filepath.Join(t.TempDir(), "r.db"), Options{Synchronous: "NORMAL", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	drops := []Dropout{{Step: "budget", Status: "abandoned", At: now.AddDate(0, -8, 0)}, {Step: "city", Status: "abandoned", At: now.AddDate(0, 0, -3)}}
	if err := st.InsertPastLeads(ctx, "ret", "+5730099", nil, drops); err != nil {
		t.Fatal(err)
	}
	rep, err := st.ApplyRetention(ctx, Retention{Incomplete: 180 * 24 * time.Hour})
	if err != nil || rep.People != 1 {
		t.Fatalf("retention erased %d, %v; want the one stale conversation", rep.People, err)
	}
	for _, all := range []bool{false, true} {
		reqs, err := st.DataRequests(ctx, all, 100)
		if err != nil || len(reqs) != 0 {
			t.Errorf("requests (all=%v) = %d, %v; want none", all, len(reqs), err)
		}
	}
	if n, last, err := st.RetentionErasures(ctx); err != nil || n != 1 || !last.Equal(now) {
		t.Errorf("retention erasures = %d at %v, %v; want 1 at %v", n, last, err, now)
	}
}
