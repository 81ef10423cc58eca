package store

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// rawHits counts needle in the bytes of the database file, its WAL and its
// shared-memory file: what `strings` or a disk image would show, whatever
// the SQL says.
func rawHits(tb testing.TB, path string, needle string) map[string]int {
	tb.Helper()
	hits := map[string]int{}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		b, err := os.ReadFile(path + suffix)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			tb.Fatal(err)
		}
		if n := bytes.Count(b, []byte(needle)); n > 0 {
			hits["file"+suffix] = n
		}
	}
	return hits
}

// TestErasedPersonIsGoneFromTheFiles is issue 15's deletion check at the
// level of the bytes on disk: a person completes a lead, writes their e-mail,
// an advisor notes their name, phone and e-mail, whatsmeow keeps their
// contact; after "borrar mis datos" is carried out, neither the database
// file nor its WAL nor its shared-memory file holds their name, phone,
// e-mail, LID or the note's text, while the store is running and after a
// clean stop. Another person's data is still in the file (the search
// works), and before the erasure every needle was found (it can fail).
func TestErasedPersonIsGoneFromTheFiles(t *testing.T) {
	sqliteOnly(t, "the bytes of SQLite's database, WAL and shared-memory files")
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	const (
		phone, user, lid = "+573001112233", "573001112233", "98765432109876"
		name, email      = "Carlos Andrés Restrepo", "carlos.restrepo@correo.example"
		note             = "Prefiere que lo llamen en la tarde, tiene dos locales"
		otherName        = "Beatriz Gómez"
	)
	seedWhatsmeow(t, e.path, user, lid, name)
	e.say(t, phone, completeLead...)
	e.sendAll(t)
	e.say(t, phone, "mi correo es "+email)
	e.say(t, "+573004445566", "hola", "sí", otherName, "Cali", "1 millón", "este mes", "2")
	e.sendAll(t)
	var leadID int64
	if err := e.s.rw.QueryRow(`SELECT id FROM leads WHERE name = ?`, name).Scan(&leadID); err != nil {
		t.Fatal(err)
	}
	if err := e.s.ActOnLead(ctx, leadID, LeadAction{Kind: "note", ByUser: 1,
		Detail: fmt.Sprintf("%s (%s, %s). %s", name, phone, email, note)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.rw.Exec(`INSERT INTO customers (ext_key, lead_id, name, extra, started_at, created_at) VALUES (?, ?, ?, ?, 0, 0)`,
		fmt.Sprintf("lead:%d", leadID), leadID, name, `{"correo":"`+email+`"}`); err != nil {
		t.Fatal(err)
	}
	needles := []string{"Restrepo", user[2:], email, note, lid}
	for _, n := range needles {
		if len(rawHits(t, e.path, n)) == 0 {
			t.Fatalf("%q is not in the files before the erasure: the search proves nothing", n)
		}
	}

	e.say(t, phone, "borrar mis datos")
	e.sendAll(t) // the confirmation leaves
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ProcessDeletionRequests = %d, %v; want 1", n, err)
	}
	// The store goes on working after the erasure: later writes reuse the freed pages.
	e.clock.advance(time.Minute)
	e.say(t, "+573007778899", "hola")

	check := func(when string) {
		t.Helper()
		for _, n := range needles {
			if hits := rawHits(t, e.path, n); len(hits) > 0 {
				t.Errorf("%s: %q is still in the raw bytes: %v", when, n, hits)
			}
		}
		if len(rawHits(t, e.path, "Gómez")) == 0 {
			t.Errorf("%s: the other person's name is not in the files: the search is broken", when)
		}
	}
	check("while running")
	if err := e.s.Close(); err != nil {
		t.Fatal(err)
	}
	check("after a clean stop")
}
