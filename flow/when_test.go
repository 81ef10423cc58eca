package flow

import (
	"fmt"
	"testing"
	"time"
	_ "time/tzdata"
)

func TestPromise(t *testing.T) {
	bog := calendarZone(t)
	at := func(s string) time.Time { return calAt(t, bog, s) }
	const hot, warm, cold = 25 * time.Minute, 90 * time.Minute, 6 * time.Hour
	now := at("2026-03-03 10:00") // a Tuesday
	tests := []struct {
		name          string
		now, deadline time.Time
		window        time.Duration
		lang          string
		want          string
	}{
		// The clock did not pause: the window is stated.
		{"25 min es", now, now.Add(hot), hot, "es", "en los próximos 25 minutos"},
		{"25 min en", now, now.Add(hot), hot, "en", "in the next 25 minutes"},
		{"90 min es", now, now.Add(warm), warm, "es", "en la próxima hora y media"},
		{"90 min en", now, now.Add(warm), warm, "en", "in the next hour and a half"},
		{"60 min es", now, now.Add(time.Hour), time.Hour, "es", "en la próxima hora"},
		{"60 min en", now, now.Add(time.Hour), time.Hour, "en", "in the next hour"},
		{"2 h es", now, now.Add(2 * time.Hour), 2 * time.Hour, "es", "en las próximas 2 horas"},
		{"2 h en", now, now.Add(2 * time.Hour), 2 * time.Hour, "en", "in the next 2 hours"},
		{"6 h es", now, now.Add(cold), cold, "es", "en las próximas 6 horas"},
		{"6 h en", now, now.Add(cold), cold, "en", "in the next 6 hours"},
		{"2 h 15 es", now, now.Add(135 * time.Minute), 135 * time.Minute, "es", "en las próximas 2 horas y 15 minutos"},
		{"2 h 15 en", now, now.Add(135 * time.Minute), 135 * time.Minute, "en", "in the next 2 hours and 15 minutes"},
		{"2 h 30 es", now, now.Add(150 * time.Minute), 150 * time.Minute, "es", "en las próximas 2 horas y media"},
		{"2 h 30 en", now, now.Add(150 * time.Minute), 150 * time.Minute, "en", "in the next 2 hours and 30 minutes"},
		{"1 h 15 es", now, now.Add(75 * time.Minute), 75 * time.Minute, "es", "en la próxima hora y 15 minutos"},
		{"1 h 15 en", now, now.Add(75 * time.Minute), 75 * time.Minute, "en", "in the next hour and 15 minutes"},
		{"1 min es", now, now.Add(time.Minute), time.Minute, "es", "en el próximo minuto"},
		{"1 min en", now, now.Add(time.Minute), time.Minute, "en", "in the next minute"},
		{"30 s rounds up", now, now.Add(30 * time.Second), 30 * time.Second, "es", "en el próximo minuto"},
		{"2 h 1 min es", now, now.Add(121 * time.Minute), 121 * time.Minute, "es", "en las próximas 2 horas y 1 minuto"},
		{"store rounding keeps the phrasing", now, now.Add(hot - 300*time.Microsecond), hot, "es", "en los próximos 25 minutos"},
		{"ends exactly at closing", at("2026-03-06 17:35"), at("2026-03-06 18:00"), hot, "es", "en los próximos 25 minutos"},
		{"disabled calendar on sunday", at("2026-03-08 10:00"), at("2026-03-08 10:25"), hot, "en", "in the next 25 minutes"},

		// The clock paused: the local time is named.
		{"today es", at("2026-03-02 12:30"), at("2026-03-02 18:10"), hot, "es", "hoy antes de las 6:10 p. m."},
		{"today en", at("2026-03-02 12:30"), at("2026-03-02 18:10"), hot, "en", "today before 6:10 p.m."},
		{"today after lunch es", at("2026-03-02 11:50"), at("2026-03-02 14:15"), hot, "es", "hoy antes de las 2:15 p. m."},
		{"one o'clock is singular", at("2026-03-02 12:30"), at("2026-03-02 13:05"), hot, "es", "hoy antes de la 1:05 p. m."},
		{"one o'clock en", at("2026-03-02 12:30"), at("2026-03-02 13:05"), hot, "en", "today before 1:05 p.m."},
		{"tomorrow es", at("2026-03-08 10:00"), at("2026-03-09 08:25"), hot, "es", "mañana lunes antes de las 8:25 a. m."},
		{"tomorrow en", at("2026-03-08 10:00"), at("2026-03-09 08:25"), hot, "en", "tomorrow, Monday, before 8:25 a.m."},
		{"noon es", at("2026-03-06 16:00"), at("2026-03-07 12:00"), 22 * time.Hour, "es", "mañana sábado antes de las 12:00 p. m."},
		{"noon en", at("2026-03-06 16:00"), at("2026-03-07 12:00"), 22 * time.Hour, "en", "tomorrow, Saturday, before 12:00 p.m."},
		{"after midnight es", at("2026-03-08 23:50"), at("2026-03-09 00:15"), 5 * time.Minute, "es", "mañana lunes antes de las 12:15 a. m."},
		{"seconds round up", at("2026-03-06 17:50:40"), at("2026-03-07 08:15:40"), hot, "es", "mañana sábado antes de las 8:16 a. m."},
		{"within the week es", at("2026-04-01 17:50"), at("2026-04-04 09:20"), warm, "es", "el sábado antes de las 9:20 a. m."},
		{"within the week en", at("2026-04-01 17:50"), at("2026-04-04 09:20"), warm, "en", "on Saturday before 9:20 a.m."},
		{"thursday es", at("2026-03-30 10:00"), at("2026-04-02 09:00"), hot, "es", "el jueves antes de las 9:00 a. m."},
		{"thursday en", at("2026-03-30 10:00"), at("2026-04-02 09:00"), hot, "en", "on Thursday before 9:00 a.m."},
		{"miércoles keeps its accent", at("2026-03-28 10:00"), at("2026-04-01 09:00"), hot, "es", "el miércoles antes de las 9:00 a. m."},
		{"over the new year", at("2026-12-31 17:50"), at("2027-01-02 08:15"), hot, "en", "on Saturday before 8:15 a.m."},
		{"six days ahead", at("2026-03-02 10:00"), at("2026-03-08 09:00"), hot, "es", "el domingo antes de las 9:00 a. m."},
		{"seven days ahead names the date", at("2026-03-02 10:00"), at("2026-03-09 09:00"), hot, "es", "el lunes 9 de marzo antes de las 9:00 a. m."},
		{"later es", at("2026-01-02 10:00"), at("2026-01-12 08:25"), hot, "es", "el lunes 12 de enero antes de las 8:25 a. m."},
		{"later en", at("2026-01-02 10:00"), at("2026-01-12 08:25"), hot, "en", "on Monday, January 12 before 8:25 a.m."},
		{"september es", at("2026-09-01 10:00"), at("2026-09-21 16:45"), hot, "es", "el lunes 21 de septiembre antes de las 4:45 p. m."},
		// Instants in UTC are read in loc: 03:00 UTC Monday is still Sunday night in Bogotá.
		{"utc instants", time.Date(2026, 3, 9, 3, 0, 0, 0, time.UTC), time.Date(2026, 3, 9, 13, 25, 0, 0, time.UTC), hot, "es", "mañana lunes antes de las 8:25 a. m."},

		// Languages.
		{"en-US is English", at("2026-03-08 10:00"), at("2026-03-09 08:25"), hot, "en-US", "tomorrow, Monday, before 8:25 a.m."},
		{"EN is English", now, now.Add(hot), hot, "EN", "in the next 25 minutes"},
		{"unknown is Spanish", now, now.Add(hot), hot, "fr", "en los próximos 25 minutos"},
		{"empty is Spanish", now, now.Add(hot), hot, "", "en los próximos 25 minutos"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Promise(tt.now, tt.deadline, tt.window, bog, tt.lang); got != tt.want {
				t.Errorf("Promise(%v, %v, %v, %q) = %q; want %q", tt.now, tt.deadline, tt.window, tt.lang, got, tt.want)
			}
		})
	}
}

// TestPromiseOnCalendar runs the calendar and the phrasing together, as the
// flow does when a lead completes.
func TestPromiseOnCalendar(t *testing.T) {
	bog := calendarZone(t)
	c := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: true}
	tests := []struct {
		from   string
		window time.Duration
		want   string
	}{
		{"2026-03-03 10:00", 25 * time.Minute, "en los próximos 25 minutos"},
		{"2026-03-06 17:35", 25 * time.Minute, "en los próximos 25 minutos"},
		{"2026-03-06 17:50", 25 * time.Minute, "mañana sábado antes de las 8:15 a. m."},
		{"2026-03-07 14:55", 25 * time.Minute, "el lunes antes de las 8:25 a. m."},
		{"2026-03-08 10:00", 25 * time.Minute, "mañana lunes antes de las 8:25 a. m."},
		{"2026-03-22 09:00", 25 * time.Minute, "el martes antes de las 8:25 a. m."},
		{"2026-03-05 15:00", 6 * time.Hour, "mañana viernes antes de las 11:00 a. m."},
		{"2026-03-03 12:00", 6 * time.Hour, "en las próximas 6 horas"},
		{"2026-12-31 17:50", 25 * time.Minute, "el sábado antes de las 8:15 a. m."},
	}
	for _, tt := range tests {
		from := calAt(t, bog, tt.from)
		due := c.Deadline(from, tt.window)
		if got := Promise(from, due, tt.window, bog, "es"); got != tt.want {
			t.Errorf("Promise at %s for %v (deadline %v) = %q; want %q", tt.from, tt.window, due.In(bog), got, tt.want)
		}
	}
}

func ExamplePromise() {
	bogota, err := time.LoadLocation("America/Bogota")
	if err != nil {
		panic(err)
	}
	cal := Calendar{Loc: bogota, Week: DefaultWeek(), Enabled: true}
	const hot = 25 * time.Minute
	for _, completed := range []time.Time{
		time.Date(2026, 3, 3, 10, 0, 0, 0, bogota),  // Tuesday morning
		time.Date(2026, 3, 7, 14, 55, 0, 0, bogota), // Saturday afternoon, closed until Monday
	} {
		due := cal.Deadline(completed, hot)
		fmt.Println(Promise(completed, due, hot, bogota, "es"))
		fmt.Println(Promise(completed, due, hot, bogota, "en"))
	}
	// Output:
	// en los próximos 25 minutos
	// in the next 25 minutes
	// el lunes antes de las 8:25 a. m.
	// on Monday before 8:25 a.m.
}
