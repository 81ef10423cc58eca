package store

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// hookRow is a queued delivery as the tests read it.
type hookRow struct {
	ID         int64
	Dest       int64
	EventID    string
	Type       string
	Subject    string
	Body       string
	Status     string
	PersonNull bool
}

func hookRows(tb testing.TB, s *Store) []hookRow {
	tb.Helper()
	rows, err := s.rw.Query(`SELECT id, destination_id, event_id, event_type, subject, body, status
		FROM webhook_deliveries ORDER BY id`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []hookRow
	for rows.Next() {
		var r hookRow
		if err := rows.Scan(&r.ID, &r.Dest, &r.EventID, &r.Type, &r.Subject, &r.Body, &r.Status); err != nil {
			tb.Fatal(err)
		}
		// Read in Go, the same on both engines: no person object in data.
		var b struct {
			Data struct {
				Person json.RawMessage `json:"person"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(r.Body), &b); err != nil {
			tb.Fatalf("webhook body %d: %v", r.ID, err)
		}
		r.PersonNull = !bytes.HasPrefix(bytes.TrimSpace(b.Data.Person), []byte("{"))
		out = append(out, r)
	}
	return out
}

func typesOf(rows []hookRow, dest int64) []string {
	var out []string
	for _, r := range rows {
		if r.Dest == dest {
			out = append(out, r.Type)
		}
	}
	return out
}

func mustWebhook(tb testing.TB, s *Store, events ...string) int64 {
	tb.Helper()
	if count(tb, s, `SELECT count(*) FROM users WHERE id = 1`) == 0 {
		if _, err := s.CreateUser(context.Background(), "admin", "admin", "x"); err != nil {
			tb.Fatal(err)
		}
	}
	id, secret, err := s.CreateWebhook(context.Background(), NewWebhook{Name: "crm", URL: "https://crm.example/hook", Events: events}, 1)
	if err != nil || !strings.HasPrefix(secret, "whsec_") {
		tb.Fatalf("create webhook: %v (secret %q)", err, secret)
	}
	return id
}

func leadIDOf(tb testing.TB, s *Store, name string) int64 {
	tb.Helper()
	var id int64
	if err := s.rw.QueryRow(`SELECT id FROM leads WHERE name = ?`, name).Scan(&id); err != nil {
		tb.Fatal(err)
	}
	return id
}

// TestWebhookEventsQueuedWithTheirChange: each change queues its event in
// its own commit, one row per subscribed destination with one event id; a
// change that fails queues nothing; a disabled destination gets nothing.
func TestWebhookEventsQueuedWithTheirChange(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	if err := e.s.SetAdvisors(ctx, []Advisor{{Name: "Ana Asesora", Phone: "+573110000000"}}); err != nil {
		t.Fatal(err)
	}
	all := mustWebhook(t, e.s, WebhookEvents()...)
	wonOnly := mustWebhook(t, e.s, EventLeadWon)
	off := mustWebhook(t, e.s, WebhookEvents()...)
	if err := e.s.SetWebhookEnabled(ctx, off, false, 1); err != nil {
		t.Fatal(err)
	}
	e.say(t, "+573001112233", completeLead...)
	lead := leadIDOf(t, e.s, "Carlos Andrés Restrepo")
	for _, a := range []LeadAction{{Kind: "contacted", ByUser: 1}, {Kind: "note", ByUser: 1, Detail: "x"}, {Kind: "won", ByUser: 1, ValueCOP: 2_000_000}} {
		if err := e.s.ActOnLead(ctx, lead, a); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.s.ActOnLead(ctx, lead, LeadAction{Kind: "lost", ByUser: 1, Detail: "precio"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("lost after won: %v, want ErrConflict", err)
	}
	// An advisor answering from the agency's phone contacts the lead too.
	e.say(t, "+573004445566", "hola", "sí", "Beatriz Gómez", "Cali", "1 millón", "este mes", "2")
	if tk, err := e.s.TakeOver(ctx, "whatsapp", "573009999999", "+573004445566", "wamid.phone.1", e.clock.now()); err != nil || tk.LeadID == 0 {
		t.Fatalf("take over: %+v, %v", tk, err)
	}
	rows := hookRows(t, e.s)
	var second []string
	for _, r := range rows {
		if r.Dest == all && r.Subject != leadSubject(lead) {
			second = append(second, r.Type)
		}
	}
	if want := []string{EventLeadCompleted, EventLeadAssigned, EventLeadContacted}; !slices.Equal(second, want) {
		t.Errorf("the lead contacted from the phone got %v, want %v", second, want)
	}
	rows = slices.DeleteFunc(rows, func(r hookRow) bool { return r.Subject != leadSubject(lead) })
	want := []string{EventLeadCompleted, EventLeadAssigned, EventLeadContacted, EventLeadWon}
	if got := typesOf(rows, all); !slices.Equal(got, want) {
		t.Errorf("all-events destination got %v, want %v (a refused change queues nothing)", got, want)
	}
	if got := typesOf(rows, wonOnly); !slices.Equal(got, []string{EventLeadWon}) {
		t.Errorf("won-only destination got %v", got)
	}
	if got := typesOf(rows, off); len(got) != 0 {
		t.Errorf("disabled destination got %v", got)
	}
	ids := map[string]string{}
	for _, r := range rows {
		if prev, ok := ids[r.Type]; ok && prev != r.EventID {
			t.Errorf("%s has two event ids across destinations: %s, %s", r.Type, prev, r.EventID)
		}
		ids[r.Type] = r.EventID
		if r.Subject != leadSubject(lead) || r.PersonNull {
			t.Errorf("%s: subject %s, person null %v; want lead:%d with the consented person", r.Type, r.Subject, r.PersonNull, lead)
		}
	}
	var p webhookBody
	if err := json.Unmarshal([]byte(rows[0].Body), &p); err != nil || p.ID != rows[0].EventID || p.Type != EventLeadCompleted {
		t.Errorf("body %s: %v", rows[0].Body, err)
	}
	if !strings.Contains(rows[0].Body, `"phone":"+573001112233"`) || !strings.Contains(rows[0].Body, `"city":"Medellín"`) {
		t.Errorf("lead.completed body lacks the consented data: %s", rows[0].Body)
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action IN ('webhook.create', 'webhook.disable')`); n != 4 {
		t.Errorf("%d audit entries for 3 creations and 1 disable", n)
	}
}

// TestWebhookURLsRefused: only absolute http(s) URLs with a host and no
// credentials are accepted; events must be known.
func TestWebhookURLsRefused(t *testing.T) {
	s, _ := mustOpen(t)
	for _, u := range []string{"ftp://x.example/a", "file:///etc/passwd", "gopher://x", "javascript:alert(1)", "/relative",
		"https://user:pw@x.example/", "http://", "https://x.example/#frag", "  "} {
		if _, _, err := s.CreateWebhook(context.Background(), NewWebhook{URL: u, Events: []string{EventLeadWon}}, 1); !errors.Is(err, ErrBadWebhook) {
			t.Errorf("%q: %v, want ErrBadWebhook", u, err)
		}
	}
	if _, _, err := s.CreateWebhook(context.Background(), NewWebhook{URL: "https://x.example/", Events: []string{"lead.deleted"}}, 1); !errors.Is(err, ErrBadWebhook) {
		t.Errorf("unknown event: %v", err)
	}
	if _, _, err := s.CreateWebhook(context.Background(), NewWebhook{URL: "https://x.example/"}, 1); !errors.Is(err, ErrBadWebhook) {
		t.Errorf("no events: %v", err)
	}
}

// TestErasureScrubsWebhooksAndEmitsPersonErased: after an erasure no row
// kept about the person (sent or not) holds their name or number, and
// person.erased, naming the lead id the destination was sent, is queued
// after their events for the destinations that had any. An opt-out empties
// the person block of what is still queued, and later events carry none.
func TestErasureScrubsWebhooksAndEmitsPersonErased(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	all := mustWebhook(t, e.s, WebhookEvents()...)
	const phone, name = "+573001112233", "Carlos Andrés Restrepo"
	e.say(t, phone, completeLead...)
	lead := leadIDOf(t, e.s, name)
	// The first event was delivered; the second is still queued.
	first := hookRows(t, e.s)[0]
	if ok, err := e.s.ClaimWebhook(ctx, first.ID); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if err := e.s.WebhookDelivered(ctx, first.ID, "200"); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ActOnLead(ctx, lead, LeadAction{Kind: "lost", ByUser: 1, Detail: "Carlos no contesta"}); err != nil {
		t.Fatal(err)
	}
	x, err := e.s.ExportByPhone(ctx, phone, 1)
	if err != nil || len(x.Webhooks) != 2 || x.Webhooks[0].Status != "delivered" || x.Webhooks[0].Destination != "https://crm.example/hook" {
		t.Errorf("export lists webhook events %+v, %v; want the 2 events about the person (completed, delivered; lost, pending)", x.Webhooks, err)
	}
	other := mustWebhook(t, e.s, EventLeadWon) // never sent anything about the person
	if _, err := e.s.EraseByPhone(ctx, phone, EraseRequested, "admin", 1); err != nil {
		t.Fatal(err)
	}
	rows := hookRows(t, e.s)
	for _, r := range rows {
		for _, pii := range []string{name, "Carlos", "573001112233"} {
			if strings.Contains(r.Body, pii) {
				t.Errorf("%s row %d still holds %q: %s", r.Type, r.ID, pii, r.Body)
			}
		}
	}
	last := rows[len(rows)-1]
	if last.Type != EventPersonErased || last.Dest != all || last.Subject != leadSubject(lead) {
		t.Fatalf("last row %+v, want person.erased for destination %d after the lead's events", last, all)
	}
	var p struct{ Data ErasedPayload }
	if err := json.Unmarshal([]byte(last.Body), &p); err != nil || p.Data.LeadID != lead {
		t.Errorf("person.erased body %s (%v): want lead_id %d", last.Body, err, lead)
	}
	if got := typesOf(rows, other); len(got) != 0 {
		t.Errorf("a destination never sent the person got %v", got)
	}

	// Opt-out: what is queued loses the person; later events carry none.
	e.say(t, "+573004445566", "hola", "sí", "Beatriz Gómez", "Cali", "1 millón", "este mes", "2")
	e.say(t, "+573004445566", "stop")
	lead2 := leadIDOf(t, e.s, "Beatriz Gómez")
	if err := e.s.ActOnLead(ctx, lead2, LeadAction{Kind: "contacted", ByUser: 1}); err != nil {
		t.Fatal(err)
	}
	for _, r := range hookRows(t, e.s) {
		if r.Subject == leadSubject(lead2) && (!r.PersonNull || strings.Contains(r.Body, "Beatriz")) {
			t.Errorf("%s of an opted-out person still carries them: %s", r.Type, r.Body)
		}
	}
}

// TestChurnRiskQueuedOnCrossing: customer.churn_risk is queued when a
// customer's probability crosses the top band, once, not on every score.
func TestChurnRiskQueuedOnCrossing(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	dest := mustWebhook(t, e.s, EventChurnRisk)
	e.say(t, "+573001112233", completeLead...)
	lead := leadIDOf(t, e.s, "Carlos Andrés Restrepo")
	if err := e.s.ActOnLead(ctx, lead, LeadAction{Kind: "won", ByUser: 1, ValueCOP: 1_000_000}); err != nil {
		t.Fatal(err)
	}
	var customer int64
	if err := e.s.rw.QueryRow(`SELECT id FROM customers WHERE lead_id = ?`, lead).Scan(&customer); err != nil {
		t.Fatal(err)
	}
	at := e.clock.now()
	for i, p := range []float64{0.3, 0.7, 0.8, 0.2, 0.6} {
		sc := ChurnScore{CustomerID: customer, ScoredAt: at.Add(time.Duration(i) * time.Hour), Probability: p, Model: "m"}
		if err := e.s.SaveChurnScores(ctx, []ChurnScore{sc}); err != nil {
			t.Fatal(err)
		}
	}
	rows := hookRows(t, e.s)
	if got := typesOf(rows, dest); len(got) != 2 {
		t.Fatalf("churn events %v, want 2 (0.3→0.7 and 0.2→0.6 cross 0.5; 0.7→0.8 does not)", got)
	}
	if rows[0].Subject != leadSubject(lead) || rows[0].PersonNull {
		t.Errorf("churn event of a won lead: subject %s, person null %v; want the lead's subject, the person", rows[0].Subject, rows[0].PersonNull)
	}
}

// TestDueWebhooksKeepOrderPerSubject: a later event of a lead waits while
// an earlier one is pending, even when the earlier one is due later; other
// leads' events are not held by it.
func TestDueWebhooksKeepOrderPerSubject(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	dest := mustWebhook(t, e.s, WebhookEvents()...)
	e.say(t, "+573001112233", completeLead...)
	e.say(t, "+573004445566", "hola", "sí", "Beatriz Gómez", "Cali", "1 millón", "este mes", "2")
	a := leadIDOf(t, e.s, "Carlos Andrés Restrepo")
	if err := e.s.ActOnLead(ctx, a, LeadAction{Kind: "contacted", ByUser: 1}); err != nil {
		t.Fatal(err)
	}
	due, err := e.s.DueWebhooks(ctx, dest, 10)
	if err != nil || len(due) != 2 {
		t.Fatalf("due %+v, %v: want the head of each lead", due, err)
	}
	if err := e.s.WebhookRetry(ctx, due[0].ID, e.clock.now().Add(time.Hour), "503", "http 503"); err != nil {
		t.Fatal(err)
	}
	due, err = e.s.DueWebhooks(ctx, dest, 10)
	if err != nil || len(due) != 1 || due[0].Subject == leadSubject(a) {
		t.Fatalf("due %+v, %v: want only the other lead's (lead %d waits for its first event)", due, err, a)
	}
	ws, err := e.s.Webhooks(ctx)
	if err != nil || len(ws) != 1 || ws[0].Pending != 3 || ws[0].LastStatus != "503" || ws[0].LastError != "http 503" {
		t.Errorf("status %+v, %v", ws, err)
	}
}

// TestWebhookTestAndRetryFailed: an admin's test event is queued for that
// destination only, with a made-up lead; given-up deliveries go back in
// the queue with a new window; both are audited.
func TestWebhookTestAndRetryFailed(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	a := mustWebhook(t, e.s, WebhookEvents()...)
	b := mustWebhook(t, e.s, EventLeadWon)
	if err := e.s.SendWebhookTest(ctx, b, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.s.SendWebhookTest(ctx, 99, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("test for an unknown destination: %v", err)
	}
	rows := hookRows(t, e.s)
	if len(rows) != 1 || rows[0].Dest != b || rows[0].Type != EventTest || !strings.Contains(rows[0].Body, "Persona de Prueba") {
		t.Fatalf("rows %+v; want one webhook.test for destination %d", rows, b)
	}
	e.say(t, "+573001112233", completeLead...)
	due, err := e.s.DueWebhooks(ctx, a, 10)
	if err != nil || len(due) != 1 {
		t.Fatal(due, err)
	}
	if err := e.s.WebhookFailed(ctx, due[0].ID, "410", "410: refused"); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(30 * time.Hour)
	if n, err := e.s.RetryFailedWebhooks(ctx, a, 1); err != nil || n != 1 {
		t.Fatalf("retried %d, %v; want 1", n, err)
	}
	due, err = e.s.DueWebhooks(ctx, a, 10)
	if err != nil || len(due) != 1 || due[0].Attempts != 0 || !due[0].CreatedAt.Equal(e.clock.now()) {
		t.Errorf("after retry: %+v, %v; want the delivery due again, attempts 0, a new 24-hour window", due, err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action IN ('webhook.test', 'webhook.retry')`); n != 2 {
		t.Errorf("%d audit entries; want the test and the retry", n)
	}
}
