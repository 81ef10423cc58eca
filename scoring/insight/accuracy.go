package insight

import (
	"math"
	"sort"

	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// Predicted versus actual is computed the same way for every model that
// states a probability and later meets an outcome (leads: won or lost;
// churn: cancelled within 30 days of the score or not): from counts of
// (period, probability, outcome), store.Outcomes.

// Thresholds cut probabilities into hot (≥ Hot), warm (≥ Warm) and cold.
type Thresholds struct{ Hot, Warm float64 }

// Bin is one calibration bin: mean predicted probability and observed rate.
type Bin struct {
	Predicted, Observed float64
	N                   int
}

// Period is predicted versus actual over one month.
type Period struct {
	Month       string
	N, Pos      int
	AUC         float64 // NaN when a single outcome occurs
	MeanP, Rate float64 // mean predicted probability, observed rate
}

// ClassRate is how often one class came true.
type ClassRate struct {
	Class  string
	N, Pos int
	Rate   Ratio
	Lo, Hi float64 // 95 % Wilson interval
}

// Accuracy is the whole comparison.
type Accuracy struct {
	N, Pos      int
	AUC         float64
	Periods     []Period
	Calibration []Bin
	Classes     []ClassRate // hot, warm, cold as stored with each prediction
	// Confusion at the tier thresholds: rows are predicted tiers (hot,
	// warm, cold by probability), columns are outcomes (came true, did not).
	Confusion [3][2]int
	// HotNotBest is set when hot converted less than warm or cold with
	// enough cases (MinClass each) to say so.
	HotNotBest bool
	Models     []string
}

// MinClass is the smallest class whose conversion rate is compared.
const MinClass = 30

// Evaluate computes predicted versus actual from outcome counts.
func Evaluate(obs []store.Outcomes, t Thresholds) Accuracy {
	var a Accuracy
	byMonth := map[string][]store.Outcomes{}
	classes := map[string]*ClassRate{}
	models := map[string]bool{}
	for _, o := range obs {
		byMonth[o.Month] = append(byMonth[o.Month], o)
		a.N += o.Pos + o.Neg
		a.Pos += o.Pos
		models[o.Model] = true
		if o.Class != "" {
			c, ok := classes[o.Class]
			if !ok {
				c = &ClassRate{Class: o.Class}
				classes[o.Class] = c
			}
			c.N += o.Pos + o.Neg
			c.Pos += o.Pos
		}
		p := float64(o.PerMille) / 1000
		tier := 2
		if p >= t.Hot {
			tier = 0
		} else if p >= t.Warm {
			tier = 1
		}
		a.Confusion[tier][0] += o.Pos
		a.Confusion[tier][1] += o.Neg
	}
	for m := range models {
		a.Models = append(a.Models, m)
	}
	sort.Strings(a.Models)
	a.AUC = AUC(obs)
	a.Calibration = Calibrate(obs, 10)
	months := make([]string, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	sort.Strings(months)
	for _, m := range months {
		os := byMonth[m]
		p := Period{Month: m, AUC: AUC(os)}
		var sp float64
		for _, o := range os {
			n := o.Pos + o.Neg
			p.N += n
			p.Pos += o.Pos
			sp += float64(n) * float64(o.PerMille) / 1000
		}
		if p.N > 0 {
			p.MeanP, p.Rate = sp/float64(p.N), float64(p.Pos)/float64(p.N)
		}
		a.Periods = append(a.Periods, p)
	}
	for _, k := range []string{"hot", "warm", "cold"} {
		c, ok := classes[k]
		if !ok {
			continue
		}
		c.Rate = ratio(float64(c.Pos), float64(c.N))
		c.Lo, c.Hi = learn.Wilson(c.Pos, c.N)
		a.Classes = append(a.Classes, *c)
	}
	if hot, ok := classes["hot"]; ok && hot.N >= MinClass {
		for _, k := range []string{"warm", "cold"} {
			if o, ok := classes[k]; ok && o.N >= MinClass && o.Rate.V > hot.Rate.V {
				a.HotNotBest = true
			}
		}
	}
	return a
}

// AUC is the ROC AUC of outcome counts: the probability that a random case
// that came true has a higher predicted probability than one that did not,
// ties counted half. NaN when only one outcome occurs.
func AUC(obs []store.Outcomes) float64 {
	byP := map[int][2]float64{}
	var pos, neg float64
	for _, o := range obs {
		v := byP[o.PerMille]
		v[0] += float64(o.Pos)
		v[1] += float64(o.Neg)
		byP[o.PerMille] = v
		pos += float64(o.Pos)
		neg += float64(o.Neg)
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	ps := make([]int, 0, len(byP))
	for p := range byP {
		ps = append(ps, p)
	}
	sort.Ints(ps)
	var negBelow, sum float64
	for _, p := range ps {
		v := byP[p]
		sum += v[0] * (negBelow + v[1]/2)
		negBelow += v[1]
	}
	return sum / (pos * neg)
}

// Calibrate bins predictions into k equal-width probability bins and
// returns the non-empty ones.
func Calibrate(obs []store.Outcomes, k int) []Bin {
	sumP := make([]float64, k)
	n := make([]int, k)
	pos := make([]int, k)
	for _, o := range obs {
		p := float64(o.PerMille) / 1000
		b := min(int(p*float64(k)), k-1)
		c := o.Pos + o.Neg
		sumP[b] += p * float64(c)
		n[b] += c
		pos[b] += o.Pos
	}
	var out []Bin
	for b := range k {
		if n[b] > 0 {
			out = append(out, Bin{Predicted: sumP[b] / float64(n[b]), Observed: float64(pos[b]) / float64(n[b]), N: n[b]})
		}
	}
	return out
}

// Drop says whether live performance fell: the live AUC of the latest
// months holding at least MinLive outcomes (both kinds present) is more
// than Margin below the AUC measured at training time.
type Drop struct {
	Flag        bool
	Live, Train float64
	N           int
	From        string // first month counted
}

// Live-performance flag parameters (docs/analytics.md). MinPeriod is the
// fewest outcomes of a month whose own AUC is shown.
const (
	MinPeriod = 30
	MinLive   = 200
	Margin    = 0.05
)

// LiveDrop compares the newest months' AUC with the training AUC (NaN
// when unknown: no flag).
func LiveDrop(obs []store.Outcomes, train float64) Drop {
	d := Drop{Train: train, Live: math.NaN()}
	months := map[string][]store.Outcomes{}
	var order []string
	for _, o := range obs {
		if _, ok := months[o.Month]; !ok {
			order = append(order, o.Month)
		}
		months[o.Month] = append(months[o.Month], o)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(order)))
	var recent []store.Outcomes
	var pos, neg int
	for _, m := range order {
		for _, o := range months[m] {
			recent = append(recent, o)
			pos += o.Pos
			neg += o.Neg
		}
		d.From = m
		if pos+neg >= MinLive && pos > 0 && neg > 0 {
			break
		}
	}
	d.N = pos + neg
	if d.N < MinLive || pos == 0 || neg == 0 {
		return d
	}
	d.Live = AUC(recent)
	d.Flag = !math.IsNaN(train) && d.Live < train-Margin
	return d
}
