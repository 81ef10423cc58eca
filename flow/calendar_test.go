package flow

import (
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // the binary embeds tzdata; tests must not depend on the machine's zoneinfo
)

// calendarZone loads America/Bogota from the embedded tzdata.
func calendarZone(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		tb.Fatalf("load America/Bogota: %v", err)
	}
	return loc
}

// calAt parses "2006-01-02 15:04" or "2006-01-02 15:04:05" in loc.
func calAt(tb testing.TB, loc *time.Location, s string) time.Time {
	tb.Helper()
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout = time.DateTime
	}
	t, err := time.ParseInLocation(layout, s, loc)
	if err != nil {
		tb.Fatalf("calAt(%q): %v", s, err)
	}
	return t
}

func mustWeek(tb testing.TB, s string) Week {
	tb.Helper()
	w, err := ParseWeek(s)
	if err != nil {
		tb.Fatalf("ParseWeek(%q): %v", s, err)
	}
	return w
}

// TestDeadline is catalogue F18: each row was worked out by hand on a
// printed calendar (DefaultWeek unless the row says otherwise: Mon–Fri
// 08:00–18:00, Sat 08:00–12:00). Times are Bogotá wall clock.
func TestDeadline(t *testing.T) {
	bog := calendarZone(t)
	madrid, err := time.LoadLocation("Europe/Madrid")
	if err != nil {
		t.Fatal(err)
	}
	std := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: true}
	split := Calendar{Loc: bog, Week: mustWeek(t, "lun-vie 8:00-12:00,14:00-18:00"), Enabled: true}
	always := Calendar{Loc: bog, Week: mustWeek(t, "mon-sun 0-24"), Enabled: true}
	off := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: false}
	empty := Calendar{Loc: bog, Enabled: true}
	const hot, warm, cold = 25 * time.Minute, 90 * time.Minute, 6 * time.Hour

	tests := []struct {
		name   string
		cal    Calendar
		from   time.Time
		window time.Duration
		want   string // Bogotá
	}{
		{"inside hours", std, calAt(t, bog, "2026-03-03 10:00"), hot, "2026-03-03 10:25:00"},
		{"inside hours warm", std, calAt(t, bog, "2026-03-03 10:00"), warm, "2026-03-03 11:30:00"},
		{"seconds are kept", std, calAt(t, bog, "2026-03-03 10:00:30"), hot, "2026-03-03 10:25:30"},
		{"friday 17:50 runs into saturday", std, calAt(t, bog, "2026-03-06 17:50"), hot, "2026-03-07 08:15:00"},
		{"friday 17:35 ends at closing", std, calAt(t, bog, "2026-03-06 17:35"), hot, "2026-03-06 18:00:00"},
		{"friday 17:00 warm", std, calAt(t, bog, "2026-03-06 17:00"), warm, "2026-03-07 08:30:00"},
		{"saturday 11:55 to monday", std, calAt(t, bog, "2026-03-07 11:55"), hot, "2026-03-09 08:20:00"},
		{"saturday 14:55 to monday", std, calAt(t, bog, "2026-03-07 14:55"), hot, "2026-03-09 08:25:00"},
		{"saturday 14:55 cold", std, calAt(t, bog, "2026-03-07 14:55"), cold, "2026-03-09 14:00:00"},
		{"sunday", std, calAt(t, bog, "2026-03-08 10:00"), hot, "2026-03-09 08:25:00"},
		{"sunday one minute to midnight", std, calAt(t, bog, "2026-03-08 23:59"), warm, "2026-03-09 09:30:00"},
		{"saturday before moved san jose", std, calAt(t, bog, "2026-03-21 11:50"), hot, "2026-03-24 08:15:00"},
		{"sunday before moved san jose", std, calAt(t, bog, "2026-03-22 09:00"), hot, "2026-03-24 08:25:00"},
		{"on moved san jose monday", std, calAt(t, bog, "2026-03-23 10:00"), hot, "2026-03-24 08:25:00"},
		{"cold over asuncion weekend", std, calAt(t, bog, "2026-08-14 17:00"), cold, "2026-08-18 09:00:00"},
		{"31 dec to 2 jan (saturday)", std, calAt(t, bog, "2026-12-31 17:50"), hot, "2027-01-02 08:15:00"},
		{"31 dec to 2 jan (friday)", std, calAt(t, bog, "2025-12-31 17:50"), hot, "2026-01-02 08:15:00"},
		{"31 dec cold to january", std, calAt(t, bog, "2027-12-31 17:00"), cold, "2028-01-03 13:00:00"},
		{"holy wednesday warm", std, calAt(t, bog, "2026-04-01 17:50"), warm, "2026-04-04 09:20:00"},
		{"on holy thursday", std, calAt(t, bog, "2026-04-02 09:00"), hot, "2026-04-04 08:25:00"},
		{"holy week 2027 cold", std, calAt(t, bog, "2027-03-24 15:00"), cold, "2027-03-27 11:00:00"},
		{"christmas eve", std, calAt(t, bog, "2026-12-24 17:50"), hot, "2026-12-26 08:15:00"},
		{"saturday before corpus monday", std, calAt(t, bog, "2026-06-06 11:00"), warm, "2026-06-09 08:30:00"},
		{"exactly at opening", std, calAt(t, bog, "2026-03-02 08:00"), hot, "2026-03-02 08:25:00"},
		{"exactly at closing", std, calAt(t, bog, "2026-03-02 18:00"), hot, "2026-03-03 08:25:00"},
		{"exactly at saturday closing", std, calAt(t, bog, "2026-03-07 12:00"), hot, "2026-03-09 08:25:00"},
		{"at midnight", std, calAt(t, bog, "2026-03-03 00:00"), hot, "2026-03-03 08:25:00"},
		{"cold over two days", std, calAt(t, bog, "2026-03-05 15:00"), cold, "2026-03-06 11:00:00"},
		{"cold ends at saturday closing", std, calAt(t, bog, "2026-03-06 16:00"), cold, "2026-03-07 12:00:00"},
		{"cold over weekend", std, calAt(t, bog, "2026-03-07 10:00"), cold, "2026-03-09 12:00:00"},
		{"a whole week of hours", std, calAt(t, bog, "2026-03-02 08:00"), 54 * time.Hour, "2026-03-07 12:00:00"},
		{"zero window inside", std, calAt(t, bog, "2026-03-03 10:00"), 0, "2026-03-03 10:00:00"},
		{"zero window on sunday", std, calAt(t, bog, "2026-03-08 10:00"), 0, "2026-03-09 08:00:00"},
		{"negative window is zero", std, calAt(t, bog, "2026-03-08 10:00"), -5 * time.Minute, "2026-03-09 08:00:00"},
		{"disabled calendar", off, calAt(t, bog, "2026-03-08 10:00"), hot, "2026-03-08 10:25:00"},
		{"disabled on a holiday", off, calAt(t, bog, "2026-03-23 22:00"), cold, "2026-03-24 04:00:00"},
		{"no spans at all is a wall clock", empty, calAt(t, bog, "2026-03-08 10:00"), hot, "2026-03-08 10:25:00"},
		{"split: into the lunch break", split, calAt(t, bog, "2026-03-02 11:50"), hot, "2026-03-02 14:15:00"},
		{"split: during lunch", split, calAt(t, bog, "2026-03-02 12:30"), hot, "2026-03-02 14:25:00"},
		{"split: cold", split, calAt(t, bog, "2026-03-02 11:00"), cold, "2026-03-03 09:00:00"},
		{"split: saturday closed", split, calAt(t, bog, "2026-03-06 17:50"), hot, "2026-03-09 08:15:00"},
		{"utc input friday evening", std, calAt(t, time.UTC, "2026-03-06 22:50"), hot, "2026-03-07 08:15:00"},
		{"utc input already monday in utc", std, calAt(t, time.UTC, "2026-03-09 03:00"), hot, "2026-03-09 08:25:00"},
		{"madrid input, saturday there", std, calAt(t, madrid, "2026-03-07 00:30"), hot, "2026-03-07 08:25:00"},
		{"24 h week crosses midnight", always, calAt(t, bog, "2026-03-08 23:50"), hot, "2026-03-09 00:15:00"},
		{"24 h week, utc input is sunday night here", always, calAt(t, time.UTC, "2026-03-09 03:00"), hot, "2026-03-08 22:25:00"},
		{"24 h week skips new year", always, calAt(t, bog, "2026-12-31 23:50"), hot, "2027-01-02 00:15:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.cal.Deadline(tt.from, tt.window)
			if got.Location() != time.UTC {
				t.Errorf("Deadline(%v, %v) location = %v; want UTC", tt.from, tt.window, got.Location())
			}
			if s := got.In(bog).Format(time.DateTime); s != tt.want {
				t.Errorf("Deadline(%v, %v) = %s; want %s", tt.from, tt.window, s, tt.want)
			}
		})
	}
}

// TestDeadlineDST shows the clock does not assume Bogotá's fixed offset:
// New York changes its clocks on Sundays 8 March and 1 November 2026 (neither
// a Colombian holiday).
func TestDeadlineDST(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		week   string
		from   string
		window time.Duration
		want   string // UTC
	}{
		// Sunday 8 March lasts 23 hours: 24 business hours end an hour into the next Sunday (EDT).
		{"spring day has 23 hours", "sun 0-24", "2026-03-07 23:00", 24 * time.Hour, "2026-03-15 05:00:00"},
		// 01:00 EST to 04:00 EDT is two hours; the third comes a week later.
		{"spring span is short", "sun 1-4", "2026-03-08 00:00", 3 * time.Hour, "2026-03-15 06:00:00"},
		// 01:00 EDT to 04:00 EST is four hours.
		{"autumn span is long", "sun 1-4", "2026-11-01 00:00", 3*time.Hour + 30*time.Minute, "2026-11-01 08:30:00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Calendar{Loc: ny, Week: mustWeek(t, tt.week), Enabled: true}
			from := calAt(t, ny, tt.from)
			if got := c.Deadline(from, tt.window).Format(time.DateTime); got != tt.want {
				t.Errorf("Deadline(%v, %v) = %s UTC; want %s UTC", from, tt.window, got, tt.want)
			}
		})
	}
}

func TestCalendarOddWeeks(t *testing.T) {
	bog := calendarZone(t)
	// Unsorted, overlapping and out-of-range spans: read as 08:00–13:00, 14:00–18:00.
	var w Week
	w[time.Monday] = []Span{{14 * time.Hour, 18 * time.Hour}, {8 * time.Hour, 12 * time.Hour},
		{11 * time.Hour, 13 * time.Hour}, {20 * time.Hour, 19 * time.Hour}}
	before := append([]Span(nil), w[time.Monday]...)
	c := Calendar{Loc: bog, Week: w, Enabled: true}
	got := c.Deadline(calAt(t, bog, "2026-03-02 12:50"), 25*time.Minute).In(bog).Format(time.DateTime)
	if want := "2026-03-02 14:15:00"; got != want {
		t.Errorf("odd week: Deadline = %s; want %s", got, want)
	}
	if !reflect.DeepEqual(w[time.Monday], before) {
		t.Errorf("Deadline modified the caller's Week: %v", w[time.Monday])
	}
	if s, want := w.String(), "mon 08:00-13:00,14:00-18:00"; s != want {
		t.Errorf("Week.String() = %q; want %q", s, want)
	}

	// A nil Loc is UTC.
	u := Calendar{Week: DefaultWeek(), Enabled: true}
	if got, want := u.Deadline(time.Date(2026, 3, 6, 17, 50, 0, 0, time.UTC), 25*time.Minute),
		time.Date(2026, 3, 7, 8, 15, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("nil Loc: Deadline = %v; want %v", got, want)
	}

	// A week open one second a week and a window of years terminates.
	var tiny Week
	tiny[time.Wednesday] = []Span{{10 * time.Hour, 10*time.Hour + time.Second}}
	c = Calendar{Loc: bog, Week: tiny, Enabled: true}
	from := calAt(t, bog, "2026-03-02 08:00")
	if got := c.Deadline(from, 24*time.Hour); got.Before(from) {
		t.Errorf("tiny week: Deadline = %v before from %v", got, from)
	}
}

func TestIsOpenNextOpen(t *testing.T) {
	bog := calendarZone(t)
	c := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: true}
	tests := []struct {
		at       string
		open     bool
		nextOpen string
	}{
		{"2026-03-02 07:59:59", false, "2026-03-02 08:00:00"},
		{"2026-03-02 08:00", true, "2026-03-02 08:00:00"},
		{"2026-03-02 17:59:59", true, "2026-03-02 17:59:59"},
		{"2026-03-02 18:00", false, "2026-03-03 08:00:00"},
		{"2026-03-07 12:00", false, "2026-03-09 08:00:00"}, // Saturday closing
		{"2026-03-08 10:00", false, "2026-03-09 08:00:00"}, // Sunday
		{"2026-03-23 10:00", false, "2026-03-24 08:00:00"}, // San José, moved
		{"2026-04-01 18:30", false, "2026-04-04 08:00:00"}, // Holy Wednesday night
		{"2026-12-31 12:00", true, "2026-12-31 12:00:00"},
		{"2027-01-01 12:00", false, "2027-01-02 08:00:00"},
	}
	for _, tt := range tests {
		at := calAt(t, bog, tt.at)
		if got := c.IsOpen(at); got != tt.open {
			t.Errorf("IsOpen(%s) = %v; want %v", tt.at, got, tt.open)
		}
		got := c.NextOpen(at)
		if s := got.In(bog).Format(time.DateTime); s != tt.nextOpen {
			t.Errorf("NextOpen(%s) = %s; want %s", tt.at, s, tt.nextOpen)
		}
		if !c.IsOpen(got) {
			t.Errorf("IsOpen(NextOpen(%s)) = false", tt.at)
		}
	}
	off := Calendar{Loc: bog, Week: DefaultWeek()}
	sunday := calAt(t, bog, "2026-03-08 10:00")
	if !off.IsOpen(sunday) || !off.NextOpen(sunday).Equal(sunday) {
		t.Errorf("disabled calendar: IsOpen(sunday) = %v, NextOpen = %v; want open at once",
			off.IsOpen(sunday), off.NextOpen(sunday))
	}
}

func TestAddBusinessDays(t *testing.T) {
	bog := calendarZone(t)
	tests := []struct {
		from time.Time
		n    int
		want string // Bogotá
	}{
		// 8 Dec (Tuesday) is a holiday.
		{calAt(t, bog, "2026-12-01 10:00"), 10, "2026-12-16"},
		{calAt(t, bog, "2026-12-01 10:00"), 15, "2026-12-23"},
		// 23 Mar (San José, moved) and 2–3 Apr (Holy Thursday and Friday).
		{calAt(t, bog, "2026-03-17 10:00"), 10, "2026-04-01"},
		{calAt(t, bog, "2026-03-17 10:00"), 15, "2026-04-10"},
		// 23:30 on 1 Dec in Bogotá is already 2 Dec in UTC: the day is Bogotá's.
		{time.Date(2026, 12, 2, 4, 30, 0, 0, time.UTC), 10, "2026-12-16"},
		{calAt(t, bog, "2026-12-04 09:00"), 1, "2026-12-07"}, // Friday → Monday
		{calAt(t, bog, "2026-12-04 09:00"), 2, "2026-12-09"}, // over 8 Dec
		{calAt(t, bog, "2026-12-23 09:00"), 5, "2026-12-31"}, // over Christmas
		{calAt(t, bog, "2026-12-23 09:00"), 6, "2027-01-04"}, // over New Year; 6 Jan 2027 is moved away
		{calAt(t, bog, "2026-03-21 09:00"), 1, "2026-03-24"}, // Saturday, then a holiday Monday
		{calAt(t, bog, "2026-03-17 10:00"), 0, "2026-03-17"}, // the day itself
	}
	for _, tt := range tests {
		got := AddBusinessDays(tt.from, tt.n, bog)
		want := calAt(t, bog, tt.want+" 23:59:59").Add(999 * time.Millisecond)
		if !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("AddBusinessDays(%v, %d) = %v; want %v (UTC)", tt.from, tt.n, got, want.UTC())
		}
	}
}

func TestParseWeek(t *testing.T) {
	tests := []struct {
		in   string
		want string // String() of the result
	}{
		{"mon-fri 08:00-18:00; sat 08:00-12:00", "mon-fri 08:00-18:00; sat 08:00-12:00"},
		{"lun-vie 8:00-12:00,14:00-18:00; sab 9-13", "mon-fri 08:00-12:00,14:00-18:00; sat 09:00-13:00"},
		{"Lunes a Viernes 8-18; Sábado 9-13; domingo cerrado", "mon-fri 08:00-18:00; sat 09:00-13:00"},
		{"MON-FRI 8-18", "mon-fri 08:00-18:00"},
		{"mon,wed,fri 9-13", "mon,wed,fri 09:00-13:00"},
		{"lun, mié, vie: 9-13", "mon,wed,fri 09:00-13:00"},
		{"mie 9-10; miércoles 11-12; MIÉRCOLES 13-14", "wed 09:00-10:00,11:00-12:00,13:00-14:00"},
		{"mie\u0301rcoles 9-10", "wed 09:00-10:00"}, // decomposed accent
		{"fri-mon 9-17", "mon,fri-sun 09:00-17:00"},
		{"fri to mon 9-17", "mon,fri-sun 09:00-17:00"},
		{"mon-sun 0-24", "mon-sun 00:00-24:00"},
		{"mon-fri 8-12; mon-fri 14-18", "mon-fri 08:00-12:00,14:00-18:00"},
		{"mon-fri 8-12,12-14", "mon-fri 08:00-14:00"}, // touching spans merge
		{"sat,sun 10-14", "sat,sun 10:00-14:00"},
		{"mon 8:30:15-9", "mon 08:30:15-09:00"},
		{"mon 8 - 12 , 14 - 18", "mon 08:00-12:00,14:00-18:00"},
		{"mon–fri 8–18", "mon-fri 08:00-18:00"}, // en dashes
		{"mon-fri 8-18;\nsat 8-12;", "mon-fri 08:00-18:00; sat 08:00-12:00"},
		{"tue,thu 8-18; mon,wed,fri 8-18", "mon-fri 08:00-18:00"},
		{"mon-thu 8-18; fri 8-17", "mon-thu 08:00-18:00; fri 08:00-17:00"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			w, err := ParseWeek(tt.in)
			if err != nil {
				t.Fatalf("ParseWeek(%q) error: %v", tt.in, err)
			}
			if got := w.String(); got != tt.want {
				t.Errorf("ParseWeek(%q).String() = %q; want %q", tt.in, got, tt.want)
			}
			back, err := ParseWeek(w.String())
			if err != nil || !reflect.DeepEqual(back, w) {
				t.Errorf("ParseWeek(%q) = %v, %v; want %v (round trip)", w.String(), back, err, w)
			}
		})
	}

	got := mustWeek(t, "mon-fri 08:00-18:00; sat 08:00-12:00")
	if !reflect.DeepEqual(got, DefaultWeek()) {
		t.Errorf("ParseWeek(default) = %v; want DefaultWeek() %v", got, DefaultWeek())
	}
	if s, want := DefaultWeek().String(), "mon-fri 08:00-18:00; sat 08:00-12:00"; s != want {
		t.Errorf("DefaultWeek().String() = %q; want %q", s, want)
	}
	if s := (Week{}).String(); s != "" {
		t.Errorf("Week{}.String() = %q; want empty", s)
	}
}

func TestParseWeekErrors(t *testing.T) {
	tests := []struct {
		in, wantErr string // wantErr: a part the error must name
	}{
		{"", "no opening hours"},
		{"   ;  ; ", "no opening hours"},
		{"dom cerrado", "no opening hours"},
		{"mon-fri", "missing hours"},
		{"8-18", "missing days"},
		{"cerrado", "missing days"},
		{"lun-vx 8-12", `unknown day "vx"`},
		{"xyz 8-18", `unknown day "xyz"`},
		{"mon-tue-wed 8-18", `bad days "mon-tue-wed"`},
		{"mon-fri 18-8", `bad hours "18-8": closes before it opens`},
		{"mon 9-9", `bad hours "9-9"`},
		{"mon 25:00-26:00", `bad time "25:00"`},
		{"mon 8:60-9", `bad time "8:60"`},
		{"mon 8:5-9", `bad time "8:5"`},
		{"mon 24:30-24:45", `bad time "24:30"`},
		{"mon 8am-6pm", `bad time "8am"`},
		{"mon 8-", `bad time ""`},
		{"mon 8", `bad hours "8"`},
		{"mon 8-12 extra", `bad time "12 extra"`},
		{"mon 8--12", `bad time "-12"`},
		{"mon 8-12,11-13", "overlapping hours on Monday: 08:00-12:00 and 11:00-13:00"},
		{"mon-fri 8-12; mon 11-13", "overlapping hours on Monday"},
		{"mon 8-12; lunes cerrado", "Monday is both closed and open"},
		{"mon 1:2:3:4-5", `bad time "1:2:3:4"`},
		{"mon 123-124", `bad time "123"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			w, err := ParseWeek(tt.in)
			if err == nil {
				t.Fatalf("ParseWeek(%q) = %v, nil; want error naming %q", tt.in, w, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWeek(%q) error = %q; want it to contain %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseWeek(f *testing.F) {
	for _, s := range []string{
		"mon-fri 08:00-18:00; sat 08:00-12:00",
		"lun-vie 8:00-12:00,14:00-18:00; sab 9-13",
		"lun a vie 8-18; sáb 9-13; dom cerrado",
		"fri-mon 9-17", "mon 8:30:15-9", "mon-sun 0-24", "mon 8-12,11-13", "", "x", "mon 24:00-24:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWeek(s)
		if err != nil {
			return
		}
		for d, ss := range w {
			for i, sp := range ss {
				if sp.Open < 0 || sp.Close > 24*time.Hour || sp.Close <= sp.Open || (i > 0 && sp.Open <= ss[i-1].Close) {
					t.Fatalf("ParseWeek(%q): bad spans on %v: %v", s, time.Weekday(d), ss)
				}
			}
		}
		text := w.String()
		back, err := ParseWeek(text)
		if err != nil {
			t.Fatalf("ParseWeek(%q) (String of ParseWeek(%q)): %v", text, s, err)
		}
		if !reflect.DeepEqual(back, w) {
			t.Fatalf("round trip of %q through %q: got %v; want %v", s, text, back, w)
		}
		if again := back.String(); again != text {
			t.Fatalf("String not stable: %q then %q", text, again)
		}
	})
}

func FuzzDeadline(f *testing.F) {
	bog := calendarZone(f)
	c := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: true}
	f.Add(int64(1772837400), int64(25*time.Minute), uint16(500))   // Friday 17:50
	f.Add(int64(1772913300), int64(6*time.Hour), uint16(0))        // Saturday 14:55
	f.Add(int64(1798760000), int64(90*time.Minute), uint16(65535)) // around new year
	f.Add(int64(-1), int64(-1), uint16(1))
	const (
		lo   = int64(-2208988800) // 1900-01-01
		span = int64(300 * 365 * 24 * 3600)
		year = int64(366 * 24 * time.Hour)
	)
	f.Fuzz(func(t *testing.T, fromSec, windowNS int64, cut uint16) {
		from := time.Unix(lo+((fromSec%span)+span)%span, fromSec&(1<<29-1)) // 1900–2200
		window := time.Duration(((windowNS % (5 * year)) + 5*year) % (5 * year))
		got := c.Deadline(from, window)
		if got.Before(from) {
			t.Fatalf("Deadline(%v, %v) = %v, before from", from, window, got)
		}
		if !c.IsOpen(got) && !c.IsOpen(got.Add(-time.Nanosecond)) {
			t.Fatalf("Deadline(%v, %v) = %v: neither open nor a closing instant", from, window, got.In(bog))
		}
		// Business time adds up: stopping part way and going on ends at the same instant.
		first := window / 65535 * time.Duration(cut)
		mid := c.Deadline(from, first)
		if mid.After(got) {
			t.Fatalf("Deadline not monotonic in window: %v at %v, %v at %v", first, mid, window, got)
		}
		if window-first == 0 {
			return // Deadline(mid, 0) is NextOpen(mid): past got when got is a closing instant
		}
		if again := c.Deadline(mid, window-first); !again.Equal(got) {
			t.Fatalf("Deadline(%v, %v) = %v; in two steps (%v then %v) = %v",
				from, window, got.In(bog), first, window-first, again.In(bog))
		}
	})
}

func BenchmarkDeadline(b *testing.B) {
	bog := calendarZone(b)
	c := Calendar{Loc: bog, Week: DefaultWeek(), Enabled: true}
	cases := []struct {
		name   string
		from   time.Time
		window time.Duration
	}{
		{"inside", calAt(b, bog, "2026-03-03 10:00"), 25 * time.Minute},
		{"weekend", calAt(b, bog, "2026-03-07 11:55"), 25 * time.Minute},
		{"holy week cold", calAt(b, bog, "2026-04-01 15:00"), 6 * time.Hour},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				c.Deadline(bc.from, bc.window)
			}
		})
	}
}
