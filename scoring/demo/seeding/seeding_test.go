package seeding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/store"
)

// fakeStore records what seeding writes; a method it does not override
// panics (the embedded nil Store), so an unexpected call fails the test.
type fakeStore struct {
	Store
	labelled  int
	customers int
	churn     error // ActiveBundleKind's error
	history   []store.HistoryLead
	runs      map[string][]byte
}

func (f *fakeStore) CountLabelled(context.Context) (int, int, error) { return f.labelled, 0, nil }

func (f *fakeStore) ImportHistory(_ context.Context, rows []store.HistoryLead, _ func(int, int, string)) (int, error) {
	f.history = append(f.history, rows...)
	return len(rows), nil
}

func (f *fakeStore) SaveImportRun(_ context.Context, kind string, stats []byte) error {
	if f.runs == nil {
		f.runs = map[string][]byte{}
	}
	f.runs[kind] = stats
	return nil
}

func (f *fakeStore) CustomerHistories(context.Context, bool) ([]store.CustomerHistory, error) {
	return make([]store.CustomerHistory, f.customers), nil
}

func (f *fakeStore) ActiveBundleKind(context.Context, string) (int64, []byte, error) {
	return 1, nil, f.churn
}

type fakeModels struct {
	current  *scoring.Model
	trained  []scoring.TrainOptions
	churnErr error
	scored   bool
}

func (m *fakeModels) Current() *scoring.Model { return m.current }

func (m *fakeModels) Train(_ context.Context, o scoring.TrainOptions) (int64, error) {
	m.trained = append(m.trained, o)
	return 7, nil
}

func (m *fakeModels) TrainChurn(_ context.Context, o scoring.TrainOptions, _ int) (int64, error) {
	m.trained = append(m.trained, o)
	return 8, m.churnErr
}

func (m *fakeModels) ScoreChurn(context.Context, time.Time) (int, error) {
	m.scored = true
	return 3, nil
}

var testNow = func() time.Time { return time.Date(2026, 11, 15, 12, 0, 0, 0, time.UTC) }

// TestHistorySeedsAnEmptyStoreOnce: an empty store gets the demo history
// (keyed by seed and index, so a second import adds nothing) with its
// import record, then the first model; a store with an active model is
// left alone.
func TestHistorySeedsAnEmptyStoreOnce(t *testing.T) {
	st, m := &fakeStore{}, &fakeModels{}
	if err := History(context.Background(), st, m, Options{Leads: 300, Trees: 5, Now: testNow}); err != nil {
		t.Fatal(err)
	}
	if len(st.history) < 200 || st.history[0].Key != fmt.Sprintf("demo-%d-0", demo.Seed) || st.history[0].Extra["agency"] != demo.Agency {
		t.Fatalf("history: %d rows, first %+v", len(st.history), st.history[0])
	}
	for _, h := range st.history {
		if !h.CreatedAt.Before(HistoryEnd(testNow())) {
			t.Fatalf("lead at %v: the history must end at the month's start", h.CreatedAt)
		}
	}
	var stats importer.ImportStats
	if err := json.Unmarshal(st.runs["leads"], &stats); err != nil || stats.Source != "demo" || stats.Read != len(st.history) {
		t.Errorf("import record = %s, %v", st.runs["leads"], err)
	}
	if len(m.trained) != 1 || m.trained[0].Trees != 5 || m.trained[0].Folds != leadFolds || m.trained[0].Seed != demo.Seed {
		t.Errorf("trained %+v; want one lead model with the demo's settings", m.trained)
	}

	again := &fakeModels{current: &scoring.Model{}}
	if err := History(context.Background(), &fakeStore{}, again, Options{Leads: 300}); err != nil || len(again.trained) != 0 {
		t.Errorf("with an active model: %v, trained %d", err, len(again.trained))
	}
}

// TestCustomersWithoutAChurnModel: a demo too small to train churn runs on
// without churn scores; any other training error stops it.
func TestCustomersWithoutAChurnModel(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		wantErr string
		scored  bool
	}{
		{"trained", nil, "", true},
		{"too little history", fmt.Errorf("churn: %w", scoring.ErrNotEnoughHistory), "", false},
		{"broken", errors.New("disk full"), "demo churn model: disk full", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{customers: 1, churn: fmt.Errorf("no churn model: %w", store.ErrNotFound)}
			m := &fakeModels{churnErr: tt.err}
			n, err := Customers(context.Background(), st, m, Options{Leads: 300, Trees: 80, Now: testNow})
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Customers = %d, %v; want error %q", n, err, tt.wantErr)
			}
			if m.scored != tt.scored || len(m.trained) != 1 || m.trained[0].Trees != churnTrees {
				t.Errorf("scored %v (want %v), trained %+v (want one churn model of %d trees)", m.scored, tt.scored, m.trained, churnTrees)
			}
		})
	}
}
