package demo

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// CampaignRows turns the demo agency's campaigns, drawn from every demo
// lead (history and past bot leads, so that each campaign key a lead names
// exists), into the rows ImportCampaigns takes: one row per campaign
// (started 18 months before monthStart), then one per day or month of its
// spend. Kept apart from seeding.Analytics, which decides what to seed,
// because this is only the shape the store's import wants.
func CampaignRows(leads []Lead, seed uint64, monthStart time.Time) []store.CampaignRow {
	var rows []store.CampaignRow
	for _, c := range Campaigns(leads, seed) {
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

// Engagement draws how a past bot lead went through the questions,
// given its outcome, with a weak documented effect (docs/models.md): a
// prospect who converts answers a little faster (median 200 s from the
// consent against 240 s), a little more fully (each answer is not
// understood with probability 0.28 against 0.35, repeated) and is a
// returning contact more often (12 % against 8 %). Imported demo history
// has no conversation behind it, so it carries none of this.
func Engagement(rng *rand.Rand, converted bool) *flow.Engagement {
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

// Dropouts makes up conversations that stopped before the end: most at
// the budget question, some refusing consent, some asking for a person.
func Dropouts(rng *rand.Rand, n int, from, to time.Time) []store.Dropout {
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
