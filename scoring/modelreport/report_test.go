package modelreport

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/scoring/learn"
)

var testNow = func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func TestLeadLabel(t *testing.T) {
	if got := leadLabel("answer_speed", 2.3032); got != "200 s" {
		t.Errorf("leadLabel(answer_speed) = %q; want 200 s", got)
	}
}

// TestQualityFromImport: what the imports learned (importer.ImportStats,
// as stored) sums into the report's data-and-cleaning section, largest
// counts first.
func TestQualityFromImport(t *testing.T) {
	runs := []importer.ImportStats{
		{Read: 11, Good: 6, Duplicates: 1, Rejected: map[string]int{"city": 2, "budget": 1, "format": 2},
			Cities: map[string]int{"medallo → Medellín (05001)": 2}, Budgets: map[string]int{"text": 3}},
		*importer.DemoStats(100, 90),
	}
	var raw [][]byte
	for _, r := range runs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		raw = append(raw, b)
	}
	q, err := Quality(raw, 96, 4)
	if err != nil {
		t.Fatal(err)
	}
	if q.Read != 111 || q.Kept != 96 || q.Duplicates != 11 {
		t.Errorf("read %d, kept %d, duplicates %d; want 111, 96, 11", q.Read, q.Kept, q.Duplicates)
	}
	wantRej := []Count{{"city", 2}, {"format", 2}, {"budget", 1}}
	if !slices.Equal(q.Rejected, wantRej) {
		t.Errorf("rejected = %v; want %v", q.Rejected, wantRej)
	}
	wantNorm := []Count{{"budget: text", 3}, {"city: medallo → Medellín (05001)", 2}}
	if !slices.Equal(q.Normalised, wantNorm) {
		t.Errorf("normalised = %v; want %v", q.Normalised, wantNorm)
	}
	if !slices.Equal(q.Notes, []string{"demo_history", "bot_leads:4"}) {
		t.Errorf("notes = %v", q.Notes)
	}
	if _, err := Quality([][]byte{[]byte("{")}, 0, 0); err == nil {
		t.Error("Quality of a corrupt record: no error")
	}
}

// TestForModelStopsWhenCancelled: the report's cross-validation takes
// minutes on a large history, and a server that stops must not wait for it.
// An ended context returns its error at once, and a cancellation during
// the cross-validation stops it at the next fold: no step runs after it.
// (dashboard/report's TestDemoModelReportFromTheStore runs one to the end.)
func TestForModelStopsWhenCancelled(t *testing.T) {
	ex, b := trainedDemo(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ForModel(ctx, 1, b, ex, DataQuality{}, Options{Trees: 15, Folds: 3, Seed: 1, Now: testNow}); !errors.Is(err, context.Canceled) {
		t.Fatalf("ForModel(cancelled) = %v; want context.Canceled", err)
	}

	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	var steps []string
	o := Options{Trees: 15, Folds: 3, Seed: 1, Now: testNow, Progress: func(_, _ int, step string) {
		steps = append(steps, step)
		if len(steps) == 2 {
			cancel() // during the first fold's fit
		}
	}}
	r, err := ForModel(ctx, 1, b, ex, DataQuality{}, o)
	if !errors.Is(err, context.Canceled) || r != nil {
		t.Fatalf("ForModel cancelled mid-way = %v, %v; want nil, context.Canceled", r, err)
	}
	if len(steps) != 2 {
		t.Errorf("steps after the cancellation ran: %q; want it to stop at the next fold", steps)
	}

}

// trainedDemo trains a small model on a generated history.
func trainedDemo(t *testing.T) ([]scoring.Example, *scoring.Bundle) {
	t.Helper()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := demo.History(places, 1000, testNow(), 1)
	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		ex[i] = scoring.Example{Lead: h.Lead, Converted: h.Converted}
	}
	b, _, err := scoring.Train(ex, scoring.TrainOptions{Trees: 15, Folds: 3, Seed: 1, Min: scoring.DefaultMinHistory(), Now: testNow,
		Forest: &learn.ForestParams{}}) // a stored setting: the report is under test, not the tuning
	if err != nil {
		t.Fatal(err)
	}
	return ex, b
}
