package learn

import "testing"

func TestWilsonKnownIntervals(t *testing.T) {
	// Reference values from statsmodels' proportion_confint(method="wilson").
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 10, 0, 0.2775328},
		{5, 10, 0.2365931, 0.7634069},
		{50, 100, 0.4038315, 0.5961685},
		{0, 0, 0, 1},
	}
	for _, c := range cases {
		lo, hi := Wilson(c.k, c.n)
		if !near(lo, c.lo, 1e-6) || !near(hi, c.hi, 1e-6) {
			t.Errorf("Wilson(%d, %d) = [%v, %v]; want [%v, %v]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
}

func TestPermutationImportanceFindsTheSignal(t *testing.T) {
	d := rateData(3000) // city drives conversion, noise does not
	d.Inputs[0].Kind = Categorical
	rep, err := Compare(d, []Spec{{ProductionModel, func(uint64) Classifier { return &Logistic{C: 1} }}},
		Options{Folds: 3, Seed: 1, Importance: true})
	if err != nil {
		t.Fatal(err)
	}
	imp := rep.Results[0].Importance
	if len(imp) != 2 || imp[0].Input != "city" {
		t.Fatalf("importance = %+v; want city first", imp)
	}
	if imp[0].Drop < 0.1 || imp[1].Drop > 0.02 {
		t.Errorf("importance = %+v; want city's AUC drop ≥ 0.1 and noise's ≈ 0", imp)
	}
}
