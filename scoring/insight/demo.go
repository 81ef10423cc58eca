package insight

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// SeedDemo gives the demo store what the analytics pages need beyond
// the history: six months of past bot leads scored by the trained model,
// with what advisors did (first contact on time or late, won or lost as the
// generator decided), conversations that stopped at each question, and the
// demo agency's campaigns with their spend. A store that already has
// campaigns is left alone.
// The history is regenerated with scoring.GenerateHistory(places, leads,
// first day of now's month, seed), the call `cis demo` imports it with.
// It returns how many past leads it stored (0 when it left the store alone).
func SeedDemo(ctx context.Context, st *store.Store, scorer flow.Scorer, cfg flow.Config, leads int, seed uint64, now time.Time) (int, error) {
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
	hist := scoring.GenerateHistory(places, leads, monthStart, seed)
	// Past bot leads: another draw of the same agency (a different seed, so
	// none was trained on), the last six months of it.
	drawn := scoring.GenerateHistory(places, leads/3, now, seed+1)
	cut := now.AddDate(0, -6, 0)
	var live []scoring.DemoLead
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
		l.Engagement = demoEngagement(erng, d.Converted)
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
	drops := demoDropouts(rng, len(live)/3, now.AddDate(0, -5, 0), now)
	if err := st.InsertPastLeads(ctx, "demo-history", "+5731", past, drops); err != nil {
		return 0, fmt.Errorf("demo past leads: %w", err)
	}
	rows := demoCampaignRows(append(hist, live...), seed, monthStart)
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
// is only the shape the store's import wants.
func demoCampaignRows(leads []scoring.DemoLead, seed uint64, monthStart time.Time) []store.CampaignRow {
	var rows []store.CampaignRow
	for _, c := range scoring.DemoCampaigns(leads, seed) {
		camp := store.Campaign{Key: c.Key, Name: c.Name, Channel: c.Channel, StartedOn: monthStart.AddDate(0, -18, 0).Format("2006-01-02")}
		rows = append(rows, store.CampaignRow{Campaign: camp})
		period := "month"
		if c.Daily {
			period = "day"
		}
		for day, amount := range c.Spend {
			rows = append(rows, store.CampaignRow{Campaign: camp, Spend: &store.Spend{Period: period, Day: day, AmountCOP: amount}})
		}
	}
	return rows
}

// demoEngagement draws how a past bot lead went through the questions,
// given its outcome, with a weak documented effect (docs/models.md): a
// prospect who converts answers a little faster (median 200 s from the
// consent against 240 s), a little more fully (each answer is not
// understood with probability 0.28 against 0.35, repeated) and is a
// returning contact more often (12 % against 8 %). Imported demo history
// has no conversation behind it, so it carries none of this.
func demoEngagement(rng *rand.Rand, converted bool) *flow.Engagement {
	median, retry, returning := 240.0, 0.35, 0.08
	if converted {
		median, retry, returning = 200.0, 0.28, 0.12
	}
	g := &flow.Engagement{Seconds: int64(median * math.Exp(0.6*rng.NormFloat64()))}
	for g.Retries < 6 && rng.Float64() < retry {
		g.Retries++
	}
	g.Returning = rng.Float64() < returning
	return g
}

// demoDropouts makes up conversations that stopped before the end: most at
// the budget question, some refusing consent, some asking for a person.
func demoDropouts(rng *rand.Rand, n int, from, to time.Time) []store.Dropout {
	steps := []struct {
		step, status string
		weight       float64
	}{{"greeting", "abandoned", 6}, {"consent", "refused", 8}, {"consent", "abandoned", 5}, {"name", "abandoned", 6},
		{"city", "abandoned", 7}, {"budget", "abandoned", 22}, {"budget", "handoff", 6}, {"urgency", "abandoned", 9},
		{"service", "abandoned", 5}, {"service", "opted_out", 2}}
	var total float64
	for _, s := range steps {
		total += s.weight
	}
	span := to.Sub(from)
	out := make([]store.Dropout, n)
	for i := range out {
		r := rng.Float64() * total
		k := 0
		for ; k < len(steps)-1; k++ {
			if r -= steps[k].weight; r < 0 {
				break
			}
		}
		out[i] = store.Dropout{Step: steps[k].step, Status: steps[k].status, At: from.Add(time.Duration(rng.Float64() * float64(span)))}
	}
	return out
}
