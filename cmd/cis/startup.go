package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/store"
)

// demoProspects is how many made-up prospects `serve --demo` seeds.
const demoProspects = 60

// demoClock is the store's clock under serve: the real time, except while
// the demo's prospects are made up, when it is their simulated time, so
// that a lead's consent, messages, completion and first contact carry
// times that agree (consent ≤ messages ≤ completion ≤ first contact).
type demoClock struct {
	sim atomic.Pointer[bot.Clock]
}

// Now is the simulated time while a simulation runs, else time.Now.
func (d *demoClock) Now() time.Time {
	if c := d.sim.Load(); c != nil {
		return c.Now()
	}
	return time.Now()
}

// prepareDemo seeds the demo store (the first time) step by step while the
// HTTP server already answers with the "preparing" page, runs the privacy
// and daily jobs once, and prints the demo login last, after the logs. It
// reports false when the preparation failed (shown on the page).
func prepareDemo(ctx context.Context, e env, a *app, st *dashboard.Startup, clock *demoClock, log *slog.Logger) bool {
	pe := env{stderr: e.stderr, step: st.Step, progress: st.Progress}
	err := func() error {
		if err := seedHistory(ctx, a, pe); err != nil {
			return err
		}
		if _, err := seedCustomers(ctx, a, pe); err != nil {
			return err
		}
		st.Step("prospects")
		if err := seedDemo(ctx, a, clock); err != nil {
			return err
		}
		st.Step("analytics")
		// After the made-up prospects: seedDemo seeds only a store without conversations.
		if err := seedAnalytics(ctx, a); err != nil {
			return err
		}
		st.Step("scores")
		(&store.PrivacyJobs{Store: a.store, Retention: a.cfg.retention(), Now: time.Now, Log: log.With("component", "privacy")}).Tick(ctx)
		a.daily.Once(ctx)
		st.Step("accounts")
		return nil
	}()
	if err == nil {
		var pw string
		// A real deployment creates its admins with `cis users add`.
		if pw, err = dashboard.EnsureAdmin(ctx, a.store, demoAdminName, "demo start"); err == nil {
			st.Ready()
			fmt.Fprintf(e.stdout, "cis: demo login: user %s, password %s (new at every demo start; cis users passwd %s sets your own)\n",
				demoAdminName, pw, demoAdminName)
			return true
		}
	}
	if ctx.Err() == nil {
		log.Error("demo preparation failed", "err", err)
		st.Fail(err.Error())
	}
	return false
}

// demoAdminName is the demo's admin account.
const demoAdminName = "demo-admin"

// demoAdvisors are the demo agency's advisors: accounts without a password
// (they cannot log in) who took, contacted and closed the demo's leads.
var demoAdvisors = []string{"ana.restrepo", "carlos.mejia", "diana.lopez", "felipe.osorio", "laura.castro", "juan.vargas"}

// seedDemo makes up the demo's working day (bot.DemoDay) on the store's
// clock.
func seedDemo(ctx context.Context, a *app, clock *demoClock) error {
	return bot.DemoDay{Store: a.store, Flow: a.machine, Log: a.log, Prospects: demoProspects, Seed: demo.Seed,
		Advisors: demoAdvisors, AdvisorRole: dashboard.RoleAdvisor, UseClock: clock.sim.Store}.Run(ctx)
}
