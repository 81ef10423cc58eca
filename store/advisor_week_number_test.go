package store

import (
	"context"
	"reflect"
	"testing"
	"time"
)

// advisorRow is what TestAdvisorsPerNumberBothEngines compares of an
// AdvisorWeek (shift hours are the schedules', the same in every view).
type advisorRow struct {
	Username              string
	InRotation            bool
	Open, OnTime, Late, N int
	Median                time.Duration
}

func advisorRows(ws []AdvisorWeek) []advisorRow {
	out := []advisorRow{}
	for _, w := range ws {
		out = append(out, advisorRow{w.Username, w.InRotation, w.Open, w.OnTime, w.Late, w.Contacted, w.MedianFirst})
	}
	return out
}

// TestAdvisorsPerNumberBothEngines: the advisors' view of one number
// (issue 16). The two numbers' leads of twoNumbersStore are given to three
// advisors in the rotation: ana holds norte's two contacted leads and sur's
// late one, beto norte's open cold lead, caro sur's open hot lead. Norte
// has its own advisors (beto only); sur has none, so the whole rotation
// takes its leads. A number's week counts its leads only and shows as "in
// the rotation" those who take them; staffing by hour counts its leads and
// the advisors on shift who take them; every number is the sum. On both
// engines, figures computed by hand.
func TestAdvisorsPerNumberBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s, norte, sur := twoNumbersStore(t, e, clock)
		for _, q := range []string{
			`INSERT INTO users (id, username, role, password_hash, created_at, password_changed_at, in_rotation)
				VALUES (78, 'beto', 'advisor', 'x', 0, 0, 1), (79, 'caro', 'advisor', 'x', 0, 0, 1)`,
			`UPDATE users SET in_rotation = 1 WHERE id = 77`,
			`UPDATE leads SET assigned_to = CASE id WHEN 3 THEN 78 WHEN 5 THEN 79 ELSE 77 END`,
		} {
			if _, err := e.raw.Exec(q); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := e.raw.Exec(e.q(`INSERT INTO account_advisors (account_id, user_id) VALUES (?, 78)`), norte); err != nil {
			t.Fatal(err)
		}
		now := clock.Now() // 18:00 UTC, Monday 2 March 2026
		monday := time.Date(2026, 3, 2, 5, 0, 0, 0, time.UTC)
		m := time.Minute
		want := map[int64][]advisorRow{
			norte: {{"beto", true, 1, 0, 1, 0, 0}, {"ana", false, 0, 2, 0, 2, 13*m + 30*time.Second}},
			sur:   {{"ana", true, 0, 0, 1, 1, 116 * m}, {"beto", true, 0, 0, 0, 0, 0}, {"caro", true, 1, 0, 1, 0, 0}},
			0:     {{"ana", true, 0, 2, 1, 3, 14 * m}, {"beto", true, 1, 0, 1, 0, 0}, {"caro", true, 1, 0, 1, 0, 0}},
		}
		for n, w := range want {
			ws, err := s.AdvisorWeeks(ctx, monday, now, n)
			if got := advisorRows(ws); err != nil || !reflect.DeepEqual(got, w) {
				t.Errorf("advisors' week of %d = %+v, %v\nwant %+v", n, got, err, w)
			}
		}
		checkStaffingPerNumber(t, s, now, norte, sur)
	})
}

// checkStaffingPerNumber: the leads were completed at 10 h in Bogotá;
// norte's three (one late), sur's two (both late). Nobody has a schedule,
// so who is on shift is the agency's calendar: norte's one taker is a
// third of every number's three, and sur (no advisors of its own) has all.
func checkStaffingPerNumber(t *testing.T, s *Store, now time.Time, norte, sur int64) {
	ctx := context.Background()
	from := now.Add(-7 * 24 * time.Hour)
	hours := map[int64][24]HourStaff{}
	for _, n := range []int64{0, norte, sur} {
		h, err := s.StaffingByHour(ctx, from, now, n)
		if err != nil {
			t.Fatal(err)
		}
		hours[n] = h
	}
	for n, w := range map[int64][2]int{norte: {3, 1}, sur: {2, 2}, 0: {5, 3}} {
		if h := hours[n][10]; h.Leads != w[0] || h.Late != w[1] {
			t.Errorf("10 h of %d: %d leads, %d late; want %d, %d", n, h.Leads, h.Late, w[0], w[1])
		}
	}
	onShift := 0.0
	for h := range 24 {
		all, no, so := hours[0][h].OnShift, hours[norte][h].OnShift, hours[sur][h].OnShift
		onShift += all
		if so != all || no*3 != all {
			t.Errorf("%d h on shift: all %v, norte %v, sur %v; want norte a third of all, sur all", h, all, no, so)
		}
	}
	if onShift == 0 {
		t.Error("nobody on shift at any hour: the comparison shows nothing")
	}
}
