package learn

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestCompareStopsWithItsContext: Options.Stop is asked before every fold,
// hold-out and the calibration, so a caller's cancelled context ends
// Compare with the context's error at the next step, without a panic and
// without any step reported after the cancellation.
func TestCompareStopsWithItsContext(t *testing.T) {
	d := rateData(600)
	specs := []Spec{
		{ProductionModel, func(uint64) Classifier { return &Logistic{C: 1} }},
		{LinearPartner, func(uint64) Classifier { return &Logistic{C: 0.1} }},
	}
	order := seq(len(d.Y))
	cases := []struct {
		name     string
		cancelAt string // the step during which the context ends; "" before Compare
		steps    int    // steps reported, the cancelling one included
	}{
		{"before", "", 0},
		{"first fold", ProductionModel + " fold 1/3", 1},
		{"a later spec", LinearPartner + " fold 1/3", 5},
		{"hold-out", ProductionModel + " hold-out", 4},
		{"calibration", "calibration", 9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if c.cancelAt == "" {
				cancel()
			}
			var steps []string
			o := Options{Folds: 3, Seed: 1, Holdout: order, Stop: ctx.Err, Progress: func(_, _ int, step string) {
				steps = append(steps, step)
				if step == c.cancelAt {
					cancel()
				}
			}}
			rep, err := Compare(d, specs, o)
			if !errors.Is(err, context.Canceled) || rep != nil {
				t.Fatalf("Compare returned a report: %t, error %v; want none, context.Canceled", rep != nil, err)
			}
			if len(steps) != c.steps || c.steps > 0 && steps[len(steps)-1] != c.cancelAt {
				t.Errorf("steps %q; want %d, the last %q", steps, c.steps, c.cancelAt)
			}
		})
	}
}

// TestCompareStopError: whatever Stop returns ends Compare as it is, and a
// Stop that never objects changes nothing.
func TestCompareStopError(t *testing.T) {
	d := rateData(600)
	specs := []Spec{{ProductionModel, func(uint64) Classifier { return &Logistic{C: 1} }}}
	errShutdown := errors.New("server shutting down")
	calls := 0
	stop := func() error {
		if calls++; calls == 2 {
			return errShutdown
		}
		return nil
	}
	if _, err := Compare(d, specs, Options{Folds: 3, Seed: 1, Stop: stop}); !errors.Is(err, errShutdown) {
		t.Fatalf("Compare = %v; want %v", err, errShutdown)
	}
	calls = 0
	rep, err := Compare(d, specs, Options{Folds: 3, Seed: 1, Stop: func() error { calls++; return nil }})
	if err != nil || rep == nil || !strings.HasPrefix(rep.Results[len(rep.Results)-1].Name, CalibratedModel) {
		t.Fatalf("Compare with a Stop that never objects: report %t, error %v; want the full report", rep != nil, err)
	}
	if calls != 5 { // three folds, the calibration and the return
		t.Errorf("Stop asked %d times; want 5 (each fold, the calibration, the return)", calls)
	}
}
