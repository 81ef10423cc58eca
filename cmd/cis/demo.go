package main

import (
	"context"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// demoSeed makes the demo history the same on every machine.
const demoSeed = 20260301

func demoCmd(ctx context.Context, e env, args []string) error {
	fs, c := newFlagSet("demo", e.getenv)
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args); err != nil {
		return err
	}
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
		places, err := flow.LoadPlaces()
		if err != nil {
			return err
		}
		// The history ends at the start of the current month, so it is the
		// same all month long and leaves room for the live demo prospects.
		now := time.Now().UTC()
		end := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		hist := scoring.GenerateHistory(places, a.cfg.DemoLeads, end, demoSeed)
		rows := make([]store.HistoryLead, len(hist))
		for i, h := range hist {
			var rev *int64
			if h.RevenueCOP > 0 {
				rev = &h.RevenueCOP
			}
			rows[i] = store.HistoryLead{Key: fmt.Sprintf("demo-%d-%d", demoSeed, i), Lead: h.Lead, CreatedAt: h.Lead.CompletedAt,
				Converted: h.Converted, RevenueCOP: rev, Extra: map[string]string{"agency": scoring.DemoAgency}}
		}
		if _, err := a.store.ImportHistory(ctx, rows, progressBar(e.stderr, "demo history")); err != nil {
			return fmt.Errorf("demo history: %w", err)
		}
	}
	id, err := a.train(ctx, scoring.TrainOptions{Trees: a.cfg.DemoTrees, Seed: demoSeed}, e, false)
	if err != nil {
		return fmt.Errorf("demo model: %w", err)
	}
	a.log.Info("demo model trained", "model_id", id)
	return nil
}
