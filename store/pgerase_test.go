package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// TestErasedPersonLeavesNoRowVersionOnPostgres is the erasure's check below
// the SQL on PostgreSQL, the counterpart of SQLite's raw-file test
// (TestErasedPersonIsGoneFromTheFiles): every tuple, live or dead, on every
// page of the tables that held the person (the app's and whatsmeow's) is
// read with pageinspect. Before the erasure the person's phone and name are
// in them (the search works); after it, no tuple holds them: the old row
// versions the erasure's UPDATEs and DELETEs left were pruned by the VACUUM
// that follows it (pgerase.go), whether one person is erased or a batch
// (due deletion requests, retention). What this does not cover, by nature, is
// free space not yet overwritten, the WAL and backups: docs/postgres.md.
func TestErasedPersonLeavesNoRowVersionOnPostgres(t *testing.T) {
	const phone = "+573001112233"
	for _, tc := range []struct {
		name  string
		erase func(t *testing.T, e *privacyEnv)
	}{
		{"erased at once (cis privacy delete, admin)", func(t *testing.T, e *privacyEnv) {
			if _, err := e.s.EraseByPhone(context.Background(), phone, EraseRequested, "cli", 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"borrar mis datos (a batch of due requests)", func(t *testing.T, e *privacyEnv) {
			e.say(t, phone, "borrar mis datos")
			e.sendAll(t)
			if n, err := e.s.ProcessDeletionRequests(context.Background(), 10); err != nil || n != 1 {
				t.Fatalf("ProcessDeletionRequests = %d, %v; want 1", n, err)
			}
		}},
		{"retention (a batch of stale people)", func(t *testing.T, e *privacyEnv) {
			e.clock.advance(400 * 24 * time.Hour)
			e.say(t, "+573004445566", "hola") // the other person writes again: kept
			rep, err := e.s.ApplyRetention(context.Background(), Retention{Leads: 365 * 24 * time.Hour})
			if err != nil || rep.People != 1 {
				t.Fatalf("retention = %+v, %v; want 1 person erased", rep, err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { testNoRowVersionLeft(t, phone, tc.erase) })
	}
}

func testNoRowVersionLeft(t *testing.T, phone string, erase func(*testing.T, *privacyEnv)) {
	eng := pgEngine(t)
	super := eng.super(t) // pageinspect reads raw pages: superuser only
	ctx := context.Background()
	// pageinspect ships with Debian's postgresql; one copy per database, in
	// public, because each test's schema is dropped at its end.
	if _, err := super.ExecContext(ctx, `CREATE EXTENSION IF NOT EXISTS pageinspect SCHEMA public`); err != nil {
		t.Fatalf("pageinspect (Debian's postgresql has it): %v", err)
	}
	const (
		user, lid = "573001112233", "98765432109876"
		name      = "Carlos Andrés Restrepo"
	)
	e := newPrivacyEnvAt(t, eng.db, bogota(t, "2026-11-13 09:00"), nil)
	seedWhatsmeow(t, eng.db, user, lid, name)
	e.say(t, phone, completeLead...)
	e.sendAll(t)
	e.say(t, "+573004445566", "hola", "sí", "Beatriz Gómez", "Cali", "1 millón", "este mes", "2")
	e.sendAll(t)
	tables := []string{"contacts", "conversations", "messages", "outbox", "leads", "consent_records",
		"whatsmeow_contacts", "whatsmeow_lid_map", "whatsmeow_sessions", "whatsmeow_retry_buffer"}
	// tuples lists table: n for every table whose tuples (live or dead) hold needle.
	tuples := func(needle string) []string {
		t.Helper()
		var out []string
		for _, tbl := range tables {
			var n int
			err := super.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*)
				FROM generate_series(0, (pg_relation_size('%[1]s') / current_setting('block_size')::int)::int - 1) b,
					public.heap_page_items(public.get_raw_page('%[1]s', b)) h
				WHERE h.t_data IS NOT NULL AND position(convert_to($1, 'UTF8') IN h.t_data) > 0`, tbl), needle).Scan(&n)
			if err != nil {
				t.Fatalf("%s: %v", tbl, err)
			}
			if n > 0 {
				out = append(out, fmt.Sprintf("%s: %d", tbl, n))
			}
		}
		return out
	}
	needles := []string{user, "Restrepo", lid}
	for _, n := range needles {
		if len(tuples(n)) == 0 {
			t.Fatalf("%q is in no tuple before the erasure: the search proves nothing", n)
		}
	}
	erase(t, e)
	for _, n := range needles {
		if hits := tuples(n); len(hits) > 0 {
			t.Errorf("%q is still in row versions after the erasure: %v", n, hits)
		}
	}
	if len(tuples("Gómez")) == 0 {
		t.Error("the other person's name is in no tuple: the search is broken")
	}
}
