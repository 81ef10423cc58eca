package scoring

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// The churn predictor: P(an active customer cancels in the next 30 days),
// from a point-in-time snapshot of the customer's history. It is trained,
// compared, bundled and explained exactly like the lead model (fitBundle,
// Bundle with Kind "churn", Model.explainRaw); only its inputs differ.

// Model kinds, as stored in models.kind and Bundle.Kind.
const (
	KindLead  = store.KindLead
	KindChurn = store.KindChurn
)

// ChurnHorizon is how far ahead the churn probability looks.
const ChurnHorizon = 30 * 24 * time.Hour

// churnFields are the churn model's inputs, in the order churnRaw fills
// them. Every one is computed from the customer as it was at the snapshot
// (AsOf): events strictly before it, the fee and plan then in force.
var churnFields = []learn.Column{
	{Name: "tenure_months", Kind: learn.Numeric},       // whole months since the start
	{Name: "fee", Kind: learn.Numeric},                 // log10 of the monthly fee, COP
	{Name: "fee_change_90d", Kind: learn.Numeric},      // relative fee change over the last 90 days
	{Name: "late_payments_90d", Kind: learn.Numeric},   // payments made late in the last 90 days
	{Name: "avg_days_late_180d", Kind: learn.Numeric},  // mean days late of the last 180 days' payments
	{Name: "support_30d", Kind: learn.Numeric},         // support contacts in the last 30 days
	{Name: "support_90d", Kind: learn.Numeric},         // … and in the last 90
	{Name: "days_since_activity", Kind: learn.Numeric}, // since the last use of the service (or the start)
	{Name: "days_since_payment", Kind: learn.Numeric},  // since the last payment (or the start)
	{Name: "service", Kind: learn.Categorical},
	{Name: "plan", Kind: learn.Categorical},
}

// AsOf returns the customer as it looked just before t: only events
// strictly before t, no cancellation at or after t, and the fee and plan of
// the last fee or plan change before t (the current ones when the history
// has no such change). Feature functions must see nothing else.
func AsOf(h store.CustomerHistory, t time.Time) store.CustomerHistory {
	out := h
	out.Events = nil
	for _, e := range h.Events {
		if !e.At.Before(t) {
			break // events are oldest first
		}
		out.Events = append(out.Events, e)
		switch e.Kind {
		case store.EventFeeChange:
			out.MonthlyFeeCOP = e.AmountCOP
		case store.EventPlanChange:
			out.Plan = e.Detail
		}
	}
	if !out.CancelledAt.IsZero() && !out.CancelledAt.Before(t) {
		out.CancelledAt = time.Time{}
	}
	return out
}

// ChurnRaw gives the churn model's raw inputs for h at snapshot t. It
// truncates h at t itself (AsOf), so no caller can leak the future into a
// feature by passing the whole history.
func ChurnRaw(h store.CustomerHistory, t time.Time) []string {
	return churnRaw(AsOf(h, t), t)
}

// churnRaw computes the inputs from a history already truncated at t.
func churnRaw(h store.CustomerHistory, t time.Time) []string {
	days := func(d time.Duration) float64 { return d.Hours() / 24 }
	var late90, sup30, sup90, n180 int
	var daysLate180 float64
	lastActivity, lastPayment := h.StartedAt, h.StartedAt
	fee90 := int64(0) // the fee in force 90 days before t
	fee := h.MonthlyFeeCOP
	for _, e := range h.Events {
		age := t.Sub(e.At)
		switch e.Kind {
		case store.EventPayment:
			if age <= 90*24*time.Hour && e.DaysLate > 0 {
				late90++
			}
			if age <= 180*24*time.Hour {
				n180++
				daysLate180 += float64(e.DaysLate)
			}
			lastPayment = e.At
		case store.EventSupport:
			if age <= 30*24*time.Hour {
				sup30++
			}
			if age <= 90*24*time.Hour {
				sup90++
			}
		case store.EventActivity:
			lastActivity = e.At
		case store.EventFeeChange:
			if age > 90*24*time.Hour {
				fee90 = e.AmountCOP
			}
		}
	}
	// Values are rounded (whole days and months, two decimals): finer
	// steps carry no signal here, and every distinct value is a split the
	// forest has to try, so rounding makes training several times faster.
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	whole := func(v float64) string { return strconv.Itoa(int(math.Floor(v))) }
	feeText, change, avgLate := "", "0.00", ""
	if fee > 0 {
		feeText = num(math.Log10(float64(fee)))
		if fee90 > 0 {
			change = num(float64(fee)/float64(fee90) - 1)
		}
	}
	if n180 > 0 {
		avgLate = whole(daysLate180/float64(n180) + 0.5)
	}
	return []string{
		whole(days(t.Sub(h.StartedAt)) / 30.44), feeText, change, strconv.Itoa(late90), avgLate,
		strconv.Itoa(sup30), strconv.Itoa(sup90), whole(days(t.Sub(lastActivity))), whole(days(t.Sub(lastPayment))),
		h.Service, h.Plan,
	}
}

// ChurnExample is one training row: a customer active at Snapshot, its
// inputs then, and whether it cancelled in (Snapshot, Snapshot+30 days].
type ChurnExample struct {
	CustomerID int64
	Snapshot   time.Time
	Raw        []string
	Cancelled  bool
}

// MonthlySnapshots returns the first instant (America/Bogota) of every
// month after from whose 30-day horizon ends by end: the snapshot dates of
// the training examples.
func MonthlySnapshots(from, end time.Time) []time.Time {
	f := from.In(bogota)
	t := time.Date(f.Year(), f.Month(), 1, 0, 0, 0, 0, bogota).AddDate(0, 1, 0)
	var out []time.Time
	for ; !t.Add(ChurnHorizon).After(end); t = t.AddDate(0, 1, 0) {
		out = append(out, t.UTC())
	}
	return out
}

// DataEnd is the last moment the histories know about (latest start,
// event or cancellation): labels are only complete up to it.
func DataEnd(hs []store.CustomerHistory) time.Time {
	var end time.Time
	for _, h := range hs {
		for _, t := range []time.Time{h.StartedAt, h.CancelledAt} {
			if t.After(end) {
				end = t
			}
		}
		if n := len(h.Events); n > 0 && h.Events[n-1].At.After(end) {
			end = h.Events[n-1].At
		}
	}
	return end
}

// ChurnExamples builds the point-in-time training set: for each snapshot t,
// every customer active at t (started before t, not cancelled by t) gives
// the inputs computed from its history before t (ChurnRaw) and the label
// "cancelled in (t, t+30 days]". Rows come out ordered by snapshot, so a
// time-ordered hold-out tests on the latest months.
func ChurnExamples(hs []store.CustomerHistory, snapshots []time.Time) []ChurnExample {
	var out []ChurnExample
	for _, t := range snapshots {
		for _, h := range hs {
			if !h.StartedAt.Before(t) || (!h.CancelledAt.IsZero() && !h.CancelledAt.After(t)) {
				continue
			}
			c := h.CancelledAt
			out = append(out, ChurnExample{CustomerID: h.ID, Snapshot: t, Raw: ChurnRaw(h, t),
				Cancelled: !c.IsZero() && !c.After(t.Add(ChurnHorizon))})
		}
	}
	return out
}

// CheckPointInTime recomputes features for every customer active at each
// snapshot twice, on the whole history and on the history truncated at the
// snapshot (AsOf), and reports the first difference: a feature function
// that gives different answers has looked past the snapshot.
func CheckPointInTime(features func(store.CustomerHistory, time.Time) []string, hs []store.CustomerHistory, snapshots []time.Time) error {
	for _, t := range snapshots {
		for _, h := range hs {
			if !h.Active(t) {
				continue
			}
			full, cut := features(h, t), features(AsOf(h, t), t)
			for k := range full {
				if k >= len(cut) || full[k] != cut[k] {
					name := strconv.Itoa(k)
					if k < len(churnFields) {
						name = churnFields[k].Name
					}
					return fmt.Errorf("customer %d at %s: feature %s is %q on the whole history but %q on the history before the snapshot",
						h.ID, t.Format(time.DateOnly), name, full[k], cut[k])
				}
			}
		}
	}
	return nil
}

// ChurnSnapshots are the default snapshot dates of the histories: monthly
// from the first start up to DataEnd − 30 days.
func ChurnSnapshots(hs []store.CustomerHistory) []time.Time {
	var first time.Time
	for _, h := range hs {
		if first.IsZero() || h.StartedAt.Before(first) {
			first = h.StartedAt
		}
	}
	return MonthlySnapshots(first, DataEnd(hs))
}

// TrainChurn builds the point-in-time examples from the histories at the
// snapshots (ChurnSnapshots when nil), compares the models on them exactly
// as Train does for leads, and returns a churn bundle. o.Min counts
// examples (Leads) and cancellations (Conversions).
func TrainChurn(hs []store.CustomerHistory, snapshots []time.Time, o TrainOptions) (*Bundle, *learn.Report, []ChurnExample, error) {
	if o.Trees == 0 {
		o.Trees = 300
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if snapshots == nil {
		snapshots = ChurnSnapshots(hs)
	}
	ex := ChurnExamples(hs, snapshots)
	t := &learn.Table{Cols: make([][]string, len(churnFields))}
	y := make([]int, len(ex))
	h := sha256.New()
	pos := 0
	for i, e := range ex {
		for k, v := range e.Raw {
			t.Cols[k] = append(t.Cols[k], v)
			fmt.Fprintf(h, "%s\x1f", v)
		}
		if e.Cancelled {
			y[i] = 1
			pos++
		}
		fmt.Fprintf(h, "%d\n", y[i])
	}
	if len(ex) < o.Min.Leads || pos < o.Min.Conversions {
		return nil, nil, ex, fmt.Errorf("%w: %d customer snapshots with %d cancellations; need %d with %d",
			ErrNotEnoughHistory, len(ex), pos, o.Min.Leads, o.Min.Conversions)
	}
	for _, f := range churnFields {
		t.Names = append(t.Names, f.Name)
	}
	b, rep, err := fitBundle(learn.NewDataset(t, churnFields, y), o, "snapshots ordered by date")
	if err != nil {
		return nil, nil, ex, err
	}
	b.Kind = KindChurn
	b.DataSHA256 = hex.EncodeToString(h.Sum(nil))
	return b, rep, ex, b.validate()
}

// ChurnDataset describes the churn examples as TrainChurn sees them, for
// printing a report.
func ChurnDataset(ex []ChurnExample) *learn.Dataset {
	t := &learn.Table{Cols: make([][]string, len(churnFields))}
	y := make([]int, len(ex))
	for _, f := range churnFields {
		t.Names = append(t.Names, f.Name)
	}
	return learn.NewDataset(t, churnFields, y)
}

// ChurnSummary is one line describing a churn bundle, for `cis models`.
func (b *Bundle) ChurnSummary() string {
	s := fmt.Sprintf("churn: %d customer snapshots, %d cancellations in 30 days, %d trees", b.Rows, b.Positives, len(b.Forest.Trees))
	for _, r := range b.Metrics {
		if r.Name == learn.CalibratedModel {
			s += fmt.Sprintf(", CV ROC AUC %.3f, Brier %.4f", r.Mean.ROCAUC, r.Mean.Brier)
		}
	}
	return s + ", calibration " + b.calMethod()
}

// ChurnReasons is how many reasons (besides the base rate) a churn score keeps.
const ChurnReasons = 3

// ChurnScore returns the calibrated probability that h cancels within 30
// days of t, with the base rate and the top reasons (largest effect first;
// the weights of all reasons, kept or not, add up to the probability).
func (m *Model) ChurnScore(h store.CustomerHistory, t time.Time) (float64, []flow.Reason, error) {
	if m.Bundle.Kind != KindChurn {
		return 0, nil, fmt.Errorf("model %s is a %q model, not a churn model", m.Version, m.Bundle.Kind)
	}
	lang := m.Lang
	p, reasons := m.explainRaw(ChurnRaw(h, t), func(field, raw string, w float64) string { return churnWords(lang, field, raw, w) })
	if len(reasons) > 1+ChurnReasons {
		reasons = reasons[:1+ChurnReasons]
	}
	return p, reasons, nil
}

// churnBundleSource is where the churn model is found; *store.Store is one.
type churnBundleSource interface {
	ActiveBundleKind(ctx context.Context, kind string) (int64, []byte, error)
}

// LoadChurnModel decodes the active churn bundle; the error wraps
// store.ErrNotFound when none is active.
func LoadChurnModel(ctx context.Context, src churnBundleSource, lang string) (*Model, error) {
	id, body, err := src.ActiveBundleKind(ctx, KindChurn)
	if err != nil {
		return nil, err
	}
	b, err := DecodeBundle(body)
	if err != nil {
		return nil, fmt.Errorf("churn model %d: %w", id, err)
	}
	if b.Kind != KindChurn {
		return nil, fmt.Errorf("churn model %d: %w: bundle kind %q", id, ErrInvalidBundle, b.Kind)
	}
	m, err := NewModel(id, b)
	if err != nil {
		return nil, fmt.Errorf("churn model %d: %w", id, err)
	}
	m.Lang = lang
	return m, nil
}

// ScoreCustomers scores every active customer at t with m and returns the
// scores to store, highest probability first.
func ScoreCustomers(m *Model, hs []store.CustomerHistory, t time.Time) ([]store.ChurnScore, error) {
	out := make([]store.ChurnScore, 0, len(hs))
	for _, h := range hs {
		if !h.Active(t) {
			continue
		}
		p, reasons, err := m.ChurnScore(h, t)
		if err != nil {
			return nil, err
		}
		sc := store.ChurnScore{CustomerID: h.ID, ScoredAt: t, Probability: math.Round(p*10000) / 10000, Model: m.Version}
		for _, r := range reasons {
			sc.Reasons = append(sc.Reasons, store.Reason{Feature: r.Feature, Value: r.Value, Weight: math.Round(r.Weight*10000) / 10000})
		}
		out = append(out, sc)
	}
	sort.SliceStable(out, func(a, b int) bool { return out[a].Probability > out[b].Probability })
	return out, nil
}

// CustomerValue12 is the expected revenue of a customer paying fee a month
// over the next 12 months when p is its probability of cancelling within
// 30 days, assuming that monthly hazard stays constant: Σ_{m=1..12}
// fee·(1−p)^(m−1) (the first month is billed before it can cancel).
func CustomerValue12(fee int64, p float64) int64 {
	p = math.Min(math.Max(p, 0), 1)
	var v, s float64 = 0, 1
	for range 12 {
		v += float64(fee) * s
		s *= 1 - p
	}
	return int64(math.Round(v))
}
