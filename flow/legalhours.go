package flow

import "time"

// LegalContactWeek returns the hours Ley 2300 de 2023 ("dejen de fregar", art. 3, applied to
// advertising by art. 5) allows for commercial contact: Monday to Friday 07:00–19:00 and Saturday
// 08:00–15:00; never on Sundays. Holidays are closed by the Calendar itself.
func LegalContactWeek() Week {
	var w Week
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = []Span{{7 * time.Hour, 19 * time.Hour}}
	}
	w[time.Saturday] = []Span{{8 * time.Hour, 15 * time.Hour}}
	return w
}

// LegalContactCalendar is the calendar commercial outbound (follow-ups, reminders to prospects,
// re-engagement) is held to, in loc (America/Bogota for Colombia): NextOpen gives the first
// instant a held message may leave. Replies to a message the prospect just sent are not held.
func LegalContactCalendar(loc *time.Location) Calendar {
	return Calendar{Loc: loc, Week: LegalContactWeek(), Enabled: true}
}
