package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const insertSyntheticCustomerQuery = `INSERT INTO customers (ext_key, name, service, plan, source, monthly_fee_cop, started_at, cancelled_at, created_at)
			VALUES (?, ?, 'ads', 'pro', ?, ?, ?, ?, ?)`

const insertSyntheticScoreQuery = `INSERT INTO churn_scores (customer_id, scored_at, probability, model) VALUES (?, ?, ?, 'synthetic')`

// InsertSyntheticCustomers adds n made-up customers in one transaction, for
// the analytics benchmark: fees of 0.8–4.8 M COP, started over the two years
// before now, one in ten cancelled, and two churn scorings (45 days and one
// day before now) so revenue at risk and predicted versus actual have rows.
func (s *Store) InsertSyntheticCustomers(ctx context.Context, n int, now time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		cust, err := tx.PrepareContext(ctx, insertSyntheticCustomerQuery)
		if err != nil {
			return err
		}
		defer cust.Close()
		score, err := tx.PrepareContext(ctx, insertSyntheticScoreQuery)
		if err != nil {
			return err
		}
		defer score.Close()
		sources := []string{"facebook_ads", "google_ads", "instagram", "referido", "organico"}
		old, recent := now.Add(-45*24*time.Hour), now.Add(-24*time.Hour)
		for i := range n {
			started := now.Add(-time.Duration(i%730) * 24 * time.Hour)
			var cancelled any
			if i%10 == 0 {
				cancelled = millis(old.Add(time.Duration(i%30) * 24 * time.Hour))
			}
			r, err := cust.ExecContext(ctx, fmt.Sprint("syn-", i), fmt.Sprint("Cliente ", i), sources[i%len(sources)],
				800_000+int64(i%5)*1_000_000, millis(started), cancelled, millis(now))
			if err != nil {
				return fmt.Errorf("synthetic customer %d: %w", i, err)
			}
			id, _ := r.LastInsertId()
			p := float64(i%100) / 100
			if i%10 == 0 {
				p = 0.5 + p/2 // the cancelled ones were scored higher
			}
			if _, err := score.ExecContext(ctx, id, millis(old), p); err != nil {
				return fmt.Errorf("synthetic churn score %d: %w", i, err)
			}
			if _, err := score.ExecContext(ctx, id, millis(recent), p); err != nil {
				return fmt.Errorf("synthetic churn score %d: %w", i, err)
			}
		}
		return nil
	})
}
