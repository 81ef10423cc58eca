package flow

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow/messages"
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
	c, lang := botCatalog(), promiseLang(lang)
	if diff := deadline.Sub(now) - window; diff > -promiseSlack && diff < promiseSlack {
		return c.promiseWithin(window, lang)
	}
	return c.promiseAt(now, deadline, loc, lang)
}

// promiseLang is the catalogue language of lang: English for "en", "en-US"
// and the like, Spanish for anything else.
func promiseLang(lang string) string {
	lang = strings.ToLower(lang)
	if lang == "en" || strings.HasPrefix(lang, "en-") || strings.HasPrefix(lang, "en_") {
		return messages.English
	}
	return messages.Spanish
}

// promiseWithin states a window: "en las próximas 2 horas y 15 minutos".
func (c catalog) promiseWithin(window time.Duration, lang string) string {
	mins := int64(window / time.Minute)
	if window%time.Minute != 0 {
		mins++ // round up without overflowing near the largest Duration
	}
	mins = max(mins, 1)
	h, m := mins/60, mins%60
	minutes := strconv.FormatInt(m, 10)
	var s string
	switch {
	case h == 0 && m == 1:
		return c.text(lang, "promise.next_minute")
	case h == 0:
		return c.text(lang, "promise.next_minutes", "minutes", minutes)
	case h == 1:
		s = c.text(lang, "promise.next_hour")
	default:
		s = c.text(lang, "promise.next_hours", "hours", strconv.FormatInt(h, 10))
	}
	switch {
	case m == 0:
		return s
	case m == 30 && h == 1:
		return s + c.text(lang, "promise.and_half")
	case m == 30:
		return s + c.text(lang, "promise.and_half_hours")
	case m == 1:
		return s + c.text(lang, "promise.and_minute")
	}
	return s + c.text(lang, "promise.and_minutes", "minutes", minutes)
}

// promiseAt names the deadline's day and time.
func (c catalog) promiseAt(now, deadline time.Time, loc *time.Location, lang string) string {
	if loc == nil {
		loc = time.UTC
	}
	dl := deadline.In(loc)
	if dl.Second() != 0 || dl.Nanosecond() != 0 {
		dl = dl.Add(time.Minute - time.Duration(dl.Second())*time.Second - time.Duration(dl.Nanosecond()))
	}
	days := civilDaysBetween(now.In(loc), dl)
	clock := c.clock12(dl, lang)
	before := c.text(lang, "promise.before", "clock", clock)
	if h := dl.Hour(); h == 1 || h == 13 {
		before = c.text(lang, "promise.before_one", "clock", clock) // Spanish says "la una"
	}
	weekday := c.names.Weekday(lang, dl.Weekday())
	switch {
	case days == 0:
		return c.text(lang, "promise.today", "before", before)
	case days == 1:
		return c.text(lang, "promise.tomorrow", "weekday", weekday, "before", before)
	case days > 1 && days < 7:
		return c.text(lang, "promise.on_day", "weekday", weekday, "before", before)
	}
	return c.text(lang, "promise.on_date", "weekday", weekday, "day", strconv.Itoa(dl.Day()),
		"month", c.names.Month(lang, dl.Month()), "before", before)
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
func (c catalog) clock12(t time.Time, lang string) string {
	h := t.Hour() % 12
	if h == 0 {
		h = 12
	}
	suffix := c.text(lang, "promise.am")
	if t.Hour() >= 12 {
		suffix = c.text(lang, "promise.pm")
	}
	return fmt.Sprintf("%d:%02d %s", h, t.Minute(), suffix)
}
