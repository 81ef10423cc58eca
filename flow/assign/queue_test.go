package assign

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestDrainFillsFreedCapacityOldestFirst: the shared queue is placed in
// order, each placement counting against the advisor's capacity, and what
// nobody can take keeps waiting.
func TestDrainFillsFreedCapacityOldestFirst(t *testing.T) {
	now := at(3, 10, 0)
	cands := []Candidate{
		{ID: 1, MaxOpen: 2, Open: 1},                                  // one place free
		{ID: 2, MaxOpen: 1, Open: 1},                                  // full
		{ID: 3, Services: []string{"seo"}, LastAssigned: at(3, 9, 0)}, // seo only, no limit
	}
	waiting := []Lead{{Service: "web"}, {Service: "web"}, {Service: "seo"}, {Service: "seo"}}
	got := Drain(waiting, cands, agencyRules(), now)
	// Lead 0 fills advisor 1; lead 1 (web) waits (2 is full, 3 sells seo
	// only); both seo leads go to 3, who has no limit.
	want := map[int]int64{0: 1, 2: 3, 3: 3}
	if len(got) != len(want) {
		t.Fatalf("placed %+v; want %v", got, want)
	}
	for _, p := range got {
		if want[p.Index] != p.ID {
			t.Errorf("waiting lead %d went to %d; want %d", p.Index, p.ID, want[p.Index])
		}
	}
	if cands[0].Open != 1 {
		t.Errorf("Drain changed its input")
	}
}

// TestReassignmentOnlyToSomeoneOnShiftNow: a missed lead (NowOnly) moves
// only to an advisor who can call now, never back to the one who missed it.
func TestReassignmentOnlyToSomeoneOnShiftNow(t *testing.T) {
	afternoons := week(t, "mon-fri 14:00-20:00")
	tests := []struct {
		name  string
		cands []Candidate
		want  int64
	}{
		{"another advisor on shift takes it", []Candidate{{ID: 1}, {ID: 2}}, 2},
		{"the other one starts at 14:00: it stays", []Candidate{{ID: 1}, {ID: 2, Hours: afternoons}}, 0},
		{"the other one is on holiday today: it stays", []Candidate{{ID: 1}, {ID: 2, DaysOff: []time.Time{date(3)}}}, 0},
		{"of two, the one on shift", []Candidate{{ID: 1}, {ID: 2, Hours: afternoons}, {ID: 3, LastAssigned: at(3, 9, 0)}}, 3},
	}
	for _, tt := range tests {
		ch, ok := Pick(tt.cands, Lead{From: 1, NowOnly: true, Class: flow.Hot}, agencyRules(), at(3, 10, 0))
		if got := map[bool]int64{true: ch.ID}[ok]; got != tt.want {
			t.Errorf("%s: got %d; want %d", tt.name, got, tt.want)
		}
	}
}

func TestIdle(t *testing.T) {
	r := agencyRules() // Mon–Fri 8–18
	lunch := week(t, "mon-fri 8-12,14-18")
	tests := []struct {
		name       string
		c          Candidate
		lastActive time.Time
		now        time.Time
		want       bool
	}{
		{"idle 30 min on shift", Candidate{ID: 1}, at(3, 9, 0), at(3, 9, 30), true},
		{"active 10 min ago", Candidate{ID: 1}, at(3, 9, 20), at(3, 9, 30), false},
		{"never on the dashboard", Candidate{ID: 1}, time.Time{}, at(3, 9, 30), false},
		{"off shift at night", Candidate{ID: 1}, at(3, 17, 0), at(3, 22, 0), false},
		{"first minutes of the morning shift", Candidate{ID: 1}, at(2, 17, 0), at(3, 8, 10), false},
		{"half an hour into the shift without showing up", Candidate{ID: 1}, at(2, 17, 0), at(3, 8, 30), true},
		{"back from lunch 10 min ago", Candidate{ID: 1, Hours: lunch}, at(3, 11, 50), at(3, 14, 10), false},
		{"already away", Candidate{ID: 1, Away: true}, at(3, 9, 0), at(3, 9, 30), false},
		{"day off", Candidate{ID: 1, DaysOff: []time.Time{date(3)}}, at(3, 9, 0), at(3, 9, 30), false},
	}
	for _, tt := range tests {
		if got := r.Idle(tt.c, tt.lastActive, tt.now, 30*time.Minute); got != tt.want {
			t.Errorf("%s: Idle = %v; want %v", tt.name, got, tt.want)
		}
	}
}
