package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/scoring/demo/seeding"
)

func demoCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("demo", e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
	c.creates = true
	a, err := open(ctx, c, newLogger(c, e.stderr), time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := seedHistory(ctx, a, e); err != nil {
		return err
	}
	if err := seedAnalytics(ctx, a); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "scorer: %s\n", a.scorer.Status())
	n, err := seedCustomers(ctx, a, e)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "churn: %d active customers scored\n", n)
	return nil
}

// seedHistory, seedCustomers and seedAnalytics wire the app into package
// seed's steps (cis demo runs them in a row; serve --demo with the live
// prospects in between).
func seedHistory(ctx context.Context, a *app, e env) error {
	return seeding.History(ctx, a.store, demoModels{a, e}, seedOptions(a, e))
}

func seedCustomers(ctx context.Context, a *app, e env) (int, error) {
	return seeding.Customers(ctx, a.store, demoModels{a, e}, seedOptions(a, e))
}

func seedAnalytics(ctx context.Context, a *app) error {
	n, err := seeding.Analytics(ctx, a.store, a.scorer, a.machine.Config(), a.cfg.DemoLeads, demo.Seed, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("demo analytics seeded", "past_leads", n)
	}
	return nil
}

func seedOptions(a *app, e env) seeding.Options {
	return seeding.Options{Leads: a.cfg.DemoLeads, Trees: a.cfg.DemoTrees, Log: a.log, Step: e.stepTo, Bar: e.bar}
}

// demoModels trains and applies the demo's models with the app's own
// training (cis train, the churn job), as package seed asks.
type demoModels struct {
	a *app
	e env
}

func (m demoModels) Current() *scoring.Model { return m.a.scorer.Current() }

func (m demoModels) Train(ctx context.Context, o scoring.TrainOptions) (int64, error) {
	return m.a.train(ctx, o, m.e, false)
}

// TrainChurn prints nothing: the demo's churn training is followed on
// stderr only.
func (m demoModels) TrainChurn(ctx context.Context, o scoring.TrainOptions, every int) (int64, error) {
	return m.a.trainChurn(ctx, o, every, env{stderr: m.e.stderr}, false)
}

func (m demoModels) ScoreChurn(ctx context.Context, now time.Time) (int, error) {
	return m.a.scoreChurn(ctx, now)
}
