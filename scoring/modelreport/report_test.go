package modelreport

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/importer"
)

var testNow = func() time.Time { return time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC) }

func TestLeadLabel(t *testing.T) {
	if got := leadLabel("answer_speed", 2.3032); got != "200 s" {
		t.Errorf("leadLabel(answer_speed) = %q; want 200 s", got)
	}
}

// TestQualityFromImport: what an import of the messy file learned becomes
// the report's data-and-cleaning section.
func TestQualityFromImport(t *testing.T) {
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join("..", "..", "testdata", "import", "messy_leads.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	res, err := importer.ReadLeads(f, importer.ImportOptions{Places: places, Catalogue: flow.DefaultCatalogue(), USDToCOP: 4000})
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(res.Stats)
	q, err := Quality([][]byte{raw}, 6, 0)
	if err != nil || q.Read != 11 || len(q.Rejected) != 5 || q.Normalised[0].Rows < 2 {
		t.Errorf("Quality = %+v, %v", q, err)
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

// trainedDemo trains a small model on a generated history, as the demo does.
func trainedDemo(t *testing.T) ([]scoring.Example, *scoring.Bundle) {
	t.Helper()
	places, err := place.Load()
	if err != nil {
		t.Fatal(err)
	}
	hist := scoring.GenerateHistory(places, 1000, testNow(), 1)
	ex := make([]scoring.Example, len(hist))
	for i, h := range hist {
		ex[i] = h.Example
	}
	b, _, err := scoring.Train(ex, scoring.TrainOptions{Trees: 15, Folds: 3, Seed: 1, Min: scoring.DefaultMinHistory(), Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	return ex, b
}
