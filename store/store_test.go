package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cis-agencia/cis/flow"
)

var t0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

// mustOpen opens a store on a fresh file in a temporary directory.
func mustOpen(tb testing.TB) (*Store, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "cis.db")
	s, err := Open(context.Background(), path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, path
}

func inbound(id, text string) flow.Inbound {
	return flow.Inbound{Channel: "chat", Account: "acct", ID: id, From: "+573001112233", Kind: flow.KindText, Text: text, At: t0}
}

// echoStep is a stand-in for the flow: it counts the messages and replies once.
func echoStep(s flow.State) flow.Result {
	s.Version, s.Status, s.Stage = flow.StateVersion, flow.InProgress, flow.StageName
	s.Failures++
	s.UpdatedAt = t0
	return flow.Result{State: s, Replies: []flow.Reply{{Key: "k", Text: "reply"}}}
}

// askConsent handles a message (id in.ID+"-ask") whose reply is a consent
// text, and sends every queued reply: a consent answer after it counts.
func askConsent(tb testing.TB, s *Store, in flow.Inbound) {
	tb.Helper()
	ctx := context.Background()
	in.ID += "-ask"
	ask := func(st flow.State) flow.Result {
		r := echoStep(st)
		r.Replies = []flow.Reply{{Key: "consent", Text: "¿Autorizas?"}}
		return r
	}
	if _, err := s.Handle(ctx, in, ask); err != nil {
		tb.Fatal(err)
	}
	out, err := s.PendingOutbox(ctx, in.Channel, 100)
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range out {
		if err := s.MarkSent(ctx, o.ID, fmt.Sprintf("sent.%d", o.ID)); err != nil {
			tb.Fatal(err)
		}
	}
}

func count(tb testing.TB, s *Store, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := s.rw.QueryRow(query, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestOpenSetsPragmas(t *testing.T) {
	sqliteOnly(t, "SQLite's pragmas")
	s, _ := mustOpen(t)
	for pragma, want := range map[string]string{"journal_mode": "wal", "foreign_keys": "1", "synchronous": "2", "busy_timeout": "5000"} {
		var got string
		if err := s.rw.QueryRow("PRAGMA " + pragma).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("PRAGMA %s = %s; want %s", pragma, got, want)
		}
	}
}

func TestOpenTwiceAppliesMigrationsOnce(t *testing.T) {
	s, path := mustOpen(t)
	s.Close()
	s2, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	set := sqliteMigrations
	if s2.dialect == dialectPostgres {
		set = pgMigrations
	}
	all, _ := set.load()
	if n := count(t, s2, `SELECT COUNT(*) FROM schema_migrations`); n != len(all) {
		t.Errorf("schema_migrations has %d rows; want %d", n, len(all))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	s, path := mustOpen(t)
	if _, err := s.rw.Exec(`INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ('9999_future.sql', 'x', 0)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), path, Options{})
	if !errors.Is(err, ErrNewerSchema) {
		t.Fatalf("Open on a newer schema: err = %v; want ErrNewerSchema", err)
	}
}

func TestOpenRefusesEditedMigration(t *testing.T) {
	s, path := mustOpen(t)
	if _, err := s.rw.Exec(`UPDATE schema_migrations SET sha256 = 'edited'
		WHERE name = (SELECT MIN(name) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(context.Background(), path, Options{}); err == nil {
		t.Fatal("Open accepted a migration whose checksum changed")
	}
}

func TestHandleRedeliveryIsANoOp(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	for i, want := range []bool{true, false, false} {
		handled, err := s.Handle(ctx, inbound("wamid.1", "hola"), echoStep)
		if err != nil {
			t.Fatal(err)
		}
		if handled != want {
			t.Errorf("delivery %d: handled = %v; want %v", i+1, handled, want)
		}
	}
	if n := count(t, s, `SELECT COUNT(*) FROM messages`); n != 1 {
		t.Errorf("messages = %d; want 1", n)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM outbox`); n != 1 {
		t.Errorf("outbox = %d; want 1 (one reply, not one per delivery)", n)
	}
	v, err := s.Conversation(ctx, "chat", "acct", "+573001112233")
	if err != nil {
		t.Fatal(err)
	}
	if v.State.Failures != 1 {
		t.Errorf("the step ran %d times; want 1", v.State.Failures)
	}
}

func TestHandleFailureStoresNothing(t *testing.T) {
	s, _ := mustOpen(t)
	broken := func(st flow.State) flow.Result {
		r := echoStep(st)
		r.Events = []flow.Event{{Kind: flow.EventLeadCompleted}} // no lead: the store must refuse
		return r
	}
	if _, err := s.Handle(context.Background(), inbound("wamid.9", "hola"), broken); err == nil {
		t.Fatal("Handle accepted a lead event without a lead")
	}
	for _, table := range []string{"messages", "conversations", "outbox", "contacts"} {
		if n := count(t, s, `SELECT COUNT(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a failed Handle; want 0 (the message must be redelivered)", table, n)
		}
	}
	// The redelivery then succeeds.
	if handled, err := s.Handle(context.Background(), inbound("wamid.9", "hola"), echoStep); err != nil || !handled {
		t.Fatalf("redelivery after failure: handled=%v err=%v", handled, err)
	}
}

func TestHandleRequiresIDs(t *testing.T) {
	s, _ := mustOpen(t)
	in := inbound("", "hola")
	if _, err := s.Handle(context.Background(), in, echoStep); err == nil {
		t.Fatal("Handle accepted a message without an ID")
	}
}

func TestConsentRecordsAreAppendOnly(t *testing.T) {
	s, _ := mustOpen(t)
	step := func(st flow.State) flow.Result {
		r := echoStep(st)
		r.Events = []flow.Event{{Kind: flow.EventConsent, Consent: &flow.Consent{
			Accepted: true, PolicyVersion: "v1", Lang: "es", Text: "¿Autorizas?", Answer: "sí"}}}
		return r
	}
	askConsent(t, s, inbound("wamid.c", "hola"))
	if _, err := s.Handle(context.Background(), inbound("wamid.c", "sí"), step); err != nil {
		t.Fatal(err)
	}
	var answer, version, hash, msgID string
	var accepted bool
	err := s.rw.QueryRow(`SELECT answer, accepted, policy_version, text_sha256, message_ext_id FROM consent_records`).
		Scan(&answer, &accepted, &version, &hash, &msgID)
	if err != nil {
		t.Fatal(err)
	}
	if answer != "sí" || !accepted || version != "v1" || len(hash) != 64 || msgID != "wamid.c" {
		t.Errorf("consent record = %q %v %q %q %q", answer, accepted, version, hash, msgID)
	}
	var body string
	if err := s.rw.QueryRow(`SELECT body FROM policy_texts WHERE sha256 = ?`, hash).Scan(&body); err != nil || body != "¿Autorizas?" {
		t.Errorf("policy text for the record = %q, %v; want the exact text shown", body, err)
	}
	hmac := "'hmac:" + strings.Repeat("a", 64) + "'"
	for _, q := range []string{`UPDATE consent_records SET answer = 'no'`, `UPDATE policy_texts SET body = 'otro'`,
		`UPDATE consent_records SET phone = 'x', answer = ''`,
		`UPDATE consent_records SET phone = ` + hmac + `, answer = '', accepted = 0`,
		`UPDATE consent_records SET phone = ` + hmac + `, answer = '', created_at = 1`} {
		if _, err := s.rw.Exec(q); err == nil {
			t.Errorf("%s succeeded; consent evidence must be append-only", q)
		}
	}
	// The one change allowed: an erasure's anonymisation, once.
	anonymise := `UPDATE consent_records SET phone = ` + hmac + `, answer = ''`
	if _, err := s.rw.Exec(anonymise); err != nil {
		t.Errorf("the erasure's anonymisation was refused: %v", err)
	}
	if _, err := s.rw.Exec(anonymise); err == nil {
		t.Error("an anonymised consent record was changed again")
	}
}

func TestOutboxLifecycle(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("wamid.o", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingOutbox(ctx, "chat", 10)
	if err != nil || len(pending) != 1 {
		t.Fatalf("PendingOutbox = %v, %v; want one reply", pending, err)
	}
	o := pending[0]
	if o.To != "+573001112233" || o.Body != "reply" || o.InReplyTo != "wamid.o" || o.Account != "acct" {
		t.Errorf("pending reply = %+v", o)
	}
	if err := s.MarkRetry(ctx, o.ID, t0.Add(time.Minute), "timeout"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingOutbox(ctx, "chat", 10); len(p) != 0 {
		t.Errorf("a reply waiting for its retry time was returned as due")
	}
	s.now = func() time.Time { return t0.Add(2 * time.Minute) }
	if p, _ := s.PendingOutbox(ctx, "chat", 10); len(p) != 1 || p[0].Attempts != 1 {
		t.Fatalf("after the retry time: %+v; want the reply with 1 attempt", p)
	}
	if err := s.MarkSent(ctx, o.ID, "out-1"); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.PendingOutbox(ctx, "chat", 10); len(p) != 0 {
		t.Errorf("a sent reply is still pending")
	}
	if p, _ := s.PendingOutbox(ctx, "whatsapp", 10); len(p) != 0 {
		t.Errorf("another channel's queue returned this channel's reply")
	}
}

func TestOptOutCancelsQueuedReplies(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("wamid.1", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	optOut := func(st flow.State) flow.Result {
		r := echoStep(st)
		r.State.Status = flow.OptedOut
		r.Events = []flow.Event{{Kind: flow.EventOptedOut}}
		r.Replies = []flow.Reply{{Key: "opted_out", Text: "No te escribiremos más."}}
		return r
	}
	if _, err := s.Handle(ctx, inbound("wamid.2", "salir"), optOut); err != nil {
		t.Fatal(err)
	}
	p, err := s.PendingOutbox(ctx, "chat", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 1 || p[0].Key != "opted_out" {
		t.Errorf("pending after opt-out = %+v; want only the confirmation", p)
	}
	if n := count(t, s, `SELECT COUNT(*) FROM contacts WHERE opted_out_at IS NOT NULL`); n != 1 {
		t.Errorf("suppressed contacts = %d; want 1", n)
	}
}

func TestExpireIdle(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	if _, err := s.Handle(ctx, inbound("wamid.1", "hola"), echoStep); err != nil {
		t.Fatal(err)
	}
	expire := func(st flow.State) (flow.Result, bool) {
		st.Status = flow.Abandoned
		return flow.Result{State: st, Events: []flow.Event{{Kind: flow.EventAbandoned}}}, true
	}
	if n, err := s.ExpireIdle(ctx, t0, 10, expire); err != nil || n != 0 {
		t.Fatalf("ExpireIdle before the cutoff = %d, %v; want 0", n, err)
	}
	if n, err := s.ExpireIdle(ctx, t0.Add(time.Hour), 10, expire); err != nil || n != 1 {
		t.Fatalf("ExpireIdle = %d, %v; want 1", n, err)
	}
	if n, _ := s.ExpireIdle(ctx, t0.Add(time.Hour), 10, expire); n != 0 {
		t.Errorf("an abandoned conversation was expired again")
	}
	v, err := s.Conversation(ctx, "chat", "acct", "+573001112233")
	if err != nil || v.State.Status != flow.Abandoned {
		t.Errorf("status = %v, %v; want abandoned", v.State.Status, err)
	}
}

func TestConversationNotFound(t *testing.T) {
	s, _ := mustOpen(t)
	_, err := s.Conversation(context.Background(), "chat", "acct", "+570000000")
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("err = %v; want ErrNotFound", err)
	}
}

// A result's Withdraw cancels the conversation's unsent replies with those
// keys (a newer question in a burst), and nothing else: other keys, sent
// replies and other people's replies stay.
func TestHandleWithdrawsMootReplies(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	reply := func(keys ...string) func(flow.State) flow.Result {
		return func(st flow.State) flow.Result {
			r := echoStep(st)
			r.Replies = nil
			for _, k := range keys {
				r.Replies = append(r.Replies, flow.Reply{Key: k, Text: k})
			}
			return r
		}
	}
	other := inbound("o1", "hola")
	other.From = "+573009998877"
	steps := []struct {
		in   flow.Inbound
		step func(flow.State) flow.Result
	}{
		{inbound("w1", "hola"), reply("greeting", "ask_name")},
		{other, reply("ask_name")},
		{inbound("w2", "Ana"), func(st flow.State) flow.Result {
			r := reply("ask_city")(st)
			r.Withdraw = []string{"ask_name", "consent"}
			return r
		}},
	}
	for _, x := range steps {
		if _, err := s.Handle(ctx, x.in, x.step); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		from, key, status string
	}{
		{"+573001112233", "greeting", "pending"},
		{"+573001112233", "ask_name", "cancelled"},
		{"+573001112233", "ask_city", "pending"},
		{"+573009998877", "ask_name", "pending"},
	} {
		if n := count(t, s, `SELECT COUNT(*) FROM outbox o JOIN contacts c ON c.id = o.contact_id
			WHERE c.phone = ? AND o.key = ? AND o.status = ?`, tc.from, tc.key, tc.status); n != 1 {
			t.Errorf("%s %s: want one %s row, got %d", tc.from, tc.key, tc.status, n)
		}
	}
}

// LinkLID merges a LID-only contact into the phone's contact: one contact,
// one conversation per account, every message kept, an opt-out of either
// kept, and the consent filed under the LID still read for the person.
func TestLinkLIDMergesContacts(t *testing.T) {
	s, _ := mustOpen(t)
	ctx := context.Background()
	const phone, lid = "+573001112233", "987654321"
	withEvent := func(e flow.Event) func(flow.State) flow.Result {
		return func(st flow.State) flow.Result {
			r := echoStep(st)
			r.Events = []flow.Event{e}
			return r
		}
	}
	byLID := func(id string) flow.Inbound {
		in := inbound(id, "x")
		in.From = LIDKey(lid)
		return in
	}
	consent := flow.Event{Kind: flow.EventConsent, Consent: &flow.Consent{Accepted: true, PolicyVersion: "v1", Lang: "es", Text: "t", Answer: "sí"}}
	askConsent(t, s, byLID("l1"))
	for _, x := range []struct {
		in   flow.Inbound
		step func(flow.State) flow.Result
	}{
		{inbound("p1", "hola"), echoStep},
		{byLID("l1"), withEvent(consent)},
		{byLID("l2"), withEvent(flow.Event{Kind: flow.EventOptedOut})},
	} {
		if _, err := s.Handle(ctx, x.in, x.step); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 { // a second link changes nothing
		if err := s.LinkLID(ctx, phone, lid); err != nil {
			t.Fatal(err)
		}
	}
	checks := []struct {
		what  string
		query string
		want  int
	}{
		{"active contacts", `SELECT COUNT(*) FROM contacts WHERE merged_into IS NULL`, 1},
		{"conversations", `SELECT COUNT(*) FROM conversations`, 1},
		{"messages on the phone's contact and conversation", `SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id
			JOIN conversations v ON v.id = m.conversation_id AND v.contact_id = c.id WHERE c.phone = '` + phone + `'`, 4},
		{"opt-out kept", `SELECT COUNT(*) FROM contacts WHERE phone = '` + phone + `' AND opted_out_at IS NOT NULL AND lid = '` + lid + `'`, 1},
		{"outbox rows follow", `SELECT COUNT(*) FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE c.phone = '` + phone + `'`, 4},
	}
	for _, c := range checks {
		if got := count(t, s, c.query); got != c.want {
			t.Errorf("%s: %d; want %d", c.what, got, c.want)
		}
	}
	var id int64
	if err := s.rw.QueryRow(`SELECT id FROM contacts WHERE phone = ?`, phone).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if cs, err := s.consent(ctx, id); err != nil || len(cs) != 1 {
		t.Errorf("consent read for the merged person: %d records, %v; want 1", len(cs), err)
	}
	if got, err := s.PhoneForLID(ctx, lid); err != nil || got != phone {
		t.Errorf("PhoneForLID = %q, %v", got, err)
	}
}

// TestHugeTextIsStoredCutAndFlagged is RELIABILITY B1's storage half: a
// pasted megabyte is kept cut to maxStoredRunes on a rune boundary, marked
// truncated, and a normal message is kept whole.
func TestHugeTextIsStoredCutAndFlagged(t *testing.T) {
	tests := []struct {
		name, text    string
		wantRunes     int
		wantTruncated bool
	}{
		{"normal", "Carlos", 6, false},
		{"at the limit", strings.Repeat("a", maxStoredRunes), maxStoredRunes, false},
		{"ascii megabyte", strings.Repeat("a", 1<<20), maxStoredRunes, true},
		{"multibyte", strings.Repeat("ñ𝔁", maxStoredRunes), maxStoredRunes, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := mustOpen(t)
			id := fmt.Sprintf("wamid.b1.%d", i)
			if _, err := s.Handle(context.Background(), inbound(id, tt.text), echoStep); err != nil {
				t.Fatal(err)
			}
			var body string
			var truncated bool
			if err := s.ro.QueryRow(`SELECT body, truncated FROM messages WHERE ext_id = ?`, id).Scan(&body, &truncated); err != nil {
				t.Fatal(err)
			}
			if n := utf8.RuneCountInString(body); n != tt.wantRunes || truncated != tt.wantTruncated || !utf8.ValidString(body) {
				t.Errorf("stored %d runes, truncated=%v, valid UTF-8=%v; want %d, %v, true", n, truncated, utf8.ValidString(body), tt.wantRunes, tt.wantTruncated)
			}
			if !strings.HasPrefix(tt.text, body) {
				t.Error("the stored text is not the start of the message")
			}
		})
	}
}
