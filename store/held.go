package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Held messages. A voice note is acknowledged to the channel at once and
// kept here while it is fetched and transcribed (seconds, bounded by the
// transcriber's timeout), so that the channel's acknowledgement never waits
// for a transcription service. The same person's next messages are held
// behind it, so the conversation takes them in the order they were written.
// A row is released (deleted) once its message went through Handle, which
// stores it exactly once by its channel id: a crash in between at most
// repeats a transcription, never an answer.

// Held is one message waiting in the hold.
type Held struct {
	ID       int64
	In       flow.Inbound
	Media    string    // the channel's reference to the audio; "" for a message held only for order
	Attempts int       // failed fetch or transcription attempts so far
	Since    time.Time // when it was held
	Due      time.Time // when it may be tried (again)
	Done     bool      // the message log has it already (a crash after Handle): release it
}

const (
	holdVoiceQuery = `INSERT INTO held_inbound (channel, account, sender, ext_id, inbound, media, next_attempt_at, created_at)
		SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7
		WHERE NOT EXISTS (SELECT 1 FROM messages WHERE channel = ?1 AND ext_id = ?4)
		ON CONFLICT (channel, ext_id) DO NOTHING`
	// holdBehindQuery holds a message only when the same person has one held.
	holdBehindQuery = `INSERT INTO held_inbound (channel, account, sender, ext_id, inbound, media, next_attempt_at, created_at)
		SELECT ?1, ?2, ?3, ?4, ?5, '', ?6, ?6
		WHERE EXISTS (SELECT 1 FROM held_inbound WHERE channel = ?1 AND account = ?2 AND sender = ?3)
		AND NOT EXISTS (SELECT 1 FROM messages WHERE channel = ?1 AND ext_id = ?4)
		ON CONFLICT (channel, ext_id) DO NOTHING`
	isHeldQuery = `SELECT EXISTS (SELECT 1 FROM held_inbound WHERE channel = ? AND ext_id = ?)`
	// heldHeadsQuery: the oldest held message of each person.
	heldHeadsQuery = `SELECT h.id, h.inbound, h.media, h.attempts, h.created_at, h.next_attempt_at,
		EXISTS (SELECT 1 FROM messages m WHERE m.channel = h.channel AND m.ext_id = h.ext_id)
		FROM held_inbound h
		WHERE h.channel = ?1
		AND h.id = (SELECT MIN(g.id) FROM held_inbound g WHERE g.channel = h.channel AND g.account = h.account AND g.sender = h.sender)
		ORDER BY h.id LIMIT ?2`
	releaseHeldQuery = `DELETE FROM held_inbound WHERE id = ?`
	retryHeldQuery   = `UPDATE held_inbound SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?`
)

// Hold keeps in in the hold. With media (a voice note to transcribe) it is
// always held; without, only when the same person already has a message
// held, so that it waits its turn. held reports whether in is in the hold
// now (a redelivery of a held message included), added whether this call
// put it there; when held is false the caller hands it to Handle at once.
// A message the log already has is never held.
func (s *Store) Hold(ctx context.Context, in flow.Inbound, media string) (held, added bool, err error) {
	if in.Channel == "" || in.ID == "" || in.From == "" {
		return false, false, fmt.Errorf("hold message: channel, id and sender are required")
	}
	raw, err := json.Marshal(in)
	if err != nil {
		return false, false, fmt.Errorf("hold message: %w", err)
	}
	now := millis(s.now())
	err = s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		held, added = false, false // a batch that is rolled back runs this again
		var res sql.Result
		var xerr error
		if media != "" {
			res, xerr = tx.ExecContext(ctx, holdVoiceQuery, in.Channel, in.Account, in.From, in.ID, string(raw), media, now)
		} else {
			res, xerr = tx.ExecContext(ctx, holdBehindQuery, in.Channel, in.Account, in.From, in.ID, string(raw), now)
		}
		if xerr != nil {
			return xerr
		}
		if n, _ := res.RowsAffected(); n > 0 {
			held, added = true, true
			return nil
		}
		return tx.QueryRowContext(ctx, isHeldQuery, in.Channel, in.ID).Scan(&held) // a redelivery of a held message
	})
	if err != nil {
		return false, false, fmt.Errorf("hold message %s/%s: %w", in.Channel, in.ID, err)
	}
	return held, added, nil
}

// HeldSenders counts the held messages of each person on channel.
func (s *Store) HeldSenders(ctx context.Context, channel string) (map[string]int, error) {
	rows, err := s.ro.QueryContext(ctx, heldSendersQuery, channel)
	if err != nil {
		return nil, fmt.Errorf("held senders: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("held senders: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// HeldHeads returns, for each person with held messages on channel, the
// oldest one (the next to go through the flow), up to limit, oldest first.
func (s *Store) HeldHeads(ctx context.Context, channel string, limit int) ([]Held, error) {
	rows, err := s.ro.QueryContext(ctx, heldHeadsQuery, channel, limit)
	if err != nil {
		return nil, fmt.Errorf("held messages: %w", err)
	}
	defer rows.Close()
	var out []Held
	for rows.Next() {
		var h Held
		var raw string
		var since, due int64
		if err := rows.Scan(&h.ID, &raw, &h.Media, &h.Attempts, &since, &due, &h.Done); err != nil {
			return nil, fmt.Errorf("held messages: %w", err)
		}
		if err := json.Unmarshal([]byte(raw), &h.In); err != nil {
			return nil, fmt.Errorf("held message %d: %w", h.ID, err)
		}
		h.Since, h.Due = fromMillis(since), fromMillis(due)
		out = append(out, h)
	}
	return out, rows.Err()
}

// ReleaseHeld removes held message id, once Handle stored it.
func (s *Store) ReleaseHeld(ctx context.Context, id int64) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, releaseHeldQuery, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("release held message %d: %w", id, err)
	}
	return nil
}

// RetryHeld counts a failed attempt on held message id and makes it due
// again at next. reason must not contain personal data.
func (s *Store) RetryHeld(ctx context.Context, id int64, next time.Time, reason string) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, retryHeldQuery, millis(next), reason, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("retry held message %d: %w", id, err)
	}
	return nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	heldSendersQuery = `SELECT sender, COUNT(*) FROM held_inbound WHERE channel = ? GROUP BY sender`
)
