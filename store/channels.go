package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// What the WhatsApp channels need beyond the message log: dead letters,
// delivery statuses, campaign attribution and outbox claims.

const (
	insertDeadLetterQuery = `INSERT INTO dead_letters (channel, reason, body, received_at) VALUES (?, ?, ?, ?)`
	insertStatusQuery     = `INSERT INTO delivery_statuses (channel, ext_id, status, at, error, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (channel, ext_id, status) DO NOTHING`
	// advanceDeliveryQuery moves outbox.delivery forward only: a status of a
	// lower rank than the one recorded changes nothing.
	advanceDeliveryQuery = `UPDATE outbox SET delivery = ?1
		WHERE channel = ?2 AND ext_id = ?3 AND ext_id <> ''
		AND (CASE delivery WHEN 'read' THEN 3 WHEN 'delivered' THEN 2 WHEN 'sent' THEN 1 ELSE 0 END) < ?4`
	deliveryFailedQuery = `UPDATE outbox SET delivery_failed = ? WHERE channel = ? AND ext_id = ? AND ext_id <> ''`
	insertReferralQuery = `INSERT INTO referrals (message_id, contact_id, source_type, source_id, source_url, headline, ctwa_clid, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	firstReferralQuery = `SELECT source_type, source_id, ctwa_clid FROM referrals WHERE contact_id = ? ORDER BY id LIMIT 1`
	// hadLeadQuery: a contact who already left a lead (on any account) is a returning contact.
	hadLeadQuery = `SELECT EXISTS (SELECT 1 FROM leads WHERE contact_id = ?)`
	// claimOutboxQuery: the claim names the process that made it (leases.go).
	claimOutboxQuery = `UPDATE outbox SET status = 'sending', claimed_at = ?, claimed_by = ? WHERE id = ? AND status = 'pending'`
	sentManyQuery    = `UPDATE outbox SET status = 'sent', ext_id = ?, sent_at = ?, attempts = attempts + 1 WHERE id = ? AND status = 'sending'`
	unclaimQuery     = `UPDATE outbox SET status = 'pending' WHERE id = ? AND status = 'sending'`
	// Rows a previous process claimed but never marked: it may have crashed
	// after the provider accepted the message. They are not sent again.
	// Only claims of a process that is gone are orphans (orphanOf).
	orphanClaimsQuery = `UPDATE outbox SET status = 'unconfirmed' WHERE channel = ?1 AND status = 'sending' AND claimed_at < ?2
		AND ` + outboxOrphan
	unconfirmedQuery = `UPDATE outbox SET status = 'unconfirmed', last_error = ? WHERE id = ? AND status = 'sending'`
	// confirmByExtQuery: a status callback naming the row proves it left. It
	// also confirms a question queued again after an uncertain send
	// (sending.go), which then is not sent a second time. sent_at is our
	// clock, as for every other sent row.
	confirmByExtQuery = `UPDATE outbox SET status = 'sent', sent_at = COALESCE(sent_at, ?), ext_id = ?
		WHERE id = ? AND (status IN ('sending', 'unconfirmed') OR status = 'pending' AND resends > 0)`
)

// DeadLetter keeps a delivery that could not be parsed, with the reason.
// The reason must not contain personal data; the body is kept as received.
func (s *Store) DeadLetter(ctx context.Context, channel, reason string, body []byte) error {
	if _, err := s.rw.ExecContext(ctx, insertDeadLetterQuery, channel, reason, body, millis(s.now())); err != nil {
		return fmt.Errorf("dead letter: %w", err)
	}
	return nil
}

// Delivery is one status callback for a message the bot sent.
type Delivery struct {
	ExtID  string    // the channel's id of the sent message
	Status string    // sent, delivered, read or failed
	At     time.Time // the provider's timestamp
	Error  string    // failed only: the provider's error code and title
	// Outbox is the outbox row id the send carried back (Cloud API
	// biz_opaque_callback_data), or 0. It lets a claimed row whose send was
	// never marked (a crash) be confirmed.
	Outbox int64
	// Category and Billable are the status's pricing block (Cloud API):
	// Meta's pricing category, "" when the status carried none, and
	// whether the message is charged (messaging_cost.go).
	Category string
	Billable bool
}

var deliveryRank = map[string]int{"sent": 1, "delivered": 2, "read": 3}

// RecordDeliveries stores status callbacks in one transaction. Each status is
// kept once; the outbox row's delivery only moves forward (a late
// "delivered" after "read" changes nothing), and "failed" is recorded beside
// it. Unknown statuses are kept and change nothing else.
func (s *Store) RecordDeliveries(ctx context.Context, channel string, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := s.now()
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, d := range ds {
			if d.ExtID == "" || d.Status == "" {
				continue
			}
			if _, err := tx.ExecContext(ctx, insertStatusQuery, channel, d.ExtID, d.Status, millis(d.At), d.Error, millis(now)); err != nil {
				return err
			}
			if d.Outbox > 0 {
				if _, err := tx.ExecContext(ctx, confirmByExtQuery, millis(now), d.ExtID, d.Outbox); err != nil {
					return err
				}
			}
			if err := s.priceMessage(ctx, tx, channel, d, now); err != nil {
				return err
			}
			if d.Status == "failed" {
				if _, err := tx.ExecContext(ctx, deliveryFailedQuery, d.Error, channel, d.ExtID); err != nil {
					return err
				}
				if unreachableStatus(d) {
					if _, err := tx.ExecContext(ctx, unreachableByExtQuery, millis(now), CodeUnreachable, channel, d.ExtID); err != nil {
						return err
					}
				}
				continue
			}
			if r, ok := deliveryRank[d.Status]; ok {
				if _, err := tx.ExecContext(ctx, advanceDeliveryQuery, d.Status, channel, d.ExtID, r); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record deliveries: %w", err)
	}
	return nil
}

func insertReferral(ctx context.Context, tx *sql.Tx, c conv, r *flow.Referral, now time.Time) error {
	if r == nil {
		return nil
	}
	if _, err := tx.ExecContext(ctx, insertReferralQuery, c.messageID, c.contactID, r.SourceType, r.SourceID,
		r.SourceURL, r.Headline, r.CtwaClid, millis(now)); err != nil {
		return fmt.Errorf("referral: %w", err)
	}
	return nil
}

// contactFacts are what the step is told of the person beyond this
// conversation (flow.Contact): a contact who already left a lead, on any
// account, is a returning one; the first referral they came with (this
// message's included, recordInbound saved it) is their campaign.
func contactFacts(ctx context.Context, tx *sql.Tx, contactID int64) (flow.Contact, error) {
	var c flow.Contact
	if err := tx.QueryRowContext(ctx, hadLeadQuery, contactID).Scan(&c.Returning); err != nil {
		return c, fmt.Errorf("earlier lead: %w", err)
	}
	var r flow.Referral
	err := tx.QueryRowContext(ctx, firstReferralQuery, contactID).Scan(&r.SourceType, &r.SourceID, &r.CtwaClid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return c, fmt.Errorf("first referral: %w", err)
	default:
		c.Referral = &r
	}
	return c, nil
}

// ClaimOutbox marks the given pending rows as being sent, in one
// transaction, and returns the ids it claimed. A claimed row is not returned
// by PendingOutbox again: it ends sent (MarkSentMany), pending again
// (Unclaim, after a failure known not to have sent) or, when the process
// died in between, unconfirmed (ReleaseOrphans). This is what keeps a crash
// after the provider accepted a reply from sending it twice.
func (s *Store) ClaimOutbox(ctx context.Context, ids []int64) ([]int64, error) {
	var got []int64
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		got = got[:0]
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, claimOutboxQuery, now, s.owner, id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				got = append(got, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim outbox: %w", err)
	}
	return got, nil
}

// Sent is one reply the channel accepted.
type Sent struct {
	ID    int64
	ExtID string
}

// MarkSentMany records accepted replies in one transaction.
func (s *Store) MarkSentMany(ctx context.Context, sent []Sent) error {
	if len(sent) == 0 {
		return nil
	}
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		for _, x := range sent {
			if _, err := tx.ExecContext(ctx, sentManyQuery, x.ExtID, now, x.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("mark sent: %w", err)
	}
	return nil
}

// Unclaim returns a claimed row to the queue; use it only when the send is
// known not to have reached the provider.
func (s *Store) Unclaim(ctx context.Context, id int64) error {
	if _, err := s.rw.ExecContext(ctx, unclaimQuery, id); err != nil {
		return fmt.Errorf("unclaim outbox %d: %w", id, err)
	}
	return nil
}

// ReleaseOrphans applies the crash policy (sending.go) to the rows of
// channel claimed before cutoff and never marked: a previous process handed
// them to the channel and died before recording the answer. Questions are
// queued again; other replies become unconfirmed and are not sent again (a
// status callback that names them confirms them). It returns how many rows
// it changed.
func (s *Store) ReleaseOrphans(ctx context.Context, channel string, cutoff time.Time) (int64, error) {
	o, err := s.ReleaseOrphanClaims(ctx, channel, cutoff)
	return o.Resent + o.Unconfirmed, err
}

// MarkUnconfirmed is MarkUncertain due now: a question is sent again, any
// other reply is left unconfirmed.
func (s *Store) MarkUnconfirmed(ctx context.Context, id int64, reason string) error {
	_, err := s.MarkUncertain(ctx, id, s.now(), reason)
	return err
}

// LIDKey is the contact key of a WhatsApp person known only by their LID
// (WhatsApp hid the phone number and no mapping is known yet).
func LIDKey(lid string) string { return lidAlias.key(lid) }

// alias is a second WhatsApp identity of a person besides their phone: the
// linked device's LID or the Cloud API's business-scoped user id (BSUID).
// Both work alike: a person known only by it is a contact keyed
// prefix+value; once the phone is known the contact is keyed by the phone
// and the alias is kept in its column. One mechanism merges both.
type alias struct {
	column string // contacts column holding it (unique)
	prefix string // key prefix of a contact known only by it
}

var (
	lidAlias   = alias{column: "lid", prefix: "lid:"}
	bsuidAlias = alias{column: "bsuid", prefix: "bsuid:"}
)

func (a alias) key(v string) string { return a.prefix + v }

// q puts the alias's column into query (every {col}); the column is one of
// the two constants above, never input.
func (a alias) q(query string) string { return strings.ReplaceAll(query, "{col}", a.column) }

const (
	linkAliasQuery   = `UPDATE OR IGNORE contacts SET {col} = ? WHERE id = ? AND {col} IS NULL`
	phoneForLIDQuery = `SELECT phone FROM contacts WHERE lid = ? AND merged_into IS NULL`
	// linkStateQuery: is there an alias-only contact to merge, and does the
	// phone's contact already carry the alias?
	linkStateQuery = `SELECT (SELECT COUNT(*) FROM contacts WHERE phone = ?1 AND merged_into IS NULL),
		(SELECT COUNT(*) FROM contacts WHERE phone = ?2 AND {col} = ?3)`
	activeContactQuery    = `SELECT id FROM contacts WHERE phone = ? AND merged_into IS NULL`
	newLinkedContactQuery = `INSERT INTO contacts (phone, {col}, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`
	// renameContactQuery turns the alias-only contact into the phone's: same
	// row, so its conversations, leads and consent stay where they are.
	renameContactQuery  = `UPDATE OR IGNORE contacts SET phone = ?, {col} = COALESCE({col}, ?) WHERE id = ?`
	convsOfContactQuery = `SELECT id, account_id, updated_at FROM conversations WHERE contact_id = ?`
	convOfQuery         = `SELECT id, updated_at FROM conversations WHERE contact_id = ? AND account_id = ?`
	// takeAliasesQuery frees the merged contact's unique identities (?2 is
	// the surviving contact) before absorbContactQuery gives them to it.
	takeAliasesQuery = `UPDATE contacts SET lid = NULL, bsuid = NULL WHERE id = ?1`
	// absorbContactQuery keeps what the merged contact knew: its name when
	// the survivor has none, an opt-out (a suppression must survive), and
	// its WhatsApp identities when the survivor lacks them (?3..?6: the
	// merged contact's lid, bsuid, parent BSUID and username, read before
	// takeAliasesQuery freed them).
	absorbContactQuery = `UPDATE contacts SET
		name = CASE WHEN name = '' THEN (SELECT name FROM contacts WHERE id = ?1) ELSE name END,
		opted_out_at = COALESCE(opted_out_at, (SELECT opted_out_at FROM contacts WHERE id = ?1)),
		lid = COALESCE(lid, ?3), bsuid = COALESCE(bsuid, ?4), parent_bsuid = COALESCE(parent_bsuid, ?5),
		username = COALESCE(username, ?6)
		WHERE id = ?2`
	aliasesOfQuery  = `SELECT lid, bsuid, parent_bsuid, username FROM contacts WHERE id = ?`
	mergedIntoQuery = `UPDATE contacts SET merged_into = ?2 WHERE id = ?1`
)

// Rows that follow a merged contact or conversation (consent_records stay:
// they are append-only, and are read through contacts.merged_into).
var (
	moveContactQueries = []string{
		`UPDATE messages SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE outbox SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE leads SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE referrals SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE conversations SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE OR IGNORE chat_takeovers SET contact_id = ?2 WHERE contact_id = ?1`,
		`UPDATE OR IGNORE chat_settings SET contact_id = ?2 WHERE contact_id = ?1`,
	}
	moveConversationQueries = []string{
		`UPDATE messages SET conversation_id = ?2 WHERE conversation_id = ?1`,
		`UPDATE leads SET conversation_id = ?2 WHERE conversation_id = ?1`,
		`UPDATE conversation_events SET conversation_id = ?2 WHERE conversation_id = ?1`,
		`DELETE FROM conversations WHERE id = ?1`,
	}
)

// LinkLID records that WhatsApp's hidden user id lid belongs to phone, so
// that one person is one contact with one conversation per agency number
// whichever address WhatsApp uses (RELIABILITY F4):
//   - a contact known so far only by the LID (LIDKey) becomes the phone's
//     contact, keeping its conversations, leads and consent;
//   - when the phone also has its own contact, the two are merged into it:
//     per agency number the conversation the person wrote in last continues
//     and takes the other's messages, leads and events; an opt-out of either
//     holds for both;
//   - otherwise the phone's contact (created now if new) carries the LID, so
//     that a later message addressed only by the LID reaches it.
//
// Call it before storing a message that came with both addresses. A LID
// already linked to another contact is left alone.
func (s *Store) LinkLID(ctx context.Context, phone, lid string) error {
	if phone == "" || lid == "" {
		return errors.New("link lid: phone and lid are required")
	}
	if err := s.link(ctx, lidAlias, phone, lid); err != nil {
		return fmt.Errorf("link lid: %w", err)
	}
	return nil
}

// link is LinkLID for either alias (LinkBSUID is the Cloud API's).
func (s *Store) link(ctx context.Context, a alias, phone, value string) error {
	var aliasOnly, linked int
	if err := s.ro.QueryRowContext(ctx, a.q(linkStateQuery), a.key(value), phone, value).Scan(&aliasOnly, &linked); err != nil {
		return err
	}
	if aliasOnly == 0 && linked > 0 {
		return nil // the common case: linked before, nothing to write
	}
	now := millis(s.now())
	return s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		return linkTx(ctx, tx, a, phone, value, now)
	})
}

func linkTx(ctx context.Context, tx *sql.Tx, a alias, phone, value string, now int64) error {
	from, err := contactID(ctx, tx, a.key(value))
	if err != nil {
		return err
	}
	into, err := contactID(ctx, tx, phone)
	if err != nil {
		return err
	}
	switch {
	case from == 0 && into == 0:
		_, err = tx.ExecContext(ctx, a.q(newLinkedContactQuery), phone, value, now)
	case from == 0:
		_, err = tx.ExecContext(ctx, a.q(linkAliasQuery), value, into)
	case into == 0:
		_, err = tx.ExecContext(ctx, a.q(renameContactQuery), phone, value, from)
	default:
		err = mergeContacts(ctx, tx, from, into, a, value)
	}
	return err
}

// contactID returns the id of the active contact keyed phone, 0 when none.
func contactID(ctx context.Context, tx *sql.Tx, phone string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, activeContactQuery, phone).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return id, err
}

// mergeContacts moves contact from into contact into (see LinkLID); value
// is the alias a that proved them one person, given to into ("" when
// something else did: MovePhone).
func mergeContacts(ctx context.Context, tx *sql.Tx, from, into int64, a alias, value string) error {
	type convRow struct{ id, account, updated int64 }
	rows, err := tx.QueryContext(ctx, convsOfContactQuery, from)
	if err != nil {
		return err
	}
	var convs []convRow
	for rows.Next() {
		var c convRow
		if err := rows.Scan(&c.id, &c.account, &c.updated); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return err
		}
		convs = append(convs, c)
	}
	_ = rows.Close() // closed before the next query; rows.Err says whether reading failed
	if err := rows.Err(); err != nil {
		return err
	}
	for _, c := range convs {
		var other, otherUpdated int64
		err := tx.QueryRowContext(ctx, convOfQuery, into, c.account).Scan(&other, &otherUpdated)
		if errors.Is(err, sql.ErrNoRows) {
			continue // moves with the contact below
		}
		if err != nil {
			return err
		}
		keep, drop := other, c.id
		if c.updated > otherUpdated {
			keep, drop = c.id, other
		}
		for _, q := range moveConversationQueries {
			if _, err := tx.ExecContext(ctx, q, drop, keep); err != nil {
				return fmt.Errorf("merge conversations: %w", err)
			}
		}
	}
	for _, q := range moveContactQueries {
		if _, err := tx.ExecContext(ctx, q, from, into); err != nil {
			return fmt.Errorf("merge contacts: %w", err)
		}
	}
	var lid, bsuid, parent, username sql.NullString
	if err := tx.QueryRowContext(ctx, aliasesOfQuery, from).Scan(&lid, &bsuid, &parent, &username); err != nil {
		return err
	}
	switch {
	case value == "":
	case a == lidAlias:
		lid = sql.NullString{String: value, Valid: true}
	case a == bsuidAlias:
		bsuid = sql.NullString{String: value, Valid: true}
	}
	if _, err := tx.ExecContext(ctx, takeAliasesQuery, from); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, absorbContactQuery, from, into, lid, bsuid, parent, username); err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, mergedIntoQuery, from, into)
	return err
}

// PhoneForLID returns the phone of the contact linked to lid, "" when none.
func (s *Store) PhoneForLID(ctx context.Context, lid string) (string, error) {
	var phone string
	err := s.ro.QueryRowContext(ctx, phoneForLIDQuery, lid).Scan(&phone)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("phone for lid: %w", err)
	}
	return phone, nil
}

const (
	failAndTellQuery = `UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ? AND status = 'pending'`
	// replyFailedEventQuery files the failure on the reply's conversation,
	// where the advisors' queue reads what needs a person.
	replyFailedEventQuery = `INSERT INTO conversation_events (conversation_id, message_id, kind, detail, created_at)
		SELECT v.id, o.message_id, 'reply_failed', ?, ? FROM outbox o
		JOIN conversations v ON v.account_id = o.account_id AND v.contact_id = o.contact_id
		WHERE o.id = ?`
)

// FailReply gives up on reply id and records a 'reply_failed' event on its
// conversation, so that an advisor writes to the person instead (a Cloud API
// reply outside the 24-hour window, for one). reason must hold no personal data.
func (s *Store) FailReply(ctx context.Context, id int64, reason string) error {
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, failAndTellQuery, reason, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil // not pending any more: nothing to tell
		}
		_, err = tx.ExecContext(ctx, replyFailedEventQuery, reason, now, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("fail reply %d: %w", id, err)
	}
	return nil
}

// ReplyFailures counts 'reply_failed' events on channel's conversations.
func (s *Store) ReplyFailures(ctx context.Context, channel string) (int, error) {
	var n int
	err := s.ro.QueryRowContext(ctx, replyFailuresQuery, channel).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("reply failures: %w", err)
	}
	return n, nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	replyFailuresQuery = `SELECT COUNT(*) FROM conversation_events e
		JOIN conversations v ON v.id = e.conversation_id JOIN accounts a ON a.id = v.account_id
		WHERE e.kind = 'reply_failed' AND a.channel = ?`
)
