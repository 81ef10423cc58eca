package flow

import (
	"strings"
	"testing"
	"time"
)

// staffAt is a Staffing whose eligible advisor is first available at a
// fixed moment; it records what it was asked.
type staffAt struct {
	from  time.Time
	class Class
	lead  Lead
}

func (s *staffAt) Deadline(now time.Time, l Lead, class Class, window time.Duration) time.Time {
	s.class, s.lead = class, l
	return s.from.Add(window)
}

// TestCompletedLeadPromiseFollowsStaffing: the deadline the prospect is
// told, the one in the event the store saves and the one in the state are
// the same, and come from when an advisor is available.
func TestCompletedLeadPromiseFollowsStaffing(t *testing.T) {
	bogota := Bogota()
	tests := []struct {
		name   string
		from   time.Time
		want   time.Time
		phrase string
	}{
		{"the only eligible advisor starts tomorrow at 8", time.Date(2026, 3, 3, 8, 0, 0, 0, bogota),
			time.Date(2026, 3, 3, 8, 25, 0, 0, bogota), "Un asesor te contactará mañana martes antes de las 8:25 a. m."},
		{"an advisor on shift now", monday10.Add(6 * time.Minute),
			monday10.Add(31 * time.Minute), "Un asesor te contactará en los próximos 25 minutos."},
		{"staffing never makes the promise sooner than the agency's", monday10.Add(-time.Hour),
			monday10.Add(31 * time.Minute), "Un asesor te contactará en los próximos 25 minutos."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newTestMachine(t, Hot)
			r := converse(m, monday10, "hola", "sí", "Carlos", "Medellín", "2 millones", "ya")
			st := &staffAt{from: tt.from}
			r.State.Contact.Staffing = st
			r = m.Step(r.State, text("g", "seo"), monday10.Add(6*time.Minute))
			if r.State.Status != Completed {
				t.Fatalf("status %s; replies %v", r.State.Status, keys(r))
			}
			if st.class != Hot || st.lead.Service != "seo" || st.lead.City.Code != "05001" {
				t.Errorf("staffing asked for class %q lead %+v; want the hot seo lead from Medellín", st.class, st.lead)
			}
			var ev Event
			for _, e := range r.Events {
				if e.Kind == EventLeadCompleted {
					ev = e
				}
			}
			if !ev.Deadline.Equal(tt.want) || !r.State.Deadline.Equal(tt.want) {
				t.Errorf("event deadline %v, state %v; want %v", ev.Deadline, r.State.Deadline, tt.want)
			}
			if got := r.Replies[len(r.Replies)-1].Text; !strings.HasSuffix(got, tt.phrase) {
				t.Errorf("closing reply %q; want it to end %q", got, tt.phrase)
			}
		})
	}
}
