package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

const (
	selectAccountQuery = `SELECT id FROM accounts WHERE channel = ? AND address = ?`
	insertAccountQuery = `INSERT INTO accounts (channel, address, created_at) VALUES (?, ?, ?)`
	selectContactQuery = `SELECT id FROM contacts WHERE phone = ?`
	insertContactQuery = `INSERT INTO contacts (phone, created_at) VALUES (?, ?)`
	insertInboundQuery = `INSERT INTO messages (channel, ext_id, account_id, contact_id, kind, body, sent_at, received_at, truncated)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (channel, ext_id) DO NOTHING`
	selectConversationQuery = `SELECT id, state FROM conversations WHERE account_id = ? AND contact_id = ?`
	insertConversationQuery = `INSERT INTO conversations (account_id, contact_id, status, step, state, state_version, started_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	updateConversationQuery = `UPDATE conversations SET status = ?, step = ?, state = ?, state_version = ?, updated_at = ? WHERE id = ?`
	linkMessageQuery        = `UPDATE messages SET conversation_id = ?, step_before = ? WHERE id = ?`
	insertOutboxQuery       = `INSERT INTO outbox (message_id, seq, channel, account_id, contact_id, key, body, next_attempt_at, created_at, menu, resend)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	cancelOutboxQuery = `UPDATE outbox SET status = 'cancelled' WHERE contact_id = ? AND status = 'pending'`
	// withdrawQuery cancels the conversation's unsent replies whose key is in
	// the JSON list ?3 (flow.Result.Withdraw: a newer question in a burst).
	withdrawQuery = `UPDATE outbox SET status = 'cancelled', last_error = 'superseded in a burst'
		WHERE account_id = ?1 AND contact_id = ?2 AND status = 'pending' AND key IN (SELECT value FROM json_each(?3))`
	cancelNoticesQuery = `UPDATE lead_notices SET status = 'cancelled' WHERE status = 'pending'
		AND lead_id IN (SELECT id FROM leads WHERE contact_id = ?)`
	insertEventQuery  = `INSERT INTO conversation_events (conversation_id, message_id, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)`
	insertPolicyQuery = `INSERT INTO policy_texts (sha256, version, lang, body, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`
	insertConsentQuery = `INSERT INTO consent_records (contact_id, phone, channel, message_ext_id, answer, accepted, policy_version, text_sha256, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertLeadQuery = `INSERT INTO leads (conversation_id, contact_id, account_id, name, city_code, city_name, department, city_foreign,
		budget_min_cop, budget_max_cop, budget_unknown, urgency, service, source, class, probability, model, reasons,
		started_at, completed_at, deadline_at, created_at, retries, answer_seconds, returning_contact)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	setContactNameQuery   = `UPDATE contacts SET name = ? WHERE id = ?`
	setContactOptOutQuery = `UPDATE contacts SET opted_out_at = ? WHERE id = ? AND opted_out_at IS NULL`
)

// conv is one conversation row inside a transaction.
type conv struct {
	id, accountID, contactID, messageID int64
	state                               flow.State
	exists                              bool
	facts                               *pgFacts // PostgreSQL: read with the message (pgfast.go); nil: read when needed
}

// Handle records in and, unless its channel message ID was seen before, runs
// step on the sender's conversation, then saves the new state, the replies
// (as outbox rows), the lead, the consent evidence and the other events in
// one transaction. handled is false for a redelivered message: nothing
// changes. An error means nothing was stored, and the channel must not
// acknowledge the message. Safe for concurrent use: messages are applied in
// the order Handle is called, several per commit under load (see batch.go).
func (s *Store) Handle(ctx context.Context, in flow.Inbound, step func(flow.State) flow.Result) (handled bool, err error) {
	if in.Channel == "" || in.ID == "" || in.From == "" {
		return false, fmt.Errorf("handle message: channel, id and sender are required")
	}
	handled, err = s.submit(ctx, in, step)
	if err != nil {
		return false, fmt.Errorf("handle message %s/%s: %w", in.Channel, in.ID, err)
	}
	return handled, nil
}

// handleInTx is one message's work inside a (batch) transaction. The step
// runs once; what it returned is applied, or, for a message that must not
// count as an answer (time.go, consent.go), kept in the log with an
// explicit reply instead.
func (s *Store) handleInTx(ctx context.Context, tx *sql.Tx, in flow.Inbound, step func(flow.State) flow.Result) (bool, error) {
	in, ahead := s.believable(in, s.now())
	if err := s.lockSender(ctx, tx, in.From); err != nil {
		return false, err
	}
	c, fresh, err := s.recordInbound(ctx, tx, in)
	if err != nil || !fresh {
		return false, err
	}
	late, err := s.lateOf(ctx, tx, &c, in)
	if err != nil {
		return false, err
	}
	if c.state.Contact, err = factsOf(ctx, tx, &c); err != nil {
		return false, err
	}
	stf := s.staffingFor(ctx, tx, c.state)
	if stf != nil {
		c.state.Contact.Staffing = stf
	}
	r := step(c.state)
	if stf != nil && stf.err != nil {
		return false, stf.err
	}
	var notes []note
	if ahead > 0 {
		notes = append(notes, note{"clock_skew", fmt.Sprintf("provider time %.0f s ahead; arrival time used", ahead.Seconds())})
	}
	switch {
	case late && !appliesLate(c.state, r):
		err = s.keepLate(ctx, tx, &c, in.Channel)
	case late:
		notes = append(notes, note{"late", "applied: not an answer to a question"})
		err = s.applyCounted(ctx, tx, &c, in, r)
	default:
		err = s.applyCounted(ctx, tx, &c, in, r)
	}
	if err != nil {
		return false, err
	}
	for _, n := range notes {
		if _, err := tx.ExecContext(ctx, insertEventQuery, c.id, c.messageID, n.kind, n.detail, millis(s.now())); err != nil {
			return false, fmt.Errorf("%s event: %w", n.kind, err)
		}
	}
	return true, nil
}

// note is an event about how a message was handled, filed once the
// conversation row exists.
type note struct{ kind, detail string }

// applyCounted applies r, unless it records a consent answer to a consent
// text that was never sent (consent.go).
func (s *Store) applyCounted(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, r flow.Result) error {
	if k := consentOf(r); k != nil && c.exists {
		shown, last, err := consentShown(ctx, tx, c)
		if err != nil {
			return err
		}
		if !shown {
			return s.keepUnshown(ctx, tx, c, in.Channel, *k, last)
		}
	} else if k != nil {
		// No conversation yet, so no consent text was ever queued.
		return s.keepUnshown(ctx, tx, c, in.Channel, *k, consentText{})
	}
	return s.apply(ctx, tx, c, in, r)
}

// recordInbound inserts the message and loads its conversation. fresh is
// false when the (channel, id) pair was already in the log.
func (s *Store) recordInbound(ctx context.Context, tx *sql.Tx, in flow.Inbound) (c conv, fresh bool, err error) {
	if c, fresh, ok, err := s.pgRecordInbound(ctx, tx, in); ok || err != nil {
		return c, fresh, err
	}
	now := s.now()
	if c.accountID, err = lookupOrInsert(ctx, tx, selectAccountQuery, []any{in.Channel, in.Account},
		insertAccountQuery, []any{in.Channel, in.Account, millis(now)}); err != nil {
		return c, false, fmt.Errorf("account: %w", err)
	}
	if c.contactID, err = lookupOrInsert(ctx, tx, selectContactQuery, []any{in.From},
		insertContactQuery, []any{in.From, millis(now)}); err != nil {
		return c, false, fmt.Errorf("contact: %w", err)
	}
	body, truncated := inboundBody(in)
	res, err := tx.ExecContext(ctx, insertInboundQuery, in.Channel, in.ID, c.accountID, c.contactID,
		string(in.Kind), body, millis(in.At), millis(now), truncated)
	if err != nil {
		return c, false, fmt.Errorf("record inbound: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return c, false, err // n == 0: a redelivery
	}
	if c.messageID, err = res.LastInsertId(); err != nil {
		return c, false, err
	}
	if err := insertReferral(ctx, tx, c, in.Referral, now); err != nil {
		return c, false, err
	}
	if err := loadConversation(ctx, tx, &c); err != nil {
		return c, false, err
	}
	if !c.exists {
		if err := s.startSuppressed(ctx, tx, &c, in.From, now); err != nil {
			return c, false, err
		}
		if err := startTakenOver(ctx, tx, &c, now); err != nil {
			return c, false, err
		}
	}
	return c, true, nil
}

// lookupOrInsert returns the id of the row find selects, inserting it first
// when missing. A read before the write keeps the common case (the row
// exists) free of writes; the transaction holds the write lock from BEGIN,
// so nobody can insert the row in between.
func lookupOrInsert(ctx context.Context, tx *sql.Tx, find string, findArgs []any, insert string, insertArgs []any) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, find, findArgs...).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	res, err := tx.ExecContext(ctx, insert, insertArgs...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func loadConversation(ctx context.Context, tx *sql.Tx, c *conv) error {
	var raw string
	err := tx.QueryRowContext(ctx, selectConversationQuery, c.accountID, c.contactID).Scan(&c.id, &raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // a new conversation starts from the zero State
	}
	if err != nil {
		return fmt.Errorf("load conversation: %w", err)
	}
	c.exists = true
	return decodeState(raw, &c.state)
}

// decodeState reads a saved state, upgrading older layouts.
func decodeState(raw string, st *flow.State) error {
	if err := json.Unmarshal([]byte(raw), st); err != nil {
		return fmt.Errorf("decode conversation state: %w", err)
	}
	if st.Version > flow.StateVersion {
		return fmt.Errorf("conversation state version %d: %w", st.Version, ErrNewerSchema)
	}
	st.Version = flow.StateVersion // version 1 is the first layout: nothing to upgrade yet
	return nil
}

// apply saves the outcome of one step.
func (s *Store) apply(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, r flow.Result) error {
	if ok, err := s.pgApply(ctx, tx, c, in, r); ok {
		return err
	}
	stepBefore := c.state.Stage
	if err := saveConversation(ctx, tx, c, r.State); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, linkMessageQuery, c.id, string(stepBefore), c.messageID); err != nil {
		return fmt.Errorf("link message: %w", err)
	}
	return s.applyRest(ctx, tx, c, in, r)
}

// applyRest is apply once the state is saved and the message linked: the
// events, the withdrawn replies, the new replies.
func (s *Store) applyRest(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, r flow.Result) error {
	for _, e := range r.Events {
		if err := s.applyEvent(ctx, tx, c, in, e); err != nil {
			return fmt.Errorf("event %s: %w", e.Kind, err)
		}
	}
	if len(r.Withdraw) > 0 {
		keys, err := json.Marshal(r.Withdraw)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, withdrawQuery, c.accountID, c.contactID, string(keys)); err != nil {
			return fmt.Errorf("withdraw replies: %w", err)
		}
	}
	return s.enqueue(ctx, tx, c, in, r.Replies)
}

func saveConversation(ctx context.Context, tx *sql.Tx, c *conv, st flow.State) error {
	raw, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode conversation state: %w", err)
	}
	if !c.exists {
		res, err := tx.ExecContext(ctx, insertConversationQuery, c.accountID, c.contactID, string(st.Status), string(st.Stage),
			string(raw), st.Version, millis(st.StartedAt), millis(st.UpdatedAt))
		if err != nil {
			return fmt.Errorf("insert conversation: %w", err)
		}
		c.exists = true
		c.id, err = res.LastInsertId()
		return err
	}
	if _, err := tx.ExecContext(ctx, updateConversationQuery, string(st.Status), string(st.Stage), string(raw),
		st.Version, millis(st.UpdatedAt), c.id); err != nil {
		return fmt.Errorf("update conversation: %w", err)
	}
	return nil
}

func (s *Store) enqueue(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, replies []flow.Reply) error {
	if ok, err := s.pgEnqueue(ctx, tx, c, in, replies); ok {
		return err
	}
	now := millis(s.now())
	for i, r := range replies {
		menu, err := encodeMenu(r.Menu)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, insertOutboxQuery, c.messageID, i, in.Channel, c.accountID, c.contactID,
			r.Key, r.Text, now, now, menu, resendAfterUncertain(r.Key)); err != nil {
			return fmt.Errorf("enqueue reply %d: %w", i, err)
		}
	}
	return nil
}

func (s *Store) applyEvent(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, e flow.Event) error {
	now := millis(s.now())
	switch e.Kind {
	case flow.EventConsent:
		if e.Consent == nil {
			return errors.New("consent event without consent")
		}
		return insertConsent(ctx, tx, c, s.consentEvidence(in), *e.Consent, now)
	case flow.EventLeadCompleted:
		if e.Lead == nil || e.Score == nil {
			return errors.New("lead event without lead or score")
		}
		if _, err := tx.ExecContext(ctx, setContactNameQuery, e.Lead.Name, c.contactID); err != nil {
			return err
		}
		l := *e.Lead // whole as scored: its source and returning flag came in with the state (contactFacts)
		leadID, err := insertLead(ctx, tx, c, l, *e.Score, e.Deadline, now)
		if err != nil {
			return err
		}
		if err := setCallbackPhone(ctx, tx, leadID, l.CallbackPhone); err != nil {
			return err
		}
		if err := setOtherServices(ctx, tx, leadID, l.OtherServices); err != nil {
			return err
		}
		// lead.completed is queued before the assignment's lead.assigned (webhooks keep their order).
		if err := queueLeadEvent(ctx, tx, EventLeadCompleted, leadID, fromMillis(now)); err != nil {
			return err
		}
		if _, err := assignLead(ctx, tx, s.ruleSet(), leadID, 0, NotifyAssigned, now); err != nil {
			return fmt.Errorf("assign lead: %w", err)
		}
		return s.queueLeadConversions(ctx, tx, leadID, e.Score.Class, now)
	case flow.EventOptedOut:
		if _, err := tx.ExecContext(ctx, setContactOptOutQuery, now, c.contactID); err != nil {
			return err
		}
		// Their events still queued leave without their personal data (store/webhook_events.go).
		if err := scrubOptedOut(ctx, tx, c.contactID); err != nil {
			return err
		}
		// P1: replies still queued for this person are not sent after an opt-out.
		if _, err := tx.ExecContext(ctx, cancelOutboxQuery, c.contactID); err != nil {
			return err
		}
		if err := cancelConversions(ctx, tx, c.contactID, "cancelled: the person opted out"); err != nil {
			return err
		}
		// O-1: advisors are not pushed to contact a person who just asked not to be written to.
		if _, err := tx.ExecContext(ctx, cancelNoticesQuery, c.contactID); err != nil {
			return err
		}
		// O-1: the suppression outlives a later deletion of the contact.
		if err := s.suppress(ctx, tx, in.From, "opt_out"); err != nil {
			return err
		}
		// An opt-out revokes the authorisation: a claim with its legal term. "borrar mis datos"
		// also opts out, but its own data_request event already tracks it.
		if e.Request == "" {
			if _, err := s.insertDataRequest(ctx, tx, c.contactID, in.From, RequestRevoke, in.Channel, s.now()); err != nil {
				return err
			}
		}
	case flow.EventRestarted:
		if err := s.restarted(ctx, tx, c, in); err != nil {
			return err
		}
	case flow.EventDataRequest:
		if _, err := s.insertDataRequest(ctx, tx, c.contactID, in.From, e.Request, in.Channel, s.now()); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, insertEventQuery, c.id, c.messageID, string(e.Kind), eventDetail(e), now)
	return err
}

// eventDetail is what a conversation event records besides its kind: the
// data request, or, when a prospect asked for the call after the promised
// time, the new time promised (for the queue).
func eventDetail(e flow.Event) string {
	if e.Kind == flow.EventAskedForCall {
		return e.Deadline.UTC().Format(time.RFC3339)
	}
	return e.Request
}

// restarted undoes what a person's "reiniciar" ends: after an opt-out (or
// after a deletion, which starts suppressed) it is the person opting back
// in, consent asked again, so the suppression no longer applies; while an
// advisor has the chat, the person gets the bot back.
func (s *Store) restarted(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound) error {
	if c.state.Status == flow.OptedOut {
		if err := s.unsuppress(ctx, tx, c.contactID, in.From); err != nil {
			return err
		}
	}
	_, err := endTakeover(ctx, tx, c.accountID, c.contactID, HandBackProspect, 0, false, s.now())
	return err
}

func insertConsent(ctx context.Context, tx *sql.Tx, c *conv, in flow.Inbound, k flow.Consent, now int64) error {
	sum := sha256.Sum256([]byte(k.Text))
	hash := hex.EncodeToString(sum[:])
	if _, err := tx.ExecContext(ctx, insertPolicyQuery, hash, k.PolicyVersion, k.Lang, k.Text, now); err != nil {
		return fmt.Errorf("policy text: %w", err)
	}
	_, err := tx.ExecContext(ctx, insertConsentQuery, c.contactID, in.From, in.Channel, in.ID, k.Answer,
		k.Accepted, k.PolicyVersion, hash, now)
	return err
}

func insertLead(ctx context.Context, tx *sql.Tx, c *conv, l flow.Lead, sc flow.Score, deadline time.Time, now int64) (int64, error) {
	reasons, err := json.Marshal(sc.Reasons)
	if err != nil {
		return 0, err
	}
	retries, seconds, returning := engagementArgs(l)
	res, err := tx.ExecContext(ctx, insertLeadQuery, c.id, c.contactID, c.accountID, l.Name,
		l.City.Code, l.City.Name, l.City.Department, l.City.Foreign,
		l.Budget.MinCOP, l.Budget.MaxCOP, l.Budget.Unknown, string(l.Urgency), l.Service, l.Source,
		string(sc.Class), sc.Probability, sc.Model, string(reasons),
		millis(l.StartedAt), millis(l.CompletedAt), millis(deadline), now, retries, seconds, returning)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// engagementArgs are a lead's engagement columns: NULL when unknown.
func engagementArgs(l flow.Lead) (retries, seconds, returning any) {
	if g := l.Engagement; g != nil {
		return g.Retries, g.Seconds, g.Returning
	}
	return nil, nil, nil
}
