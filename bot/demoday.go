package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// DemoDayStore is what making up the demo's working day needs;
// *store.Store satisfies it.
type DemoDayStore interface {
	ledger
	CountConversations(ctx context.Context, channel, address string) (int, error)
	UserByName(ctx context.Context, username string) (store.User, error)
	CreateUser(ctx context.Context, username, role, passwordHash string) (store.User, error)
	Queue(ctx context.Context, f store.LeadFilter) ([]store.QueueRow, error)
	ActOnLead(ctx context.Context, id int64, a store.LeadAction) error
	Stats(ctx context.Context) (store.Stats, error)
}

// DemoDay is the demo's working day: made-up prospects who write through
// the real flow, and the demo agency's advisors who take and contact their
// leads. Set every field.
type DemoDay struct {
	Store     DemoDayStore
	Flow      machine
	Log       *slog.Logger
	Prospects int
	Seed      uint64
	// Advisors are accounts without a password (they cannot log in), with
	// AdvisorRole, created when missing.
	Advisors    []string
	AdvisorRole string
	// UseClock gives the store the simulated clock while the day is made up
	// (nil after), so that a lead's consent, messages, completion and first
	// contact carry times that agree.
	UseClock func(*Clock)
}

// Run fills a store without demo conversations with the day's prospects
// and has the advisors work them; a store that already has them is left
// alone, so restarts do not duplicate.
func (d DemoDay) Run(ctx context.Context) error {
	// Only the demo account counts: `cis demo` may have added past leads
	// (analytics) on their own account before the first serve --demo.
	seeded, err := d.Store.CountConversations(ctx, DemoChannel, DemoAccount)
	if err != nil {
		return err
	}
	if seeded > 0 {
		d.Log.Info("demo store already seeded", "conversations", seeded)
		return nil
	}
	advisors, err := d.ensureAdvisors(ctx)
	if err != nil {
		return err
	}
	now := time.Now()
	sim := NewClock(now)
	d.UseClock(sim)
	defer d.UseClock(nil)
	b, err := New(Deps{Store: d.Store, Flow: d.Flow, Now: sim.Now, Log: d.Log.With("component", "demo")})
	if err != nil {
		return err
	}
	n, err := SeedDemo(ctx, b, sim, now, d.Prospects, 1)
	if err != nil {
		return fmt.Errorf("seed demo: %w", err)
	}
	if err := d.workLeads(ctx, sim, advisors, now); err != nil {
		return err
	}
	stats, err := d.Store.Stats(ctx)
	if err != nil {
		return err
	}
	d.Log.Info("demo store seeded", "messages", n, "conversations", stats.Conversations, "leads", stats.Leads,
		"hot", stats.LeadsByClass["hot"], "warm", stats.LeadsByClass["warm"], "cold", stats.LeadsByClass["cold"])
	return nil
}

// ensureAdvisors creates the advisors' accounts when missing.
func (d DemoDay) ensureAdvisors(ctx context.Context) ([]int64, error) {
	var ids []int64
	for _, name := range d.Advisors {
		u, err := d.Store.UserByName(ctx, name)
		if errors.Is(err, store.ErrNotFound) {
			u, err = d.Store.CreateUser(ctx, name, d.AdvisorRole, "")
		}
		if err != nil {
			return nil, fmt.Errorf("demo advisor %s: %w", name, err)
		}
		ids = append(ids, u.ID)
	}
	return ids, nil
}

// workLeads has the advisors take and contact today's leads the way a team
// does: most leads are taken soon after they arrive and contacted within
// the promised window (log-normal around half of it, in business hours); a
// lead whose contact time has not come is still open and due; about one in
// seven that are already due is missed, and shows overdue. Each action is
// recorded at its own simulated time.
func (d DemoDay) workLeads(ctx context.Context, sim *Clock, advisors []int64, now time.Time) error {
	rows, err := d.Store.Queue(ctx, store.LeadFilter{Status: "open", Limit: 500})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(d.Seed, 0x3a3)) // #nosec G404 -- seeded: the same demo every time
	cal := d.Flow.Config().Calendar
	for i, r := range rows {
		adv := advisors[i%len(advisors)]
		window := r.DeadlineAt.Sub(r.CompletedAt)
		taken := cal.Deadline(r.CompletedAt, time.Duration(1+rng.IntN(4))*time.Minute)
		promised := d.Flow.Config().Windows.For(flow.Class(r.Class))
		contact := cal.Deadline(r.CompletedAt, time.Duration(float64(promised)*0.5*math.Exp(0.6*rng.NormFloat64())))
		missed := rng.Float64() < 0.15
		if taken.Before(now) && rng.Float64() < 0.8 {
			if err := d.actAt(ctx, sim, taken, r.ID, store.LeadAction{Kind: "assign", AssignTo: adv, ByUser: adv}); err != nil {
				return err
			}
		}
		if missed || !contact.Before(now) || window <= 0 {
			continue
		}
		if err := d.actAt(ctx, sim, contact, r.ID, store.LeadAction{Kind: "contacted", ByUser: adv}); err != nil {
			return err
		}
	}
	return nil
}

func (d DemoDay) actAt(ctx context.Context, sim *Clock, at time.Time, id int64, act store.LeadAction) error {
	sim.Set(at)
	if err := d.Store.ActOnLead(ctx, id, act); err != nil {
		return fmt.Errorf("demo lead %d %s: %w", id, act.Kind, err)
	}
	return nil
}
