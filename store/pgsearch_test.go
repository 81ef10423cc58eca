package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// leadVia completes a lead for from through the message path.
func leadVia(tb testing.TB, s *Store, id, from string, l flow.Lead, deadline time.Time) {
	tb.Helper()
	in := inbound(id, "listo")
	in.From = from
	if _, err := s.Handle(context.Background(), in, func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.Status = flow.Completed
		r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: deadline, Lead: &l,
			Score: &flow.Score{Class: flow.Hot, Probability: 0.5, Model: "rules"}}}
		return r
	}); err != nil {
		tb.Fatal(err)
	}
}

// TestQueueSearchBothEngines: the queue's search by name, city, service
// label and phone, ignoring case and accents, literal (no wildcards), on
// both engines (SQLite's lead_grams index, PostgreSQL's plain test of the
// keys in queue order).
func TestQueueSearchBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		s := e.open(t, Options{Now: func() time.Time { return pgT0 }})
		leads := []struct{ name, city, dept, service string }{
			{"María José Peña", "Medellín", "Antioquia", "social"},
			{"CARLOS ANDRÉS", "Bogotá, D.C.", "Bogotá, D.C.", "ads"},
			{"Ana Lucía", "Santiago de Cali", "Valle del Cauca", "seo"},
			{"Jose", "MEDELLÍN", "Antioquia", "web"},
			{"Ñoño Güell", "Cúcuta", "Norte de Santander", "ads"},
		}
		for i, l := range leads {
			leadVia(t, s, fmt.Sprintf("s%d", i), fmt.Sprintf("+5730055%08d", i), flow.Lead{Name: l.name,
				City: flow.City{Name: l.city, Department: l.dept}, Service: l.service, Urgency: flow.Immediate}, pgT0.Add(time.Duration(i)*time.Minute))
		}
		labels := map[string]string{"social": "Redes sociales", "ads": "Pauta digital (anuncios)", "seo": "SEO (posicionamiento en Google)", "web": "Diseño web"}
		match := func(w string) []string {
			var keys []string
			for k, l := range labels {
				if strings.Contains(SearchKey(l), w) || k == w {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			return keys
		}
		for _, tc := range []struct {
			q    string
			want []string
		}{
			{"medellin", []string{"María José Peña", "Jose"}},
			{"MEDELLÍN", []string{"María José Peña", "Jose"}},
			{"andres", []string{"CARLOS ANDRÉS"}},
			{"nono guell", []string{"Ñoño Güell"}},
			{"pauta", []string{"CARLOS ANDRÉS", "Ñoño Güell"}},
			{"maria medellin", []string{"María José Peña"}},
			{"maria bogota", nil},
			{"+57 300 5500000001", []string{"CARLOS ANDRÉS"}},
			{"%", nil},
			{"_", nil},
		} {
			rows, err := s.Queue(context.Background(), LeadFilter{Search: tc.q, ServiceMatch: match})
			if err != nil {
				t.Fatal(err)
			}
			got, want := names(rows), slices.Clone(tc.want)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("search %q = %q; want %q", tc.q, got, want)
			}
			if n, err := s.QueueCount(context.Background(), LeadFilter{Search: tc.q, ServiceMatch: match}, 100); err != nil || n != len(want) {
				t.Errorf("count of search %q = %d, %v; want %d", tc.q, n, err, len(want))
			}
		}
	})
}

// TestSearchKeyBothEngines: the key each engine's triggers store is the one
// SearchKey folds a query to, for every character the fold knows, for
// decomposed accents and for letters outside the table; a contact's new
// phone reaches the key.
func TestSearchKeyBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		s := e.open(t, Options{Now: func() time.Time { return pgT0 }})
		var odd []string
		for _, r := range "áàâäãéèêëíìîïóòôöõúùûüñçÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇ" {
			odd = append(odd, "X"+string(r)+"y")
		}
		odd = append(odd, "Jose\u0301 Pen\u0303a", "ÅSA Øre")
		for i, n := range odd {
			leadVia(t, s, fmt.Sprintf("k%d", i), fmt.Sprintf("+5799%08d", i), flow.Lead{Name: n, Urgency: flow.Immediate, Service: "seo"}, pgT0)
		}
		for i, n := range odd {
			var got string
			if err := e.raw.QueryRow(e.q(`SELECT search FROM leads WHERE name = ?`), n).Scan(&got); err != nil {
				t.Fatal(err)
			}
			if want := SearchKey(n+"  ") + " " + fmt.Sprintf("5799%08d", i); got != want {
				t.Errorf("%q: the triggers folded to %q, SearchKey to %q", n, got, want)
			}
		}
		if _, err := e.raw.Exec(`UPDATE contacts SET phone = '+571234' WHERE phone = '+579900000000'`); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM leads WHERE search LIKE '% 571234'`); n != 1 {
			t.Errorf("a contact's new phone did not reach its lead's key")
		}
	})
}
