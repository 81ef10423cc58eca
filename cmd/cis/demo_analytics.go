package main

import (
	"context"
	"time"

	"github.com/cis-agencia/cis/scoring/insight"
)

// seedAnalytics adds the demo's past bot leads with outcomes, dropped
// conversations and campaigns with spend (insight.SeedDemo), once.
func seedAnalytics(ctx context.Context, a *app) error {
	n, err := insight.SeedDemo(ctx, a.store, a.scorer, a.machine.Config(), a.cfg.DemoLeads, demoSeed, time.Now())
	if err != nil {
		return err
	}
	if n > 0 {
		a.log.Info("demo analytics seeded", "past_leads", n)
	}
	return nil
}
