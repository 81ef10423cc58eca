package flow

import (
	"slices"
	"testing"
	"time"
)

func TestBudgetContinuedInASecondMessage(t *testing.T) {
	tests := []struct {
		name     string
		second   string
		min, max int64
		stage    Stage
	}{
		{"y and a higher amount: the range", "y 2 millones", 1_000_000, 2_000_000, StageUrgency},
		{"hasta", "hasta 3 millones", 1_000_000, 3_000_000, StageUrgency},
		{"a lower amount is no range", "y 500 mil", 1_000_000, 1_000_000, StageUrgency},
		{"no opening word: an answer to the next question, not the budget", "lo antes posible", 1_000_000, 1_000_000, StageService},
	}
	m := newTestMachine(t, Hot)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := monday10
			var s State
			for i, msg := range []string{"hola", "sí", "Nora", "Bogotá", "entre 1", tc.second} {
				now = now.Add(time.Minute)
				s = m.Step(s, text(string(rune('a'+i)), msg), now).State
			}
			b := s.Answers.Budget
			if b == nil || b.MinCOP != tc.min || b.MaxCOP != tc.max || s.Stage != tc.stage {
				t.Errorf("budget %+v at %s; want %d-%d at %s", b, s.Stage, tc.min, tc.max, tc.stage)
			}
		})
	}
}

func TestNameContinuedInTheBurst(t *testing.T) {
	m := newTestMachine(t, Hot)
	consented := []burstMsg{{0, "hola"}, {time.Minute, "sí"}, {time.Minute, "Carlos"}}
	tests := []struct {
		name     string
		next     burstMsg
		wantName string
		stage    Stage
	}{
		{"the surname inside the wait", burstMsg{800 * time.Millisecond, "Pérez"}, "Carlos Pérez", StageCity},
		{"a city that is also a surname stays the city", burstMsg{800 * time.Millisecond, "Pereira"}, "Carlos", StageBudget},
		{"after the wait the city question was read: a place abroad to confirm", burstMsg{time.Minute, "Pérez"}, "Carlos", StageCityForeign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, s := runBurst(m, 3*time.Second, append(slices.Clone(consented), tc.next))
			if s.Answers.Name != tc.wantName || s.Stage != tc.stage {
				t.Errorf("name %q at %s; want %q at %s", s.Answers.Name, s.Stage, tc.wantName, tc.stage)
			}
		})
	}
}
