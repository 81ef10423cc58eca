package insight

import (
	"math"
	"sort"
	"time"

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
	// Hours are the leads and broken promises per hour of the day over the
	// last four weeks, with the advisors the schedules had on shift then.
	Hours [24]store.HourStaff
}

// Finding is one finding as a key and the numbers behind it: the
// dashboard words it in the reader's language (its catalogue holds the
// sentence of each Key, with a %s for each of Args in order).
type Finding struct {
	Rule  string
	Level string // warn, good, info
	Key   string // the sentence: "insight.<rule>[.<variant>]"
	Args  []Arg
	N     int // cases it rests on
}

// Kind is how an Arg is shown.
type Kind int

// The kinds of Arg.
const (
	KindCount   Kind = iota // V, a whole number
	KindDecimal             // V with Digits decimals
	KindPercent             // V, a share (0.3 is 30,0 %)
	KindPesos               // V, pesos
	KindText                // S as it is: a campaign's name, a month, a city
	KindWord                // S is a catalogue key: the word in the reader's language
)

// Arg is one value a finding's sentence shows.
type Arg struct {
	Kind   Kind
	V      float64
	Digits int
	S      string
}

// Count, Decimal, Percent, Pesos, Text and Word make the Args of findings.
func Count(n int) Arg                   { return Arg{Kind: KindCount, V: float64(n)} }
func Decimal(v float64, digits int) Arg { return Arg{Kind: KindDecimal, V: v, Digits: digits} }
func Percent(v float64) Arg             { return Arg{Kind: KindPercent, V: v} }
func Pesos(v int64) Arg                 { return Arg{Kind: KindPesos, V: float64(v)} }
func Text(s string) Arg                 { return Arg{Kind: KindText, S: s} }
func Word(key string) Arg               { return Arg{Kind: KindWord, S: key} }

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
	MinStaffing = 20  // leads in a block of hours, and in the rest of the day
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
		{"staffing_hours", MinStaffing, staffingHours},
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
			dir := "above"
			if h.z < 0 {
				dir = "below"
			}
			args := []Arg{Word("insight.dim_title." + dim), Text(h.value), Percent(rate), Percent(lo), Percent(hi),
				Count(h.c.n), Percent(rrate), Count(rest.n)}
			level := "good"
			if h.z < 0 {
				level = "info"
			}
			out = append(out, Finding{Level: level, Key: "insight.group_conversion." + dir, Args: args, N: h.c.n})
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
		out = append(out, Finding{Level: "warn", N: c.Leads, Key: "insight.campaign_loses", Args: []Arg{Text(c.Name), Pesos(c.SpendCOP),
			Count(c.Leads), Pesos(c.RevenueCOP), Count(c.Won), Percent(c.ROI.V)}})
	}
	return out
}

// slaBreaches reports a class of which at least 10 % of this week's leads
// were contacted late or are still waiting past their deadline.
func slaBreaches(f Facts, least int) []Finding {
	classes := map[string]bool{"hot": true, "warm": true, "cold": true}
	var out []Finding
	for _, c := range f.SLA {
		if !classes[c.Class] || c.Leads < least {
			continue
		}
		bad := c.Late + c.OpenOverdue
		share := float64(bad) / float64(c.Leads)
		if share < 0.10 {
			continue
		}
		out = append(out, Finding{Level: "warn", N: c.Leads, Key: "insight.sla_breaches", Args: []Arg{Text(f.WeekStart), Count(bad),
			Count(c.Leads), Word("insight.class." + c.Class), Percent(share), Count(c.Late), Count(c.OpenOverdue)}})
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
		out = append(out, Finding{Level: "warn", N: n, Key: "insight.drift", Args: []Arg{Text(recent), Word("insight.dim." + dim),
			Decimal(psi, 2), Count(n), Text(top), Percent(se), Percent(sa)}})
	}
	return out
}

func liveModel(f Facts, least int) []Finding {
	d := f.Drop
	if !d.Flag || d.N < least {
		return nil
	}
	return []Finding{{Level: "warn", N: d.N, Key: "insight.live_model_drop",
		Args: []Arg{Decimal(d.Live, 3), Count(d.N), Text(d.From), Decimal(d.Train, 3)}}}
}

func churnAtRisk(f Facts, least int) []Finding {
	c := f.Churn
	if c.Scored < least || c.AtRisk == 0 {
		return nil
	}
	return []Finding{{Level: "warn", N: c.Scored, Key: "insight.churn_revenue_at_risk",
		Args: []Arg{Count(c.AtRisk), Count(c.Scored), Percent(f.ChurnMin), Pesos(c.MonthlyCOP)}}}
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
