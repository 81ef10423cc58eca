package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/cis-agencia/cis/flow"
)

// The message path's round trips on PostgreSQL (docs/benchmarks.md). Each
// statement through database/sql is one round trip to the server, and a
// message took about twelve (the sender's lock, the account, the contact,
// the inbound row, the conversation, two facts about the person, the saved
// state, the message's link, one per reply). Here the same work is done by
// fewer statements, on PostgreSQL only (SQLite runs in-process: a statement
// costs no round trip there, and its path stays as it was):
//
//   - after the sender's advisory lock (its own statement: a READ COMMITTED
//     statement reads with the snapshot it started with, so the reads must
//     start after the lock is held), one statement finds the account and
//     the contact, inserts the message (ON CONFLICT DO NOTHING: a
//     redelivery inserts nothing), locks and reads the conversation, and
//     reads what the step is told about the person (an earlier lead, the
//     first referral) and the newest applied message (a late answer);
//     when the account or the contact is new, or the message carries a
//     referral, the usual statements run instead;
//   - a step without events or withdrawn replies saves the state, links the
//     message and queues every reply in one statement; otherwise the state
//     and the link are one statement, the events run as before, and the
//     replies are one multi-row INSERT.

// pgInboundQuery is recordInbound, loadConversation, contactFacts and
// isLate's read in one statement (PostgreSQL only). No row: the account or
// the contact does not exist yet. A NULL message id: a redelivery.
const pgInboundQuery = `WITH a AS (SELECT id FROM accounts WHERE channel = $1::text AND address = $2::text),
	k AS (SELECT id FROM contacts WHERE phone = $3::text),
	m AS (INSERT INTO messages (channel, ext_id, account_id, contact_id, kind, body, sent_at, received_at, truncated)
		SELECT $1::text, $4::text, a.id, k.id, $5::text, $6::text, $7::bigint, $8::bigint, $9::integer FROM a, k
		ON CONFLICT (channel, ext_id) DO NOTHING RETURNING id),
	cv AS (SELECT id, state FROM conversations WHERE account_id = (SELECT id FROM a) AND contact_id = (SELECT id FROM k)
		AND EXISTS (SELECT 1 FROM m) FOR UPDATE)
	SELECT a.id, k.id, m.id, cv.id, cv.state, EXISTS (SELECT 1 FROM leads WHERE contact_id = k.id),
		r.source_type, r.source_id, r.ctwa_clid,
		(SELECT COALESCE(MAX(sent_at), 0) FROM messages WHERE contact_id = k.id AND conversation_id = cv.id
			AND step_before NOT IN ('` + LateStep + `', '` + ConsentUnshownStep + `'))
	FROM a CROSS JOIN k LEFT JOIN m ON true LEFT JOIN cv ON true
	LEFT JOIN LATERAL (SELECT source_type, source_id, ctwa_clid FROM referrals WHERE contact_id = k.id ORDER BY id LIMIT 1) r ON true`

// pgFacts are what pgInboundQuery read besides the rows' ids.
type pgFacts struct {
	contact flow.Contact // an earlier lead, the first referral
	newest  int64        // isLate's newest applied message (sent_at, ms)
}

// pgRecordInbound is recordInbound in one statement on PostgreSQL. ok is
// false when the caller must run recordInbound instead (nothing was
// written): a new account or contact, or a message with a referral.
func (s *Store) pgRecordInbound(ctx context.Context, tx *sql.Tx, in flow.Inbound) (c conv, fresh, ok bool, err error) {
	if s.dialect != dialectPostgres || in.Referral != nil {
		return c, false, false, nil
	}
	now := s.now()
	body, truncated := inboundBody(in)
	var (
		msgID, convID        sql.NullInt64
		state                sql.NullString
		facts                pgFacts
		srcType, srcID, ctwa sql.NullString
	)
	err = tx.QueryRowContext(ctx, pgInboundQuery, in.Channel, in.Account, in.From, in.ID, string(in.Kind), body,
		millis(in.At), millis(now), truncated).Scan(&c.accountID, &c.contactID, &msgID, &convID, &state,
		&facts.contact.Returning, &srcType, &srcID, &ctwa, &facts.newest)
	if errors.Is(err, sql.ErrNoRows) {
		return c, false, false, nil
	}
	if err != nil {
		return c, false, false, fmt.Errorf("record inbound: %w", err)
	}
	if !msgID.Valid {
		return c, false, true, nil // a redelivery
	}
	c.messageID = msgID.Int64
	if srcType.Valid {
		facts.contact.Referral = &flow.Referral{SourceType: srcType.String, SourceID: srcID.String, CtwaClid: ctwa.String}
	}
	c.facts = &facts
	if convID.Valid {
		c.id, c.exists = convID.Int64, true
		if err := decodeState(state.String, &c.state); err != nil {
			return c, false, false, err
		}
		return c, true, true, nil
	}
	if err := s.startSuppressed(ctx, tx, &c, in.From, now); err != nil {
		return c, false, false, err
	}
	if err := startTakenOver(ctx, tx, &c, now); err != nil {
		return c, false, false, err
	}
	return c, true, true, nil
}

// inboundBody is what the log keeps of a message: its text, or a location
// as "lat,lon"; cut to the limit.
func inboundBody(in flow.Inbound) (string, bool) {
	body := in.Text
	if in.Location != nil {
		body = fmt.Sprintf("%.6f,%.6f", in.Location.Lat, in.Location.Lon)
	}
	return truncateBody(body)
}

// lateOf is isLate, from what pgInboundQuery read when it ran.
func (s *Store) lateOf(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound) (bool, error) {
	if c.facts == nil {
		return s.isLate(ctx, tx, c, in)
	}
	if !c.exists || !in.ProviderTime || in.At.IsZero() {
		return false, nil
	}
	return millis(in.At) < c.facts.newest-s.skew.Milliseconds(), nil
}

// factsOf is contactFacts, from what pgInboundQuery read when it ran.
func factsOf(ctx context.Context, tx *sql.Tx, c *conv) (flow.Contact, error) {
	if c.facts == nil {
		return contactFacts(ctx, tx, c.contactID)
	}
	return c.facts.contact, nil
}

// pgMaxReplies is the most replies of one step that go in one statement;
// a step with more queues them in several.
const pgMaxReplies = 8

// pgOutboxRow is one reply's VALUES in pgOutboxQuery, from argument n on.
func pgOutboxRow(n int) string {
	p := make([]string, 11)
	for i := range p {
		p[i] = fmt.Sprintf("$%d", n+i)
	}
	return "(" + strings.Join(p, ", ") + ")"
}

// pgOutboxColumns are insertOutboxQuery's columns.
const pgOutboxColumns = `INSERT INTO outbox (message_id, seq, channel, account_id, contact_id, key, body, next_attempt_at, created_at, menu, resend) VALUES `

// pgOutboxQuery queues n replies in one statement (arguments from 1 on).
func pgOutboxQuery(n int) string {
	rows := make([]string, n)
	for i := range rows {
		rows[i] = pgOutboxRow(1 + 11*i)
	}
	return pgOutboxColumns + strings.Join(rows, ", ")
}

// pgSaveQuery saves the state (arguments 1-6, as updateConversationQuery),
// links the message (7: step before, 8: message id) and queues n replies
// (from 9 on) in one statement.
func pgSaveQuery(n int) string {
	q := `WITH u AS (UPDATE conversations SET status = $1, step = $2, state = $3, state_version = $4, updated_at = $5 WHERE id = $6)`
	if n == 0 {
		return q + ` UPDATE messages SET conversation_id = $6, step_before = $7 WHERE id = $8`
	}
	q += `, l AS (UPDATE messages SET conversation_id = $6, step_before = $7 WHERE id = $8) ` + pgOutboxColumns
	rows := make([]string, n)
	for i := range rows {
		rows[i] = pgOutboxRow(9 + 11*i)
	}
	return q + strings.Join(rows, ", ")
}

// summaryLock is the advisory lock a PostgreSQL batch of messages takes
// first (pgSummaryLockQuery). Every message adds to the same few summary
// rows (conversation_funnel, kept by a trigger: one row per day, step and
// status) under row locks held to the commit; two servers' batches of
// several messages then take those rows in different orders and deadlock
// (measured with three servers: a deadlock detected every second or so,
// each costing deadlock_timeout and a retry message by message; throughput
// fell about 7x below one server). Taken first, this one lock makes the
// batches that write summaries queue instead: the summary rows serialise
// them anyway. Appending deltas and folding them later (docs/postgres.md,
// "Triggers and summaries") is what would let them run side by side.
const summaryLock = 0x63697373756d // "cissum"

// pgSummaryLockQuery takes summaryLock until the transaction ends.
const pgSummaryLockQuery = `SELECT pg_advisory_xact_lock(?)`

// lockSummaries takes summaryLock when the batch holds a message (other
// jobs, outbox claims and marks, write no summary); SQLite has one writer.
func (s *Store) lockSummaries(ctx context.Context, tx *sql.Tx, batch []*job) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	for _, j := range batch {
		if j.fn == nil {
			_, err := tx.ExecContext(ctx, pgSummaryLockQuery, summaryLock)
			if err != nil {
				return fmt.Errorf("summary lock: %w", err)
			}
			return nil
		}
	}
	return nil
}

// pgLatePath are the message path's statements for a late answer
// (time.go), whose PostgreSQL text is SQLite's with $N placeholders: the
// Cloud API's provider times make them run on every server.
var pgLatePath = []string{newestAppliedQuery, openQuestionQuery, pgSummaryLockQuery}

// pgFastStatements are the statements of this file, as the PostgreSQL port
// list takes them (their text is PostgreSQL's already).
func pgFastStatements() []string {
	qs := []string{pgInboundQuery}
	for n := range pgMaxReplies + 1 {
		qs = append(qs, pgSaveQuery(n))
		if n > 0 {
			qs = append(qs, pgOutboxQuery(n))
		}
	}
	return qs
}

// pgApply is apply on PostgreSQL with fewer round trips; ok is false when
// the caller must run apply instead (nothing was written).
func (s *Store) pgApply(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, r flow.Result) (ok bool, err error) {
	if s.dialect != dialectPostgres || !c.exists || len(r.Replies) > pgMaxReplies {
		return false, nil
	}
	stepBefore := c.state.Stage
	raw, err := encodeState(r.State)
	if err != nil {
		return true, err
	}
	args := []any{string(r.State.Status), string(r.State.Stage), raw, r.State.Version, millis(r.State.UpdatedAt), c.id,
		string(stepBefore), c.messageID}
	if len(r.Events) == 0 && len(r.Withdraw) == 0 {
		rows, err := s.replyArgs(c, in, r.Replies)
		if err != nil {
			return true, err
		}
		if _, err := tx.ExecContext(ctx, pgSaveQuery(len(r.Replies)), append(args, rows...)...); err != nil {
			return true, fmt.Errorf("save step: %w", err)
		}
		return true, nil
	}
	if _, err := tx.ExecContext(ctx, pgSaveQuery(0), args...); err != nil {
		return true, fmt.Errorf("save step: %w", err)
	}
	return true, s.applyRest(ctx, tx, c, in, r)
}

// replyArgs are the outbox rows of replies, as pgOutboxRow takes them
// (enqueue's values).
func (s *Store) replyArgs(c *conv, in flow.Inbound, replies []flow.Reply) ([]any, error) {
	now := millis(s.now())
	var args []any
	for i, r := range replies {
		menu, err := encodeMenu(r.Menu)
		if err != nil {
			return nil, err
		}
		args = append(args, c.messageID, i, in.Channel, c.accountID, c.contactID, r.Key, r.Text, now, now, menu,
			resendAfterUncertain(r.Key))
	}
	return args, nil
}

// pgEnqueue is enqueue in one statement on PostgreSQL.
func (s *Store) pgEnqueue(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, replies []flow.Reply) (bool, error) {
	if s.dialect != dialectPostgres || len(replies) == 0 || len(replies) > pgMaxReplies {
		return false, nil
	}
	args, err := s.replyArgs(c, in, replies)
	if err != nil {
		return true, err
	}
	if _, err := tx.ExecContext(ctx, pgOutboxQuery(len(replies)), args...); err != nil {
		return true, fmt.Errorf("enqueue replies: %w", err)
	}
	return true, nil
}

// encodeState is a state as the conversations row keeps it.
func encodeState(st flow.State) (string, error) {
	raw, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode conversation state: %w", err)
	}
	return string(raw), nil
}
