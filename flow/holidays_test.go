package flow

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata" // tests must not depend on the machine's zoneinfo (catalogue F19)
)

// festivoTables are Colombia's holidays as published in the official
// calendars, checked by hand against a printed calendar (weekday of the
// original date, next Monday) and Easter (20 Apr 2025, 5 Apr 2026,
// 28 Mar 2027). Written out, not computed, so a wrong rule fails.
var festivoTables = map[int][]string{
	2025: {
		"2025-01-01 Año Nuevo",
		"2025-01-06 Día de los Reyes Magos", // 6 Jan is a Monday: stays
		"2025-03-24 Día de San José",        // Wed 19 → Mon 24
		"2025-04-17 Jueves Santo",
		"2025-04-18 Viernes Santo",
		"2025-05-01 Día del Trabajo",
		"2025-06-02 Ascensión del Señor",
		"2025-06-23 Corpus Christi",
		"2025-06-30 Sagrado Corazón de Jesús",
		"2025-06-30 San Pedro y San Pablo",   // Sun 29 → Mon 30, same day as Sagrado Corazón
		"2025-07-20 Día de la Independencia", // a Sunday: fixed holidays do not move
		"2025-08-07 Batalla de Boyacá",
		"2025-08-18 Asunción de la Virgen",   // Fri 15 → Mon 18
		"2025-10-13 Día de la Raza",          // Sun 12 → Mon 13
		"2025-11-03 Día de Todos los Santos", // Sat 1 → Mon 3
		"2025-11-17 Independencia de Cartagena",
		"2025-12-08 Día de la Inmaculada Concepción",
		"2025-12-25 Navidad",
	},
	2026: {
		"2026-01-01 Año Nuevo",
		"2026-01-12 Día de los Reyes Magos", // Tue 6 → Mon 12
		"2026-03-23 Día de San José",        // Thu 19 → Mon 23
		"2026-04-02 Jueves Santo",
		"2026-04-03 Viernes Santo",
		"2026-05-01 Día del Trabajo",
		"2026-05-18 Ascensión del Señor",
		"2026-06-08 Corpus Christi",
		"2026-06-15 Sagrado Corazón de Jesús",
		"2026-06-29 San Pedro y San Pablo", // a Monday: stays
		"2026-07-20 Día de la Independencia",
		"2026-08-07 Batalla de Boyacá",
		"2026-08-17 Asunción de la Virgen", // Sat 15 → Mon 17
		"2026-10-12 Día de la Raza",
		"2026-11-02 Día de Todos los Santos", // Sun 1 → Mon 2
		"2026-11-16 Independencia de Cartagena",
		"2026-12-08 Día de la Inmaculada Concepción",
		"2026-12-25 Navidad",
	},
	2027: {
		"2027-01-01 Año Nuevo",
		"2027-01-11 Día de los Reyes Magos", // Wed 6 → Mon 11
		"2027-03-22 Día de San José",        // Fri 19 → Mon 22
		"2027-03-25 Jueves Santo",
		"2027-03-26 Viernes Santo",
		"2027-05-01 Día del Trabajo", // a Saturday
		"2027-05-10 Ascensión del Señor",
		"2027-05-31 Corpus Christi",
		"2027-06-07 Sagrado Corazón de Jesús",
		"2027-07-05 San Pedro y San Pablo", // Tue 29 Jun → Mon 5 Jul
		"2027-07-20 Día de la Independencia",
		"2027-08-07 Batalla de Boyacá",
		"2027-08-16 Asunción de la Virgen", // Sun 15 → Mon 16
		"2027-10-18 Día de la Raza",        // Tue 12 → Mon 18
		"2027-11-01 Día de Todos los Santos",
		"2027-11-15 Independencia de Cartagena",
		"2027-12-08 Día de la Inmaculada Concepción",
		"2027-12-25 Navidad",
	},
}

func TestHolidays(t *testing.T) {
	for year, want := range festivoTables {
		t.Run(fmt.Sprint(year), func(t *testing.T) {
			got := Holidays(year)
			if len(got) != len(want) {
				t.Fatalf("Holidays(%d) has %d entries; want %d", year, len(got), len(want))
			}
			for i, h := range got {
				if h.Date.Location() != time.UTC || h.Date.Hour() != 0 || h.Date.Minute() != 0 {
					t.Errorf("Holidays(%d)[%d].Date = %v; want 00:00 UTC", year, i, h.Date)
				}
				if s := h.Date.Format(time.DateOnly) + " " + h.Name; s != want[i] {
					t.Errorf("Holidays(%d)[%d] = %q; want %q", year, i, s, want[i])
				}
			}
		})
	}
}

// TestHolidaysRules checks the shape of every year the bot may meet.
func TestHolidaysRules(t *testing.T) {
	for year := 1984; year <= 2200; year++ {
		hs := Holidays(year)
		if len(hs) != 18 {
			t.Fatalf("Holidays(%d) has %d entries; want 18", year, len(hs))
		}
		for i, h := range hs {
			if h.Date.Year() != year {
				t.Errorf("Holidays(%d): %s on %v, another year", year, h.Name, h.Date)
			}
			if i > 0 && h.Date.Before(hs[i-1].Date) {
				t.Errorf("Holidays(%d) not sorted at %d", year, i)
			}
			wd := h.Date.Weekday()
			switch h.Name {
			case "Año Nuevo", "Día del Trabajo", "Día de la Independencia", "Batalla de Boyacá",
				"Día de la Inmaculada Concepción", "Navidad":
				// fixed: any weekday
			case "Jueves Santo":
				if wd != time.Thursday {
					t.Errorf("Holidays(%d): Jueves Santo on %v", year, wd)
				}
			case "Viernes Santo":
				if wd != time.Friday {
					t.Errorf("Holidays(%d): Viernes Santo on %v", year, wd)
				}
			default:
				if wd != time.Monday {
					t.Errorf("Holidays(%d): %s on %v; want a Monday", year, h.Name, wd)
				}
			}
		}
	}
}

func TestEaster(t *testing.T) {
	// Known Easter Sundays, from published tables.
	known := []string{
		"2000-04-23", "2001-04-15", "2002-03-31", "2003-04-20", "2004-04-11",
		"2005-03-27", "2006-04-16", "2007-04-08", "2008-03-23", "2009-04-12",
		"2010-04-04", "2011-04-24", "2012-04-08", "2013-03-31", "2014-04-20",
		"2015-04-05", "2016-03-27", "2017-04-16", "2018-04-01", "2019-04-21",
		"2020-04-12", "2021-04-04", "2022-04-17", "2023-04-09", "2024-03-31",
		"2025-04-20", "2026-04-05", "2027-03-28", "2028-04-16", "2029-04-01",
		"2030-04-21",
		// The extremes of the Gregorian range: earliest (22 Mar) and latest (25 Apr).
		"1818-03-22", "2285-03-22", "1943-04-25", "2038-04-25", "1886-04-25",
	}
	for _, s := range known {
		want, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatal(err)
		}
		if got := easter(want.Year()); !got.Equal(want) {
			t.Errorf("easter(%d) = %s; want %s", want.Year(), got.Format(time.DateOnly), s)
		}
	}
	for y := 1583; y <= 4099; y++ {
		e := easter(y)
		lo := time.Date(y, time.March, 22, 0, 0, 0, 0, time.UTC)
		hi := time.Date(y, time.April, 25, 0, 0, 0, 0, time.UTC)
		if e.Weekday() != time.Sunday || e.Before(lo) || e.After(hi) {
			t.Errorf("easter(%d) = %s; want a Sunday from 22 Mar to 25 Apr", y, e.Format(time.DateOnly))
		}
	}
}

func TestIsHoliday(t *testing.T) {
	bog := calendarZone(t)
	tests := []struct {
		at   time.Time
		loc  *time.Location
		want bool
	}{
		{time.Date(2026, 1, 12, 0, 0, 0, 0, bog), bog, true},        // Reyes, moved
		{time.Date(2026, 1, 6, 12, 0, 0, 0, bog), bog, false},       // 6 Jan itself is not, once moved
		{time.Date(2026, 1, 12, 23, 59, 59, 0, bog), bog, true},     // last instant of the day
		{time.Date(2026, 1, 13, 0, 0, 0, 0, bog), bog, false},       // next day
		{time.Date(2026, 1, 12, 4, 59, 0, 0, time.UTC), bog, false}, // 23:59 on Sunday 11 in Bogotá
		{time.Date(2026, 1, 12, 5, 0, 0, 0, time.UTC), bog, true},   // 00:00 on Monday 12 in Bogotá
		{time.Date(2026, 1, 12, 4, 59, 0, 0, time.UTC), nil, true},  // nil location is UTC
		{time.Date(2026, 4, 3, 10, 0, 0, 0, bog), bog, true},        // Viernes Santo
		{time.Date(2026, 4, 5, 10, 0, 0, 0, bog), bog, false},       // Easter Sunday is no festivo
		{time.Date(2026, 12, 31, 10, 0, 0, 0, bog), bog, false},
		{time.Date(2027, 1, 1, 10, 0, 0, 0, bog), bog, true},
		{time.Date(2025, 6, 30, 10, 0, 0, 0, bog), bog, true}, // two holidays on one day
	}
	for _, tt := range tests {
		if got := IsHoliday(tt.at, tt.loc); got != tt.want {
			t.Errorf("IsHoliday(%v, %v) = %v; want %v", tt.at, tt.loc, got, tt.want)
		}
	}
}
