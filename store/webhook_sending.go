package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// The webhook worker's side of the store: the sender (bot/send.go) claims a
// delivery (committed), POSTs it, and records the answer (committed). A
// crash between the POST and the record leaves the row 'sending'; the next
// start puts it back (ReleaseWebhookOrphans) and it is sent again with the
// same event id: receivers deduplicate by it (README, "Webhooks").

// WebhookTarget is an enabled destination as the worker sends to it.
type WebhookTarget struct {
	ID          int64
	URL, Secret string
}

// WebhookDelivery is one queued (event, destination).
type WebhookDelivery struct {
	ID, Destination int64
	EventID, Type   string
	Subject         string
	Body            string
	Attempts        int
	CreatedAt       time.Time
}

// WebhookTargets lists the enabled destinations that have a delivery due.
func (s *Store) WebhookTargets(ctx context.Context) ([]WebhookTarget, error) {
	rows, err := s.ro.QueryContext(ctx, dueDestinationsQuery, millis(s.now()))
	if err != nil {
		return nil, fmt.Errorf("webhook targets: %w", err)
	}
	defer rows.Close()
	var out []WebhookTarget
	for rows.Next() {
		var t WebhookTarget
		if err := rows.Scan(&t.ID, &t.URL, &t.Secret); err != nil {
			return nil, fmt.Errorf("webhook targets: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// dueWebhooksQuery: the head of each subject's queue at destination ?1, when
// due. A later event of a subject waits while an earlier one is pending or
// in flight, even when the later one is due first (order per lead).
const dueWebhooksQuery = `SELECT w.id, w.destination_id, w.event_id, w.event_type, w.subject, w.body, w.attempts, w.created_at
	FROM webhook_deliveries w WHERE w.destination_id = ?1 AND w.status = 'pending' AND w.next_attempt_at <= ?2
	AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e WHERE e.destination_id = w.destination_id AND e.subject = w.subject
		AND e.status IN ('pending', 'sending') AND e.id < w.id)
	ORDER BY w.id LIMIT ?3`

// DueWebhooks returns up to limit deliveries of destination dest that can
// go now, oldest first, at most one per subject.
func (s *Store) DueWebhooks(ctx context.Context, dest int64, limit int) ([]WebhookDelivery, error) {
	rows, err := s.ro.QueryContext(ctx, dueWebhooksQuery, dest, millis(s.now()), limit)
	if err != nil {
		return nil, fmt.Errorf("due webhooks: %w", err)
	}
	defer rows.Close()
	var out []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		var created int64
		if err := rows.Scan(&d.ID, &d.Destination, &d.EventID, &d.Type, &d.Subject, &d.Body, &d.Attempts, &created); err != nil {
			return nil, fmt.Errorf("due webhooks: %w", err)
		}
		d.CreatedAt = fromMillis(created)
		out = append(out, d)
	}
	return out, rows.Err()
}

// ClaimWebhook marks delivery id as in flight; false when it is no longer
// pending (deleted with its destination, or another worker has it).
func (s *Store) ClaimWebhook(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, claimWebhookQuery, millis(s.now()), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim webhook %d: %w", id, err)
	}
	return n == 1, nil
}

// WebhookDelivered records that the destination answered 2xx (status).
func (s *Store) WebhookDelivered(ctx context.Context, id int64, status string) error {
	now := millis(s.now())
	return s.settleWebhook(ctx, id, status, "", deliveredWebhookQuery, now, status, id)
}

// WebhookRetry records a failed attempt of delivery id (claimed or not),
// due again at next. reason holds no personal data.
func (s *Store) WebhookRetry(ctx context.Context, id int64, next time.Time, status, reason string) error {
	return s.settleWebhook(ctx, id, status, reason, retryWebhookQuery, millis(next), status, reason, id)
}

// WebhookFailed gives up delivery id: a permanent refusal (4xx) or 24 hours
// of failures. The events after it of its subject go on.
func (s *Store) WebhookFailed(ctx context.Context, id int64, status, reason string) error {
	return s.settleWebhook(ctx, id, status, reason, failWebhookQuery, status, reason, id)
}

// UnclaimWebhook puts claimed delivery id back, known not to have been sent.
func (s *Store) UnclaimWebhook(ctx context.Context, id int64) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, unclaimWebhookQuery, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("unclaim webhook %d: %w", id, err)
	}
	return nil
}

// settleWebhook runs the row's update and the destination's status in one
// commit: the admin page shows the last attempt and the last success.
func (s *Store) settleWebhook(ctx context.Context, id int64, status, reason, q string, args ...any) error {
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // deleted with its destination meanwhile
		}
		_, err = tx.ExecContext(ctx, destinationOutcomeQuery, status, reason, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("settle webhook %d: %w", id, err)
	}
	return nil
}

// ReleaseWebhookOrphans puts back the deliveries a previous process claimed
// and never settled (call it before the worker starts): they may have
// arrived, and are sent again with the same event id. It returns how many.
func (s *Store) ReleaseWebhookOrphans(ctx context.Context) (int64, error) {
	res, err := s.rw.ExecContext(ctx, orphanWebhooksQuery, millis(s.now().Add(time.Millisecond)))
	if err != nil {
		return 0, fmt.Errorf("release webhook claims: %w", err)
	}
	return res.RowsAffected()
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	dueDestinationsQuery = `SELECT d.id, d.url, d.secret FROM webhook_destinations d WHERE d.enabled = 1
		AND EXISTS (SELECT 1 FROM webhook_deliveries w WHERE w.destination_id = d.id AND w.status = 'pending'
			AND w.next_attempt_at <= ?) ORDER BY d.id`
	claimWebhookQuery = `UPDATE webhook_deliveries SET status = 'sending', claimed_at = ?
			WHERE id = ? AND status = 'pending'`
	deliveredWebhookQuery = `UPDATE webhook_deliveries SET status = 'delivered', delivered_at = ?1,
		attempts = attempts + 1, last_status = ?2, last_error = '' WHERE id = ?3 AND status = 'sending'`
	retryWebhookQuery = `UPDATE webhook_deliveries SET status = 'pending', claimed_at = NULL,
		attempts = attempts + 1, next_attempt_at = ?1, last_status = ?2, last_error = ?3
		WHERE id = ?4 AND status IN ('pending', 'sending')`
	failWebhookQuery = `UPDATE webhook_deliveries SET status = 'failed', claimed_at = NULL,
		attempts = attempts + 1, last_status = ?1, last_error = ?2 WHERE id = ?3 AND status IN ('pending', 'sending')`
	unclaimWebhookQuery = `UPDATE webhook_deliveries SET status = 'pending', claimed_at = NULL
			WHERE id = ? AND status = 'sending'`
	destinationOutcomeQuery = `UPDATE webhook_destinations SET last_status = ?1, last_error = ?2, last_attempt_at = ?3,
			last_success_at = CASE WHEN ?2 = '' THEN ?3 ELSE last_success_at END
			WHERE id = (SELECT destination_id FROM webhook_deliveries WHERE id = ?4)`
	orphanWebhooksQuery = `UPDATE webhook_deliveries SET status = 'pending', claimed_at = NULL,
		last_error = 'sent again: a stop cut its send' WHERE status = 'sending' AND claimed_at < ?`
)
