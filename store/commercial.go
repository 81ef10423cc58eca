package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Commercial outbound (RELIABILITY O-1, O-3, O-4): a message to a prospect that is not a reply to
// what they just wrote — a follow-up, a reminder, a re-engagement — may only leave inside the Ley
// 2300 de 2023 hours (flow.LegalContactCalendar in America/Bogota, never on holidays) and never to
// a person who opted out, was erased, or is on the exclusion list. The rule sits in the outbox,
// where every such message passes: EnqueueCommercial schedules it at the next legal instant, and
// PendingOutbox checks again each time the row is due, so a retry whose backoff crosses 19:00 is
// held until the next opening instead of leaving late.

// ErrSuppressed is returned by EnqueueCommercial for a person who must not be contacted.
var ErrSuppressed = errors.New("the person opted out, was erased or is on the exclusion list")

// Exclusion is one entry of the exclusion list; only the hash and the last digits are kept.
type Exclusion struct {
	Hint      string // "…4567"
	Source    string // manual, rne
	CreatedAt time.Time
}

var legalHours = flow.LegalContactCalendar(flow.Bogota())

const (
	insertExclusionQuery = `INSERT INTO exclusions (phone_hash, hint, source, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (phone_hash) DO NOTHING`
	deleteExclusionQuery = `DELETE FROM exclusions WHERE phone_hash = ?`
	listExclusionsQuery  = `SELECT hint, source, created_at FROM exclusions ORDER BY created_at DESC, hint LIMIT ?`
	blockedQuery         = `SELECT (SELECT count(*) FROM exclusions WHERE phone_hash = ?1) + (SELECT count(*) FROM suppressions WHERE phone_hash = ?1)`
	lastInboundQuery     = `SELECT m.id, m.channel, m.account_id, c.id, c.opted_out_at IS NOT NULL FROM messages m
		JOIN contacts c ON c.id = m.contact_id WHERE c.phone = ? ORDER BY m.id DESC LIMIT 1`
	nextSeqQuery          = `SELECT coalesce(max(seq), -1) + 1 FROM outbox WHERE message_id = ?`
	insertCommercialQuery = `INSERT INTO outbox (message_id, seq, channel, account_id, contact_id, key, body, next_attempt_at, created_at, commercial)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)`
	holdQuery      = `UPDATE outbox SET next_attempt_at = ?, last_error = 'held: outside legal contact hours' WHERE id = ? AND status = 'pending'`
	cancelRowQuery = `UPDATE outbox SET status = 'cancelled', last_error = ? WHERE id = ? AND status = 'pending'`
)

// PhoneHint keeps the last four digits of a phone ("…4567"), for lists someone may be looking
// over: enough to recognise an entry, not to read the number. "" stays "".
func PhoneHint(phone string) string {
	d := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, phone)
	if d == "" {
		return ""
	}
	if len(d) > 4 {
		d = d[len(d)-4:]
	}
	return "…" + d
}

// normalizePhone checks an E.164 number ("+573001234567") and returns it trimmed.
func normalizePhone(phone string) (string, error) {
	p := strings.TrimSpace(phone)
	if phoneUser(p) == "" || len(p) < 8 || len(p) > 16 {
		return "", fmt.Errorf("phone %q: want E.164, e.g. +573001234567", phone)
	}
	return p, nil
}

// AddExclusions puts phones on the exclusion list (source manual or rne) and returns how many were
// new. Every phone is checked first: one bad number adds none.
func (s *Store) AddExclusions(ctx context.Context, phones []string, source string, user int64) (int, error) {
	if source != "manual" && source != "rne" {
		return 0, fmt.Errorf("exclusions: source %q: want manual or rne", source)
	}
	clean := make([]string, 0, len(phones))
	for _, p := range phones {
		n, err := normalizePhone(p)
		if err != nil {
			return 0, fmt.Errorf("exclusions: %w", err)
		}
		clean = append(clean, n)
	}
	added := 0
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		now := millis(s.now())
		for _, p := range clean {
			res, err := tx.ExecContext(ctx, insertExclusionQuery, s.PhoneHash(p), PhoneHint(p), source, now)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.exclusions_added", Detail: fmt.Sprintf("source=%s added=%d", source, added)}, s.now())
	})
	if err != nil {
		return 0, fmt.Errorf("exclusions: %w", err)
	}
	return added, nil
}

// RemoveExclusion takes phone off the exclusion list; false when it was not on it.
func (s *Store) RemoveExclusion(ctx context.Context, phone string, user int64) (bool, error) {
	p, err := normalizePhone(phone)
	if err != nil {
		return false, fmt.Errorf("exclusions: %w", err)
	}
	var removed bool
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, deleteExclusionQuery, s.PhoneHash(p))
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		removed = n > 0
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.exclusion_removed", Detail: PhoneHint(p)}, s.now())
	})
	if err != nil {
		return false, fmt.Errorf("exclusions: %w", err)
	}
	return removed, nil
}

// Exclusions lists the newest limit entries of the exclusion list.
func (s *Store) Exclusions(ctx context.Context, limit int) ([]Exclusion, error) {
	rows, err := s.ro.QueryContext(ctx, listExclusionsQuery, limit)
	if err != nil {
		return nil, fmt.Errorf("exclusions: %w", err)
	}
	defer rows.Close()
	var out []Exclusion
	for rows.Next() {
		var e Exclusion
		var at int64
		if err := rows.Scan(&e.Hint, &e.Source, &at); err != nil {
			return nil, fmt.Errorf("exclusions: %w", err)
		}
		e.CreatedAt = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// blocked reports whether commercial outbound to phone is forbidden by the exclusion list or a
// suppression.
func (s *Store) blocked(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, phone string) (bool, error) {
	var n int
	if err := q.QueryRowContext(ctx, blockedQuery, s.PhoneHash(phone)).Scan(&n); err != nil {
		return false, fmt.Errorf("exclusion check: %w", err)
	}
	return n > 0, nil
}

// EnqueueCommercial queues a commercial message (key names it in the catalogue, body is its text)
// to the person with phone, on the channel and agency number they last wrote from, due at the next
// instant the Ley 2300 hours allow. ErrSuppressed: the person must not be contacted; ErrNotFound:
// they never wrote (a commercial message needs their channel and, by WhatsApp's rules, their
// opt-in).
func (s *Store) EnqueueCommercial(ctx context.Context, phone, key, body string) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var msgID, accountID, contactID int64
		var channel string
		var optedOut bool
		err := tx.QueryRowContext(ctx, lastInboundQuery, phone).Scan(&msgID, &channel, &accountID, &contactID, &optedOut)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		blocked, err := s.blocked(ctx, tx, phone)
		if err != nil {
			return err
		}
		if optedOut || blocked {
			return ErrSuppressed
		}
		var seq int
		if err := tx.QueryRowContext(ctx, nextSeqQuery, msgID).Scan(&seq); err != nil {
			return err
		}
		now := s.now()
		res, err := tx.ExecContext(ctx, insertCommercialQuery, msgID, seq, channel, accountID, contactID, key, body,
			millis(legalHours.NextOpen(now)), millis(now))
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("enqueue commercial %s: %w", key, err)
	}
	return id, nil
}

// screenCommercial is PendingOutbox's check of a due commercial row: it returns false (and holds
// or cancels the row) when it must not leave now.
func (s *Store) screenCommercial(ctx context.Context, id int64, phone string, optedOut bool, now time.Time) (bool, error) {
	blocked, err := s.blocked(ctx, s.ro, phone)
	if err != nil {
		return false, err
	}
	if optedOut || blocked {
		_, err := s.rw.ExecContext(ctx, cancelRowQuery, "cancelled: do not contact", id)
		return false, err
	}
	if legalHours.IsOpen(now) {
		return true, nil
	}
	_, err = s.rw.ExecContext(ctx, holdQuery, millis(legalHours.NextOpen(now)), id)
	return false, err
}
