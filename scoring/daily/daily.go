// Package daily is the scoring work a server does once a day: it refits
// the expected deal values from the won leads and scores every active
// customer's churn risk with the active churn model.
package daily

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// Store is what the daily work reads and writes; *store.Store satisfies it.
type Store interface {
	LabelledRevenue(ctx context.Context) ([]store.HistoryLead, error)
	CustomerHistories(ctx context.Context, activeOnly bool) ([]store.CustomerHistory, error)
	SaveChurnScores(ctx context.Context, scores []store.ChurnScore) error
	ActiveBundleKind(ctx context.Context, kind string) (int64, []byte, error)
}

// Jobs refits deal values and scores churn; it also prices leads with the
// deal values it last fitted. The zero value is not usable: set Store, Lang
// and Log.
type Jobs struct {
	Store Store
	Lang  string // the language of the churn reasons
	Log   *slog.Logger
	// values prices leads for the queue (expected revenue).
	values atomic.Pointer[scoring.DealValues]
}

// ScoreChurn scores the active customers at now with the active churn model
// and stores the scores (one snapshot per day: a second run the same day
// adds no history row but refreshes the latest score). The error wraps
// store.ErrNotFound when no churn model is active.
func (j *Jobs) ScoreChurn(ctx context.Context, now time.Time) (int, error) {
	m, err := scoring.LoadChurnModel(ctx, j.Store, j.Lang)
	if err != nil {
		return 0, fmt.Errorf("churn scoring: %w", err)
	}
	hs, err := j.Store.CustomerHistories(ctx, true)
	if err != nil {
		return 0, err
	}
	// One snapshot a day: midnight in Bogotá, the agency's calendar day.
	loc := flow.Bogota()
	y, mo, d := now.In(loc).Date()
	at := time.Date(y, mo, d, 0, 0, 0, 0, loc).UTC()
	scores, err := scoring.ScoreCustomers(m, hs, at)
	if err != nil {
		return 0, err
	}
	if err := j.Store.SaveChurnScores(ctx, scores); err != nil {
		return 0, err
	}
	j.Log.Info("churn scores saved", "model", m.Version, "customers", len(scores))
	return len(scores), nil
}

// RefreshDealValues refits the lead deal values from the won leads.
func (j *Jobs) RefreshDealValues(ctx context.Context) error {
	rows, err := j.Store.LabelledRevenue(ctx)
	if err != nil {
		return err
	}
	j.values.Store(scoring.FitDealValues(scoring.WonDeals(scoring.ValueExamples(rows))))
	return nil
}

// LeadValue is the dashboard's price of a lead: p × its expected deal
// value (0 before the first refit).
func (j *Jobs) LeadValue(p float64, service string, b flow.Budget) int64 {
	return j.values.Load().Expected(p, service, b)
}

// Run does the daily work at start (unless skipFirst) and then every
// interval until ctx ends. Failures are logged; the dashboard keeps the
// last scores.
func (j *Jobs) Run(ctx context.Context, every time.Duration, skipFirst bool) error {
	t := time.NewTicker(every)
	defer t.Stop()
	for round := 0; ; round++ {
		if round > 0 || !skipFirst {
			j.Once(ctx)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Once refits the deal values and scores the active customers.
func (j *Jobs) Once(ctx context.Context) {
	if err := j.RefreshDealValues(ctx); err != nil {
		j.Log.Error("deal values not refreshed", "err", err)
	}
	if _, err := j.ScoreChurn(ctx, time.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			j.Log.Info("no churn model yet: customers not scored (cis train churn)")
		} else {
			j.Log.Error("churn scoring failed", "err", err)
		}
	}
}
