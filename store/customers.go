package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Customer is one paying customer of the agency: a won lead or a row of an
// imported customers file. Name is the only personal field and lives only
// in customers.name, so data-rights requests find it there.
type Customer struct {
	ID            int64
	ExtKey        string // "lead:<id>" for a won lead, else the file's customer id
	LeadID        int64  // 0 when imported
	Name          string
	CityCode      string
	Service       string
	Plan          string
	Source        string
	MonthlyFeeCOP int64 // the current fee
	StartedAt     time.Time
	CancelledAt   time.Time // zero while active
	Extra         map[string]string
}

// Active reports whether c had not cancelled at t.
func (c Customer) Active(t time.Time) bool {
	return !c.StartedAt.After(t) && (c.CancelledAt.IsZero() || c.CancelledAt.After(t))
}

// Customer event kinds (customer_events.kind).
const (
	EventPayment    = "payment"     // AmountCOP paid, DaysLate after its due date
	EventSupport    = "support"     // a support contact (Detail: the topic, no personal data)
	EventActivity   = "activity"    // the customer used the service (logged in, approved a post…)
	EventFeeChange  = "fee_change"  // AmountCOP is the new monthly fee (one at the start date too)
	EventPlanChange = "plan_change" // Detail is the new plan
)

// CustomerEvent is one dated fact of a customer's history.
type CustomerEvent struct {
	Kind      string
	At        time.Time
	AmountCOP int64
	DaysLate  int
	Detail    string
}

// SortEvents orders events by time, oldest first, as CustomerHistories
// returns them (a month's late payment may fall after the next month's
// activity); importers and generators use it before ImportCustomers.
func SortEvents(ev []CustomerEvent) {
	slices.SortStableFunc(ev, func(a, b CustomerEvent) int { return a.At.Compare(b.At) })
}

// CustomerHistory is a customer with its events, oldest first.
type CustomerHistory struct {
	Customer
	Events []CustomerEvent
}

// CustomerImport is one customer to add with its events (import, demo).
type CustomerImport struct {
	Customer
	Events []CustomerEvent
}

const (
	upsertCustomerQuery = `INSERT INTO customers (ext_key, name, city_code, service, plan, source, monthly_fee_cop,
		started_at, cancelled_at, extra, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (ext_key) DO UPDATE SET cancelled_at = COALESCE(customers.cancelled_at, excluded.cancelled_at)
		RETURNING id`
	insertCustomerEventQuery = `INSERT INTO customer_events (customer_id, kind, at, amount_cop, days_late, detail)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	customerColumns = `id, ext_key, COALESCE(lead_id, 0), name, city_code, service, plan, source, monthly_fee_cop,
		started_at, COALESCE(cancelled_at, 0), extra`
	allCustomersQuery    = `SELECT ` + customerColumns + ` FROM customers ORDER BY id`
	activeCustomersQuery = `SELECT ` + customerColumns + ` FROM customers WHERE cancelled_at IS NULL ORDER BY id`
)

const countCustomersQuery = `SELECT COUNT(*) FROM customers`

// ImportCustomers adds customers and their events in one transaction. A
// customer whose ExtKey is stored already is not added again (only a
// cancellation date it lacked is filled in), and an event stored already
// (same customer, kind, time, amount and detail) is skipped, so a re-import
// adds nothing twice. It returns how many customers and events were new.
func (s *Store) ImportCustomers(ctx context.Context, rows []CustomerImport, progress func(done, total int, step string)) (customers, events int, err error) {
	now := millis(s.now())
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var before int
		if err := tx.QueryRowContext(ctx, countCustomersQuery).Scan(&before); err != nil {
			return err
		}
		cust, err := tx.PrepareContext(ctx, upsertCustomerQuery)
		if err != nil {
			return err
		}
		defer cust.Close()
		ev, err := tx.PrepareContext(ctx, insertCustomerEventQuery)
		if err != nil {
			return err
		}
		defer ev.Close()
		for i, r := range rows {
			if progress != nil && i%1000 == 0 {
				progress(i, len(rows), "customers")
			}
			extra, err := json.Marshal(r.Extra)
			if err != nil || r.Extra == nil {
				extra = []byte("{}")
			}
			var id int64
			if err := cust.QueryRowContext(ctx, r.ExtKey, r.Name, r.CityCode, r.Service, r.Plan, r.Source, r.MonthlyFeeCOP,
				millis(r.StartedAt), nullMillis(r.CancelledAt), string(extra), now).Scan(&id); err != nil {
				return fmt.Errorf("customer row %d: %w", i+1, err)
			}
			for _, e := range r.Events {
				res, err := ev.ExecContext(ctx, id, e.Kind, millis(e.At), e.AmountCOP, e.DaysLate, e.Detail)
				if err != nil {
					return fmt.Errorf("customer row %d event: %w", i+1, err)
				}
				n, _ := res.RowsAffected()
				events += int(n)
			}
		}
		var after int
		if err := tx.QueryRowContext(ctx, countCustomersQuery).Scan(&after); err != nil {
			return err
		}
		customers = after - before
		if progress != nil {
			progress(len(rows), len(rows), "customers")
		}
		return refreshRiskBands(ctx, tx) // a re-import may have ended scored customers
	})
	if err != nil {
		return 0, 0, fmt.Errorf("import customers: %w", err)
	}
	return customers, events, nil
}

func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return millis(t)
}

func scanCustomer(row scanner, extra ...any) (Customer, error) {
	var c Customer
	var started, cancelled int64
	var ext string
	dest := append([]any{&c.ID, &c.ExtKey, &c.LeadID, &c.Name, &c.CityCode, &c.Service, &c.Plan, &c.Source,
		&c.MonthlyFeeCOP, &started, &cancelled, &ext}, extra...)
	if err := row.Scan(dest...); err != nil {
		return c, err
	}
	c.StartedAt = fromMillis(started)
	if cancelled != 0 {
		c.CancelledAt = fromMillis(cancelled)
	}
	if ext != "" && ext != "{}" {
		_ = json.Unmarshal([]byte(ext), &c.Extra) // extra is informational; a damaged one is not a reason to fail
	}
	return c, nil
}

const customerEventsQuery = `SELECT customer_id, kind, at, amount_cop, days_late, detail FROM customer_events ORDER BY customer_id, at, id`

// CustomerHistories returns every customer with its events, oldest event
// first; with activeOnly, only customers not cancelled. Training needs
// them all; daily scoring the active ones.
func (s *Store) CustomerHistories(ctx context.Context, activeOnly bool) ([]CustomerHistory, error) {
	q := allCustomersQuery
	if activeOnly {
		q = activeCustomersQuery
	}
	rows, err := s.ro.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("customers: %w", err)
	}
	var out []CustomerHistory
	index := map[int64]int{}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			_ = rows.Close() // the scan error is the one to return
			return nil, err
		}
		index[c.ID] = len(out)
		out = append(out, CustomerHistory{Customer: c})
	}
	_ = rows.Close() // closed before the next query on this connection; rows.Err reports a failed read
	if err := rows.Err(); err != nil {
		return nil, err
	}
	evs, err := s.ro.QueryContext(ctx, customerEventsQuery)
	if err != nil {
		return nil, fmt.Errorf("customer events: %w", err)
	}
	defer evs.Close()
	for evs.Next() {
		var id, at int64
		var e CustomerEvent
		if err := evs.Scan(&id, &e.Kind, &at, &e.AmountCOP, &e.DaysLate, &e.Detail); err != nil {
			return nil, err
		}
		if i, ok := index[id]; ok {
			e.At = fromMillis(at)
			out[i].Events = append(out[i].Events, e)
		}
	}
	return out, evs.Err()
}

// ChurnScore is one customer's churn probability at a scoring snapshot.
type ChurnScore struct {
	CustomerID  int64
	ScoredAt    time.Time
	Probability float64
	Model       string
	Reasons     []Reason
}

// Reason is one part of an explanation: what and how much (a probability share).
type Reason struct {
	Feature string  `json:"feature"`
	Value   string  `json:"value"`
	Weight  float64 `json:"weight"`
}

const insertChurnScoreQuery = `INSERT INTO churn_scores (customer_id, scored_at, probability, model, reasons)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (customer_id, scored_at) DO NOTHING`

const updateChurnQuery = `UPDATE customers SET churn_probability = ?, churn_scored_at = ?, churn_model = ?, churn_reasons = ?
			WHERE id = ? AND (churn_scored_at IS NULL OR churn_scored_at <= ?)`

const churnProbabilityQuery = `SELECT churn_probability FROM customers WHERE id = ?`

// SaveChurnScores appends the scores to churn_scores (one per customer and
// snapshot: a repeated snapshot replaces nothing and adds nothing) and keeps
// each customer's latest score on its row for the risk page.
func (s *Store) SaveChurnScores(ctx context.Context, scores []ChurnScore) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		ins, err := tx.PrepareContext(ctx, insertChurnScoreQuery)
		if err != nil {
			return err
		}
		defer ins.Close()
		cur, err := tx.PrepareContext(ctx, updateChurnQuery)
		if err != nil {
			return err
		}
		defer cur.Close()
		for _, sc := range scores {
			reasons, err := json.Marshal(sc.Reasons)
			if err != nil {
				return err
			}
			at := millis(sc.ScoredAt)
			var before sql.NullFloat64
			if err := tx.QueryRowContext(ctx, churnProbabilityQuery, sc.CustomerID).Scan(&before); err != nil {
				return fmt.Errorf("customer %d: %w", sc.CustomerID, err)
			}
			if _, err := ins.ExecContext(ctx, sc.CustomerID, at, sc.Probability, sc.Model, string(reasons)); err != nil {
				return fmt.Errorf("customer %d: %w", sc.CustomerID, err)
			}
			if _, err := cur.ExecContext(ctx, sc.Probability, at, sc.Model, string(reasons), sc.CustomerID, at); err != nil {
				return fmt.Errorf("customer %d: %w", sc.CustomerID, err)
			}
			if err := queueChurnRisk(ctx, tx, sc.CustomerID, before, s.now()); err != nil {
				return err
			}
		}
		return refreshRiskBands(ctx, tx)
	})
	if err != nil {
		return fmt.Errorf("save churn scores: %w", err)
	}
	return nil
}

// RiskFilter selects and orders the churn-risk list.
type RiskFilter struct {
	Sort   string // "risk" (default), "at_stake" (fee × probability), "tenure" (longest first)
	Limit  int    // default 100, at most 500; -1 means all (CSV export)
	Offset int
	// Search: each of its first three words must be in the customer's
	// name, key, service or plan (case-insensitive for ASCII letters,
	// accents as typed).
	Search string
}

// riskSearchWhere matches up to three search words, each anywhere in the
// customer's name, key, service or plan (ASCII letters in any case); an
// empty word matches everything. A constant, so the SQL is never built.
const riskSearchWhere = ` AND instr(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), ?) >= (? <> '')
	AND instr(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), ?) >= (? <> '')
	AND instr(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), ?) >= (? <> '')`

// riskSearch gives riskSearchWhere's arguments: the first three words of
// search, lower-cased, each twice.
func riskSearch(search string) []any {
	words := strings.Fields(strings.ToLower(search))
	args := make([]any, 0, 6)
	for i := range 3 {
		w := ""
		if i < len(words) {
			w = words[i]
		}
		args = append(args, w, w)
	}
	return args
}

const countActiveCustomersQuery = `SELECT COUNT(*) FROM customers INDEXED BY customers_active_risk WHERE cancelled_at IS NULL` + riskSearchWhere

// CountActiveCustomers counts the active customers matching search.
func (s *Store) CountActiveCustomers(ctx context.Context, search string) (int, error) {
	var n int
	err := s.ro.QueryRowContext(ctx, countActiveCustomersQuery, riskSearch(search)...).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count customers: %w", err)
	}
	return n, nil
}

// RiskRow is one active customer on the churn-risk list.
type RiskRow struct {
	Customer
	Probability float64 // -1 when not scored yet
	ScoredAt    time.Time
	Model       string
	Reasons     []Reason
	AtStakeCOP  int64  // monthly fee × probability: the expected monthly revenue lost
	LastAction  string // contacted, retained, churned, note, or ""
}

// riskOrder maps a sort name to its index and ORDER BY: the partial
// indexes of migration 0021 walked in order, so a page reads ~100 rows
// however many customers there are. The index is named because without
// ANALYZE statistics SQLite prefers customers_active for the WHERE and
// sorts every active customer.
var riskOrder = map[string][2]string{
	"risk":     {"customers_active_risk", "churn_probability DESC, id DESC"},
	"at_stake": {"customers_active_at_stake", "monthly_fee_cop * COALESCE(churn_probability, 0) DESC, id DESC"},
	"tenure":   {"customers_active_tenure", "started_at, id"},
}

// riskListQuery is ChurnRisk's statement for one of riskOrder's sorts.
func riskListQuery(order [2]string) string {
	return `SELECT ` + customerColumns + `, COALESCE(churn_probability, -1), COALESCE(churn_scored_at, 0),
		churn_model, churn_reasons, (SELECT kind FROM customer_actions a WHERE a.customer_id = customers.id ORDER BY a.id DESC LIMIT 1)
		FROM customers INDEXED BY ` + order[0] + ` WHERE cancelled_at IS NULL` + riskSearchWhere + ` ORDER BY ` + order[1] + ` LIMIT ? OFFSET ?`
}

// ChurnRisk lists active customers with their latest churn score.
func (s *Store) ChurnRisk(ctx context.Context, f RiskFilter) ([]RiskRow, error) {
	order, ok := riskOrder[f.Sort]
	if !ok {
		order = riskOrder["risk"]
	}
	switch {
	case f.Limit == 0:
		f.Limit = 100
	case f.Limit > 500:
		f.Limit = 500
	}
	rows, err := s.ro.QueryContext(ctx, riskListQuery(order), append(riskSearch(f.Search), f.Limit, max(f.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("churn risk: %w", err)
	}
	defer rows.Close()
	var out []RiskRow
	for rows.Next() {
		var r RiskRow
		var scored int64
		var reasons string
		var last sql.NullString
		c, err := scanCustomer(rows, &r.Probability, &scored, &r.Model, &reasons, &last)
		if err != nil {
			return nil, err
		}
		r.Customer, r.LastAction = c, last.String
		if scored != 0 {
			r.ScoredAt = fromMillis(scored)
		}
		_ = json.Unmarshal([]byte(reasons), &r.Reasons) // written by SaveChurnScores; an unreadable one shows no reasons
		if r.Probability > 0 {
			r.AtStakeCOP = int64(float64(r.MonthlyFeeCOP)*r.Probability + 0.5)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// RiskBand is a range of churn probability with its active customers.
type RiskBand struct {
	From, To      float64 // probability range [From, To)
	Customers     int
	MonthlyFeeCOP int64 // their monthly fees
	AtStakeCOP    int64 // their fees × probabilities
}

// riskBandEdges are the bands of the risk page's chart and summary.
var riskBandEdges = []float64{0, 0.1, 0.2, 0.3, 0.5, 1.0001}

const riskBandsQuery = `SELECT band, customers, fee_cop, at_stake_cop FROM churn_risk_bands`

// ChurnRiskBands returns the scored active customers per probability band,
// from the summary that refreshRiskBands keeps.
func (s *Store) ChurnRiskBands(ctx context.Context) ([]RiskBand, error) {
	bands := make([]RiskBand, len(riskBandEdges)-1)
	for i := range bands {
		bands[i].From, bands[i].To = riskBandEdges[i], min(riskBandEdges[i+1], 1)
	}
	rows, err := s.ro.QueryContext(ctx, riskBandsQuery)
	if err != nil {
		return nil, fmt.Errorf("churn risk bands: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b, n int
		var fees, stake int64
		if err := rows.Scan(&b, &n, &fees, &stake); err != nil {
			return nil, err
		}
		if b >= 0 && b < len(bands) {
			bands[b].Customers, bands[b].MonthlyFeeCOP, bands[b].AtStakeCOP = n, fees, stake
		}
	}
	return bands, rows.Err()
}

const clearRiskBandsQuery = `DELETE FROM churn_risk_bands`

const refreshRiskBandsQuery = `INSERT INTO churn_risk_bands (band, customers, fee_cop, at_stake_cop)
		SELECT CASE WHEN churn_probability < 0.1 THEN 0 WHEN churn_probability < 0.2 THEN 1
		WHEN churn_probability < 0.3 THEN 2 WHEN churn_probability < 0.5 THEN 3 ELSE 4 END AS band,
		COUNT(*), SUM(monthly_fee_cop), CAST(ROUND(SUM(monthly_fee_cop * churn_probability)) AS INTEGER)
		FROM customers INDEXED BY customers_active_risk
		WHERE cancelled_at IS NULL AND churn_probability IS NOT NULL GROUP BY band`

// refreshRiskBands recomputes the churn_risk_bands summary inside tx: one
// scan of the active customers, done when scores are saved or customers
// leave, never per page view.
func refreshRiskBands(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, clearRiskBandsQuery); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, refreshRiskBandsQuery)
	if err != nil {
		return fmt.Errorf("refresh churn risk bands: %w", err)
	}
	return nil
}

const revenueAtRiskQuery = `SELECT COUNT(*), SUM(monthly_fee_cop), SUM(monthly_fee_cop * churn_probability)
		FROM customers WHERE cancelled_at IS NULL AND churn_probability >= ?`

// RevenueAtRisk sums, over active customers whose latest churn probability
// is at least minProb, how many they are, their monthly fees and their
// expected monthly loss (fee × probability). For insights.
func (s *Store) RevenueAtRisk(ctx context.Context, minProb float64) (customers int, monthlyFeeCOP, expectedLossCOP int64, err error) {
	var fees sql.NullInt64
	var loss sql.NullFloat64
	err = s.ro.QueryRowContext(ctx, revenueAtRiskQuery, minProb).Scan(&customers, &fees, &loss)
	if err != nil {
		return 0, 0, 0, fmt.Errorf("revenue at risk: %w", err)
	}
	return customers, fees.Int64, int64(loss.Float64 + 0.5), nil
}

// CustomerAction is what the agency did about a customer at risk.
type CustomerAction struct {
	Kind   string // contacted, retained, churned, note
	ByUser int64
	Detail string
}

const customerCancelledQuery = `SELECT cancelled_at FROM customers WHERE id = ?`

const cancelCustomerQuery = `UPDATE customers SET cancelled_at = ? WHERE id = ?`

const insertCustomerActionQuery = `INSERT INTO customer_actions (customer_id, user_id, kind, detail, created_at) VALUES (?, ?, ?, ?, ?)`

// ActOnCustomer records a on customer id. "churned" also marks the
// customer cancelled now (if it was not), so it leaves the risk list.
// ErrNotFound for an unknown customer, ErrConflict for an action on a
// customer already cancelled.
func (s *Store) ActOnCustomer(ctx context.Context, id int64, a CustomerAction) error {
	switch a.Kind {
	case "contacted", "retained", "churned", "note":
	default:
		return fmt.Errorf("customer %d: unknown action %q", id, a.Kind)
	}
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var cancelled sql.NullInt64
		err := tx.QueryRowContext(ctx, customerCancelledQuery, id).Scan(&cancelled)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return err
		}
		if cancelled.Valid && a.Kind != "note" {
			return ErrConflict
		}
		if a.Kind == "churned" {
			if _, err := tx.ExecContext(ctx, cancelCustomerQuery, now, id); err != nil {
				return err
			}
			if err := refreshRiskBands(ctx, tx); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, insertCustomerActionQuery,
			id, a.ByUser, a.Kind, a.Detail, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("customer %d %s: %w", id, a.Kind, err)
	}
	return nil
}

// customerFromWonLead creates the customer row of a lead just marked won,
// inside the won transaction: service, city, source and name from the lead,
// monthly fee = fee (or the recorded value when fee is 0), start = now. A
// lead already a customer is left alone.
func customerFromWonLead(ctx context.Context, tx *sql.Tx, leadID, fee int64, now int64) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO customers (ext_key, lead_id, name, city_code, service, source, monthly_fee_cop,
		started_at, created_at) SELECT ?, id, name, city_code, service, source, ?, ?, ? FROM leads WHERE id = ?
		ON CONFLICT DO NOTHING`, "lead:"+strconv.FormatInt(leadID, 10), fee, now, now, leadID)
	if err != nil {
		return fmt.Errorf("customer from won lead: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	// The starting fee as an event, so a snapshot at any later time knows it.
	_, err = tx.ExecContext(ctx, insertCustomerEventQuery, id, EventFeeChange, now, fee, 0, "")
	return err
}

// KeyedCustomerEvent is an event of the customer with ext_key CustomerKey
// (a row of an imported customer-events file).
type KeyedCustomerEvent struct {
	CustomerKey string
	CustomerEvent
}

const customerByKeyQuery = `SELECT id FROM customers WHERE ext_key = ?`

// ImportCustomerEvents adds events to customers already stored, in one
// transaction; an event stored already is skipped. Events of customers the
// store does not know make the whole import fail (import the customers
// first), naming up to five of them.
func (s *Store) ImportCustomerEvents(ctx context.Context, rows []KeyedCustomerEvent) (added int, err error) {
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		find, err := tx.PrepareContext(ctx, customerByKeyQuery)
		if err != nil {
			return err
		}
		defer find.Close()
		ins, err := tx.PrepareContext(ctx, insertCustomerEventQuery)
		if err != nil {
			return err
		}
		defer ins.Close()
		ids := map[string]int64{}
		var unknown []string
		for _, r := range rows {
			id, ok := ids[r.CustomerKey]
			if !ok {
				err := find.QueryRowContext(ctx, r.CustomerKey).Scan(&id)
				if errors.Is(err, sql.ErrNoRows) {
					if len(unknown) < 5 {
						unknown = append(unknown, strconv.Quote(r.CustomerKey))
					}
					ids[r.CustomerKey] = 0
					continue
				}
				if err != nil {
					return err
				}
				ids[r.CustomerKey] = id
			}
			if id == 0 {
				continue
			}
			res, err := ins.ExecContext(ctx, id, r.Kind, millis(r.At), r.AmountCOP, r.DaysLate, r.Detail)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			added += int(n)
		}
		if len(unknown) > 0 {
			return fmt.Errorf("%w: events of customers not in the store (import the customers file first): %s", ErrNotFound, strings.Join(unknown, ", "))
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("import customer events: %w", err)
	}
	return added, nil
}
