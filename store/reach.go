package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// How an advisor reaches a prospect. A lead whose person wrote with a
// WhatsApp username (BSUID), a hidden number (LID) or from the web chat, and
// gave no number to call back on, can only be written to: "solo WhatsApp"
// on the queue and the lead page, which offers to write through the outbox.

// CloudWindow is the Cloud API's customer-service window: free text only
// within 24 hours of the person's last message; after it only approved
// templates (not sent by this build).
const CloudWindow = 24 * time.Hour

// ErrWindowClosed is returned for a free-text message on the Cloud API more
// than CloudWindow after the person last wrote.
var ErrWindowClosed = errors.New("the 24-hour WhatsApp window is closed: only an approved template can be sent")

// AdvisorMessageKey is the outbox key of a message an advisor wrote on the lead page.
const AdvisorMessageKey = "advisor_message"

// NoPhone reports whether the lead has no number to call: its person is
// known by a BSUID, a LID or a web-chat session, and gave none to be called on.
func (r QueueRow) NoPhone() bool { return !IsPhoneKey(r.Phone) && r.CallbackPhone == "" }

// SoloWhatsApp reports whether the lead can only be answered in WhatsApp
// (NoPhone on a WhatsApp channel).
func (r QueueRow) SoloWhatsApp() bool {
	return r.NoPhone() && (r.Channel == "cloudapi" || r.Channel == "whatsapp")
}

// CallNumber is the number an advisor calls: the person's phone, else the
// one they gave in the chat; "" when there is none.
func (r QueueRow) CallNumber() string {
	if IsPhoneKey(r.Phone) {
		return r.Phone
	}
	return r.CallbackPhone
}

// LeadReach says whether and until when an advisor can write to the lead's
// person from the lead page.
type LeadReach struct {
	LastInbound time.Time // the person's last message to the lead's agency number
	OptedOut    bool      // opted out or erased: nobody writes to them
	WindowEnds  time.Time // Cloud API: LastInbound + CloudWindow; zero on channels without a window
	Open        bool      // CanWrite when it was read
	Writable    bool      // the channel delivers an advisor's message (WhatsApp, web chat)
	// Unreachable is when WhatsApp last refused to deliver to the person
	// (Cloud API 131026), zero when it never did or they wrote since.
	Unreachable time.Time
}

// CanWrite reports whether a free-text message may be sent at now.
func (r LeadReach) CanWrite(now time.Time) bool {
	return !r.OptedOut && !r.LastInbound.IsZero() && (r.WindowEnds.IsZero() || now.Before(r.WindowEnds))
}

const (
	leadReachQuery = `SELECT a.channel, c.opted_out_at IS NOT NULL, COALESCE(m.id, 0), COALESCE(m.sent_at, 0), c.phone, l.contact_id, l.account_id,
		COALESCE(c.unreachable_at, 0)
		FROM leads l JOIN contacts c ON c.id = l.contact_id JOIN accounts a ON a.id = l.account_id
		LEFT JOIN messages m ON m.id = (SELECT max(id) FROM messages WHERE contact_id = l.contact_id AND account_id = l.account_id)
		WHERE l.id = ?`
	insertAdvisorMessageQuery = `INSERT INTO outbox (message_id, seq, channel, account_id, contact_id, key, body, next_attempt_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`
	insertLeadEventQuery = `INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at) VALUES (?, ?, ?, '', 0, ?)`
)

type leadTarget struct {
	channel, key                  string
	optedOut                      bool
	messageID, contactID, account int64
	lastInbound, unreachable      time.Time
}

func scanTarget(row scanner) (leadTarget, error) {
	var t leadTarget
	var at, unreachable int64
	err := row.Scan(&t.channel, &t.optedOut, &t.messageID, &at, &t.key, &t.contactID, &t.account, &unreachable)
	t.lastInbound, t.unreachable = fromMillis(at), fromMillis(unreachable)
	return t, err
}

func (t leadTarget) reach(now time.Time) LeadReach {
	r := LeadReach{LastInbound: t.lastInbound, OptedOut: t.optedOut}
	if t.unreachable.After(t.lastInbound) {
		r.Unreachable = t.unreachable // a message since shows the person is back
	}
	if t.channel == "cloudapi" && !t.lastInbound.IsZero() {
		r.WindowEnds = t.lastInbound.Add(CloudWindow)
	}
	r.Writable = t.channel == "cloudapi" || t.channel == "whatsapp" || t.channel == "webchat"
	r.Open = r.Writable && r.CanWrite(now)
	return r
}

// LeadReach returns how the advisor can write to lead id's person.
func (s *Store) LeadReach(ctx context.Context, id int64) (LeadReach, error) {
	t, err := scanTarget(s.ro.QueryRowContext(ctx, leadReachQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return LeadReach{}, fmt.Errorf("lead %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return LeadReach{}, fmt.Errorf("lead %d reach: %w", id, err)
	}
	return t.reach(s.now()), nil
}

// WriteToLead queues body, written by user on the lead page, to lead id's
// person on the channel and agency number of the lead, through the outbox
// like every reply (so the channel's sender paces, retries and records it),
// and notes it on the lead's timeline. ErrSuppressed: the person opted out or
// was erased; ErrWindowClosed: a Cloud API person last wrote more than 24
// hours ago.
func (s *Store) WriteToLead(ctx context.Context, id, user int64, body string) (int64, error) {
	var outboxID int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		t, err := scanTarget(tx.QueryRowContext(ctx, leadReachQuery, id))
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		now := s.now()
		suppressed, err := s.suppressed(ctx, tx, t.key)
		if err != nil {
			return err
		}
		r := t.reach(now)
		switch {
		case !r.Writable:
			return fmt.Errorf("channel %s: %w", t.channel, ErrConflict)
		case r.OptedOut || suppressed || t.messageID == 0:
			return ErrSuppressed
		case !r.CanWrite(now):
			return ErrWindowClosed
		}
		var seq int
		if err := tx.QueryRowContext(ctx, nextSeqQuery, t.messageID).Scan(&seq); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, insertAdvisorMessageQuery, t.messageID, seq, t.channel, t.account, t.contactID,
			AdvisorMessageKey, body, millis(now), millis(now))
		if err != nil {
			return err
		}
		if outboxID, err = res.LastInsertId(); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, insertLeadEventQuery, id, user, "message", millis(now))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("write to lead %d: %w", id, err)
	}
	return outboxID, nil
}
