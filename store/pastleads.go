package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// PastLead is a lead that went through the bot some time ago and what
// advisors did with it: `cis demo` makes up months of them so the analytics
// pages have outcomes to compare with predictions, and the analytics
// benchmark fills a store with a million. Real leads arrive through Handle.
type PastLead struct {
	Lead        flow.Lead
	Score       flow.Score
	Deadline    time.Time
	Status      string    // open, contacted, won, lost
	ContactedAt time.Time // zero: never contacted
	OutcomeAt   time.Time // won or lost only
	ValueCOP    int64     // won only
}

// Dropout is a conversation that stopped before the lead was complete.
type Dropout struct {
	Step, Status string // flow stage and status (abandoned, refused, handoff, opted_out)
	At           time.Time
}

const pastAccountQuery = `INSERT INTO accounts (channel, address, created_at) VALUES ('demo', ?, ?)
			ON CONFLICT (channel, address) DO UPDATE SET address = excluded.address RETURNING id`

const insertNamedContactQuery = `INSERT INTO contacts (phone, name, created_at) VALUES (?, ?, ?)`

const insertPastConversationQuery = `INSERT INTO conversations (account_id, contact_id, status, step, state, state_version, started_at, updated_at)
			VALUES (?, ?, ?, ?, '{}', 1, ?, ?)`

const insertPastLeadQuery = `INSERT INTO leads (conversation_id, contact_id, account_id, status, name, city_code, city_name,
			department, city_foreign, budget_min_cop, budget_max_cop, budget_unknown, urgency, service, source, class, probability, model,
			reasons, started_at, completed_at, deadline_at, created_at, contacted_at, outcome_at, outcome_value_cop,
			retries, answer_seconds, returning_contact)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// InsertPastLeads stores leads and dropped conversations with their own
// contacts and conversations on one account of channel "demo" (address
// names it), in one transaction. phonePrefix keeps the made-up numbers of
// different batches apart.
func (s *Store) InsertPastLeads(ctx context.Context, address, phonePrefix string, leads []PastLead, dropouts []Dropout) error {
	now := millis(s.now())
	return s.inTx(ctx, func(tx *sql.Tx) error {
		var account int64
		err := tx.QueryRowContext(ctx, pastAccountQuery, address, now).Scan(&account)
		if err != nil {
			return fmt.Errorf("past leads account: %w", err)
		}
		contact, err := tx.PrepareContext(ctx, insertNamedContactQuery)
		if err != nil {
			return err
		}
		defer contact.Close()
		conv, err := tx.PrepareContext(ctx, insertPastConversationQuery)
		if err != nil {
			return err
		}
		defer conv.Close()
		lead, err := tx.PrepareContext(ctx, insertPastLeadQuery)
		if err != nil {
			return err
		}
		defer lead.Close()
		nullable := func(t time.Time) any {
			if t.IsZero() {
				return nil
			}
			return millis(t)
		}
		newConversation := func(i int, name, status, step string, at time.Time) (int64, int64, error) {
			r, err := contact.ExecContext(ctx, fmt.Sprintf("%s%08d", phonePrefix, i), name, millis(at))
			if err != nil {
				return 0, 0, fmt.Errorf("past contact %d: %w", i, err)
			}
			cid, _ := r.LastInsertId()
			r, err = conv.ExecContext(ctx, account, cid, status, step, millis(at), millis(at))
			if err != nil {
				return 0, 0, fmt.Errorf("past conversation %d: %w", i, err)
			}
			vid, _ := r.LastInsertId()
			return cid, vid, nil
		}
		for i, p := range leads {
			l := p.Lead
			cid, vid, err := newConversation(i, l.Name, "completed", "done", l.StartedAt)
			if err != nil {
				return err
			}
			status := p.Status
			if status == "" {
				status = "open"
			}
			retries, seconds, returning := engagementArgs(l)
			reasons, err := json.Marshal(p.Score.Reasons)
			if err != nil || p.Score.Reasons == nil {
				reasons = []byte("[]")
			}
			if _, err := lead.ExecContext(ctx, vid, cid, account, status, l.Name, l.City.Code, l.City.Name, l.City.Department, l.City.Foreign,
				l.Budget.MinCOP, l.Budget.MaxCOP, l.Budget.Unknown, string(l.Urgency), l.Service, l.Source,
				string(p.Score.Class), p.Score.Probability, p.Score.Model, string(reasons), millis(l.StartedAt), millis(l.CompletedAt), millis(p.Deadline), now,
				nullable(p.ContactedAt), nullable(p.OutcomeAt), p.ValueCOP, retries, seconds, returning); err != nil {
				return fmt.Errorf("past lead %d: %w", i, err)
			}
		}
		for j, d := range dropouts {
			if _, _, err := newConversation(len(leads)+j, "", d.Status, d.Step, d.At); err != nil {
				return err
			}
		}
		return nil
	})
}

const accountConversationsQuery = `SELECT COUNT(*) FROM conversations c JOIN accounts a ON a.id = c.account_id
		WHERE a.channel = ? AND a.address = ?`

// CountConversations counts the conversations on one account (channel and
// address): the demo seeds its made-up prospects only when its own account
// has none, whatever else the store holds.
func (s *Store) CountConversations(ctx context.Context, channel, address string) (int, error) {
	var n int
	err := s.ro.QueryRowContext(ctx, accountConversationsQuery, channel, address).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count conversations: %w", err)
	}
	return n, nil
}
