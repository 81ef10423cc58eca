package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Sending (issue 15). Every channel's sender drains the outbox the same way:
// claim one reply (status 'sending', committed), hand it to the provider,
// record the answer (committed) before claiming the next one of that
// worker. A crash can therefore leave uncertain only the replies truly in
// flight at that moment, at most one per worker. What happens to those is a
// policy per kind, decided when the row is queued (outbox.resend):
//
//   - a question, the consent text included, is sent again: a question asked
//     twice is harmless, a question never asked stalls the conversation, and
//     a consent answer counts only when its consent text was sent;
//   - any other reply (a confirmation, the contact promise, an opt-out
//     acknowledgement) becomes 'unconfirmed' and is not sent again: the
//     provider may have it, and the same text twice reads as spam;
//   - advisor notifications (lead_notices) are never sent again either.
//
// A question is not sent again when a later question to the same person was
// queued since (it is moot), when the person opted out since, or after
// three uncertain sends (a provider that keeps timing out).

// resendAfterUncertain is the policy of a reply key: true for questions.
func resendAfterUncertain(key string) bool { return flow.IsQuestion(key) }

// resendable is the condition, on an outbox row, under which an uncertain
// send is sent again; outbox is the row's table name in the UPDATE.
const resendable = `outbox.resend = 1 AND outbox.resends < 3
	AND NOT EXISTS (SELECT 1 FROM contacts c WHERE c.id = outbox.contact_id AND c.opted_out_at IS NOT NULL)
	AND NOT EXISTS (SELECT 1 FROM outbox n WHERE n.account_id = outbox.account_id AND n.contact_id = outbox.contact_id
		AND n.id > outbox.id AND n.resend = 1 AND n.status <> 'cancelled')`

const (
	// resendOrphansQuery puts back the questions a previous process had
	// claimed and never marked; orphanClaimsQuery (channels.go) then marks
	// the other rows unconfirmed.
	resendOrphansQuery = `UPDATE outbox SET status = 'pending', resends = resends + 1, claimed_at = NULL,
		next_attempt_at = ?3, last_error = 'sent again: a crash cut its send'
		WHERE channel = ?1 AND status = 'sending' AND claimed_at < ?2 AND ` + outboxOrphan + ` AND ` + resendable
	resendUncertainQuery = `UPDATE outbox SET status = 'pending', resends = resends + 1, claimed_at = NULL,
		attempts = attempts + 1, next_attempt_at = ?1, last_error = ?2
		WHERE id = ?3 AND status = 'sending' AND ` + resendable
)

// Orphans is what ReleaseOrphans did with the rows a previous process left
// claimed.
type Orphans struct {
	Resent      int64 // questions put back in the queue
	Unconfirmed int64 // other replies, not sent again
}

// ReleaseOrphanClaims applies the crash policy to the rows of channel that
// were claimed before cutoff and never marked: a previous process handed
// them to the channel and died before recording the answer.
func (s *Store) ReleaseOrphanClaims(ctx context.Context, channel string, cutoff time.Time) (Orphans, error) {
	return s.releaseOrphanClaims(ctx, channel, cutoff, resendOrphansQuery, orphanClaimsQuery)
}

// releaseOrphanClaims runs a pair of orphan statements (resend the
// questions, leave the rest unconfirmed) with channel, cutoff, now and
// extra as arguments.
func (s *Store) releaseOrphanClaims(ctx context.Context, channel string, cutoff time.Time, resendQ, unconfirmQ string, extra ...any) (Orphans, error) {
	var o Orphans
	args := append([]any{channel, millis(cutoff), millis(s.now())}, extra...)
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, resendQ, args...)
		if err != nil {
			return err
		}
		if o.Resent, err = res.RowsAffected(); err != nil {
			return err
		}
		res, err = tx.ExecContext(ctx, unconfirmQ, args...)
		if err != nil {
			return err
		}
		o.Unconfirmed, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return Orphans{}, fmt.Errorf("release orphan claims: %w", err)
	}
	if o.Resent+o.Unconfirmed > 0 {
		s.log.Warn("replies of a previous run were cut by a crash", "channel", channel,
			"questions_resent", o.Resent, "unconfirmed_not_resent", o.Unconfirmed)
	}
	return o, nil
}

// MarkUncertain records that claimed reply id may or may not have reached
// the channel (a timeout, a connection broken after the request was
// written). A question is queued again, due at next (resent true); any other
// reply becomes unconfirmed. reason must hold no personal data.
func (s *Store) MarkUncertain(ctx context.Context, id int64, next time.Time, reason string) (resent bool, err error) {
	err = s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, resendUncertainQuery, millis(next), "sent again: "+reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			resent = true
			return nil
		}
		_, err = tx.ExecContext(ctx, unconfirmedQuery, reason, id)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("mark outbox %d uncertain: %w", id, err)
	}
	return resent, nil
}

// MarkSentOne records that the channel accepted claimed reply id: the
// per-message confirmation of every sender.
func (s *Store) MarkSentOne(ctx context.Context, id int64, extID string) error {
	return s.MarkSentMany(ctx, []Sent{{ID: id, ExtID: extID}})
}

// ClaimNext records the replies a sender's worker just handed over (done,
// accepted by the channel) and claims its next one, id, in one commit: each
// reply then costs the worker one commit, not two, and a reply is 'sending'
// only while it is in the worker's hands (from its claim to the commit that
// claims the worker's next one). false when id is no longer pending (another
// sender, or a cancellation, got there first); done is recorded either way.
func (s *Store) ClaimNext(ctx context.Context, done []Sent, id int64) (bool, error) {
	return s.claimNext(ctx, done, id, nil)
}

// claimNext is ClaimNext, fenced by f when f is not nil (ClaimNextFenced).
func (s *Store) claimNext(ctx context.Context, done []Sent, id int64, f *Fence) (bool, error) {
	var n int64
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, x := range done {
			if _, err := tx.ExecContext(ctx, sentManyQuery, x.ExtID, now, x.ID); err != nil {
				return err
			}
		}
		var (
			res sql.Result
			err error
		)
		switch {
		case f == nil:
			res, err = tx.ExecContext(ctx, claimOutboxQuery, now, s.owner, id)
		case f.Account != "":
			res, err = tx.ExecContext(ctx, claimFencedAccountQuery, now, s.owner, id, f.Lease, f.Token, f.Account)
		default:
			res, err = tx.ExecContext(ctx, claimFencedQuery, now, s.owner, id, f.Lease, f.Token)
		}
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim outbox %d: %w", id, err)
	}
	return n == 1, nil
}

const (
	claimNoticeQuery   = `UPDATE lead_notices SET status = 'sending', claimed_at = ?, claimed_by = ? WHERE id = ? AND status = 'pending'`
	orphanNoticesQuery = `UPDATE lead_notices SET status = 'unconfirmed', last_error = 'a crash cut its send; not sent again'
		WHERE status = 'sending' AND claimed_at < ?1 AND (lead_notices.claimed_by IS NULL
		OR NOT EXISTS (SELECT 1 FROM leases pl WHERE pl.name = 'process:' || lead_notices.claimed_by AND pl.expires_at > ?2))`
)

// ClaimNotification marks notification id as being sent; false when it is
// no longer pending.
func (s *Store) ClaimNotification(ctx context.Context, id int64) (bool, error) {
	var n int64
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, claimNoticeQuery, millis(s.now()), s.owner, id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim notification %d: %w", id, err)
	}
	return n == 1, nil
}

// ReleaseNotificationOrphans marks notifications claimed (by a previous
// process: call it before sending) and never marked as unconfirmed: an
// advisor may have them, and a second copy of "new lead" is worse than none
// (the queue page shows the lead either way). It returns how many.
func (s *Store) ReleaseNotificationOrphans(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.rw.ExecContext(ctx, orphanNoticesQuery, millis(now.Add(time.Millisecond)), millis(now))
	if err != nil {
		return 0, fmt.Errorf("release notification claims: %w", err)
	}
	return res.RowsAffected()
}

// NotificationUnconfirmed records that claimed notification id may or may
// not have reached the advisor (a timeout, a stop in the middle of the
// send): it is not sent again. reason must hold no personal data.
func (s *Store) NotificationUnconfirmed(ctx context.Context, id int64, reason string) error {
	if _, err := s.rw.ExecContext(ctx, `UPDATE lead_notices SET status = 'unconfirmed', last_error = ? WHERE id = ? AND status = 'sending'`,
		reason, id); err != nil {
		return fmt.Errorf("notification %d unconfirmed: %w", id, err)
	}
	return nil
}
