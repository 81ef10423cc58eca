package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// ErrConflict is returned by lead actions that do not fit the lead's status
// (e.g. marking a lost lead won).
var ErrConflict = errors.New("conflicts with the current status")

// LeadFilter selects queue rows. Zero values mean "any"; Status "" means open.
type LeadFilter struct {
	Status    string // open (default), contacted, won, lost, all
	Class     string
	AdvisorID int64 // -1: unassigned
	Source    string
	Account   int64     // the number written to (Number.ID); 0: every number
	Since     time.Time // completed at or after
	Until     time.Time // completed before
	// Search: every word must be in the lead's name, city, department or
	// phone, ignoring case and accents (leads.search), or name its service
	// (ServiceMatch). A query made of digits and phone punctuation
	// ("+57 300 123-4567") is one number.
	Search string
	// ServiceMatch gives the service keys whose label or synonyms contain
	// a folded search word ("pauta" → ads); nil: keys are matched as typed.
	ServiceMatch func(word string) []string
	// Due splits open leads at Now: "due" (deadline not passed, soonest
	// first) or "overdue" (passed, most recently first); "" does not split.
	Due string
	Now time.Time
	// Visible, when > 0, limits the rows to those an advisor who sees only
	// their own leads may list: theirs and unassigned ones (to take); with a
	// search, theirs only, so a search cannot reveal another's prospect.
	Visible int64
	Limit   int // default 100, at most 500
	Offset  int // rows to skip (paging)
	// After, when its ID is set, starts the list just after that row in
	// the list's order: keyset paging, which neither repeats nor skips a
	// lead when leads are added between pages (Offset does).
	After QueueKey
}

// QueueKey is a row's place in the queue's order: deadline, then id.
type QueueKey struct {
	DeadlineAt time.Time
	ID         int64
}

// QueueRow is one line of the advisors' queue.
type QueueRow struct {
	ID          int64
	Status      string
	Name        string
	City        string
	Department  string
	Service     string
	Source      string
	Budget      flow.Budget
	Class       string
	Probability float64
	DeadlineAt  time.Time
	CompletedAt time.Time
	AdvisorID   int64
	Advisor     string
	Phone       string // the contact key: E.164, or a BSUID, LID or web-chat key (NoPhone)
	// CallbackPhone is a number the person gave to be called on; Username
	// their WhatsApp username (display only); Channel the lead's (reach.go).
	CallbackPhone, Username, Channel string
	// TakenOver: an advisor answers this chat from the agency's phone; the
	// bot stays out of it until it is given back (takeover.go).
	TakenOver bool
	// AskedForCall: after the deadline the prospect asked when they would
	// be called (flow.EventAskedForCall since the lead completed), and the
	// bot promised this new time; zero when they did not ask.
	AskedForCall time.Time
}

// LeadDetail is everything the lead page shows.
type LeadDetail struct {
	QueueRow
	Lead            LeadRow
	Urgency         string
	Channel         string
	ContactedAt     time.Time
	OutcomeAt       time.Time
	OutcomeValueCOP int64
	OutcomeReason   string
	Transcript      []TranscriptLine
	Consent         []ConsentRecord
	Events          []LeadEvent
	Reach           LeadReach
	Notices         []LeadNotice // advisor notifications about the lead (assigned, reminder, reassigned)
	BotEvents       []EventRow   // what the conversation recorded besides messages (handoff, data requests, …)
	// Erased: the person's data was erased (a deletion request or
	// retention); the lead is kept, anonymised, and can no longer change.
	Erased bool
}

// LeadNotice is one advisor notification about a lead.
type LeadNotice struct {
	Kind   string // assigned, reminder, reassigned
	User   string
	Status string // pending, sent, failed
	At     time.Time
}

// TranscriptLine is one message of a conversation, inbound or outbound.
type TranscriptLine struct {
	Inbound bool
	Kind    string
	Body    string
	At      time.Time
	Status  string     // outbound only: pending, sent, failed, cancelled
	Menu    *flow.Menu // outbound only: the choice the reply offers, if any
}

// ConsentRecord is one stored consent answer.
type ConsentRecord struct {
	Channel       string
	Answer        string
	Accepted      bool
	PolicyVersion string
	TextSHA256    string
	At            time.Time
}

// LeadEvent is one line of a lead's timeline.
type LeadEvent struct {
	Kind     string // completed, assigned, contacted, won, lost, note
	UserID   int64
	User     string
	Detail   string
	ValueCOP int64
	At       time.Time
}

const queueColumns = `SELECT l.id, l.status, l.name, l.city_name, l.department, l.service, l.source,
	l.budget_min_cop, l.budget_max_cop, l.budget_unknown, l.class, l.probability, l.deadline_at, l.completed_at,
	COALESCE(l.assigned_to, 0), COALESCE(u.username, ''),
	l.callback_phone, COALESCE(c.username, ''), (SELECT channel FROM accounts WHERE id = l.account_id),
	EXISTS (SELECT 1 FROM chat_takeovers t WHERE t.account_id = l.account_id AND t.contact_id = l.contact_id AND t.ended_at IS NULL),
	COALESCE((SELECT e.detail FROM conversation_events e WHERE e.conversation_id = l.conversation_id AND e.kind = 'asked_for_call'
		AND e.created_at >= l.completed_at ORDER BY e.id DESC LIMIT 1), ''), c.phone`

// queueJoins are the tables a queue row reads besides leads l.
const queueJoins = ` JOIN contacts c ON c.id = l.contact_id LEFT JOIN users u ON u.id = l.assigned_to`

const queueSelect = queueColumns + " FROM leads l" + queueJoins

func scanQueueRow(row scanner, extra ...any) (QueueRow, error) {
	var r QueueRow
	var deadline, completed int64
	var asked string
	dest := append([]any{&r.ID, &r.Status, &r.Name, &r.City, &r.Department, &r.Service, &r.Source,
		&r.Budget.MinCOP, &r.Budget.MaxCOP, &r.Budget.Unknown, &r.Class, &r.Probability, &deadline, &completed,
		&r.AdvisorID, &r.Advisor, &r.CallbackPhone, &r.Username, &r.Channel, &r.TakenOver, &asked, &r.Phone}, extra...)
	if err := row.Scan(dest...); err != nil {
		return r, err
	}
	r.DeadlineAt, r.CompletedAt = fromMillis(deadline), fromMillis(completed)
	if asked != "" {
		at, err := time.Parse(time.RFC3339, asked)
		if err != nil {
			return r, fmt.Errorf("lead %d: time promised when asked for the call: %w", r.ID, err)
		}
		r.AskedForCall = at
	}
	return r, nil
}

// Queue returns leads matching f: open leads by contact deadline (the
// soonest first; with Due "overdue", the most recently overdue first),
// other statuses the newest deadline first. Open leads walk the
// leads_queue index and stop after the page.
func (s *Store) Queue(ctx context.Context, f LeadFilter) ([]QueueRow, error) {
	qq, err := s.queueWhere(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 500)
	ascending := (f.Status == "" || f.Status == "open") && f.Due != "overdue"
	if f.After.ID > 0 {
		// The first test is a range on the (…, deadline_at, id) indexes; the second breaks ties by id.
		after := "l.deadline_at <= ? AND (l.deadline_at < ? OR l.id < ?)"
		if ascending {
			after = "l.deadline_at >= ? AND (l.deadline_at > ? OR l.id > ?)"
		}
		d := millis(f.After.DeadlineAt)
		qq.where, qq.wargs = append(qq.where, after), append(qq.wargs, d, d, f.After.ID)
	}
	// #nosec G202 -- every fragment is a constant of this package (qq.from is one of search.go's two FROM clauses); values are ? arguments
	q := queueColumns + " FROM " + qq.from + queueJoins + qq.whereSQL()
	args := qq.args()
	order := " ORDER BY l.deadline_at DESC, l.id DESC"
	if ascending {
		order = " ORDER BY l.deadline_at, l.id"
	}
	q += order + " LIMIT ? OFFSET ?"
	args = append(args, limit, max(f.Offset, 0))
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("queue: %w", err)
	}
	defer rows.Close()
	out := make([]QueueRow, 0, limit)
	for rows.Next() {
		r, err := scanQueueRow(rows)
		if err != nil {
			return nil, fmt.Errorf("queue: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// QueueCount counts the leads matching f (Limit and Offset aside), up to
// most: at 100,000 open leads a search that matches most of them is
// counted as "more than most" rather than scanned to the end.
func (s *Store) QueueCount(ctx context.Context, f LeadFilter, most int) (int, error) {
	qq, err := s.queueWhere(ctx, f)
	if err != nil {
		return 0, fmt.Errorf("queue count: %w", err)
	}
	q := "SELECT COUNT(*) FROM (SELECT 1 FROM " + qq.from + qq.whereSQL() + " LIMIT ?)"
	var n int
	if err := s.ro.QueryRowContext(ctx, q, append(qq.args(), most)...).Scan(&n); err != nil {
		return 0, fmt.Errorf("queue count: %w", err)
	}
	return n, nil
}

// LeadCounts returns the number of leads per status and class (lead_counts,
// kept by triggers: no scan).
func (s *Store) LeadCounts(ctx context.Context) (map[string]map[string]int, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT status, class, n FROM lead_counts WHERE n > 0`)
	if err != nil {
		return nil, fmt.Errorf("lead counts: %w", err)
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var status, class string
		var n int
		if err := rows.Scan(&status, &class, &n); err != nil {
			return nil, fmt.Errorf("lead counts: %w", err)
		}
		if out[status] == nil {
			out[status] = map[string]int{}
		}
		out[status][class] = n
	}
	return out, rows.Err()
}

// queueQuery is what selects a filter's leads: the FROM (leads l, or the
// leads of a rare search's piece read first) and the WHERE fragments, all
// constants, with the values of their parameters.
type queueQuery struct {
	from            string
	where           []string
	fromArgs, wargs []any
}

// whereSQL is the query's WHERE clause, "" when nothing is tested.
func (qq queueQuery) whereSQL() string {
	if len(qq.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(qq.where, " AND ") // only constant fragments; values are parameters
}

// args are the values of the query's parameters, in the order they appear.
func (qq queueQuery) args() []any {
	return append(slices.Clip(qq.fromArgs), qq.wargs...)
}

// queueWhere turns f into the query that selects its leads.
func (s *Store) queueWhere(ctx context.Context, f LeadFilter) (queueQuery, error) {
	var where []string
	var args []any
	switch f.Status {
	case "", "open":
		where = append(where, "l.status = 'open'")
		switch f.Due {
		case "due":
			where, args = append(where, "l.deadline_at >= ?"), append(args, millis(f.Now))
		case "overdue":
			where, args = append(where, "l.deadline_at < ?"), append(args, millis(f.Now))
		}
	case "all":
	default:
		where, args = append(where, "l.status = ?"), append(args, f.Status)
	}
	if f.Class != "" {
		where, args = append(where, "l.class = ?"), append(args, f.Class)
	}
	switch {
	case f.AdvisorID == -1:
		where = append(where, "l.assigned_to IS NULL")
	case f.AdvisorID > 0:
		where, args = append(where, "l.assigned_to = ?"), append(args, f.AdvisorID)
	}
	if f.Source != "" {
		where, args = append(where, "l.source = ?"), append(args, f.Source)
	}
	if f.Account > 0 {
		where, args = append(where, "l.account_id = ?"), append(args, f.Account)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "l.completed_at >= ?"), append(args, millis(f.Since))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "l.completed_at < ?"), append(args, millis(f.Until))
	}
	words := searchWords(f.Search)
	if f.Visible > 0 {
		if len(words) > 0 {
			where, args = append(where, "l.assigned_to = ?"), append(args, f.Visible)
		} else {
			where, args = append(where, "(l.assigned_to = ? OR l.assigned_to IS NULL)"), append(args, f.Visible)
		}
	}
	qq, err := s.searchWhere(ctx, words, f.ServiceMatch)
	qq.where, qq.wargs = append(where, qq.where...), append(args, qq.wargs...)
	return qq, err
}

// QueueVersion changes whenever a lead is added or changes status, or a
// prospect asks for their call, so a page can poll it cheaply and reload the queue only when needed.
func (s *Store) QueueVersion(ctx context.Context) (string, error) {
	var maxLead, maxEvent, asked int64
	// A prospect asking for their call changes the queue too (its marker):
	// one probe of the conversation_events_kind index.
	err := s.ro.QueryRowContext(ctx, `SELECT COALESCE((SELECT MAX(id) FROM leads), 0), COALESCE((SELECT MAX(id) FROM lead_events), 0),
		COALESCE((SELECT MAX(created_at) FROM conversation_events WHERE kind = 'asked_for_call'), 0)`).
		Scan(&maxLead, &maxEvent, &asked)
	if err != nil {
		return "", fmt.Errorf("queue version: %w", err)
	}
	return fmt.Sprintf("%d.%d.%d", maxLead, maxEvent, asked), nil
}

// Sources lists the distinct lead sources (campaigns), for the filter.
func (s *Store) Sources(ctx context.Context) ([]string, error) {
	// A loose index scan on leads_source: one probe per distinct value.
	rows, err := s.ro.QueryContext(ctx, `WITH RECURSIVE src(v) AS (
			SELECT MIN(source) FROM leads WHERE source > ''
			UNION ALL
			SELECT (SELECT MIN(source) FROM leads WHERE source > src.v) FROM src WHERE src.v IS NOT NULL LIMIT 201)
		SELECT v FROM src WHERE v IS NOT NULL LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// leadDetailQuery is a queue row with what the lead page adds.
var leadDetailQuery = strings.Replace(queueSelect, "c.phone", `c.phone, l.contact_id, l.conversation_id, l.urgency, l.reasons, l.model,
		l.contacted_at, l.outcome_at, l.outcome_value_cop, l.outcome_reason, l.started_at,
		(SELECT a.channel FROM accounts a WHERE a.id = l.account_id), l.other_services`, 1) + " WHERE l.id = ?"

// Lead returns everything about one lead; ErrNotFound if none.
func (s *Store) Lead(ctx context.Context, id int64) (LeadDetail, error) {
	var d LeadDetail
	var contactID, conversationID int64
	var contacted, outcome sql.NullInt64
	var urgency, reasons, model, others string
	var started int64
	r, err := scanQueueRow(s.ro.QueryRowContext(ctx, leadDetailQuery, id), &contactID, &conversationID, &urgency, &reasons, &model,
		&contacted, &outcome, &d.OutcomeValueCOP, &d.OutcomeReason, &started, &d.Channel, &others)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("lead %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("lead %d: %w", id, err)
	}
	d.QueueRow, d.Urgency = r, urgency
	d.ContactedAt, d.OutcomeAt = fromMillis(contacted.Int64), fromMillis(outcome.Int64)
	d.Lead = LeadRow{ID: r.ID, Status: r.Status, DeadlineAt: r.DeadlineAt, CompletedAt: r.CompletedAt}
	d.Lead.Score = flow.Score{Class: flow.Class(r.Class), Probability: r.Probability, Model: model}
	if err := json.Unmarshal([]byte(reasons), &d.Lead.Score.Reasons); err != nil {
		return d, fmt.Errorf("decode reasons of lead %d: %w", id, err)
	}
	d.Lead.Lead.StartedAt = fromMillis(started)
	if d.Lead.Lead.OtherServices, err = otherServices(others); err != nil {
		return d, fmt.Errorf("lead %d: %w", id, err)
	}
	if d.Transcript, err = s.transcript(ctx, contactID); err != nil {
		return d, err
	}
	if d.Consent, err = s.consent(ctx, contactID); err != nil {
		return d, err
	}
	if d.Events, err = s.leadEvents(ctx, id); err != nil {
		return d, err
	}
	if d.Notices, d.BotEvents, err = s.leadNotices(ctx, id, conversationID); err != nil {
		return d, err
	}
	d.Erased = strings.HasPrefix(r.Phone, erasedPrefix)
	d.Events = append([]LeadEvent{{Kind: "completed", At: r.CompletedAt}}, d.Events...)
	if d.Reach, err = s.LeadReach(ctx, id); err != nil {
		return d, err
	}
	return d, nil
}

const transcriptQuery = `SELECT 1, kind, body, received_at, '', id, 0, '' FROM messages WHERE contact_id = ?
	UNION ALL
	SELECT 0, 'text', body, created_at, status, message_id, seq + 1, menu FROM outbox WHERE contact_id = ?
	ORDER BY 6, 7 LIMIT 2000`

// transcript returns a contact's messages and the replies they got, in order.
func (s *Store) transcript(ctx context.Context, contactID int64) ([]TranscriptLine, error) {
	rows, err := s.ro.QueryContext(ctx, transcriptQuery, contactID, contactID)
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	defer rows.Close()
	var out []TranscriptLine
	for rows.Next() {
		var l TranscriptLine
		var at, msgID, seq int64
		var menu string
		if err := rows.Scan(&l.Inbound, &l.Kind, &l.Body, &at, &l.Status, &msgID, &seq, &menu); err != nil {
			return nil, fmt.Errorf("transcript: %w", err)
		}
		l.At = fromMillis(at)
		l.Menu = decodeMenu(menu)
		out = append(out, l)
	}
	return out, rows.Err()
}

// Transcript returns the messages of the contact identified by phone (or a
// web-chat session key); an unknown contact has an empty transcript.
func (s *Store) Transcript(ctx context.Context, phone string) ([]TranscriptLine, error) {
	var id int64
	err := s.ro.QueryRowContext(ctx, selectContactQuery, phone).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	return s.transcript(ctx, id)
}

func (s *Store) consent(ctx context.Context, contactID int64) ([]ConsentRecord, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT channel, answer, accepted, policy_version, text_sha256, created_at
		FROM consent_records WHERE contact_id = ?1
		OR contact_id IN (SELECT id FROM contacts WHERE merged_into = ?1) ORDER BY id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("consent: %w", err)
	}
	defer rows.Close()
	var out []ConsentRecord
	for rows.Next() {
		var c ConsentRecord
		var at int64
		if err := rows.Scan(&c.Channel, &c.Answer, &c.Accepted, &c.PolicyVersion, &c.TextSHA256, &at); err != nil {
			return nil, fmt.Errorf("consent: %w", err)
		}
		c.At = fromMillis(at)
		out = append(out, c)
	}
	return out, rows.Err()
}

func (s *Store) leadEvents(ctx context.Context, leadID int64) ([]LeadEvent, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT e.kind, e.user_id, COALESCE(u.username, ''), e.detail, e.value_cop, e.created_at
		FROM lead_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.lead_id = ? ORDER BY e.id`, leadID)
	if err != nil {
		return nil, fmt.Errorf("lead events: %w", err)
	}
	defer rows.Close()
	var out []LeadEvent
	for rows.Next() {
		var e LeadEvent
		var at int64
		if err := rows.Scan(&e.Kind, &e.UserID, &e.User, &e.Detail, &e.ValueCOP, &at); err != nil {
			return nil, fmt.Errorf("lead events: %w", err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// leadNotices reads a lead's advisor notifications and its conversation's
// events but the two the page shows otherwise (consent, completion).
func (s *Store) leadNotices(ctx context.Context, leadID, conversationID int64) ([]LeadNotice, []EventRow, error) {
	notices, err := s.noticesOf(ctx, leadID)
	if err != nil {
		return nil, nil, err
	}
	all, err := s.ConversationEvents(ctx, conversationID)
	var events []EventRow
	for _, e := range all {
		if e.Kind != string(flow.EventConsent) && e.Kind != string(flow.EventLeadCompleted) && len(events) < 200 {
			events = append(events, e)
		}
	}
	return notices, events, err
}

func (s *Store) noticesOf(ctx context.Context, leadID int64) ([]LeadNotice, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT n.kind, u.username, n.status, COALESCE(n.sent_at, n.created_at)
		FROM lead_notices n JOIN users u ON u.id = n.user_id WHERE n.lead_id = ? ORDER BY n.id LIMIT 200`, leadID)
	if err != nil {
		return nil, fmt.Errorf("lead notices: %w", err)
	}
	defer rows.Close()
	var out []LeadNotice
	for rows.Next() {
		var n LeadNotice
		var at int64
		if err := rows.Scan(&n.Kind, &n.User, &n.Status, &at); err != nil {
			return nil, fmt.Errorf("lead notices: %w", err)
		}
		n.At = fromMillis(at)
		out = append(out, n)
	}
	return out, rows.Err()
}

// ErrErased is returned by ActOnLead for a lead whose person was erased:
// it stays as an anonymous record and can no longer be worked or won.
var ErrErased = errors.New("the person's data was erased")

// LeadAction is what an advisor does to a lead.
type LeadAction struct {
	Kind     string // assign, contacted, won, lost, note
	ByUser   int64
	AssignTo int64  // assign: the advisor (0 unassigns)
	ValueCOP int64  // won
	FeeCOP   int64  // won: the new customer's monthly fee; 0 means ValueCOP
	Detail   string // lost: reason; note: text
}

// ActOnLead applies a to lead id and appends it to the lead's timeline in one
// transaction. ErrNotFound for an unknown lead, ErrConflict when the status
// does not allow it (a closed lead cannot be contacted, won or lost again).
func (s *Store) ActOnLead(ctx context.Context, id int64, a LeadAction) error {
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var status string
		var erased bool
		err := tx.QueryRowContext(ctx, `SELECT l.status, c.phone LIKE 'erased:%' FROM leads l JOIN contacts c ON c.id = l.contact_id
			WHERE l.id = ?`, id).Scan(&status, &erased)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if erased {
			return ErrErased
		}
		closed := status == "won" || status == "lost"
		detail := a.Detail
		switch a.Kind {
		case "assign":
			var assignee any
			if a.AssignTo > 0 {
				assignee = a.AssignTo
			}
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET assigned_to = ? WHERE id = ?`, assignee, id); err != nil {
				return err
			}
			detail = fmt.Sprint(a.AssignTo)
		case "contacted":
			if status != "open" {
				return ErrConflict
			}
			if _, err := tx.ExecContext(ctx, `UPDATE leads SET status = 'contacted', contacted_at = ?,
				assigned_to = COALESCE(assigned_to, ?) WHERE id = ?`, now, a.ByUser, id); err != nil {
				return err
			}
			if err := s.queueConversion(ctx, tx, id, EventQualifiedLead, 0, now); err != nil {
				return err
			}
		case "won", "lost":
			if closed {
				return ErrConflict
			}
			if err := s.closeLead(ctx, tx, id, a, now); err != nil {
				return err
			}
		case "note":
		default:
			return fmt.Errorf("unknown lead action %q", a.Kind)
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO lead_events (lead_id, user_id, kind, detail, value_cop, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			id, a.ByUser, a.Kind, detail, a.ValueCOP, now)
		if err != nil {
			return err
		}
		if err := queueActionEvent(ctx, tx, id, a, fromMillis(now)); err != nil || a.Kind == "note" {
			return err
		}
		// Contact, outcome or a new advisor frees a place: the shared queue
		// is offered at once, not at the next tick.
		_, err = assignWaiting(ctx, tx, s.ruleSet(), now)
		return err
	})
	if err != nil {
		return fmt.Errorf("lead %d %s: %w", id, a.Kind, err)
	}
	return nil
}

// closeLeadQuery records a lead's outcome; a lead never contacted counts
// as contacted when it closes.
const closeLeadQuery = `UPDATE leads SET status = ?, outcome_at = ?, outcome_value_cop = ?, outcome_reason = ?,
	contacted_at = COALESCE(contacted_at, ?) WHERE id = ?`

// closeLead records a won or lost outcome on lead id inside ActOnLead's
// transaction; a won lead also becomes a customer and queues its purchase
// event.
func (s *Store) closeLead(ctx context.Context, tx *sql.Tx, id int64, a LeadAction, now int64) error {
	if _, err := tx.ExecContext(ctx, closeLeadQuery, a.Kind, now, a.ValueCOP, a.Detail, now, id); err != nil {
		return err
	}
	if a.Kind != "won" {
		return nil
	}
	fee := a.FeeCOP
	if fee == 0 {
		fee = a.ValueCOP
	}
	if err := customerFromWonLead(ctx, tx, id, fee, now); err != nil {
		return err
	}
	return s.queueWon(ctx, tx, id, a.ValueCOP, now)
}

const overdueCountQuery = `SELECT COUNT(*) FROM leads WHERE status = 'open' AND deadline_at < ?`

// OverdueOpen counts open leads whose contact deadline has passed (SLA breaches).
func (s *Store) OverdueOpen(ctx context.Context, now time.Time) (int, error) {
	var n int
	if err := s.ro.QueryRowContext(ctx, overdueCountQuery, millis(now)).Scan(&n); err != nil {
		return 0, fmt.Errorf("overdue leads: %w", err)
	}
	return n, nil
}
