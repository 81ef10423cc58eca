package store

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// One number's analytics (issue 16, several numbers): with Period.Number
// set, the overview and campaign figures are read from the base tables of
// that number's leads and conversations instead of the summaries, which
// have no number column. Why not a number column in the summaries: every
// trigger of migration 0026 (and its PL/pgSQL twin) would be written again
// on both engines for a view that reads one number's leads, which an index
// on leads (account_id, completed_at) walks (BenchmarkNumberAnalytics at
// 100,000 leads: docs/benchmarks.md). The unfiltered view keeps reading
// the summaries.
//
// Days are Colombian (UTC-5): integer arithmetic on the milliseconds, the
// same on both engines, and the date is named in Go. Imported history has
// no number: a number's view counts live leads only.

const dayMs = 24 * 3600 * 1000

// msBounds returns the period as [from, to) in Unix milliseconds.
func (p Period) msBounds() (int64, int64, error) {
	from, to := int64(0), int64(math.MaxInt64)
	if p.From != "" {
		ms, err := dayStartMillis(p.From)
		if err != nil {
			return 0, 0, err
		}
		from = ms
	}
	if p.To != "" {
		ms, err := dayStartMillis(p.To)
		if err != nil {
			return 0, 0, err
		}
		to = ms + dayMs
	}
	return from, to, nil
}

// numberRows runs one of a number's reads over p (its arguments: the
// number, then p's bounds) on the readers and calls fn for every row.
func (s *Store) numberRows(ctx context.Context, q string, p Period, fn func(scanner) error) error {
	from, to, err := p.msBounds()
	if err != nil {
		return err
	}
	return eachRow(ctx, s.ro, q, []any{p.Number, from, to}, fn)
}

// dayName names a Colombian day number ((ms - 5 h) / 1 day) as YYYY-MM-DD.
func dayName(d int64) string {
	return time.Unix(d*86400, 0).UTC().Format("2006-01-02")
}

const numberLeadDaysQuery = `SELECT (completed_at - 18000000) / 86400000, class, COUNT(*),
		SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'won' THEN outcome_value_cop ELSE 0 END), SUM(CASE WHEN contacted_at IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN contacted_at <= deadline_at THEN 1 ELSE 0 END)
		FROM leads WHERE account_id = ? AND completed_at >= ? AND completed_at < ? GROUP BY 1, 2 ORDER BY 1, 2`

// numberLeadMonths is LeadMonths for one number.
func (s *Store) numberLeadMonths(ctx context.Context, p Period) ([]LeadMonth, error) {
	var out []LeadMonth
	err := s.numberRows(ctx, numberLeadDaysQuery, p, func(r scanner) error {
		var d int64
		m := LeadMonth{Origin: "live"}
		if err := r.Scan(&d, &m.Class, &m.N, &m.Won, &m.Lost, &m.RevenueCOP, &m.Contacted, &m.InSLA); err != nil {
			return err
		}
		m.Month = dayName(d)[:7]
		out = addLeadMonth(out, m)
		return nil
	})
	return out, err
}

// addLeadMonth adds a day's row to its month's row, keeping LeadMonths'
// order (month, then class).
func addLeadMonth(out []LeadMonth, m LeadMonth) []LeadMonth {
	for i := range out {
		o := &out[i]
		if o.Month == m.Month && o.Class == m.Class {
			o.N += m.N
			o.Won += m.Won
			o.Lost += m.Lost
			o.RevenueCOP += m.RevenueCOP
			o.Contacted += m.Contacted
			o.InSLA += m.InSLA
			return out
		}
	}
	out = append(out, m)
	for i := len(out) - 1; i > 0 && (out[i].Month < out[i-1].Month ||
		out[i].Month == out[i-1].Month && out[i].Class < out[i-1].Class); i-- {
		out[i], out[i-1] = out[i-1], out[i]
	}
	return out
}

const numberContactDelaysQuery = `SELECT class, CASE WHEN m < 0 THEN 0 WHEN m < 60 THEN m - m % 5 WHEN m < 480 THEN m - m % 15
		WHEN m - m % 60 < 20160 THEN m - m % 60 ELSE 20160 END, COUNT(*)
		FROM (SELECT class, (contacted_at - completed_at) / 60000 AS m FROM leads
		WHERE account_id = ? AND contacted_at IS NOT NULL AND completed_at >= ? AND completed_at < ?) AS d
		GROUP BY 1, 2 ORDER BY 2, 1`

// numberContactDelays is ContactDelays for one number.
func (s *Store) numberContactDelays(ctx context.Context, p Period) ([]DelayBucket, error) {
	var out []DelayBucket
	err := s.numberRows(ctx, numberContactDelaysQuery, p, func(r scanner) error {
		var b DelayBucket
		if err := r.Scan(&b.Class, &b.Minutes, &b.N); err != nil {
			return err
		}
		out = append(out, b)
		return nil
	})
	return out, err
}

const numberFunnelQuery = `SELECT step, status, COUNT(*) FROM conversations
		WHERE account_id = ? AND started_at >= ? AND started_at < ? GROUP BY 1, 2 ORDER BY 1, 2`

// numberFunnel is Funnel for one number.
func (s *Store) numberFunnel(ctx context.Context, p Period) ([]FunnelCount, error) {
	var out []FunnelCount
	err := s.numberRows(ctx, numberFunnelQuery, p, func(r scanner) error {
		var f FunnelCount
		if err := r.Scan(&f.Step, &f.Status, &f.N); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

const numberCampaignLeadsQuery = `SELECT source, class, COUNT(*),
		SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END),
		SUM(CASE WHEN status = 'won' THEN outcome_value_cop ELSE 0 END)
		FROM leads WHERE account_id = ? AND completed_at >= ? AND completed_at < ? GROUP BY 1, 2`

// numberCampaignLeads is campaignLeads for one number. Sources are grouped
// as written and keyed in Go (flow.CampaignKey, the one rule): calling
// campaign_key once per lead cost more than the rest of the page.
func (s *Store) numberCampaignLeads(ctx context.Context, set *campaignSet, p Period) error {
	return s.numberRows(ctx, numberCampaignLeadsQuery, p, func(r scanner) error {
		var src, class string
		var n, won, lost int
		var rev int64
		if err := r.Scan(&src, &class, &n, &won, &lost, &rev); err != nil {
			return err
		}
		f := set.get(flow.CampaignKey(src))
		f.Leads += n
		f.ByClass[classSlot(class)] += n
		f.Won += won
		f.Lost += lost
		f.RevenueCOP += rev
		return nil
	})
}

const numberSLAQuery = `SELECT class, COUNT(*), SUM(CASE WHEN contacted_at IS NOT NULL THEN 1 ELSE 0 END),
		SUM(CASE WHEN contacted_at > deadline_at THEN 1 ELSE 0 END)
		FROM leads WHERE account_id = ? AND completed_at >= ? GROUP BY 1 ORDER BY 1`

const numberOpenOverdueQuery = `SELECT class, COUNT(*) FROM leads WHERE status = 'open' AND deadline_at < ? AND completed_at >= ?
		AND account_id = ? GROUP BY 1`

// numberErr names the read and the number in an error (nil stays nil).
func numberErr(what string, number int64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s of number %d: %w", what, number, err)
}

const numberDimDaysQuery = `SELECT (completed_at - 18000000) / 86400000, city_name, service, urgency,
		CASE WHEN budget_unknown <> 0 THEN 'unknown' WHEN (budget_min_cop + budget_max_cop) / 2 < 1000000 THEN '<1M'
		WHEN (budget_min_cop + budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (budget_min_cop + budget_max_cop) / 2 < 10000000 THEN '3-10M'
		ELSE '10M+' END, COUNT(*), SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END)
		FROM leads WHERE account_id = ? AND completed_at >= ? AND completed_at < ? GROUP BY 1, 2, 3, 4, 5`

// numberDimMonths is DimMonths for one number: the same features and
// budget bands as lead_dim_monthly's triggers, summed by month in Go.
func (s *Store) numberDimMonths(ctx context.Context, p Period) ([]DimMonth, error) {
	sums := map[[3]string]*DimMonth{}
	err := s.numberRows(ctx, numberDimDaysQuery, wholeMonths(p), func(r scanner) error {
		var d int64
		var city, service, urgency, band string
		var n, won int
		if err := r.Scan(&d, &city, &service, &urgency, &band, &n, &won); err != nil {
			return err
		}
		month := dayName(d)[:7]
		for _, kv := range [4][2]string{{"city", city}, {"service", service}, {"urgency", urgency}, {"budget", band}} {
			k := [3]string{month, kv[0], kv[1]}
			m, ok := sums[k]
			if !ok {
				m = &DimMonth{Month: month, Dim: kv[0], Value: kv[1], Origin: "live"}
				sums[k] = m
			}
			m.N += n
			m.Won += won
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return sortedSums(sums, func(a, b DimMonth) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Dim, b.Dim), cmp.Compare(a.Value, b.Value))
	}), nil
}

// sortedSums returns the sums a read added up in a map, in order.
func sortedSums[K comparable, V any](sums map[K]*V, order func(a, b V) int) []V {
	out := make([]V, 0, len(sums))
	for _, m := range sums {
		out = append(out, *m)
	}
	slices.SortFunc(out, order)
	return out
}

// wholeMonths widens a period to the whole months it touches, as
// DimMonths counts months.
func wholeMonths(p Period) Period {
	if len(p.From) >= 7 {
		p.From = p.From[:7] + "-01"
	}
	if t, err := time.Parse("2006-01", p.To[:min(7, len(p.To))]); err == nil {
		p.To = t.AddDate(0, 1, -1).Format("2006-01-02")
	}
	return p
}

const numberOutcomesQuery = `SELECT (completed_at - 18000000) / 86400000, model, class, probability,
		SUM(CASE WHEN status = 'won' THEN 1 ELSE 0 END), SUM(CASE WHEN status = 'lost' THEN 1 ELSE 0 END)
		FROM leads WHERE account_id = ? AND status IN ('won', 'lost') GROUP BY 1, 2, 3, 4`

// NumberOutcomes is LeadOutcomes for one number's live leads (0: every
// number, LeadOutcomes itself). The probability is binned in Go as the
// triggers bin it (round half away from zero, in thousandths).
func (s *Store) NumberOutcomes(ctx context.Context, number int64) ([]Outcomes, error) {
	if number == 0 {
		return s.LeadOutcomes(ctx)
	}
	sums := map[Outcomes]*Outcomes{}
	err := eachRow(ctx, s.ro, numberOutcomesQuery, []any{number}, func(r scanner) error {
		var d int64
		var o Outcomes
		var prob float64
		var won, lost int
		if err := r.Scan(&d, &o.Model, &o.Class, &prob, &won, &lost); err != nil {
			return err
		}
		o.Month, o.PerMille = dayName(d)[:7], int(math.Round(prob*1000))
		m, ok := sums[o]
		if !ok {
			m = &Outcomes{Month: o.Month, Model: o.Model, Class: o.Class, PerMille: o.PerMille}
			sums[o] = m
		}
		m.Pos += won
		m.Neg += lost
		return nil
	})
	if err != nil {
		return nil, numberErr("outcomes", number, err)
	}
	return sortedSums(sums, func(a, b Outcomes) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Model, b.Model),
			cmp.Compare(a.Class, b.Class), cmp.Compare(a.PerMille, b.PerMille))
	}), nil
}
