package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Re-engagement (issue 18): a Cloud API conversation abandoned after the
// person gave consent (they stopped answering halfway, no lead) gets at
// most one template inviting them to go on. It is a commercial message:
// it leaves only inside the Ley 2300 hours, never to a person who opted
// out, was erased or is excluded (commercial.go), and the reengagements
// table's primary key makes it one per conversation even when two jobs race.

// Abandoned is a conversation the re-engagement job may write to.
type Abandoned struct {
	ConversationID int64
	Name           string // the person's name when known, else ""
	LastInbound    time.Time
}

const (
	// abandonedQuery: consent given and still the last word on it, no
	// lead, no re-engagement yet, the person silent for between ?1 and ?2.
	abandonedQuery = `SELECT v.id, c.name, m.sent_at FROM conversations v
		JOIN accounts a ON a.id = v.account_id AND a.channel = 'cloudapi'
		JOIN contacts c ON c.id = v.contact_id
		JOIN messages m ON m.id = (SELECT max(id) FROM messages WHERE contact_id = v.contact_id AND account_id = v.account_id)
		WHERE v.status IN ('in_progress', 'abandoned') AND c.opted_out_at IS NULL AND c.phone NOT LIKE 'erased:%'
		AND (SELECT accepted FROM consent_records WHERE contact_id = v.contact_id ORDER BY id DESC LIMIT 1) = 1
		AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.conversation_id = v.id)
		AND NOT EXISTS (SELECT 1 FROM reengagements r WHERE r.conversation_id = v.id)
		AND m.sent_at <= ?1 AND m.sent_at > ?2
		ORDER BY v.id LIMIT ?3`
	reengageTargetQuery = `SELECT a.channel, c.opted_out_at IS NOT NULL, m.id, m.sent_at, c.phone, v.contact_id, v.account_id, 0
		FROM conversations v JOIN contacts c ON c.id = v.contact_id JOIN accounts a ON a.id = v.account_id
		JOIN messages m ON m.id = (SELECT max(id) FROM messages WHERE contact_id = v.contact_id AND account_id = v.account_id)
		WHERE v.id = ?`
	insertReengagementQuery = `INSERT INTO reengagements (conversation_id, outbox_id, template, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (conversation_id) DO NOTHING`
)

// AbandonedConversations returns up to limit conversations abandoned after
// consent whose person last wrote between maxAge and idle ago.
func (s *Store) AbandonedConversations(ctx context.Context, idle, maxAge time.Duration, limit int) ([]Abandoned, error) {
	now := s.now()
	rows, err := s.ro.QueryContext(ctx, abandonedQuery, millis(now.Add(-idle)), millis(now.Add(-maxAge)), limit)
	if err != nil {
		return nil, fmt.Errorf("abandoned conversations: %w", err)
	}
	defer rows.Close()
	var out []Abandoned
	for rows.Next() {
		var a Abandoned
		var at int64
		if err := rows.Scan(&a.ConversationID, &a.Name, &at); err != nil {
			return nil, fmt.Errorf("abandoned conversations: %w", err)
		}
		a.LastInbound = fromMillis(at)
		out = append(out, a)
	}
	return out, rows.Err()
}

// Reengage queues template t (body: its text filled in) to conversation
// id's person, once: false when the conversation was re-engaged already.
// ErrSuppressed: the person must not be contacted.
func (s *Store) Reengage(ctx context.Context, id int64, t TemplateSend, body string) (bool, error) {
	tpl, err := encodeTemplate(&t)
	if err != nil {
		return false, err
	}
	queued := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		tg, err := scanTarget(tx.QueryRowContext(ctx, reengageTargetQuery, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if err := s.mayContact(ctx, tx, tg); err != nil {
			return err
		}
		now := s.now()
		outboxID, err := insertTemplate(ctx, tx, tg, ReengageKey, body, tpl, now)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, insertReengagementQuery, id, outboxID, t.Name, millis(now))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errAlreadyReengaged // rolls the outbox row back
		}
		queued = true
		_, err = tx.ExecContext(ctx, insertEventQuery, id, tg.messageID, "reengaged", t.Name, millis(now))
		return err
	})
	if errors.Is(err, errAlreadyReengaged) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("re-engage conversation %d: %w", id, err)
	}
	return queued, nil
}

var errAlreadyReengaged = errors.New("already re-engaged")
