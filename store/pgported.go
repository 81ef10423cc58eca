package store

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
)

// The statements the PostgreSQL store runs (docs/postgres.md). A statement
// not listed here fails on PostgreSQL with ErrNotOnPostgres: a feature not
// yet ported gives a clear error, never a wrong result. A statement is
// listed once its path has a test that runs on both engines.

// pgSame are statements whose PostgreSQL text is SQLite's with $N
// placeholders (rebind).
var pgSame = []string{
	// opening (privacy.go)
	selectSaltQuery,
	// the message path (handle.go, batch.go): the inbound key, the
	// conversation, its replies, consent evidence and the lead, one
	// transaction
	selectAccountQuery, insertAccountQuery, selectContactQuery, insertContactQuery, insertInboundQuery,
	insertConversationQuery, updateConversationQuery, linkMessageQuery, insertOutboxQuery,
	isSuppressedQuery, openTakeoverQuery, hadLeadQuery, firstReferralQuery, lastConsentTextQuery, earlyToldQuery, heldRepliesQuery,
	insertPolicyQuery, insertConsentQuery, setContactNameQuery, insertLeadQuery, rotationQuery, assignFactsQuery,
	"SAVEPOINT msg", "ROLLBACK TO msg", "RELEASE msg", insertEventQuery,
	// what a Cloud API webhook stores besides the message (bsuid.go, channels.go, delivery_audit.go):
	// the person by BSUID (linking a BSUID to a phone, a merge, is not ported), referral,
	// deliveries, dead letters
	bsuidContactQuery, keyedContactQuery, newBSUIDContactQuery, profileQuery, insertReferralQuery, markSentQuery,
	insertStatusQuery, advanceDeliveryQuery, deliveryFailedQuery, insertDeadLetterQuery,
	`SELECT delivery, delivery_failed FROM outbox WHERE channel = ? AND ext_id = ?`,
	// an opt-out: replies and notices cancelled, the suppression, the revocation (handle.go, privacy.go)
	setContactOptOutQuery, cancelOutboxQuery, cancelNoticesQuery, insertSuppressionQuery, insertDataRequestQuery,
	// the outbox: due replies, confirmations (outbox.go, channels.go, sending.go)
	pendingOutboxQuery, sentManyQuery, unclaimQuery, markRetryQuery, resendUncertainQuery, unconfirmedQuery,
	failAndTellQuery, replyFailedEventQuery, resendOrphansQuery, orphanClaimsQuery,
	// commercial messages held to the legal hours, exclusions (commercial.go, users.go's audit)
	lastInboundQuery, blockedQuery, nextSeqQuery, insertCommercialQuery, insertExclusionQuery, insertAuditQuery,
	cancelRowQuery, holdQuery,
	// one person, one contact: LID and BSUID links and merges (channels.go, bsuid.go)
	activeContactQuery, phoneForLIDQuery, convsOfContactQuery, convOfQuery, takeAliasesQuery, absorbContactQuery,
	aliasesOfQuery, mergedIntoQuery,
	moveContactQueries[0], moveContactQueries[1], moveContactQueries[2], moveContactQueries[3], moveContactQueries[4],
	moveConversationQueries[0], moveConversationQueries[1], moveConversationQueries[2], moveConversationQueries[3],
	// dashboard accounts, sessions, the audit log (users.go)
	insertUserQuery, userByIDQuery, countUsersQuery, setPasswordQuery, setActiveQuery, insertSessionQuery, sessionQuery,
	touchSessionQuery, deleteSessionQuery, deleteUserSessionsQuery, deleteOtherSessionsQuery, recentAuditQuery,
	// an opt-out's webhook scrub finds the person's leads (webhook_events.go)
	`SELECT id FROM leads WHERE contact_id = ? ORDER BY id`,
	// advisors in rotation and their notifications (advisors.go, sending.go)
	leaveRotationQuery, insertAdvisorUserQuery, touchAdvisorQuery, claimNoticeQuery, pendingNoticesQuery, noticeSentQuery,
	noticeFailedQuery, orphanNoticesQuery,
	`UPDATE lead_notices SET status = 'unconfirmed', last_error = ? WHERE id = ? AND status = 'sending'`,
	// reading a conversation and the queue (conversations.go, queue.go)
	viewConversationQuery, latestLeadQuery,
	`SELECT status, class, n FROM lead_counts WHERE n > 0`,
	// advisors acting on a lead (queue.go ActOnLead; customers.go: a won lead becomes a customer)
	`SELECT l.status, c.phone LIKE 'erased:%' FROM leads l JOIN contacts c ON c.id = l.contact_id
			WHERE l.id = ?`,
	`UPDATE leads SET assigned_to = ? WHERE id = ?`,
	`UPDATE leads SET status = 'contacted', contacted_at = ?,
				assigned_to = COALESCE(assigned_to, ?) WHERE id = ?`,
	closeLeadQuery,
	`INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
	`INSERT INTO customers (ext_key, lead_id, name, city_code, service, source, monthly_fee_cop,
		started_at, created_at) SELECT ?, id, name, city_code, service, source, ?, ?, ? FROM leads WHERE id = ?
		ON CONFLICT DO NOTHING`,
	insertCustomerEventQuery,
	// issue 18 on the message path (migrations 0200-0203): an unreachable
	// person, a message priced from its status, an opt-out cancelling its
	// conversion events (unreachable.go, messaging_cost.go, meta_events.go)
	unreachableByExtQuery, messageToPriceQuery, insertMessageCostQuery, cancelMetaOfContactQuery,
	// the lead page (queue.go, events.go, reach.go)
	leadDetailQuery, transcriptQuery, leadReachQuery,
	`SELECT channel, answer, accepted, policy_version, text_sha256, created_at
		FROM consent_records WHERE contact_id = ?1
		OR contact_id IN (SELECT id FROM contacts WHERE merged_into = ?1) ORDER BY id`,
	`SELECT e.kind, e.user_id, COALESCE(u.username, ''), e.detail, e.value_cop, e.created_at
		FROM lead_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.lead_id = ? ORDER BY e.id`,
	`SELECT n.kind, u.username, n.status, COALESCE(n.sent_at, n.created_at)
		FROM lead_notices n JOIN users u ON u.id = n.user_id WHERE n.lead_id = ? ORDER BY n.id LIMIT 200`,
	`SELECT kind, COALESCE(detail, ''), created_at FROM conversation_events
		WHERE conversation_id = ? ORDER BY id`,
	`SELECT COALESCE((SELECT MAX(id) FROM leads), 0), COALESCE((SELECT MAX(id) FROM lead_events), 0),
		COALESCE((SELECT MAX(created_at) FROM conversation_events WHERE kind = 'asked_for_call'), 0)`,
}

// pgTwin is a statement whose PostgreSQL text differs from SQLite's. sum is
// the start of the SHA-256 of the SQLite text the twin was written from:
// TestPostgresTwinsAreCurrent fails when that text changes, so that its
// twin is read again.
type pgTwin struct {
	sqlite, sum, pg string
}

var pgTwins = []pgTwin{
	// The webhook destinations subscribed to an event type (webhook_events.go,
	// migration 0180), asked in every transaction that may queue an event.
	{`SELECT d.id FROM webhook_destinations d WHERE d.enabled = 1
		AND EXISTS (SELECT 1 FROM json_each(d.events) e WHERE e.value = ?) ORDER BY d.id`, "e3be7d123670", `SELECT d.id FROM webhook_destinations d WHERE d.enabled = 1
		AND EXISTS (SELECT 1 FROM json_array_elements_text(d.events::json) e WHERE e.value = $1) ORDER BY d.id`},
	// A merged contact's open takeover and chat settings move unless the
	// survivor has its own for that number (SQLite's UPDATE OR IGNORE).
	{moveContactQueries[5], "17a12e509b4e", `UPDATE chat_takeovers t SET contact_id = $2 WHERE t.contact_id = $1
		AND NOT (t.ended_at IS NULL AND EXISTS (SELECT 1 FROM chat_takeovers o
			WHERE o.account_id = t.account_id AND o.contact_id = $2 AND o.ended_at IS NULL))`},
	{moveContactQueries[6], "b192d63699c9", `UPDATE chat_settings s SET contact_id = $2 WHERE s.contact_id = $1
		AND NOT EXISTS (SELECT 1 FROM chat_settings o WHERE o.account_id = s.account_id AND o.contact_id = $2)`},
	// Usernames compare without case, as SQLite's COLLATE NOCASE does (ASCII
	// only: lower() on a COLLATE "C" column folds A-Z only); the baseline's
	// unique index on lower(username) keeps them unique that way.
	{userByNameQuery, "f4c25a62612f", `SELECT ` + userColumns + ` FROM users WHERE lower(username) = lower($1)`},
	{listUsersQuery, "ba1e4c6b91b1", `SELECT ` + userColumns + ` FROM users ORDER BY lower(username)`},
	{`SELECT COUNT(*) FROM users WHERE username = ?`, "49ada0c1c8d8", `SELECT COUNT(*) FROM users WHERE lower(username) = lower($1)`},
	{freePhoneQuery, "346ab8be70aa", `UPDATE users SET phone = NULL WHERE phone = $2 AND lower(username) <> lower($1)`},
	{joinRotationQuery, "3834fcbdb5a2", `UPDATE users SET in_rotation = 1, phone = COALESCE(NULLIF($2, ''), phone) WHERE lower(username) = lower($1)`},
	// INSERT OR IGNORE is SQLite's.
	{insertNoticeQuery, "7f0e26c41b2e", `INSERT INTO lead_notices (lead_id, user_id, kind, created_at)
		SELECT $1, id, $3, $4 FROM users WHERE id = $2 AND phone IS NOT NULL ON CONFLICT DO NOTHING`},
	// The conversation a message changes is locked until the commit, so a
	// sweeper or an advisor's action on another server waits or skips it
	// rather than being overwritten (the sender's advisory lock already
	// orders messages).
	{selectConversationQuery, "b25054f4d424", `SELECT id, state FROM conversations WHERE account_id = $1 AND contact_id = $2 FOR UPDATE`},
	// The idle sweeper takes the conversations no message is changing and
	// leaves the others to the next sweep; on several servers each sweeps
	// different rows.
	{idleConversationsQuery, "7e7e02d5ebb4", `SELECT id, state FROM conversations WHERE status = 'in_progress' AND updated_at < $1
		ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED`},
	// Several servers claim from one outbox: a row another server is
	// claiming right now is skipped, not waited for; exactly one claim
	// of a row succeeds (status = 'pending' is tested under the lock).
	{claimOutboxQuery, "8f054c97baf7", `UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2
		WHERE id = (SELECT id FROM outbox WHERE id = $3 AND status = 'pending' FOR UPDATE SKIP LOCKED)`},
	// json_each is SQLite's; the keys come as one JSON array.
	{withdrawQuery, "900db2f8eadc", `UPDATE outbox SET status = 'cancelled', last_error = 'superseded in a burst'
		WHERE account_id = $1 AND contact_id = $2 AND status = 'pending'
		AND key IN (SELECT json_array_elements_text($3::json))`},
	// PostgreSQL has no LIMIT in a recursive term: the walk counts its steps.
	{`WITH RECURSIVE src(v) AS (
			SELECT MIN(source) FROM leads WHERE source > ''
			UNION ALL
			SELECT (SELECT MIN(source) FROM leads WHERE source > src.v) FROM src WHERE src.v IS NOT NULL LIMIT 201)
		SELECT v FROM src WHERE v IS NOT NULL LIMIT 200`, "554ad1127439", `WITH RECURSIVE src(v, n) AS (
			SELECT MIN(source), 1 FROM leads WHERE source > ''
			UNION ALL
			SELECT (SELECT MIN(source) FROM leads WHERE source > src.v), n + 1 FROM src WHERE src.v IS NOT NULL AND n < 201)
		SELECT v FROM src WHERE v IS NOT NULL LIMIT 200`},
}

// pgAliasSame and pgAliasTwins are statements written once for both
// WhatsApp aliases (alias.q: {col} is lid or bsuid).
var (
	pgAliasSame  = []string{linkStateQuery, newLinkedContactQuery}
	pgAliasTwins = []pgTwin{
		// UPDATE OR IGNORE skips the row when the change would break a
		// unique key; here the row is skipped by the same test.
		{linkAliasQuery, "6fdd50e3add7", `UPDATE contacts SET {col} = $1 WHERE id = $2 AND {col} IS NULL
			AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.{col} = $1)`},
		{renameContactQuery, "695093f13ae9", `UPDATE contacts SET phone = $1, {col} = COALESCE({col}, $2) WHERE id = $3
			AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.phone = $1 AND o.id <> $3)
			AND NOT ({col} IS NULL AND EXISTS (SELECT 1 FROM contacts o WHERE o.{col} = $2 AND o.id <> $3))`},
	}
)

// pgOnly are statements that only the PostgreSQL store runs (row and
// advisory locks SQLite's single writer makes unnecessary).
var pgOnly = []string{lockSenderQuery, pgProbeTimeoutQuery, pgProbeWriteQuery}

// pgLearn, set by tests with CIS_PG_LEARN, runs an unported statement
// rebound and reports it, to list what a path needs ported.
var pgLearn func(query, caller string)

// pgTable maps each ported SQLite text to its PostgreSQL text.
type pgTable map[string]string

func (t pgTable) lookup(q string) (string, bool) {
	if pg, ok := t[q]; ok {
		return pg, true
	}
	for _, p := range pgPortSets() {
		for _, m := range p.match {
			if pg, ok := m(q); ok {
				return pg, true
			}
		}
	}
	return queuePorted(q)
}

// queuePortedWhere are the queue's filter fragments (queueWhere) ported;
// a search word's is searchWordWhere.
var queuePortedWhere = map[string]bool{
	"l.status = 'open'": true, "l.deadline_at >= ?": true, "l.deadline_at < ?": true, "l.status = ?": true,
	"l.class = ?": true, "l.assigned_to IS NULL": true, "l.assigned_to = ?": true, "l.source = ?": true,
	"l.completed_at >= ?": true, "l.completed_at < ?": true, "(l.assigned_to = ? OR l.assigned_to IS NULL)": true,
	// keyset paging (slice 2)
	"l.deadline_at <= ?": true, "(l.deadline_at < ? OR l.id < ?)": true, "(l.deadline_at > ? OR l.id > ?)": true,
	"l.account_id = ?": true, // a number's leads (issue 16)
}

// queuePorted is the PostgreSQL text of a queue listing (Store.Queue) or
// count (Store.QueueCount) built of ported fragments only.
func queuePorted(q string) (string, bool) {
	if rest, ok := strings.CutPrefix(q, queueColumns+" FROM leads l"+queueJoins); ok {
		where, order, ok := strings.Cut(rest, " ORDER BY ")
		if !ok || (order != "l.deadline_at DESC, l.id DESC LIMIT ? OFFSET ?" && order != "l.deadline_at, l.id LIMIT ? OFFSET ?") {
			return "", false
		}
		return pgSearch(q), queueWherePorted(where)
	}
	if rest, ok := strings.CutPrefix(q, "SELECT COUNT(*) FROM (SELECT 1 FROM leads l"); ok {
		where, ok := strings.CutSuffix(rest, " LIMIT ?)")
		// PostgreSQL names every subquery in FROM.
		return pgSearch(q) + " x", ok && queueWherePorted(where)
	}
	return "", false
}

// pgSearch is a ported queue query for PostgreSQL.
func pgSearch(q string) string {
	return rebind(strings.ReplaceAll(q, "instr(l.search, ?) > 0", "strpos(l.search, ?) > 0"))
}

// queueWherePorted reports whether where is "" or a WHERE of ported
// queue fragments.
func queueWherePorted(where string) bool {
	if where == "" {
		return true
	}
	where, ok := strings.CutPrefix(where, " WHERE ")
	if !ok {
		return false
	}
	for _, w := range strings.Split(where, " AND ") {
		if !queuePortedWhere[w] && !searchWordWhere.MatchString(w) {
			return false
		}
	}
	return true
}

// searchWordWhere is searchWhere's fragment for one search word: in the
// key, or naming the lead's service. instr is SQLite's; strpos is the same
// plain substring test on PostgreSQL (no LIKE: no wildcards to escape).
var searchWordWhere = regexp.MustCompile(`^\(instr\(l\.search, \?\) > 0( OR l\.service IN \(\?(, \?)*\))?\)$`)

var pgPorted = sync.OnceValue(func() pgTable {
	t := pgTable{}
	for _, q := range pgSame {
		t[q] = rebind(q)
	}
	for _, q := range pgOnly {
		t[q] = rebind(q)
	}
	for _, q := range pgFastStatements() { // the message path's fewer round trips (pgfast.go): PostgreSQL's text already
		t[q] = q
	}
	for _, q := range pgLatePath {
		t[q] = rebind(q)
	}
	for _, tw := range pgTwins {
		t[tw.sqlite] = tw.pg
	}
	for _, p := range pgPortSets() {
		p.addTo(t)
	}
	for _, a := range []alias{lidAlias, bsuidAlias} {
		for _, q := range pgAliasSame {
			t[a.q(q)] = rebind(a.q(q))
		}
		for _, tw := range pgAliasTwins {
			t[a.q(tw.sqlite)] = a.q(tw.pg)
		}
	}
	return t
})

// pgPortSet is one porting slice's own list (pgported_a.go, …): the
// statements PostgreSQL runs as is (rebound) and the twins.
type pgPortSet struct {
	same  []string
	twins []pgTwin
	match []func(q string) (pg string, ok bool) // statements built at run time (a table's name)
}

func (p pgPortSet) addTo(t pgTable) {
	for _, q := range p.same {
		t[q] = rebind(q)
	}
	for _, tw := range p.twins {
		t[tw.sqlite] = tw.pg
	}
}

// pgPortSets are the porting slices' lists, each in a file of its own so
// that slices ported in parallel do not edit the same lines.
func pgPortSets() []pgPortSet {
	return []pgPortSet{pgPortedA, pgPortedB, pgPortedNumbers, pgPortedCluster, pgPortedDevices, pgPortedAll, pgPortedNumstats,
		pgPortedCrash}
}

// sqlSum is the short checksum pgTwin.sum records.
func sqlSum(q string) string {
	s := sha256.Sum256([]byte(q))
	return hex.EncodeToString(s[:6])
}
