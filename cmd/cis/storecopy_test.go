package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
	"go.mau.fi/whatsmeow/proto/waAdv"
	"go.mau.fi/whatsmeow/store/sqlstore"
	"go.mau.fi/whatsmeow/types"

	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

var _ = stdlib.GetDefaultDriver // registers "pgx"

// pgSchema makes an empty schema of its own in the CIS_TEST_PG cluster and
// returns its URL and a plain handle on it.
func pgSchema(t *testing.T) (string, *sql.DB) {
	t.Helper()
	base := store.TestCluster(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "c_" + hex.EncodeToString(b)
	// A role of its own: whatsmeow's upgrade must not see another
	// schema's tables (store.TestSchema).
	url, err := store.TestSchema(base, schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.DropTestSchema(base, schema) })
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return url, raw
}

// TestStoreCopyDemo moves the store `cis serve --demo` seeds, plus a paired
// WhatsApp device, to PostgreSQL with `cis store copy`, as an operator
// would: progress on stderr, a report on stdout, the copy opening as a
// store that reads like the source and holds the session.
func TestStoreCopyDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo")
	}
	// The copy's source is a SQLite file by definition (--from FILE.db);
	// under CIS_TEST_PG_ALL the demo's store would be PostgreSQL and the
	// file empty. The ordinary run copies the file to PostgreSQL already.
	sqliteOnly(t, "cis store copy reads a SQLite file; the SQLite run copies it to PostgreSQL")
	url, raw := pgSchema(t)
	d := startDemo(t, nil)
	d.waitReady(t)
	d.stop(t)
	file := d.env["CIS_DB"]
	pairOn(t, file)
	var out, errOut bytes.Buffer
	start := time.Now()
	err := run(context.Background(), []string{"store", "copy", "--from", file, "--to", url}, envOf(nil), strings.NewReader(""), &out, &errOut)
	if err != nil {
		t.Fatalf("cis store copy: %v\n%s", err, tail(errOut.String(), 20))
	}
	t.Logf("copied in %s (load %s):\n%s", time.Since(start).Round(time.Millisecond), loadavg(), out.String())
	if !regexp.MustCompile(`copied .* \d+ tables, \d+ rows; row counts and checksums match`).MatchString(out.String()) {
		t.Errorf("the report lacks the verification: %q", out.String())
	}
	for _, table := range []string{"leads", "history_leads", "whatsmeow_device"} {
		if !strings.Contains(errOut.String(), "copy "+table) {
			t.Errorf("no progress for %s on stderr", table)
		}
	}
	src, err := store.Open(context.Background(), file, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := store.Open(context.Background(), url, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	ctx := context.Background()
	for _, f := range []store.LeadFilter{{}, {Class: "hot"}} {
		a, errA := src.Queue(ctx, f)
		b, errB := dst.Queue(ctx, f)
		if errA != nil || errB != nil || len(a) < 5 || fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("queue %+v: demo %d leads (%v), copy %d (%v); want the same", f, len(a), errA, len(b), errB)
		}
	}
	for _, q := range []string{`SELECT COUNT(*) FROM history_leads`, `SELECT COUNT(*) FROM customers`, `SELECT COUNT(*) FROM models`,
		`SELECT COUNT(*) FROM whatsmeow_device`, `SELECT COUNT(*) FROM whatsmeow_pre_keys`} {
		var n int
		if err := raw.QueryRow(q).Scan(&n); err != nil || n == 0 {
			t.Errorf("%s on the copy: %d, %v; want rows", q, n, err)
		}
	}
	// A second copy over it is refused, the copy untouched.
	err = run(ctx, []string{"store", "copy", "--from", file, "--to", url}, envOf(nil), strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a copy over the copy: %v; want a refusal", err)
	}
}

// stop ends serve and waits for it (its store file lock released); the
// test's cleanup still finds it stopped.
func (d *demoServer) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case err := <-d.done:
		d.done <- err
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
}

// pairOn saves a paired device, with pre-keys, in the file's device store.
func pairOn(t *testing.T, file string) {
	t.Helper()
	ctx := context.Background()
	db, err := store.DeviceDB(file, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	c := sqlstore.NewWithDB(db, "sqlite3", nil)
	if err := c.Upgrade(ctx); err != nil {
		t.Fatal(err)
	}
	dev := c.NewDevice()
	jid := types.JID{User: "573009998877", Server: types.DefaultUserServer, Device: 2}
	dev.ID = &jid
	dev.Account = &waAdv.ADVSignedDeviceIdentity{Details: []byte{1}, AccountSignature: make([]byte, 64),
		AccountSignatureKey: make([]byte, 32), DeviceSignature: make([]byte, 64)}
	if err := dev.Save(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := dev.PreKeys.GetOrGenPreKeys(ctx, 10); err != nil {
		t.Fatal(err)
	}
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// TestBackupOnPostgresExplainsPgDump: `cis backup` and `cis restore` on a
// PostgreSQL store answer with pg_dump's and pg_restore's commands, and
// those commands, run as printed, back the store up and restore it into a
// new database that opens as the same store.
func TestBackupOnPostgresExplainsPgDump(t *testing.T) {
	url, raw := pgSchema(t)
	ctx := context.Background()
	// The store made on PostgreSQL directly, not copied from a file: under
	// CIS_TEST_PG_ALL a test's file is a PostgreSQL schema too.
	st, err := store.Open(ctx, url, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InsertSyntheticLeads(ctx, 50, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for _, cmd := range []string{"backup", "restore"} {
		_, err := runCmd(t, map[string]string{"CIS_DB": url}, "", cmd, "x.db")
		if err == nil || !strings.Contains(err.Error(), "pg_dump --format=custom") || !strings.Contains(err.Error(), "pg_restore --no-owner") {
			t.Errorf("cis %s on PostgreSQL: %v; want the pg_dump and pg_restore commands", cmd, err)
		}
	}
	if _, err := exec.LookPath("pg_dump"); err != nil {
		if os.Getenv("CIS_TEST_PG_REQUIRED") != "" {
			t.Fatal("pg_dump is not installed (Debian's postgresql-client)")
		}
		t.Skip("pg_dump not installed")
	}
	dir := t.TempDir()
	newDB := "cis_restored_" + strings.TrimPrefix(regexp.MustCompile(`c_[0-9a-f]+`).FindString(url), "c_")
	c := pgDumpCommands(url, filepath.Join(dir, "cis.dump"), newDB)
	t.Cleanup(func() {
		if admin, err := sql.Open("pgx", store.TestCluster(t)); err == nil {
			_, _ = admin.Exec("DROP DATABASE IF EXISTS " + newDB)
			admin.Close()
		}
	})
	for _, argv := range [][]string{c.dump, c.list, c.create, c.restore} {
		cmd := exec.Command(argv[0], argv[1:]...) // #nosec G204 -- the test's own commands
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", shellJoin(argv), err, out)
		}
	}
	back, err := store.Open(ctx, c.restoredURL, store.Options{Existing: true})
	if err != nil {
		t.Fatalf("the restored store at %s: %v", c.restoredURL, err)
	}
	defer back.Close()
	var want int
	_ = raw.QueryRow(`SELECT COUNT(*) FROM leads`).Scan(&want)
	got, err := back.QueueCount(ctx, store.LeadFilter{}, 10_000)
	if err != nil || got != want || want != 50 {
		t.Errorf("restored queue: %d leads (%v); the store had %d", got, err, want)
	}
}

// TestHealthAndReadinessOnPostgres: /healthz stays 200 whatever the
// database does (a liveness probe must not restart a process because the
// database is away), while /readyz answers 503 when the store cannot take
// a write on PostgreSQL (a lock held past the probe's patience, a
// read-only database as after a failover to a standby, connections
// refused) and 200 again once it can.
func TestHealthAndReadinessOnPostgres(t *testing.T) {
	base := store.TestCluster(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "cis_ready_" + strings.ToLower(rand.Text()[:8])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)") })
	url := regexp.MustCompile(`/postgres(\?|$)`).ReplaceAllString(base, "/"+name+"$1")
	c := mustConfig(t, map[string]string{"CIS_DB": url})
	a, err := open(context.Background(), c, newLogger(c, io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	web, err := dashboard.New(dashboard.Deps{Store: a.store, Readiness: readiness{a}})
	if err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		rec := httptest.NewRecorder()
		web.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec.Code, rec.Body.String()
	}
	expect := func(step string, wantCode int, storeFails bool) {
		t.Helper()
		if code, body := get("/healthz"); code != 200 {
			t.Errorf("%s: /healthz = %d %q; want 200", step, code, body)
		}
		code, body := get("/readyz")
		if code != wantCode || strings.Contains(body, "store:") != storeFails {
			t.Errorf("%s: /readyz = %d %q; want %d, store failing %v", step, code, body, wantCode, storeFails)
		}
	}
	expect("a new store on PostgreSQL", 200, false)
	if _, body := get("/readyz"); body != "ready\n" {
		t.Errorf("a new store on PostgreSQL: /readyz says %q; want ready (the store, the model, no failed job)", body)
	}

	lock, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	tx, err := lock.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE schema_migrations IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	expect("another session holds the table the probe writes", 503, true)
	_ = tx.Rollback()
	expect("the lock released", 200, false)

	terminate := func() {
		t.Helper()
		if _, err := admin.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, name); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ step, on, off string }{
		{"the database read-only, as a standby after a failover",
			"ALTER DATABASE " + name + " SET default_transaction_read_only = on", "ALTER DATABASE " + name + " RESET default_transaction_read_only"},
		{"the database refuses connections",
			"ALTER DATABASE " + name + " ALLOW_CONNECTIONS false", "ALTER DATABASE " + name + " ALLOW_CONNECTIONS true"},
	} {
		if _, err := admin.Exec(tc.on); err != nil {
			t.Fatal(err)
		}
		terminate()
		get("/readyz") // the first probe may meet a connection the server just closed
		expect(tc.step, 503, true)
		if _, err := admin.Exec(tc.off); err != nil {
			t.Fatal(err)
		}
		terminate()
		get("/readyz")
		expect(tc.step+", then back", 200, false)
	}
}

// TestStoreCopyKilledThenRetried runs the real binary, kills it with
// SIGKILL while it streams rows, and checks what the operator is told: the
// target holds nothing of the store (whatsmeow's empty tables at most),
// the source is unchanged and unlocked, and the same command then copies.
func TestStoreCopyKilledThenRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	sqliteOnly(t, "cis store copy reads a SQLite file; the SQLite run copies it to PostgreSQL")
	url, raw := pgSchema(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "cis")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	file := filepath.Join(dir, "cis.db")
	st, err := store.Open(context.Background(), file, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.InsertSyntheticLeads(context.Background(), 25_000, time.Now()); err != nil {
		t.Fatal(err)
	}
	st.Close()
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "store", "copy", "--from", file, "--to", url) // #nosec G204 -- the test's own binary
	stderr, _ := cmd.StderrPipe()
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill as soon as the contacts stream past their first 5,000 rows.
	buf := make([]byte, 4096)
	var seen strings.Builder
	for !strings.Contains(seen.String(), "copy contacts") || !strings.Contains(seen.String(), "5000 rows") {
		n, err := stderr.Read(buf)
		if err != nil {
			t.Fatalf("the copy ended before the kill: %v\n%s\n%s", err, seen.String(), stdout.String())
		}
		seen.Write(buf[:n])
	}
	_ = cmd.Process.Kill()
	_ = cmd.Wait()
	if strings.Contains(stdout.String(), "copied") {
		t.Fatalf("the copy finished before the kill: %s", stdout.String())
	}
	var ours int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'whatsmeow%'`).Scan(&ours); err != nil || ours != 0 {
		t.Fatalf("after the kill the target holds %d tables of the store (%v); want none", ours, err)
	}
	after, _ := os.ReadFile(file)
	if !bytes.Equal(before, after) {
		t.Error("the killed copy changed the source file")
	}
	out, err := runCmd(t, nil, "", "store", "copy", "--from", file, "--to", url)
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}
	var leads int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM leads`).Scan(&leads); err != nil || leads != 25_000 {
		t.Errorf("after the retry: %d leads (%v); want 25000\n%s", leads, err, out)
	}
}
