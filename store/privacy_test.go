package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"
)

// fakeClock is the store's and the flow's clock in these tests; atomic because the store's
// writer goroutine reads it.
type fakeClock struct{ ms atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.set(t)
	return c
}
func (c *fakeClock) now() time.Time          { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *fakeClock) set(t time.Time)         { c.ms.Store(t.UnixMilli()) }
func (c *fakeClock) advance(d time.Duration) { c.set(c.now().Add(d)) }

func bogota(tb testing.TB, s string) time.Time {
	tb.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, flow.Bogota())
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// privacyEnv is a store on a fresh file, the real conversation, and a clock.
type privacyEnv struct {
	s     *Store
	path  string
	m     *flow.Machine
	clock *fakeClock
	n     int // message ids
}

func newPrivacyEnv(tb testing.TB, start time.Time, cfg func(*flow.Config)) *privacyEnv {
	tb.Helper()
	return newPrivacyEnvAt(tb, filepath.Join(tb.TempDir(), "cis.db"), start, cfg)
}

// newPrivacyEnvAt is newPrivacyEnv on the store at db (a file, or a
// PostgreSQL URL from bothEngines).
func newPrivacyEnvAt(tb testing.TB, db string, start time.Time, cfg func(*flow.Config)) *privacyEnv {
	tb.Helper()
	e := &privacyEnv{path: db, clock: newClock(start)}
	s, err := Open(context.Background(), e.path, Options{Now: e.clock.now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	e.s = s
	e.m = e.machine(tb, cfg)
	return e
}

func (e *privacyEnv) machine(tb testing.TB, cfg func(*flow.Config)) *flow.Machine {
	tb.Helper()
	c := flow.DefaultConfig(flow.Bogota())
	if cfg != nil {
		cfg(&c)
	}
	m, err := flow.New(c, hotScorer{})
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// say sends texts from phone through the real flow, one minute apart. As a
// person answers what they read, the replies queued so far are sent before
// each text but the first (a consent answer counts only once its consent
// text was sent); the replies to the last text stay queued for the test.
func (e *privacyEnv) say(tb testing.TB, phone string, texts ...string) {
	tb.Helper()
	e.sayWith(tb, e.m, phone, nil, texts...)
}

func (e *privacyEnv) sayWith(tb testing.TB, m *flow.Machine, phone string, ref *flow.Referral, texts ...string) {
	tb.Helper()
	for i, text := range texts {
		if i > 0 {
			e.sendAll(tb)
		}
		e.n++
		e.clock.advance(time.Minute)
		now := e.clock.now()
		in := flow.Inbound{Channel: "whatsapp", Account: "573009999999", ID: fmt.Sprintf("wamid.%d", e.n), From: phone,
			Kind: flow.KindText, Text: text, At: now, Referral: ref}
		ref = nil
		if _, err := e.s.Handle(context.Background(), in, func(st flow.State) flow.Result { return m.Step(st, in, now) }); err != nil {
			tb.Fatal(err)
		}
	}
}

// sendAll plays the channel sender: every due reply is marked sent.
func (e *privacyEnv) sendAll(tb testing.TB) int {
	tb.Helper()
	ctx := context.Background()
	out, err := e.s.PendingOutbox(ctx, "whatsapp", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range out {
		if err := e.s.MarkSent(ctx, o.ID, fmt.Sprintf("sent.%d", o.ID)); err != nil {
			tb.Fatal(err)
		}
	}
	return len(out)
}

var completeLead = []string{"hola", "sí", "Carlos Andrés Restrepo", "Medellín", "2 millones", "pa ya", "1"}

// TestChatCommandsBecomeTrackedRequests: every data-rights command and the opt-out is a request
// with its legal type, channel and due date, listed by due date, with the warning before expiry.
func TestChatCommandsBecomeTrackedRequests(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 10:00"), nil)
	e.say(t, "+573001112233", "hola", "sí", "mis datos")
	e.say(t, "+573004445566", "hola", "sí", "Beatriz Gómez", "corregir")
	e.say(t, "+573007778899", "hola", "salir")
	e.say(t, "+573001010101", completeLead...)
	e.say(t, "+573001010101", "borrar mis datos")

	open, err := e.s.DataRequests(ctx, false, 0)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]DataRequest{}
	for i, r := range open {
		got[r.Phone] = r
		if i > 0 && r.DueAt.Before(open[i-1].DueAt) {
			t.Errorf("requests not sorted by due date: %v before %v", open[i-1].DueAt, r.DueAt)
		}
	}
	want := map[string]struct{ kind, legal, due string }{
		"+573001112233": {RequestAccess, "consulta", "2026-11-30"},
		"+573004445566": {RequestCorrect, "reclamo", "2026-12-07"},
		"+573007778899": {RequestRevoke, "reclamo", "2026-12-07"},
		"+573001010101": {RequestDelete, "reclamo", "2026-12-07"},
	}
	if len(open) != len(want) {
		t.Fatalf("%d open requests, want %d: %+v", len(open), len(want), open)
	}
	for phone, w := range want {
		r := got[phone]
		if r.Kind != w.kind || r.LegalType != w.legal || r.Channel != "whatsapp" || r.Status != RequestOpen {
			t.Errorf("%s: %+v, want %+v", phone, r, w)
		}
		if d := r.DueAt.In(flow.Bogota()).Format("2006-01-02"); d != w.due {
			t.Errorf("%s: due %s, want %s", phone, d, w.due)
		}
	}
	access := got["+573001112233"]
	for _, tc := range []struct{ now, warn string }{
		{"2026-11-25 12:00", ""},         // 3 business days left
		{"2026-11-26 12:00", "due_soon"}, // 2 left
		{"2026-11-30 23:00", "due_soon"},
		{"2026-12-01 00:00", "overdue"},
	} {
		if w := access.Warning(bogota(t, tc.now)); w != tc.warn {
			t.Errorf("warning at %s = %q, want %q", tc.now, w, tc.warn)
		}
	}

	// The one extension: 5 more business days for a query, noticed with a reason, only once.
	if err := e.s.ExtendDataRequest(ctx, access.ID, "", 1); err == nil {
		t.Error("an extension without the reason told to the holder was accepted")
	}
	if err := e.s.ExtendDataRequest(ctx, access.ID, "falta información del área comercial", 1); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ExtendDataRequest(ctx, access.ID, "otra vez", 1); err == nil {
		t.Error("a second extension was accepted")
	}
	ext, err := e.s.DataRequest(ctx, access.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d := ext.DueAt.In(flow.Bogota()).Format("2006-01-02"); d != "2026-12-07" {
		t.Errorf("extended due %s, want 2026-12-07", d)
	}
	if err := e.s.ResolveDataRequest(ctx, access.ID, RequestResolved, "export sent by e-mail", 1); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ResolveDataRequest(ctx, access.ID, RequestResolved, "twice", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("resolving a closed request: %v, want ErrNotFound", err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action IN ('privacy.extend', 'privacy.resolved') AND user_id = 1`); n != 2 {
		t.Errorf("%d audit entries for extend and resolve, want 2", n)
	}
}

// seedWhatsmeow opens whatsmeow's own device store on the test file and gives it what the linked
// device keeps about a person: push name, address-book name, LID mapping, a sent message in the
// retry buffer, a message secret, a privacy token, chat settings, Signal session and identity.
func seedWhatsmeow(tb testing.TB, path, phoneUser, lidUser, name string) {
	tb.Helper()
	ctx := context.Background()
	if testRedirect != nil { // CIS_TEST_PG_ALL: the store's file is a PostgreSQL schema
		path = testRedirect(path)
	}
	dialect, q := "sqlite3", func(q string) string { return q }
	if IsPostgres(path) {
		dialect, q = "postgres", rebind
	}
	db, err := DeviceDB(path, Options{})
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	c := sqlstore.NewWithDB(db, dialect, nil)
	if err := c.Upgrade(ctx); err != nil {
		tb.Fatal(err)
	}
	dev, err := c.GetFirstDevice(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	if dev.ID == nil {
		own := types.NewJID("573009999999", types.DefaultUserServer)
		dev.ID = &own
		dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64), AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
		if err := c.PutDevice(ctx, dev); err != nil {
			tb.Fatal(err)
		}
	}
	pn := types.NewJID(phoneUser, types.DefaultUserServer)
	lid := types.NewJID(lidUser, types.HiddenUserServer)
	must := func(err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
	}
	_, _, err = dev.Contacts.PutPushName(ctx, pn, name)
	must(err)
	must(dev.Contacts.PutContactName(ctx, lid, strings.Fields(name)[0], name))
	must(dev.LIDs.PutLIDMapping(ctx, lid, pn))
	must(dev.MsgSecrets.PutMessageSecret(ctx, pn, pn, "3EB0SECRET"+phoneUser, []byte("0123456789abcdef0123456789abcdef")))
	must(dev.ChatSettings.PutArchived(ctx, lid, true))
	must(dev.Sessions.PutSession(ctx, phoneUser+":0", []byte("session")))
	must(dev.Sessions.PutSession(ctx, lidUser+"_1:0", []byte("session")))
	must(dev.Identities.PutIdentity(ctx, phoneUser+":0", [32]byte{1}))
	must(dev.Identities.PutIdentity(ctx, lidUser+"_1:0", [32]byte{2}))
	if _, err := db.ExecContext(ctx, q(`INSERT INTO whatsmeow_retry_buffer (our_jid, chat_jid, message_id, format, plaintext, timestamp)
		VALUES (?, ?, ?, 'proto', ?, 0)`), dev.ID.String(), pn.String(), "3EB0RETRY"+phoneUser, []byte("Gracias, "+name)); err != nil {
		tb.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, q(`INSERT INTO whatsmeow_privacy_tokens (our_jid, their_jid, token, timestamp) VALUES (?, ?, ?, 0)`),
		dev.ID.String(), lid.String(), []byte("token")); err != nil {
		tb.Fatal(err)
	}
}

// leftovers returns "table.column" for every column of every table (the app's and whatsmeow's)
// whose text contains needle, ignoring ASCII case.
func leftovers(tb testing.TB, s *Store, needle string) []string {
	tb.Helper()
	if s.dialect == dialectPostgres {
		return leftoversPG(tb, s, needle)
	}
	var tables []string
	rows, err := s.rw.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			tb.Fatal(err)
		}
		tables = append(tables, n)
	}
	rows.Close()
	var hits []string
	for _, tbl := range tables {
		cols, err := s.rw.Query(`SELECT name FROM pragma_table_info(?)`, tbl)
		if err != nil {
			tb.Fatal(err)
		}
		var names []string
		for cols.Next() {
			var c string
			if err := cols.Scan(&c); err != nil {
				tb.Fatal(err)
			}
			names = append(names, c)
		}
		cols.Close()
		for _, c := range names {
			n := count(tb, s, fmt.Sprintf(`SELECT count(*) FROM %q WHERE instr(lower(CAST(%q AS TEXT)), lower(?)) > 0`, tbl, c), needle)
			if n > 0 {
				hits = append(hits, fmt.Sprintf("%s.%s", tbl, c))
			}
		}
	}
	return hits
}

// leftoversPG is leftovers on PostgreSQL: every table of the store's schema
// (whatsmeow's included); bytes are searched in their escape form.
func leftoversPG(tb testing.TB, s *Store, needle string) []string {
	tb.Helper()
	type column struct{ table, name, typ string }
	var cols []column
	rows, err := s.rw.Query(`SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
		JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
		WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' ORDER BY c.table_name, c.ordinal_position`)
	if err != nil {
		tb.Fatal(err)
	}
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.typ); err != nil {
			tb.Fatal(err)
		}
		cols = append(cols, c)
	}
	rows.Close()
	var hits []string
	for _, c := range cols {
		text := fmt.Sprintf("%q::text", c.name)
		if c.typ == "bytea" {
			text = fmt.Sprintf("encode(%q, 'escape')", c.name)
		}
		if count(tb, s, fmt.Sprintf(`SELECT count(*) FROM %q WHERE strpos(lower(%s), lower(?)) > 0`, c.table, text), needle) > 0 {
			hits = append(hits, c.table+"."+c.name)
		}
	}
	return hits
}

// TestDeletionCompletenessBothEngines is RELIABILITY D4: after "borrar mis datos", a query over every table
// (the app's and whatsmeow's) for the phone, the LID and the name finds only the allowed residue:
// the consent record (which keeps the phone as evidence of the authorisation). A second person's
// data is untouched. On PostgreSQL this is the erasure's check at the level
// of the rows: what stays in the server's files until VACUUM, in its WAL and
// in backups is docs/postgres.md's "Privacy deletion".
func TestDeletionCompletenessBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, eng *engine) {
		testDeletionCompleteness(t, newPrivacyEnvAt(t, eng.db, bogota(t, "2026-11-13 09:00"), nil))
	})
}

func testDeletionCompleteness(t *testing.T, e *privacyEnv) {
	ctx := context.Background()
	const (
		phone, user, lid = "+573001112233", "573001112233", "98765432109876"
		name             = "Carlos Andrés Restrepo"
		other, otherName = "+573004445566", "Beatriz Gómez"
	)
	seedWhatsmeow(t, e.path, user, lid, name)
	seedWhatsmeow(t, e.path, "573004445566", "11112222333344", otherName)
	if err := e.s.SetAdvisors(ctx, []Advisor{{Name: "Ana Asesora", Phone: "+573110000000"}}); err != nil {
		t.Fatal(err)
	}
	ref := &flow.Referral{SourceType: "ad", SourceID: "120", Headline: "SEO en Medellín", CtwaClid: "clid-" + user}
	e.sayWith(t, e.m, phone, ref, completeLead...)
	e.say(t, other, "hola", "sí", otherName, "Cali", "1 millón", "este mes", "2")
	if err := e.s.LinkLID(ctx, phone, lid); err != nil {
		t.Fatal(err)
	}
	// What other parts of the system add about a lead: an advisor's note naming the person, the
	// customer a won lead becomes, a dead-lettered webhook body, a history row imported from a file.
	var leadID int64
	if err := e.s.rw.QueryRow(`SELECT id FROM leads WHERE name = ?`, name).Scan(&leadID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ActOnLead(ctx, leadID, LeadAction{Kind: "note", ByUser: 1, Detail: "Llamar a " + name + " al " + phone}); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		q    string
		args []any
	}{
		{fmt.Sprintf(`INSERT INTO customers (ext_key, lead_id, name, started_at, created_at) VALUES ('lead:%d', %d, '%s', 0, 0)`, leadID, leadID, name), nil},
		// Two events that differ only by the text erased: blanking it makes them one.
		{fmt.Sprintf(`INSERT INTO customer_events (customer_id, kind, at, detail) SELECT id, 'support', 1, 'habló %s' FROM customers`, name), nil},
		{fmt.Sprintf(`INSERT INTO customer_events (customer_id, kind, at, detail) SELECT id, 'support', 1, 'llamó %s' FROM customers`, name), nil},
		// A dead letter's body is bytes (BLOB, BYTEA), not always valid UTF-8.
		{`INSERT INTO dead_letters (channel, reason, body, received_at) VALUES ('cloudapi', 'bad json', ?, 0)`,
			[]any{[]byte(fmt.Sprintf("{\"from\":\"%s\"\xff", user))}},
		{fmt.Sprintf(`INSERT INTO history_leads (row_key, created_at, converted, extra, imported_at) VALUES ('k1', 0, 0, '{"Nombre":"%s"}', 0)`, name), nil},
	} {
		if _, err := e.s.rw.Exec(w.q, w.args...); err != nil {
			t.Fatalf("%s: %v", w.q, err)
		}
	}
	e.sendAll(t)

	e.say(t, phone, "borrar mis datos")
	// The confirmation has not left yet: nothing is erased before it does.
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 0 {
		t.Fatalf("ProcessDeletionRequests before the confirmation left = %d, %v; want 0", n, err)
	}
	e.clock.advance(59 * time.Minute)
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 0 {
		t.Fatalf("ProcessDeletionRequests 59 minutes later, confirmation still queued = %d, %v; want 0", n, err)
	}
	if e.sendAll(t) != 1 {
		t.Fatal("want exactly the deletion confirmation to leave")
	}
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ProcessDeletionRequests = %d, %v; want 1", n, err)
	}

	for _, needle := range []string{user, lid, "Carlos", "Restrepo", "clid-" + user} {
		for _, hit := range leftovers(t, e.s, needle) {
			t.Errorf("%q still found in %s after deletion", needle, hit)
		}
	}
	// The allowed residue is there: the consent record (its phone as the keyed hash, without the
	// words typed), the deletion record, the suppression.
	if n := count(t, e.s, `SELECT count(*) FROM consent_records WHERE phone = ? AND accepted = 1 AND answer = ''`,
		"hmac:"+e.s.PhoneHash(phone)); n != 1 {
		t.Errorf("%d consent records kept, want 1", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE phone_hash = ? AND kind = 'delete' AND status = 'resolved'`, e.s.PhoneHash(phone)); n != 1 {
		t.Errorf("%d deletion records, want 1", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM suppressions WHERE phone_hash = ?`, e.s.PhoneHash(phone)); n != 1 {
		t.Errorf("%d suppressions, want 1", n)
	}
	// The two customer events that differed only by the erased text are one now.
	if n := count(t, e.s, `SELECT count(*) FROM customer_events WHERE kind = 'support' AND at = 1 AND detail = ''`); n != 1 {
		t.Errorf("%d blanked customer events, want 1 (the duplicate dropped)", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action = 'privacy.delete'`); n != 1 {
		t.Errorf("%d deletion audit entries, want 1", n)
	}
	// Aggregates keep the anonymised lead.
	if n := count(t, e.s, `SELECT count(*) FROM leads WHERE id = ? AND name = '' AND city_name = 'Medellín' AND advisor_id IS NULL AND status = 'erased'`, leadID); n != 1 {
		t.Error("the lead was not kept anonymised for aggregates")
	}
	// The other person is untouched, in the app and in whatsmeow.
	for _, needle := range []string{"573004445566", "11112222333344", otherName} {
		if len(leftovers(t, e.s, needle)) < 2 {
			t.Errorf("%q: the other person's data was erased too", needle)
		}
	}
	if n := count(t, e.s, `SELECT count(*) FROM whatsmeow_lid_map WHERE pn = '573004445566'`); n != 1 {
		t.Error("the other person's LID mapping was deleted")
	}
}

// TestSuppressionSurvivesDeletion is O-1: after a deletion the same phone writing again gets
// silence (as an opted-out conversation does) until they write "reiniciar".
func TestSuppressionSurvivesDeletion(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	const phone = "+573001112233"
	e.say(t, phone, completeLead...)
	if _, err := e.s.EraseByPhone(ctx, phone, EraseRequested, "cli", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.EraseByPhone(ctx, phone, EraseRequested, "cli", 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("second erase: %v, want ErrNotFound", err)
	}
	e.sendAll(t)
	e.say(t, phone, "hola")
	if n := count(t, e.s, `SELECT count(*) FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE c.phone = ?`, phone); n != 0 {
		t.Errorf("%d replies to a suppressed person who wrote again, want 0", n)
	}
	if _, err := e.s.EnqueueCommercial(ctx, phone, "followup", "¿Seguimos?"); !errors.Is(err, ErrSuppressed) {
		t.Errorf("commercial to a suppressed person: %v, want ErrSuppressed", err)
	}
	e.say(t, phone, "reiniciar")
	var key string
	if err := e.s.rw.QueryRow(`SELECT o.key FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE c.phone = ? ORDER BY o.id DESC LIMIT 1`, phone).Scan(&key); err != nil {
		t.Fatal(err)
	}
	if key != "consent" {
		t.Errorf("after reiniciar the last reply is %q, want the consent question", key)
	}
	// "reiniciar" is the person opting back in: the suppression is lifted.
	if n := count(t, e.s, `SELECT count(*) FROM suppressions WHERE phone_hash = ?`, e.s.PhoneHash(phone)); n != 0 {
		t.Error("the suppression survived the person's own restart")
	}
	if n := count(t, e.s, `SELECT count(*) FROM contacts WHERE phone = ? AND opted_out_at IS NULL`, phone); n != 1 {
		t.Error("the contact is still marked opted out after restarting")
	}
}

// TestOptOutCancelsQueuedWork is RELIABILITY P1: "STOP" while a reply is queued and a commercial
// follow-up is scheduled: only the opt-out confirmation leaves, and later schedulers skip the phone.
func TestOptOutCancelsQueuedWork(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	const phone = "+573001112233"
	if err := e.s.SetAdvisors(ctx, []Advisor{{Name: "Ana Asesora", Phone: "+573110000000"}}); err != nil {
		t.Fatal(err)
	}
	e.say(t, "+573009998877", completeLead...) // someone else's lead, whose notification stays
	e.say(t, phone, completeLead...)
	if _, err := e.s.EnqueueCommercial(ctx, phone, "followup", "¿Seguimos con tu cotización?"); err != nil {
		t.Fatal(err)
	}
	e.say(t, phone, "stop")
	if n := count(t, e.s, `SELECT count(*) FROM lead_notices WHERE status = 'pending'`); n != 1 {
		t.Errorf("%d pending advisor notifications after STOP, want only the other lead's", n)
	}
	e.clock.advance(15 * time.Minute) // both hot leads are now within 10 minutes of their deadline
	if rem, _, err := e.s.SweepDeadlines(ctx, 10*time.Minute, true); err != nil || rem != 1 {
		t.Errorf("reminders = %d, %v; want 1 (not for the opted-out person)", rem, err)
	}
	all, err := e.s.PendingOutbox(ctx, "whatsapp", 100)
	if err != nil {
		t.Fatal(err)
	}
	var out []Outgoing
	for _, o := range all {
		if o.To == phone {
			out = append(out, o)
		}
	}
	if len(out) != 1 || out[0].Key != "opted_out" {
		t.Fatalf("pending after STOP = %+v, want only the opt-out confirmation", out)
	}
	if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE status = 'cancelled'`); n < 2 {
		t.Errorf("%d cancelled rows, want the queued replies and the follow-up", n)
	}
	if _, err := e.s.EnqueueCommercial(ctx, phone, "followup", "¿Seguimos?"); !errors.Is(err, ErrSuppressed) {
		t.Errorf("commercial after opt-out: %v, want ErrSuppressed", err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE kind = 'revoke'`); n != 1 {
		t.Errorf("%d revocation requests, want 1", n)
	}
}

// TestCommercialOutboundHeldToLegalHours is RELIABILITY P2 and O-4: a follow-up due Friday 18:58
// whose retry backoff pushes it past 19:00 is held until Saturday 08:00 (Ley 2300: Saturday
// 08:00–15:00); one scheduled on a Saturday afternoon before a holiday Monday waits for Tuesday;
// a number put on the exclusion list is never sent to.
func TestCommercialOutboundHeldToLegalHours(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 15:00"), nil)
	const phone = "+573001112233"
	e.say(t, phone, completeLead...)
	e.sendAll(t)
	due := func(id int64) string {
		var ms int64
		if err := e.s.rw.QueryRow(`SELECT next_attempt_at FROM outbox WHERE id = ?`, id).Scan(&ms); err != nil {
			t.Fatal(err)
		}
		return fromMillis(ms).In(flow.Bogota()).Format("Mon 2006-01-02 15:04")
	}

	e.clock.set(bogota(t, "2026-11-13 18:58"))
	id, err := e.s.EnqueueCommercial(ctx, phone, "followup", "¿Seguimos con tu cotización?")
	if err != nil {
		t.Fatal(err)
	}
	out, err := e.s.PendingOutbox(ctx, "whatsapp", 10)
	if err != nil || len(out) != 1 || out[0].ID != id {
		t.Fatalf("at 18:58 pending = %+v, %v; want the follow-up", out, err)
	}
	if err := e.s.MarkRetry(ctx, id, bogota(t, "2026-11-13 19:01"), "timeout"); err != nil {
		t.Fatal(err)
	}
	e.clock.set(bogota(t, "2026-11-13 19:01"))
	if out, _ := e.s.PendingOutbox(ctx, "whatsapp", 10); len(out) != 0 {
		t.Errorf("at 19:01 pending = %+v, want none", out)
	}
	if got := due(id); got != "Sat 2026-11-14 08:00" {
		t.Errorf("held until %s, want Sat 2026-11-14 08:00", got)
	}
	e.clock.set(bogota(t, "2026-11-14 08:00"))
	if out, _ := e.s.PendingOutbox(ctx, "whatsapp", 10); len(out) != 1 {
		t.Errorf("at Saturday 08:00 pending = %+v, want the follow-up", out)
	}
	if err := e.s.MarkSent(ctx, id, "sent.x"); err != nil {
		t.Fatal(err)
	}

	e.clock.set(bogota(t, "2026-11-14 15:30"))
	id2, err := e.s.EnqueueCommercial(ctx, phone, "followup", "¿Hablamos?")
	if err != nil {
		t.Fatal(err)
	}
	if got := due(id2); got != "Tue 2026-11-17 07:00" {
		t.Errorf("scheduled for %s, want Tue 2026-11-17 07:00 (Monday is a holiday)", got)
	}
	// A held follow-up does not hold back the reply to a message the person sends meanwhile.
	e.clock.set(bogota(t, "2026-11-14 16:00"))
	e.say(t, phone, "hola")
	out, err = e.s.PendingOutbox(ctx, "whatsapp", 10)
	if err != nil || len(out) != 1 || out[0].ID == id2 {
		t.Fatalf("pending while a follow-up is held = %+v, %v; want the reply", out, err)
	}
	e.sendAll(t)
	if _, err := e.s.AddExclusions(ctx, []string{phone}, "rne", 1); err != nil {
		t.Fatal(err)
	}
	e.clock.set(bogota(t, "2026-11-17 07:00"))
	if out, _ := e.s.PendingOutbox(ctx, "whatsapp", 10); len(out) != 0 {
		t.Errorf("pending to an excluded number = %+v, want none", out)
	}
	if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE id = ? AND status = 'cancelled'`, id2); n != 1 {
		t.Error("the follow-up to an excluded number was not cancelled")
	}
	if _, err := e.s.EnqueueCommercial(ctx, phone, "followup", "x"); !errors.Is(err, ErrSuppressed) {
		t.Errorf("commercial to an excluded number: %v, want ErrSuppressed", err)
	}
	// Replies to the person's own messages are not commercial: they still go at night.
	e.clock.set(bogota(t, "2026-11-17 22:00"))
	e.say(t, phone, "mis datos")
	if out, _ := e.s.PendingOutbox(ctx, "whatsapp", 10); len(out) != 1 {
		t.Errorf("a reply at 22:00 pending = %+v, want it sent", out)
	}

	if _, err := e.s.AddExclusions(ctx, []string{"+573001112233", "3001112233"}, "manual", 1); err == nil {
		t.Error("a number without country code was accepted")
	}
	list, err := e.s.Exclusions(ctx, 10)
	if err != nil || len(list) != 1 || list[0].Hint != "…2233" || list[0].Source != "rne" {
		t.Errorf("exclusions = %+v, %v", list, err)
	}
	if ok, err := e.s.RemoveExclusion(ctx, phone, 1); err != nil || !ok {
		t.Errorf("RemoveExclusion = %v, %v", ok, err)
	}
}

// TestExportShowsConsentTextShown is RELIABILITY P3 and R-4: the consent text changes after some
// prospects accepted; each export shows the exact text and version that holder saw, and the
// export is audited.
func TestExportShowsConsentTextShown(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	v2 := e.machine(t, func(c *flow.Config) {
		c.Agency.Name, c.PolicyVersion = "Agencia Nueva S.A.S.", "2027-01-01"
	})
	e.say(t, "+573001112233", completeLead...)
	e.sayWith(t, v2, "+573004445566", nil, "hola", "sí")

	x1, err := e.s.ExportByPhone(ctx, "+573001112233", 7)
	if err != nil {
		t.Fatal(err)
	}
	x2, err := e.s.ExportByPhone(ctx, "+573004445566", 7)
	if err != nil {
		t.Fatal(err)
	}
	if len(x1.Consents) != 1 || len(x2.Consents) != 1 {
		t.Fatalf("consents %d and %d, want 1 each", len(x1.Consents), len(x2.Consents))
	}
	c1, c2 := x1.Consents[0], x2.Consents[0]
	if c1.PolicyVersion != "2026-11-01" || !strings.Contains(c1.Text, "Agencia Demo") || strings.Contains(c1.Text, "Agencia Nueva") {
		t.Errorf("first holder's consent: version %s, text %q", c1.PolicyVersion, c1.Text)
	}
	if c2.PolicyVersion != "2027-01-01" || !strings.Contains(c2.Text, "Agencia Nueva S.A.S.") {
		t.Errorf("second holder's consent: version %s, text %q", c2.PolicyVersion, c2.Text)
	}
	if c1.TextSHA256 == c2.TextSHA256 {
		t.Error("two different texts share a hash")
	}
	for _, q := range []string{`UPDATE policy_texts SET body = 'edited'`, `DELETE FROM policy_texts`, `DELETE FROM consent_records`} {
		if _, err := e.s.rw.Exec(q); err == nil {
			t.Errorf("%s succeeded: consent evidence must be append-only", q)
		}
	}
	if len(x1.Leads) != 1 || x1.Leads[0].Name != "Carlos Andrés Restrepo" || x1.Leads[0].City != "Medellín" {
		t.Errorf("export leads = %+v", x1.Leads)
	}
	var in, out int
	for _, m := range x1.Messages {
		switch m.Direction {
		case "recibido_in":
			in++
		case "enviado_out":
			out++
		}
	}
	if in != len(completeLead) || out < len(completeLead) {
		t.Errorf("export messages: %d in, %d out", in, out)
	}
	b, err := x1.JSON()
	if err != nil || !json.Valid(b) || !strings.Contains(string(b), `"texto_mostrado_text_shown"`) {
		t.Errorf("export JSON invalid or without the consent text: %v", err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action = 'privacy.export' AND user_id = 7`); n != 2 {
		t.Errorf("%d export audit entries, want 2", n)
	}
	if _, err := e.s.ExportByPhone(ctx, "+570000000000", 7); !errors.Is(err, ErrNotFound) {
		t.Errorf("export of an unknown phone: %v, want ErrNotFound", err)
	}
}

// TestRetentionWithFakeClock is RELIABILITY S-1: what outlived its period is erased or emptied,
// nothing else.
func TestRetentionWithFakeClock(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-01-05 09:00"), nil)
	e.say(t, "+573000000001", "hola", "sí", "Ana Incompleta")                                   // abandons
	e.say(t, "+573000000002", completeLead...)                                                  // lead, lost later
	e.say(t, "+573000000003", "hola", "sí", "Wendy Ganada", "Cali", "3 millones", "pa ya", "1") // lead, won
	var lost, won int64
	_ = e.s.rw.QueryRow(`SELECT l.id FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE c.phone = '+573000000002'`).Scan(&lost)
	_ = e.s.rw.QueryRow(`SELECT l.id FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE c.phone = '+573000000003'`).Scan(&won)
	if err := e.s.ActOnLead(ctx, lost, LeadAction{Kind: "lost", ByUser: 1, Detail: "precio"}); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ActOnLead(ctx, won, LeadAction{Kind: "won", ByUser: 1, ValueCOP: 3000000}); err != nil {
		t.Fatal(err)
	}
	e.sendAll(t)
	e.clock.advance(200 * 24 * time.Hour)
	e.say(t, "+573000000004", "hola") // recent, incomplete
	e.sendAll(t)

	r := Retention{Incomplete: 180 * 24 * time.Hour, Leads: 365 * 24 * time.Hour, Transcripts: 190 * 24 * time.Hour}
	rep, err := e.s.ApplyRetention(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if rep.People != 1 {
		t.Errorf("day 200: %d people erased, want 1 (the incomplete one)", rep.People)
	}
	alive := func(phone string) bool {
		return count(t, e.s, `SELECT count(*) FROM contacts WHERE phone = ?`, phone) == 1
	}
	if alive("+573000000001") || !alive("+573000000002") || !alive("+573000000003") || !alive("+573000000004") {
		t.Error("day 200: wrong people erased")
	}
	if rep.Transcripts == 0 || count(t, e.s, `SELECT count(*) FROM messages WHERE body <> '' AND received_at < ?`, millis(e.clock.now().Add(-r.Transcripts))) != 0 {
		t.Errorf("day 200: old transcripts kept (%d emptied)", rep.Transcripts)
	}
	if count(t, e.s, `SELECT count(*) FROM messages m JOIN contacts c ON c.id = m.contact_id WHERE c.phone = '+573000000004' AND body = 'hola'`) != 1 {
		t.Error("a recent message was emptied")
	}

	e.clock.advance(200 * 24 * time.Hour)
	if rep, err = e.s.ApplyRetention(ctx, r); err != nil {
		t.Fatal(err)
	}
	if alive("+573000000002") || !alive("+573000000003") || alive("+573000000004") {
		t.Errorf("day 400: lost lead kept or won customer erased (report %+v)", rep)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE status = 'resolved' AND resolution = 'deleted: retention'`); n != 3 {
		t.Errorf("%d retention deletion records, want 3", n)
	}
	if rep2, err := e.s.ApplyRetention(ctx, r); err != nil || rep2.People != 0 {
		t.Errorf("a second run the same day erased %d more (%v)", rep2.People, err)
	}
}

// TestDeletionDoesNotWaitForeverForItsConfirmation: a web-chat visitor who asked for deletion and
// closed the page leaves the confirmation queued; after an hour the deletion goes ahead and the
// queued reply is cancelled.
func TestDeletionDoesNotWaitForeverForItsConfirmation(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	e.say(t, "+573001112233", "hola", "sí", "Carlos Andrés Restrepo", "borrar mis datos")
	if n, _ := e.s.ProcessDeletionRequests(ctx, 10); n != 0 {
		t.Fatal("erased before the confirmation had a chance to leave")
	}
	e.clock.advance(61 * time.Minute)
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ProcessDeletionRequests after an hour = %d, %v; want 1", n, err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE status = 'pending'`); n != 0 {
		t.Errorf("%d replies still pending to an erased person", n)
	}
}

// TestIncidentSICClock is RELIABILITY S-2: an incident's SIC reporting deadline is 15 business
// days after detection, warned before expiry, and cleared once reported.
func TestIncidentSICClock(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	if _, err := e.s.RecordIncident(ctx, e.clock.now(), "  ", 1); err == nil {
		t.Error("an incident without description was recorded")
	}
	if _, err := e.s.RecordIncident(ctx, e.clock.now().Add(time.Hour), "laptop robado", 1); err == nil {
		t.Error("an incident detected in the future was recorded")
	}
	id, err := e.s.RecordIncident(ctx, bogota(t, "2026-11-12 17:00"), "portátil de un asesor robado con sesión abierta", 1)
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.s.Incidents(ctx, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("incidents = %+v, %v", list, err)
	}
	// Detected Thursday 12 Nov; Monday 16 Nov is a holiday: 15 business days end on Friday 4 Dec.
	if d := list[0].SICDueAt.In(flow.Bogota()).Format("2006-01-02 15:04"); d != "2026-12-04 23:59" {
		t.Errorf("SIC due %s, want 2026-12-04 23:59", d)
	}
	for _, tc := range []struct{ now, warn string }{
		{"2026-12-01 09:00", ""}, {"2026-12-02 09:00", "due_soon"}, {"2026-12-05 00:00", "overdue"},
	} {
		if w := list[0].Warning(bogota(t, tc.now)); w != tc.warn {
			t.Errorf("warning at %s = %q, want %q", tc.now, w, tc.warn)
		}
	}
	if err := e.s.MarkIncidentReported(ctx, id, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.s.MarkIncidentReported(ctx, id, 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("reporting twice: %v, want ErrNotFound", err)
	}
	list, _ = e.s.Incidents(ctx, 10)
	if list[0].ReportedAt.IsZero() || list[0].Warning(bogota(t, "2026-12-05 00:00")) != "" {
		t.Errorf("reported incident still warns: %+v", list[0])
	}
	if n := count(t, e.s, `SELECT count(*) FROM audit_log WHERE action IN ('privacy.incident', 'privacy.incident_reported')`); n != 2 {
		t.Errorf("%d incident audit entries, want 2", n)
	}
}

// hotScorer classifies every lead hot (25-minute deadline), as the rules
// did for these tests' leads: they are about personal data, not scores,
// and store tests cannot import scoring, which imports store.
type hotScorer struct{}

func (hotScorer) Score(flow.Lead) flow.Score {
	return flow.Score{Class: flow.Hot, Probability: 0.6, Model: "rules"}
}
