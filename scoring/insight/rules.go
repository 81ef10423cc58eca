package insight

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// Facts is what the rules look at, read from the store's summaries.
type Facts struct {
	Now       time.Time
	Campaigns []ROI            // the period's campaigns
	Dims      []store.DimMonth // feature counts of the last 13 months or more
	SLA       []store.ClassSLA // leads since the start of this week
	WeekStart string           // YYYY-MM-DD
	Churn     store.ChurnRisk  // latest churn scoring; zero when none
	ChurnMin  float64          // probability from which a customer counts as at risk
	Drop      Drop             // live lead model against its training AUC
}

// Finding is one plain-language finding with the numbers behind it.
type Finding struct {
	Rule   string
	Level  string // warn, good, info
	ES, EN string
	N      int // cases it rests on
}

// Text is the finding in lang (Spanish unless "en").
func (f Finding) Text(lang string) string {
	if lang == "en" {
		return f.EN
	}
	return f.ES
}

// A Rule looks at the facts and returns its findings; it must return none
// when its cases are fewer than MinSample. The list is open: append a rule
// (e.g. from new data) to Rules' result and the page shows its findings.
type Rule struct {
	Name      string
	MinSample int
	Eval      func(f Facts, least int) []Finding
}

// Minimum samples (docs/analytics.md).
const (
	MinGroup    = 100 // leads in a city or service, and in the rest, before comparing them
	MinCampaign = 30  // leads of a campaign before calling it a loss
	MinSLA      = 20  // leads of a class this week
	MinDrift    = 200 // recent leads before comparing distributions
	MinChurn    = 20  // customers in the latest churn scoring
)

// Rules is the default list.
func Rules() []Rule {
	return []Rule{
		{"group_conversion", MinGroup, groupConversion},
		{"campaign_loses", MinCampaign, campaignLoses},
		{"sla_breaches", MinSLA, slaBreaches},
		{"drift", MinDrift, drift},
		{"live_model_drop", MinLive, liveModel},
		{"churn_revenue_at_risk", MinChurn, churnAtRisk},
	}
}

// Run evaluates rules in order, warnings first.
func Run(f Facts, rules []Rule) []Finding {
	var out []Finding
	for _, r := range rules {
		for _, x := range r.Eval(f, r.MinSample) {
			x.Rule = r.Name
			out = append(out, x)
		}
	}
	rank := map[string]int{"warn": 0, "good": 1, "info": 2}
	sort.SliceStable(out, func(i, j int) bool { return rank[out[i].Level] < rank[out[j].Level] })
	return out
}

func num(v float64, d int, es bool) string { return chart.FormatNumber(v, d, es) }
func pct(v float64, es bool) string        { return chart.FormatNumber(100*v, 1, es) + " %" }
func pesos(v int64, es bool) string {
	s := "$" + chart.FormatNumber(math.Abs(float64(v)), 0, es)
	if v < 0 {
		return "-" + s
	}
	return s
}

var dimNames = map[string][2]string{"city": {"ciudad", "city"}, "service": {"servicio", "service"},
	"urgency": {"urgencia", "urgency"}, "budget": {"presupuesto", "budget"}}

// groupConversion finds cities and services whose conversion over the last
// twelve months differs from the rest's at the 1 % level (two-proportion
// z test, |z| ≥ 2.576), each with at least min leads on both sides.
func groupConversion(f Facts, least int) []Finding {
	from := f.Now.AddDate(0, -12, 0).Format("2006-01")
	type cnt struct{ n, won int }
	var out []Finding
	for _, dim := range []string{"city", "service"} {
		groups := map[string]*cnt{}
		var total cnt
		for _, d := range f.Dims {
			if d.Dim != dim || d.Month < from || d.Value == "" {
				continue
			}
			g, ok := groups[d.Value]
			if !ok {
				g = &cnt{}
				groups[d.Value] = g
			}
			g.n += d.N
			g.won += d.Won
			total.n += d.N
			total.won += d.Won
		}
		type hit struct {
			value string
			z     float64
			c     cnt
		}
		var hits []hit
		for v, g := range groups {
			rest := cnt{total.n - g.n, total.won - g.won}
			if g.n < least || rest.n < least {
				continue
			}
			if z := TwoProportionZ(g.won, g.n, rest.won, rest.n); math.Abs(z) >= 2.576 {
				hits = append(hits, hit{v, z, *g})
			}
		}
		sort.Slice(hits, func(i, j int) bool { return math.Abs(hits[i].z) > math.Abs(hits[j].z) })
		for _, h := range hits[:min(len(hits), 3)] {
			rest := cnt{total.n - h.c.n, total.won - h.c.won}
			rate, rrate := float64(h.c.won)/float64(h.c.n), float64(rest.won)/float64(rest.n)
			lo, hi := learn.Wilson(h.c.won, h.c.n)
			say := func(es bool) string {
				i, dir := 0, "por encima"
				if !es {
					i, dir = 1, "above"
				}
				if h.z < 0 {
					dir = map[bool]string{true: "por debajo", false: "below"}[es]
				}
				if es {
					return fmt.Sprintf("%s «%s» convierte %s del promedio: %s (IC 95 %% %s–%s, %s leads en 12 meses) frente a %s del resto (%s leads).",
						capital(dimNames[dim][i]), h.value, dir, pct(rate, es), pct(lo, es), pct(hi, es), num(float64(h.c.n), 0, es), pct(rrate, es), num(float64(rest.n), 0, es))
				}
				return fmt.Sprintf("%s “%s” converts %s average: %s (95 %% CI %s–%s, %s leads in 12 months) against %s for the rest (%s leads).",
					capital(dimNames[dim][i]), h.value, dir, pct(rate, es), pct(lo, es), pct(hi, es), num(float64(h.c.n), 0, es), pct(rrate, es), num(float64(rest.n), 0, es))
			}
			level := "good"
			if h.z < 0 {
				level = "info"
			}
			out = append(out, Finding{Level: level, ES: say(true), EN: say(false), N: h.c.n})
		}
	}
	return out
}

func campaignLoses(f Facts, least int) []Finding {
	var out []Finding
	for _, c := range f.Campaigns {
		if c.SpendCOP == 0 || c.Leads < least || !finite(c.ROI) || c.ROI.V >= 0 {
			continue
		}
		say := func(es bool) string {
			if es {
				return fmt.Sprintf("La campaña «%s» pierde dinero: gastó %s y sus %s leads trajeron %s de ingresos con %s clientes (ROI %s).",
					c.Name, pesos(c.SpendCOP, es), num(float64(c.Leads), 0, es), pesos(c.RevenueCOP, es), num(float64(c.Won), 0, es), pct(c.ROI.V, es))
			}
			return fmt.Sprintf("Campaign “%s” loses money: it spent %s and its %s leads brought %s of revenue from %s customers (ROI %s).",
				c.Name, pesos(c.SpendCOP, es), num(float64(c.Leads), 0, es), pesos(c.RevenueCOP, es), num(float64(c.Won), 0, es), pct(c.ROI.V, es))
		}
		out = append(out, Finding{Level: "warn", ES: say(true), EN: say(false), N: c.Leads})
	}
	return out
}

// slaBreaches reports a class of which at least 10 % of this week's leads
// were contacted late or are still waiting past their deadline.
func slaBreaches(f Facts, least int) []Finding {
	names := map[string][2]string{"hot": {"calientes", "hot"}, "warm": {"tibios", "warm"}, "cold": {"fríos", "cold"}}
	var out []Finding
	for _, c := range f.SLA {
		nm, ok := names[c.Class]
		if !ok || c.Leads < least {
			continue
		}
		bad := c.Late + c.OpenOverdue
		share := float64(bad) / float64(c.Leads)
		if share < 0.10 {
			continue
		}
		es, en := true, false
		out = append(out, Finding{Level: "warn", N: c.Leads,
			ES: fmt.Sprintf("Esta semana (desde el %s) %s de %s leads %s (%s) no se contactaron a tiempo: %s tarde y %s aún esperando.",
				f.WeekStart, num(float64(bad), 0, es), num(float64(c.Leads), 0, es), nm[0], pct(share, es), num(float64(c.Late), 0, es), num(float64(c.OpenOverdue), 0, es)),
			EN: fmt.Sprintf("This week (since %s) %s of %s %s leads (%s) were not contacted in time: %s late and %s still waiting.",
				f.WeekStart, num(float64(bad), 0, en), num(float64(c.Leads), 0, en), nm[1], pct(share, en), num(float64(c.Late), 0, en), num(float64(c.OpenOverdue), 0, en))})
	}
	return out
}

// drift compares the newest month holding at least min leads with the
// twelve months before it, feature by feature (PSI > 0.25 is a shift).
func drift(f Facts, least int) []Finding {
	byMonth := map[string]int{}
	for _, d := range f.Dims {
		if d.Dim == "city" {
			byMonth[d.Month] += d.N
		}
	}
	months := make([]string, 0, len(byMonth))
	for m := range byMonth {
		months = append(months, m)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(months)))
	recent := ""
	for _, m := range months {
		if byMonth[m] >= least {
			recent = m
			break
		}
	}
	if recent == "" {
		return nil
	}
	t, _ := time.Parse("2006-01", recent)
	from := t.AddDate(-1, 0, 0).Format("2006-01")
	var out []Finding
	for _, dim := range []string{"city", "service", "urgency", "budget"} {
		exp, act := map[string]int{}, map[string]int{}
		var ne int
		for _, d := range f.Dims {
			if d.Dim != dim {
				continue
			}
			switch {
			case d.Month == recent:
				act[d.Value] += d.N
			case d.Month >= from && d.Month < recent:
				exp[d.Value] += d.N
				ne += d.N
			}
		}
		if ne < least {
			continue
		}
		psi := PSI(exp, act)
		if psi <= 0.25 {
			continue
		}
		// The value whose share moved most, to say what changed.
		var top string
		var move, sa, se float64
		ta, te := float64(sum(act)), float64(ne)
		for k := range union(exp, act) {
			a, e := float64(act[k])/ta, float64(exp[k])/te
			if math.Abs(a-e) > move {
				top, move, sa, se = k, math.Abs(a-e), a, e
			}
		}
		n := sum(act)
		out = append(out, Finding{Level: "warn", N: n,
			ES: fmt.Sprintf("Los leads de %s ya no se parecen a los de los 12 meses anteriores en %s (PSI %s sobre %s leads): «%s» pasó de %s a %s. Conviene reentrenar el modelo (cis train).",
				recent, dimNames[dim][0], num(psi, 2, true), num(float64(n), 0, true), top, pct(se, true), pct(sa, true)),
			EN: fmt.Sprintf("Leads of %s no longer look like the 12 months before in %s (PSI %s over %s leads): “%s” went from %s to %s. Consider retraining the model (cis train).",
				recent, dimNames[dim][1], num(psi, 2, false), num(float64(n), 0, false), top, pct(se, false), pct(sa, false))})
	}
	return out
}

func liveModel(f Facts, least int) []Finding {
	d := f.Drop
	if !d.Flag || d.N < least {
		return nil
	}
	return []Finding{{Level: "warn", N: d.N,
		ES: fmt.Sprintf("El modelo de leads acierta menos en vivo: ROC AUC %s en %s leads cerrados desde %s, frente a %s al entrenarlo. Reentrena con cis train.",
			num(d.Live, 3, true), num(float64(d.N), 0, true), d.From, num(d.Train, 3, true)),
		EN: fmt.Sprintf("The lead model performs worse live: ROC AUC %s on %s closed leads since %s, against %s at training time. Retrain with cis train.",
			num(d.Live, 3, false), num(float64(d.N), 0, false), d.From, num(d.Train, 3, false))}}
}

func churnAtRisk(f Facts, least int) []Finding {
	c := f.Churn
	if c.Scored < least || c.AtRisk == 0 {
		return nil
	}
	return []Finding{{Level: "warn", N: c.Scored,
		ES: fmt.Sprintf("%s de %s clientes activos tienen un riesgo de cancelar de %s o más en 30 días; pagan %s al mes.",
			num(float64(c.AtRisk), 0, true), num(float64(c.Scored), 0, true), pct(f.ChurnMin, true), pesos(c.MonthlyCOP, true)),
		EN: fmt.Sprintf("%s of %s active customers have a %s or higher risk of cancelling within 30 days; they pay %s a month.",
			num(float64(c.AtRisk), 0, false), num(float64(c.Scored), 0, false), pct(f.ChurnMin, false), pesos(c.MonthlyCOP, false))}}
}

func sum(m map[string]int) int {
	var s int
	for _, v := range m {
		s += v
	}
	return s
}

func union(a, b map[string]int) map[string]bool {
	u := map[string]bool{}
	for k := range a {
		u[k] = true
	}
	for k := range b {
		u[k] = true
	}
	return u
}

func capital(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	if r[0] >= 'a' && r[0] <= 'z' {
		r[0] -= 'a' - 'A'
	}
	return string(r)
}
