package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Outgoing webhooks (issue 21). An admin registers destinations; every
// event a destination subscribes to is queued as one webhook_deliveries row
// per destination, in the transaction of the change that causes it, so an
// event exists exactly when its change committed and a crash loses none.
// The worker in bot/webhooks.go sends them with bot/send.go's claim → send →
// confirm routine.

// Webhook event types.
const (
	EventLeadCompleted  = "lead.completed"
	EventLeadAssigned   = "lead.assigned"
	EventLeadContacted  = "lead.contacted"
	EventLeadWon        = "lead.won"
	EventLeadLost       = "lead.lost"
	EventChurnRisk      = "customer.churn_risk"
	EventPersonErased   = "person.erased"
	churnRiskThreshold  = 0.5 // the churn page's top band: a customer crossing it is at risk
	webhookSecretLength = 32  // random bytes of a generated secret
)

// WebhookEvents returns the event types a destination can subscribe to, in the
// order the admin page lists them. person.erased is not among them: every
// destination that was sent something about a person gets it.
func WebhookEvents() []string {
	return []string{EventLeadCompleted, EventLeadAssigned, EventLeadContacted, EventLeadWon, EventLeadLost, EventChurnRisk}
}

// ErrBadWebhook is a destination refused: a URL that is not http(s), no
// events, an unknown event.
var ErrBadWebhook = errors.New("invalid webhook destination")

// WebhookDestination is one destination with its delivery status.
type WebhookDestination struct {
	ID            int64
	Name, URL     string
	Events        []string
	Enabled       bool
	CreatedAt     time.Time
	LastStatus    string // "200", "503", "timeout" … of the last attempt; "" before any
	LastError     string
	LastAttemptAt time.Time
	LastSuccessAt time.Time
	Pending       int // waiting or in flight
	Failed        int // given up
	Delivered     int
}

// NewWebhook is what an admin registers.
type NewWebhook struct {
	Name, URL string
	Events    []string
	Secret    string // "" generates one
}

// CheckWebhookURL accepts an absolute http or https URL with a host and no
// user information (a password in a URL would show on the admin page and in
// logs). Addresses the URL resolves to are checked when it is dialled
// (bot/webhooks.go).
func CheckWebhookURL(raw string) error {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return fmt.Errorf("%w: url: %v", ErrBadWebhook, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%w: url scheme %q: want http or https", ErrBadWebhook, u.Scheme)
	}
	if u.Hostname() == "" || u.User != nil || u.Fragment != "" || len(raw) > 2000 {
		return fmt.Errorf("%w: url needs a host, no user:password, no #fragment, at most 2000 characters", ErrBadWebhook)
	}
	return nil
}

// GenerateWebhookSecret returns a new random secret ("whsec_" + 64 hex).
func GenerateWebhookSecret() string {
	b := make([]byte, webhookSecretLength)
	_, _ = rand.Read(b) // crypto/rand does not fail on a working system
	return "whsec_" + hex.EncodeToString(b)
}

func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

func (w NewWebhook) check() error {
	if err := CheckWebhookURL(w.URL); err != nil {
		return err
	}
	if len(w.Events) == 0 {
		return fmt.Errorf("%w: choose at least one event", ErrBadWebhook)
	}
	for _, e := range w.Events {
		if !slices.Contains(WebhookEvents(), e) {
			return fmt.Errorf("%w: unknown event %q", ErrBadWebhook, e)
		}
	}
	if s := w.Secret; s != "" && (len(s) < 16 || len(s) > 200) {
		return fmt.Errorf("%w: a secret of 16 to 200 characters", ErrBadWebhook)
	}
	return nil
}

// CreateWebhook registers a destination, audited in the same commit, and
// returns its id and secret (generated when w has none): the one time the
// secret is shown.
func (s *Store) CreateWebhook(ctx context.Context, w NewWebhook, user int64) (int64, string, error) {
	if err := w.check(); err != nil {
		return 0, "", err
	}
	if w.Secret == "" {
		w.Secret = GenerateWebhookSecret()
	}
	events, err := json.Marshal(w.Events)
	if err != nil {
		return 0, "", err
	}
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertWebhookQuery, strings.TrimSpace(w.Name), strings.TrimSpace(w.URL), string(events), w.Secret, millis(s.now()), nullID(user))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "webhook.create", Object: fmt.Sprintf("webhook:%d", id),
			Detail: string(events)}, s.now())
	})
	if err != nil {
		return 0, "", fmt.Errorf("create webhook: %w", err)
	}
	return id, w.Secret, nil
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

// SetWebhookEnabled turns destination id on or off, audited. A disabled
// destination is queued nothing new; what it had queued waits.
func (s *Store) SetWebhookEnabled(ctx context.Context, id int64, enabled bool, user int64) error {
	action := "webhook.disable"
	if enabled {
		action = "webhook.enable"
	}
	return s.changeWebhook(ctx, id, user, action, enableWebhookQuery, enabled, id)
}

// DeleteWebhook removes destination id and its queue, audited.
func (s *Store) DeleteWebhook(ctx context.Context, id int64, user int64) error {
	return s.changeWebhook(ctx, id, user, "webhook.delete", deleteWebhookQuery, id)
}

func (s *Store) changeWebhook(ctx context.Context, id, user int64, action, query string, args ...any) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: action, Object: fmt.Sprintf("webhook:%d", id)}, s.now())
	})
	if err != nil {
		return fmt.Errorf("%s %d: %w", action, id, err)
	}
	return nil
}

const webhooksQuery = `SELECT d.id, d.name, d.url, d.events, d.enabled, d.created_at, d.last_status, d.last_error,
	COALESCE(d.last_attempt_at, 0), COALESCE(d.last_success_at, 0),
	(SELECT count(*) FROM webhook_deliveries w WHERE w.destination_id = d.id AND w.status IN ('pending', 'sending')),
	(SELECT count(*) FROM webhook_deliveries w WHERE w.destination_id = d.id AND w.status = 'failed'),
	(SELECT count(*) FROM webhook_deliveries w WHERE w.destination_id = d.id AND w.status = 'delivered')
	FROM webhook_destinations d ORDER BY d.id`

// Webhooks lists every destination with its delivery status.
func (s *Store) Webhooks(ctx context.Context) ([]WebhookDestination, error) {
	var out []WebhookDestination
	rows, err := s.ro.QueryContext(ctx, webhooksQuery)
	if err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var d WebhookDestination
		var events string
		var created, attempt, success int64
		if err := rows.Scan(&d.ID, &d.Name, &d.URL, &events, &d.Enabled, &created, &d.LastStatus, &d.LastError,
			&attempt, &success, &d.Pending, &d.Failed, &d.Delivered); err != nil {
			return nil, fmt.Errorf("webhooks: %w", err)
		}
		d.CreatedAt, d.LastAttemptAt, d.LastSuccessAt = fromMillis(created), fromMillis(attempt), fromMillis(success)
		if err := json.Unmarshal([]byte(events), &d.Events); err != nil {
			return nil, fmt.Errorf("webhook %d events: %w", d.ID, err)
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("webhooks: %w", err)
	}
	return out, nil
}

// EventTest is the event an admin sends to try a destination.
const EventTest = "webhook.test"

// SendWebhookTest queues a webhook.test event for destination id, audited:
// the admin sees it arrive (or fail) on the page, and the receiver gets a
// lead payload to map fields from, made up and marked as a test.
func (s *Store) SendWebhookTest(ctx context.Context, id, user int64) error {
	now := s.now()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, webhookExistsQuery, id).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		subject := fmt.Sprintf("test:%d", id)
		if err := queueEvent(ctx, tx, []int64{id}, EventTest, subject, now, func() (any, error) { return sampleLead(now), nil }); err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "webhook.test", Object: fmt.Sprintf("webhook:%d", id)}, now)
	})
	if err != nil {
		return fmt.Errorf("test webhook %d: %w", id, err)
	}
	return nil
}

// sampleLead is the made-up lead of a test event.
func sampleLead(now time.Time) LeadPayload {
	at := now.UTC().Format(time.RFC3339)
	return LeadPayload{
		Lead: LeadFacts{ID: 0, Status: "open", Class: "hot", Probability: 0.7, City: "Medellín", Department: "Antioquia",
			BudgetMinCOP: 2_000_000, BudgetMaxCOP: 2_000_000, Urgency: "immediate", Service: "ads", Source: "test",
			CompletedAt: at, DeadlineAt: now.Add(25 * time.Minute).UTC().Format(time.RFC3339)},
		Person: &PersonPayload{Name: "Persona de Prueba"},
	}
}

// RetryFailedWebhooks puts destination id's given-up deliveries back in
// the queue, due now, with a new 24-hour window, audited, and returns how
// many. They go after the events of their lead that were sent meanwhile:
// each body's created_at says when its event happened.
func (s *Store) RetryFailedWebhooks(ctx context.Context, id, user int64) (int, error) {
	var n int64
	now := millis(s.now())
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, retryFailedWebhooksQuery, now, id)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "webhook.retry", Object: fmt.Sprintf("webhook:%d", id),
			Detail: fmt.Sprintf("deliveries=%d", n)}, s.now())
	})
	if err != nil {
		return 0, fmt.Errorf("retry webhook %d: %w", id, err)
	}
	return int(n), nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	insertWebhookQuery = `INSERT INTO webhook_destinations (name, url, events, secret, created_at, created_by)
			VALUES (?, ?, ?, ?, ?, ?)`
	enableWebhookQuery       = `UPDATE webhook_destinations SET enabled = ? WHERE id = ?`
	deleteWebhookQuery       = `DELETE FROM webhook_destinations WHERE id = ?`
	webhookExistsQuery       = `SELECT count(*) FROM webhook_destinations WHERE id = ?`
	retryFailedWebhooksQuery = `UPDATE webhook_deliveries SET status = 'pending', attempts = 0, next_attempt_at = ?1,
			created_at = ?1, last_error = '' WHERE destination_id = ?2 AND status = 'failed'`
)
