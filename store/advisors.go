package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow/assign"
)

// Advisor is a person who calls the leads: a dashboard account (Name is
// its username) and the WhatsApp number notifications go to.
type Advisor struct {
	Name  string
	Phone string // E.164; "" keeps the account's
}

// Notification is a message due to an advisor about a lead.
type Notification struct {
	ID      int64
	Kind    string // assigned, reminder, reassigned
	Advisor Advisor
	Lead    LeadRow
	// How the lead's person is reached (QueueRow's fields of the same
	// names): the contact key, a number they gave to be called on, the
	// lead's channel.
	Phone, CallbackPhone, Channel string
}

// SoloWhatsApp reports whether the lead's person can only be answered in
// WhatsApp (QueueRow.SoloWhatsApp): the notification must say so, as there
// is no number to call.
func (n Notification) SoloWhatsApp() bool {
	return QueueRow{Phone: n.Phone, CallbackPhone: n.CallbackPhone, Channel: n.Channel}.SoloWhatsApp()
}

// Notification kinds.
const (
	NotifyAssigned   = "assigned"
	NotifyReminder   = "reminder"
	NotifyReassigned = "reassigned"
)

const (
	leaveRotationQuery = `UPDATE users SET in_rotation = 0`
	// joinRotationQuery puts the account named in --advisors in the round
	// robin, with its notification phone when one is given.
	joinRotationQuery = `UPDATE users SET in_rotation = 1, phone = COALESCE(NULLIF(?2, ''), phone) WHERE username = ?1`
	freePhoneQuery    = `UPDATE users SET phone = NULL WHERE phone = ?2 AND username <> ?1`
	// A named advisor without an account gets one without a password: it
	// receives leads and notifications, and logs in once `cis users add`
	// gives it a password.
	insertAdvisorUserQuery = `INSERT INTO users (username, role, password_hash, active, created_at, password_changed_at, phone, in_rotation)
		VALUES (?, 'advisor', '', 1, ?, ?, NULLIF(?, ''), 1)`
	// rotationQuery loads the advisors who may receive a lead (active
	// accounts named in --advisors) for assign.Pick to choose from, with
	// their schedule, capacity and skills (0160) and open leads.
	rotationQuery = `SELECT u.id, u.last_assigned_at, u.schedule, u.max_open, u.skills, u.away,
		(SELECT COUNT(*) FROM leads l WHERE l.assigned_to = u.id AND l.status = 'open')
		FROM users u WHERE u.active = 1 AND u.in_rotation = 1`
	touchAdvisorQuery = `UPDATE users SET last_assigned_at = ? WHERE id = ?`
	assignLeadQuery   = `UPDATE leads SET assigned_to = ? WHERE id = ?`
	// A notification is queued only for a user with a phone to send it to.
	insertNoticeQuery = `INSERT OR IGNORE INTO lead_notices (lead_id, user_id, kind, created_at)
		SELECT ?1, id, ?3, ?4 FROM users WHERE id = ?2 AND phone IS NOT NULL`
	// Leads of a person who opted out get no reminder or reassignment (RELIABILITY O-1).
	dueRemindersQuery = `SELECT id, assigned_to FROM leads WHERE status = 'open' AND assigned_to IS NOT NULL
		AND reminded_at IS NULL AND deadline_at > ? AND deadline_at <= ?
		AND contact_id NOT IN (SELECT id FROM contacts WHERE opted_out_at IS NOT NULL)`
	markRemindedQuery = `UPDATE leads SET reminded_at = ? WHERE id = ?`
	missedLeadsQuery  = `SELECT id, assigned_to FROM leads WHERE status = 'open' AND assigned_to IS NOT NULL
		AND reassigned_at IS NULL AND deadline_at <= ?
		AND contact_id NOT IN (SELECT id FROM contacts WHERE opted_out_at IS NOT NULL)`
	reassignLeadQuery   = `UPDATE leads SET assigned_to = ?, reassigned_at = ? WHERE id = ?`
	pendingNoticesQuery = `SELECT n.id, n.kind, u.username, u.phone, c.phone, l.callback_phone, a.channel, l.id, l.status, l.name, l.city_code, l.city_name, l.department,
		l.city_foreign, l.budget_min_cop, l.budget_max_cop, l.budget_unknown, l.urgency, l.service, l.source, l.class,
		l.probability, l.model, l.reasons, l.started_at, l.completed_at, l.deadline_at, l.other_services
		FROM lead_notices n JOIN users u ON u.id = n.user_id JOIN leads l ON l.id = n.lead_id
		JOIN contacts c ON c.id = l.contact_id JOIN accounts a ON a.id = l.account_id
		WHERE n.status = 'pending' AND u.phone IS NOT NULL ORDER BY n.id LIMIT ?`
	noticeSentQuery   = `UPDATE lead_notices SET status = 'sent', sent_at = ?, attempts = attempts + 1 WHERE id = ?`
	noticeFailedQuery = `UPDATE lead_notices SET status = CASE WHEN attempts + 1 >= ? THEN 'failed' ELSE 'pending' END,
		attempts = attempts + 1, last_error = ? WHERE id = ?`
)

// SetAdvisors makes exactly the given people the round robin (--advisors).
// An advisor is a dashboard account: Name is its username, Phone (optional)
// the WhatsApp number its notifications go to. A name without an account
// gets an advisor account without a password. Accounts left out stay, out
// of the rotation, so their leads keep their advisor.
func (s *Store) SetAdvisors(ctx context.Context, as []Advisor) error {
	now := millis(s.now())
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, leaveRotationQuery); err != nil {
			return err
		}
		for _, a := range as {
			if a.Phone != "" { // a number moves to the account now named with it
				if _, err := tx.ExecContext(ctx, freePhoneQuery, a.Name, a.Phone); err != nil {
					return err
				}
			}
			res, err := tx.ExecContext(ctx, joinRotationQuery, a.Name, a.Phone)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, insertAdvisorUserQuery, a.Name, now, now, a.Phone); err != nil {
				return fmt.Errorf("advisor account %q: %w", a.Name, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("set advisors: %w", err)
	}
	return nil
}

// assignLead gives a lead to the advisor assign.Pick chooses under rules
// (leads.assigned_to, as the queue shows it) and queues the advisor's notification, inside the
// lead's own transaction; from is the advisor a missed lead is taken from
// (0: a new lead). No advisor to take it: the lead stays unassigned.
func assignLead(ctx context.Context, tx *sql.Tx, rules assign.Rules, leadID, from int64, kind string, now int64) (bool, error) {
	candidates, err := rotation(ctx, tx)
	if err != nil {
		return false, err
	}
	if candidates, err = ofNumber(ctx, tx, candidates, leadID); err != nil { // numbers.go
		return false, err
	}
	lead, err := assignFacts(ctx, tx, leadID)
	if err != nil {
		return false, err
	}
	lead.From, lead.NowOnly = from, from != 0 // a missed lead moves only to someone on shift now
	c, ok := assign.Pick(candidates, lead, rules, fromMillis(now))
	if !ok {
		return false, nil
	}
	if err := place(ctx, tx, leadID, c.ID, kind, now); err != nil {
		return false, err
	}
	return true, nil
}

// SweepDeadlines queues a reminder for every open (uncontacted) lead whose
// deadline falls within before from now, once per lead, and, when reassign
// is set, moves every open lead whose deadline passed to the next advisor
// (once per lead), notifying the new one. It returns how many of each.
func (s *Store) SweepDeadlines(ctx context.Context, before time.Duration, reassign bool) (reminders, reassigned int, err error) {
	now := s.now()
	err = s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		reminders, reassigned = 0, 0
		due, err := leadAdvisorPairs(ctx, tx, dueRemindersQuery, millis(now), millis(now.Add(before)))
		if err != nil {
			return err
		}
		for _, p := range due {
			if _, err := tx.ExecContext(ctx, insertNoticeQuery, p[0], p[1], NotifyReminder, millis(now)); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, markRemindedQuery, millis(now), p[0]); err != nil {
				return err
			}
			reminders++
		}
		if !reassign {
			return nil
		}
		missed, err := leadAdvisorPairs(ctx, tx, missedLeadsQuery, millis(now))
		if err != nil {
			return err
		}
		for _, p := range missed {
			ok, err := assignLead(ctx, tx, s.ruleSet(), p[0], p[1], NotifyReassigned, millis(now))
			if err != nil {
				return err
			}
			if ok {
				reassigned++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("sweep deadlines: %w", err)
	}
	return reminders, reassigned, nil
}

// queryer is a transaction or a pool: rotation reads inside a lead's
// transaction, and from the readers for the owner's view.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// rotation loads the candidates for a lead inside its transaction.
func rotation(ctx context.Context, tx queryer) ([]assign.Candidate, error) {
	rows, err := tx.QueryContext(ctx, rotationQuery)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []assign.Candidate
	for rows.Next() {
		var c assign.Candidate
		var last int64
		var schedule, skills string
		if err := rows.Scan(&c.ID, &last, &schedule, &c.MaxOpen, &skills, &c.Away, &c.Open); err != nil {
			return nil, err
		}
		c.LastAssigned = fromMillis(last)
		withSettings(&c, schedule, skills)
		out = append(out, c)
	}
	return out, rows.Err()
}

func leadAdvisorPairs(ctx context.Context, tx *sql.Tx, q string, args ...any) ([][2]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var p [2]int64
		if err := rows.Scan(&p[0], &p[1]); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// PendingNotifications returns up to limit notifications not yet sent, oldest first.
func (s *Store) PendingNotifications(ctx context.Context, limit int) ([]Notification, error) {
	return s.pendingNotices(ctx, pendingNoticesQuery, limit)
}

// pendingNotices reads the notifications q (pendingNoticesQuery or a
// restriction of it) selects with args.
func (s *Store) pendingNotices(ctx context.Context, q string, args ...any) ([]Notification, error) {
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("pending notifications: %w", err)
	}
	defer rows.Close()
	var out []Notification
	for rows.Next() {
		var n Notification
		var head noticeHead
		l, err := scanLead(prefixed{rows, []any{&head.id, &head.kind, &head.name, &head.phone, &n.Phone, &n.CallbackPhone, &n.Channel}})
		if err != nil {
			return nil, fmt.Errorf("pending notifications: %w", err)
		}
		n.ID, n.Kind, n.Advisor, n.Lead = head.id, head.kind, Advisor{Name: head.name, Phone: head.phone}, l
		out = append(out, n)
	}
	return out, rows.Err()
}

type noticeHead struct {
	id                int64
	kind, name, phone string
}

// prefixed scans extra leading columns before the ones scanLead reads.
type prefixed struct {
	row   scanner
	first []any
}

func (p prefixed) Scan(dest ...any) error { return p.row.Scan(append(p.first, dest...)...) }

// NotificationSent records that notification id went out.
func (s *Store) NotificationSent(ctx context.Context, id int64) error {
	if _, err := s.rw.ExecContext(ctx, noticeSentQuery, millis(s.now()), id); err != nil {
		return fmt.Errorf("notification %d sent: %w", id, err)
	}
	return nil
}

// NotificationFailed records a failed attempt; after maxAttempts it stops.
func (s *Store) NotificationFailed(ctx context.Context, id int64, maxAttempts int, reason string) error {
	if _, err := s.rw.ExecContext(ctx, noticeFailedQuery, maxAttempts, reason, id); err != nil {
		return fmt.Errorf("notification %d failed: %w", id, err)
	}
	return nil
}

const advisorPhoneQuery = `SELECT EXISTS (SELECT 1 FROM users WHERE phone = ? AND active = 1)`

// IsAdvisorPhone reports whether phone (E.164) is the WhatsApp number of an
// active dashboard account: the agency's own people, who get notifications
// from the agency's number and may answer them there. Such a message is not
// a prospect's (bot.Bot.Receive gives it no conversation).
func (s *Store) IsAdvisorPhone(ctx context.Context, phone string) (bool, error) {
	var ok bool
	if err := s.ro.QueryRowContext(ctx, advisorPhoneQuery, phone).Scan(&ok); err != nil {
		return false, fmt.Errorf("advisor phone: %w", err)
	}
	return ok, nil
}
