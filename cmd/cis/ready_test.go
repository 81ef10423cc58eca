package main

import (
	"context"
	"database/sql"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// TestReadyzDegradedStates wires the real app (store, scorer, linked-device
// channel) behind the dashboard and walks /readyz through the degraded
// states of issue 7: model fallback, channel logged out.
func TestReadyzDegradedStates(t *testing.T) {
	ctx := context.Background()
	c := mustConfig(t, map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db")})
	a, err := open(ctx, c, newLogger(c, io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	web, err := dashboard.New(dashboard.Deps{Store: a.store, Readiness: readiness{a}})
	if err != nil {
		t.Fatal(err)
	}
	readyz := func() (int, string) {
		rec := httptest.NewRecorder()
		web.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		return rec.Code, rec.Body.String()
	}
	expect := func(step string, wantCode int, want ...string) {
		t.Helper()
		code, body := readyz()
		if code != wantCode {
			t.Errorf("%s: /readyz = %d; want %d\n%s", step, code, wantCode, body)
		}
		for _, w := range want {
			if !strings.Contains(body, w) {
				t.Errorf("%s: /readyz body %q lacks %q", step, body, w)
			}
		}
	}
	expect("a new store scores with the rules by design", 200, "ready\n")

	if _, err := a.store.SaveModel(ctx, []byte("not a bundle"), "broken", true); err != nil {
		t.Fatal(err)
	}
	_ = a.scorer.Load(ctx) // what Watch does every --model-poll
	expect("an activated model that does not load", 200, "degraded\n", "model: fallback scorer in use: rules")

	wa, err := bot.NewWhatsApp(a.bot, a.store, bot.WhatsAppConfig{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	a.whatsapp = wa
	wa.HandleEvent(&events.Connected{})
	expect("linked device connected, model still broken", 200, "degraded\n", "model:")
	wa.HandleEvent(&events.LoggedOut{})
	expect("linked device logged out", 200, "degraded\n", "whatsapp: logged_out")
	// F14's other half: another process connected with this session.
	wa.HandleEvent(&events.Connected{})
	wa.HandleEvent(&events.StreamReplaced{})
	expect("session taken by another process", 200, "degraded\n", "whatsapp: replaced: another process connected")
}

// TestF9ReadyzWhileAnotherProcessHoldsTheLock is the /readyz part of
// RELIABILITY F9: while another connection holds the write lock past the
// busy timeout, the running server answers 503, and 200 once it is released.
// On PostgreSQL there is no database-wide write lock: the other connection
// holds a table lock that blocks writes (as an operator's ALTER TABLE or
// LOCK TABLE would) past the probe's lock timeout.
func TestF9ReadyzWhileAnotherProcessHoldsTheLock(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	base := startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"})
	driver, dsn, lock := "sqlite3", "file:"+db+"?_txlock=immediate", ""
	if store.TestsOnPostgres() {
		driver, dsn, lock = "pgx", store.TestDB(db), "LOCK TABLE schema_migrations IN EXCLUSIVE MODE"
	}
	other, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if lock != "" {
		if _, err := tx.Exec(lock); err != nil {
			t.Fatal(err)
		}
	}
	code, body := get(t, base+"/readyz")
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "unavailable\nstore: ") {
		t.Errorf("with the write lock held elsewhere: /readyz = %d %q; want 503 naming the store", code, body)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if code, body := get(t, base+"/readyz"); code != http.StatusOK || !strings.HasPrefix(body, "ready\n") || strings.Contains(body, "store:") {
		t.Errorf("after the lock was released: /readyz = %d %q; want 200 ready", code, body)
	}
}

// TestServeHoldsItsLeasesOnSQLite: on SQLite the one server (its file
// lock) holds every job lease at once: each periodic job runs, and /readyz
// says so; nothing stands by.
func TestServeHoldsItsLeasesOnSQLite(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	base := startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"})
	deadline := time.Now().Add(20 * time.Second)
	var body string
	for time.Now().Before(deadline) {
		_, body = get(t, base+"/readyz")
		if strings.Contains(body, "standby: none") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, want := range []string{"ready\n", "leases (ok): held: ", "job:daily (token 1)", "job:privacy (token 1)", "job:sweeper (token 1)", "; standby: none"} {
		if !strings.Contains(body, want) {
			t.Errorf("/readyz = %q; want it to say %q", body, want)
		}
	}
}
