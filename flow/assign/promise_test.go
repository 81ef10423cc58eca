package assign

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestPromiseFromAvailability: the deadline promised is the later of the
// agency's window from now and the chosen advisor's window from their
// first available moment, and the bot words it naturally.
func TestPromiseFromAvailability(t *testing.T) {
	const hot, warm = 25 * time.Minute, 90 * time.Minute
	nineToFive := week(t, "mon-fri 09:00-17:00")
	afternoons := week(t, "mon-fri 14:00-20:00")
	saturdayPM := week(t, "sat 14:00-18:00")
	tests := []struct {
		name   string
		cands  []Candidate
		lead   Lead
		now    time.Time
		window time.Duration
		want   time.Time
		es, en string
	}{
		{"an advisor on shift: the plain window", []Candidate{{ID: 1}}, Lead{Class: flow.Hot}, at(3, 10, 0), hot,
			at(3, 10, 25), "en los próximos 25 minutos", "in the next 25 minutes"},
		{"warm, on shift: an hour and a half", []Candidate{{ID: 1}}, Lead{Class: flow.Warm}, at(3, 10, 0), warm,
			at(3, 11, 30), "en la próxima hora y media", "in the next hour and a half"},
		{"hot while the only eligible advisor is off: next shift + 25 min",
			[]Candidate{{ID: 1, Hours: nineToFive}}, Lead{Class: flow.Hot}, at(3, 17, 30), hot,
			at(4, 9, 25), "mañana miércoles antes de las 9:25 a. m.", "tomorrow, Wednesday, before 9:25 a.m."},
		{"the only one who sells it works afternoons: today",
			[]Candidate{{ID: 1, Hours: afternoons, Services: []string{"web"}}, {ID: 2, Services: []string{"seo"}}},
			Lead{Class: flow.Hot, Service: "web"}, at(3, 10, 0), hot,
			at(3, 14, 25), "hoy antes de las 2:25 p. m.", "today before 2:25 p.m."},
		{"the shift ends inside the window: the rest next morning",
			[]Candidate{{ID: 1, Hours: nineToFive}}, Lead{Class: flow.Hot}, at(3, 16, 50), hot,
			at(4, 9, 15), "mañana miércoles antes de las 9:15 a. m.", "tomorrow, Wednesday, before 9:15 a.m."},
		{"the window crosses into a day off: the rest after it",
			[]Candidate{{ID: 1, Hours: nineToFive, DaysOff: []time.Time{date(4)}}}, Lead{Class: flow.Hot}, at(3, 16, 50), hot,
			at(5, 9, 15), "el jueves antes de las 9:15 a. m.", "on Thursday before 9:15 a.m."},
		{"the window crosses into a week off and a public holiday",
			[]Candidate{{ID: 1, DaysOff: daysFrom(date(17), 6)}}, Lead{Class: flow.Warm}, at(16, 17, 0), warm,
			at(24, 8, 30), "el martes 24 de marzo antes de las 8:30 a. m.", "on Tuesday, March 24 before 8:30 a.m."},
		{"the only advisor on vacation until Friday", []Candidate{{ID: 1, DaysOff: []time.Time{date(3), date(4), date(5)}}},
			Lead{Class: flow.Hot}, at(3, 10, 0), hot,
			at(6, 8, 25), "el viernes antes de las 8:25 a. m.", "on Friday before 8:25 a.m."},
		{"a holiday for one advisor: the other keeps the plain window",
			[]Candidate{{ID: 1, DaysOff: []time.Time{date(3)}}, {ID: 2, LastAssigned: at(3, 9, 0)}}, Lead{Class: flow.Hot}, at(3, 10, 0), hot,
			at(3, 10, 25), "en los próximos 25 minutos", "in the next 25 minutes"},
		{"the advisor works when the agency is closed: the agency's promise is later",
			[]Candidate{{ID: 1, Hours: saturdayPM}}, Lead{Class: flow.Hot}, at(7, 13, 0), hot,
			at(9, 8, 25), "el lunes antes de las 8:25 a. m.", "on Monday before 8:25 a.m."},
		{"nobody may take it: the agency's window", []Candidate{{ID: 1, Away: true}}, Lead{Class: flow.Hot}, at(3, 10, 0), hot,
			at(3, 10, 25), "en los próximos 25 minutos", "in the next 25 minutes"},
	}
	r := agencyRules()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ch, _ := Pick(tt.cands, tt.lead, r, tt.now)
			got := r.Deadline(tt.now, tt.window, ch)
			if !got.Equal(tt.want) {
				t.Fatalf("Deadline = %v; want %v", got.In(bogota), tt.want)
			}
			if es := flow.Promise(tt.now, got, tt.window, bogota, "es"); es != tt.es {
				t.Errorf("es: %q; want %q", es, tt.es)
			}
			if en := flow.Promise(tt.now, got, tt.window, bogota, "en"); en != tt.en {
				t.Errorf("en: %q; want %q", en, tt.en)
			}
		})
	}
}
