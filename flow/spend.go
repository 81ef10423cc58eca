package flow

import (
	"fmt"
	"time"
)

// What a campaign cost in a period. The campaigns file gives spend by day
// or by month; a day's spend counts whole for the day, and a month's spend
// counts pro rata by how many of its days fall in the period, so a page
// asked for 10–31 March shows 22/31 of March's spend. The store loads the
// spend rows and adds what MonthSpend says.

// MonthSpend returns the part of amount, spent over the calendar month that
// starts on first (YYYY-MM-01), that counts for the days from..to
// (YYYY-MM-DD, both included; a bound that is not a date leaves that end
// open): amount × the month's days in the range ÷ the month's days, rounded
// down. whole reports that every day of the month is in the range. It
// returns an error only when first is not a date.
func MonthSpend(amount int64, first, from, to string) (part int64, whole bool, err error) {
	m, err := time.Parse(time.DateOnly, first)
	if err != nil {
		return 0, false, fmt.Errorf("month %q: %w", first, err)
	}
	end := m.AddDate(0, 1, -1)
	days := end.Day()
	lo, hi := m, end
	if f, err := time.Parse(time.DateOnly, from); err == nil && f.After(lo) {
		lo = f
	}
	if t, err := time.Parse(time.DateOnly, to); err == nil && t.Before(hi) {
		hi = t
	}
	share := 0
	if !hi.Before(lo) {
		share = int(hi.Sub(lo).Hours()/24) + 1
	}
	return amount * int64(share) / int64(days), share == days, nil
}
