package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// LeadRow is a stored lead.
type LeadRow struct {
	ID          int64
	Status      string
	Lead        flow.Lead
	Score       flow.Score
	DeadlineAt  time.Time
	CompletedAt time.Time
}

// ConversationView is a conversation with its newest lead, if any.
type ConversationView struct {
	ID    int64
	State flow.State
	Lead  *LeadRow
}

const (
	viewConversationQuery = `SELECT v.id, v.state FROM conversations v
		JOIN accounts a ON a.id = v.account_id JOIN contacts c ON c.id = v.contact_id
		WHERE a.channel = ? AND a.address = ? AND c.phone = ?`
	latestLeadQuery = `SELECT id, status, name, city_code, city_name, department, city_foreign,
		budget_min_cop, budget_max_cop, budget_unknown, urgency, service, source, class, probability, model, reasons,
		started_at, completed_at, deadline_at, other_services
		FROM leads WHERE conversation_id = ? ORDER BY id DESC LIMIT 1`
	idleConversationsQuery = `SELECT id, state FROM conversations WHERE status = 'in_progress' AND updated_at < ? ORDER BY id LIMIT ?`
)

// Conversation returns the conversation of phone with the agency account on
// channel, with its newest lead. ErrNotFound when the person never wrote.
func (s *Store) Conversation(ctx context.Context, channel, account, phone string) (ConversationView, error) {
	var v ConversationView
	var raw string
	err := s.ro.QueryRowContext(ctx, viewConversationQuery, channel, account, phone).Scan(&v.ID, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("conversation: %w", ErrNotFound)
	}
	if err != nil {
		return v, fmt.Errorf("conversation: %w", err)
	}
	if err := decodeState(raw, &v.State); err != nil {
		return v, err
	}
	l, err := scanLead(s.ro.QueryRowContext(ctx, latestLeadQuery, v.ID))
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return v, fmt.Errorf("conversation lead: %w", err)
	default:
		v.Lead = &l
	}
	return v, nil
}

type scanner interface{ Scan(...any) error }

func scanLead(row scanner) (LeadRow, error) {
	var (
		l                               LeadRow
		urgency, class, reasons, others string
		started, completed, deadline    int64
	)
	err := row.Scan(&l.ID, &l.Status, &l.Lead.Name, &l.Lead.City.Code, &l.Lead.City.Name, &l.Lead.City.Department,
		&l.Lead.City.Foreign, &l.Lead.Budget.MinCOP, &l.Lead.Budget.MaxCOP, &l.Lead.Budget.Unknown, &urgency,
		&l.Lead.Service, &l.Lead.Source, &class, &l.Score.Probability, &l.Score.Model, &reasons,
		&started, &completed, &deadline, &others)
	if err != nil {
		return l, err
	}
	if l.Lead.OtherServices, err = otherServices(others); err != nil {
		return l, fmt.Errorf("lead %d: %w", l.ID, err)
	}
	l.Lead.Urgency, l.Score.Class = flow.Urgency(urgency), flow.Class(class)
	l.Lead.StartedAt, l.Lead.CompletedAt = fromMillis(started), fromMillis(completed)
	l.CompletedAt, l.DeadlineAt = l.Lead.CompletedAt, fromMillis(deadline)
	if err := json.Unmarshal([]byte(reasons), &l.Score.Reasons); err != nil {
		return l, fmt.Errorf("decode reasons of lead %d: %w", l.ID, err)
	}
	return l, nil
}

// ExpireIdle hands every in-progress conversation last updated before cutoff
// to expire and saves what it returns (at most limit per call). expire
// reports false to leave a conversation as it is. It returns how many changed.
func (s *Store) ExpireIdle(ctx context.Context, cutoff time.Time, limit int, expire func(flow.State) (flow.Result, bool)) (int, error) {
	n := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, idleConversationsQuery, millis(cutoff), limit)
		if err != nil {
			return err
		}
		var convs []conv
		for rows.Next() {
			var c conv
			var raw string
			if err := rows.Scan(&c.id, &raw); err != nil {
				_ = rows.Close() // read-only; the scan error is the one to report
				return err
			}
			if err := decodeState(raw, &c.state); err != nil {
				_ = rows.Close() // read-only; the scan error is the one to report
				return err
			}
			c.exists = true
			convs = append(convs, c)
		}
		_ = rows.Close() // read-only; rows.Err reports what went wrong
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range convs {
			r, ok := expire(convs[i].state)
			if !ok {
				continue
			}
			if err := saveConversation(ctx, tx, &convs[i], r.State); err != nil {
				return err
			}
			for _, e := range r.Events {
				if _, err := tx.ExecContext(ctx, insertEventQuery, convs[i].id, nil, string(e.Kind), e.Request, millis(s.now())); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("expire idle conversations: %w", err)
	}
	return n, nil
}
