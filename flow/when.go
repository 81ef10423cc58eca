package flow

import (
	"fmt"
	"strings"
	"time"
)

// promiseSlack is how far deadline-now may differ from the window and still
// count as "the clock did not pause". Deadlines are stored as Unix
// milliseconds, so a deadline read back from the store can be a fraction of
// a millisecond off; the phrasing must not flip because of it.
const promiseSlack = time.Second

// Promise renders how the bot states a contact deadline to the prospect, in
// lang: "en" (or "en-US" and the like) for English, anything else Spanish.
//
// When the business clock did not pause, that is deadline-now equals window
// (within a second), it states the window: "en los próximos 25 minutos",
// "en la próxima hora y media", "en las próximas 6 horas" / "in the next 25
// minutes", "in the next hour and a half". A window is stated in whole
// minutes, rounded up, at least one.
//
// Otherwise it names the deadline's local time in loc (nil means UTC),
// rounded up to the minute so the promise is never earlier than the
// deadline the advisors work to, and says which day by the distance in
// civil days from now: "hoy antes de las 6:10 p. m." / "today before
// 6:10 p.m."; "mañana lunes antes de las 8:25 a. m." / "tomorrow, Monday,
// before 8:25 a.m."; up to six days ahead "el jueves antes de las
// 9:00 a. m." / "on Thursday before 9:00 a.m."; further (or, should it
// happen, in the past) the date without the year: "el lunes 12 de enero
// antes de las 8:25 a. m." / "on Monday, January 12 before 8:25 a.m.".
//
// Spanish times follow the Colombian 12-hour style with plain spaces,
// "8:25 a. m.", "1:05 p. m." (and "antes de la 1:05", singular, as Spanish
// says "la una"); noon is "12:00 p. m." rather than "12:00 m.", and
// midnight "12:00 a. m.". English uses "8:25 a.m.". Day and month names are
// lower case in Spanish.
func Promise(now, deadline time.Time, window time.Duration, loc *time.Location, lang string) string {
	en := isEnglish(lang)
	if diff := deadline.Sub(now) - window; diff > -promiseSlack && diff < promiseSlack {
		return promiseWithin(window, en)
	}
	return promiseAt(now, deadline, loc, en)
}

func isEnglish(lang string) bool {
	lang = strings.ToLower(lang)
	return lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_")
}

// promiseWithin states a window: "en las próximas 2 horas y 15 minutos".
func promiseWithin(window time.Duration, en bool) string {
	mins := int64(window / time.Minute)
	if window%time.Minute != 0 {
		mins++ // round up without overflowing near the largest Duration
	}
	mins = max(mins, 1)
	h, m := mins/60, mins%60
	if en {
		var s string
		switch {
		case h == 0 && m == 1:
			return "in the next minute"
		case h == 0:
			return fmt.Sprintf("in the next %d minutes", m)
		case h == 1:
			s = "in the next hour"
		default:
			s = fmt.Sprintf("in the next %d hours", h)
		}
		switch {
		case m == 0:
			return s
		case m == 30 && h == 1:
			return s + " and a half"
		case m == 1:
			return s + " and 1 minute"
		default:
			return s + fmt.Sprintf(" and %d minutes", m)
		}
	}
	var s string
	switch {
	case h == 0 && m == 1:
		return "en el próximo minuto"
	case h == 0:
		return fmt.Sprintf("en los próximos %d minutos", m)
	case h == 1:
		s = "en la próxima hora"
	default:
		s = fmt.Sprintf("en las próximas %d horas", h)
	}
	switch m {
	case 0:
		return s
	case 30:
		return s + " y media"
	case 1:
		return s + " y 1 minuto"
	default:
		return s + fmt.Sprintf(" y %d minutos", m)
	}
}

// promiseAt names the deadline's day and time.
func promiseAt(now, deadline time.Time, loc *time.Location, en bool) string {
	if loc == nil {
		loc = time.UTC
	}
	dl := deadline.In(loc)
	if dl.Second() != 0 || dl.Nanosecond() != 0 {
		dl = dl.Add(time.Minute - time.Duration(dl.Second())*time.Second - time.Duration(dl.Nanosecond()))
	}
	days := civilDaysBetween(now.In(loc), dl)
	clock := clock12(dl, en)
	wd, mo := dl.Weekday(), dl.Month()
	if en {
		switch {
		case days == 0:
			return "today before " + clock
		case days == 1:
			return fmt.Sprintf("tomorrow, %s, before %s", wd, clock)
		case days > 1 && days < 7:
			return fmt.Sprintf("on %s before %s", wd, clock)
		default:
			return fmt.Sprintf("on %s, %s %d before %s", wd, mo, dl.Day(), clock)
		}
	}
	before := "antes de las " + clock
	if h := dl.Hour(); h == 1 || h == 13 {
		before = "antes de la " + clock
	}
	switch {
	case days == 0:
		return "hoy " + before
	case days == 1:
		return fmt.Sprintf("mañana %s %s", weekdayES(wd), before)
	case days > 1 && days < 7:
		return fmt.Sprintf("el %s %s", weekdayES(wd), before)
	default:
		return fmt.Sprintf("el %s %d de %s %s", weekdayES(wd), dl.Day(), monthES(mo), before)
	}
}

// civilDaysBetween counts calendar days from a's date to b's date, each
// taken in its own location (callers pass both in the same one).
func civilDaysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da) / dayLength)
}

// clock12 renders "8:25 a. m." (es) or "8:25 a.m." (en).
func clock12(t time.Time, en bool) string {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	var suffix string
	switch {
	case en && t.Hour() < 12:
		suffix = "a.m."
	case en:
		suffix = "p.m."
	case t.Hour() < 12:
		suffix = "a. m."
	default:
		suffix = "p. m."
	}
	return fmt.Sprintf("%d:%02d %s", h, t.Minute(), suffix)
}

func weekdayES(d time.Weekday) string {
	names := [7]string{"domingo", "lunes", "martes", "miércoles", "jueves", "viernes", "sábado"}
	return names[d%7]
}

func monthES(m time.Month) string {
	names := [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
		"agosto", "septiembre", "octubre", "noviembre", "diciembre"}
	return names[(m-1)%12]
}
