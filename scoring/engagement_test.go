package scoring

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// constScorer stands in for the model while leads are captured.
type constScorer struct{}

func (constScorer) Score(flow.Lead) flow.Score {
	return flow.Score{Class: flow.Warm, Probability: 0.5, Model: "rules"}
}

// TestEngagementSameLiveAndInTraining runs real conversations through the
// flow and the store, closes the leads as an advisor would, and checks that
// every conversation field the scorer saw on the live lead is the value
// training reads back from the store; imported history has them missing.
func TestEngagementSameLiveAndInTraining(t *testing.T) {
	ctx := context.Background()
	start := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	now := start
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "cis.db"), store.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := flow.New(flow.DefaultConfig(bogota), constScorer{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ImportHistory(ctx, []store.HistoryLead{{Key: "old", CreatedAt: start.Add(-48 * time.Hour),
		Lead: flow.Lead{Urgency: flow.Exploring, Service: "seo"}}}, nil); err != nil {
		t.Fatal(err)
	}
	convs := []conversation{
		{"+573001110001", nil, []string{"hola", "sí", "Ana", "Medellín", "2 millones", "ya", "seo"}},
		{"+573001110002", nil, []string{"hola", "sí", "Beto", "Cali", "mucho", "no sé", "explorando", "???", "diseño web"}},
		{"+573001110001", nil, []string{"reiniciar", "Ana", "Bogotá", "3 millones", "este mes", "seo"}}, // the same contact again
	}
	var live []flow.Lead
	converse(t, st, &now, convs, func(in flow.Inbound) error {
		_, err := st.Handle(ctx, in, func(s flow.State) flow.Result {
			r := m.Step(s, in, in.At)
			for _, e := range r.Events {
				if e.Kind == flow.EventLeadCompleted {
					live = append(live, *e.Lead)
				}
			}
			return r
		})
		return err
	})
	if len(live) != 3 {
		t.Fatalf("%d leads completed; want 3", len(live))
	}
	for id := int64(1); id <= 3; id++ {
		if err := st.ActOnLead(ctx, id, store.LeadAction{Kind: "lost", Detail: "precio"}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := st.LabelledLeads(ctx)
	if err != nil || len(got) != 4 {
		t.Fatalf("LabelledLeads = %d, %v; want 4", len(got), err)
	}
	for _, f := range candidateFields {
		if v := fieldValue[f.Name](got[0].Lead); v != "" && (f.Name == "retries" || f.Name == "answer_speed" || f.Name == "returning") {
			t.Errorf("imported history %s = %q; want missing", f.Name, v)
		}
		for i, l := range live {
			if want, v := fieldValue[f.Name](l), fieldValue[f.Name](got[i+1].Lead); v != want {
				t.Errorf("lead %d %s: live %q, training %q", i, f.Name, want, v)
			}
		}
	}
	if g := live[1].Engagement; g.Retries != 2 || g.Returning || live[0].Engagement.Returning {
		t.Errorf("engagement = %+v, %+v; want 2 retries for Beto and only Ana's second lead returning", *live[0].Engagement, *g)
	}
}

// TestEngagementWords: an advisor reads each engagement value, and a missing
// one says it was not measured rather than showing 0.
func TestEngagementWords(t *testing.T) {
	cases := []struct {
		field, raw, lang, want string
	}{
		{"retries", "2", "es", "2 respuestas no entendidas: convierte por encima del promedio"},
		{"retries", "", "en", "conversation not measured"},
		{"answer_speed", "2.3032", "en", "answered in 200 s: converts above average"},
		{"answer_speed", "", "es", "rapidez sin medir"},
		{"returning", "1", "es", "ya había escrito antes: convierte por encima del promedio"},
		{"returning", "0", "en", "first contact: converts above average"},
		{"returning", "", "en", "contact history unknown"},
	}
	for _, c := range cases {
		if got := words(c.lang, c.field, c.raw, 0.05, Schema{}); got != c.want {
			t.Errorf("words(%s, %s=%q) = %q; want %q", c.lang, c.field, c.raw, got, c.want)
		}
	}
}
