package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Outgoing is one queued reply.
type Outgoing struct {
	ID        int64
	Channel   string
	Account   string
	To        string // the contact's phone or session key
	Key       string // catalogue key of the reply
	Body      string
	Attempts  int
	InReplyTo string    // the inbound message's channel ID
	InboundAt time.Time // when the prospect sent that message (Cloud API 24-hour window)
	// Recipient is the contact's WhatsApp business-scoped user id, "" when
	// none is known: the Cloud API addresses the person by it (store/bsuid.go).
	Recipient string
	// Menu is the choice the reply offers (flow.Reply.Menu), nil for plain
	// text. Body carries it as a numbered menu too.
	Menu *flow.Menu
	// Template is the approved template the row goes as (templates.go), nil
	// for a free-form reply; Name the person's name, for a template a
	// refused reply is moved to.
	Template *TemplateSend
	Name     string
}

const (
	pendingOutboxQuery = `SELECT o.id, o.channel, a.address, c.phone, o.key, o.body, o.attempts, m.ext_id, m.sent_at,
		o.commercial, c.opted_out_at IS NOT NULL, COALESCE(c.bsuid, ''), o.menu,
		o.template, c.name
		FROM outbox o
		JOIN accounts a ON a.id = o.account_id
		JOIN contacts c ON c.id = o.contact_id
		JOIN messages m ON m.id = o.message_id
		WHERE o.status = 'pending' AND o.channel = ?1 AND o.next_attempt_at <= ?2
		AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.contact_id = o.contact_id AND p.status = 'pending'
			AND p.id < o.id AND p.next_attempt_at > ?2 AND p.commercial = 0)
		ORDER BY o.id LIMIT ?3`
	markSentQuery  = `UPDATE outbox SET status = 'sent', ext_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'pending'`
	markRetryQuery = `UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ? AND status = 'pending'`
	markFailQuery  = `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`
)

// PendingOutbox returns up to limit replies of one channel that are due, in
// the order they were queued (so each person gets them in order). A reply
// waits while an earlier one to the same person waits for a retry, but not
// behind a commercial message held for the legal contact hours.
func (s *Store) PendingOutbox(ctx context.Context, channel string, limit int) ([]Outgoing, error) {
	return s.pendingOutbox(ctx, pendingOutboxQuery, channel, millis(s.now()), limit)
}

// pendingOutbox runs a pending-outbox query (args: channel, now, limit,
// and for pendingOutboxForQuery the account) and screens its commercial rows.
func (s *Store) pendingOutbox(ctx context.Context, q string, args ...any) ([]Outgoing, error) {
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pending outbox: %w", err)
	}
	defer rows.Close()
	var out []Outgoing
	var commercial []int // indexes in out of commercial rows, screened after the read (commercial.go)
	var optedOut []bool
	for rows.Next() {
		var o Outgoing
		var inAt int64
		var isCommercial, opted bool
		var menu, tpl string
		if err := rows.Scan(&o.ID, &o.Channel, &o.Account, &o.To, &o.Key, &o.Body, &o.Attempts, &o.InReplyTo, &inAt,
			&isCommercial, &opted, &o.Recipient, &menu, &tpl, &o.Name); err != nil {
			return nil, fmt.Errorf("pending outbox: %w", err)
		}
		o.InboundAt = fromMillis(inAt)
		o.Menu = decodeMenu(menu)
		o.Template = decodeTemplate(tpl)
		if isCommercial {
			commercial, optedOut = append(commercial, len(out)), append(optedOut, opted)
		}
		out = append(out, o)
	}
	if err := rows.Err(); err != nil || len(commercial) == 0 {
		return out, err
	}
	_ = rows.Close() // rows.Err was checked above; closed early to free the read connection for the screening
	drop := map[int]bool{}
	for i, idx := range commercial {
		ok, err := s.screenCommercial(ctx, out[idx].ID, out[idx].To, optedOut[i], s.now())
		if err != nil {
			return nil, fmt.Errorf("pending outbox: %w", err)
		}
		drop[idx] = !ok
	}
	kept := out[:0]
	for i, o := range out {
		if !drop[i] {
			kept = append(kept, o)
		}
	}
	return kept, nil
}

// MarkSent records that the channel accepted reply id under its own extID.
func (s *Store) MarkSent(ctx context.Context, id int64, extID string) error {
	_, err := s.rw.ExecContext(ctx, markSentQuery, extID, millis(s.now()), id)
	if err != nil {
		return fmt.Errorf("mark outbox %d sent: %w", id, err)
	}
	return nil
}

// MarkRetry records a transient send failure; the reply is due again at next.
// The error text must not contain personal data.
func (s *Store) MarkRetry(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.rw.ExecContext(ctx, markRetryQuery, millis(next), reason, id)
	if err != nil {
		return fmt.Errorf("mark outbox %d for retry: %w", id, err)
	}
	return nil
}

// MarkFailed gives up on reply id.
func (s *Store) MarkFailed(ctx context.Context, id int64, reason string) error {
	_, err := s.rw.ExecContext(ctx, markFailQuery, reason, id)
	if err != nil {
		return fmt.Errorf("mark outbox %d failed: %w", id, err)
	}
	return nil
}

// encodeMenu is the outbox's menu column for m: "" when there is none.
func encodeMenu(m *flow.Menu) (string, error) {
	if m == nil || len(m.Options) == 0 {
		return "", nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode menu: %w", err)
	}
	return string(b), nil
}

// decodeMenu reads the menu column. A value this build cannot read gives
// nil: the reply then goes as its numbered text, which every channel sends.
func decodeMenu(s string) *flow.Menu {
	if s == "" {
		return nil
	}
	var m flow.Menu
	if err := json.Unmarshal([]byte(s), &m); err != nil || len(m.Options) == 0 {
		return nil
	}
	return &m
}
