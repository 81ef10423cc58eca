package dashboard

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeLeft says how long until a contact deadline, or since it passed, the
// way an advisor would: "vence en 24 min", "vencido hace 2 h 10 min",
// "vencido hace 3 días". app.js keeps it current with the same words
// (countdownWords).
func timeLeft(lang string, d time.Duration) string {
	if d >= 0 {
		return fmt.Sprintf(T(lang, "left.due"), span(lang, d))
	}
	return fmt.Sprintf(T(lang, "left.overdue"), span(lang, -d))
}

// span is a duration in words: minutes under an hour, hours and minutes
// under a day, then days (and hours under three days).
func span(lang string, d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return T(lang, "left.under_min")
	case m < 60:
		return fmt.Sprintf("%d %s", m, T(lang, "left.min"))
	case m < 24*60:
		if m%60 == 0 {
			return fmt.Sprintf("%d %s", m/60, T(lang, "left.h"))
		}
		return fmt.Sprintf("%d %s %d %s", m/60, T(lang, "left.h"), m%60, T(lang, "left.min"))
	}
	days, hours := m/(24*60), m%(24*60)/60
	unit := T(lang, "left.days")
	if days == 1 {
		unit = T(lang, "left.day")
	}
	if days < 3 && hours > 0 {
		return fmt.Sprintf("%d %s %d %s", days, unit, hours, T(lang, "left.h"))
	}
	return fmt.Sprintf("%d %s", days, unit)
}

// countdownWords are timeLeft's words for app.js, as JSON in a data attribute.
func countdownWords(lang string) string {
	keys := []string{"due", "overdue", "under_min", "min", "h", "day", "days"}
	m := map[string]string{}
	for _, k := range keys {
		m[k] = T(lang, "left."+k)
	}
	b, _ := json.Marshal(m) // a map of strings always marshals
	return string(b)
}
