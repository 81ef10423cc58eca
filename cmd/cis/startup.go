package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/flow"
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
		if pw, err = demoAdmin(ctx, a); err == nil {
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

// demoAdmin creates the demo's admin account when it is missing and gives
// it a new generated password at every demo start, returned to be printed:
// the password is stored only as a hash, so the one printed at the first
// start could never be shown again. A real deployment creates its admins
// with `cis users add`.
func demoAdmin(ctx context.Context, a *app) (string, error) {
	pw := dashboard.GeneratePassword()
	u, err := a.store.UserByName(ctx, demoAdminName)
	if errors.Is(err, store.ErrNotFound) {
		_, err = dashboard.CreateUser(ctx, a.store, demoAdminName, dashboard.RoleAdmin, pw)
		return pw, err
	}
	if err != nil {
		return "", err
	}
	if err := dashboard.SetPassword(ctx, a.store, u, pw, "demo start"); err != nil {
		return "", err
	}
	return pw, a.store.SetActive(ctx, u.ID, true)
}

// demoAdvisors are the demo agency's advisors: accounts without a password
// (they cannot log in) who took, contacted and closed the demo's leads.
var demoAdvisors = []string{"ana.restrepo", "carlos.mejia", "diana.lopez", "felipe.osorio", "laura.castro", "juan.vargas"}

// seedDemo fills a store without demo conversations with a working day's
// made-up prospects, through the real flow on the store's clock, and has
// the demo advisors work them; a store that already has them is left alone,
// so restarts do not duplicate.
func seedDemo(ctx context.Context, a *app, clock *demoClock) error {
	// Only the demo account counts: `cis demo` may have added past leads
	// (analytics) on their own account before the first serve --demo.
	seeded, err := a.store.CountConversations(ctx, bot.DemoChannel, bot.DemoAccount)
	if err != nil {
		return err
	}
	if seeded > 0 {
		a.log.Info("demo store already seeded", "conversations", seeded)
		return nil
	}
	advisors, err := ensureDemoAdvisors(ctx, a.store)
	if err != nil {
		return err
	}
	now := time.Now()
	sim := bot.NewClock(now)
	clock.sim.Store(sim)
	defer clock.sim.Store(nil)
	b, err := bot.New(bot.Deps{Store: a.store, Flow: a.machine, Now: sim.Now, Log: a.log.With("component", "demo")})
	if err != nil {
		return err
	}
	n, err := bot.SeedDemo(ctx, b, sim, now, demoProspects, 1)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := workDemoLeads(ctx, a, sim, advisors, now); err != nil {
		return err
	}
	stats, err := a.store.Stats(ctx)
	if err != nil {
		return err
	}
	a.log.Info("demo store seeded", "messages", n, "conversations", stats.Conversations, "leads", stats.Leads,
		"hot", stats.LeadsByClass["hot"], "warm", stats.LeadsByClass["warm"], "cold", stats.LeadsByClass["cold"])
	return nil
}

// ensureDemoAdvisors creates the demo advisors' accounts when missing.
func ensureDemoAdvisors(ctx context.Context, st *store.Store) ([]int64, error) {
	var ids []int64
	for _, name := range demoAdvisors {
		u, err := st.UserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			u, err = st.CreateUser(ctx, name, dashboard.RoleAdvisor, "")
		}
		if err != nil {
			return nil, fmt.Errorf("demo advisor %s: %w", name, err)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// workDemoLeads has the demo advisors take and contact today's leads the
// way a team does: most leads are taken soon after they arrive and
// contacted within the promised window (log-normal around half of it, in
// business hours); a lead whose contact time has not come is still open and
// due; about one in seven that are already due is missed, and shows
// overdue. Each action is recorded at its own simulated time.
func workDemoLeads(ctx context.Context, a *app, sim *bot.Clock, advisors []int64, now time.Time) error {
	rows, err := a.store.Queue(ctx, store.LeadFilter{Status: "open", Limit: 500})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(demoSeed, 0x3a3)) // #nosec G404 -- seeded: the same demo every time
	cal := a.machine.Config().Calendar
	for i, r := range rows {
		adv := advisors[i%len(advisors)]
		window := r.DeadlineAt.Sub(r.CompletedAt)
		taken := cal.Deadline(r.CompletedAt, time.Duration(1+rng.IntN(4))*time.Minute)
		promised := a.machine.Config().Windows.For(flow.Class(r.Class))
		contact := cal.Deadline(r.CompletedAt, time.Duration(float64(promised)*0.5*math.Exp(0.6*rng.NormFloat64())))
		missed := rng.Float64() < 0.15
		if taken.Before(now) && rng.Float64() < 0.8 {
			if err := actAt(ctx, a, sim, taken, r.ID, store.LeadAction{Kind: "assign", AssignTo: adv, ByUser: adv}); err != nil {
				return err
			}
		}
		if missed || !contact.Before(now) || window <= 0 {
			continue
		}
		if err := actAt(ctx, a, sim, contact, r.ID, store.LeadAction{Kind: "contacted", ByUser: adv}); err != nil {
			return err
		}
	}
	return nil
}

func actAt(ctx context.Context, a *app, sim *bot.Clock, at time.Time, id int64, act store.LeadAction) error {
	sim.Set(at)
	if err := a.store.ActOnLead(ctx, id, act); err != nil {
		return fmt.Errorf("demo lead %d %s: %w", id, act.Kind, err)
	}
	return nil
}
