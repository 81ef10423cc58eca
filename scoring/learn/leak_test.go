package learn

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// rateData is a table with one city-like column whose levels convert at
// different rates, and a numeric column of noise.
func rateData(n int) *Dataset {
	rng := rand.New(rand.NewPCG(7, 7))
	t := &Table{Names: []string{"city", "noise"}, Cols: make([][]string, 2)}
	y := make([]int, n)
	rates := []float64{0.05, 0.2, 0.5, 0.8}
	for i := range n {
		c := rng.IntN(len(rates) + 1) // the last level is "missing"
		v := ""
		if c < len(rates) {
			v = "c" + strconv.Itoa(c)
			if rng.Float64() < rates[c] {
				y[i] = 1
			}
		}
		t.Cols[0] = append(t.Cols[0], v)
		t.Cols[1] = append(t.Cols[1], strconv.FormatFloat(rng.Float64(), 'f', 3, 64))
	}
	return NewDataset(t, []Column{{"city", TargetRate}, {"noise", Numeric}}, y)
}

func TestTargetRateIsSmoothedAndLearnedFromTrainingRowsOnly(t *testing.T) {
	d := rateData(2000)
	e := FitEncoderMin(d, seq(1000), 1)
	n, pos := map[string]float64{}, map[string]float64{}
	var all float64
	for i := range 1000 {
		all += float64(d.Y[i])
		if v := d.Table.Cols[0][i]; v != "" {
			n[v]++
			pos[v] += float64(d.Y[i])
		}
	}
	prior := all / 1000
	x := make([]float64, e.Width)
	for _, c := range []struct {
		level string
		want  float64
	}{
		{"c0", (pos["c0"] + 20*prior) / (n["c0"] + 20)},
		{"c3", (pos["c3"] + 20*prior) / (n["c3"] + 20)},
		{"", prior},       // missing
		{"unseen", prior}, // a city never seen in training
	} {
		e.Encode([]string{c.level, "0.5"}, x)
		if !near(x[0], c.want, 1e-12) {
			t.Errorf("rate of %q = %v; want %v", c.level, x[0], c.want)
		}
	}
	if !(e.Rates[0]["c0"] < e.Rates[0]["c1"] && e.Rates[0]["c2"] < e.Rates[0]["c3"]) {
		t.Errorf("rates not ordered like the data: %v", e.Rates[0])
	}
}

func TestCheckNoLeakCatchesAnEncoderThatSeesHeldOutLabels(t *testing.T) {
	d := rateData(1500)
	folds := StratifiedFolds(d.Y, 5, 1)
	cases := []struct {
		name  string
		fit   FitFunc
		leaky bool
	}{
		{"in-fold encoder (what Compare uses)", func(d *Dataset, train []int) *Encoder { return FitEncoderMin(d, train, 1) }, false},
		{"rates fitted on every row", func(d *Dataset, _ []int) *Encoder { return FitEncoderMin(d, seq(len(d.Y)), 1) }, true},
		{"rates fitted on the training rows plus one held-out row", func(d *Dataset, train []int) *Encoder {
			test := Complement(len(d.Y), train)
			return FitEncoderMin(d, append(append([]int(nil), train...), test[0]), 1)
		}, true},
	}
	for _, c := range cases {
		err := CheckNoLeak(d, folds, c.fit)
		if c.leaky && (err == nil || !strings.Contains(err.Error(), "leakage")) {
			t.Errorf("%s: err = %v; want the leak caught", c.name, err)
		}
		if !c.leaky && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}
