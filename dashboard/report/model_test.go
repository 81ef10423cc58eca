package report

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/modelreport"
	"github.com/cis-agencia/cis/store"
)

// ctxBlindStore serves one model and its leads whatever the context, so
// that only the computation itself can notice a cancellation.
type ctxBlindStore struct {
	bundle []byte
	leads  []store.HistoryLead
	saved  int
}

func (s *ctxBlindStore) ModelBundle(context.Context, int64) ([]byte, error) { return s.bundle, nil }
func (s *ctxBlindStore) LabelledLeads(context.Context) ([]store.HistoryLead, error) {
	return s.leads, nil
}
func (s *ctxBlindStore) ImportRuns(context.Context, string) ([][]byte, error) { return nil, nil }
func (s *ctxBlindStore) CountBotLabelled(context.Context) (int, error)        { return 0, nil }
func (s *ctxBlindStore) SaveModelReport(context.Context, int64, []byte) error {
	s.saved++
	return nil
}
func (s *ctxBlindStore) ModelReport(context.Context, int64) ([]byte, error) {
	return nil, store.ErrNotFound
}

// TestComputeStopsWithItsContext: the dashboard runs Compute as a job
// under the server's context; when that context ends mid-way (the server
// stops), the cross-validation stops at its next fold, Compute returns the
// context's error and saves nothing.
func TestComputeStopsWithItsContext(t *testing.T) {
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := demo.History(places, 1000, testNow(), 1)
	st := &ctxBlindStore{}
	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		st.leads = append(st.leads, store.HistoryLead{Key: fmt.Sprint(i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt, Converted: h.Converted})
		ex[i] = scoring.Example{Lead: h.Lead, Converted: h.Converted}
	}
	b, _, err := scoring.Train(ex, scoring.TrainOptions{Trees: 10, Folds: 3, Seed: 1, Min: scoring.DefaultMinHistory(), Now: testNow, Forest: &learn.ForestParams{}})
	if err != nil {
		t.Fatal(err)
	}
	if st.bundle, err = b.Encode(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	steps := 0
	o := modelreport.Options{Trees: 10, Folds: 3, Seed: 1, Now: testNow, Progress: func(int, int, string) {
		if steps++; steps == 1 {
			cancel()
		}
	}}
	r, err := Compute(ctx, st, 1, o)
	if !errors.Is(err, context.Canceled) || r != nil {
		t.Fatalf("Compute after its context ended = %v, %v; want nil, context.Canceled", r, err)
	}
	if steps != 1 || st.saved != 0 {
		t.Errorf("%d steps ran and %d reports were saved after the cancellation; want 1 and 0", steps, st.saved)
	}
}
