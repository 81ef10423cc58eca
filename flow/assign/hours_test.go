package assign

import (
	"testing"
	"time"
)

func TestShiftHoursAndOnShiftByHour(t *testing.T) {
	r := agencyRules() // Mon–Fri 8–18, Sat 8–12
	mon, nextMon := at(2, 0, 0), at(9, 0, 0)
	tests := []struct {
		name string
		c    Candidate
		want time.Duration
	}{
		{"agency hours", Candidate{ID: 1}, 5*10*time.Hour + 4*time.Hour},
		{"part time afternoons", Candidate{ID: 2, Hours: week(t, "lun-vie 14-18")}, 20 * time.Hour},
		{"a day off on Wednesday", Candidate{ID: 3, Hours: week(t, "lun-vie 14-18"), DaysOff: []time.Time{date(4)}}, 16 * time.Hour},
		{"away does not change the plan", Candidate{ID: 4, Hours: week(t, "lun-vie 14-18"), Away: true}, 20 * time.Hour},
	}
	for _, tt := range tests {
		if got := r.ShiftHours(tt.c, mon, nextMon); got != tt.want {
			t.Errorf("%s: %v; want %v", tt.name, got, tt.want)
		}
	}
	by := r.OnShiftByHour([]Candidate{{ID: 1}, {ID: 2, Hours: week(t, "lun-vie 14-20")}}, at(2, 0, 0), at(3, 0, 0)) // Monday
	for h, want := range map[int]float64{7: 0, 9: 1, 15: 2, 19: 1, 21: 0} {
		if by[h] != want {
			t.Errorf("on shift at %d:30: %v; want %v", h, by[h], want)
		}
	}
}
