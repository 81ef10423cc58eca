package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// An advisor who writes to a prospect from the agency's own phone (or
// WhatsApp Web) takes the chat over: the bot stops asking there, the
// prospect's open lead counts as contacted, and the chat stays with the
// person until an advisor writes "reiniciar" in it or gives it back from the
// dashboard (migration 0090, chat_takeovers).

// Ways a takeover ends (chat_takeovers.ended_by).
const (
	HandBackPhone     = "phone"     // an advisor wrote "reiniciar" in the chat
	HandBackDashboard = "dashboard" // an advisor gave it back on the lead page
	HandBackProspect  = "prospect"  // the prospect wrote "reiniciar": the bot starts over
)

// ContactedFromPhone is the detail of the lead event a takeover records.
const ContactedFromPhone = "whatsapp_phone"

const (
	openTakeoverQuery = `SELECT id, prior_status FROM chat_takeovers WHERE account_id = ? AND contact_id = ? AND ended_at IS NULL`
	seenTakeoverQuery = `SELECT EXISTS (SELECT 1 FROM chat_takeovers WHERE account_id = ? AND ext_id = ?)`
	insertTakeover    = `INSERT INTO chat_takeovers (account_id, contact_id, ext_id, prior_status, user_id, started_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	endTakeoverQuery = `UPDATE chat_takeovers SET ended_at = ?, ended_by = ?, ended_user = ? WHERE id = ?`
	// cancelChatQuery cancels the bot's queued replies; what an advisor
	// wrote on the lead page (AdvisorMessageKey) still goes.
	cancelChatQuery = `UPDATE outbox SET status = 'cancelled', last_error = 'an advisor took the chat over'
		WHERE account_id = ? AND contact_id = ? AND status = 'pending' AND key <> '` + AdvisorMessageKey + `'`
	openLeadOfChatQuery = `SELECT id, assigned_to FROM leads WHERE account_id = ? AND contact_id = ? AND status = 'open' ORDER BY id DESC LIMIT 1`
	contactLeadQuery    = `UPDATE leads SET status = 'contacted', contacted_at = ? WHERE id = ? AND status = 'open'`
	leadEventQuery      = `INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at) VALUES (?, ?, ?, ?, 0, ?)`
	leadChatQuery       = `SELECT account_id, contact_id FROM leads WHERE id = ?`
	leadTakeoverQuery   = `SELECT t.started_at FROM chat_takeovers t JOIN leads l ON l.account_id = t.account_id AND l.contact_id = t.contact_id
		WHERE l.id = ? AND t.ended_at IS NULL`
)

// Takeover is what TakeOver did.
type Takeover struct {
	// Started is false when the chat was already with a person, or the
	// message that would start it was seen before: nothing changed.
	Started bool
	// LeadID is the open lead marked contacted, 0 when there was none.
	LeadID int64
}

// TakeOver hands the chat between the agency number account and contact to
// a person, because the agency wrote extID into it from its own phone at at:
// the conversation goes silent (flow.Handoff; its status before is kept to
// restore), replies still queued for the contact are cancelled, and the
// contact's open lead becomes contacted, credited to its advisor. A contact
// who never wrote gets a contact row, so that the bot stays out of a chat
// the agency started when that person answers.
func (s *Store) TakeOver(ctx context.Context, channel, account, contact, extID string, at time.Time) (Takeover, error) {
	var t Takeover
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		t = Takeover{}
		now := s.now()
		accountID, contactID, err := chatIDs(ctx, tx, channel, account, contact, now)
		if err != nil {
			return err
		}
		var seen bool
		if err := tx.QueryRowContext(ctx, seenTakeoverQuery, accountID, extID).Scan(&seen); err != nil || seen {
			return err
		}
		var openID int64
		var prior string
		err = tx.QueryRowContext(ctx, openTakeoverQuery, accountID, contactID).Scan(&openID, &prior)
		if err == nil || !errors.Is(err, sql.ErrNoRows) {
			return err // already with a person, or the read failed
		}
		c := conv{accountID: accountID, contactID: contactID}
		if err := loadConversation(ctx, tx, &c); err != nil {
			return err
		}
		if c.exists {
			prior = string(c.state.Status)
			if err := silence(ctx, tx, &c, "advisor_takeover", now); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, cancelChatQuery, accountID, contactID); err != nil {
			return fmt.Errorf("cancel queued replies: %w", err)
		}
		var advisor sql.NullInt64
		if t.LeadID, advisor, err = contactLead(ctx, tx, accountID, contactID, at); err != nil {
			return err
		}
		if t.LeadID != 0 { // contacted: a qualified lead for Meta (meta_events.go)
			if err := s.queueConversion(ctx, tx, t.LeadID, EventQualifiedLead, 0, millis(now)); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, insertTakeover, accountID, contactID, extID, prior, advisor, millis(now)); err != nil {
			return fmt.Errorf("record takeover: %w", err)
		}
		t.Started = true
		return nil
	})
	if err != nil {
		return Takeover{}, fmt.Errorf("take chat over: %w", err)
	}
	return t, nil
}

// silence puts an asking conversation in flow.Handoff, where the bot only
// answers a restart or a data-rights request.
func silence(ctx context.Context, tx *sql.Tx, c *conv, event string, now time.Time) error {
	switch c.state.Status {
	case flow.InProgress, flow.Completed, flow.Abandoned, flow.Handoff:
	default:
		return nil // opted out or refused: already silent, and it must stay so
	}
	st := c.state
	st.Status = flow.Handoff
	if err := saveConversation(ctx, tx, c, st); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, insertEventQuery, c.id, nil, event, "", millis(now))
	return err
}

// contactLead marks the chat's open lead contacted at at, credited to its
// advisor (or nobody); it returns the lead and the advisor.
func contactLead(ctx context.Context, tx *sql.Tx, accountID, contactID int64, at time.Time) (int64, sql.NullInt64, error) {
	var lead int64
	var advisor sql.NullInt64
	err := tx.QueryRowContext(ctx, openLeadOfChatQuery, accountID, contactID).Scan(&lead, &advisor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, advisor, nil
	}
	if err != nil {
		return 0, advisor, fmt.Errorf("open lead: %w", err)
	}
	if _, err := tx.ExecContext(ctx, contactLeadQuery, millis(at), lead); err != nil {
		return 0, advisor, fmt.Errorf("lead contacted: %w", err)
	}
	if _, err := tx.ExecContext(ctx, leadEventQuery, lead, advisor.Int64, "contacted", ContactedFromPhone, millis(at)); err != nil {
		return 0, advisor, fmt.Errorf("lead event: %w", err)
	}
	return lead, advisor, queueLeadEvent(ctx, tx, EventLeadContacted, lead, at)
}

// HandBack gives the chat between account and contact back to the bot (an
// advisor wrote "reiniciar" in it: by is HandBackPhone). It reports whether
// a takeover was open.
func (s *Store) HandBack(ctx context.Context, channel, account, contact, by string) (bool, error) {
	var ended bool
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		accountID, contactID, err := chatIDs(ctx, tx, channel, account, contact, s.now())
		if err != nil {
			return err
		}
		ended, err = endTakeover(ctx, tx, accountID, contactID, by, 0, true, s.now())
		return err
	})
	if err != nil {
		return false, fmt.Errorf("hand chat back: %w", err)
	}
	return ended, nil
}

// HandBackLead gives the chat of lead id back to the bot from the
// dashboard, by user. It reports whether a takeover was open; ErrNotFound
// for an unknown lead.
func (s *Store) HandBackLead(ctx context.Context, id, user int64) (bool, error) {
	var ended bool
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var accountID, contactID int64
		err := tx.QueryRowContext(ctx, leadChatQuery, id).Scan(&accountID, &contactID)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if ended, err = endTakeover(ctx, tx, accountID, contactID, HandBackDashboard, user, true, s.now()); err != nil || !ended {
			return err
		}
		_, err = tx.ExecContext(ctx, leadEventQuery, id, user, "handback", "", millis(s.now()))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("lead %d hand back: %w", id, err)
	}
	return ended, nil
}

// endTakeover closes the chat's open takeover; with restore, a conversation
// still silent because of it gets back the status it had (a conversation
// the takeover found already with a person, or that started during it,
// resumes asking, or stays completed).
func endTakeover(ctx context.Context, tx *sql.Tx, accountID, contactID int64, by string, user int64, restore bool, now time.Time) (bool, error) {
	var id int64
	var prior string
	err := tx.QueryRowContext(ctx, openTakeoverQuery, accountID, contactID).Scan(&id, &prior)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var byUser any
	if user > 0 {
		byUser = user
	}
	if _, err := tx.ExecContext(ctx, endTakeoverQuery, millis(now), by, byUser, id); err != nil {
		return false, fmt.Errorf("end takeover: %w", err)
	}
	if !restore {
		return true, nil
	}
	c := conv{accountID: accountID, contactID: contactID}
	if err := loadConversation(ctx, tx, &c); err != nil || !c.exists || c.state.Status != flow.Handoff {
		return true, err // the prospect restarted or opted out meanwhile: theirs stands
	}
	st := c.state
	st.Status = restoredStatus(flow.Status(prior), st)
	if err := saveConversation(ctx, tx, &c, st); err != nil {
		return true, err
	}
	_, err = tx.ExecContext(ctx, insertEventQuery, c.id, nil, "advisor_handback", by, millis(now))
	return true, err
}

func restoredStatus(prior flow.Status, st flow.State) flow.Status {
	switch prior {
	case flow.InProgress, flow.Completed, flow.Abandoned:
		return prior
	}
	if st.Stage == flow.StageDone || !st.CompletedAt.IsZero() {
		return flow.Completed
	}
	return flow.InProgress
}

// startTakenOver makes a new conversation with a contact whose chat the
// agency already took over silent from its first message.
func startTakenOver(ctx context.Context, tx *sql.Tx, c *conv, now time.Time) error {
	if c.state.Version != 0 {
		return nil // suppressed already: it stays so
	}
	var id int64
	var prior string
	err := tx.QueryRowContext(ctx, openTakeoverQuery, c.accountID, c.contactID).Scan(&id, &prior)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("open takeover: %w", err)
	}
	c.state = flow.State{Version: flow.StateVersion, Status: flow.Handoff, Stage: flow.StageGreeting, StartedAt: now}
	return nil
}
