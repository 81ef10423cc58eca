package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// HistoryLead is one labelled lead: imported from the agency's history, or
// a bot lead whose outcome an advisor recorded (won or lost).
type HistoryLead struct {
	Key        string // identifies an imported row (SHA-256 of its normalised values)
	Lead       flow.Lead
	CreatedAt  time.Time
	Converted  bool
	RevenueCOP *int64            // nil when unknown
	Extra      map[string]string // other columns of the imported file
}

const (
	insertHistoryQuery = `INSERT INTO history_leads (row_key, created_at, city_code, city_name, department, city_foreign,
		budget_min_cop, budget_max_cop, budget_unknown, urgency, service, source, converted, revenue_cop, extra, imported_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (row_key) DO NOTHING`
	// Imported history has no conversation behind it: its engagement columns are NULL.
	labelledQuery = `SELECT created_at, NULL, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
		budget_unknown, urgency, service, source, converted, NULL, NULL, NULL FROM history_leads
		UNION ALL
		SELECT completed_at, started_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
		budget_unknown, urgency, service, source, status = 'won', retries, answer_seconds, returning_contact
		FROM leads WHERE status IN ('won', 'lost')
		ORDER BY 1`
	countLabelledQuery = `SELECT (SELECT COUNT(*) FROM history_leads) + (SELECT COUNT(*) FROM leads WHERE status IN ('won','lost')),
		(SELECT COUNT(*) FROM history_leads WHERE converted = 1) + (SELECT COUNT(*) FROM leads WHERE status = 'won')`
)

// ImportHistory adds rows in one transaction; rows whose Key is already
// stored are skipped. It returns how many rows were new. progress, when
// not nil, is called every 1,000 rows and at the end.
func (s *Store) ImportHistory(ctx context.Context, rows []HistoryLead, progress func(done, total int, step string)) (added int, err error) {
	now := millis(s.now())
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertHistoryQuery)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for i, r := range rows {
			if progress != nil && i%1000 == 0 {
				progress(i, len(rows), "leads")
			}
			extra, err := json.Marshal(r.Extra)
			if err != nil {
				return err
			}
			if r.Extra == nil {
				extra = []byte("{}")
			}
			l := r.Lead
			res, err := stmt.ExecContext(ctx, r.Key, millis(r.CreatedAt), l.City.Code, l.City.Name, l.City.Department,
				l.City.Foreign, l.Budget.MinCOP, l.Budget.MaxCOP, l.Budget.Unknown, string(l.Urgency), l.Service, l.Source,
				r.Converted, r.RevenueCOP, string(extra), now)
			if err != nil {
				return fmt.Errorf("import history row %s: %w", r.Key, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			added += int(n)
		}
		if progress != nil {
			progress(len(rows), len(rows), "leads")
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return added, nil
}

// LabelledLeads returns every lead with a known outcome, oldest first:
// imported history and bot leads an advisor marked won or lost.
func (s *Store) LabelledLeads(ctx context.Context) ([]HistoryLead, error) {
	rows, err := s.ro.QueryContext(ctx, labelledQuery)
	if err != nil {
		return nil, fmt.Errorf("labelled leads: %w", err)
	}
	defer rows.Close()
	var out []HistoryLead
	for rows.Next() {
		var h HistoryLead
		var created int64
		var started, retries, seconds sql.NullInt64
		var returning sql.NullBool
		var urgency string
		l := &h.Lead
		if err := rows.Scan(&created, &started, &l.City.Code, &l.City.Name, &l.City.Department, &l.City.Foreign,
			&l.Budget.MinCOP, &l.Budget.MaxCOP, &l.Budget.Unknown, &urgency, &l.Service, &l.Source, &h.Converted,
			&retries, &seconds, &returning); err != nil {
			return nil, err
		}
		l.Urgency = flow.Urgency(urgency)
		h.CreatedAt = fromMillis(created)
		l.StartedAt, l.CompletedAt = h.CreatedAt, h.CreatedAt
		if started.Valid { // a bot lead: the first message's time, as the live scorer saw it
			l.StartedAt = fromMillis(started.Int64)
		}
		if retries.Valid && seconds.Valid && returning.Valid {
			l.Engagement = &flow.Engagement{Retries: int(retries.Int64), Seconds: seconds.Int64, Returning: returning.Bool}
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// CountLabelled returns how many labelled leads and conversions the store holds.
func (s *Store) CountLabelled(ctx context.Context) (leads, conversions int, err error) {
	err = s.ro.QueryRowContext(ctx, countLabelledQuery).Scan(&leads, &conversions)
	if err != nil {
		return 0, 0, fmt.Errorf("count labelled leads: %w", err)
	}
	return leads, conversions, nil
}
