package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/flow"
)

// The copy of an installation from its SQLite file to PostgreSQL (issue
// 16, item 5): `cis store copy`. The source here is a store with whole
// conversations through the message path, advisors acting on leads,
// imported history with NULLs and fractions, made-up leads in bulk, and
// whatsmeow's device store with a paired device and its keys, sessions and
// contacts (cmd/cis's TestStoreCopyDemo copies the seeded demo store).

// copyDevices is CopyOptions.PrepareDevices as bot.UpgradeDeviceStore
// does it: whatsmeow's own upgrade, in the handle's dialect.
func copyDevices(ctx context.Context, db *sql.DB) error {
	return sqlstore.NewWithDB(db, DeviceDialect(db), nil).Upgrade(ctx)
}

// pairedJID is the agency's linked device in the copy tests.
var pairedJID = types.JID{User: "573009998877", Server: types.DefaultUserServer, Device: 4}

// copySourceStore makes the SQLite store the copy tests move.
func copySourceStore(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cis.db")
	clock := &pgClock{now: pgT0}
	s, err := Open(ctx, path, Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Warm))
	if err != nil {
		t.Fatal(err)
	}
	msgs := []string{"hola", "sí", "me llamo María José Ñáñez", "medallo", "2 millones", "pa' ya", "facebook ads"}
	for p := range 4 {
		for i, text := range msgs {
			clock.Add(time.Minute)
			in := flow.Inbound{Channel: "chat", Account: "acct", ID: fmt.Sprintf("p%d-w%d", p, i), From: fmt.Sprintf("+57300111%04d", p),
				Kind: flow.KindText, Text: text, At: clock.Now()}
			if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) }); err != nil {
				t.Fatal(err)
			}
			sendAll(t, s, "chat")
		}
	}
	if err := s.ActOnLead(ctx, 1, LeadAction{Kind: "won", ValueCOP: 2_500_000}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.AddExclusions(ctx, []string{"+573005550101"}, "manual", 0); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertSyntheticLeads(ctx, 300, pgT0); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open(driverName, dsn(path, true, Options{}.withDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`INSERT INTO history_leads (row_key, created_at, city_name, service, urgency, source, converted, revenue_cop, imported_at, budget_min_cop, budget_max_cop)
		VALUES ('h1', 1772463600000, 'Cali', 'seo', 'week', 'utm:Promo', 1, 700000, 0, 2000000, 4000000),
		('h2', 1772550000000, 'Bogotá', 'web', 'month', 'Google ', 0, NULL, 0, 0, 0)`); err != nil {
		t.Fatal(err)
	}
	pairDevice(t, raw)
	return path
}

// pairDevice stores a paired device in whatsmeow's SQLite tables, with
// the rows a session has: identity keys, a Signal session, pre-keys, a
// contact's push name.
func pairDevice(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := context.Background()
	c := sqlstore.NewWithDB(db, "sqlite3", nil)
	if err := c.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	d := c.NewDevice()
	jid := pairedJID
	d.ID = &jid
	d.PushName = "Agencia Ñandú"
	d.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1, 2, 3}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := d.Save(ctx); err != nil {
		t.Fatal(err)
	}
	other := types.NewJID("573001110000", types.DefaultUserServer)
	if err := d.Identities.PutIdentity(ctx, other.SignalAddress().String(), [32]byte{7, 7, 7}); err != nil {
		t.Fatal(err)
	}
	if err := d.Sessions.PutSession(ctx, other.SignalAddress().String(), []byte("signal session bytes \x00\xff")); err != nil {
		t.Fatal(err)
	}
	if _, err := d.PreKeys.GetOrGenPreKeys(ctx, 5); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.Contacts.PutPushName(ctx, other, "Carlos"); err != nil {
		t.Fatal(err)
	}
}

// sqliteSource lets a copy test make and read its SQLite source under
// CIS_TEST_PG_ALL too (which otherwise opens a PostgreSQL schema wherever a
// test opens a file): the copy's source is a SQLite file by nature. The
// store's tests do not run in parallel.
func sqliteSource(t *testing.T) {
	t.Helper()
	saved := testRedirect
	testRedirect = nil
	t.Cleanup(func() { testRedirect = saved })
}

// copyTarget is an empty schema of its own in the CIS_TEST_PG cluster.
func copyTarget(t *testing.T) *engine {
	t.Helper()
	return pgEngine(t)
}

func TestStoreCopyToPostgres(t *testing.T) {
	sqliteSource(t)
	to := copyTarget(t)
	from := copySourceStore(t)
	ctx := context.Background()
	seen := map[string]bool{}
	rep, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices,
		Progress: func(table string, done, total int64) {
			if done == total {
				seen[table] = true
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	lite, err := sql.Open(driverName, readOnlyDSN(from, Options{}.withDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	// Every table of the source was copied (or skipped with its reason), with
	// the source's row count, read independently of the copy.
	var names []string
	rows, err := lite.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		names = append(names, n)
	}
	rows.Close()
	copied := map[string]int64{}
	for _, tc := range rep.Tables {
		copied[tc.Name] = tc.Rows
	}
	for _, n := range names {
		if rep.Skipped[n] != "" {
			continue
		}
		rows, ok := copied[n]
		if !ok {
			t.Errorf("table %s was neither copied nor skipped", n)
			continue
		}
		var want, got int64
		_ = lite.QueryRow(`SELECT COUNT(*) FROM ` + liteIdent(n)).Scan(&want)
		_ = to.raw.QueryRow(`SELECT COUNT(*) FROM ` + pgIdent(n)).Scan(&got)
		if rows != want || got != want {
			t.Errorf("%s: report %d rows, target %d, source %d", n, rows, got, want)
		}
	}
	if len(seen) != len(rep.Tables) {
		t.Errorf("progress finished %d tables; the copy copied %d", len(seen), len(rep.Tables))
	}
	for _, must := range []string{"leads", "messages", "outbox", "consent_records", "privacy_settings", "lead_daily", "whatsmeow_device", "whatsmeow_sessions"} {
		if copied[must] == 0 {
			t.Errorf("table %s: %d rows copied; want some", must, copied[must])
		}
	}
	if rep.Reset < 10 {
		t.Errorf("%d sequences set past the copied ids; want every identity table with rows", rep.Reset)
	}
	copiedStoreWorks(t, from, to)
	copiedSessionWorks(t, to)
}

// copiedStoreWorks: the copy opens as a store, reads as the source does,
// and numbers new rows past the copied ones.
func copiedStoreWorks(t *testing.T, from string, to *engine) {
	t.Helper()
	ctx := context.Background()
	src, err := Open(ctx, from, Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	clock := &pgClock{now: pgT0.Add(48 * time.Hour)}
	dst, err := Open(ctx, to.db, Options{Existing: true, Now: clock.Now})
	if err != nil {
		t.Fatalf("open the copy: %v", err)
	}
	defer dst.Close()
	for _, f := range []LeadFilter{{}, {Class: "hot"}, {Search: "maría"}} {
		a, errA := src.Queue(ctx, f)
		b, errB := dst.Queue(ctx, f)
		if errA != nil || errB != nil || fmt.Sprint(a) != fmt.Sprint(b) || len(a) == 0 {
			t.Errorf("queue %+v: source %d rows (%v), copy %d rows (%v); want the same, not empty", f, len(a), errA, len(b), errB)
		}
	}
	// The store's own invariants (replies sent once, conversations that
	// replay from their log to the same state) hold on the copy as on the file.
	m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Warm))
	if err != nil {
		t.Fatal(err)
	}
	exp := Expect{Channel: "chat", Drained: true, Step: m.Step}
	va, errA := src.CheckInvariants(ctx, exp)
	vb, errB := dst.CheckInvariants(ctx, exp)
	if errA != nil || errB != nil || len(va) != 0 || len(vb) != 0 {
		t.Errorf("invariants: source %v (%v), copy %v (%v); want none on both", va, errA, vb, errB)
	}
	ca, _ := src.LeadCounts(ctx)
	cb, err := dst.LeadCounts(ctx)
	if err != nil || fmt.Sprint(ca) != fmt.Sprint(cb) {
		t.Errorf("lead counts: source %v, copy %v (%v)", ca, cb, err)
	}
	if err := dst.Ping(ctx); err != nil {
		t.Errorf("the copy is not writable: %v", err)
	}
	// The installation's secret moved with it: a phone hashed on the file is
	// recognised on the copy.
	if removed, err := dst.RemoveExclusion(ctx, "+573005550101", 0); err != nil || !removed {
		t.Errorf("the excluded phone on the copy: removed %v, %v; want the file's hash recognised", removed, err)
	}
	var maxLead, maxMsg int64
	_ = to.raw.QueryRow(`SELECT max(id) FROM leads`).Scan(&maxLead)
	_ = to.raw.QueryRow(`SELECT max(id) FROM messages`).Scan(&maxMsg)
	funnel := to.count(t, `SELECT COALESCE(SUM(n), 0) FROM conversation_funnel`)
	in := flow.Inbound{Channel: "chat", Account: "acct", ID: "after-copy", From: "+573009990000", Kind: flow.KindText, Text: "hola", At: clock.Now()}
	if _, err := dst.Handle(ctx, in, func(st flow.State) flow.Result { return echoStep(st) }); err != nil {
		t.Fatalf("a message after the copy: %v", err)
	}
	var id int64
	if err := to.raw.QueryRow(`SELECT id FROM messages WHERE ext_id = 'after-copy'`).Scan(&id); err != nil || id <= maxMsg {
		t.Errorf("the first message after the copy got id %d (%v); the copied ones end at %d", id, err, maxMsg)
	}
	if n := to.count(t, `SELECT COALESCE(SUM(n), 0) FROM conversation_funnel`); n != funnel+1 {
		t.Errorf("the funnel counts %d conversations after a new one, %d before: the copy left its triggers off", n, funnel)
	}
	if maxLead == 0 {
		t.Error("no leads copied")
	}
}

// copiedSessionWorks: whatsmeow reads the paired device from the copy as
// it would at the next start, with its keys and session.
func copiedSessionWorks(t *testing.T, to *engine) {
	t.Helper()
	ctx := context.Background()
	db, err := DeviceDB(to.db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := sqlstore.NewWithDB(db, DeviceDialect(db), nil)
	if err := c.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	devs, err := c.GetAllDevices(ctx)
	if err != nil || len(devs) != 1 || devs[0].ID == nil || *devs[0].ID != pairedJID || devs[0].PushName != "Agencia Ñandú" {
		t.Fatalf("devices on the copy: %v, %v; want the paired %s", devs, err, pairedJID)
	}
	other := types.NewJID("573001110000", types.DefaultUserServer).SignalAddress().String()
	sess, err := devs[0].Sessions.GetSession(ctx, other)
	if err != nil || string(sess) != "signal session bytes \x00\xff" {
		t.Errorf("the Signal session on the copy: %q, %v", sess, err)
	}
	if ok, err := devs[0].Identities.IsTrustedIdentity(ctx, other, [32]byte{7, 7, 7}); err != nil || !ok {
		t.Errorf("the contact's identity key on the copy: trusted %v, %v", ok, err)
	}
	n, err := devs[0].PreKeys.UploadedPreKeyCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	k, err := devs[0].PreKeys.GetOrGenPreKeys(ctx, 6)
	if err != nil || len(k) != 6 {
		t.Fatalf("pre-keys after the copy: %d, %v (uploaded %d)", len(k), err, n)
	}
}

func TestStoreCopyRefusesNonEmptyTarget(t *testing.T) {
	sqliteSource(t)
	from := copySourceStore(t)
	ctx := context.Background()
	t.Run("a copy already there", func(t *testing.T) {
		to := copyTarget(t)
		if _, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices}); err != nil {
			t.Fatal(err)
		}
		var before int64
		_ = to.raw.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&before)
		_, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices})
		if !errors.Is(err, ErrTargetNotEmpty) {
			t.Fatalf("a second copy: err = %v; want ErrTargetNotEmpty", err)
		}
		var after int64
		_ = to.raw.QueryRow(`SELECT COUNT(*) FROM messages`).Scan(&after)
		if after != before {
			t.Errorf("the refused copy changed the target: %d messages, then %d", before, after)
		}
		t.Logf("the error reads: %v", err)
	})
	t.Run("another application's table", func(t *testing.T) {
		to := copyTarget(t)
		if _, err := to.raw.Exec(`CREATE TABLE invoices (id int)`); err != nil {
			t.Fatal(err)
		}
		if _, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices}); !errors.Is(err, ErrTargetNotEmpty) ||
			!strings.Contains(err.Error(), "invoices") {
			t.Fatalf("err = %v; want ErrTargetNotEmpty naming invoices", err)
		}
	})
	t.Run("a WhatsApp session there", func(t *testing.T) {
		to := copyTarget(t)
		db, _ := DeviceDB(to.db, Options{})
		defer db.Close()
		pairDeviceOn(t, db)
		if _, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices}); !errors.Is(err, ErrTargetNotEmpty) ||
			!strings.Contains(err.Error(), "whatsmeow_device") {
			t.Fatalf("err = %v; want ErrTargetNotEmpty naming whatsmeow_device", err)
		}
	})
}

// pairDeviceOn saves a paired device with whatsmeow on any handle.
func pairDeviceOn(t *testing.T, db *sql.DB) {
	t.Helper()
	c := sqlstore.NewWithDB(db, DeviceDialect(db), nil)
	if err := c.Upgrade(context.Background()); err != nil {
		t.Fatal(err)
	}
	d := c.NewDevice()
	jid := pairedJID
	d.ID = &jid
	d.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := d.Save(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestStoreCopyInterruptedThenRetried: a copy stopped midway (here its
// context ends while the messages table streams, as a Ctrl-C or a lost
// connection would) commits nothing of ours; the same command then
// succeeds.
func TestStoreCopyInterruptedThenRetried(t *testing.T) {
	sqliteSource(t)
	to := copyTarget(t)
	from := copySourceStore(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	_, err := CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices, Progress: func(table string, done, total int64) {
		if table == "messages" {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the interrupted copy: err = %v; want context.Canceled", err)
	}
	var ours bool
	if err := to.raw.QueryRow(`SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&ours); err != nil || ours {
		t.Fatalf("after the interruption the target has the CIS schema: %v, %v; want nothing committed", ours, err)
	}
	if _, err := CopyToPostgres(context.Background(), from, to.db, CopyOptions{PrepareDevices: copyDevices}); err != nil {
		t.Fatalf("the retry: %v", err)
	}
	if n := to.count(t, `SELECT COUNT(*) FROM whatsmeow_device`); n != 1 {
		t.Errorf("%d devices after the retry; want 1", n)
	}
}

// TestStoreCopyVerificationFailsClosed: a target whose rows differ from
// the source's after the copy (here one value changed before the check,
// as a faulty conversion would) fails the copy and commits nothing.
func TestStoreCopyVerificationFailsClosed(t *testing.T) {
	sqliteSource(t)
	to := copyTarget(t)
	from := copySourceStore(t)
	copyBeforeVerify = func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE contacts SET name = name || ' ' WHERE id = 2`)
		return err
	}
	defer func() { copyBeforeVerify = nil }()
	_, err := CopyToPostgres(context.Background(), from, to.db, CopyOptions{PrepareDevices: copyDevices})
	if !errors.Is(err, ErrCopyMismatch) || !strings.Contains(err.Error(), "contacts") {
		t.Fatalf("err = %v; want ErrCopyMismatch naming contacts", err)
	}
	var ours bool
	if err := to.raw.QueryRow(`SELECT to_regclass('contacts') IS NOT NULL`).Scan(&ours); err != nil || ours {
		t.Fatalf("a failed verification left the tables: %v, %v", ours, err)
	}
	t.Logf("the error reads: %v", err)
}

func TestStoreCopyRefusesWrongSource(t *testing.T) {
	sqliteSource(t)
	ctx := context.Background()
	to := copyTarget(t)
	for _, tc := range []struct {
		name   string
		change string
		want   error
	}{
		{"newer", `INSERT INTO schema_migrations (name, sha256, applied_at) VALUES ('9999_future.sql', 'x', 0)`, ErrNewerSchema},
		{"older", `DELETE FROM schema_migrations WHERE name = (SELECT MAX(name) FROM schema_migrations)`, ErrOlderSchema},
		{"older whatsmeow", `UPDATE whatsmeow_version SET version = version - 1`, ErrOlderSchema},
		{"newer whatsmeow", `UPDATE whatsmeow_version SET version = version + 1`, ErrNewerSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := copySourceStore(t)
			raw, err := sql.Open(driverName, dsn(from, true, Options{}.withDefaults()))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := raw.Exec(tc.change); err != nil {
				t.Fatal(err)
			}
			raw.Close()
			_, err = CopyToPostgres(ctx, from, to.db, CopyOptions{PrepareDevices: copyDevices})
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v; want %v", err, tc.want)
			}
			t.Logf("the error reads: %v", err)
			if n := to.count(t, `SELECT COUNT(*) FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname = 'schema_migrations'`); n != 0 {
				t.Error("a refused copy left the CIS schema on the target")
			}
		})
	}
}

func TestStoreCopyClearErrors(t *testing.T) {
	sqliteSource(t)
	ctx := context.Background()
	from := copySourceStore(t)
	base := pgEngine(t).db
	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"not postgres", from, "mysql://u:secret@h/db", "want a PostgreSQL URL"},
		{"no such database", from, strings.Replace(base, "/postgres?", "/nosuchdb?", 1), "createdb nosuchdb"},
		{"no such server", from, "postgres://cis:secret@/x?host=/nonexistent-dir&connect_timeout=2", "cannot connect to the target"},
		{"no source", filepath.Join(t.TempDir(), "missing.db"), base, "does not exist"},
		{"no such schema", from, base + "&search_path=nosuchschema", "has no schema to write in"},
		{"from PostgreSQL", base, base, "want the SQLite file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CopyToPostgres(ctx, tc.from, tc.to, CopyOptions{PrepareDevices: copyDevices})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v; want it to say %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the password: %v", err)
			}
			t.Logf("the error reads: %v", err)
		})
	}
	t.Run("source in use", func(t *testing.T) {
		lock, err := Lock(from)
		if err != nil {
			t.Fatal(err)
		}
		defer lock.Unlock()
		if _, err := CopyToPostgres(ctx, from, base, CopyOptions{}); !errors.Is(err, ErrInUse) {
			t.Fatalf("err = %v; want ErrInUse while a server holds the file", err)
		}
	})
}

// TestCopyCanonicalForms: the checksum's text of a value is the same from
// SQLite's value (converted for the target) and from PostgreSQL's, and a
// value that does not fit the target's column is refused, not changed.
func TestCopyCanonicalForms(t *testing.T) {
	for _, tc := range []struct {
		kind    colKind
		in      any // as SQLite returns it
		want    string
		refused bool
	}{
		{kindInt, int64(-42), "-42", false},
		{kindInt, "17", "17", false},
		{kindInt, float64(3), "3", false},
		{kindInt, 2.5, "", true},
		{kindInt, "x", "", true},
		{kindFloat, 0.1, "0.1", false},
		{kindFloat, int64(100000000), "1e+08", false},
		{kindBool, int64(1), "t", false},
		{kindBool, int64(2), "", true},
		{kindBytes, []byte{0, 0xff}, "00ff", false},
		{kindText, []byte("Ñandú"), "Ñandú", false},
		{kindText, "a\x00b", "", true},
		{kindText, string([]byte{0xff}), "", true},
		{kindUUID, "0E4C5F0A-1B2C-4D3E-8F90-A1B2C3D4E5F6", "0e4c5f0a-1b2c-4d3e-8f90-a1b2c3d4e5f6", false},
		{kindUUID, "nope", "", true},
	} {
		v, err := toTarget(tc.kind, tc.in)
		if tc.refused != (err != nil) {
			t.Errorf("toTarget(%d, %#v) = %v, %v; refused want %v", tc.kind, tc.in, v, err, tc.refused)
			continue
		}
		if err != nil {
			continue
		}
		got, null, err := canonical(tc.kind, v)
		if err != nil || null || got != tc.want {
			t.Errorf("canonical(%d, %#v) = %q, %v, %v; want %q", tc.kind, tc.in, got, null, err, tc.want)
		}
	}
	a, b, c := newRowSum(), newRowSum(), newRowSum()
	kinds := []colKind{kindText, kindText}
	_ = a.add(kinds, []any{"ab", "c"})
	_ = b.add(kinds, []any{"a", "bc"})
	_ = c.add(kinds, []any{"ab", nil})
	if a.sum() == b.sum() || a.sum() == c.sum() {
		t.Error("rows that differ only in where a value ends, or in a NULL, sum the same")
	}
}

// TestStoreCopyOlderSourceThenUpgraded: a file an older build wrote (its
// last migration missing) is refused with the way out the message names,
// opening it once with this build; after that the copy goes through.
func TestStoreCopyOlderSourceThenUpgraded(t *testing.T) {
	sqliteSource(t)
	ctx := context.Background()
	to := copyTarget(t)
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open(driverName, dsn(path, true, Options{}.withDefaults()))
	if err != nil {
		t.Fatal(err)
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	for _, m := range all[:len(all)-1] {
		if err := applyMigration(ctx, db, m, pgT0); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	_, err = CopyToPostgres(ctx, path, to.db, CopyOptions{PrepareDevices: copyDevices})
	if !errors.Is(err, ErrOlderSchema) || !strings.Contains(err.Error(), all[len(all)-1].name) {
		t.Fatalf("an older file: err = %v; want ErrOlderSchema naming %s", err, all[len(all)-1].name)
	}
	s, err := Open(ctx, path, Options{Existing: true}) // what `cis backup --db FILE …` does first
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := CopyToPostgres(ctx, path, to.db, CopyOptions{PrepareDevices: copyDevices}); err != nil {
		t.Fatalf("the copy after the upgrade: %v", err)
	}
}

// TestStoreCopyTwoAtOnce: two copies into the same empty target at once
// (two operators, a script run twice): one commits, the other is refused
// as a copy over a store, never a mix of both.
func TestStoreCopyTwoAtOnce(t *testing.T) {
	sqliteSource(t)
	to := copyTarget(t)
	a, b := copySourceStore(t), copySourceStore(t)
	errs := make(chan error, 2)
	for _, from := range []string{a, b} {
		go func() {
			_, err := CopyToPostgres(context.Background(), from, to.db, CopyOptions{PrepareDevices: copyDevices})
			errs <- err
		}()
	}
	e1, e2 := <-errs, <-errs
	if (e1 == nil) == (e2 == nil) {
		t.Fatalf("two copies at once: %v and %v; want exactly one to succeed", e1, e2)
	}
	refused := e1
	if refused == nil {
		refused = e2
	}
	if !errors.Is(refused, ErrTargetNotEmpty) {
		t.Errorf("the second copy: %v; want ErrTargetNotEmpty", refused)
	}
	if n := to.count(t, `SELECT COUNT(*) FROM whatsmeow_device`); n != 1 {
		t.Errorf("%d devices on the target; want the one of the copy that committed", n)
	}
}

// TestURLsShownWithoutPassword: a PostgreSQL URL is shown to the operator
// without its password, wherever libpq and pgx accept one (the user part,
// password= and sslpassword= parameters); RedactURL keeps a mark that one
// was given, WithoutPassword (for printed command lines) drops it.
func TestURLsShownWithoutPassword(t *testing.T) {
	for _, tc := range []struct{ in, redacted, without string }{
		{"postgres://cis:s3cr%40t@db:5432/cis", "postgres://cis:xxxxx@db:5432/cis", "postgres://cis@db:5432/cis"},
		{"postgres://cis@db/cis?password=s3cr%40t&sslmode=require", "postgres://cis@db/cis?password=xxxxx&sslmode=require", "postgres://cis@db/cis?sslmode=require"},
		{"postgresql://cis@/cis?host=%2Frun&sslpassword=s3cr%40t", "postgresql://cis@/cis?host=%2Frun&sslpassword=xxxxx", "postgresql://cis@/cis?host=%2Frun"},
		{"postgres://cis@db/cis?search_path=a", "postgres://cis@db/cis?search_path=a", "postgres://cis@db/cis?search_path=a"},
	} {
		if got := RedactURL(tc.in); got != tc.redacted {
			t.Errorf("RedactURL(%s) = %s; want %s", tc.in, got, tc.redacted)
		}
		if got := WithoutPassword(tc.in); got != tc.without {
			t.Errorf("WithoutPassword(%s) = %s; want %s", tc.in, got, tc.without)
		}
	}
}
