package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Provider clocks (issue 15, RELIABILITY F5 and F17). WhatsApp stamps each
// message with its own clock, in seconds; that clock can be ahead of ours
// (Meta's was about 50 s ahead in a realistic delivery), several of its
// servers can disagree, and a bad value can be anywhere. The decisions that
// read provider times therefore tolerate a stated skew, DefaultClockSkew:
//
//   - a provider time more than the skew ahead of our clock is not believed:
//     the message is stored and ordered by its arrival time, and a
//     'clock_skew' event records it (so one far-future stamp cannot make
//     every later message look late);
//   - a message is late only when its provider time is more than the skew
//     before the newest message already applied in its conversation; inside
//     the skew, arrival order decides;
//   - a late message is never left without a trace: a command in it (stop,
//     delete my data, an advisor please, restart) is applied as usual, and
//     so is any message to a conversation that asks nothing any more; an
//     answer to a question that has moved on is kept in the log (step
//     LateStep, a 'late' event) and the person is asked the open question
//     again, so they see where the conversation stands. Every late message
//     is counted in /metrics (Stats.LateMessages).

// DefaultClockSkew is how far a provider's clock may be from ours before
// its times stop deciding anything.
const DefaultClockSkew = 5 * time.Minute

// LateStep is the step_before of a late message that was kept in the log
// without being applied (see above).
const LateStep = "(late)"

const (
	// newestAppliedQuery: the newest provider time among the messages
	// applied in the conversation (those kept unapplied do not count).
	newestAppliedQuery = `SELECT COALESCE(MAX(sent_at), 0) FROM messages
		WHERE contact_id = ? AND conversation_id = ? AND step_before NOT IN ('` + LateStep + `', '` + ConsentUnshownStep + `')`
	// openQuestionQuery: the questions of the last message that asked the
	// person something (a retry can take several replies: the hint, a
	// menu, the way to a person).
	openQuestionQuery = `SELECT key, body, menu, status FROM outbox WHERE resend = 1 AND status <> 'cancelled'
		AND message_id = (SELECT MAX(message_id) FROM outbox WHERE account_id = ?1 AND contact_id = ?2 AND resend = 1
			AND status <> 'cancelled')
		AND account_id = ?1 AND contact_id = ?2 ORDER BY seq`
)

// believable returns in with a provider time too far ahead of now replaced
// by now, and how far ahead it was (0 when it was believed).
func (s *Store) believable(in flow.Inbound, now time.Time) (flow.Inbound, time.Duration) {
	if !in.ProviderTime || in.At.IsZero() {
		return in, 0
	}
	if ahead := in.At.Sub(now); ahead > s.skew {
		in.At = now
		return in, ahead
	}
	return in, 0
}

// isLate reports whether the provider says in was written more than the
// skew before a message already applied in its conversation. A time from
// our own clock (or a simulator's) proves nothing.
func (s *Store) isLate(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound) (bool, error) {
	if !c.exists || !in.ProviderTime || in.At.IsZero() {
		return false, nil
	}
	var newest int64
	if err := tx.QueryRowContext(ctx, newestAppliedQuery, c.contactID, c.id).Scan(&newest); err != nil {
		return false, fmt.Errorf("newest applied message: %w", err)
	}
	return millis(in.At) < newest-s.skew.Milliseconds(), nil
}

// appliesLate reports whether a late message is applied anyway: a command
// (its effect does not depend on the question it answered), or any message
// to a conversation that asks nothing any more.
func appliesLate(st flow.State, r flow.Result) bool {
	if st.Status != flow.InProgress && st.Status != flow.Abandoned {
		return true
	}
	for _, e := range r.Events {
		switch e.Kind {
		case flow.EventOptedOut, flow.EventDataRequest, flow.EventHandoff, flow.EventRestarted:
			return true
		}
	}
	return false
}

// keepLate links a late answer to its conversation without a step and asks
// the open question again, unless it is still on its way.
func (s *Store) keepLate(ctx context.Context, tx *sql.Tx, c *conv, channel string) error {
	if _, err := tx.ExecContext(ctx, linkMessageQuery, c.id, LateStep, c.messageID); err != nil {
		return fmt.Errorf("link late message: %w", err)
	}
	open, err := s.openQuestion(ctx, tx, c)
	if err != nil {
		return err
	}
	detail := "kept; open question asked again"
	switch {
	case len(open) == 0:
		detail = "kept; no open question"
	case slices.ContainsFunc(open, func(q outboxCopy) bool { return q.status == "pending" || q.status == "sending" }):
		detail = "kept; the open question is on its way"
	default:
		for i, q := range open {
			if err := s.enqueueOne(ctx, tx, c, channel, i, q.key, q.body, q.menu); err != nil {
				return err
			}
		}
	}
	if _, err := tx.ExecContext(ctx, insertEventQuery, c.id, c.messageID, "late", detail, millis(s.now())); err != nil {
		return fmt.Errorf("late message event: %w", err)
	}
	return nil
}

type outboxCopy struct{ key, body, menu, status string }

// openQuestion returns the questions last put to the person in c.
func (s *Store) openQuestion(ctx context.Context, tx *sql.Tx, c *conv) ([]outboxCopy, error) {
	rows, err := tx.QueryContext(ctx, openQuestionQuery, c.accountID, c.contactID)
	if err != nil {
		return nil, fmt.Errorf("open question: %w", err)
	}
	defer rows.Close()
	var out []outboxCopy
	for rows.Next() {
		var q outboxCopy
		if err := rows.Scan(&q.key, &q.body, &q.menu, &q.status); err != nil {
			return nil, fmt.Errorf("open question: %w", err)
		}
		out = append(out, q)
	}
	return out, rows.Err()
}

// enqueueOne queues one reply to the message being handled, outside the
// flow's own replies (a question asked again, the consent text sent again).
func (s *Store) enqueueOne(ctx context.Context, tx *sql.Tx, c *conv, channel string, seq int, key, body, menu string) error {
	now := millis(s.now())
	if _, err := tx.ExecContext(ctx, insertOutboxQuery, c.messageID, seq, channel, c.accountID, c.contactID,
		key, body, now, now, menu, resendAfterUncertain(key)); err != nil {
		return fmt.Errorf("enqueue %s again: %w", key, err)
	}
	return nil
}

// MessageTrace is what became of one stored message: the question it
// answered (or the kept step), the replies queued for it, and the events
// filed for it. Ids and kinds only: no text.
type MessageTrace struct {
	StepBefore string   // the stage it answered; LateStep or ConsentUnshownStep when kept unapplied
	Replies    []string // keys of the replies queued for it, in order
	Events     []string // kinds of the events filed for it
}

// Applied reports whether the message was run through the flow.
func (t MessageTrace) Applied() bool {
	return t.StepBefore != LateStep && t.StepBefore != ConsentUnshownStep
}

// Trace returns what became of the message channel knows as extID.
func (s *Store) Trace(ctx context.Context, channel, extID string) (MessageTrace, error) {
	var t MessageTrace
	var id int64
	err := s.ro.QueryRowContext(ctx, traceMessageQuery, channel, extID).Scan(&id, &t.StepBefore)
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrNotFound
	}
	if err != nil {
		return t, fmt.Errorf("trace: %w", err)
	}
	for _, q := range []struct {
		query string
		into  *[]string
	}{
		{traceRepliesQuery, &t.Replies},
		{traceEventsQuery, &t.Events},
	} {
		if *q.into, err = s.strings(ctx, q.query, id); err != nil {
			return t, fmt.Errorf("trace: %w", err)
		}
	}
	return t, nil
}

// Trace's statements (named: PostgreSQL's port list matches their text).
const (
	traceMessageQuery = `SELECT id, COALESCE(step_before, '') FROM messages WHERE channel = ? AND ext_id = ?`
	traceRepliesQuery = `SELECT key FROM outbox WHERE message_id = ? ORDER BY seq`
	traceEventsQuery  = `SELECT kind FROM conversation_events WHERE message_id = ? ORDER BY id`
)

// strings runs a one-column query.
func (s *Store) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := s.ro.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
