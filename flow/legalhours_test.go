package flow

import (
	"testing"
	"time"
)

// TestLegalContactHours checks the Ley 2300 window at its edges (RELIABILITY F18, P2), against a
// hand-built table in America/Bogota: 2026-11-13 is a Friday and Monday 2026-11-16 is a holiday
// (Independencia de Cartagena, moved to Monday).
func TestLegalContactHours(t *testing.T) {
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		t.Fatal(err)
	}
	cal := LegalContactCalendar(loc)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name, at, next string
	}{
		{"friday just before closing", "2026-11-13 18:58", "2026-11-13 18:58"},
		{"friday at closing", "2026-11-13 19:00", "2026-11-14 08:00"},
		{"friday night", "2026-11-13 23:30", "2026-11-14 08:00"},
		{"saturday before opening", "2026-11-14 07:59", "2026-11-14 08:00"},
		{"saturday open", "2026-11-14 14:59", "2026-11-14 14:59"},
		{"saturday at closing, holiday monday", "2026-11-14 15:00", "2026-11-17 07:00"},
		{"sunday", "2026-11-15 10:00", "2026-11-17 07:00"},
		{"holiday monday", "2026-11-16 09:00", "2026-11-17 07:00"},
		{"ordinary monday before opening", "2026-11-23 06:59", "2026-11-23 07:00"},
		{"ordinary monday at opening", "2026-11-23 07:00", "2026-11-23 07:00"},
		{"new year's eve evening", "2026-12-31 19:30", "2027-01-02 08:00"},
		{"christmas day", "2026-12-25 10:00", "2026-12-26 08:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := cal.NextOpen(at(tc.at))
			if want := at(tc.next); !got.Equal(want) {
				t.Errorf("NextOpen(%s) = %s, want %s", tc.at, got.In(loc).Format("Mon 2006-01-02 15:04"), want.In(loc).Format("Mon 2006-01-02 15:04"))
			}
			if open := cal.IsOpen(at(tc.at)); open != (tc.at == tc.next) {
				t.Errorf("IsOpen(%s) = %v", tc.at, open)
			}
		})
	}
}
