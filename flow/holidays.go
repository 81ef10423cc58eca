package flow

import (
	"slices"
	"time"
)

// Holiday is one Colombian public holiday (festivo).
//
// Date is a civil date, not an instant: it is the time.Time at 00:00 UTC of
// that day. Compare it through Date() or with dates built the same way
// (time.Date(y, m, d, 0, 0, 0, 0, time.UTC)); converting it to
// America/Bogota would move it to the evening before.
type Holiday struct {
	Date time.Time
	Name string // Spanish name, as the law and the published calendars give it
}

// festivoKind says how a holiday's date is found in a given year.
type festivoKind uint8

const (
	fixedDay     festivoKind = iota // always on its date, whatever the weekday
	movedMonday                     // Ley 51 de 1983: moved to the next Monday unless already a Monday
	easterOffset                    // a number of days after Easter Sunday (negative: before)
)

// festivo is one rule of the holiday calendar. For easterOffset rules, day
// is the offset from Easter Sunday and month is unused.
type festivo struct {
	name  string
	kind  festivoKind
	month time.Month
	day   int
}

// festivosPerYear is the number of holidays Colombia has every year. Two
// can fall on the same date (30 June 2025: Sagrado Corazón and San Pedro y
// San Pablo), so a year has 17 or 18 days off.
const festivosPerYear = 18

// festivos lists the holiday rules of Ley 51 de 1983 (Ley Emiliani) and the
// religious holidays of the Concordat. It returns an array, not a package
// variable, so that flow keeps no mutable globals.
//
// The Easter-based holidays other than Holy Thursday and Good Friday are
// themselves moved by Ley 51 to the Monday after their Thursday or Friday,
// so their offsets already point at a Monday: Ascension (Thursday, Easter+39)
// is kept on Easter+43, Corpus Christi (Thursday, Easter+60) on Easter+64,
// Sacred Heart (Friday, Easter+68) on Easter+71.
func festivos() [festivosPerYear]festivo {
	return [festivosPerYear]festivo{
		{"Año Nuevo", fixedDay, time.January, 1},
		{"Día de los Reyes Magos", movedMonday, time.January, 6},
		{"Día de San José", movedMonday, time.March, 19},
		{"Jueves Santo", easterOffset, 0, -3},
		{"Viernes Santo", easterOffset, 0, -2},
		{"Día del Trabajo", fixedDay, time.May, 1},
		{"Ascensión del Señor", easterOffset, 0, 43},
		{"Corpus Christi", easterOffset, 0, 64},
		{"Sagrado Corazón de Jesús", easterOffset, 0, 71},
		{"San Pedro y San Pablo", movedMonday, time.June, 29},
		{"Día de la Independencia", fixedDay, time.July, 20},
		{"Batalla de Boyacá", fixedDay, time.August, 7},
		{"Asunción de la Virgen", movedMonday, time.August, 15},
		{"Día de la Raza", movedMonday, time.October, 12},
		{"Día de Todos los Santos", movedMonday, time.November, 1},
		{"Independencia de Cartagena", movedMonday, time.November, 11},
		{"Día de la Inmaculada Concepción", fixedDay, time.December, 8},
		{"Navidad", fixedDay, time.December, 25},
	}
}

// date returns the civil date (00:00 UTC) of f in year, given that year's
// Easter Sunday. Days are added as exact 24-hour steps, which is right in
// UTC (no daylight saving).
func (f festivo) date(year int, easter time.Time) time.Time {
	switch f.kind {
	case easterOffset:
		return easter.Add(time.Duration(f.day) * 24 * time.Hour)
	case movedMonday:
		d := time.Date(year, f.month, f.day, 0, 0, 0, 0, time.UTC)
		ahead := (int(time.Monday) - int(d.Weekday()) + 7) % 7
		return d.Add(time.Duration(ahead) * 24 * time.Hour)
	default:
		return time.Date(year, f.month, f.day, 0, 0, 0, 0, time.UTC)
	}
}

// easter returns Easter Sunday of a Gregorian year as a civil date
// (00:00 UTC), by the anonymous Gregorian algorithm (Meeus/Jones/Butcher).
// It is meaningful from 1583 on; for other years it still returns a date
// and never panics.
func easter(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	n := h + l - 7*m + 114
	return time.Date(year, time.Month(n/31), n%31+1, 0, 0, 0, 0, time.UTC)
}

// Holidays returns Colombia's public holidays of year, sorted by date, each
// with its Spanish name. There are always 18; when two fall on the same date
// both are listed. The rules in force today (Ley 51 de 1983) are applied to
// every year, including years before the law.
func Holidays(year int) []Holiday {
	e := easter(year)
	out := make([]Holiday, 0, festivosPerYear)
	for _, f := range festivos() {
		out = append(out, Holiday{Date: f.date(year, e), Name: f.name})
	}
	slices.SortStableFunc(out, func(a, b Holiday) int { return a.Date.Compare(b.Date) })
	return out
}

// IsHoliday reports whether the civil date of t in loc is a Colombian
// public holiday. A nil loc means UTC.
func IsHoliday(t time.Time, loc *time.Location) bool {
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	return newHolidayYear(t.Year()).has(t.YearDay())
}

// holidayYear is the set of holidays of one year as a bitmap of year days
// (1–366): the business clock checks one date per day it walks, so it
// computes a year once and then tests bits, without allocating.
type holidayYear struct {
	year int
	bits [6]uint64 // bit n set: year day n is a holiday
}

func newHolidayYear(year int) holidayYear {
	h := holidayYear{year: year}
	e := easter(year)
	for _, f := range festivos() {
		d := f.date(year, e)
		if d.Year() != year {
			continue // cannot happen with today's rules; keeps the bitmap in range if they change
		}
		yd := d.YearDay()
		h.bits[yd/64] |= 1 << (yd % 64)
	}
	return h
}

// has reports whether year day yd (1–366) of h's year is a holiday.
func (h holidayYear) has(yd int) bool {
	if yd < 0 || yd >= 6*64 {
		return false
	}
	return h.bits[yd/64]&(1<<(yd%64)) != 0
}
