package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow/assign"
)

// Several numbers in one installation (issue 16): each of the agency's
// numbers is an account (migration 0001) with its own brand, the data
// controller its greeting and consent text name, and optionally its own
// services and advisors (migration 0220). The message path finds the
// account by (channel, address) as before; these are the operator's side.

// Number is one of the agency's numbers.
type Number struct {
	ID        int64
	Channel   string // cloudapi (Address: the phone_number_id) or whatsapp (the linked device's digits)
	Address   string
	Brand     string // the data controller's name; "" the installation's
	Contact   string // the controller's contact for data requests; "" the installation's
	PolicyURL string // "" the installation's
	Services  string // the number's own service catalogue as JSON; "" the installation's
	// Advisors are the usernames who take this number's leads; none: the
	// whole rotation.
	Advisors []string
	// Declared: the operator declared the number (--numbers or the numbers
	// page); otherwise it was only written to.
	Declared  bool
	UpdatedAt time.Time
}

// Key is how a number is named in logs, flags and URLs: "cloudapi:<id>".
func (n Number) Key() string { return n.Channel + ":" + n.Address }

// HeldDelivery is a delivery held because it was sent to a number not
// declared (ErrUnknownNumber): kept whole, replayed once it is declared.
type HeldDelivery struct {
	ID         int64
	Channel    string
	Account    string
	Body       []byte
	ReceivedAt time.Time
}

// UnknownHeld counts the held deliveries of one undeclared number.
type UnknownHeld struct {
	Channel, Account string
	N                int
	Last             time.Time
}

// ErrUnknownNumber: a delivery named a number the operator did not declare.
var ErrUnknownNumber = errors.New("number not declared")

const (
	numbersQuery = `SELECT id, channel, address, brand, contact, policy_url, services, declared, updated_at
		FROM accounts WHERE channel IN ('cloudapi', 'whatsapp') OR declared = 1 ORDER BY channel, address`
	numberAdvisorsListQuery = `SELECT aa.account_id, u.username FROM account_advisors aa JOIN users u ON u.id = aa.user_id
		ORDER BY aa.account_id, u.username`
	declareNumberQuery = `INSERT INTO accounts (channel, address, brand, contact, policy_url, services, declared, created_at, updated_at)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?7)
		ON CONFLICT (channel, address) DO UPDATE SET brand = ?3, contact = ?4, policy_url = ?5, services = ?6,
		declared = 1, updated_at = ?7`
	clearNumberAdvisorsQuery  = `DELETE FROM account_advisors WHERE account_id = ?`
	addNumberAdvisorQuery     = `INSERT INTO account_advisors (account_id, user_id) SELECT CAST(? AS BIGINT), id FROM users WHERE lower(username) = lower(?)`
	numberAdvisorsOfLeadQuery = `SELECT aa.user_id FROM account_advisors aa JOIN leads l ON l.account_id = aa.account_id
		WHERE l.id = ?`
	declaredCloudQuery = `SELECT EXISTS (SELECT 1 FROM accounts WHERE channel = ?1 AND declared = 1),
		EXISTS (SELECT 1 FROM accounts WHERE channel = ?1 AND address = ?2 AND declared = 1)`
	holdUnknownQuery = `INSERT INTO dead_letters (channel, reason, body, received_at, account) VALUES (?, ?, ?, ?, ?)`
	heldForQuery     = `SELECT id, channel, account, body, received_at FROM dead_letters
		WHERE channel = ? AND account = ? AND replayed_at IS NULL ORDER BY id`
	markReplayedQuery = `UPDATE dead_letters SET replayed_at = ? WHERE id = ? AND replayed_at IS NULL`
	unknownHeldQuery  = `SELECT channel, account, COUNT(*), MAX(received_at) FROM dead_letters
		WHERE account <> '' AND replayed_at IS NULL GROUP BY channel, account ORDER BY channel, account`
	numberLeadsQuery = `SELECT account_id, status, COUNT(*) FROM leads GROUP BY account_id, status`
)

// NumberLeads counts one number's leads by status.
type NumberLeads struct {
	Open, Contacted, Won, Lost int
}

// Total is every lead of the number.
func (n NumberLeads) Total() int { return n.Open + n.Contacted + n.Won + n.Lost }

// LeadsByNumber counts the leads of every number (Number.ID) by status:
// the numbers page's view of how each brand is doing.
func (s *Store) LeadsByNumber(ctx context.Context) (map[int64]NumberLeads, error) {
	rows, err := s.ro.QueryContext(ctx, numberLeadsQuery)
	if err != nil {
		return nil, fmt.Errorf("leads by number: %w", err)
	}
	defer rows.Close()
	out := map[int64]NumberLeads{}
	for rows.Next() {
		var id int64
		var status string
		var n int
		if err := rows.Scan(&id, &status, &n); err != nil {
			return nil, fmt.Errorf("leads by number: %w", err)
		}
		c := out[id]
		switch status {
		case "open":
			c.Open += n
		case "contacted":
			c.Contacted += n
		case "won":
			c.Won += n
		case "lost":
			c.Lost += n
		}
		out[id] = c
	}
	return out, rows.Err()
}

// Numbers returns the agency's numbers: those declared and those of the
// WhatsApp channels written to, by channel and address.
func (s *Store) Numbers(ctx context.Context) ([]Number, error) {
	rows, err := s.ro.QueryContext(ctx, numbersQuery)
	if err != nil {
		return nil, fmt.Errorf("numbers: %w", err)
	}
	defer rows.Close()
	var out []Number
	byID := map[int64]int{}
	for rows.Next() {
		var n Number
		var updated int64
		if err := rows.Scan(&n.ID, &n.Channel, &n.Address, &n.Brand, &n.Contact, &n.PolicyURL, &n.Services, &n.Declared, &updated); err != nil {
			return nil, fmt.Errorf("numbers: %w", err)
		}
		n.UpdatedAt = fromMillis(updated)
		byID[n.ID] = len(out)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("numbers: %w", err)
	}
	return out, s.numberAdvisors(ctx, out, byID)
}

func (s *Store) numberAdvisors(ctx context.Context, out []Number, byID map[int64]int) error {
	rows, err := s.ro.QueryContext(ctx, numberAdvisorsListQuery)
	if err != nil {
		return fmt.Errorf("numbers' advisors: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return fmt.Errorf("numbers' advisors: %w", err)
		}
		if i, ok := byID[id]; ok {
			out[i].Advisors = append(out[i].Advisors, name)
		}
	}
	return rows.Err()
}

// DeclareNumber creates or updates the number n.Channel:n.Address with
// its brand, services and advisors, and records who did it in the audit
// log (actor 0: the configuration at start). An advisor name no user has
// is an error and changes nothing.
func (s *Store) DeclareNumber(ctx context.Context, n Number, actor int64, ip string) error {
	if n.Channel != "cloudapi" && n.Channel != "whatsapp" {
		return fmt.Errorf("declare number: channel %q: want cloudapi or whatsapp", n.Channel)
	}
	if strings.TrimSpace(n.Address) == "" || strings.TrimSpace(n.Brand) == "" {
		return errors.New("declare number: an address and a brand are required")
	}
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, declareNumberQuery, n.Channel, n.Address, n.Brand, n.Contact, n.PolicyURL, n.Services, now); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRowContext(ctx, selectAccountQuery, n.Channel, n.Address).Scan(&id); err != nil {
			return err
		}
		if err := setNumberAdvisors(ctx, tx, id, n.Advisors); err != nil {
			return err
		}
		detail := "brand=" + n.Brand + " advisors=" + strings.Join(n.Advisors, ",") + " services=" + strconv.FormatBool(n.Services != "")
		_, err := tx.ExecContext(ctx, insertAuditQuery, actor, "number.declare", n.Key(), ip, detail, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("declare number %s: %w", n.Key(), err)
	}
	return nil
}

func setNumberAdvisors(ctx context.Context, tx *sql.Tx, account int64, names []string) error {
	if _, err := tx.ExecContext(ctx, clearNumberAdvisorsQuery, account); err != nil {
		return err
	}
	for _, name := range names {
		res, err := tx.ExecContext(ctx, addNumberAdvisorQuery, account, strings.TrimSpace(name))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("advisor %q: %w", name, ErrNoAdvisor)
		}
	}
	return nil
}

// numberAdvisorsOf returns the advisors who take the leads of lead's
// number; nil: the whole rotation.
func numberAdvisorsOf(ctx context.Context, tx *sql.Tx, lead int64) (map[int64]bool, error) {
	rows, err := tx.QueryContext(ctx, numberAdvisorsOfLeadQuery, lead)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out map[int64]bool
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		if out == nil {
			out = map[int64]bool{}
		}
		out[id] = true
	}
	return out, rows.Err()
}

// NumberKnown reports whether a delivery for channel:address may be
// answered: always while no number of the channel is declared (one
// number, the README's default), else only for a declared one.
func (s *Store) NumberKnown(ctx context.Context, channel, address string) (bool, error) {
	var any, this bool
	if err := s.ro.QueryRowContext(ctx, declaredCloudQuery, channel, address).Scan(&any, &this); err != nil {
		return false, fmt.Errorf("number known: %w", err)
	}
	return !any || this, nil
}

// HoldForNumber keeps a delivery sent to the undeclared number
// channel:account whole, to be replayed when it is declared.
func (s *Store) HoldForNumber(ctx context.Context, channel, account string, body []byte) error {
	reason := fmt.Sprintf("%v: %s:%s (declare it with --numbers or on the numbers page; held deliveries are then answered)",
		ErrUnknownNumber, channel, account)
	if _, err := s.rw.ExecContext(ctx, holdUnknownQuery, channel, reason, body, millis(s.now()), account); err != nil {
		return fmt.Errorf("hold delivery for %s:%s: %w", channel, account, err)
	}
	return nil
}

// HeldFor returns the deliveries held for channel:account, not yet replayed, oldest first.
func (s *Store) HeldFor(ctx context.Context, channel, account string) ([]HeldDelivery, error) {
	rows, err := s.ro.QueryContext(ctx, heldForQuery, channel, account)
	if err != nil {
		return nil, fmt.Errorf("held for %s:%s: %w", channel, account, err)
	}
	defer rows.Close()
	var out []HeldDelivery
	for rows.Next() {
		var h HeldDelivery
		var at int64
		if err := rows.Scan(&h.ID, &h.Channel, &h.Account, &h.Body, &at); err != nil {
			return nil, fmt.Errorf("held for %s:%s: %w", channel, account, err)
		}
		h.ReceivedAt = fromMillis(at)
		out = append(out, h)
	}
	return out, rows.Err()
}

// MarkReplayed records that held delivery id went through the channel.
func (s *Store) MarkReplayed(ctx context.Context, id int64) error {
	if _, err := s.rw.ExecContext(ctx, markReplayedQuery, millis(s.now()), id); err != nil {
		return fmt.Errorf("mark replayed %d: %w", id, err)
	}
	return nil
}

// UnknownNumbers counts the held deliveries per undeclared number, for
// the operator's numbers page.
func (s *Store) UnknownNumbers(ctx context.Context) ([]UnknownHeld, error) {
	rows, err := s.ro.QueryContext(ctx, unknownHeldQuery)
	if err != nil {
		return nil, fmt.Errorf("unknown numbers: %w", err)
	}
	defer rows.Close()
	var out []UnknownHeld
	for rows.Next() {
		var u UnknownHeld
		var at int64
		if err := rows.Scan(&u.Channel, &u.Account, &u.N, &at); err != nil {
			return nil, fmt.Errorf("unknown numbers: %w", err)
		}
		u.Last = fromMillis(at)
		out = append(out, u)
	}
	return out, rows.Err()
}

// ofNumber keeps, of the rotation's candidates, the advisors of lead's
// number when it has its own.
func ofNumber(ctx context.Context, tx *sql.Tx, candidates []assign.Candidate, lead int64) ([]assign.Candidate, error) {
	own, err := numberAdvisorsOf(ctx, tx, lead)
	if err != nil || own == nil {
		return candidates, err
	}
	return slices.DeleteFunc(candidates, func(c assign.Candidate) bool { return !own[c.ID] }), nil
}
