package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Conversion events (issue 18): Meta's Conversions API for business
// messaging learns which click-to-WhatsApp ads brought leads that were
// submitted, qualified and won, keyed by the click's ctwa_clid. An event is
// queued in the same transaction as the change it reports, only when the
// installation sends them (SetConversionEvents), only for a lead whose
// person came from an ad (a stored ctwa_clid), whose last word on consent
// was yes and who has not opted out. The bot's worker (bot/metaevents.go)
// sends it with the one claim → send → confirm routine; a send a crash left
// unconfirmed goes again under the same event_id, which Meta deduplicates.

// Conversion event names Meta accepts for action_source business_messaging.
const (
	EventLeadSubmitted = "LeadSubmitted"
	EventQualifiedLead = "QualifiedLead"
	EventPurchase      = "Purchase"
)

// MetaEvent is one queued conversion event.
type MetaEvent struct {
	ID        int64
	LeadID    int64
	Name      string // LeadSubmitted, QualifiedLead or Purchase
	EventID   string // Meta deduplicates on it
	CtwaClid  string
	ValueCOP  int64 // Purchase only
	At        time.Time
	Attempts  int
	Status    string
	LastError string
}

const (
	// queueMetaEventQuery queues one event of a lead, if its person came
	// from an ad and consented; a second one of the same name is ignored.
	queueMetaEventQuery = `INSERT INTO meta_events (lead_id, event_name, event_id, ctwa_clid, value_cop, event_time, next_attempt_at, created_at)
		SELECT l.id, ?2, 'cis-lead-' || l.id || '-' || ?2, r.ctwa_clid, ?3, ?4, ?4, ?4
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		JOIN referrals r ON r.id = (SELECT min(id) FROM referrals WHERE contact_id = l.contact_id AND ctwa_clid <> '')
		WHERE l.id = ?1 AND c.opted_out_at IS NULL AND c.phone NOT LIKE 'erased:%'
		AND (SELECT accepted FROM consent_records WHERE contact_id = l.contact_id ORDER BY id DESC LIMIT 1) = 1
		ON CONFLICT DO NOTHING`
	pendingMetaQuery = `SELECT id, lead_id, event_name, event_id, ctwa_clid, value_cop, event_time, attempts, status, last_error
		FROM meta_events WHERE status = 'pending' AND next_attempt_at <= ? ORDER BY id LIMIT ?`
	metaEventsOfLeadQuery = `SELECT id, lead_id, event_name, event_id, ctwa_clid, value_cop, event_time, attempts, status, last_error
		FROM meta_events WHERE lead_id = ? ORDER BY id`
	claimMetaQuery   = `UPDATE meta_events SET status = 'sending', claimed_at = ? WHERE id = ? AND status = 'pending'`
	sentMetaQuery    = `UPDATE meta_events SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'sending'`
	unclaimMetaQuery = `UPDATE meta_events SET status = 'pending', claimed_at = NULL WHERE id = ? AND status = 'sending'`
	retryMetaQuery   = `UPDATE meta_events SET status = 'pending', claimed_at = NULL, attempts = attempts + 1, next_attempt_at = ?, last_error = ?
		WHERE id = ? AND status IN ('pending', 'sending')`
	resendMetaQuery = `UPDATE meta_events SET status = 'pending', claimed_at = NULL, resends = resends + 1, next_attempt_at = ?, last_error = ?
		WHERE id = ? AND status = 'sending'`
	failMetaQuery = `UPDATE meta_events SET status = 'failed', claimed_at = NULL, attempts = attempts + 1, last_error = ?
		WHERE id = ? AND status IN ('pending', 'sending')`
	// orphanMetaQuery: events a previous process claimed and never marked
	// go again; the same event_id makes Meta count them once.
	orphanMetaQuery = `UPDATE meta_events SET status = 'pending', claimed_at = NULL, resends = resends + 1,
		last_error = 'a crash cut its send; sent again under the same event_id' WHERE status = 'sending' AND claimed_at < ?`
	metaTimelineQuery = `INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at)
		SELECT lead_id, 0, ?, event_name, value_cop, ? FROM meta_events WHERE id = ?`
	// cancelMetaOfContactQuery cancels what was not sent and forgets every
	// click id of the person's leads.
	cancelMetaOfContactQuery = `UPDATE meta_events SET ctwa_clid = '',
		last_error = CASE WHEN status IN ('pending', 'sending') THEN ?1 ELSE last_error END,
		status = CASE WHEN status IN ('pending', 'sending') THEN 'cancelled' ELSE status END
		WHERE lead_id IN (SELECT id FROM leads WHERE contact_id = ?2)`
)

// SetConversionEvents turns the queueing of conversion events on or off
// (cis serve --meta-dataset); off by default.
func (s *Store) SetConversionEvents(on bool) { s.conversions.Store(on) }

// queueConversion queues event name of lead id in tx (the transaction of
// the change it reports) when the installation sends them.
func (s *Store) queueConversion(ctx context.Context, tx *sql.Tx, id int64, name string, valueCOP, now int64) error {
	if !s.conversions.Load() {
		return nil
	}
	if _, err := tx.ExecContext(ctx, queueMetaEventQuery, id, name, valueCOP, now); err != nil {
		return fmt.Errorf("queue %s event: %w", name, err)
	}
	return nil
}

// queueLeadConversions queues what a completed lead tells Meta: submitted,
// and qualified too when it scored hot.
func (s *Store) queueLeadConversions(ctx context.Context, tx *sql.Tx, id int64, class flow.Class, now int64) error {
	if err := s.queueConversion(ctx, tx, id, EventLeadSubmitted, 0, now); err != nil || class != flow.Hot {
		return err
	}
	return s.queueConversion(ctx, tx, id, EventQualifiedLead, 0, now)
}

// queueWon queues a won lead's purchase, with its value in COP (and its
// qualification, when no contact was recorded before).
func (s *Store) queueWon(ctx context.Context, tx *sql.Tx, id, valueCOP, now int64) error {
	if err := s.queueConversion(ctx, tx, id, EventQualifiedLead, 0, now); err != nil {
		return err
	}
	return s.queueConversion(ctx, tx, id, EventPurchase, valueCOP, now)
}

// PendingMetaEvents returns up to limit events due now, oldest first.
func (s *Store) PendingMetaEvents(ctx context.Context, limit int) ([]MetaEvent, error) {
	return s.metaEvents(ctx, pendingMetaQuery, millis(s.now()), limit)
}

// MetaEventsOf returns lead id's conversion events.
func (s *Store) MetaEventsOf(ctx context.Context, id int64) ([]MetaEvent, error) {
	return s.metaEvents(ctx, metaEventsOfLeadQuery, id)
}

func (s *Store) metaEvents(ctx context.Context, q string, args ...any) ([]MetaEvent, error) {
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("meta events: %w", err)
	}
	defer rows.Close()
	var out []MetaEvent
	for rows.Next() {
		var e MetaEvent
		var at int64
		if err := rows.Scan(&e.ID, &e.LeadID, &e.Name, &e.EventID, &e.CtwaClid, &e.ValueCOP, &at, &e.Attempts, &e.Status, &e.LastError); err != nil {
			return nil, fmt.Errorf("meta events: %w", err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// ClaimMetaEvent marks event id as being sent; false when it is not pending.
func (s *Store) ClaimMetaEvent(ctx context.Context, id int64) (bool, error) {
	res, err := s.rw.ExecContext(ctx, claimMetaQuery, millis(s.now()), id)
	if err != nil {
		return false, fmt.Errorf("claim meta event %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ConfirmMetaEvents records events Meta accepted, each on its lead's timeline.
func (s *Store) ConfirmMetaEvents(ctx context.Context, done []Sent) error {
	now := millis(s.now())
	return s.metaTx(ctx, "confirm", func(tx *sql.Tx) error {
		for _, d := range done {
			res, err := tx.ExecContext(ctx, sentMetaQuery, now, d.ID)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if _, err := tx.ExecContext(ctx, metaTimelineQuery, "meta_event", now, d.ID); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// UnclaimMetaEvent puts claimed event id back, known not to have been sent.
func (s *Store) UnclaimMetaEvent(ctx context.Context, id int64) error {
	_, err := s.rw.ExecContext(ctx, unclaimMetaQuery, id)
	return wrapMeta(err, "unclaim", id)
}

// RetryMetaEvent records a failed attempt of event id, due again at next.
func (s *Store) RetryMetaEvent(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.rw.ExecContext(ctx, retryMetaQuery, millis(next), reason, id)
	return wrapMeta(err, "retry", id)
}

// ResendMetaEvent queues claimed event id again after an answer that left
// its fate unknown: the same event_id makes Meta count it once.
func (s *Store) ResendMetaEvent(ctx context.Context, id int64, next time.Time, reason string) error {
	_, err := s.rw.ExecContext(ctx, resendMetaQuery, millis(next), reason, id)
	return wrapMeta(err, "resend", id)
}

// FailMetaEvent gives up on event id and notes it on the lead's timeline.
func (s *Store) FailMetaEvent(ctx context.Context, id int64, reason string) error {
	now := millis(s.now())
	return s.metaTx(ctx, "fail", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, failMetaQuery, reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			_, err = tx.ExecContext(ctx, metaTimelineQuery, "meta_event_failed", now, id)
		}
		return err
	})
}

// ReleaseMetaOrphans queues again the events a previous process claimed
// before cutoff and never marked, and returns how many.
func (s *Store) ReleaseMetaOrphans(ctx context.Context, cutoff time.Time) (int64, error) {
	res, err := s.rw.ExecContext(ctx, orphanMetaQuery, millis(cutoff))
	if err != nil {
		return 0, fmt.Errorf("release meta event orphans: %w", err)
	}
	return res.RowsAffected()
}

// cancelConversions stops the events of contact id not sent yet and
// forgets their click id: the person opted out or was erased.
func cancelConversions(ctx context.Context, tx *sql.Tx, id int64, why string) error {
	if _, err := tx.ExecContext(ctx, cancelMetaOfContactQuery, why, id); err != nil {
		return fmt.Errorf("cancel conversion events: %w", err)
	}
	return nil
}

func (s *Store) metaTx(ctx context.Context, what string, fn func(*sql.Tx) error) error {
	if err := s.inTx(ctx, fn); err != nil {
		return fmt.Errorf("%s meta events: %w", what, err)
	}
	return nil
}

func wrapMeta(err error, what string, id int64) error {
	if err != nil {
		return fmt.Errorf("%s meta event %s: %w", what, strconv.FormatInt(id, 10), err)
	}
	return nil
}
