package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// churnCmd: `cis churn score` scores every active customer now with the
// active churn model (what serve does daily).
func churnCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "score" {
		return errors.New("usage: cis churn score")
	}
	fs, c := newFlagSet("churn score", e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	a, err := open(ctx, c, newLogger(c, e.stderr), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.scoreChurn(ctx, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "scored %d active customers\n", n)
	return nil
}

// trainChurnStore is `cis train churn`.
func trainChurnStore(ctx context.Context, e env, c *Config, o scoring.TrainOptions, asJSON bool) error {
	a, err := open(ctx, c, newLogger(c, e.stderr), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.trainChurn(ctx, o, 1, e, asJSON)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "cis: churn model %d saved and active\n", id)
	if _, err := a.scoreChurn(ctx, time.Now()); err != nil {
		return err
	}
	return nil
}

// trainChurn trains the churn model on every customer's history, stores it
// as the active churn bundle and prints the comparison.
func (a *app) trainChurn(ctx context.Context, o scoring.TrainOptions, every int, e env, asJSON bool) (int64, error) {
	hs, err := a.store.CustomerHistories(ctx, false)
	if err != nil {
		return 0, err
	}
	o.Min = a.cfg.minHistory()
	if o.Progress == nil {
		o.Progress = progressBar(e.stderr, "train churn")
	}
	// every > 1 keeps one snapshot in every months (the demo, for a quick start).
	all := scoring.ChurnSnapshots(hs)
	var snaps []time.Time
	for i, t := range all {
		if every <= 1 || (len(all)-1-i)%every == 0 { // the latest snapshot always
			snaps = append(snaps, t)
		}
	}
	b, rep, ex, err := scoring.TrainChurn(hs, snaps, o)
	if err != nil {
		return 0, fmt.Errorf("train churn: %w", err)
	}
	body, err := b.Encode()
	if err != nil {
		return 0, err
	}
	id, err := a.store.SaveModelKind(ctx, store.KindChurn, body, b.ChurnSummary(), true)
	if err != nil {
		return 0, err
	}
	if e.stdout != nil {
		d := scoring.ChurnDataset(ex)
		if asJSON {
			err = rep.WriteJSON(e.stdout, d)
		} else {
			fmt.Fprintf(e.stdout, "churn model: %d customers, %d monthly snapshots (customers active at each), label = cancelled within 30 days\n", len(hs), len(ex))
			if err = rep.WriteText(e.stdout, d); err == nil {
				_, err = fmt.Fprintf(e.stdout, "\nProduction model (all %d snapshots): %s\n", len(ex), b.Setting())
			}
		}
	}
	return id, err
}

// scoreChurn scores the active customers at now with the active churn
// model and stores the scores (one snapshot per day: a second run the same
// day adds no history row but refreshes the latest score).
func (a *app) scoreChurn(ctx context.Context, now time.Time) (int, error) {
	m, err := scoring.LoadChurnModel(ctx, a.store, a.cfg.Lang)
	if err != nil {
		return 0, fmt.Errorf("churn scoring: %w", err)
	}
	hs, err := a.store.CustomerHistories(ctx, true)
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
	if err := a.store.SaveChurnScores(ctx, scores); err != nil {
		return 0, err
	}
	a.log.Info("churn scores saved", "model", m.Version, "customers", len(scores))
	return len(scores), nil
}

// refreshDealValues refits the lead deal values from the won leads.
func (a *app) refreshDealValues(ctx context.Context) error {
	rows, err := a.store.LabelledRevenue(ctx)
	if err != nil {
		return err
	}
	var deals []scoring.Deal
	for _, r := range rows {
		if r.Converted && r.RevenueCOP != nil {
			deals = append(deals, scoring.Deal{Service: r.Lead.Service, Budget: r.Lead.Budget, RevenueCOP: *r.RevenueCOP})
		}
	}
	a.dealValues.Store(scoring.FitDealValues(deals))
	return nil
}

// leadValue is the dashboard's price of a lead: p × its expected deal value.
func (a *app) leadValue(p float64, service string, b flow.Budget) int64 {
	return a.dealValues.Load().Expected(p, service, b)
}

// dailyJobs scores churn and refits deal values at start and then every
// interval until ctx ends. Failures are logged; the dashboard keeps the
// last scores.
func (a *app) dailyJobs(ctx context.Context, every time.Duration, skipFirst bool) error {
	if !skipFirst {
		a.daily(ctx)
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			a.daily(ctx)
		}
	}
}

// daily refits the deal values and scores the active customers.
func (a *app) daily(ctx context.Context) {
	if err := a.refreshDealValues(ctx); err != nil {
		a.log.Error("deal values not refreshed", "err", err)
	}
	if _, err := a.scoreChurn(ctx, time.Now()); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			a.log.Info("no churn model yet: customers not scored (cis train churn)")
		} else {
			a.log.Error("churn scoring failed", "err", err)
		}
	}
}

// checkLeadValue prints how well expected lead values predicted revenue on
// a time-ordered hold-out of the store's labelled leads.
func checkLeadValue(ctx context.Context, e env, c *Config, o scoring.TrainOptions, asJSON bool) error {
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	rows, err := st.LabelledRevenue(ctx)
	if err != nil {
		return err
	}
	ex := make([]scoring.ValueExample, len(rows))
	for i, r := range rows {
		ex[i] = scoring.ValueExample{Example: scoring.Example{Lead: r.Lead, Converted: r.Converted}, RevenueCOP: *r.RevenueCOP}
	}
	o.Min = c.minHistory()
	vc, err := scoring.CheckLeadValue(ex, 0.2, o)
	if err != nil {
		return err
	}
	if asJSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(vc)
	}
	writeValueCheck(e.stdout, vc)
	return nil
}

func writeValueCheck(w io.Writer, vc *scoring.ValueCheck) {
	fmt.Fprintf(w, "lead value on the newest %d leads (%s … %s), model and deal values fitted on the %d older ones\n",
		vc.Test, vc.From.Format(time.DateOnly), vc.Until.Format(time.DateOnly), vc.Train)
	fmt.Fprintf(w, "predicted revenue %d COP, realised %d COP (ratio %.3f); Spearman per lead %.3f; top tenth by prediction brought %.1f %% of the revenue\n\n",
		vc.PredictedCOP, vc.RealisedCOP, vc.RatioPredicted, vc.Spearman, 100*vc.TopDecileShare)
	fmt.Fprintln(w, "| Tenth (by predicted value) | Leads | Predicted COP | Realised COP |\n|---|---|---|---|")
	for i, d := range vc.Deciles {
		fmt.Fprintf(w, "| %d | %d | %d | %d |\n", i+1, d.Leads, d.PredictedCOP, d.RealisedCOP)
	}
}
