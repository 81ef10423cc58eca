package assign

import (
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// bogota is the agency's zone in these tests; the week of 2026-03-02
// (Monday) has no public holiday, Monday 2026-03-23 is San José.
var bogota = flow.Bogota()

func at(day, hour, minute int) time.Time {
	return time.Date(2026, 3, day, hour, minute, 0, 0, bogota)
}

func date(day int) time.Time { return time.Date(2026, 3, day, 0, 0, 0, 0, time.UTC) }

func week(t *testing.T, s string) *flow.Week {
	t.Helper()
	w, err := flow.ParseWeek(s)
	if err != nil {
		t.Fatal(err)
	}
	return &w
}

// agencyRules: the agency's default hours (Mon–Fri 8–18, Sat 8–12) in
// Bogotá, hot leads to the least loaded advisor, the rest in rotation.
func agencyRules() Rules {
	return Rules{
		Agency: flow.Calendar{Loc: bogota, Week: flow.DefaultWeek(), Enabled: true},
		Modes:  map[flow.Class]Mode{flow.Hot: LeastLoaded},
	}
}

func TestPickRespectsSchedulesCapacityAndSkills(t *testing.T) {
	medellin := flow.City{Code: "05001", Name: "Medellín", Department: "Antioquia"}
	bogotaDC := flow.City{Code: "11001", Name: "Bogotá, D.C.", Department: "Bogotá, D.C."}
	afternoons := week(t, "mon-fri 14:00-20:00")
	tests := []struct {
		name   string
		cands  []Candidate
		lead   Lead
		now    time.Time
		wantID int64     // 0: nobody
		wantAt time.Time // zero: now
	}{
		{"on shift now, agency hours", []Candidate{{ID: 1}, {ID: 2}}, Lead{}, at(3, 10, 0), 1, time.Time{}},
		{"the only eligible advisor is off: their next shift",
			[]Candidate{{ID: 1, Hours: afternoons, Services: []string{"web"}}, {ID: 2, Services: []string{"seo"}}},
			Lead{Class: flow.Hot, Service: "web"}, at(3, 10, 0), 1, at(3, 14, 0)},
		{"somebody on shift now beats an earlier turn off shift",
			[]Candidate{{ID: 1, Hours: afternoons}, {ID: 2, LastAssigned: at(3, 9, 0)}}, Lead{}, at(3, 10, 0), 2, time.Time{}},
		{"nobody on shift: the soonest shift, after the night",
			[]Candidate{{ID: 1, Hours: afternoons}, {ID: 2}}, Lead{}, at(3, 21, 0), 2, at(4, 8, 0)},
		{"at capacity: the next advisor, though it is the full one's turn",
			[]Candidate{{ID: 1, MaxOpen: 3, Open: 3}, {ID: 2, LastAssigned: at(3, 9, 0), MaxOpen: 3, Open: 2}}, Lead{}, at(3, 10, 0), 2, time.Time{}},
		{"everybody at capacity: nobody", []Candidate{{ID: 1, MaxOpen: 1, Open: 1}}, Lead{}, at(3, 10, 0), 0, time.Time{}},
		{"no maximum: no limit", []Candidate{{ID: 1, Open: 500}}, Lead{}, at(3, 10, 0), 1, time.Time{}},
		{"services: only who sells it",
			[]Candidate{{ID: 1, Services: []string{"seo"}}, {ID: 2, Services: []string{"web", "seo"}}}, Lead{Service: "web"}, at(3, 10, 0), 2, time.Time{}},
		{"services: nobody sells it", []Candidate{{ID: 1, Services: []string{"seo"}}}, Lead{Service: "web"}, at(3, 10, 0), 0, time.Time{}},
		{"places: the department covers its towns",
			[]Candidate{{ID: 1, Places: []string{"Cundinamarca", "bogota, d.c."}}, {ID: 2, Places: []string{"antioquia"}}},
			Lead{City: medellin}, at(3, 10, 0), 2, time.Time{}},
		{"places: a city by name without accents or by DANE code",
			[]Candidate{{ID: 1, Places: []string{"05001"}}, {ID: 2, Places: []string{"BOGOTÁ, D.C."}}},
			Lead{City: bogotaDC}, at(3, 10, 0), 2, time.Time{}},
		{"a lead with no city or service fits everybody",
			[]Candidate{{ID: 1, Places: []string{"antioquia"}, Services: []string{"seo"}}}, Lead{}, at(3, 10, 0), 1, time.Time{}},
		{"a day off moves the lead to another advisor",
			[]Candidate{{ID: 1, DaysOff: []time.Time{date(3)}}, {ID: 2, LastAssigned: at(3, 9, 0)}}, Lead{}, at(3, 10, 0), 2, time.Time{}},
		{"the only advisor on vacation: back the day after",
			[]Candidate{{ID: 1, DaysOff: []time.Time{date(3), date(4), date(5)}}}, Lead{}, at(3, 10, 0), 1, at(6, 8, 0)},
		{"a public holiday (San José) is off for everybody", []Candidate{{ID: 1}}, Lead{}, at(23, 10, 0), 1, at(24, 8, 0)},
		{"away: the other advisor", []Candidate{{ID: 1, Away: true}, {ID: 2, LastAssigned: at(3, 9, 0)}}, Lead{}, at(3, 10, 0), 2, time.Time{}},
		{"everybody away: nobody, the lead waits", []Candidate{{ID: 1, Away: true}}, Lead{}, at(3, 10, 0), 0, time.Time{}},
		{"hours with no shift at all: never", []Candidate{{ID: 1, Hours: &flow.Week{}}}, Lead{}, at(3, 10, 0), 0, time.Time{}},
		{"a leave longer than the lookahead: nobody",
			[]Candidate{{ID: 1, DaysOff: daysFrom(date(3), lookaheadDays+1)}}, Lead{}, at(3, 10, 0), 0, time.Time{}},
		{"a missed lead never goes back, even to the only one on shift",
			[]Candidate{{ID: 1}, {ID: 2, Hours: afternoons}}, Lead{From: 1}, at(3, 10, 0), 2, at(3, 14, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pick(tt.cands, tt.lead, agencyRules(), tt.now)
			if tt.wantID == 0 {
				if ok {
					t.Fatalf("Pick = %d at %v; want nobody", got.ID, got.At)
				}
				return
			}
			want := tt.wantAt
			if want.IsZero() {
				want = tt.now
			}
			if !ok || got.ID != tt.wantID || !got.At.Equal(want) {
				t.Fatalf("Pick = %d at %v (%v); want %d at %v", got.ID, got.At.In(bogota), ok, tt.wantID, want.In(bogota))
			}
		})
	}
}

func daysFrom(d time.Time, n int) []time.Time {
	out := make([]time.Time, n)
	for i := range out {
		out[i] = d.AddDate(0, 0, i)
	}
	return out
}

// TestPickModePerClass: the agency sends hot leads to the least loaded
// advisor and the others in strict rotation.
func TestPickModePerClass(t *testing.T) {
	cands := []Candidate{
		{ID: 1, Open: 4, LastAssigned: at(3, 8, 0)},  // first in turn, busiest
		{ID: 2, Open: 1, LastAssigned: at(3, 9, 30)}, // last in turn, lightest
		{ID: 3, Open: 1, LastAssigned: at(3, 9, 0)},
	}
	for _, tt := range []struct {
		class flow.Class
		want  int64
	}{{flow.Hot, 3}, {flow.Warm, 1}, {flow.Cold, 1}} {
		if got, ok := Pick(cands, Lead{Class: tt.class}, agencyRules(), at(3, 10, 0)); !ok || got.ID != tt.want {
			t.Errorf("%s lead to %d (%v); want %d", tt.class, got.ID, ok, tt.want)
		}
	}
}
