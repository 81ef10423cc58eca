package assign

import "time"

// shiftStep is the resolution of ShiftHours: shifts are written in whole
// minutes, most on the hour or the half hour, so 5 minutes is exact for
// every schedule a person would write but "8:07".
const shiftStep = 5 * time.Minute

// OnShift reports whether c's schedule has them working at t (their hours,
// not a public holiday, not a day off), whatever their live switch: the
// staffing planned, as the owner's view and the insights count it.
func (r Rules) OnShift(c Candidate, t time.Time) bool {
	c.Away = false
	at, ok := r.availableFrom(c, t)
	return ok && at.Equal(t)
}

// ShiftHours is how long c's schedule has them working between from and
// to (the hours available in a week), measured in 5-minute steps.
func (r Rules) ShiftHours(c Candidate, from, to time.Time) time.Duration {
	var d time.Duration
	for t := from; t.Before(to); t = t.Add(shiftStep) {
		if r.OnShift(c, t) {
			d += shiftStep
		}
	}
	return d
}

// OnShiftByHour is, for each hour of the day in the agency's zone, how
// many of cs were on shift on average over the days from from to to
// (counted at half past each hour): where the staffing is thin.
func (r Rules) OnShiftByHour(cs []Candidate, from, to time.Time) [24]float64 {
	var sum [24]float64
	loc := zone(r.Agency.Loc)
	y, m, d := from.In(loc).Date()
	days := 0
	for day := time.Date(y, m, d, 0, 0, 0, 0, loc); day.Before(to); day = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, loc) {
		days++
		for h := range 24 {
			t := time.Date(day.Year(), day.Month(), day.Day(), h, 30, 0, 0, loc)
			for _, c := range cs {
				if r.OnShift(c, t) {
					sum[h]++
				}
			}
		}
	}
	if days > 0 {
		for h := range sum {
			sum[h] /= float64(days)
		}
	}
	return sum
}
