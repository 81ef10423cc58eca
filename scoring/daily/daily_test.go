package daily

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// fakeStore has labelled revenue and no churn model.
type fakeStore struct {
	rows  []store.HistoryLead
	saved int
}

func (f *fakeStore) LabelledRevenue(context.Context) ([]store.HistoryLead, error) { return f.rows, nil }
func (f *fakeStore) CustomerHistories(context.Context, bool) ([]store.CustomerHistory, error) {
	return nil, nil
}

func (f *fakeStore) SaveChurnScores(context.Context, []store.ChurnScore) error {
	f.saved++
	return nil
}

func (f *fakeStore) ActiveBundleKind(context.Context, string) (int64, []byte, error) {
	return 0, nil, store.ErrNotFound
}

// TestDailyPricesLeadsAndWaitsForAChurnModel: before the first refit a lead
// is worth 0; after it, p × the mean won deal of its service. Without a
// churn model nothing is scored, and the log says how to train one.
func TestDailyPricesLeadsAndWaitsForAChurnModel(t *testing.T) {
	rev := func(v int64) *int64 { return &v }
	web := flow.Lead{Service: "web"}
	st := &fakeStore{rows: []store.HistoryLead{
		{Lead: web, Converted: true, RevenueCOP: rev(4_000_000)},
		{Lead: web, Converted: true, RevenueCOP: rev(6_000_000)},
		{Lead: web, Converted: false, RevenueCOP: rev(0)},
	}}
	var logs bytes.Buffer
	j := &Jobs{Store: st, Lang: "es", Log: slog.New(slog.NewTextHandler(&logs, nil))}
	if v := j.LeadValue(0.5, "web", flow.Budget{}); v != 0 {
		t.Errorf("value before the first refit = %d, want 0", v)
	}
	j.Once(context.Background())
	if v := j.LeadValue(0.5, "web", flow.Budget{}); v != 2_500_000 {
		t.Errorf("value of p=0.5 after the refit = %d, want 2500000 (half the mean won deal)", v)
	}
	if _, err := j.ScoreChurn(context.Background(), time.Now()); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ScoreChurn without a model: %v, want store.ErrNotFound", err)
	}
	if st.saved != 0 || !bytes.Contains(logs.Bytes(), []byte("cis train churn")) {
		t.Errorf("saved %d score sets; logs %q", st.saved, logs.String())
	}
}

// TestRunSkipsTheFirstRoundOnlyWhenAsked: serve runs the daily work at
// start, except after a demo preparation that just did it.
func TestRunSkipsTheFirstRoundOnlyWhenAsked(t *testing.T) {
	rev := int64(3_000_000)
	for _, skip := range []bool{false, true} {
		st := &fakeStore{rows: []store.HistoryLead{{Lead: flow.Lead{Service: "web"}, Converted: true, RevenueCOP: &rev}}}
		j := &Jobs{Store: st, Lang: "es", Log: slog.New(slog.DiscardHandler)}
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // Run returns at its first wait
		if err := j.Run(ctx, time.Hour, skip); err != nil {
			t.Fatal(err)
		}
		if refit := j.LeadValue(1, "web", flow.Budget{}) > 0; refit == skip {
			t.Errorf("skipFirst %v: deal values refitted = %v", skip, refit)
		}
	}
}
