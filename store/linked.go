package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// What the linked-device channel remembers across restarts (migration
// 0090): the phone's last sign of life, the replies a recipient's phone may
// ask for again, and each chat's disappearing-messages timer. Chats an
// advisor took over are in takeover.go.

const (
	phoneSeenQuery = `SELECT d.phone_seen_at FROM linked_devices d JOIN accounts a ON a.id = d.account_id
		WHERE a.channel = ? AND a.address = ?`
	setPhoneSeenQuery = `INSERT INTO linked_devices (account_id, phone_seen_at) VALUES (?1, ?2)
		ON CONFLICT (account_id) DO UPDATE SET phone_seen_at = MAX(phone_seen_at, ?2)`
	// sentReplyQuery finds a reply by the id it was sent under. Only rows
	// handed to the channel count: sent, being sent, or unconfirmed.
	sentReplyQuery = `SELECT o.id, a.address, c.phone, o.body FROM outbox o
		JOIN accounts a ON a.id = o.account_id JOIN contacts c ON c.id = o.contact_id
		WHERE o.ext_id = ? AND o.channel = ? AND o.status IN ('sent', 'sending', 'unconfirmed') AND o.body <> ''`
	recentRepliesQuery = `SELECT o.id, a.address, c.phone, o.body FROM outbox o
		JOIN accounts a ON a.id = o.account_id JOIN contacts c ON c.id = o.contact_id
		WHERE o.channel = ? AND a.address = ? AND c.phone = ? AND o.created_at >= ?
		AND o.status IN ('sent', 'sending', 'unconfirmed') AND o.body <> '' ORDER BY o.id DESC LIMIT ?`
	setReplyBodyQuery = `UPDATE outbox SET body = ? WHERE id = ? AND status IN ('pending', 'sending')`
	expirationQuery   = `SELECT s.expiration_seconds FROM chat_settings s
		JOIN accounts a ON a.id = s.account_id JOIN contacts c ON c.id = s.contact_id
		WHERE a.channel = ? AND a.address = ? AND c.phone = ?`
	setExpirationQuery = `INSERT INTO chat_settings (account_id, contact_id, expiration_seconds, updated_at) VALUES (?1, ?2, ?3, ?4)
		ON CONFLICT (account_id, contact_id) DO UPDATE SET expiration_seconds = ?3, updated_at = ?4`
)

// PhoneSeen returns the last time the phone of the agency number account
// (the account's device 0) showed a sign of life; zero when never.
func (s *Store) PhoneSeen(ctx context.Context, channel, account string) (time.Time, error) {
	var at int64
	err := s.ro.QueryRowContext(ctx, phoneSeenQuery, channel, account).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("phone seen: %w", err)
	}
	return fromMillis(at), nil
}

// SetPhoneSeen records a sign of life of the phone at at; an older one than
// the stored is ignored.
func (s *Store) SetPhoneSeen(ctx context.Context, channel, account string, at time.Time) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		id, err := lookupOrInsert(ctx, tx, selectAccountQuery, []any{channel, account},
			insertAccountQuery, []any{channel, account, millis(s.now())})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, setPhoneSeenQuery, id, millis(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("set phone seen: %w", err)
	}
	return nil
}

// SentReply is a reply as it was handed to a channel.
type SentReply struct {
	ID      int64
	Account string
	To      string // the contact key
	Body    string
}

// SentReplyByExtID returns the reply the channel knows as extID; found is
// false when no reply handed to the channel has that id (or its text was
// removed by the retention policy).
func (s *Store) SentReplyByExtID(ctx context.Context, channel, extID string) (r SentReply, found bool, err error) {
	err = s.ro.QueryRowContext(ctx, sentReplyQuery, extID, channel).Scan(&r.ID, &r.Account, &r.To, &r.Body)
	if errors.Is(err, sql.ErrNoRows) {
		return r, false, nil
	}
	if err != nil {
		return r, false, fmt.Errorf("sent reply: %w", err)
	}
	return r, true, nil
}

// RecentReplies returns up to limit replies handed to channel for contact
// on account since since, newest first: for a channel that derives the id
// from the row (a reply whose send was never confirmed has no ext_id).
func (s *Store) RecentReplies(ctx context.Context, channel, account, contact string, since time.Time, limit int) ([]SentReply, error) {
	rows, err := s.ro.QueryContext(ctx, recentRepliesQuery, channel, account, contact, millis(since), limit)
	if err != nil {
		return nil, fmt.Errorf("recent replies: %w", err)
	}
	defer rows.Close()
	var out []SentReply
	for rows.Next() {
		var r SentReply
		if err := rows.Scan(&r.ID, &r.Account, &r.To, &r.Body); err != nil {
			return nil, fmt.Errorf("recent replies: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// SetReplyBody replaces the text of a reply not yet sent (pending or being
// sent) with what the channel is about to send, e.g. with an apology for the
// delay in front, so that the outbox holds what the person received.
func (s *Store) SetReplyBody(ctx context.Context, id int64, body string) error {
	if _, err := s.rw.ExecContext(ctx, setReplyBodyQuery, body, id); err != nil {
		return fmt.Errorf("set reply %d body: %w", id, err)
	}
	return nil
}

// ChatExpiration returns the disappearing-messages timer of the chat
// between account and contact; 0 when off or unknown.
func (s *Store) ChatExpiration(ctx context.Context, channel, account, contact string) (time.Duration, error) {
	var secs int64
	err := s.ro.QueryRowContext(ctx, expirationQuery, channel, account, contact).Scan(&secs)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("chat expiration: %w", err)
	}
	return time.Duration(secs) * time.Second, nil
}

// SetChatExpiration records the chat's disappearing-messages timer (0: off).
// The contact must exist (it wrote, or the agency wrote to it).
func (s *Store) SetChatExpiration(ctx context.Context, channel, account, contact string, d time.Duration) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		accountID, contactID, err := chatIDs(ctx, tx, channel, account, contact, s.now())
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, setExpirationQuery, accountID, contactID, int64(d/time.Second), millis(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("set chat expiration: %w", err)
	}
	return nil
}

// chatIDs returns the account's and the contact's row ids, creating either
// when missing.
func chatIDs(ctx context.Context, tx *sql.Tx, channel, account, contact string, now time.Time) (accountID, contactID int64, err error) {
	accountID, err = lookupOrInsert(ctx, tx, selectAccountQuery, []any{channel, account},
		insertAccountQuery, []any{channel, account, millis(now)})
	if err != nil {
		return 0, 0, fmt.Errorf("account: %w", err)
	}
	contactID, err = lookupOrInsert(ctx, tx, selectContactQuery, []any{contact},
		insertContactQuery, []any{contact, millis(now)})
	if err != nil {
		return 0, 0, fmt.Errorf("contact: %w", err)
	}
	return accountID, contactID, nil
}
