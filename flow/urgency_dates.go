package flow

import (
	"strconv"
	"time"
)

// Urgency answers that name a day or a season rather than a span: "el 15",
// "15 de marzo", "15/03", "después de vacaciones", "en Semana Santa",
// "cuando me paguen la prima". Each is placed by how many days ahead of the
// message it falls (urgencyForDate), so "el 15" said on the 2nd is this
// month and said on the 20th is next month's 15th.

// urgencyForDate places target by the days from now to it, as a span of
// that many days: up to 2 Immediate, up to 30 ThisMonth, up to 92
// OneToThreeMonths, later Exploring.
func urgencyForDate(now, target time.Time) Urgency {
	return urgencyForSpan(civilDaysBetween(now, target), 1)
}

// nextDate is the first day month/day on or after now's date.
func nextDate(now time.Time, month time.Month, day int) time.Time {
	y, m, d := now.Date()
	t := time.Date(y, month, day, 0, 0, 0, 0, now.Location())
	if month < m || (month == m && day < d) {
		t = t.AddDate(1, 0, 0)
	}
	return t
}

// soonest is the earliest of dates not before now's date.
func soonest(now time.Time, dates ...func(time.Time) time.Time) time.Time {
	var best time.Time
	for _, f := range dates {
		if t := f(now); best.IsZero() || t.Before(best) {
			best = t
		}
	}
	return best
}

// afterEaster is the Monday after Easter Sunday (the end of Semana Santa)
// next to come.
func afterEaster(now time.Time) time.Time {
	for y := now.Year(); ; y++ {
		e := easter(y)
		t := time.Date(y, e.Month(), e.Day()+1, 0, 0, 0, 0, now.Location())
		if civilDaysBetween(now, t) >= 0 {
			return t
		}
	}
}

// Colombian vacations: school and office holidays end around 12 January
// (after Reyes) and 15 July; Semana Santa ends on Easter Monday. The
// primas (mid-year and Christmas bonuses) are paid by 30 June and 20
// December.
var (
	endOfYearHolidays = func(now time.Time) time.Time { return nextDate(now, time.January, 12) }
	midYearHolidays   = func(now time.Time) time.Time { return nextDate(now, time.July, 15) }
	afterHolidays     = func(now time.Time) time.Time {
		if e := afterEaster(now); civilDaysBetween(now, e) <= 45 {
			return e
		}
		return soonest(now, endOfYearHolidays, midYearHolidays)
	}
	prima          = func(now time.Time) time.Time { return soonest(now, juneThirty, decemberTwenty) }
	juneThirty     = func(now time.Time) time.Time { return nextDate(now, time.June, 30) }
	decemberTwenty = func(now time.Time) time.Time { return nextDate(now, time.December, 20) }
	julyFirst      = func(now time.Time) time.Time { return nextDate(now, time.July, 1) }
	nextSemester   = func(now time.Time) time.Time {
		return soonest(now, julyFirst, func(n time.Time) time.Time { return nextDate(n, time.January, 1) })
	}
)

// urgencyDatePhrases are the seasons people name, folded.
var urgencyDatePhrases = map[string]func(time.Time) time.Time{
	"despues de vacaciones": afterHolidays, "despues de las vacaciones": afterHolidays,
	"pasando vacaciones": afterHolidays, "pasando las vacaciones": afterHolidays, "cuando vuelva de vacaciones": afterHolidays,
	"cuando vuelvan de vacaciones": afterHolidays, "after the holidays": afterHolidays,
	"after vacation": afterHolidays, "after the vacation": afterHolidays, "after vacations": afterHolidays,
	"despues de navidad": endOfYearHolidays, "despues de ano nuevo": endOfYearHolidays,
	"despues de reyes": endOfYearHolidays, "pasando las fiestas": endOfYearHolidays,
	"despues de fiestas": endOfYearHolidays, "despues de las fiestas": endOfYearHolidays,
	"after christmas": endOfYearHolidays, "after new year": endOfYearHolidays,
	"semana santa": afterEaster, "despues de semana santa": afterEaster, "after easter": afterEaster,
	"easter":         afterEaster,
	"a mitad de ano": julyFirst, "mitad de ano": julyFirst, "mediados de ano": julyFirst,
	"a mediados de ano": julyFirst, "segundo semestre": julyFirst, "el segundo semestre": julyFirst,
	"mid year": julyFirst, "second half of the year": julyFirst,
	"proximo semestre": nextSemester, "el otro semestre": nextSemester, "next semester": nextSemester,
	"la prima": prima, "con la prima": prima, "cuando me paguen la prima": prima,
	"cuando llegue la prima": prima, "cuando me llegue la prima": prima,
}

// urgencyDateCues come before a day of the month: "el 15", "para el 20",
// "antes del 30", "on the 15th".
var urgencyDateCues = newWordSet("el", "del", "para", "pa", "hasta", "antes", "desde", "the", "on", "by",
	"before", "until")

// urgencyDateAt reads a date starting at words[i]: "15 de marzo", "el 15",
// "15 03" (typed 15/03), "march 15". A bare day needs a cue before it, so
// that amounts and counts are not read as dates.
func urgencyDateAt(words []string, i int, now time.Time) (Urgency, int, bool) {
	day, ok := urgencyDay(words[i])
	if !ok {
		if m, ok := urgencyMonths[words[i]]; ok && i+1 < len(words) {
			if d, ok := urgencyDay(words[i+1]); ok { // "march 15", "marzo 15"
				return urgencyForDate(now, nextDate(now, m, d)), 3 * urgencyWordWeight, true
			}
		}
		return "", 0, false
	}
	j := i + 1
	if j < len(words) && words[j] == "de" {
		j++
	}
	if j < len(words) {
		if m, ok := urgencyMonths[words[j]]; ok { // "15 de marzo"
			return urgencyForDate(now, nextDate(now, m, day)), 3 * urgencyWordWeight, true
		}
		if m, err := strconv.Atoi(words[i+1]); err == nil && m >= 1 && m <= 12 && len(words[i+1]) <= 2 &&
			(i == 0 || urgencyDateCues[words[i-1]]) { // "15 03": 15/03
			return urgencyForDate(now, nextDate(now, time.Month(m), day)), 3 * urgencyWordWeight, true
		}
	}
	if i > 0 && urgencyDateCues[words[i-1]] && (j >= len(words) || !urgencyIsUnit(words[j])) {
		return urgencyForDate(now, nextDay(now, day)), 2 * urgencyWordWeight, true // "el 15"
	}
	return "", 0, false
}

// urgencyDay reads a day of the month: "15", "15th", "1st".
func urgencyDay(w string) (int, bool) {
	for _, suf := range []string{"st", "nd", "rd", "th", "vo", "avo"} {
		if len(w) > len(suf) && w[len(w)-len(suf):] == suf {
			w = w[:len(w)-len(suf)]
			break
		}
	}
	if len(w) == 0 || len(w) > 2 || w[0] < '0' || w[0] > '9' {
		return 0, false
	}
	d, err := strconv.Atoi(w)
	return d, err == nil && d >= 1 && d <= 31
}

func urgencyIsUnit(w string) bool {
	_, ok := urgencyUnitDays[w]
	return ok || budgetUnits[w] > 0 || w == "millones" || w == "mil"
}

// nextDay is the next date with day of month day, this month when it has
// not passed; a day the month lacks (31 in April) is its last day.
func nextDay(now time.Time, day int) time.Time {
	y, m, d := now.Date()
	if day < d {
		m++
	}
	first := time.Date(y, m, 1, 0, 0, 0, 0, now.Location())
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(day, last)-1)
}
