package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// searchStore holds five leads as the bot stores them (names and cities with
// accents and capitals) and the services named by key.
func searchStore(t *testing.T, now time.Time) *Store {
	t.Helper()
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "s.db"), Options{Synchronous: "NORMAL", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	leads := []struct {
		name, city, dept, service string
		deadline                  time.Duration
	}{
		{"María José Peña", "Medellín", "Antioquia", "social", 20 * time.Minute},
		{"CARLOS ANDRÉS", "Bogotá, D.C.", "Bogotá, D.C.", "ads", -2*time.Hour - 10*time.Minute},
		{"Ana Lucía", "Santiago de Cali", "Valle del Cauca", "seo", 3 * time.Hour},
		{"Jose", "MEDELLÍN", "Antioquia", "web", -30 * time.Minute},
		{"Ñoño Güell", "Cúcuta", "Norte de Santander", "ads", 50 * time.Minute},
	}
	var past []PastLead
	for _, l := range leads {
		past = append(past, PastLead{Lead: flow.Lead{Name: l.name, City: flow.City{Name: l.city, Department: l.dept}, Service: l.service,
			Urgency: flow.Immediate, CompletedAt: now.Add(-time.Hour), StartedAt: now.Add(-70 * time.Minute)},
			Score: flow.Score{Class: flow.Hot, Probability: 0.5, Model: "rules"}, Deadline: now.Add(l.deadline), Status: "open"})
	}
	if err := st.InsertPastLeads(ctx, "search", "+5730055", past, nil); err != nil {
		t.Fatal(err)
	}
	return st
}

func names(rows []QueueRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Name)
	}
	return out
}

// TestQueueSearchIgnoresCaseAndAccents: what the advisors typed and
// found nothing for now finds the lead, by name, city, service label and phone.
func TestQueueSearchIgnoresCaseAndAccents(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
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
	tests := []struct {
		q    string
		want []string
	}{
		{"medellin", []string{"María José Peña", "Jose"}},
		{"MEDELLÍN", []string{"María José Peña", "Jose"}},
		{"bogota", []string{"CARLOS ANDRÉS"}},
		{"maria", []string{"María José Peña"}},
		{"MARÍA", []string{"María José Peña"}},
		{"jose", []string{"María José Peña", "Jose"}},
		{"andres", []string{"CARLOS ANDRÉS"}},
		{"nono guell", []string{"Ñoño Güell"}},
		{"cucuta", []string{"Ñoño Güell"}},
		{"redes", []string{"María José Peña"}},
		{"pauta", []string{"CARLOS ANDRÉS", "Ñoño Güell"}},
		{"ads", []string{"CARLOS ANDRÉS", "Ñoño Güell"}},
		{"valle", []string{"Ana Lucía"}},
		{"maria medellin", []string{"María José Peña"}},
		{"maria bogota", nil},
		{"+57 300 5500000001", []string{"CARLOS ANDRÉS"}},
		{"5500000004", []string{"Ñoño Güell"}},
		{"%", nil},
		{"_", nil},
	}
	for _, tt := range tests {
		rows, err := st.Queue(context.Background(), LeadFilter{Search: tt.q, ServiceMatch: match})
		if err != nil {
			t.Fatal(err)
		}
		got := names(rows)
		slices.Sort(got)
		want := slices.Clone(tt.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("search %q = %q; want %q", tt.q, got, want)
		}
	}
}

// TestSearchKeyMatchesTheSQLFold: the key a query is folded to in Go is
// the one the migration's triggers store for the same text.
func TestSearchKeyMatchesTheSQLFold(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
	var odd []string
	for _, r := range "áàâäãéèêëíìîïóòôöõúùûüñçÁÀÂÄÃÉÈÊËÍÌÎÏÓÒÔÖÕÚÙÛÜÑÇ" {
		odd = append(odd, "X"+string(r)+"y")
	}
	odd = append(odd, "Jose\u0301 Pen\u0303a", "ÅSA Øre") // decomposed accents; letters outside the table stay
	var past []PastLead
	for _, n := range odd {
		past = append(past, PastLead{Lead: flow.Lead{Name: n, Urgency: flow.Immediate, Service: "seo", CompletedAt: now, StartedAt: now},
			Score: flow.Score{Class: flow.Cold, Model: "rules"}, Deadline: now, Status: "open"})
	}
	if err := st.InsertPastLeads(context.Background(), "fold", "+5799", past, nil); err != nil {
		t.Fatal(err)
	}
	for i, n := range odd {
		var got string
		if err := st.ro.QueryRow(`SELECT search FROM leads WHERE name = ?`, n).Scan(&got); err != nil {
			t.Fatal(err)
		}
		want := SearchKey(n+"  ") + " " + fmt.Sprintf("5799%08d", i)
		if got != want {
			t.Errorf("%q: SQL folded to %q, Go to %q", n, got, want)
		}
	}
}

// TestErasureEmptiesTheSearchKey: after erasure neither the name nor the
// number finds the lead.
func TestErasureEmptiesTheSearchKey(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
	ctx := context.Background()
	if _, err := st.EraseByPhone(ctx, "+573005500000000", EraseRequested, "admin", 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"maria", "5500000000"} {
		rows, err := st.Queue(ctx, LeadFilter{Search: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 0 {
			t.Errorf("search %q after erasure finds %q", q, names(rows))
		}
	}
}

// TestQueueDueOverdueCountsAndPaging: open leads split at now into due
// (soonest first) and overdue (most recently overdue first); counts per
// status and class follow every change; pages do not overlap.
func TestQueueDueOverdueCountsAndPaging(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
	ctx := context.Background()
	due, err := st.Queue(ctx, LeadFilter{Due: "due", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(due), []string{"María José Peña", "Ñoño Güell", "Ana Lucía"}; !slices.Equal(got, want) {
		t.Errorf("due = %q; want %q", got, want)
	}
	over, err := st.Queue(ctx, LeadFilter{Due: "overdue", Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(over), []string{"Jose", "CARLOS ANDRÉS"}; !slices.Equal(got, want) {
		t.Errorf("overdue = %q; want %q (most recently overdue first)", got, want)
	}
	if n, err := st.QueueCount(ctx, LeadFilter{Due: "overdue", Now: now}, 1000); err != nil || n != 2 {
		t.Errorf("overdue count = %d, %v; want 2", n, err)
	}
	if n, _ := st.QueueCount(ctx, LeadFilter{}, 3); n != 3 {
		t.Errorf("count capped at 3 = %d", n)
	}
	p1, _ := st.Queue(ctx, LeadFilter{Limit: 2})
	p2, _ := st.Queue(ctx, LeadFilter{Limit: 2, Offset: 2})
	if len(p1) != 2 || len(p2) != 2 || p1[1].ID == p2[0].ID {
		t.Errorf("pages %v / %v overlap or are short", names(p1), names(p2))
	}
	u, err := st.CreateUser(ctx, "ana", "advisor", "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.ActOnLead(ctx, due[0].ID, LeadAction{Kind: "contacted", ByUser: u.ID}); err != nil {
		t.Fatal(err)
	}
	if err := st.ActOnLead(ctx, due[1].ID, LeadAction{Kind: "won", ValueCOP: 1, ByUser: u.ID}); err != nil {
		t.Fatal(err)
	}
	counts, err := st.LeadCounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if counts["open"]["hot"] != 3 || counts["contacted"]["hot"] != 1 || counts["won"]["hot"] != 1 {
		t.Errorf("counts = %v; want 3 open, 1 contacted, 1 won (all hot)", counts)
	}
}

// TestQueueVisibleToOwnAdvisor: an advisor limited to their own leads lists
// theirs and the unassigned ones, and a search only theirs.
func TestQueueVisibleToOwnAdvisor(t *testing.T) {
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
	ctx := context.Background()
	ana, err := st.CreateUser(ctx, "ana", "advisor", "x")
	if err != nil {
		t.Fatal(err)
	}
	beto, err := st.CreateUser(ctx, "beto", "advisor", "x")
	if err != nil {
		t.Fatal(err)
	}
	all, _ := st.Queue(ctx, LeadFilter{})
	for i, u := range []int64{ana.ID, beto.ID} {
		if err := st.ActOnLead(ctx, all[i].ID, LeadAction{Kind: "assign", AssignTo: u, ByUser: u}); err != nil {
			t.Fatal(err)
		}
	}
	rows, _ := st.Queue(ctx, LeadFilter{Visible: ana.ID})
	if len(rows) != len(all)-1 || slices.ContainsFunc(rows, func(r QueueRow) bool { return r.AdvisorID == beto.ID }) {
		t.Errorf("ana sees %q; want every lead but beto's", names(rows))
	}
	for _, q := range []string{all[1].Name, "a"} {
		rows, _ = st.Queue(ctx, LeadFilter{Visible: ana.ID, Search: q})
		for _, r := range rows {
			if r.AdvisorID != ana.ID {
				t.Errorf("ana's search %q lists %q, not hers", q, r.Name)
			}
		}
	}
}
