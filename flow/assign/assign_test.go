package assign

import (
	"testing"
	"time"
)

func TestPick(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	ana := Candidate{ID: 1, LastAssigned: t0.Add(2 * time.Minute)}
	beto := Candidate{ID: 2, LastAssigned: t0}
	caro := Candidate{ID: 3, LastAssigned: t0.Add(time.Minute)}
	newcomer := Candidate{ID: 7} // never assigned
	tests := []struct {
		name       string
		candidates []Candidate
		lead       Lead
		want       int64 // 0: nobody
	}{
		{"nobody in the rotation", nil, Lead{}, 0},
		{"the one assigned least recently", []Candidate{ana, beto, caro}, Lead{}, 2},
		{"order of loading does not matter", []Candidate{caro, ana, beto}, Lead{}, 2},
		{"never assigned goes first", []Candidate{ana, beto, newcomer}, Lead{}, 7},
		{"tie: the lower id", []Candidate{{ID: 5, LastAssigned: t0}, {ID: 4, LastAssigned: t0}}, Lead{}, 4},
		{"tie between newcomers: the lower id", []Candidate{{ID: 9}, {ID: 8}}, Lead{}, 8},
		{"a missed lead never goes back", []Candidate{ana, beto, caro}, Lead{From: 2}, 3},
		{"the only advisor missed it: unassigned", []Candidate{beto}, Lead{From: 2}, 0},
		{"From names nobody in the rotation", []Candidate{ana, caro}, Lead{From: 2}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pick(tt.candidates, tt.lead, Rules{}, t0)
			if tt.want == 0 {
				if ok {
					t.Errorf("Pick(%v, %+v) = %+v; want nobody", tt.candidates, tt.lead, got)
				}
				return
			}
			if !ok || got.ID != tt.want {
				t.Errorf("Pick(%v, %+v) = %+v, %v; want id %d", tt.candidates, tt.lead, got, ok, tt.want)
			}
		})
	}
}

// TestPickTakesTurns: assigning leads one after another, each advisor
// gets one before anyone gets a second, as the store's round robin does.
func TestPickTakesTurns(t *testing.T) {
	t0 := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC)
	cands := []Candidate{{ID: 1}, {ID: 2}, {ID: 3}}
	var got []int64
	for i := range 7 {
		c, ok := Pick(cands, Lead{}, Rules{}, t0)
		if !ok {
			t.Fatal("no candidate picked")
		}
		got = append(got, c.ID)
		for j := range cands {
			if cands[j].ID == c.ID {
				cands[j].LastAssigned = t0.Add(time.Duration(i) * time.Second)
			}
		}
	}
	want := []int64{1, 2, 3, 1, 2, 3, 1}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("turns %v; want %v", got, want)
		}
	}
}
