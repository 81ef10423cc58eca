package store

import (
	"cmp"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"), Options{Synchronous: "NORMAL", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin, err := st.CreateUser(ctx, "ana", "admin", "x")
	if err != nil {
		t.Fatal(err)
	}
	a, err := st.CreateAPIToken(ctx, "HubSpot", "read", "hash-a", "cis_abcd", admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Name != "HubSpot" || a.Scope != "read" || a.Creator != "ana" || !a.CreatedAt.Equal(now) || !a.LastUsed.IsZero() || !a.Active() {
		t.Errorf("created token = %+v", a)
	}
	if _, err := st.CreateAPIToken(ctx, "dup", "read", "hash-a", "cis_abcd", admin.ID); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	if _, err := st.CreateAPIToken(ctx, "bad", "admin", "hash-b", "cis_b", admin.ID); err == nil {
		t.Error("a token with an unknown scope was stored")
	}
	b, err := st.CreateAPIToken(ctx, "n8n", "write", "hash-c", "cis_c", admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := st.APITokenByHash(ctx, "hash-c")
	if err != nil || got.ID != b.ID || got.Scope != "write" {
		t.Errorf("APITokenByHash = %+v, %v; want token %d", got, err, b.ID)
	}
	if _, err := st.APITokenByHash(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown hash: err = %v; want ErrNotFound", err)
	}
	// Last used: written once a minute at most.
	if err := st.TouchAPIToken(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	first := now
	now = now.Add(30 * time.Second)
	if err := st.TouchAPIToken(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.APITokenByHash(ctx, "hash-a"); !got.LastUsed.Equal(first) {
		t.Errorf("last used = %v; want %v (30 s later is not written)", got.LastUsed, first)
	}
	now = now.Add(time.Minute)
	if err := st.TouchAPIToken(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := st.APITokenByHash(ctx, "hash-a"); !got.LastUsed.Equal(now) {
		t.Errorf("last used = %v; want %v", got.LastUsed, now)
	}
	// Revoke: kept, listed after the active ones, and revoking again keeps the first time.
	if err := st.RevokeAPIToken(ctx, a.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	revokedAt := now
	now = now.Add(time.Hour)
	if err := st.RevokeAPIToken(ctx, a.ID, admin.ID); err != nil {
		t.Fatal(err)
	}
	if err := st.RevokeAPIToken(ctx, 999, admin.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("revoke unknown: err = %v; want ErrNotFound", err)
	}
	list, err := st.APITokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID || list[1].Active() || !list[1].RevokedAt.Equal(revokedAt) {
		t.Errorf("APITokens = %+v; want n8n (active) then HubSpot (revoked at %v)", list, revokedAt)
	}
}

// TestQueueKeysetPaging walks the queue after-key by after-key, in both
// orders, with equal deadlines and with leads added between pages: every
// lead there at the start is listed exactly once, in order.
func TestQueueKeysetPaging(t *testing.T) {
	for _, status := range []string{"open", "all"} {
		t.Run(status, func(t *testing.T) { keysetWalk(t, status) })
	}
}

func keysetWalk(t *testing.T, status string) {
	ctx := context.Background()
	// Synthetic contacts' numbers end in the clock's last digit: one tick per batch keeps them apart.
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st, err := Open(ctx, filepath.Join(t.TempDir(), "k.db"), Options{Synchronous: "NORMAL", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	batch := func(n int, start time.Time) {
		t.Helper()
		now = now.Add(time.Millisecond)
		if err := st.InsertSyntheticLeads(ctx, n, start); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)
	batch(30, start)
	batch(30, start) // the same deadlines again: ties are broken by id
	before, err := st.Queue(ctx, LeadFilter{Status: status, Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]int{}
	var walked []QueueRow
	f := LeadFilter{Status: status, Limit: 10}
	for page := 0; ; page++ {
		rows, err := st.Queue(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			seen[r.ID]++
		}
		walked = append(walked, rows...)
		last := rows[len(rows)-1]
		f.After = QueueKey{DeadlineAt: last.DeadlineAt, ID: last.ID}
		if page%3 == 0 { // new leads, some before the key and some after
			batch(3, start.Add(time.Duration(page)*time.Minute))
		}
	}
	for _, r := range before {
		if seen[r.ID] != 1 {
			t.Errorf("lead %d listed %d times; want once", r.ID, seen[r.ID])
		}
	}
	for i := 1; i < len(walked); i++ {
		a, b := walked[i-1], walked[i]
		c := a.DeadlineAt.Compare(b.DeadlineAt)
		if c == 0 {
			c = cmp.Compare(a.ID, b.ID)
		}
		if (status == "open" && c >= 0) || (status == "all" && c <= 0) {
			t.Fatalf("rows %d and %d (%v #%d, %v #%d) out of order", i-1, i, a.DeadlineAt, a.ID, b.DeadlineAt, b.ID)
		}
	}
}
