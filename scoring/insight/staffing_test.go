package insight

import (
	"testing"

	"github.com/cis-agencia/cis/store"
)

// hours builds a day: leads and late per hour, advisors on shift per hour.
func hours(set func(h int) store.HourStaff) [24]store.HourStaff {
	var out [24]store.HourStaff
	for h := range out {
		out[h] = set(h)
		out[h].Hour = h
	}
	return out
}

func TestStaffingHours(t *testing.T) {
	tests := []struct {
		name  string
		hours [24]store.HourStaff
		want  []string // block starts found
	}{
		{"evenings understaffed and late", hours(func(h int) store.HourStaff {
			switch {
			case h >= 18 && h < 21:
				return store.HourStaff{Leads: 10, Late: 6, OnShift: 0.4}
			case h >= 8 && h < 18:
				return store.HourStaff{Leads: 10, Late: 1, OnShift: 3}
			}
			return store.HourStaff{}
		}), []string{"18:00"}},
		{"evenings late but as staffed as the day: not staffing", hours(func(h int) store.HourStaff {
			if h >= 8 && h < 21 {
				late := 1
				if h >= 18 {
					late = 6
				}
				return store.HourStaff{Leads: 10, Late: late, OnShift: 3}
			}
			return store.HourStaff{}
		}), nil},
		{"too few evening leads to say", hours(func(h int) store.HourStaff {
			switch {
			case h == 19:
				return store.HourStaff{Leads: 5, Late: 5, OnShift: 0}
			case h >= 8 && h < 18:
				return store.HourStaff{Leads: 10, Late: 1, OnShift: 3}
			}
			return store.HourStaff{}
		}), nil},
	}
	for _, tt := range tests {
		got := staffingHours(Facts{Hours: tt.hours}, MinStaffing)
		var starts []string
		for _, f := range got {
			starts = append(starts, f.Args[0].S)
			if f.Key != "insight.staffing_hours" || len(f.Args) != 8 {
				t.Errorf("%s: finding %+v", tt.name, f)
			}
		}
		if len(starts) != len(tt.want) || (len(starts) > 0 && starts[0] != tt.want[0]) {
			t.Errorf("%s: blocks %v; want %v", tt.name, starts, tt.want)
		}
	}
}
