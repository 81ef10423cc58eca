package flow

import "testing"

func TestMonthSpend(t *testing.T) {
	tests := []struct {
		name            string
		amount          int64
		first, from, to string
		want            int64
		whole           bool
	}{
		{"open period: the whole month", 3_100_000, "2026-03-01", "", "", 3_100_000, true},
		{"the store's open bounds", 3_100_000, "2026-03-01", "0000-00-00", "9999-12-31", 3_100_000, true},
		{"period covers the month exactly", 3_100_000, "2026-03-01", "2026-03-01", "2026-03-31", 3_100_000, true},
		{"period wider than the month", 900_000, "2026-04-01", "2026-01-01", "2026-12-31", 900_000, true},
		{"from the 10th: 22 of 31 days", 3_100_000, "2026-03-01", "2026-03-10", "", 2_200_000, false},
		{"until the 10th: 10 of 31 days", 3_100_000, "2026-03-01", "", "2026-03-10", 1_000_000, false},
		{"one day", 3_100_000, "2026-03-01", "2026-03-15", "2026-03-15", 100_000, false},
		{"rounded down", 100, "2026-03-01", "2026-03-01", "2026-03-01", 3, false},
		{"February of a common year: 28 days", 2_800_000, "2026-02-01", "2026-02-15", "", 1_400_000, false},
		{"February of a leap year: 29 days", 2_900_000, "2028-02-01", "2028-02-01", "2028-02-10", 1_000_000, false},
		{"period after the month", 3_100_000, "2026-03-01", "2026-04-01", "2026-04-30", 0, false},
		{"period before the month", 3_100_000, "2026-03-01", "2026-02-01", "2026-02-28", 0, false},
		{"no spend", 0, "2026-03-01", "2026-03-10", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, whole, err := MonthSpend(tt.amount, tt.first, tt.from, tt.to)
			if err != nil || got != tt.want || whole != tt.whole {
				t.Errorf("MonthSpend(%d, %q, %q, %q) = %d, %v, %v; want %d, %v, nil",
					tt.amount, tt.first, tt.from, tt.to, got, whole, err, tt.want, tt.whole)
			}
		})
	}
	if _, _, err := MonthSpend(1, "marzo", "", ""); err == nil {
		t.Error(`MonthSpend(1, "marzo", "", "") = nil error; want one naming the month`)
	}
}
