package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/cis-agencia/cis/flow/pricing"
)

// Messaging cost (issue 18): since July 2025 Meta charges per delivered
// message, by the recipient's country and the message's pricing category.
// A Cloud API status callback carries the category in its pricing block;
// the first one seen for a message prices it once, with the rate table in
// force on that day (flow/pricing; --rates), into message_costs. The
// campaigns page adds it to each campaign's cost.

const (
	messageToPriceQuery = `SELECT o.id, o.account_id, o.contact_id, c.phone FROM outbox o JOIN contacts c ON c.id = o.contact_id
		WHERE o.channel = ?1 AND (o.ext_id = ?2 AND o.ext_id <> '' OR o.id = ?3) ORDER BY o.ext_id = ?2 DESC LIMIT 1`
	// insertMessageCostQuery attributes the message, when it is priced, to
	// the campaign of the person's latest lead on that number, else of their
	// first ad referral, else to no campaign ('').
	insertMessageCostQuery = `INSERT INTO message_costs (outbox_id, account_id, contact_id, country, category, billable, cost_cop, priced_at, campaign)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, COALESCE(
			(SELECT campaign_key(l.source) FROM leads l WHERE l.contact_id = ?3 AND l.account_id = ?2 ORDER BY l.id DESC LIMIT 1),
			(SELECT campaign_key(CASE r.source_type WHEN '' THEN 'ad' ELSE r.source_type END || ':' || r.source_id)
				FROM referrals r WHERE r.contact_id = ?3 ORDER BY r.id LIMIT 1), ''))
		ON CONFLICT (outbox_id) DO NOTHING`
	// campaignMessagingQuery sums the period's costs per campaign, by the
	// Bogotá day each message was priced (UTC-5, no daylight saving).
	campaignMessagingQuery = `SELECT campaign, SUM(cost_cop) FROM message_costs
		WHERE priced_at >= ? AND priced_at < ? GROUP BY campaign`
)

// SetRates sets the rate table messages are priced with; the built-in
// (illustrative) one until then.
func (s *Store) SetRates(t pricing.Table) { s.rates.Store(&t) }

func (s *Store) rateTable() pricing.Table {
	if t := s.rates.Load(); t != nil {
		return *t
	}
	return pricing.Default()
}

// priceMessage prices the message d reports, once, when its status carried
// a pricing block.
func (s *Store) priceMessage(ctx context.Context, tx *sql.Tx, channel string, d Delivery, now time.Time) error {
	if d.Category == "" {
		return nil
	}
	var outboxID, account, contact int64
	var phone string
	err := tx.QueryRowContext(ctx, messageToPriceQuery, channel, d.ExtID, d.Outbox).Scan(&outboxID, &account, &contact, &phone)
	if errors.Is(err, sql.ErrNoRows) {
		return nil // not one of ours (sent from the WhatsApp Manager): nothing to attribute
	}
	if err != nil {
		return fmt.Errorf("message to price: %w", err)
	}
	country := pricing.Country(phone)
	cost := 0.0
	if d.Billable {
		cost, _ = s.rateTable().Cost(country, d.Category, d.At)
	}
	if _, err := tx.ExecContext(ctx, insertMessageCostQuery, outboxID, account, contact, country, d.Category, d.Billable,
		cost, millis(now)); err != nil {
		return fmt.Errorf("price message: %w", err)
	}
	return nil
}

// campaignMessaging adds each campaign's messaging cost in [from, to].
func (s *Store) campaignMessaging(ctx context.Context, set *campaignSet, from, to string) error {
	start, end, err := bogotaDays(from, to)
	if err != nil {
		return err
	}
	rows, err := s.ro.QueryContext(ctx, campaignMessagingQuery, start, end)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var key string
		var cost float64
		if err := rows.Scan(&key, &cost); err != nil {
			return err
		}
		if cost > 0 {
			set.get(key).MessagingCOP += int64(math.Round(cost))
		}
	}
	return rows.Err()
}

// bogotaDays turns a period's Colombian days [from, to] into a range of
// instants [start, end) in milliseconds.
func bogotaDays(from, to string) (int64, int64, error) {
	bogota := time.FixedZone("COT", -5*3600) // Colombia keeps UTC-5 all year
	day := func(s string, next bool) (int64, error) {
		switch s {
		case "0000-00-00":
			return math.MinInt64, nil
		case "9999-12-31":
			return math.MaxInt64, nil
		}
		d, err := time.ParseInLocation(time.DateOnly, s, bogota)
		if err != nil {
			return 0, fmt.Errorf("period day %q: %w", s, err)
		}
		if next {
			d = d.AddDate(0, 0, 1)
		}
		return millis(d), nil
	}
	start, err := day(from, false)
	if err != nil {
		return 0, 0, err
	}
	end, err := day(to, true)
	return start, end, err
}

// demoMessage is one message of the demo's made-up past conversations.
type demoMessage struct {
	account, contact int64
	phone, category  string
	at               time.Time
}

// SeedMessagingCosts prices the past leads of the demo account address as
// if their conversations had gone through the Cloud API: service messages
// (one per question, about nine) when each was completed and one utility
// template when it was contacted, with the rate table in force each day.
// It returns how many messages it priced; a second call adds none.
func (s *Store) SeedMessagingCosts(ctx context.Context, address string) (int, error) {
	rows, err := s.ro.QueryContext(ctx, demoLeadsToPriceQuery, address)
	if err != nil {
		return 0, fmt.Errorf("seed messaging costs: %w", err)
	}
	var msgs []demoMessage
	for rows.Next() {
		var m demoMessage
		var completed, contacted int64
		if err := rows.Scan(&m.account, &m.contact, &m.phone, &completed, &contacted); err != nil {
			_ = rows.Close()
			return 0, fmt.Errorf("seed messaging costs: %w", err)
		}
		m.category, m.at = "service", fromMillis(completed)
		for range 9 {
			msgs = append(msgs, m)
		}
		if contacted > 0 {
			msgs = append(msgs, demoMessage{account: m.account, contact: m.contact, phone: m.phone, category: "utility", at: fromMillis(contacted)})
		}
	}
	if err := rows.Close(); err != nil {
		return 0, err
	}
	tab := s.rateTable()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		stmt, err := tx.PrepareContext(ctx, insertMessageCostQuery)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for _, m := range msgs {
			country := pricing.Country("+" + trimPlus(m.phone))
			cost, _ := tab.Cost(country, m.category, m.at)
			if _, err := stmt.ExecContext(ctx, nil, m.account, m.contact, country, m.category, true, cost, millis(m.at)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("seed messaging costs: %w", err)
	}
	return len(msgs), nil
}

func trimPlus(p string) string {
	if len(p) > 0 && p[0] == '+' {
		return p[1:]
	}
	return p
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	demoLeadsToPriceQuery = `SELECT l.account_id, l.contact_id, c.phone, l.completed_at, COALESCE(l.contacted_at, 0)
		FROM leads l JOIN accounts a ON a.id = l.account_id AND a.channel = 'demo' AND a.address = ?
		JOIN contacts c ON c.id = l.contact_id
		WHERE NOT EXISTS (SELECT 1 FROM message_costs m WHERE m.contact_id = l.contact_id) ORDER BY l.id`
)
