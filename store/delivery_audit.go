package store

import (
	"context"
	"fmt"
)

// DeliveryAudit counts what the exactly-once checks look at: the load test, the
// crash test and an operator after an incident.
type DeliveryAudit struct {
	Inbound     int            // messages in the log
	Unprocessed int            // messages the flow never stepped (must stay 0)
	Outbox      map[string]int // replies by status: pending, sending, sent, unconfirmed, failed, cancelled
	DeadLetters int
	Statuses    int // status callbacks kept
	Referrals   int
}

// DeliveryAudit returns the counts for channel.
func (s *Store) DeliveryAudit(ctx context.Context, channel string) (DeliveryAudit, error) {
	a := DeliveryAudit{Outbox: map[string]int{}}
	err := s.ro.QueryRowContext(ctx, auditCountsQuery, channel).
		Scan(&a.Inbound, &a.Unprocessed, &a.DeadLetters, &a.Statuses, &a.Referrals)
	if err != nil {
		return a, fmt.Errorf("audit: %w", err)
	}
	rows, err := s.ro.QueryContext(ctx, auditOutboxStatusQuery, channel)
	if err != nil {
		return a, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return a, fmt.Errorf("audit: %w", err)
		}
		a.Outbox[st] = n
	}
	return a, rows.Err()
}

// DeliveryOf returns the furthest delivery status recorded for the reply the
// channel knows as extID, and the failure reported for it, if any.
func (s *Store) DeliveryOf(ctx context.Context, channel, extID string) (delivery, failed string, err error) {
	err = s.ro.QueryRowContext(ctx, `SELECT delivery, delivery_failed FROM outbox WHERE channel = ? AND ext_id = ?`,
		channel, extID).Scan(&delivery, &failed)
	if err != nil {
		return "", "", fmt.Errorf("delivery of %s: %w", extID, err)
	}
	return delivery, failed, nil
}

// ReplyRow is one outbox row as the crash and load tests count it.
type ReplyRow struct {
	ID       int64
	Key      string
	Status   string
	Resend   bool   // a question: sent again after an uncertain send
	Resends  int    // how often it was
	To       string // the contact's key (phone, BSUID or session key)
	Attempts int
}

// ReplyRows returns every outbox row of channel, oldest first.
func (s *Store) ReplyRows(ctx context.Context, channel string) ([]ReplyRow, error) {
	rows, err := s.ro.QueryContext(ctx, auditOutboxRowsQuery, channel)
	if err != nil {
		return nil, fmt.Errorf("reply rows: %w", err)
	}
	defer rows.Close()
	var out []ReplyRow
	for rows.Next() {
		var r ReplyRow
		if err := rows.Scan(&r.ID, &r.Key, &r.Status, &r.Resend, &r.Resends, &r.To, &r.Attempts); err != nil {
			return nil, fmt.Errorf("reply rows: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// InFlight returns the ids of channel's replies claimed and not marked: after
// a kill, the replies whose send the kill cut.
func (s *Store) InFlight(ctx context.Context, channel string) ([]int64, error) {
	rows, err := s.ReplyRows(ctx, channel)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, r := range rows {
		if r.Status == "sending" {
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// Completion counts channel's conversations and those that ended with a lead.
func (s *Store) Completion(ctx context.Context, channel string) (conversations, completed int, err error) {
	err = s.ro.QueryRowContext(ctx, auditConversationsQuery, channel).Scan(&conversations, &completed)
	if err != nil {
		return 0, 0, fmt.Errorf("completion: %w", err)
	}
	return conversations, completed, nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	auditCountsQuery = `SELECT
		(SELECT COUNT(*) FROM messages WHERE channel = ?1),
		(SELECT COUNT(*) FROM messages WHERE channel = ?1 AND conversation_id IS NULL),
		(SELECT COUNT(*) FROM dead_letters WHERE channel = ?1),
		(SELECT COUNT(*) FROM delivery_statuses WHERE channel = ?1),
		(SELECT COUNT(*) FROM referrals r JOIN messages m ON m.id = r.message_id WHERE m.channel = ?1)`
	auditOutboxStatusQuery = `SELECT status, COUNT(*) FROM outbox WHERE channel = ? GROUP BY status`
	auditOutboxRowsQuery   = `SELECT o.id, o.key, o.status, o.resend, o.resends, c.phone, o.attempts
		FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE o.channel = ? ORDER BY o.id`
	auditConversationsQuery = `SELECT COUNT(*), COALESCE(SUM(v.status = 'completed'), 0) FROM conversations v
		JOIN accounts a ON a.id = v.account_id WHERE a.channel = ?`
)
