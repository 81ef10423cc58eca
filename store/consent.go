package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cis-agencia/cis/flow"
)

// A consent answer counts only if the consent text it answers was sent
// (issue 15; Ley 1581 art. 9 and 12: the authorisation is informed, and its
// proof is the text shown). The flow cannot know what left: it sees its own
// state, in which the consent text was queued. So before a step that records
// a consent answer (yes or no) is applied, the store looks at the last
// consent text queued to that person on that number: only when its status is
// 'sent' and no failure was reported for it does the answer count. Otherwise
// the message is kept in the conversation's log (step ConsentUnshownStep, a
// 'consent_not_shown' event) without any other effect, and the consent text
// is queued again, unless it is still waiting to leave. This covers a
// consent text cut by a crash, one still in the queue when the answer came,
// one the provider refused (a permanent failure, e.g. a WhatsApp username
// that cannot be reached) and one reported failed after it was accepted.

// ConsentUnshownStep is the step_before of a consent answer that did not
// count because its consent text was not sent.
const ConsentUnshownStep = "(consent not shown)"

const lastConsentTextQuery = `SELECT status, delivery_failed, menu FROM outbox
	WHERE account_id = ? AND contact_id = ? AND key = 'consent' ORDER BY id DESC LIMIT 1`

// earlyToldQuery counts the "your answer came before the notice" lines
// queued since the last consent text.
const earlyToldQuery = `SELECT COUNT(*) FROM outbox WHERE account_id = ?1 AND contact_id = ?2 AND key = 'consent_early'
	AND id > (SELECT COALESCE(MAX(id), 0) FROM outbox WHERE account_id = ?1 AND contact_id = ?2 AND key = 'consent')`

// consentOf returns the consent answer r records, nil when none.
func consentOf(r flow.Result) *flow.Consent {
	for _, e := range r.Events {
		if e.Kind == flow.EventConsent && e.Consent != nil {
			return e.Consent
		}
	}
	return nil
}

// consentText is the last consent text queued in a conversation, as far as
// the rule needs it.
type consentText struct {
	status string // "" when none was queued; "failed" also for one reported failed after it was accepted
	menu   string // its yes/no buttons, to send again with it
}

// consentShown reports whether the last consent text queued in c was sent.
func consentShown(ctx context.Context, tx *sql.Tx, c *conv) (bool, consentText, error) {
	var k consentText
	var failed string
	err := tx.QueryRowContext(ctx, lastConsentTextQuery, c.accountID, c.contactID).Scan(&k.status, &failed, &k.menu)
	if errors.Is(err, sql.ErrNoRows) {
		return false, k, nil
	}
	if err != nil {
		return false, k, fmt.Errorf("consent text sent: %w", err)
	}
	if failed != "" {
		k.status = "failed"
	}
	return k.status == "sent", k, nil
}

// waiting reports whether the text is still on its way: queued, or claimed
// by a live sender (it ends sent, pending again, or unconfirmed by the
// crash policy; queuing it again now would send it twice).
func (k consentText) waiting() bool { return k.status == "pending" || k.status == "sending" }

// keepUnshown keeps a consent answer whose text was not sent as a message
// only, and queues the consent text again unless it is still on its way.
func (s *Store) keepUnshown(ctx context.Context, tx *sql.Tx, c *conv, channel string, k flow.Consent, last consentText) error {
	if !c.exists {
		// A conversation row for the log; the zero state is where the flow
		// starts, so the next message begins the conversation (and a replay
		// that skips this message ends in the same state).
		if err := saveConversation(ctx, tx, c, flow.State{}); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, linkMessageQuery, c.id, ConsentUnshownStep, c.messageID); err != nil {
		return fmt.Errorf("link consent answer: %w", err)
	}
	status := cmp.Or(last.status, "none")
	detail := "consent text " + status + "; sent again"
	if last.waiting() {
		detail = "consent text still queued"
		if err := s.tellEarly(ctx, tx, c, channel, k); err != nil {
			return err
		}
	} else if err := s.enqueueOne(ctx, tx, c, channel, 0, "consent", k.Text, last.menu); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertEventQuery, c.id, c.messageID, "consent_not_shown", detail, millis(s.now())); err != nil {
		return fmt.Errorf("consent event: %w", err)
	}
	return nil
}

// tellEarly queues, once per consent text, the line that tells the person
// their yes or no came before the consent text reached them and asks for
// it again (flow.Consent.Early). Without it the answer was kept without a
// word: the person, sure they had answered, waited for the next question
// while the bot waited for their answer.
func (s *Store) tellEarly(ctx context.Context, tx *sql.Tx, c *conv, channel string, k flow.Consent) error {
	if k.Early == "" {
		return nil
	}
	var told int
	if err := tx.QueryRowContext(ctx, earlyToldQuery, c.accountID, c.contactID).Scan(&told); err != nil {
		return fmt.Errorf("early consent answer told: %w", err)
	}
	if told > 0 {
		return nil
	}
	return s.enqueueOne(ctx, tx, c, channel, 0, "consent_early", k.Early, "")
}
