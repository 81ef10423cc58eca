package assign

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/cis-agencia/cis/flow"
)

// lookaheadDays bounds the search for an advisor's next shift: an advisor
// with no shift in this many days (a long leave) is not "soonest", the lead
// goes to somebody else or waits unassigned.
const lookaheadDays = 62

// calendarOf is the business clock of c's shift: their own Hours in the
// agency's zone, else the agency's calendar. Hours with no opening at all
// give ok false: such an advisor never works (a flow.Calendar would read
// an empty week as "always open").
func (r Rules) calendarOf(c Candidate) (cal flow.Calendar, ok bool) {
	if c.Hours == nil {
		return r.Agency, true
	}
	for _, day := range c.Hours {
		if len(day) > 0 {
			return flow.Calendar{Loc: r.Agency.Loc, Week: *c.Hours, Enabled: true}, true
		}
	}
	return flow.Calendar{}, false
}

// availableFrom returns the first instant from now on at which c is on
// shift: inside their hours, not on a public holiday nor a day off. ok is
// false for an away advisor, or one with no shift within lookaheadDays.
func (r Rules) availableFrom(c Candidate, now time.Time) (at time.Time, ok bool) {
	cal, works := r.calendarOf(c)
	if c.Away || !works {
		return time.Time{}, false
	}
	loc := zone(r.Agency.Loc)
	limit := now.AddDate(0, 0, lookaheadDays)
	for t := now; t.Before(limit); {
		t = cal.NextOpen(t)
		if !dayOff(c.DaysOff, t, loc) {
			return t, true
		}
		y, m, d := t.In(loc).Date()
		t = time.Date(y, m, d+1, 0, 0, 0, 0, loc) // the next day's midnight
	}
	return time.Time{}, false
}

// dayOff reports whether t falls, in loc, on one of the civil dates off.
func dayOff(off []time.Time, t time.Time, loc *time.Location) bool {
	y, m, d := t.In(loc).Date()
	return slices.ContainsFunc(off, func(o time.Time) bool {
		oy, om, od := o.Date()
		return oy == y && om == m && od == d
	})
}

func zone(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// sells reports whether an advisor listing services sells service.
func sells(services []string, service string) bool {
	if len(services) == 0 || service == "" {
		return true
	}
	return slices.ContainsFunc(services, func(s string) bool { return fold(s) == fold(service) })
}

// covers reports whether an advisor listing places covers city: its DANE
// code, its name or its department, compared without case or accents
// ("bogota" covers "Bogotá, D.C." only when written as the gazetteer
// names it, but "antioquia" covers every Antioquian town).
func covers(places []string, city flow.City) bool {
	if len(places) == 0 || city == (flow.City{}) {
		return true
	}
	return slices.ContainsFunc(places, func(p string) bool {
		p = fold(p)
		return p != "" && (p == city.Code || p == fold(city.Name) || p == fold(city.Department))
	})
}

// fold lower-cases s and drops its accents and surrounding spaces.
func fold(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.TrimSpace(s)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
