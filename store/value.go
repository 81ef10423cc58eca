package store

import (
	"context"
	"fmt"

	"github.com/cis-agencia/cis/flow"
)

// labelledRevenueQuery is every labelled lead with what it brought in (0
// when lost or unknown), for checking predicted against realised revenue.
const labelledRevenueQuery = `SELECT created_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
	budget_unknown, urgency, service, source, converted, COALESCE(revenue_cop, 0) FROM history_leads
	UNION ALL
	SELECT completed_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
	budget_unknown, urgency, service, source, status = 'won', outcome_value_cop FROM leads WHERE status IN ('won', 'lost')
	ORDER BY 1`

// LabelledRevenue is LabelledLeads with each lead's revenue (0 when lost
// or not recorded), oldest first: what expected deal values are learned
// from and checked against.
func (s *Store) LabelledRevenue(ctx context.Context) ([]HistoryLead, error) {
	rows, err := s.ro.QueryContext(ctx, labelledRevenueQuery)
	if err != nil {
		return nil, fmt.Errorf("labelled revenue: %w", err)
	}
	defer rows.Close()
	var out []HistoryLead
	for rows.Next() {
		var h HistoryLead
		var created, rev int64
		var urgency string
		l := &h.Lead
		if err := rows.Scan(&created, &l.City.Code, &l.City.Name, &l.City.Department, &l.City.Foreign,
			&l.Budget.MinCOP, &l.Budget.MaxCOP, &l.Budget.Unknown, &urgency, &l.Service, &l.Source, &h.Converted, &rev); err != nil {
			return nil, err
		}
		l.Urgency = flow.Urgency(urgency)
		h.CreatedAt, h.RevenueCOP = fromMillis(created), &rev
		l.StartedAt, l.CompletedAt = h.CreatedAt, h.CreatedAt
		out = append(out, h)
	}
	return out, rows.Err()
}
