package demo

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/cis-agencia/cis/store"
)

// Demo customers (documented in docs/models.md). Every converted lead of
// the demo history becomes a customer; its month-by-month history is
// simulated up to the end of the history. Made-up but plausible effects:
//
//   - Start 7–21 days after the lead; monthly fee = the lead's budget
//     midpoint (rounded to 50,000; 1.2 M for an unknown budget); plan by fee:
//     básico < 1 M ≤ estándar < 3 M ≤ premium.
//   - Two hidden states walk month by month: money trouble (drives late
//     payments) and dissatisfaction (drives support contacts and less use of
//     the service). Both drift, so recent behaviour says more than old.
//   - One payment a month, late by 0 days or, in trouble, by 3–40 days;
//     support contacts Poisson(0.2 + 0.9·dissatisfaction); activity (use of
//     the service) 0–4 times a month, fewer when dissatisfied.
//   - A 12 % fee increase at the first anniversary for half of the customers.
//   - Monthly cancellation hazard (log-odds): −3.6 + 0.9·trouble +
//     1.0·dissatisfaction + 0.8 in the first 3 months + 1.0 in the two months
//     after a fee increase; branding −0.3 (long projects), ads +0.25, and
//     básico +0.3. About 4–5 % of active customers cancel each month.
type demoCustomerState struct {
	trouble, unhappy float64
}

var demoNames = [2][]string{
	{"Panadería", "Ferretería", "Clínica Dental", "Tienda", "Restaurante", "Gimnasio", "Inmobiliaria", "Óptica", "Floristería", "Academia", "Veterinaria", "Café", "Hotel", "Taller", "Boutique"},
	{"La Esquina", "El Roble", "Santa Fe", "Los Andes", "Aurora", "El Poblado", "Nogal", "La 70", "Sol y Luna", "Horizonte", "Brisas", "La Candelaria", "El Prado", "Laureles", "Montaña"},
}

// Customers turns the converted leads of a demo history into
// customers with histories ending at end. The same seed gives the same
// customers; keys are prefix + the lead's index.
func Customers(hist []Lead, end time.Time, seed uint64, prefix string) []store.CustomerImport {
	rng := rand.New(rand.NewPCG(seed, 0xc057)) // #nosec G404 -- seeded on purpose: the same seed gives the same demo
	var out []store.CustomerImport
	for i, l := range hist {
		if !l.Converted {
			continue
		}
		start := l.Lead.CompletedAt.Add(time.Duration(7+rng.IntN(15)) * 24 * time.Hour)
		if !start.Before(end) {
			continue
		}
		// The plan follows the client's size (its budget); the fee is what
		// the agency bills, as the history's revenue counts it (demoFee).
		size, fee := int64(1_200_000), int64(700_000)
		if !l.Lead.Budget.Unknown {
			size = max(200_000, (l.Lead.Budget.MinCOP/2+l.Lead.Budget.MaxCOP/2)/50_000*50_000)
			fee = demoFee(l.Lead.Budget) / 50_000 * 50_000
		}
		c := store.CustomerImport{Customer: store.Customer{
			ExtKey:   fmt.Sprintf("%s%d", prefix, i),
			Name:     demoNames[0][rng.IntN(len(demoNames[0]))] + " " + demoNames[1][rng.IntN(len(demoNames[1]))],
			CityCode: l.Lead.City.Code, Service: l.Lead.Service, Source: l.Lead.Source, Plan: demoPlan(size),
			MonthlyFeeCOP: fee, StartedAt: start,
		}}
		c.Events = append(c.Events, store.CustomerEvent{Kind: store.EventFeeChange, At: start, AmountCOP: fee})
		demoCustomerLife(rng, &c, end)
		out = append(out, c)
	}
	return out
}

// demoPlan names the plan as the agency writes it in its customer file.
func demoPlan(size int64) string {
	switch {
	case size < 1_000_000:
		return planBasic
	case size < 3_000_000:
		return "Estándar"
	}
	return "Premium"
}

const planBasic = "Básico"

// demoCustomerLife simulates c month by month from its start until it
// cancels or end comes.
func demoCustomerLife(rng *rand.Rand, c *store.CustomerImport, end time.Time) {
	st := demoCustomerState{trouble: rng.NormFloat64()*0.5 - 0.5, unhappy: rng.NormFloat64()*0.5 - 0.5}
	raise := rng.IntN(2) == 0
	raisedAt := -10
	fee := c.MonthlyFeeCOP
	for m := 0; ; m++ {
		month := c.StartedAt.AddDate(0, m, 0)
		if !month.Before(end) {
			store.SortEvents(c.Events)
			return
		}
		// Hidden states drift toward their means with shocks; a customer
		// decides on last month's state as much as this month's, and last
		// month's already left its traces (late payments, support calls).
		prev := st
		st.trouble = 0.9*st.trouble + 0.35*rng.NormFloat64() - 0.04
		st.unhappy = 0.9*st.unhappy + 0.35*rng.NormFloat64() - 0.04
		if raise && m == 12 {
			fee = fee * 112 / 100 / 50_000 * 50_000
			raisedAt = m
			c.Events = append(c.Events, store.CustomerEvent{Kind: store.EventFeeChange, At: month, AmountCOP: fee})
			c.MonthlyFeeCOP = fee
			st.unhappy += 0.4
		}
		// Payment of the month (due on the start's day of month).
		late := 0
		if t := sigmoid(-1.0 + 3*st.trouble); rng.Float64() < t {
			late = 3 + rng.IntN(8+int(30*math.Max(st.trouble, 0)))
		}
		if at := month.Add(time.Duration(late) * 24 * time.Hour); at.Before(end) {
			c.Events = append(c.Events, store.CustomerEvent{Kind: store.EventPayment, At: at, AmountCOP: fee, DaysLate: late})
		}
		for range poisson(rng, 0.1+2.5*math.Max(st.unhappy+0.2, 0)) {
			if at := month.Add(time.Duration(rng.IntN(30*24)) * time.Hour); at.Before(end) {
				c.Events = append(c.Events, store.CustomerEvent{Kind: store.EventSupport, At: at, Detail: "soporte"})
			}
		}
		uses := max(0, 4-int(math.Round(3*math.Max(st.unhappy+0.4, 0)))-rng.IntN(2))
		for k := range uses {
			if at := month.Add(time.Duration(k*7*24+rng.IntN(6*24)) * time.Hour); at.Before(end) {
				c.Events = append(c.Events, store.CustomerEvent{Kind: store.EventActivity, At: at})
			}
		}
		z := -2.3 + 0.7*(st.trouble+prev.trouble) + 0.9*(st.unhappy+prev.unhappy)
		if m < 3 {
			z += 1.0
		}
		if m-raisedAt >= 0 && m-raisedAt < 3 {
			z += 1.2
		}
		switch c.Service {
		case "branding":
			z -= 0.3
		case "ads":
			z += 0.25
		}
		if c.Plan == planBasic {
			z += 0.3
		}
		if rng.Float64() < sigmoid(z) {
			at := month.Add(time.Duration(3+rng.IntN(26)) * 24 * time.Hour)
			if at.Before(end) {
				c.CancelledAt = at
			}
			store.SortEvents(c.Events)
			if !c.CancelledAt.IsZero() { // nothing happens after the cancellation
				n := 0
				for _, e := range c.Events {
					if !e.At.After(c.CancelledAt) {
						c.Events[n] = e
						n++
					}
				}
				c.Events = c.Events[:n]
			}
			return
		}
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// poisson draws a Poisson count (Knuth; λ is small here).
func poisson(rng *rand.Rand, lambda float64) int {
	l, k, p := math.Exp(-lambda), 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
