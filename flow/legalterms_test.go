package flow

import (
	"testing"
	"time"
)

func bogotaTime(tb testing.TB, s string) time.Time {
	tb.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, Bogota())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

func dataRequestDue(kind string, received time.Time) (time.Time, error) {
	term, err := DataRequestTerm(kind)
	return term.Due(received), err
}

func TestDataRequestDeadlines(t *testing.T) {
	// Hand-built from the 2026/2027 Colombian calendar: 2026-11-16 (Mon), 2026-12-08 (Tue),
	// 2026-12-25 (Fri), 2027-01-01 (Fri) and 2027-01-11 (Mon, Reyes moved) are holidays.
	tests := []struct {
		kind, received, due string
	}{
		{RequestAccess, "2026-11-13 10:00", "2026-11-30"},  // query: 10 business days, the holiday Monday skipped
		{RequestDelete, "2026-11-13 10:00", "2026-12-07"},  // claim: 15
		{RequestRevoke, "2026-11-13 23:30", "2026-12-07"},  // late on Friday is still Friday
		{RequestCorrect, "2026-12-23 09:00", "2027-01-18"}, // across Christmas, New Year and Reyes
		{RequestAccess, "2026-11-14 09:00", "2026-11-30"},  // received on a Saturday
		{RequestAccess, "2026-12-07 09:00", "2026-12-22"},  // 8 December skipped
	}
	for _, tc := range tests {
		t.Run(tc.kind+" "+tc.received, func(t *testing.T) {
			got, err := dataRequestDue(tc.kind, bogotaTime(t, tc.received))
			if err != nil {
				t.Fatal(err)
			}
			want := bogotaTime(t, tc.due+" 23:59").Add(59*time.Second + 999*time.Millisecond)
			if !got.Equal(want) {
				t.Errorf("due = %s, want %s", got.In(Bogota()), want)
			}
		})
	}
	if _, err := DataRequestTerm("gossip"); err == nil {
		t.Error("an unknown kind has no term")
	}
}

// TestSICAndWarnings: the SIC term and the dashboard's warnings count
// business days too.
func TestSICAndWarnings(t *testing.T) {
	detected := bogotaTime(t, "2026-11-13 10:00")
	if got, want := SICReportDue(detected), bogotaTime(t, "2026-12-07 23:59").Add(59*time.Second+999*time.Millisecond); !got.Equal(want) {
		t.Errorf("SIC due = %s; want %s", got, want)
	}
	term, _ := DataRequestTerm(RequestAccess)
	if got, want := term.Extended(bogotaTime(t, "2026-11-30 23:59")), bogotaTime(t, "2026-12-07 23:59").Add(59*time.Second+999*time.Millisecond); !got.Equal(want) {
		t.Errorf("extended = %s; want 2026-12-07 (5 business days)", got)
	}
	due := bogotaTime(t, "2026-12-07 23:59")
	for now, want := range map[string]string{
		"2026-12-08 09:00": "overdue", "2026-12-03 09:00": "due_soon", "2026-12-02 09:00": "",
	} {
		if got := DueWarning(due, bogotaTime(t, now)); got != want {
			t.Errorf("DueWarning at %s = %q; want %q", now, got, want)
		}
	}
}
