package scoring

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

var (
	churnOnce      sync.Once
	churnBundle    *Bundle
	churnReport    *learn.Report
	churnHistories []store.CustomerHistory
	churnErr       error
)

// demoHistories turns generated customers into what the store returns.
func demoHistories(rows []store.CustomerImport) []store.CustomerHistory {
	out := make([]store.CustomerHistory, len(rows))
	for i, r := range rows {
		out[i] = store.CustomerHistory(r)
		out[i].ID = int64(i + 1)
	}
	return out
}

// mustTrainChurn trains one small churn model on the customers of a demo
// history of 6,000 leads (forests of 30 trees, 3 folds), shared by the tests.
// The forest has a stored setting: tuning it on these many snapshots in
// every fold would cost minutes under -race; TestTrainStoresTheTuning tunes
// a churn forest on a part of them.
func mustTrainChurn(tb testing.TB) (*Bundle, *learn.Report, []store.CustomerHistory) {
	tb.Helper()
	churnOnce.Do(func() {
		places, err := place.Load()
		if err != nil {
			churnErr = err
			return
		}
		hist := demo.History(places, 6000, testEnd, 3)
		churnHistories = demoHistories(demo.Customers(hist, testEnd, 3, "t-"))
		churnBundle, churnReport, _, churnErr = TrainChurn(churnHistories, nil, TrainOptions{Trees: 30, Folds: 3, Seed: 1,
			Min: DefaultMinHistory(), Forest: &learn.ForestParams{}, Now: func() time.Time { return testEnd }})
	})
	if churnErr != nil {
		tb.Fatal(churnErr)
	}
	return churnBundle, churnReport, churnHistories
}

// history of one customer for hand-checked cases: started 2026-01-10,
// events through July, cancelled 2026-07-20.
func handHistory() store.CustomerHistory {
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 15, 0, 0, 0, time.UTC) }
	return store.CustomerHistory{
		Customer: store.Customer{ID: 7, Service: "seo", Plan: "basico", MonthlyFeeCOP: 1_120_000, StartedAt: d(1, 10), CancelledAt: d(7, 20)},
		Events: []store.CustomerEvent{
			{Kind: store.EventFeeChange, At: d(1, 10), AmountCOP: 1_000_000},
			{Kind: store.EventPayment, At: d(2, 10), AmountCOP: 1_000_000},
			{Kind: store.EventActivity, At: d(2, 15)},
			{Kind: store.EventPayment, At: d(3, 20), AmountCOP: 1_000_000, DaysLate: 10},
			{Kind: store.EventSupport, At: d(3, 25)},
			{Kind: store.EventPayment, At: d(4, 10), AmountCOP: 1_000_000},
			{Kind: store.EventSupport, At: d(4, 20)},
			{Kind: store.EventFeeChange, At: d(5, 1), AmountCOP: 1_120_000},
			{Kind: store.EventPlanChange, At: d(5, 1), Detail: "estandar"},
			{Kind: store.EventSupport, At: d(6, 5)},
			{Kind: store.EventActivity, At: d(6, 10)},
		},
	}
}

func TestChurnFeaturesByHand(t *testing.T) {
	h := handHistory()
	at := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 5, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		t    time.Time
		want map[string]string
	}{
		{"1 May, before the fee change of that afternoon", at(5, 1), map[string]string{
			// 110.6 days since 10 Jan; payments late 0, 10, 0 days (mean 3.33 → 3); last activity 15 Feb, 74.6 days before.
			"tenure_months": "3", "fee": "6.00", "fee_change_90d": "0.00", "late_payments_90d": "1",
			"avg_days_late_180d": "3", "support_30d": "1", "support_90d": "2", "plan": "basico",
			"days_since_activity": "74", "days_since_payment": "20"}},
		{"1 July: fee raised 12 %, plan changed, July's events unseen", at(7, 1), map[string]string{
			"fee": "6.05", "fee_change_90d": "0.12", "support_30d": "1", "support_90d": "2",
			"late_payments_90d": "0", "plan": "estandar", "service": "seo", "days_since_activity": "20"}},
	}
	for _, tt := range tests {
		raw := ChurnRaw(h, tt.t)
		got := map[string]string{}
		for k, f := range churnFields {
			got[f.Name] = raw[k]
		}
		for k, want := range tt.want {
			if got[k] != want {
				t.Errorf("%s: %s = %q; want %q", tt.name, k, got[k], want)
			}
		}
	}
}

// The point-in-time guard: the real features agree on the whole history
// and on the history truncated at every snapshot; features that peek past
// the snapshot are caught.
func TestPointInTimeCheckerCatchesLeaks(t *testing.T) {
	_, _, hs := mustTrainChurn(t)
	hs = hs[:400] // enough customers with every kind of event; keeps the test quick
	snaps := MonthlySnapshots(testEnd.AddDate(-1, -6, 0), DataEnd(hs))
	if len(snaps) < 10 {
		t.Fatalf("only %d snapshots", len(snaps))
	}
	leaky := []struct {
		name string
		fn   func(store.CustomerHistory, time.Time) []string
	}{
		{"support contacts counted over the whole history", func(h store.CustomerHistory, t time.Time) []string {
			raw := ChurnRaw(h, t)
			n := 0
			for _, e := range h.Events {
				if e.Kind == store.EventSupport {
					n++
				}
			}
			raw[6] = strconv.Itoa(n)
			return raw
		}},
		{"days until the cancellation", func(h store.CustomerHistory, t time.Time) []string {
			raw := ChurnRaw(h, t)
			if !h.CancelledAt.IsZero() {
				raw[7] = strconv.Itoa(int(h.CancelledAt.Sub(t).Hours() / 24))
			}
			return raw
		}},
		{"the current fee instead of the fee then", func(h store.CustomerHistory, t time.Time) []string {
			raw := churnRaw(AsOf(h, t), t)
			raw[1] = strconv.FormatFloat(math.Log10(float64(h.MonthlyFeeCOP)), 'f', 2, 64)
			return raw
		}},
		{"last activity without the cut", func(h store.CustomerHistory, t time.Time) []string { return churnRaw(h, t) }},
	}
	if err := CheckPointInTime(ChurnRaw, hs, snaps); err != nil {
		t.Fatalf("the production features fail the point-in-time check: %v", err)
	}
	for _, l := range leaky {
		err := CheckPointInTime(l.fn, hs, snaps)
		if err == nil {
			t.Errorf("leaky feature %q passed the point-in-time check", l.name)
			continue
		}
		if !strings.Contains(err.Error(), "on the history before the snapshot") {
			t.Errorf("%s: unhelpful error %v", l.name, err)
		}
	}
}

func TestChurnExamplesLabels(t *testing.T) {
	h := handHistory() // cancelled 20 July
	snaps := MonthlySnapshots(h.StartedAt, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	ex := ChurnExamples([]store.CustomerHistory{h}, snaps)
	// Snapshots 1 Feb … 1 Jul (active); 1 Aug is after the cancellation.
	if len(ex) != 6 {
		t.Fatalf("%d examples; want 6 (Feb–Jul)", len(ex))
	}
	for _, e := range ex {
		want := e.Snapshot.In(bogota).Month() == time.July // 20 July is within 30 days of 1 July only
		if e.Cancelled != want {
			t.Errorf("snapshot %s: cancelled = %v; want %v", e.Snapshot.Format(time.DateOnly), e.Cancelled, want)
		}
	}
	if last := snaps[len(snaps)-1]; last.Add(ChurnHorizon).After(time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("snapshot %v has an unfinished horizon", last)
	}
}

func TestChurnModelRanksAndExplains(t *testing.T) {
	b, rep, hs := mustTrainChurn(t)
	if b.Kind != KindChurn || rep.Rows < 2000 || rep.Positives < 100 {
		t.Fatalf("bundle kind %q, %d rows, %d positives", b.Kind, rep.Rows, rep.Positives)
	}
	for _, r := range rep.Results {
		if r.Name == learn.CalibratedModel && (r.Mean.ROCAUC < 0.65 || r.Holdout == nil && r.Name == learn.ProductionModel) {
			t.Errorf("calibrated forest CV ROC AUC %.3f; want ≥ 0.65 on the demo customers", r.Mean.ROCAUC)
		}
	}
	body := mustEncode(t, b)
	back, err := DecodeBundle(body)
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewModel(5, back)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := ScoreCustomers(m, hs, testEnd)
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) < 100 {
		t.Fatalf("%d active customers scored", len(scores))
	}
	for _, sc := range scores[:20] {
		if sc.Reasons[0].Feature != "base" || len(sc.Reasons) != 1+ChurnReasons || sc.Model != "forest:5" {
			t.Errorf("score %+v: want the base rate then %d reasons", sc, ChurnReasons)
		}
	}
	// With every reason kept the weights add up to the probability.
	p, all := m.explainRaw(ChurnRaw(hs[0], testEnd), func(string, string, float64) string { return "" })
	var sum float64
	for _, r := range all {
		sum += r.Weight
	}
	if math.Abs(sum-p) > 1e-9 {
		t.Errorf("reasons add up to %.6f; probability %.6f", sum, p)
	}
	// A lead bundle cannot be used for churn, nor a churn bundle with lead inputs.
	lead, _, _ := mustTrain(t)
	lm, _ := NewModel(1, lead)
	if _, _, err := lm.ChurnScore(hs[0], testEnd); err == nil {
		t.Error("a lead model scored churn")
	}
	bad := *back
	bad.Kind = KindLead
	if err := bad.validate(); err == nil {
		t.Error("a churn schema validated as a lead bundle")
	}
}

type fakeKindSource map[string][]byte

func (f fakeKindSource) ActiveBundleKind(_ context.Context, kind string) (int64, []byte, error) {
	b, ok := f[kind]
	if !ok {
		return 0, nil, store.ErrNotFound
	}
	return 3, b, nil
}

func TestLoadChurnModel(t *testing.T) {
	b, _, _ := mustTrainChurn(t)
	lead, _, _ := mustTrain(t)
	if _, err := LoadChurnModel(context.Background(), fakeKindSource{}, "es"); err == nil {
		t.Error("no churn model: no error")
	}
	if _, err := LoadChurnModel(context.Background(), fakeKindSource{KindChurn: mustEncode(t, lead)}, "es"); err == nil {
		t.Error("a lead bundle stored as churn loaded")
	}
	m, err := LoadChurnModel(context.Background(), fakeKindSource{KindChurn: mustEncode(t, b)}, "en")
	if err != nil || m.Version != "forest:3" || m.Lang != "en" {
		t.Errorf("LoadChurnModel = %+v, %v", m, err)
	}
}

func TestCustomerValue12(t *testing.T) {
	tests := []struct {
		fee  int64
		p    float64
		want int64
	}{
		{1_000_000, 0, 12_000_000},
		{1_000_000, 1, 1_000_000},
		// 1e6 · (1 − 0.5^12) / 0.5 = 1,999,511.72
		{1_000_000, 0.5, 1_999_512},
		{0, 0.3, 0},
		{2_000_000, -0.2, 24_000_000}, // clamped
	}
	for _, tt := range tests {
		if got := CustomerValue12(tt.fee, tt.p); got != tt.want {
			t.Errorf("CustomerValue12(%d, %v) = %d; want %d", tt.fee, tt.p, got, tt.want)
		}
	}
}
