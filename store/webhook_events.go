package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Events are queued by the transaction of the change that causes them
// (queueLeadEvent, queueChurnRisk), one row per subscribed destination, all
// with one event id. The payload is built then, from the rows the
// transaction sees: what the event says is what was true when it happened.
//
// Personal data (consent, Ley 1581): a payload's "person" block (the name
// and the WhatsApp number, never a BSUID, a username or a message) is there
// only while the person's authorisation stands: their last consent answer
// is yes, they did not opt out and were not erased. An opt-out empties the
// block of their events still queued, in the opt-out's transaction; an
// erasure empties it in every row kept about them (sent or not) and queues
// person.erased for each destination that was sent anything about them, in
// the erasure's transaction (eraseWebhooks). Scrubbing in the same commit,
// rather than building bodies at send time, keeps what each event says fixed
// (a lead.completed sent after the lead was won still says what completed)
// and leaves nothing personal behind in the store either.

// webhookBody is the JSON every destination receives.
type webhookBody struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	CreatedAt string `json:"created_at"`
	Data      any    `json:"data"`
}

// subscribers are the enabled destinations that take event typ.
func subscribers(ctx context.Context, tx *sql.Tx, typ string) ([]int64, error) {
	return ids(ctx, tx, `SELECT d.id FROM webhook_destinations d WHERE d.enabled = 1
		AND EXISTS (SELECT 1 FROM json_each(d.events) e WHERE e.value = ?) ORDER BY d.id`, typ)
}

func ids(ctx context.Context, tx *sql.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

// queueEvent inserts event typ about subject for each of dests, with data
// built only when there is a destination.
func queueEvent(ctx context.Context, tx *sql.Tx, dests []int64, typ, subject string, now time.Time, data func() (any, error)) error {
	if len(dests) == 0 {
		return nil
	}
	d, err := data()
	if err != nil {
		return fmt.Errorf("%s payload: %w", typ, err)
	}
	id := newEventID()
	body, err := json.Marshal(webhookBody{ID: id, Type: typ, CreatedAt: now.UTC().Format(time.RFC3339Nano), Data: d})
	if err != nil {
		return err
	}
	for _, dest := range dests {
		if _, err := tx.ExecContext(ctx, insertWebhookDeliveryQuery, dest, id, typ, subject, string(body), millis(now), millis(now)); err != nil {
			return fmt.Errorf("queue %s: %w", typ, err)
		}
	}
	return nil
}

func leadSubject(id int64) string { return "lead:" + strconv.FormatInt(id, 10) }

// queueLeadEvent queues event typ about lead id for its subscribers.
func queueLeadEvent(ctx context.Context, tx *sql.Tx, typ string, id int64, now time.Time) error {
	dests, err := subscribers(ctx, tx, typ)
	if err != nil {
		return fmt.Errorf("%s subscribers: %w", typ, err)
	}
	return queueEvent(ctx, tx, dests, typ, leadSubject(id), now, func() (any, error) { return leadPayload(ctx, tx, id) })
}

// LeadPayload is the data of a lead.* event.
type LeadPayload struct {
	Lead   LeadFacts      `json:"lead"`
	Person *PersonPayload `json:"person"` // null without a standing authorisation
}

// LeadFacts are a lead's facts as a webhook carries them.
type LeadFacts struct {
	ID           int64     `json:"id"` // the pseudonymous id person.erased names
	Status       string    `json:"status"`
	Class        string    `json:"class"`
	Probability  float64   `json:"probability"`
	City         string    `json:"city"`
	Department   string    `json:"department"`
	BudgetMinCOP int64     `json:"budget_min_cop"`
	BudgetMaxCOP int64     `json:"budget_max_cop"`
	Urgency      string    `json:"urgency"`
	Service      string    `json:"service"`
	Source       string    `json:"source"` // the campaign, without the ad click id
	CompletedAt  string    `json:"completed_at"`
	DeadlineAt   string    `json:"deadline_at"`
	AssignedTo   *Assignee `json:"assigned_to,omitempty"`
	ValueCOP     int64     `json:"value_cop,omitempty"`   // won
	LostReason   string    `json:"lost_reason,omitempty"` // lost: an advisor's words, emptied by an erasure
}

// Assignee is the advisor a lead is assigned to (a dashboard account).
type Assignee struct {
	ID       int64  `json:"id"`
	Username string `json:"username"`
}

// PersonPayload is the personal data a payload carries.
type PersonPayload struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"` // E.164; none when WhatsApp hid the number
}

// webhookLeadQuery reads a lead for its payload; the last column says
// whether the person's authorisation stands.
const webhookLeadQuery = `SELECT l.id, l.status, l.class, l.probability, l.city_name, l.department, l.budget_min_cop,
	l.budget_max_cop, l.urgency, l.service,
	COALESCE((SELECT replace(l.source, '/' || r.ctwa_clid, '') FROM referrals r
		WHERE r.contact_id = l.contact_id AND r.ctwa_clid <> '' ORDER BY r.id LIMIT 1), l.source),
	l.completed_at, l.deadline_at, COALESCE(l.assigned_to, 0), COALESCE(u.username, ''), l.outcome_value_cop, l.outcome_reason,
	l.name, c.phone, ` + authorised + `
	FROM leads l JOIN contacts c ON c.id = l.contact_id LEFT JOIN users u ON u.id = l.assigned_to WHERE l.id = ?`

// authorised is true while contact c's authorisation stands.
const authorised = `(c.opted_out_at IS NULL AND c.phone NOT LIKE 'erased:%'
	AND COALESCE((SELECT k.accepted FROM consent_records k WHERE k.contact_id = c.id ORDER BY k.id DESC LIMIT 1), 0) = 1)`

func leadPayload(ctx context.Context, tx *sql.Tx, id int64) (LeadPayload, error) {
	var p LeadPayload
	l := &p.Lead
	var completed, deadline, assigned int64
	var username, name, phone string
	var ok bool
	if err := tx.QueryRowContext(ctx, webhookLeadQuery, id).Scan(&l.ID, &l.Status, &l.Class, &l.Probability, &l.City,
		&l.Department, &l.BudgetMinCOP, &l.BudgetMaxCOP, &l.Urgency, &l.Service, &l.Source, &completed, &deadline,
		&assigned, &username, &l.ValueCOP, &l.LostReason, &name, &phone, &ok); err != nil {
		return p, fmt.Errorf("lead %d: %w", id, err)
	}
	l.CompletedAt, l.DeadlineAt = rfc3339(completed), rfc3339(deadline)
	if assigned != 0 {
		l.AssignedTo = &Assignee{ID: assigned, Username: username}
	}
	if ok {
		p.Person = &PersonPayload{Name: name}
		if phoneUser(phone) != "" {
			p.Person.Phone = phone
		}
	}
	return p, nil
}

func rfc3339(ms int64) string {
	if ms == 0 {
		return ""
	}
	return fromMillis(ms).Format(time.RFC3339)
}

// ChurnPayload is the data of customer.churn_risk.
type ChurnPayload struct {
	Customer struct {
		ID            int64   `json:"id"`
		Key           string  `json:"key"` // the agency's own customer key
		LeadID        int64   `json:"lead_id,omitempty"`
		Service       string  `json:"service"`
		Plan          string  `json:"plan"`
		MonthlyFeeCOP int64   `json:"monthly_fee_cop"`
		Probability   float64 `json:"probability"`
		Model         string  `json:"model"`
		Reasons       []any   `json:"reasons"`
	} `json:"customer"`
	Person *PersonPayload `json:"person"`
}

const webhookCustomerQuery = `SELECT cu.id, cu.ext_key, COALESCE(cu.lead_id, 0), cu.service, cu.plan, cu.monthly_fee_cop,
	COALESCE(cu.churn_probability, 0), cu.churn_model, cu.churn_reasons, cu.name,
	CASE WHEN cu.lead_id IS NULL THEN 1 ELSE COALESCE((SELECT ` + authorised + ` FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.id = cu.lead_id), 0) END
	FROM customers cu WHERE cu.id = ?`

func churnPayload(ctx context.Context, tx *sql.Tx, id int64) (ChurnPayload, error) {
	var p ChurnPayload
	c := &p.Customer
	var reasons, name string
	var ok bool
	if err := tx.QueryRowContext(ctx, webhookCustomerQuery, id).Scan(&c.ID, &c.Key, &c.LeadID, &c.Service, &c.Plan,
		&c.MonthlyFeeCOP, &c.Probability, &c.Model, &reasons, &name, &ok); err != nil {
		return p, fmt.Errorf("customer %d: %w", id, err)
	}
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return p, fmt.Errorf("customer %d reasons: %w", id, err)
	}
	if ok && name != "" {
		p.Person = &PersonPayload{Name: name}
	}
	return p, nil
}

// queueChurnRisk queues customer.churn_risk for customer id when its new
// probability crossed churnRiskThreshold upwards (was below, or unscored).
// A customer won from a lead shares the lead's subject, so that its events
// keep their order with the lead's and with person.erased.
func queueChurnRisk(ctx context.Context, tx *sql.Tx, id int64, before sql.NullFloat64, now time.Time) error {
	var after sql.NullFloat64
	var lead sql.NullInt64
	if err := tx.QueryRowContext(ctx, churnOfCustomerQuery, id).Scan(&after, &lead); err != nil {
		return fmt.Errorf("churn risk of customer %d: %w", id, err)
	}
	if !after.Valid || after.Float64 < churnRiskThreshold || (before.Valid && before.Float64 >= churnRiskThreshold) {
		return nil
	}
	dests, err := subscribers(ctx, tx, EventChurnRisk)
	if err != nil {
		return err
	}
	subject := "customer:" + strconv.FormatInt(id, 10)
	if lead.Valid {
		subject = leadSubject(lead.Int64)
	}
	return queueEvent(ctx, tx, dests, EventChurnRisk, subject, now, func() (any, error) { return churnPayload(ctx, tx, id) })
}

// scrubPersonQuery empties the personal parts of a queued body.
const scrubPersonQuery = `UPDATE webhook_deliveries SET body = json_remove(json_set(body, '$.data.person', json('null')),
	'$.data.lead.lost_reason') WHERE subject = ?`

// scrubPendingPersonQuery is scrubPersonQuery for the bodies still to be sent.
const scrubPendingPersonQuery = scrubPersonQuery + ` AND status IN ('pending', 'sending')`

// scrubOptedOut empties the person block of the events of contact id still
// to be sent: the person revoked the authorisation.
func scrubOptedOut(ctx context.Context, tx *sql.Tx, contact int64) error {
	subjects, err := personSubjects(ctx, tx, contact)
	if err != nil {
		return err
	}
	for _, s := range subjects {
		if _, err := tx.ExecContext(ctx, scrubPendingPersonQuery, s); err != nil {
			return fmt.Errorf("webhooks of an opt-out: %w", err)
		}
	}
	return nil
}

// personSubjects are the subjects of contact id's events: its leads, and
// customers won from them (which share their lead's subject).
func personSubjects(ctx context.Context, tx *sql.Tx, contact int64) ([]string, error) {
	leads, err := ids(ctx, tx, `SELECT id FROM leads WHERE contact_id = ? ORDER BY id`, contact)
	if err != nil {
		return nil, fmt.Errorf("leads of contact %d: %w", contact, err)
	}
	out := make([]string, len(leads))
	for i, l := range leads {
		out[i] = leadSubject(l)
	}
	return out, nil
}

// ErasedPayload is the data of person.erased: the lead id the destination
// was sent before, and the customer won from it if any, to delete.
type ErasedPayload struct {
	LeadID     int64 `json:"lead_id"`
	CustomerID int64 `json:"customer_id,omitempty"`
}

// eraseWebhooks, in an erasure's transaction, empties the person block of
// every row kept about contact id's leads and queues person.erased, after
// them, for each destination that was sent (or queued) anything about one.
func eraseWebhooks(ctx context.Context, tx *sql.Tx, contact int64, now time.Time) error {
	leads, err := ids(ctx, tx, `SELECT id FROM leads WHERE contact_id = ? ORDER BY id`, contact)
	if err != nil {
		return fmt.Errorf("erased leads: %w", err)
	}
	for _, l := range leads {
		subject := leadSubject(l)
		if _, err := tx.ExecContext(ctx, scrubPersonQuery, subject); err != nil {
			return fmt.Errorf("scrub webhooks: %w", err)
		}
		dests, err := ids(ctx, tx, destinationsOfSubjectQuery, subject, EventPersonErased)
		if err != nil {
			return fmt.Errorf("destinations of lead %d: %w", l, err)
		}
		p := ErasedPayload{LeadID: l}
		if err := tx.QueryRowContext(ctx, customerOfLeadQuery, l).Scan(&p.CustomerID); err != nil {
			return err
		}
		if err := queueEvent(ctx, tx, dests, EventPersonErased, subject, now, func() (any, error) { return p, nil }); err != nil {
			return err
		}
	}
	return nil
}

// queueActionEvent queues the event of an advisor's action on lead id, in
// ActOnLead's transaction: assign (to someone), contacted, won, lost.
func queueActionEvent(ctx context.Context, tx *sql.Tx, id int64, a LeadAction, now time.Time) error {
	typ := map[string]string{"contacted": EventLeadContacted, "won": EventLeadWon, "lost": EventLeadLost}[a.Kind]
	if a.Kind == "assign" && a.AssignTo > 0 {
		typ = EventLeadAssigned
	}
	if typ == "" {
		return nil
	}
	return queueLeadEvent(ctx, tx, typ, id, now)
}

// ExportWebhook is one event about the person sent (or to be sent) to one
// of the agency's tools: to whom their data went (Ley 1581, art. 8).
type ExportWebhook struct {
	LeadID      int64     `json:"lead_id"`
	Event       string    `json:"evento_event"`
	Destination string    `json:"destino_destination"`
	Status      string    `json:"estado_status"` // pending, sending, delivered, failed
	CreatedAt   time.Time `json:"creado_created_at"`
	DeliveredAt time.Time `json:"entregado_delivered_at,omitzero"`
}

// exportWebhooks adds the webhook events about contact id's leads.
func exportWebhooks(ctx context.Context, tx *sql.Tx, id int64, x *Export) error {
	return eachRow(ctx, tx, webhooksOfContactQuery, []any{id}, func(r scanner) error {
		var e ExportWebhook
		var created, delivered int64
		if err := r.Scan(&e.LeadID, &e.Event, &e.Destination, &e.Status, &created, &delivered); err != nil {
			return err
		}
		e.CreatedAt, e.DeliveredAt = fromMillis(created), fromMillis(delivered)
		x.Webhooks = append(x.Webhooks, e)
		return nil
	})
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	insertWebhookDeliveryQuery = `INSERT INTO webhook_deliveries (destination_id, event_id, event_type, subject, body,
			created_at, next_attempt_at) VALUES (?, ?, ?, ?, ?, ?, ?)`
	churnOfCustomerQuery       = `SELECT churn_probability, lead_id FROM customers WHERE id = ?`
	destinationsOfSubjectQuery = `SELECT DISTINCT destination_id FROM webhook_deliveries WHERE subject = ?
			AND event_type <> ? ORDER BY destination_id`
	customerOfLeadQuery    = `SELECT COALESCE(MAX(id), 0) FROM customers WHERE lead_id = ?`
	webhooksOfContactQuery = `SELECT l.id, w.event_type, d.url, w.status, w.created_at, COALESCE(w.delivered_at, 0)
		FROM leads l JOIN webhook_deliveries w ON w.subject = 'lead:' || l.id JOIN webhook_destinations d ON d.id = w.destination_id
		WHERE l.contact_id = ? ORDER BY w.id`
)
