package flow

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// dayLength is the length of a civil day as Span offsets count it.
const dayLength = 24 * time.Hour

// Span is one opening interval of a day, as offsets from local midnight:
// 0 ≤ Open < Close ≤ 24h. Offsets are wall-clock times ("08:00" is
// Open: 8*time.Hour), so on a day with a daylight-saving change a span
// still opens and closes at the wall-clock times it names.
type Span struct{ Open, Close time.Duration }

// Week holds the opening spans for each weekday, indexed by time.Weekday
// (Sunday is 0). A day with no spans is closed. ParseWeek and DefaultWeek
// return spans sorted, disjoint and not touching; the calendar also accepts
// other Weeks, treating them as the union of their valid spans.
type Week [7][]Span

// DefaultWeek returns the business hours used when the operator configures
// none: Monday to Friday 08:00–18:00, Saturday 08:00–12:00, Sunday closed.
// They sit inside the hours Ley 2300 de 2023 allows for commercial contact
// (Monday to Friday 07:00–19:00, Saturday 08:00–15:00, never on Sundays or
// holidays), so a promise computed on them is one the agency may keep.
func DefaultWeek() Week {
	var w Week
	for d := time.Monday; d <= time.Friday; d++ {
		w[d] = []Span{{8 * time.Hour, 18 * time.Hour}} // one slice per day: editing one day leaves the others
	}
	w[time.Saturday] = []Span{{8 * time.Hour, 12 * time.Hour}}
	return w
}

// ParseWeek reads business hours as the operator writes them in the
// configuration. The string is a list of groups separated by ';' (or new
// lines); each group is days then spans:
//
//	mon-fri 08:00-18:00; sat 08:00-12:00
//	lun-vie 8:00-12:00,14:00-18:00; sab 9-13
//	lun a vie 8-18; sáb 9-13; dom cerrado
//
// Days are English or Spanish names, full or three letters, any case, with
// or without accents ("mié", "miercoles", "Wed"), as a single day, a range
// ("mon-fri", "lun a vie", "fri to mon" wraps round the weekend) or a comma
// list of those. Spans are comma-separated "open-close" pairs of 24-hour
// times written H, H:MM or H:MM:SS, with "24:00" allowed as a close. A day
// may appear in several groups (its spans are joined; spans that touch are
// merged); "closed" or "cerrado" instead of spans marks days closed.
//
// The error names the group and the part that could not be read, and is
// returned for unknown days, bad times, a span that does not close after it
// opens, overlapping spans, a day both closed and open, and a week with no
// opening at all (to switch business hours off, disable the Calendar
// instead).
func ParseWeek(s string) (Week, error) {
	var w Week
	var closed [7]bool
	s = strings.NewReplacer("–", "-", "—", "-").Replace(s) // dashes pasted from documents
	for group := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		group = strings.TrimSpace(group)
		if group == "" {
			continue
		}
		dayPart, spanPart := splitWeekGroup(group)
		days, err := parseDays(dayPart)
		if err != nil {
			return Week{}, fmt.Errorf("week %q: %w", group, err)
		}
		if spanPart == "" {
			return Week{}, fmt.Errorf("week %q: missing hours after the days", group)
		}
		if isClosedWord(spanPart) {
			for _, d := range days {
				closed[d] = true
			}
			continue
		}
		spans, err := parseSpans(spanPart)
		if err != nil {
			return Week{}, fmt.Errorf("week %q: %w", group, err)
		}
		for _, d := range days {
			w[d] = append(w[d], spans...)
		}
	}
	open := false
	for d := range w {
		if len(w[d]) == 0 {
			continue
		}
		if closed[d] {
			return Week{}, fmt.Errorf("week %q: %s is both closed and open", s, time.Weekday(d))
		}
		slices.SortFunc(w[d], func(a, b Span) int { return cmpDuration(a.Open, b.Open) })
		merged := w[d][:1]
		for _, sp := range w[d][1:] {
			last := &merged[len(merged)-1]
			if sp.Open < last.Close {
				return Week{}, fmt.Errorf("week %q: overlapping hours on %s: %s and %s",
					s, time.Weekday(d), last, sp)
			}
			if sp.Open == last.Close {
				last.Close = sp.Close
				continue
			}
			merged = append(merged, sp)
		}
		w[d] = slices.Clip(merged)
		open = true
	}
	if !open {
		return Week{}, fmt.Errorf("week %q: no opening hours", s)
	}
	return w, nil
}

// splitWeekGroup cuts a group at its first digit: days are words, hours
// start with a digit. In a group without digits a final "closed" or
// "cerrado" is returned as the span part; otherwise the span part is empty.
func splitWeekGroup(g string) (days, spans string) {
	if i := strings.IndexFunc(g, unicode.IsDigit); i >= 0 {
		return strings.TrimSpace(g[:i]), strings.TrimSpace(g[i:])
	}
	f := strings.Fields(g)
	if len(f) > 0 && isClosedWord(f[len(f)-1]) {
		last := f[len(f)-1]
		return strings.TrimSpace(strings.TrimSuffix(g, last)), last
	}
	return g, ""
}

func isClosedWord(s string) bool {
	switch foldDay(s) {
	case "closed", "cerrado", "cerrada":
		return true
	}
	return false
}

// parseDays reads "mon-fri", "lun a vie", "mon, wed, fri", "sab-dom".
func parseDays(s string) ([]time.Weekday, error) {
	s = strings.TrimSuffix(strings.TrimSpace(s), ":")
	if s == "" {
		return nil, errors.New("missing days before the hours")
	}
	var days []time.Weekday
	var seen [7]bool
	for item := range strings.SplitSeq(s, ",") {
		f := strings.Fields(strings.ReplaceAll(item, "-", " - "))
		var from, to time.Weekday
		switch {
		case len(f) == 1:
			d, err := weekdayNamed(f[0])
			if err != nil {
				return nil, err
			}
			from, to = d, d
		case len(f) == 3 && (f[1] == "-" || foldDay(f[1]) == "a" || foldDay(f[1]) == "to"):
			var err error
			if from, err = weekdayNamed(f[0]); err != nil {
				return nil, err
			}
			if to, err = weekdayNamed(f[2]); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("bad days %q (want a day, a range such as mon-fri, or a list)", strings.TrimSpace(item))
		}
		for d := from; ; d = (d + 1) % 7 {
			if !seen[d] {
				seen[d] = true
				days = append(days, d)
			}
			if d == to {
				break
			}
		}
	}
	return days, nil
}

// weekdayNamed reads one day name, English or Spanish, full or abbreviated.
func weekdayNamed(s string) (time.Weekday, error) {
	switch foldDay(s) {
	case "sun", "sunday", "dom", "domingo":
		return time.Sunday, nil
	case "mon", "monday", "lun", "lunes":
		return time.Monday, nil
	case "tue", "tues", "tuesday", "mar", "martes":
		return time.Tuesday, nil
	case "wed", "wednesday", "mie", "miercoles":
		return time.Wednesday, nil
	case "thu", "thur", "thurs", "thursday", "jue", "jueves":
		return time.Thursday, nil
	case "fri", "friday", "vie", "viernes":
		return time.Friday, nil
	case "sat", "saturday", "sab", "sabado":
		return time.Saturday, nil
	}
	return 0, fmt.Errorf("unknown day %q", s)
}

// foldDay lower-cases a word and removes its accents, so that "Sáb",
// "SAB" and "sab" (composed or decomposed accents alike) read the same.
func foldDay(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// parseSpans reads "8:00-12:00,14:00-18:00".
func parseSpans(s string) ([]Span, error) {
	var spans []Span
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		openText, closeText, ok := strings.Cut(item, "-")
		if !ok {
			return nil, fmt.Errorf("bad hours %q (want open-close, such as 08:00-18:00)", item)
		}
		open, err := parseClock(strings.TrimSpace(openText))
		if err != nil {
			return nil, err
		}
		shut, err := parseClock(strings.TrimSpace(closeText))
		if err != nil {
			return nil, err
		}
		if shut <= open {
			return nil, fmt.Errorf("bad hours %q: closes before it opens", item)
		}
		spans = append(spans, Span{open, shut})
	}
	return spans, nil
}

// parseClock reads a 24-hour wall-clock time: "8", "08", "8:30", "08:30:15",
// "24:00" (end of the day, for closing times).
func parseClock(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		return 0, fmt.Errorf("bad time %q (want HH:MM, 24-hour)", s)
	}
	parts := strings.Split(s, ":")
	if len(parts) > 3 {
		return bad()
	}
	var v [3]int
	for i, p := range parts {
		if len(p) == 0 || len(p) > 2 || (i > 0 && len(p) != 2) {
			return bad()
		}
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || p[0] == '+' {
			return bad()
		}
		v[i] = n
	}
	h, m, sec := v[0], v[1], v[2]
	if h > 24 || m > 59 || sec > 59 || (h == 24 && m+sec > 0) {
		return bad()
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(sec)*time.Second, nil
}

// String renders w in the syntax ParseWeek reads, with English day names,
// days with equal hours grouped ("mon-fri 08:00-18:00; sat 08:00-12:00"),
// Monday first. ParseWeek(w.String()) returns w for every Week ParseWeek
// returns. Other Weeks are rendered as the calendar reads them: spans
// clamped to the day, sorted and merged, invalid ones dropped, seconds kept
// and fractions of a second dropped. A Week with no opening renders as "".
func (w Week) String() string {
	order := [7]time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday,
		time.Friday, time.Saturday, time.Sunday}
	var byDay [7][]Span // in display order
	for i, d := range order {
		byDay[i] = normalizeSpans(w[d])
	}
	var groups []string
	var done [7]bool
	for i := range order {
		if done[i] || len(byDay[i]) == 0 {
			continue
		}
		var members []int
		for j := i; j < len(order); j++ {
			if !done[j] && slices.Equal(byDay[j], byDay[i]) {
				done[j] = true
				members = append(members, j)
			}
		}
		var days []string
		for k := 0; k < len(members); {
			run := k
			for run+1 < len(members) && members[run+1] == members[run]+1 {
				run++
			}
			first, last := weekdayAbbrev(order[members[k]]), weekdayAbbrev(order[members[run]])
			switch run - k {
			case 0:
				days = append(days, first)
			case 1:
				days = append(days, first, last)
			default:
				days = append(days, first+"-"+last)
			}
			k = run + 1
		}
		spans := make([]string, len(byDay[i]))
		for k, sp := range byDay[i] {
			spans[k] = sp.String()
		}
		groups = append(groups, strings.Join(days, ",")+" "+strings.Join(spans, ","))
	}
	return strings.Join(groups, "; ")
}

func weekdayAbbrev(d time.Weekday) string {
	return strings.ToLower(d.String()[:3])
}

// String renders s as "08:00-12:00".
func (s Span) String() string {
	return clockString(s.Open) + "-" + clockString(s.Close)
}

func clockString(d time.Duration) string {
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	if sec != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%02d:%02d", h, m)
}

func cmpDuration(a, b time.Duration) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// normalizeSpans returns the spans of a day as the calendar reads them:
// clamped to [0, 24h], empty ones dropped, sorted, overlapping or touching
// ones merged. It returns nil for a closed day.
func normalizeSpans(in []Span) []Span {
	var out []Span
	for _, s := range in {
		s.Open, s.Close = max(s.Open, 0), min(s.Close, dayLength)
		if s.Close > s.Open {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Span) int { return cmpDuration(a.Open, b.Open) })
	merged := out[:0]
	for _, s := range out {
		if n := len(merged); n > 0 && s.Open <= merged[n-1].Close {
			merged[n-1].Close = max(merged[n-1].Close, s.Close)
			continue
		}
		merged = append(merged, s)
	}
	if len(merged) == 0 {
		return nil
	}
	return merged
}

// spansReady reports whether a day's spans can be walked as they are:
// inside the day, non-empty, sorted and not overlapping (touching is fine).
func spansReady(ss []Span) bool {
	prev := time.Duration(0)
	for _, s := range ss {
		if s.Open < prev || s.Close <= s.Open || s.Close > dayLength {
			return false
		}
		prev = s.Close
	}
	return true
}

// Calendar is the business clock the contact promise and commercial
// outbound run on. Enabled=false makes it a plain wall clock: every instant
// is open and Deadline is from+window. A Calendar whose Week has no valid
// span at all behaves as disabled too (a closed-forever calendar would
// never give a deadline). A nil Loc means UTC.
//
// A Calendar is a value with no state; it is safe for concurrent use as
// long as nobody modifies its Week's slices.
type Calendar struct {
	Loc     *time.Location
	Week    Week
	Enabled bool
}

// horizonDays bounds the days Deadline walks, so that it terminates for any
// window and any Week (a Week open one nanosecond a week and a window of
// years would otherwise walk for ever). Past the horizon the rest of the
// window is added as wall time. No real contact window comes near it: with
// DefaultWeek it is reached only by windows of about 30 years.
const horizonDays = 100 * 366

// clock returns the week and location to walk, and false when the calendar
// is a plain wall clock (disabled, or no opening at all).
func (c Calendar) clock() (Week, *time.Location, bool) {
	if !c.Enabled {
		return Week{}, nil, false
	}
	loc := c.Loc
	if loc == nil {
		loc = time.UTC
	}
	w := c.Week
	ready := true
	for _, ss := range w {
		ready = ready && spansReady(ss)
	}
	if !ready {
		for d := range w {
			w[d] = normalizeSpans(w[d])
		}
	}
	for _, ss := range w {
		if len(ss) > 0 {
			return w, loc, true
		}
	}
	return Week{}, nil, false
}

// Deadline adds window of business time to from and returns the instant it
// ends, in UTC. Business time runs only inside the Week's spans, in Loc, on
// days that are not Colombian holidays; if from is outside hours the clock
// starts at the next opening. A window that ends exactly when a span closes
// returns that closing instant (Friday 17:35 plus 25 minutes is Friday 18:00,
// not Monday). A negative window counts as zero, so Deadline(from, 0) is
// NextOpen(from).
//
// A disabled Calendar, or one whose Week has no opening, returns
// from+window. Deadline always terminates (see horizonDays) and never
// returns an instant before from.
//
// Days are walked as civil dates and spans are placed with time.Date in
// Loc, so the clock is right in zones with daylight saving too: a span
// 01:00-04:00 on a spring-forward night holds two hours of business time.
func (c Calendar) Deadline(from time.Time, window time.Duration) time.Time {
	window = max(window, 0)
	w, loc, ok := c.clock()
	if !ok {
		return from.Add(window).UTC()
	}
	return walk(w, loc, from, window).UTC()
}

// NextOpen returns t if the calendar is open at t, else the first instant
// after t at which it opens; in UTC. A disabled Calendar is always open.
func (c Calendar) NextOpen(t time.Time) time.Time {
	w, loc, ok := c.clock()
	if !ok {
		return t.UTC()
	}
	return walk(w, loc, t, 0).UTC()
}

// IsOpen reports whether t is inside business hours: inside a span (opening
// instant included, closing instant excluded) of a day that is not a
// holiday. A disabled Calendar is always open.
func (c Calendar) IsOpen(t time.Time) bool {
	w, loc, ok := c.clock()
	if !ok {
		return true
	}
	lt := t.In(loc)
	if newHolidayYear(lt.Year()).has(lt.YearDay()) {
		return false
	}
	y, m, d := lt.Date()
	for _, s := range w[lt.Weekday()] {
		if !t.Before(atOffset(y, m, d, s.Open, loc)) && t.Before(atOffset(y, m, d, s.Close, loc)) {
			return true
		}
	}
	return false
}

// walk is the business clock: it consumes window inside the open spans of
// w from from on and returns where it ends. w must satisfy spansReady.
func walk(w Week, loc *time.Location, from time.Time, window time.Duration) time.Time {
	cur, left := from, window
	y, m, d := from.In(loc).Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC) // civil date, advanced by exact 24 h steps in UTC
	hy := newHolidayYear(y)
	for range horizonDays {
		y, m, d := date.Date()
		if y != hy.year {
			hy = newHolidayYear(y)
		}
		if !hy.has(date.YearDay()) {
			for _, s := range w[date.Weekday()] {
				shut := atOffset(y, m, d, s.Close, loc)
				if !shut.After(cur) {
					continue
				}
				if open := atOffset(y, m, d, s.Open, loc); open.After(cur) {
					cur = open
				}
				avail := shut.Sub(cur)
				if left <= avail {
					return cur.Add(left)
				}
				left -= avail
				cur = shut
			}
		}
		date = date.Add(dayLength)
	}
	return cur.Add(left)
}

// atOffset returns the instant of wall-clock offset off (0–24h) on the civil
// date y-m-d in loc. The offset is split into fields rather than passed as
// nanoseconds so that it fits an int on 32-bit platforms.
func atOffset(y int, m time.Month, d int, off time.Duration, loc *time.Location) time.Time {
	h := int(off / time.Hour)
	mi := int(off % time.Hour / time.Minute)
	s := int(off % time.Minute / time.Second)
	ns := int(off % time.Second)
	return time.Date(y, m, d, h, mi, s, ns, loc)
}

// AddBusinessDays returns the end of the n-th Colombian business day after
// t, for the legal terms of data requests (Ley 1581 de 2012 art. 14 and 15:
// 10 business days for a query, 15 for a claim). Business days are Monday
// to Friday except holidays, whatever the agency's opening hours; the day
// of t does not count, as the term runs from the day after receipt.
//
// The end of a day is 23:59:59.999 in loc (nil means UTC), returned in UTC:
// a whole millisecond, so the deadline survives the store's Unix-millisecond
// columns unchanged and still falls on the right civil day. n ≤ 0 returns
// the end of t's own day. The loop is linear in n.
func AddBusinessDays(t time.Time, n int, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, d := t.In(loc).Date()
	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	hy := newHolidayYear(y)
	for n > 0 {
		date = date.Add(dayLength)
		if date.Year() != hy.year {
			hy = newHolidayYear(date.Year())
		}
		if wd := date.Weekday(); wd == time.Saturday || wd == time.Sunday || hy.has(date.YearDay()) {
			continue
		}
		n--
	}
	y, m, d = date.Date()
	return time.Date(y, m, d, 23, 59, 59, int(999*time.Millisecond), loc).UTC()
}
