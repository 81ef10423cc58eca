package assign

import "time"

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
// unassigned and the agency's promise is the best there is.
//
// The window after ch.At is counted on the advisor's hours and public
// holidays; a personal day off that falls inside the window itself (the
// window crossing a night into a day off) is not skipped.
func (r Rules) Deadline(now time.Time, window time.Duration, ch Choice) time.Time {
	d := r.Agency.Deadline(now, window)
	if ch.At.IsZero() {
		return d
	}
	cal, ok := r.calendarOf(ch.Candidate)
	if !ok {
		return d
	}
	if own := cal.Deadline(ch.At, window); own.After(d) {
		return own
	}
	return d
}
