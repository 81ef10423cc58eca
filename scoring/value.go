package scoring

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// Lead value: the expected revenue of a lead is P(conversion) × the
// expected value of the deal if it converts. The deal value is learned from
// won leads with a known revenue, by service and budget band, each shrunk
// toward its parent so a small group does not swing it:
//
//	overall     = mean revenue of all won deals
//	service s   = (n_s·mean_s + K·overall) / (n_s + K)
//	cell (s, b) = (n_sb·mean_sb + K·service_s) / (n_sb + K)
//
// with K = ValueShrink deals. An unseen service or band falls back to its
// parent. Documented, with how well it predicted, in docs/models.md.

// ValueShrink is the weight, in deals, of the parent mean.
const ValueShrink = 20

// DealValues is a fitted deal-value table. Immutable; safe for concurrent use.
type DealValues struct {
	Overall   float64
	Deals     int
	ByService map[string]float64
	ByCell    map[string]float64 // service + "|" + budget band
}

// Deal is one won lead with its revenue.
type Deal struct {
	Service    string
	Budget     flow.Budget
	RevenueCOP int64
}

// ValueExamples is Examples with each lead's revenue (store.LabelledRevenue
// rows; an unknown revenue counts as 0).
func ValueExamples(rows []store.HistoryLead) []ValueExample {
	base := Examples(rows)
	ex := make([]ValueExample, len(rows))
	for i, r := range rows {
		ex[i] = ValueExample{Example: base[i]}
		if r.RevenueCOP != nil {
			ex[i].RevenueCOP = *r.RevenueCOP
		}
	}
	return ex
}

// WonDeals are the deals of the converted examples, what FitDealValues
// learns from.
func WonDeals(ex []ValueExample) []Deal {
	var deals []Deal
	for _, e := range ex {
		if e.Converted {
			deals = append(deals, Deal{Service: e.Lead.Service, Budget: e.Lead.Budget, RevenueCOP: e.RevenueCOP})
		}
	}
	return deals
}

// BudgetBand groups monthly budgets: "unknown", "<1M", "1-2M", "2-4M", "4M+".
func BudgetBand(b flow.Budget) string {
	mid := b.MinCOP/2 + b.MaxCOP/2
	switch {
	case b.Unknown || mid <= 0:
		return "unknown"
	case mid < 1_000_000:
		return "<1M"
	case mid < 2_000_000:
		return "1-2M"
	case mid < 4_000_000:
		return "2-4M"
	}
	return "4M+"
}

// FitDealValues learns the table from won deals (those with revenue > 0).
// It returns nil when there are none.
func FitDealValues(deals []Deal) *DealValues {
	type acc struct {
		n   int
		sum float64
	}
	var all acc
	svc, cell := map[string]*acc{}, map[string]*acc{}
	add := func(m map[string]*acc, k string, v float64) {
		a := m[k]
		if a == nil {
			a = &acc{}
			m[k] = a
		}
		a.n++
		a.sum += v
	}
	for _, d := range deals {
		if d.RevenueCOP <= 0 {
			continue
		}
		v := float64(d.RevenueCOP)
		all.n++
		all.sum += v
		add(svc, d.Service, v)
		add(cell, d.Service+"|"+BudgetBand(d.Budget), v)
	}
	if all.n == 0 {
		return nil
	}
	dv := &DealValues{Overall: all.sum / float64(all.n), Deals: all.n, ByService: map[string]float64{}, ByCell: map[string]float64{}}
	for k, a := range svc {
		dv.ByService[k] = (a.sum + ValueShrink*dv.Overall) / (float64(a.n) + ValueShrink)
	}
	for k, a := range cell {
		parent := dv.ByService[k[:strings.LastIndex(k, "|")]]
		dv.ByCell[k] = (a.sum + ValueShrink*parent) / (float64(a.n) + ValueShrink)
	}
	return dv
}

// Deal returns the expected revenue of a deal for this service and budget
// if it is won; 0 on a nil table.
func (dv *DealValues) Deal(service string, b flow.Budget) float64 {
	if dv == nil {
		return 0
	}
	if v, ok := dv.ByCell[service+"|"+BudgetBand(b)]; ok {
		return v
	}
	if v, ok := dv.ByService[service]; ok {
		return v
	}
	return dv.Overall
}

// Expected is the lead's expected revenue: p × Deal, in whole pesos.
func (dv *DealValues) Expected(p float64, service string, b flow.Budget) int64 {
	return int64(math.Round(p * dv.Deal(service, b)))
}

// ValueExample is a labelled lead with its realised revenue (0 if lost).
type ValueExample struct {
	Example
	RevenueCOP int64
}

// ValueDecile is one tenth of the hold-out leads by predicted value.
type ValueDecile struct {
	Leads        int   `json:"leads"`
	PredictedCOP int64 `json:"predicted_cop"`
	RealisedCOP  int64 `json:"realised_cop"`
}

// ValueCheck compares predicted and realised revenue on a time-ordered
// hold-out: the newest share of the leads, with the conversion model and
// the deal values fitted on the older rest only.
type ValueCheck struct {
	Train, Test    int
	From, Until    time.Time // the hold-out's dates
	PredictedCOP   int64     // Σ p × deal value over the hold-out
	RealisedCOP    int64     // Σ revenue over the hold-out
	RatioPredicted float64   // predicted / realised
	Spearman       float64   // rank correlation of predicted and realised per lead
	Deciles        []ValueDecile
	TopDecileShare float64 // share of the realised revenue in the top tenth by prediction
}

// CheckLeadValue fits a production forest (o.Trees trees, forest only) and
// the deal values on the oldest (1 − share) of ex and compares predicted
// with realised revenue on the newest share.
func CheckLeadValue(ex []ValueExample, share float64, o TrainOptions) (*ValueCheck, error) {
	ex = append([]ValueExample(nil), ex...)
	sort.SliceStable(ex, func(a, b int) bool { return ex[a].Lead.CompletedAt.Before(ex[b].Lead.CompletedAt) })
	cut := int(float64(len(ex)) * (1 - share))
	if cut <= 0 || cut >= len(ex) {
		return nil, fmt.Errorf("lead value check: %d leads cannot be split %.0f/%.0f", len(ex), 100*(1-share), 100*share)
	}
	train, test := ex[:cut], ex[cut:]
	lex := make([]Example, len(train))
	for i, e := range train {
		lex[i] = e.Example
	}
	deals := WonDeals(train)
	o.Models = learn.ModelsWith(o.Trees, o.Forest)[:1] // the production forest; the comparison is cis train's job
	b, _, err := Train(lex, o)
	if err != nil {
		return nil, fmt.Errorf("lead value check: %w", err)
	}
	m, err := NewModel(0, b)
	if err != nil {
		return nil, err
	}
	dv := FitDealValues(deals)
	if dv == nil {
		return nil, fmt.Errorf("lead value check: no won lead with a revenue among the %d oldest", cut)
	}
	pred := make([]float64, len(test))
	real := make([]float64, len(test))
	vc := &ValueCheck{Train: len(train), Test: len(test), From: test[0].Lead.CompletedAt, Until: test[len(test)-1].Lead.CompletedAt}
	for i, e := range test {
		p, _ := m.Probability(e.Lead)
		v := dv.Expected(p, e.Lead.Service, e.Lead.Budget)
		pred[i], real[i] = float64(v), float64(e.RevenueCOP)
		vc.PredictedCOP += v
		vc.RealisedCOP += e.RevenueCOP
	}
	if vc.RealisedCOP > 0 {
		vc.RatioPredicted = float64(vc.PredictedCOP) / float64(vc.RealisedCOP)
	}
	vc.Spearman = spearman(pred, real)
	order := make([]int, len(test))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return pred[order[a]] > pred[order[b]] })
	for d := range 10 {
		lo, hi := d*len(order)/10, (d+1)*len(order)/10
		var dec ValueDecile
		for _, i := range order[lo:hi] {
			dec.Leads++
			dec.PredictedCOP += int64(pred[i])
			dec.RealisedCOP += int64(real[i])
		}
		vc.Deciles = append(vc.Deciles, dec)
	}
	if vc.RealisedCOP > 0 {
		vc.TopDecileShare = float64(vc.Deciles[0].RealisedCOP) / float64(vc.RealisedCOP)
	}
	return vc, nil
}

// spearman is the rank correlation of a and b (ties get their mean rank).
func spearman(a, b []float64) float64 {
	ra, rb := ranks(a), ranks(b)
	n := float64(len(a))
	var ma, mb float64
	for i := range ra {
		ma += ra[i] / n
		mb += rb[i] / n
	}
	var cov, va, vb float64
	for i := range ra {
		cov += (ra[i] - ma) * (rb[i] - mb)
		va += (ra[i] - ma) * (ra[i] - ma)
		vb += (rb[i] - mb) * (rb[i] - mb)
	}
	if va == 0 || vb == 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j)/2 + 1
		}
		i = j + 1
	}
	return r
}
