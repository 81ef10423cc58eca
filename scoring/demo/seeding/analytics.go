package seeding

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring/demo"
	"github.com/cis-agencia/cis/store"
)

// Analytics gives the demo store what the analytics pages need beyond
// the history: six months of past bot leads scored by the trained model,
// with what advisors did (first contact on time or late, won or lost as the
// generator decided), conversations that stopped at each question, and the
// demo agency's campaigns with their spend. A store that already has
// campaigns is left alone.
// The history is regenerated with demo.History(places, leads, first day of
// now's month, seed), the call History imports it with. scorer scores the
// past leads (the trained model, or the rules) and cfg gives their
// promised contact windows. It returns how many past leads it stored (0
// when it left the store alone).
func Analytics(ctx context.Context, st Store, scorer flow.Scorer, cfg flow.Config, leads int, seed uint64, now time.Time) (int, error) {
	facts, err := st.Campaigns(ctx, store.Period{})
	if err != nil {
		return 0, err
	}
	for _, f := range facts {
		if f.Known {
			return 0, nil
		}
	}
	places, err := place.Load()
	if err != nil {
		return 0, err
	}
	now = now.UTC()
	monthStart := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	hist := demo.History(places, leads, monthStart, seed)
	// Past bot leads: another draw of the same agency (a different seed, so
	// none was trained on), the last six months of it.
	drawn := demo.History(places, leads/3, now, seed+1)
	cut := now.AddDate(0, -6, 0)
	var live []demo.Lead
	for _, d := range drawn {
		if d.Lead.CompletedAt.After(cut) {
			live = append(live, d)
		}
	}
	rng := rand.New(rand.NewPCG(seed, 0xa11)) // #nosec G404 -- seeded on purpose: the same seed gives the same demo
	// A stream of its own, so that the outcomes and contacts drawn above
	// and below stay what they were before engagement existed.
	erng := rand.New(rand.NewPCG(seed, 0xe46)) // #nosec G404 -- seeded demo data
	past := make([]store.PastLead, len(live))
	for i, d := range live {
		l := d.Lead
		l.Name = fmt.Sprintf("Prospecto demo %d", i+1)
		l.Engagement = demo.Engagement(erng, d.Converted)
		sc := scorer.Score(l)
		pl := store.PastLead{Lead: l, Score: sc, Deadline: cfg.Calendar.Deadline(l.CompletedAt, cfg.Windows.For(sc.Class)), Status: "open"}
		// First contact, counted in business hours as the promise is:
		// log-normal around half the promised window (median 12 minutes for
		// a hot lead), so about 88 % are on time and the median time to
		// first contact agrees with it. A lead whose contact time has not
		// come yet is still open (and not yet due).
		age := now.Sub(l.CompletedAt)
		window := cfg.Windows.For(sc.Class)
		delay := time.Duration(float64(window) * 0.5 * math.Exp(0.6*rng.NormFloat64()))
		if c := cfg.Calendar.Deadline(l.CompletedAt, delay); c.Before(now) {
			pl.ContactedAt, pl.Status = c, "contacted"
		}
		// Outcomes are known three weeks on.
		if pl.Status == "contacted" && age > 21*24*time.Hour {
			pl.OutcomeAt = l.CompletedAt.Add(time.Duration(7+rng.IntN(14)) * 24 * time.Hour)
			pl.Status = "lost"
			if d.Converted {
				pl.Status, pl.ValueCOP = "won", d.RevenueCOP
				if pl.ValueCOP == 0 {
					pl.ValueCOP = 3 * 1_500_000 // budget unknown: three months of a typical fee
				}
				live[i].RevenueCOP = pl.ValueCOP
			}
		}
		past[i] = pl
	}
	// Dropped conversations of the last five months: older ones would have
	// been erased by the default retention of unfinished conversations (180
	// days), and the demo's first retention run would erase them at start.
	drops := demo.Dropouts(rng, len(live)/3, now.AddDate(0, -5, 0), now)
	if err := st.InsertPastLeads(ctx, "demo-history", "+5731", past, drops); err != nil {
		return 0, fmt.Errorf("demo past leads: %w", err)
	}
	// What their WhatsApp messages cost, for the campaigns page (issue 18).
	if _, err := st.SeedMessagingCosts(ctx, "demo-history"); err != nil {
		return 0, fmt.Errorf("demo messaging cost: %w", err)
	}
	rows := demo.CampaignRows(append(hist, live...), seed, monthStart)
	if _, err := st.ImportCampaigns(ctx, rows); err != nil {
		return 0, fmt.Errorf("demo campaigns: %w", err)
	}
	return len(past), nil
}

// demoCampaignRows turns the demo agency's campaigns, drawn from every demo
// lead (history and past bot leads, so that each campaign key a lead names
// exists), into the rows ImportCampaigns takes: one row per campaign
// (started 18 months before monthStart), then one per day or month of its
// spend. Kept apart from SeedDemo, which decides what to seed, because this
