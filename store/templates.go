package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Templates (issue 18): outside the Cloud API's 24-hour window only an
// approved template may be sent (flow/templates). A template message is an
// outbox row like any reply, so the one sender claims, sends and confirms
// it exactly once; the row carries the template's name, language and
// parameters, its body the text the person reads. A follow-up and a
// re-engagement are commercial messages: they leave only inside the Ley
// 2300 hours and never to a person who opted out (commercial.go).

// TemplateSend is the template an outbox row goes as.
type TemplateSend struct {
	Name     string   `json:"name"`
	Language string   `json:"language"`
	Category string   `json:"category"`
	Params   []string `json:"params,omitempty"`
}

// FollowUpKey and ReengageKey are the outbox keys of a template sent by an
// advisor's follow-up and by the re-engagement job.
const (
	FollowUpKey = "template_follow_up"
	ReengageKey = "template_reengage"
)

const (
	insertTemplateQuery = `INSERT INTO outbox (message_id, seq, channel, account_id, contact_id, key, body, next_attempt_at,
		created_at, commercial, template) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)`
	pendingFollowUpQuery = `SELECT EXISTS (SELECT 1 FROM outbox o JOIN leads l ON l.contact_id = o.contact_id AND l.account_id = o.account_id
		WHERE l.id = ? AND o.key = ? AND o.status IN ('pending', 'sending'))`
	setTemplateQuery = `UPDATE outbox SET template = ?, body = ? WHERE id = ? AND status = 'sending'`
)

func encodeTemplate(t *TemplateSend) (string, error) {
	if t == nil {
		return "", nil
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", fmt.Errorf("encode template: %w", err)
	}
	return string(b), nil
}

// decodeTemplate reads the template column: nil for a free-form reply.
func decodeTemplate(s string) *TemplateSend {
	if s == "" {
		return nil
	}
	var t TemplateSend
	if err := json.Unmarshal([]byte(s), &t); err != nil || t.Name == "" {
		return nil
	}
	return &t
}

// FollowUpLead queues template t (its body, filled in, is preview) to lead
// id's person, written by user on the lead page, and notes it on the lead's
// timeline. It leaves at the next instant the Ley 2300 hours allow.
// ErrSuppressed: the person opted out or was erased; ErrConflict: the
// lead's channel has no templates (only the Cloud API has), or a follow-up
// of the lead is still waiting to leave (a second click sends nothing).
func (s *Store) FollowUpLead(ctx context.Context, id, user int64, t TemplateSend, preview string) (int64, error) {
	tpl, err := encodeTemplate(&t)
	if err != nil {
		return 0, err
	}
	var outboxID int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		tg, err := scanTarget(tx.QueryRowContext(ctx, leadReachQuery, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if tg.channel != "cloudapi" {
			return fmt.Errorf("channel %s sends no templates: %w", tg.channel, ErrConflict)
		}
		if err := s.mayContact(ctx, tx, tg); err != nil {
			return err
		}
		var waiting bool
		if err := tx.QueryRowContext(ctx, pendingFollowUpQuery, id, FollowUpKey).Scan(&waiting); err != nil {
			return err
		}
		if waiting {
			return fmt.Errorf("a follow-up is already waiting to leave: %w", ErrConflict)
		}
		now := s.now()
		if outboxID, err = insertTemplate(ctx, tx, tg, FollowUpKey, preview, tpl, now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, followUpEventQuery, id, user, t.Name, millis(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("follow up lead %d: %w", id, err)
	}
	return outboxID, nil
}

// mayContact refuses a person who opted out, was erased or is excluded,
// and one who never wrote.
func (s *Store) mayContact(ctx context.Context, tx *sql.Tx, tg leadTarget) error {
	blocked, err := s.blocked(ctx, tx, tg.key) // the exclusion list and every suppression
	if err != nil {
		return err
	}
	if tg.optedOut || blocked || tg.messageID == 0 {
		return ErrSuppressed
	}
	return nil
}

// insertTemplate queues a commercial template row after the person's last
// message, due at the next legal instant.
func insertTemplate(ctx context.Context, tx *sql.Tx, tg leadTarget, key, body, tpl string, now time.Time) (int64, error) {
	var seq int
	if err := tx.QueryRowContext(ctx, nextSeqQuery, tg.messageID).Scan(&seq); err != nil {
		return 0, err
	}
	res, err := tx.ExecContext(ctx, insertTemplateQuery, tg.messageID, seq, tg.channel, tg.account, tg.contactID, key, body,
		millis(legalHours.NextOpen(now)), millis(now), tpl)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// SendAsTemplate records that claimed outbox row id goes as template t
// instead of its free text (Meta refused the text: the 24-hour window had
// closed), with body the text the person reads, so that the transcript
// shows what left.
func (s *Store) SendAsTemplate(ctx context.Context, id int64, t TemplateSend, body string) error {
	tpl, err := encodeTemplate(&t)
	if err != nil {
		return err
	}
	if _, err := s.rw.ExecContext(ctx, setTemplateQuery, tpl, body, id); err != nil {
		return fmt.Errorf("outbox %d as template: %w", id, err)
	}
	return nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	followUpEventQuery = `INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at)
			VALUES (?, ?, 'follow_up', ?, 0, ?)`
)
