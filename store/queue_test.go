package store

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestQueueFiltersAndSources(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "q.db"), Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	start := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)
	if err := st.InsertSyntheticLeads(ctx, 24, start); err != nil {
		t.Fatal(err)
	}
	src, err := st.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"fb-marzo", "google-search", "instagram"}; !slices.Equal(src, want) {
		t.Errorf("Sources = %v; want %v", src, want)
	}
	tests := []struct {
		name string
		f    LeadFilter
		want int
	}{
		{"open", LeadFilter{}, 24},
		{"hot", LeadFilter{Class: "hot"}, 8},
		{"campaign", LeadFilter{Source: "instagram"}, 6},
		{"search city", LeadFilter{Search: "medell"}, 4},
		{"search is literal", LeadFilter{Search: "%"}, 0},
		{"since", LeadFilter{Since: start.Add(20 * time.Second)}, 4},
		{"unassigned", LeadFilter{AdvisorID: -1}, 24},
		{"won", LeadFilter{Status: "won"}, 0},
	}
	for _, tt := range tests {
		rows, err := st.Queue(ctx, tt.f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != tt.want {
			t.Errorf("%s: Queue(%+v) = %d rows; want %d", tt.name, tt.f, len(rows), tt.want)
		}
		if !slices.IsSortedFunc(rows, func(a, b QueueRow) int { return a.DeadlineAt.Compare(b.DeadlineAt) }) {
			t.Errorf("%s: rows not ordered by deadline", tt.name)
		}
	}
	if err := st.ActOnLead(ctx, 1, LeadAction{Kind: "won", ValueCOP: 5}); err != nil {
		t.Fatal(err)
	}
	if err := st.ActOnLead(ctx, 1, LeadAction{Kind: "contacted"}); err == nil {
		t.Error("contacting a won lead succeeded")
	}
	if err := st.ActOnLead(ctx, 999, LeadAction{Kind: "note", Detail: "x"}); err == nil {
		t.Error("acting on a missing lead succeeded")
	}
}
