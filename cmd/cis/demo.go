package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/importer"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// demoSeed makes the demo history the same on every machine.
const demoSeed = 20260301

// The demo's first start must stay under a minute on the 2-core machine
// (docs/models.md), so its lead model is trained like cis train's but
// with a stored forest setting instead of the nested search (demoForest)
// and with 3 cross-validation folds instead of 5; cis train on the demo
// store tunes and compares on 5.
const demoFolds = 3

// demoForest is the production forest's setting for the demo history,
// stored so that the first start does not search it again: the library's
// defaults, which cis train's nested search on the demo store kept in every
// fold and for the production forest (docs/models.md); the number of trees
// is --demo-trees.
var demoForest = learn.ForestParams{}

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

// seedHistory gives an empty store the demo agency's history (see
// scoring.GenerateHistory) and trains the first model on it. A store with
// history or an active model is left alone, so restarts do not duplicate.
func seedHistory(ctx context.Context, a *app, e env) error {
	if a.scorer.Current() != nil {
		return nil
	}
	n, _, err := a.store.CountLabelled(ctx)
	if err != nil {
		return err
	}
	if n == 0 {
		e.stepTo("history")
		places, err := place.Load()
		if err != nil {
			return err
		}
		// The history ends at the start of the current month, so it is the
		// same all month long and leaves room for the live demo prospects.
		hist := scoring.GenerateHistory(places, a.cfg.DemoLeads, demoHistoryEnd(), demoSeed)
		rows := make([]store.HistoryLead, len(hist))
		for i, h := range hist {
			var rev *int64
			if h.RevenueCOP > 0 {
				rev = &h.RevenueCOP
			}
			rows[i] = store.HistoryLead{Key: fmt.Sprintf("demo-%d-%d", demoSeed, i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt,
				Converted: h.Converted, RevenueCOP: rev, Extra: map[string]string{"agency": scoring.DemoAgency}}
		}
		added, err := a.store.ImportHistory(ctx, rows, e.bar("demo history"))
		if err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
		stats, err := json.Marshal(importer.DemoStats(len(rows), added))
		if err != nil {
			return err
		}
		if err := a.store.SaveImportRun(ctx, "leads", stats); err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
	}
	e.stepTo("lead_model")
	id, err := a.train(ctx, scoring.TrainOptions{Trees: a.cfg.DemoTrees, Folds: demoFolds, Seed: demoSeed, Forest: &demoForest, Progress: e.bar("train")}, e, false)
	if err != nil {
		return fmt.Errorf("demo model: %w", err)
	}
	a.log.Info("demo model trained", "model_id", id)
	return nil
}

// demoHistoryEnd is where the demo lead history ends: the start of the
// current month, so it is the same all month long and leaves room for the
// live demo prospects.
func demoHistoryEnd() time.Time {
	now := time.Now().UTC()
	return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// demoChurnForest is the demo churn forest's setting: the library's
// defaults, not tuned, so the first start stays short; cis train churn
// tunes it.
var demoChurnForest = learn.ForestParams{}

// demoChurnTrees caps the churn forest of the demo, which is also trained
// with 3 folds, without the other families and on every other month's
// snapshot, so that the extra start-up time stays small
// (docs/benchmarks.md); cis train churn compares them all on every month.
const demoChurnTrees = 50

// seedCustomers gives a store without customers the demo agency's
// customers (every converted lead of the demo history, with a simulated
// history up to today: scoring.GenerateCustomers), trains the churn model on
// them when none is active, and scores the active customers. It returns how
// many were scored. A store with customers and a churn model is only rescored.
func seedCustomers(ctx context.Context, a *app, e env) (int, error) {
	hs, err := a.store.CustomerHistories(ctx, false)
	if err != nil {
		return 0, err
	}
	if len(hs) == 0 {
		e.stepTo("customers")
		places, err := place.Load()
		if err != nil {
			return 0, err
		}
		hist := scoring.GenerateHistory(places, a.cfg.DemoLeads, demoHistoryEnd(), demoSeed)
		rows := scoring.GenerateCustomers(hist, time.Now().UTC(), demoSeed, fmt.Sprintf("demo-%d-", demoSeed))
		if _, _, err := a.store.ImportCustomers(ctx, rows, e.bar("demo customers")); err != nil {
			return 0, fmt.Errorf("demo customers: %w", err)
		}
	}
	if _, _, err := a.store.ActiveBundleKind(ctx, store.KindChurn); errors.Is(err, store.ErrNotFound) {
		e.stepTo("churn_model")
		trees := min(a.cfg.DemoTrees, demoChurnTrees)
		o := scoring.TrainOptions{Trees: trees, Folds: 3, Seed: demoSeed, Forest: &demoChurnForest, Models: learn.ModelsWith(trees, &demoChurnForest)[:1], Progress: e.bar("train churn")}
		id, err := a.trainChurn(ctx, o, 2, env{stderr: e.stderr}, false)
		if errors.Is(err, scoring.ErrNotEnoughHistory) || errors.Is(err, learn.ErrTiersNotOrdered) {
			// A tiny demo (--demo-leads) may have too few cancellations, or a
			// forest too small to rank them: the demo still runs, without
			// churn scores, and the churn page says how to train.
			a.log.Warn("demo churn model not trained", "err", err)
			return 0, nil
		}
		if err != nil {
			return 0, fmt.Errorf("demo churn model: %w", err)
		}
		a.log.Info("demo churn model trained", "model_id", id)
	}
	return a.scoreChurn(ctx, time.Now())
}
