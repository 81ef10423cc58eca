package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Erasure (RELIABILITY R-3): the person is removed or irreversibly anonymised everywhere. Rows other
// tables point to are kept with their personal fields emptied (so foreign keys, counts, aggregates
// and the training set stay intact: a lead keeps its city, budget, urgency, service, class and
// outcome but loses its name); rows that only hold personal data are deleted. What is kept about the
// person is what a legal duty requires: the consent or refusal records (with the exact text shown,
// Ley 1581 art. 9 and 17), the data request that records the deletion, the suppression hash that
// keeps them from being contacted again, and the audit log.

// Erasure counts what one deletion touched.
type Erasure struct {
	Contacts     int   // contact rows anonymised
	Leads        int   // leads whose personal fields were emptied
	Messages     int   // inbound messages whose text was removed
	WhatsAppRows int   // rows deleted from whatsmeow's tables
	RequestID    int64 // the data request that records the deletion
}

// Deletion reasons, stored in the resolution and the audit log.
const (
	EraseRequested = "requested" // the holder asked (chat, letter, e-mail)
	EraseRetention = "retention" // the retention period ran out (S-1)
)

const erasedPrefix = "erased:"

// Erased reports whether the row's person was erased (its contact key
// replaced): it carries no personal data and must show none.
func (r QueueRow) Erased() bool { return strings.HasPrefix(r.Phone, erasedPrefix) }

// personKeys are the ways one person appears: the key asked for, the phones (as WhatsApp writes
// them), the contact keys used when WhatsApp hid the phone ("lid:<user>", "bsuid:<id>"),
// WhatsApp's hidden user ids, the Cloud API's business-scoped user ids with their parents, and the
// usernames the person showed.
type personKeys struct {
	phone     string   // the key asked for: "+573001234567", "bsuid:CO.1…", a web-chat session key
	users     []string // digits of the person's phones as WhatsApp writes them ("573001234567")
	keys      []string // every contact key of the person's rows
	lids      []string // LID users ("123456789012345")
	bsuids    []string // business-scoped user ids
	parents   []string // parent BSUIDs
	usernames []string
}

// add puts v in *list once; it reports whether v was new.
func add(list *[]string, v string) bool {
	if v == "" {
		return false
	}
	for _, x := range *list {
		if x == v {
			return false
		}
	}
	*list = append(*list, v)
	return true
}

// addKey records a contact key and what it says about the person.
func (k *personKeys) addKey(key string) bool {
	if !add(&k.keys, key) {
		return false
	}
	switch {
	case phoneUser(key) != "":
		add(&k.users, phoneUser(key))
	case strings.HasPrefix(key, lidAlias.prefix):
		add(&k.lids, strings.TrimPrefix(key, lidAlias.prefix))
	case strings.HasPrefix(key, bsuidAlias.prefix):
		add(&k.bsuids, strings.TrimPrefix(key, bsuidAlias.prefix))
	}
	return true
}

// contactKeys are the keys a suppression is kept under: every contact key, and the key every LID
// and BSUID of the person would get as a new contact.
func (k personKeys) contactKeys() []string {
	keys := append([]string{}, k.keys...)
	for _, l := range k.lids {
		add(&keys, lidAlias.key(l))
	}
	for _, b := range k.bsuids {
		add(&keys, BSUIDKey(b))
	}
	return keys
}

func (k personKeys) jids() []string {
	var out []string
	for _, u := range k.users {
		out = append(out, u+"@s.whatsapp.net")
	}
	for _, l := range k.lids {
		out = append(out, l+"@lid")
	}
	return out
}

// signalUsers are the user parts of Signal addresses (whatsmeow_sessions.their_id is
// "<user>:<device>" or "<user>_<agent>:<device>").
func (k personKeys) signalUsers() []string {
	return append(append([]string{}, k.users...), k.lids...)
}

func phoneUser(phone string) string {
	u := strings.TrimPrefix(phone, "+")
	if u == phone || u == "" {
		return ""
	}
	for _, r := range u {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return u
}

// EraseByPhone deletes everything stored about the person with phone (E.164 with "+", or a web-chat
// session key), in the app's tables and whatsmeow's, in one transaction. reason is EraseRequested or
// EraseRetention; channel says where a request that was not tracked yet came from ("cli", "admin").
// Open deletion requests of the person are resolved; if there was none, one is recorded, resolved.
// ErrNotFound: nothing is stored under that phone.
func (s *Store) EraseByPhone(ctx context.Context, phone, reason, channel string, user int64) (Erasure, error) {
	phone, err := s.PersonKey(ctx, phone)
	if err != nil {
		return Erasure{}, fmt.Errorf("erase: %w", err)
	}
	if phone == "" || strings.HasPrefix(phone, erasedPrefix) {
		return Erasure{}, fmt.Errorf("erase: phone %q is not a contact key", phone)
	}
	var er Erasure
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		er, err = s.eraseTx(ctx, tx, phone, reason, channel, user)
		return err
	})
	if err != nil {
		return Erasure{}, fmt.Errorf("erase: %w", err)
	}
	// SQLite: the erased content's old pages leave the WAL file. PostgreSQL
	// has no file of ours to scrub: its dead row versions go with VACUUM
	// (docs/postgres.md, "Privacy deletion").
	if s.dialect != dialectPostgres {
		s.scrubWAL()
	}
	s.log.Info("personal data erased", "reason", reason, "contacts", er.Contacts, "leads", er.Leads,
		"whatsapp_rows", er.WhatsAppRows, "request", er.RequestID)
	return er, nil
}

func (s *Store) eraseTx(ctx context.Context, tx *sql.Tx, phone, reason, channel string, user int64) (Erasure, error) {
	var er Erasure
	keys, err := s.personKeys(ctx, tx, phone)
	if err != nil {
		return er, err
	}
	ids, err := contactIDs(ctx, tx, keys)
	if err != nil {
		return er, err
	}
	if er.WhatsAppRows, err = eraseWhatsmeow(ctx, tx, keys); err != nil {
		return er, err
	}
	if len(ids) == 0 && er.WhatsAppRows == 0 {
		return er, ErrNotFound
	}
	now := s.now()
	for _, id := range ids {
		if err := eraseWebhooks(ctx, tx, id, now); err != nil {
			return er, fmt.Errorf("contact %d: %w", id, err)
		}
		leads, msgs, err := s.eraseContact(ctx, tx, id, keys, now)
		if err != nil {
			return er, fmt.Errorf("contact %d: %w", id, err)
		}
		er.Contacts++
		er.Leads += leads
		er.Messages += msgs
	}
	for _, k := range keys.contactKeys() {
		if err := s.suppress(ctx, tx, k, "deletion"); err != nil {
			return er, err
		}
		// Messages still held for a transcription are not handled any more.
		if _, err := tx.ExecContext(ctx, deleteHeldOfQuery, k); err != nil {
			return er, fmt.Errorf("held messages: %w", err)
		}
	}
	if er.RequestID, err = s.recordDeletion(ctx, tx, ids, phone, reason, channel, user, now); err != nil {
		return er, err
	}
	for _, id := range ids {
		if err := auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.delete", Object: fmt.Sprintf("contact:%d", id),
			Detail: fmt.Sprintf("reason=%s request=%d", reason, er.RequestID)}, now); err != nil {
			return er, err
		}
	}
	return er, nil
}

// personKeys collects every identity of the person keyed phone: from the contact rows that key,
// their LIDs, BSUIDs and merges lead to (twice over, so that a phone found through a BSUID brings
// that phone's own rows), and from whatsmeow's LID map.
func (s *Store) personKeys(ctx context.Context, tx *sql.Tx, phone string) (personKeys, error) {
	k := personKeys{phone: phone}
	k.addKey(phone)
	for range 3 {
		ids, err := contactIDs(ctx, tx, k)
		if err != nil {
			return k, err
		}
		grew := false
		for _, id := range ids {
			var key string
			var lid, bsuid, parent, username sql.NullString
			if err := tx.QueryRowContext(ctx, contactIdentitiesQuery, id).
				Scan(&key, &lid, &bsuid, &parent, &username); err != nil {
				return k, fmt.Errorf("contact identities: %w", err)
			}
			if !strings.HasPrefix(key, erasedPrefix) && k.addKey(key) {
				grew = true
			}
			grew = add(&k.lids, lid.String) || grew
			grew = add(&k.bsuids, bsuid.String) || grew
			add(&k.parents, parent.String)
			add(&k.usernames, username.String)
		}
		if !grew {
			break
		}
	}
	if ok, err := tableExists(ctx, tx, "whatsmeow_lid_map"); err != nil || !ok {
		return k, err
	}
	for _, u := range append([]string{}, k.users...) {
		if err := eachRow(ctx, tx, lidsOfPhoneQuery, []any{u}, func(r scanner) error {
			var l string
			if err := r.Scan(&l); err != nil {
				return err
			}
			add(&k.lids, l)
			return nil
		}); err != nil {
			return k, fmt.Errorf("lid map: %w", err)
		}
	}
	return k, nil
}

func contactIDs(ctx context.Context, tx *sql.Tx, k personKeys) ([]int64, error) {
	seen := map[int64]bool{}
	var ids []int64
	collect := func(q string, arg string) error {
		rows, err := tx.QueryContext(ctx, q, arg)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				return err
			}
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
		return rows.Err()
	}
	for _, key := range k.contactKeys() {
		if err := collect(`SELECT id FROM contacts WHERE phone = ?`, key); err != nil {
			return nil, fmt.Errorf("find contact: %w", err)
		}
	}
	for _, l := range k.lids {
		if err := collect(contactByLIDQuery, l); err != nil {
			return nil, fmt.Errorf("find contact: %w", err)
		}
	}
	for _, b := range k.bsuids {
		if err := collect(contactByBSUIDIDQuery, b); err != nil {
			return nil, fmt.Errorf("find contact: %w", err)
		}
	}
	// A contact once known only by its LID or BSUID and later merged into
	// the phone's (LinkLID, LinkBSUID, MoveBSUID) is the same person: its
	// rows go too, whichever of the two was named.
	for i := 0; i < len(ids); i++ {
		id := strconv.FormatInt(ids[i], 10)
		if err := collect(mergedContactsQuery, id); err != nil {
			return nil, fmt.Errorf("find merged contact: %w", err)
		}
	}
	return ids, nil
}

// eraseContactQueries empty or delete, for one contact id (every ? is that id), what the person
// told us and what we told them. The contact row itself goes last (eraseContact).
var eraseContactQueries = []string{
	`UPDATE messages SET body = '' WHERE contact_id = ?`,
	`UPDATE delivery_statuses SET error = '' WHERE error <> '' AND (channel, ext_id) IN
		(SELECT channel, ext_id FROM outbox WHERE contact_id = ? AND ext_id <> '')`,
	`UPDATE outbox SET body = '', last_error = '',
		status = CASE WHEN status IN ('pending', 'sending') THEN 'cancelled' ELSE status END WHERE contact_id = ?`,
	`DELETE FROM referrals WHERE contact_id = ?`,
	`UPDATE lead_events SET detail = '' WHERE lead_id IN (SELECT id FROM leads WHERE contact_id = ?)`,
	`UPDATE lead_notices SET status = 'cancelled' WHERE status = 'pending' AND lead_id IN (SELECT id FROM leads WHERE contact_id = ?)`,
	`UPDATE customer_actions SET detail = '' WHERE customer_id IN
		(SELECT cu.id FROM customers cu JOIN leads l ON l.id = cu.lead_id WHERE l.contact_id = ?)`,
	// A blank detail can collide with the UNIQUE key; the duplicate is then dropped, which is fine:
	// the events only differed by the text being erased.
	`UPDATE OR REPLACE customer_events SET detail = '' WHERE customer_id IN
		(SELECT cu.id FROM customers cu JOIN leads l ON l.id = cu.lead_id WHERE l.contact_id = ?)`,
	`UPDATE customers SET name = '', extra = '{}' WHERE lead_id IN (SELECT id FROM leads WHERE contact_id = ?)`,
	// A lead still being worked leaves the queue, the reminders and the overdue counts (status
	// 'erased': nobody is to call a person who asked to be forgotten); won and lost leads keep their
	// status, the outcome labels the scoring model learns from.
	`UPDATE leads SET name = '', outcome_reason = '',
		status = CASE WHEN status IN ('open', 'contacted') THEN 'erased' ELSE status END,
		advisor_id = CASE WHEN status IN ('open', 'contacted') THEN NULL ELSE advisor_id END WHERE contact_id = ?`,
}

// eraseContact anonymises contact id and everything that hangs from it.
func (s *Store) eraseContact(ctx context.Context, tx *sql.Tx, id int64, k personKeys, now time.Time) (leads, msgs int, err error) {
	var names []string
	var name string
	if err := tx.QueryRowContext(ctx, contactNameQuery, id).Scan(&name); err != nil {
		return 0, 0, err
	}
	names = append(names, name)
	rows, err := tx.QueryContext(ctx, leadNamesQuery, id)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return 0, 0, err
		}
		names = append(names, n)
		leads++
	}
	_ = rows.Close() // read-only, and its transaction needs the connection for the next query
	if err := tx.QueryRowContext(ctx, countMessagesQuery, id).Scan(&msgs); err != nil {
		return 0, 0, err
	}
	if err := cancelConversions(ctx, tx, id, "cancelled: the person's data was erased"); err != nil {
		return 0, 0, err
	}
	// The ad click id identifies the person's click; the campaign part of the source stays.
	if _, err := tx.ExecContext(ctx, eraseLeadSourceQuery, id); err != nil {
		return 0, 0, fmt.Errorf("lead source: %w", err)
	}
	if _, err := tx.ExecContext(ctx, eraseCustomerSourceQuery, id); err != nil {
		return 0, 0, fmt.Errorf("customer source: %w", err)
	}
	for _, q := range eraseContactQueries {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return 0, 0, fmt.Errorf("%.40s…: %w", q, err)
		}
	}
	// The conversation row stays (messages and leads point to it) with a state that holds nothing.
	blank, err := json.Marshal(flow.State{Version: flow.StateVersion, Status: flow.OptedOut, Stage: flow.StageConsent, UpdatedAt: now})
	if err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, blankConversationQuery,
		string(flow.OptedOut), string(flow.StageConsent), string(blank), millis(now), id); err != nil {
		return 0, 0, fmt.Errorf("conversation: %w", err)
	}
	if err := eraseTextMentions(ctx, tx, k, names); err != nil {
		return 0, 0, err
	}
	if err := s.anonymiseConsent(ctx, tx, id); err != nil {
		return 0, 0, err
	}
	if _, err := tx.ExecContext(ctx, eraseContactRowQuery, erasedPrefix, millis(now), id); err != nil {
		return 0, 0, fmt.Errorf("contact: %w", err)
	}
	return leads, msgs, nil
}

// anonymiseConsent keeps contact id's consent evidence without the plain
// phone (replaced by its keyed hash, so that a later claim about a number
// can still be checked against it; a BSUID or LID is stored hashed from the
// start) and without the words typed (a name can come with the yes); the
// consent_records trigger allows nothing else.
func (s *Store) anonymiseConsent(ctx context.Context, tx *sql.Tx, id int64) error {
	rows, err := tx.QueryContext(ctx, consentToHashQuery, id)
	if err != nil {
		return fmt.Errorf("consent evidence: %w", err)
	}
	type rec struct {
		id    int64
		phone string
	}
	var recs []rec
	for rows.Next() {
		var r rec
		if err := rows.Scan(&r.id, &r.phone); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return fmt.Errorf("consent evidence: %w", err)
		}
		recs = append(recs, r)
	}
	_ = rows.Close() // closed before the updates; rows.Err says whether reading failed
	if err := rows.Err(); err != nil {
		return fmt.Errorf("consent evidence: %w", err)
	}
	for _, r := range recs {
		hashed := r.phone
		if !strings.HasPrefix(hashed, "hmac:") {
			hashed = "hmac:" + s.PhoneHash(r.phone)
		}
		if _, err := tx.ExecContext(ctx, hashConsentQuery, hashed, r.id); err != nil {
			return fmt.Errorf("consent evidence: %w", err)
		}
	}
	return nil
}

// eraseTextMentions clears free-form blobs that are not linked to a contact but may name the
// person: the extra columns of imported history and dead-lettered webhook bodies. A match on the
// phone digits or on a full name (two words at least, so that a lone first name shared by many
// people does not wipe unrelated rows) clears the row's text.
func eraseTextMentions(ctx context.Context, tx *sql.Tx, k personKeys, names []string) error {
	var needles []string
	for _, u := range k.users {
		if len(u) >= 7 {
			needles = append(needles, u)
		}
	}
	for _, n := range names {
		if len(strings.Fields(n)) >= 2 {
			needles = append(needles, n)
		}
	}
	// BSUIDs are unmistakable; a username can be a common word, so only a webhook body that
	// names it as a JSON value ("username": "<it>") is taken as the person's.
	needles = append(append(needles, k.bsuids...), k.parents...)
	for _, n := range needles {
		if _, err := tx.ExecContext(ctx, eraseHistoryMentionQuery, n); err != nil {
			return fmt.Errorf("history: %w", err)
		}
		if _, err := tx.ExecContext(ctx, eraseDeadLetterQuery, n); err != nil {
			return fmt.Errorf("dead letters: %w", err)
		}
	}
	for _, u := range k.usernames {
		if _, err := tx.ExecContext(ctx, eraseDeadLetterUsernameQuery,
			`"username":"`+u+`"`); err != nil {
			return fmt.Errorf("dead letters: %w", err)
		}
	}
	return nil
}

// eraseWhatsmeow deletes whatsmeow's copies of the person: contact names, the LID↔phone mapping,
// sent-message retry buffers, message secrets, privacy tokens, chat settings, and the Signal
// sessions and identity keys (a later message from the person starts a new session, as after a
// phone change). Tables that do not exist (no linked device was ever paired) are skipped. A running
// client keeps its in-memory caches until restart; see docs/privacy.md.
func eraseWhatsmeow(ctx context.Context, tx *sql.Tx, k personKeys) (int, error) {
	total := 0
	exec := func(table, q string, args ...any) error {
		ok, err := tableExists(ctx, tx, table)
		if err != nil || !ok {
			return err
		}
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return fmt.Errorf("%s: %w", table, err)
		}
		n, _ := res.RowsAffected()
		total += int(n)
		return nil
	}
	for _, jid := range k.jids() {
		for _, q := range []struct{ table, query string }{
			{"whatsmeow_contacts", eraseWAContactsQuery},
			{"whatsmeow_retry_buffer", eraseWARetryQuery},
			{"whatsmeow_message_secrets", eraseWASecretsQuery},
			{"whatsmeow_privacy_tokens", eraseWAPrivacyTokensQuery},
			{"whatsmeow_chat_settings", eraseWAChatSettingsQuery},
		} {
			if err := exec(q.table, q.query, jid); err != nil {
				return 0, err
			}
		}
	}
	for _, u := range k.users {
		if err := exec("whatsmeow_lid_map", eraseWALIDByPhoneQuery, u); err != nil {
			return 0, err
		}
	}
	for _, l := range k.lids {
		if err := exec("whatsmeow_lid_map", eraseWALIDQuery, l); err != nil {
			return 0, err
		}
	}
	for _, u := range k.signalUsers() {
		exact, agent := u+":%", strings.ReplaceAll(u, "_", `\_`)+`\_%`
		for _, q := range []struct{ table, query string }{
			{"whatsmeow_sessions", eraseWASessionsQuery},
			{"whatsmeow_identity_keys", eraseWAIdentityKeysQuery},
		} {
			if err := exec(q.table, q.query, exact, agent); err != nil {
				return 0, err
			}
		}
		if err := exec("whatsmeow_sender_keys", eraseWASenderKeysQuery, exact); err != nil {
			return 0, err
		}
		// Decrypted messages waiting to be handled; whatsmeow clears their text once handled.
		if len(u) >= 7 {
			if err := exec("whatsmeow_event_buffer", eraseWAEventBufferQuery, u); err != nil {
				return 0, err
			}
		}
	}
	return total, nil
}

func tableExists(ctx context.Context, tx *sql.Tx, name string) (bool, error) {
	var n int
	if err := tx.QueryRowContext(ctx, tableExistsQuery, name).Scan(&n); err != nil {
		return false, fmt.Errorf("table %s: %w", name, err)
	}
	return n > 0, nil
}

// recordDeletion resolves the person's open deletion requests, or records one (resolved) when the
// deletion was not asked through a tracked request, and returns its id: the deletion record.
func (s *Store) recordDeletion(ctx context.Context, tx *sql.Tx, ids []int64, phone, reason, channel string, user int64, now time.Time) (int64, error) {
	resolution := "deleted: " + reason
	var reqID int64
	for _, id := range ids {
		rows, err := tx.QueryContext(ctx, openDeletionsQuery, id)
		if err != nil {
			return 0, err
		}
		var open []int64
		for rows.Next() {
			var r int64
			if err := rows.Scan(&r); err != nil {
				_ = rows.Close() // the scan error is the one to report
				return 0, err
			}
			open = append(open, r)
		}
		_ = rows.Close() // read-only, and its transaction needs the connection for the updates below
		for _, r := range open {
			if _, err := tx.ExecContext(ctx, resolveRequestQuery, RequestResolved, resolution, millis(now), user, r); err != nil {
				return 0, err
			}
			reqID = r
		}
	}
	if reqID != 0 {
		return reqID, nil
	}
	var contactID int64
	if len(ids) > 0 {
		contactID = ids[0]
	}
	id, err := s.insertDataRequest(ctx, tx, contactID, phone, RequestDelete, channel, now)
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, resolveRequestQuery, RequestResolved, resolution, millis(now), user, id); err != nil {
		return 0, err
	}
	return id, nil
}

const dueDeletionsQuery = `SELECT r.id, c.phone FROM data_requests r JOIN contacts c ON c.id = r.contact_id
	WHERE r.kind = 'delete' AND r.status = 'open' AND c.phone NOT LIKE 'erased:%'
	AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.contact_id = c.id AND o.status IN ('pending', 'sending')
		AND o.created_at > ?2)
	ORDER BY r.id LIMIT ?1`

// confirmationWait is how long a deletion waits for its confirmation to leave. A reply still queued
// after that (a web-chat visitor who closed the page, a channel that is down) does not hold the
// deletion back: the erasure cancels it.
const confirmationWait = time.Hour

// ProcessDeletionRequests carries out open "borrar mis datos" requests whose confirmation message
// has left (no reply to the person is still queued, or one has waited confirmationWait), at most
// limit per call, and returns how many
// people were erased. serve runs it every minute; an admin can also delete at once.
func (s *Store) ProcessDeletionRequests(ctx context.Context, limit int) (int, error) {
	rows, err := s.ro.QueryContext(ctx, dueDeletionsQuery, limit, millis(s.now().Add(-confirmationWait)))
	if err != nil {
		return 0, fmt.Errorf("due deletions: %w", err)
	}
	var phones []string
	for rows.Next() {
		var id int64
		var phone string
		if err := rows.Scan(&id, &phone); err != nil {
			_ = rows.Close() // the scan error is the one to report
			return 0, fmt.Errorf("due deletions: %w", err)
		}
		phones = append(phones, phone)
	}
	_ = rows.Close() // closed before the next query; rows.Err says whether reading failed
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("due deletions: %w", err)
	}
	n := 0
	for _, p := range phones {
		if _, err := s.EraseByPhone(ctx, p, EraseRequested, "chat", 0); err != nil && !errors.Is(err, ErrNotFound) {
			return n, err
		}
		n++
	}
	return n, nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	deleteHeldOfQuery      = `DELETE FROM held_inbound WHERE sender = ?`
	contactIdentitiesQuery = `SELECT phone, lid, bsuid, parent_bsuid, username FROM contacts WHERE id = ?`
	lidsOfPhoneQuery       = `SELECT lid FROM whatsmeow_lid_map WHERE pn = ?`
	contactByLIDQuery      = `SELECT id FROM contacts WHERE lid = ?`
	contactByBSUIDIDQuery  = `SELECT id FROM contacts WHERE bsuid = ?`
	mergedContactsQuery    = `SELECT id FROM contacts WHERE merged_into = ?1
			UNION SELECT merged_into FROM contacts WHERE id = ?1 AND merged_into IS NOT NULL`
	contactNameQuery     = `SELECT name FROM contacts WHERE id = ?`
	leadNamesQuery       = `SELECT name FROM leads WHERE contact_id = ?`
	countMessagesQuery   = `SELECT count(*) FROM messages WHERE contact_id = ? AND body <> ''`
	eraseLeadSourceQuery = `UPDATE leads SET source = replace(source, '/' || r.ctwa_clid, '')
		FROM referrals r WHERE r.contact_id = ?1 AND r.ctwa_clid <> '' AND leads.contact_id = ?1`
	eraseCustomerSourceQuery = `UPDATE customers SET source = replace(customers.source, '/' || r.ctwa_clid, '')
		FROM referrals r, leads l WHERE r.contact_id = ?1 AND r.ctwa_clid <> '' AND l.contact_id = ?1 AND customers.lead_id = l.id`
	blankConversationQuery = `UPDATE conversations SET status = ?, step = ?, state = ?, updated_at = ? WHERE contact_id = ?`
	eraseContactRowQuery   = `UPDATE contacts SET phone = ? || id, lid = NULL, bsuid = NULL, parent_bsuid = NULL, username = NULL, name = '',
		opted_out_at = coalesce(opted_out_at, ?) WHERE id = ?`
	consentToHashQuery = `SELECT id, phone FROM consent_records WHERE contact_id = ?
		AND (phone NOT LIKE 'hmac:%' OR answer <> '')`
	hashConsentQuery             = `UPDATE consent_records SET phone = ?, answer = '' WHERE id = ?`
	eraseHistoryMentionQuery     = `UPDATE history_leads SET extra = '{}' WHERE instr(extra, ?) > 0`
	eraseDeadLetterQuery         = `DELETE FROM dead_letters WHERE instr(CAST(body AS TEXT), ?) > 0`
	eraseDeadLetterUsernameQuery = `DELETE FROM dead_letters WHERE instr(replace(CAST(body AS TEXT), ' ', ''), ?) > 0`
	eraseWAContactsQuery         = `DELETE FROM whatsmeow_contacts WHERE their_jid = ?`
	eraseWARetryQuery            = `DELETE FROM whatsmeow_retry_buffer WHERE chat_jid = ?`
	eraseWASecretsQuery          = `DELETE FROM whatsmeow_message_secrets WHERE chat_jid = ?1 OR sender_jid = ?1`
	eraseWAPrivacyTokensQuery    = `DELETE FROM whatsmeow_privacy_tokens WHERE their_jid = ?`
	eraseWAChatSettingsQuery     = `DELETE FROM whatsmeow_chat_settings WHERE chat_jid = ?`
	eraseWALIDByPhoneQuery       = `DELETE FROM whatsmeow_lid_map WHERE pn = ?`
	eraseWALIDQuery              = `DELETE FROM whatsmeow_lid_map WHERE lid = ?`
	eraseWASenderKeysQuery       = `DELETE FROM whatsmeow_sender_keys WHERE sender_id LIKE ? ESCAPE '\'`
	eraseWASessionsQuery         = `DELETE FROM whatsmeow_sessions WHERE their_id LIKE ? ESCAPE '\' OR their_id LIKE ? ESCAPE '\'`
	eraseWAIdentityKeysQuery     = `DELETE FROM whatsmeow_identity_keys WHERE their_id LIKE ? ESCAPE '\' OR their_id LIKE ? ESCAPE '\'`
	eraseWAEventBufferQuery      = `DELETE FROM whatsmeow_event_buffer WHERE instr(CAST(plaintext AS TEXT), ?) > 0`
	tableExistsQuery             = `SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?`
	openDeletionsQuery           = `SELECT id FROM data_requests WHERE contact_id = ? AND kind = 'delete' AND status = 'open'`
)
