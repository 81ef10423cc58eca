package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/training"
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

// trainChurn trains the churn model (training.Churn) and prints the
// comparison; every > 1 keeps one snapshot in every months (the demo).
func (a *app) trainChurn(ctx context.Context, o scoring.TrainOptions, every int, e env, asJSON bool) (int64, error) {
	o.Min = a.cfg.minHistory()
	if o.Progress == nil {
		o.Progress = progressBar(e.stderr, "train churn")
	}
	r, err := training.Churn(ctx, a.store, o, every)
	if err != nil {
		return 0, err
	}
	if e.stdout != nil {
		return r.ID, r.Write(e.stdout, asJSON)
	}
	return r.ID, nil
}

// scoreChurn scores the active customers at now (daily.Jobs.ScoreChurn).
func (a *app) scoreChurn(ctx context.Context, now time.Time) (int, error) {
	return a.daily.ScoreChurn(ctx, now)
}

// checkLeadValue prints how well expected lead values predicted revenue on
// a time-ordered hold-out of the store's labelled leads.
func checkLeadValue(ctx context.Context, e env, c *Config, o scoring.TrainOptions, asJSON bool) error {
	st, err := store.Open(ctx, c.DBPath, c.storeOptions(newLogger(c, e.stderr)))
	if err != nil {
		return fmt.Errorf("open store: %w", err)
	}
	defer st.Close()
	o.Min = c.minHistory()
	vc, err := training.LeadValue(ctx, st, o)
	if err != nil {
		return err
	}
	return training.WriteValueCheck(e.stdout, vc, asJSON)
}
