package flow

import (
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
