package demo

import (
	"math/rand/v2"
	"sort"
)

// Campaign is one campaign of the demo agency with its spend, by day
// (Daily) or by month, keyed by YYYY-MM-DD (a month's first day).
type Campaign struct {
	Key, Name, Channel string
	Daily              bool
	Spend              map[string]int64
}

// Demo campaign assumptions (docs/analytics.md): one campaign per demo
// source. What each costs is set against what its customers pay, at the
// shares an agency of this size spends to win customers (about 15 % of its
// revenue in all, half of it on fairs): Facebook about 12 % of what its
// customers pay (some 430 millones a year, a cost per lead near 100.000
// pesos), Instagram 16 %, Google 7 %, referral bonuses 4 %, organic
// nothing, and the trade fairs, with their stands, cost more than they
// bring (the demo's money-losing campaign). Paid media spend
// daily, in proportion to the day's leads (±15 %); fairs and referral
// bonuses are paid by month.
var demoCampaignPlan = []struct {
	key, name, channel string
	daily              bool
	costShare          float64 // spend as a share of the campaign's revenue
}{
	{"facebook_ads", "Facebook Ads – pauta permanente", "facebook", true, 0.12},
	{"google_ads", "Google Ads – búsqueda", "google", true, 0.07},
	{"instagram", "Instagram – historias y reels", "instagram", true, 0.16},
	{"referido", "Programa de referidos", "referral", false, 0.04},
	{"organico", "Orgánico (web y redes)", "web", false, 0},
	{"feria", "Ferias empresariales", "other", false, 1.25},
}

// Campaigns derives the demo campaigns' spend from the demo leads
// (history and live, with their revenue), seeded so it is reproducible.
func Campaigns(leads []Lead, seed uint64) []Campaign {
	rng := rand.New(rand.NewPCG(seed, 0xca4a)) // #nosec G404 -- seeded on purpose: the same seed gives the same demo
	type agg struct {
		n   int
		rev int64
		per map[string]int // leads per day or month
	}
	by := map[string]*agg{}
	for _, p := range demoCampaignPlan {
		by[p.key] = &agg{per: map[string]int{}}
	}
	for _, l := range leads {
		a, ok := by[l.Lead.Source]
		if !ok {
			continue
		}
		local := l.Lead.CompletedAt.In(bogota)
		a.n++
		a.rev += l.RevenueCOP
		a.per[local.Format("2006-01-02")]++
		a.per[local.Format("2006-01")+"-01m"]++ // month bucket, told apart from the 1st's day bucket
	}
	out := make([]Campaign, 0, len(demoCampaignPlan))
	for _, p := range demoCampaignPlan {
		a := by[p.key]
		c := Campaign{Key: p.key, Name: p.name, Channel: p.channel, Daily: p.daily, Spend: map[string]int64{}}
		if a.n > 0 && p.costShare > 0 {
			perLead := p.costShare * float64(a.rev) / float64(a.n)
			keys := make([]string, 0, len(a.per))
			for k := range a.per {
				keys = append(keys, k)
			}
			sort.Strings(keys) // the draws follow a fixed order
			for _, k := range keys {
				month := len(k) == 11
				if month == p.daily {
					continue
				}
				amount := perLead * float64(a.per[k]) * (0.85 + 0.3*rng.Float64())
				// Whole thousands of pesos, as invoices are.
				c.Spend[k[:10]] = int64(amount/1000) * 1000
			}
		}
		out = append(out, c)
	}
	return out
}
