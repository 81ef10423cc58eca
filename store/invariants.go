package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// The fault-injection suite (docs/reliability.md) checks the invariants of
// RELIABILITY §4.1 after every injected fault. The checks read the store, so
// they live here with the rest of the SQL; what only the caller knows (which
// messages were acknowledged, what the provider received, the rows committed
// before a kill) comes in through Expect.

// Violation is one broken invariant.
type Violation struct {
	Invariant string // "I1" … "I6", or "C2" (a consent answer to a consent text that was not sent)
	Detail    string // what broke; ids only, never names, phones or texts
}

func (v Violation) String() string { return v.Invariant + ": " + v.Detail }

// Expect is what the caller of CheckInvariants knows that the store cannot.
// Every field is optional; a zero field skips its check.
type Expect struct {
	// Channel limits the checks to one channel ("" = every channel).
	Channel string
	// Accepted are the channel message IDs that were acknowledged (HTTP 200,
	// a receipt): each must be in the log (I1).
	Accepted []string
	// Drained says recovery is over: no message may be unprocessed and no
	// reply pending or sending (I2).
	Drained bool
	// Sends counts what the provider received per outbox row id (the fake
	// Graph API's log): none twice, a sent row exactly once, a row that was
	// never handed over not at all (I4). Nil skips the comparison.
	Sends map[int64]int
	// Step replays every conversation from its log (I3): the question each
	// message answered and the final status and step must come out the same.
	Step func(flow.State, flow.Inbound, time.Time) flow.Result
	// Before is a snapshot taken before a kill: every row it holds in the
	// append-only tables must still be there, byte for byte (I5).
	Before Snapshot
}

// keptTables are the tables whose committed rows never change or vanish
// (I5): the message log, leads' evidence, consent and audit records. Rows
// whose status legitimately moves on (outbox, conversations, leads' status)
// are checked by I2–I4 instead.
var keptTables = []string{"messages", "consent_records", "policy_texts", "conversation_events", "referrals",
	"delivery_statuses", "dead_letters", "audit_log", "lead_events"}

// CheckInvariants checks I1–I5 against the store and returns every
// violation found (none: nil). An error means the check itself could not run.
func (s *Store) CheckInvariants(ctx context.Context, e Expect) ([]Violation, error) {
	var vs []Violation
	checks := []func(context.Context, Expect) ([]Violation, error){
		s.checkAccepted, s.checkFinished, s.checkReplay, s.checkReplies, s.checkKept, s.checkConsentShown,
	}
	for _, c := range checks {
		v, err := c(ctx, e)
		if err != nil {
			return vs, fmt.Errorf("check invariants: %w", err)
		}
		vs = append(vs, v...)
	}
	return vs, nil
}

// The checks' statements, for a channelFilter fragment: functions so that
// the PostgreSQL port lists each fragment's statement (pgported_a.go).
// where is always channelFilter's fixed fragment; the channel is a ?
// argument, never text.

func acceptedQuery(where string) string { return `SELECT ext_id FROM messages WHERE ` + where }

func finishedQuery(where string) string {
	return `SELECT
		(SELECT COUNT(*) FROM messages WHERE conversation_id IS NULL AND ` + where + `),
		(SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND ` + where + `)`
}

func replayQuery(where string) string {
	return `SELECT m.id, m.conversation_id, m.channel, a.address, m.ext_id, c.phone, m.kind, m.body,
		m.sent_at, m.received_at, m.step_before, v.status, v.step
		FROM messages m JOIN accounts a ON a.id = m.account_id JOIN contacts c ON c.id = m.contact_id
		JOIN conversations v ON v.id = m.conversation_id
		WHERE ` + where + ` ORDER BY m.conversation_id, m.id`
}

func repliesQuery(where string) string {
	return `SELECT id, status, resend, resends FROM outbox WHERE ` + where + ` ORDER BY id`
}

func consentShownQuery(where string) string {
	return `SELECT r.id FROM consent_records r
		JOIN messages m ON m.channel = r.channel AND m.ext_id = r.message_ext_id
		WHERE ` + where + ` AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.account_id = m.account_id
			AND o.contact_id = m.contact_id AND o.key = 'consent' AND o.status = 'sent' AND o.delivery_failed = ''
			AND o.message_id < m.id AND o.sent_at <= r.created_at)
		ORDER BY r.id`
}

// channelFilter is the WHERE clause fragment and argument for e.Channel.
// col is always a constant column name from this file, and the channel is
// passed as a ? argument: no caller's text is ever concatenated into SQL.
func channelFilter(col string, e Expect) (string, []any) {
	if e.Channel == "" {
		return "1 = 1", nil // a comparison, not 1: PostgreSQL's WHERE takes a boolean only
	}
	return col + " = ?", []any{e.Channel}
}

// I1: every acknowledged message is in the log (the unique key on
// (channel, ext_id) makes "at most once" a schema property).
func (s *Store) checkAccepted(ctx context.Context, e Expect) ([]Violation, error) {
	if len(e.Accepted) == 0 {
		return nil, nil
	}
	where, args := channelFilter("channel", e)
	rows, err := s.ro.QueryContext(ctx, acceptedQuery(where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	stored := map[string]bool{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		stored[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var vs []Violation
	seen := map[string]bool{}
	for _, id := range e.Accepted {
		if !stored[id] && !seen[id] {
			vs = append(vs, Violation{"I1", "acknowledged message " + id + " is not in the log"})
		}
		seen[id] = true
	}
	return vs, nil
}

// I2: every stored message was stepped; after recovery no reply waits.
func (s *Store) checkFinished(ctx context.Context, e Expect) ([]Violation, error) {
	if !e.Drained {
		return nil, nil
	}
	where, args := channelFilter("channel", e)
	var unprocessed, waiting int
	err := s.ro.QueryRowContext(ctx, finishedQuery(where), append(args, args...)...).Scan(&unprocessed, &waiting)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	if unprocessed > 0 {
		vs = append(vs, Violation{"I2", fmt.Sprintf("%d stored messages were never processed", unprocessed)})
	}
	if waiting > 0 {
		vs = append(vs, Violation{"I2", fmt.Sprintf("%d replies still pending or sending after recovery", waiting)})
	}
	return vs, nil
}

// logged is one row of the message log, as the replay needs it.
type logged struct {
	id, conversation     int64
	in                   flow.Inbound
	stepBefore           string
	receivedAt           int64
	convStatus, convStep string
}

// I3: replaying each conversation's log in the order it was applied (the
// log's row order) through the flow gives the stored steps and status.
func (s *Store) checkReplay(ctx context.Context, e Expect) ([]Violation, error) {
	if e.Step == nil {
		return nil, nil
	}
	where, args := channelFilter("m.channel", e)
	rows, err := s.ro.QueryContext(ctx, replayQuery(where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var log []logged
	for rows.Next() {
		var l logged
		var kind string
		var sentAt int64
		if err := rows.Scan(&l.id, &l.conversation, &l.in.Channel, &l.in.Account, &l.in.ID, &l.in.From, &kind, &l.in.Text,
			&sentAt, &l.receivedAt, &l.stepBefore, &l.convStatus, &l.convStep); err != nil {
			return nil, err
		}
		l.in.Kind, l.in.At = flow.Kind(kind), fromMillis(sentAt)
		if l.in.Kind == flow.KindLocation {
			l.in.Location, l.in.Text = parseLocation(l.in.Text), ""
		}
		log = append(log, l)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var vs []Violation
	for start := 0; start < len(log); {
		end := start + 1
		for end < len(log) && log[end].conversation == log[start].conversation {
			end++
		}
		if v, ok := replayOne(log[start:end], e.Step); !ok {
			vs = append(vs, v)
		}
		start = end
	}
	return vs, nil
}

// replayOne replays one conversation's messages from the zero state.
func replayOne(conv []logged, step func(flow.State, flow.Inbound, time.Time) flow.Result) (Violation, bool) {
	var st flow.State
	for _, l := range conv {
		if l.stepBefore == LateStep || l.stepBefore == ConsentUnshownStep {
			continue // kept in the log, never applied (time.go, consent.go)
		}
		if string(st.Stage) != l.stepBefore {
			return Violation{"I3", fmt.Sprintf("conversation %d: message %d answered %q in the store, %q on replay",
				l.conversation, l.id, l.stepBefore, st.Stage)}, false
		}
		st = step(st, l.in, fromMillis(l.receivedAt)).State
	}
	last := conv[len(conv)-1]
	if string(st.Status) != last.convStatus || string(st.Stage) != last.convStep {
		return Violation{"I3", fmt.Sprintf("conversation %d: stored %s at %s, replay gives %s at %s",
			last.conversation, last.convStatus, last.convStep, st.Status, st.Stage)}, false
	}
	return Violation{}, true
}

// parseLocation reverses the "lat,lon" body recordInbound stores.
func parseLocation(body string) *flow.Location {
	la, lo, _ := strings.Cut(body, ",")
	lat, err1 := strconv.ParseFloat(la, 64)
	lon, err2 := strconv.ParseFloat(lo, 64)
	if err1 != nil || err2 != nil {
		return nil
	}
	return &flow.Location{Lat: lat, Lon: lon}
}

// I4: at most one provider send per outbox row (rows are unique per
// (message, reply index) by schema), and the store's status agrees with
// what the provider saw. The one documented exception is the resend policy
// (sending.go): a question whose send was uncertain is sent again, so it
// may reach the provider once more per resend; only questions are resent.
func (s *Store) checkReplies(ctx context.Context, e Expect) ([]Violation, error) {
	if e.Sends == nil {
		return nil, nil
	}
	where, args := channelFilter("channel", e)
	rows, err := s.ro.QueryContext(ctx, repliesQuery(where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []Violation
	known := map[int64]bool{}
	for rows.Next() {
		var id int64
		var status string
		var resend bool
		var resends int
		if err := rows.Scan(&id, &status, &resend, &resends); err != nil {
			return nil, err
		}
		known[id] = true
		if v, ok := replyViolation(id, status, resend, resends, e.Sends[id]); !ok {
			vs = append(vs, v)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for id := range e.Sends {
		if !known[id] {
			vs = append(vs, Violation{"I4", fmt.Sprintf("the provider received reply %d, which is not in the outbox", id)})
		}
	}
	slices.SortFunc(vs, func(a, b Violation) int { return strings.Compare(a.Detail, b.Detail) })
	return vs, nil
}

// replyViolation judges one outbox row against n, the times the provider
// received it.
func replyViolation(id int64, status string, resend bool, resends, n int) (Violation, bool) {
	switch {
	case resends > 0 && !resend:
		return Violation{"I4", fmt.Sprintf("reply %d is not a question but was sent again", id)}, false
	case n > 1+resends:
		return Violation{"I4", fmt.Sprintf("reply %d reached the provider %d times", id, n)}, false
	case status == "sent" && n == 0:
		return Violation{"I4", fmt.Sprintf("reply %d is marked sent but the provider never received it", id)}, false
	case (status == "pending" || status == "cancelled" || status == "failed") && n > resends:
		return Violation{"I4", fmt.Sprintf("reply %d is %s but the provider received it", id, status)}, false
	}
	return Violation{}, true
}

// C-2 (RELIABILITY §3): every consent answer recorded answers a consent
// text that had been sent (status 'sent', no failure reported) before the
// answer was stored (consent.go).
func (s *Store) checkConsentShown(ctx context.Context, e Expect) ([]Violation, error) {
	where, args := channelFilter("r.channel", e)
	rows, err := s.ro.QueryContext(ctx, consentShownQuery(where), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var vs []Violation
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		vs = append(vs, Violation{"C2", fmt.Sprintf("consent record %d answers a consent text that was not sent", id)})
	}
	return vs, rows.Err()
}

// I5: every row of the append-only tables in e.Before is still there.
func (s *Store) checkKept(ctx context.Context, e Expect) ([]Violation, error) {
	if e.Before == nil {
		return nil, nil
	}
	after, err := s.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	for _, c := range e.Before.Changes(after) {
		if slices.Contains(keptTables, c.Table) && c.Removed > 0 {
			vs = append(vs, Violation{"I5", fmt.Sprintf("%s: %d committed rows lost or changed", c.Table, c.Removed)})
		}
	}
	return vs, nil
}

// Snapshot holds a checksum of every row of every table: table → row
// checksum → how many rows have it. Comparing two snapshots shows which
// tables gained, lost or changed rows (I5, I6) without keeping the data.
type Snapshot map[string]map[string]int

// Change is how one table differs between two snapshots. A changed row
// counts as one removed and one added.
type Change struct {
	Table          string
	Added, Removed int
}

// Snapshot reads every table of the file (whatsmeow's included) and
// checksums each row.
func (s *Store) Snapshot(ctx context.Context) (Snapshot, error) {
	tables, err := s.tableNames(ctx)
	if err != nil {
		return nil, err
	}
	snap := Snapshot{}
	for _, t := range tables {
		// #nosec G202 -- t is a table name from sqlite_master, quoted as an identifier with any " doubled
		rows, err := s.ro.QueryContext(ctx, `SELECT * FROM "`+strings.ReplaceAll(t, `"`, `""`)+`"`)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", t, err)
		}
		sums, err := rowSums(rows)
		if err != nil {
			return nil, fmt.Errorf("snapshot %s: %w", t, err)
		}
		snap[t] = sums
	}
	return snap, nil
}

const tableNamesQuery = `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`

func (s *Store) tableNames(ctx context.Context) ([]string, error) {
	rows, err := s.ro.QueryContext(ctx, tableNamesQuery)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, rows.Err()
}

func rowSums(rows *sql.Rows) (map[string]int, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	sums := map[string]int{}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		h := sha256.New()
		for _, v := range vals {
			// The type tag keeps 1 and "1" (and NULL and "") apart.
			fmt.Fprintf(h, "%T:%d:%v\x00", v, len(fmt.Sprint(v)), v)
		}
		sums[hex.EncodeToString(h.Sum(nil))]++
	}
	return sums, rows.Err()
}

// Changes lists the tables that differ from snap to after, by name.
func (snap Snapshot) Changes(after Snapshot) []Change {
	names := map[string]bool{}
	for t := range snap {
		names[t] = true
	}
	for t := range after {
		names[t] = true
	}
	var out []Change
	for _, t := range slices.Sorted(maps.Keys(names)) {
		c := Change{Table: t}
		for sum, n := range snap[t] {
			c.Removed += max(0, n-after[t][sum])
		}
		for sum, n := range after[t] {
			c.Added += max(0, n-snap[t][sum])
		}
		if c.Added+c.Removed > 0 {
			out = append(out, c)
		}
	}
	return out
}
