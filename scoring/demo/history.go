// Package demo generates the invented demo agency: its lead history,
// customers with month-by-month lives, campaigns with spend, and past bot
// leads' engagement and dropped conversations. Every generator is seeded,
// so the same seed gives the same demo on every machine. It imports no
// scoring package (scoring's own tests train on these histories);
// demo/seeding writes them to a store.
package demo

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
)

// Agency is the invented agency whose history `cis demo` generates.
const Agency = "Impulso Digital S.A.S. (Medellín, invented)"

// Seed makes the demo the same on every machine.
const Seed = 20260301

// bogota is the demo agency's time zone: days and hours are local.
var bogota = flow.Bogota()

// Demo history assumptions (documented in docs/models.md). The agency is
// based in Medellín and sells digital-marketing services to Colombian
// SMEs. Every number below is made up to look plausible; nothing is
// measured. Tests only check that a model trained on this history ranks
// leads clearly better than chance, never that it recovers these effects.
//
//   - Volume: about n leads over 18 months; more in January–March and
//     September–November (budgets are decided), fewer in late December,
//     July and Holy Week; weekdays busier than weekends; each lead between
//     07:00 and 21:00, Bogotá time.
//   - City: Medellín 30 %, Bogotá 24 %, Cali 10 %, Barranquilla 6 %,
//     Envigado, Itagüí, Bucaramanga, Pereira, Cartagena, Manizales, Rionegro,
//     Cúcuta, Ibagué, Villavicencio 2–4 % each, abroad 1 %.
//   - Budget (COP/month): log-normal around 1.8 M; 12 % "no sé"; 15 % ranges.
//   - Urgency: immediate 20 %, this month 30 %, 1–3 months 30 %, exploring 20 %.
//   - Service: ads 28 %, social 22 %, web 20 %, SEO 15 %, branding 10 %, e-mail 5 %.
//   - Source: Facebook ads, Google ads, Instagram, referral, organic, trade fair.
//   - Conversion (log-odds, base −2.3): urgency +1.2 / +0.7 / +0.1 / −0.8;
//     +0.9 per tenfold budget above 2 M; unknown budget −0.3; Medellín and
//     its metro area +0.35 (local agency), Barranquilla −0.3, abroad −0.9;
//     ads +0.3, web +0.2, branding −0.35, e-mail −0.2; referral +0.7, Google
//     +0.25, trade fair +0.3, Facebook −0.15; January–March +0.15,
//     December −0.4; plus Gaussian noise (σ 0.6) per lead. About 16 %
//     convert.
//   - Revenue of a converted lead: the agency's monthly fee (a quarter of
//     the budget, 500.000 to 8 millones) times 3–12 months. With about
//     1.100 leads a month (some 20 advisors) this is an agency billing
//     about 14.000 millones a year.
type demoCity struct {
	name   string // what a prospect types; read by flow's gazetteer
	weight float64
	effect float64
}

var demoCities = []demoCity{
	{"Medellín", 30, 0.35}, {"Bogotá", 24, 0}, {"Cali", 10, -0.1}, {"Barranquilla", 6, -0.3},
	{"Envigado", 4, 0.35}, {"Itagüí", 3, 0.35}, {"Bucaramanga", 4, 0}, {"Pereira", 3, 0.1},
	{"Cartagena", 3, -0.2}, {"Manizales", 2, 0.05}, {"Rionegro, Antioquia", 2, 0.35},
	{"Cúcuta", 2, -0.2}, {"Ibagué", 2, 0}, {"Villavicencio", 2, -0.1}, {"Miami", 1, -0.9},
}

var demoServices = []struct {
	key            string
	weight, effect float64
}{{"ads", 28, 0.3}, {"social", 22, 0}, {"web", 20, 0.2}, {"seo", 15, 0}, {"branding", 10, -0.35}, {"email", 5, -0.2}}

var demoSources = []struct {
	key            string
	weight, effect float64
}{{"facebook_ads", 30, -0.15}, {"google_ads", 22, 0.25}, {"instagram", 20, 0}, {"referido", 10, 0.7}, {"organico", 13, 0}, {"feria", 5, 0.3}}

var demoUrgency = []struct {
	u              flow.Urgency
	weight, effect float64
}{{flow.Immediate, 20, 1.2}, {flow.ThisMonth, 30, 0.7}, {flow.OneToThreeMonths, 30, 0.1}, {flow.Exploring, 20, -0.8}}

// Lead is one generated historical lead: what scoring.Example holds, and
// what a converted one paid. (The generator does not import scoring, whose
// own tests train on these histories.)
type Lead struct {
	Lead       flow.Lead // CompletedAt is when the lead arrived
	Converted  bool
	RevenueCOP int64 // 0 when not converted
}

// History returns about n leads of the demo agency, arriving over
// the 18 months before end, oldest first. The same seed gives the same
// history. places is flow's gazetteer (city names are read through it).
func History(places *place.Places, n int, end time.Time, seed uint64) []Lead {
	rng := rand.New(rand.NewPCG(seed, 0xde70)) // #nosec G404 -- seeded: the same seed gives the same demo history
	cities := make([]flow.City, len(demoCities))
	for i, c := range demoCities {
		r := places.Parse(c.name)
		cities[i] = r.City
		if r.Match == place.CityNotFound {
			cities[i] = flow.City{Name: c.name, Foreign: true}
		}
	}
	// Days start at Bogotá's midnight, so a lead's hour (07:00–21:00) is
	// local: people write while they are awake, mostly in office hours.
	local := end.In(bogota).AddDate(0, -18, 0)
	start := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, bogota)
	days := int(end.Sub(start).Hours() / 24)
	// Daily weights: season × weekday; leads are spread proportionally.
	weights := make([]float64, days)
	var total float64
	for d := range days {
		day := start.AddDate(0, 0, d)
		w := 1.0
		switch day.Month() {
		case time.January, time.February, time.March, time.September, time.October, time.November:
			w = 1.25
		case time.July:
			w = 0.8
		case time.December:
			if day.Day() > 15 {
				w = 0.4
			}
		}
		switch day.Weekday() {
		case time.Saturday:
			w *= 0.5
		case time.Sunday:
			w *= 0.3
		}
		weights[d] = w
		total += w
	}
	out := make([]Lead, 0, n)
	for d := range days {
		k := int(math.Round(float64(n) * weights[d] / total * (0.8 + 0.4*rng.Float64())))
		day := start.AddDate(0, 0, d)
		for range k {
			at := day.Add(time.Duration(7*3600+rng.IntN(14*3600)) * time.Second)
			out = append(out, demoLead(rng, cities, at))
		}
	}
	return out
}

func demoLead(rng *rand.Rand, cities []flow.City, at time.Time) Lead {
	z := -2.3 + 0.6*rng.NormFloat64()
	ci := pickWeighted(rng, len(demoCities), func(i int) float64 { return demoCities[i].weight })
	z += demoCities[ci].effect
	l := flow.Lead{Channel: "whatsapp", City: cities[ci], StartedAt: at.UTC(), CompletedAt: at.Add(4 * time.Minute).UTC(), Lang: "es"}
	switch r := rng.Float64(); {
	case r < 0.12:
		l.Budget = flow.Budget{Unknown: true}
		z -= 0.3
	default:
		mid := math.Round(math.Exp(math.Log(1.8e6)+0.8*rng.NormFloat64())/50000) * 50000
		mid = math.Max(mid, 200000)
		l.Budget = flow.Budget{MinCOP: int64(mid), MaxCOP: int64(mid)}
		if r < 0.27 {
			l.Budget = flow.Budget{MinCOP: int64(mid * 0.75), MaxCOP: int64(mid * 1.25)}
		}
		z += 0.9 * math.Log10(mid/2e6)
	}
	ui := pickWeighted(rng, len(demoUrgency), func(i int) float64 { return demoUrgency[i].weight })
	l.Urgency = demoUrgency[ui].u
	z += demoUrgency[ui].effect
	si := pickWeighted(rng, len(demoServices), func(i int) float64 { return demoServices[i].weight })
	l.Service = demoServices[si].key
	z += demoServices[si].effect
	oi := pickWeighted(rng, len(demoSources), func(i int) float64 { return demoSources[i].weight })
	l.Source = demoSources[oi].key
	z += demoSources[oi].effect
	switch at.Month() {
	case time.January, time.February, time.March:
		z += 0.15
	case time.December:
		z -= 0.4
	}
	dl := Lead{Lead: l, Converted: rng.Float64() < 1/(1+math.Exp(-z))}
	if dl.Converted && !l.Budget.Unknown {
		dl.RevenueCOP = demoFee(l.Budget) * int64(3+rng.IntN(10))
	}
	return dl
}

// demoFee is what the agency bills a month for a customer with budget b:
// a quarter of the client's marketing budget (the rest is the media the
// client pays for), at least 500.000 and at most 8 millones, in whole
// thousands. The budget is what the prospect said; the fee is the agency's
// revenue.
func demoFee(b flow.Budget) int64 {
	fee := (b.MinCOP/2 + b.MaxCOP/2) / 4
	return min(max(fee, 500_000), 8_000_000) / 1000 * 1000
}

func pickWeighted(rng *rand.Rand, n int, w func(int) float64) int {
	var total float64
	for i := range n {
		total += w(i)
	}
	r := rng.Float64() * total
	for i := range n {
		if r -= w(i); r < 0 {
			return i
		}
	}
	return n - 1
}
