package assign

import (
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Deadline is the contact deadline to promise for a lead completed at now
// with the class's window, placed with ch by Pick (the zero Choice: nobody
// took it). It is the later of two instants:
//
//   - now plus the window on the agency's business clock, the promise the
//     bot made before advisors had schedules;
//   - ch.At plus the window on the chosen advisor's own shift: a lead that
//     arrives while its only advisor is off is promised their next shift
//     plus the window, not a time nobody can keep.
//
// With nobody to take the lead the first alone is returned: the lead waits
// unassigned and the agency's promise is the best there is. The window on
// the advisor's shift skips their public holidays and days off too: 10
// minutes left at Tuesday's close, off on Wednesday, the rest is Thursday
// morning.
func (r Rules) Deadline(now time.Time, window time.Duration, ch Choice) time.Time {
	d := r.Agency.Deadline(now, window)
	if ch.At.IsZero() {
		return d
	}
	cal, ok := r.calendarOf(ch.Candidate)
	if !ok {
		return d
	}
	if own := r.shiftDeadline(ch.Candidate, cal, ch.At, window); own.After(d) {
		return own
	}
	return d
}

// shiftDeadline adds window of c's working time to at, a moment c is on
// shift: the calendar's walk, cut at each day off that falls inside it.
func (r Rules) shiftDeadline(c Candidate, cal flow.Calendar, at time.Time, window time.Duration) time.Time {
	loc := zone(r.Agency.Loc)
	cur, left := at, window
	for range lookaheadDays {
		end := cal.Deadline(cur, left)
		off, found := firstDayOff(c.DaysOff, cur, end, loc)
		if !found {
			return end
		}
		used := usedBefore(cal, cur, off, left)
		next, ok := r.availableFrom(c, off)
		if !ok {
			return end // no shift ahead: the calendar's answer is the best there is
		}
		cur, left = next, left-used
	}
	return cur.Add(left)
}

// firstDayOff returns the midnight (in loc) starting the first day off
// that begins after from and before end.
func firstDayOff(off []time.Time, from, end time.Time, loc *time.Location) (time.Time, bool) {
	var first time.Time
	for _, o := range off {
		y, m, d := o.Date()
		start := time.Date(y, m, d, 0, 0, 0, 0, loc)
		if start.After(from) && start.Before(end) && (first.IsZero() || start.Before(first)) {
			first = start
		}
	}
	return first, !first.IsZero()
}

// usedBefore is how much of left the calendar spends from from until
// limit: the largest w ≤ left with cal.Deadline(from, w) not after limit.
// Deadline grows with w, so a bisection to the nanosecond finds it exactly
// (about 45 walks of a few days each); a rounded value would move the
// promise by a minute, as Promise rounds up.
func usedBefore(cal flow.Calendar, from, limit time.Time, left time.Duration) time.Duration {
	lo, hi := time.Duration(0), left
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if cal.Deadline(from, mid).After(limit) {
			hi = mid
		} else {
			lo = mid
		}
	}
	return lo
}
