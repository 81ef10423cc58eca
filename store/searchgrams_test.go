package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// staleGrams counts the rows lead_grams has and should not, and those it
// lacks, against the pieces of every lead's current search key.
func staleGrams(tb testing.TB, s *Store) (extra, missing int) {
	tb.Helper()
	const want = `SELECT g.value, l.id FROM leads l, json_each(search_grams(l.search)) g`
	extra = count(tb, s, `SELECT COUNT(*) FROM (SELECT gram, lead_id FROM lead_grams EXCEPT `+want+`)`)
	missing = count(tb, s, `SELECT COUNT(*) FROM (`+want+` EXCEPT SELECT gram, lead_id FROM lead_grams)`)
	return extra, missing
}

// TestSearchGramsStayExact: lead_grams holds exactly the pieces of every
// lead's key after inserts, a name, city and phone change, an erasure and
// a deletion; the erased person's name is in no piece and no search.
func TestSearchGramsStayExact(t *testing.T) {
	sqliteOnly(t, "SQLite's three-letter index of the queue's search (lead_grams); PostgreSQL searches the key with strpos (TestQueueSearchBothEngines)")
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st := searchStore(t, now)
	ctx := context.Background()
	rareOnly := func(string) []string { return nil } // no word names a service: the pieces decide
	find := func(q string) []string {
		t.Helper()
		rows, err := st.Queue(ctx, LeadFilter{Search: q, ServiceMatch: rareOnly, Status: "all"})
		if err != nil {
			t.Fatal(err)
		}
		got := names(rows)
		slices.Sort(got)
		return got
	}
	steps := []struct {
		what, sql string
		q         string
		want      []string
	}{
		{"inserted", ``, "lucia", []string{"Ana Lucía"}},
		{"name changed", `UPDATE leads SET name = 'Ana Zoraida' WHERE name = 'Ana Lucía'`, "zoraida", []string{"Ana Zoraida"}},
		{"old name gone", ``, "lucia", nil},
		{"city changed", `UPDATE leads SET city_name = 'Quibdó', department = 'Chocó' WHERE name = 'Jose'`, "quibdo", []string{"Jose"}},
		{"old city gone", ``, "medellin", []string{"María José Peña"}},
		{"phone changed", `UPDATE contacts SET phone = '+573119998877' WHERE id = (SELECT contact_id FROM leads WHERE name = 'Jose')`, "3119998877", []string{"Jose"}},
		{"old phone gone", ``, "5500000003", nil},
		{"lead deleted", `DELETE FROM lead_events; DELETE FROM customers; DELETE FROM leads WHERE name = 'Jose'`, "quibdo", nil},
	}
	for _, s := range steps {
		if s.sql != "" {
			if _, err := st.rw.ExecContext(ctx, s.sql); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
		}
		if extra, missing := staleGrams(t, st); extra != 0 || missing != 0 {
			t.Errorf("%s: lead_grams has %d stale and lacks %d pieces", s.what, extra, missing)
		}
		if got := find(s.q); !slices.Equal(got, s.want) {
			t.Errorf("%s: search %q = %q; want %q", s.what, s.q, got, s.want)
		}
	}

	// Ley 1581: once erased, no piece of the lead's name remains for it.
	var id int64
	if err := st.ro.QueryRow(`SELECT id FROM leads WHERE name = 'María José Peña'`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if _, err := st.EraseByPhone(ctx, "+573005500000000", EraseRequested, "admin", 0); err != nil {
		t.Fatal(err)
	}
	if extra, missing := staleGrams(t, st); extra != 0 || missing != 0 {
		t.Errorf("erased: lead_grams has %d stale and lacks %d pieces", extra, missing)
	}
	for _, g := range []string{"mar", "ari", "ria", "pen", "ena", "jos"} {
		if n := count(t, st, `SELECT COUNT(*) FROM lead_grams WHERE lead_id = ? AND gram = ?`, id, g); n != 0 {
			t.Errorf("erased lead %d still indexed by the piece %q of its name", id, g)
		}
	}
	for _, q := range []string{"maria", "pena", "5500000000"} {
		if got := find(q); len(got) != 0 {
			t.Errorf("search %q after erasure finds %q", q, got)
		}
	}
}

// TestSearchByPiecesFindsWhatTheScanFinds: on a store where some pieces
// are rare and others are in more than gramCap leads, every search lists
// the same leads, in the same order, and counts the same, whether the
// queue reads the rarest piece's leads or tests every lead's key.
func TestSearchByPiecesFindsWhatTheScanFinds(t *testing.T) {
	sqliteOnly(t, "SQLite's three-letter index of the queue's search (lead_grams); PostgreSQL searches the key with strpos (TestQueueSearchBothEngines)")
	now := time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
	st, ctx := bigSearchStore(t, now, gramCap+500)
	sameAsScan(t, st, ctx, now, []string{"prospecto 1234", "prospecto 99", "2499", "24", "9", "medellin 7", "cali 12", "zz", "a",
		"an", "ñ", "x", "medellín", "lucia", "prospecto", "5500000004", "+57 300 5500000001", "o 1", "antioquia"})

	// Every word common: six cities in turn make each city's pieces common
	// (in gramCap leads or more). "medellin cali" never meet, until a few
	// Medellín leads get "Cali" in their names; "medellin prospecto" meet
	// in every Medellín lead (the walk); a third word, a short one, an
	// accented one and a word that names a service all keep their meaning.
	st, ctx = bigSearchStore(t, now, 6*gramCap+600)
	common := []string{"medellin cali", "cali medellin", "MEDELLÍN Cali", "medellin prospecto", "bogota antioquia",
		"medellin cali antioquia", "medellin cali 7", "pereira bucaramanga", "prospecto antioquia"}
	sameAsScan(t, st, ctx, now, common)
	for q, want := range map[string]string{"medellin cali": "json_each", "medellin cali antioquia": "json_each",
		"medellin prospecto": "leads l", "prospecto antioquia": "leads l", "medellin": "leads l"} {
		qq, err := st.searchWhere(ctx, searchWords(q), func(string) []string { return nil })
		if err != nil || !strings.HasPrefix(qq.from, want) {
			t.Errorf("search %q reads %q, %v; want %s", q, qq.from, err, want)
		}
	}
	if _, err := st.rw.ExecContext(ctx, `UPDATE leads SET name = 'Cali ' || name WHERE city_name = 'Medellín' AND id % 97 = 0`); err != nil {
		t.Fatal(err)
	}
	st.common = pieceMemo{} // what was found a moment ago only picks the route: forget it too
	sameAsScan(t, st, ctx, now, common)
	if n := len(queueIDs(t, st, ctx, LeadFilter{Search: "medellin cali", Status: "all"})); n == 0 || n >= gramCap {
		t.Errorf("medellin cali after the renames: %d leads; want a few", n)
	}
}

// sameAsScan checks that each search lists the same leads, in the same
// order, and counts the same, by pieces as by testing every lead's key,
// with four filters: due, overdue, every status, a class's later page.
func sameAsScan(t *testing.T, st *Store, ctx context.Context, now time.Time, queries []string) {
	t.Helper()
	scan := func(w string) []string { return []string{"\x00" + w} } // a service key no lead has: never the pieces
	pieces := func(string) []string { return nil }
	for _, q := range queries {
		for _, f := range []LeadFilter{{Due: "due", Now: now}, {Due: "overdue", Now: now}, {Status: "all"}, {Class: "hot", Limit: 7, Offset: 3}} {
			f.Search = q
			f.ServiceMatch = scan
			want := queueIDs(t, st, ctx, f)
			wantN, _ := st.QueueCount(ctx, f, 1000)
			f.ServiceMatch = pieces
			got := queueIDs(t, st, ctx, f)
			gotN, _ := st.QueueCount(ctx, f, 1000)
			if !slices.Equal(got, want) || gotN != wantN {
				t.Errorf("search %q %+v: by pieces %d leads %v (count %d); by scan %d leads %v (count %d)",
					q, f, len(got), got, gotN, len(want), want, wantN)
			}
		}
	}
}

// queueIDs are the ids of the leads Queue lists for f, in order.
func queueIDs(t *testing.T, st *Store, ctx context.Context, f LeadFilter) []int64 {
	t.Helper()
	if f.ServiceMatch == nil {
		f.ServiceMatch = func(string) []string { return nil }
	}
	rows, err := st.Queue(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids
}

// bigSearchStore is searchStore with n synthetic leads besides: enough
// for the pieces they share to be common (in gramCap leads or more).
func bigSearchStore(t *testing.T, now time.Time, n int) (*Store, context.Context) {
	t.Helper()
	st, ctx := searchStore(t, now), context.Background()
	if err := st.InsertSyntheticLeads(ctx, n, now.Add(-12*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return st, ctx
}

// TestRarestRange: a rare word's piece bounds the leads; a word whose
// every piece is in gramCap leads or more is left to the scan.
func TestRarestRange(t *testing.T) {
	sqliteOnly(t, "SQLite's three-letter index of the queue's search (lead_grams); PostgreSQL searches the key with strpos (TestQueueSearchBothEngines)")
	st, ctx := bigSearchStore(t, time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC), gramCap+10)
	for _, c := range []struct {
		word string
		want *gramRange
	}{
		{"lucia", &gramRange{"cia", "cia"}}, // "cia", "luc", "uci": one lead each; the first in order wins
		{"prospecto", nil},                  // in every synthetic lead
		{"qz", &gramRange{"qz", "qz\xff"}},  // no lead: the empty range
	} {
		got, err := st.rarestRange(ctx, wordRanges(c.word))
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (c.want == nil) || got != nil && *got != *c.want {
			t.Errorf("rarest range of %q = %v; want %v", c.word, got, c.want)
		}
	}
	// The common pieces are remembered (not counted again); the rare ones are not.
	if left := st.common.drop(wordRanges("prospecto")); len(left) != 0 {
		t.Errorf("common pieces counted again: %v", left)
	}
	if left := st.common.drop(wordRanges("lucia")); len(left) != 3 {
		t.Errorf("rare pieces remembered as common: %v left of 3", left)
	}
}

// TestMigration0150IndexesExistingLeads: a store from before 0150 gets
// every lead's pieces, and its rare searches find them.
func TestMigration0150IndexesExistingLeads(t *testing.T) {
	sqliteOnly(t, "a SQLite migration older than PostgreSQL's baseline (0160)")
	ctx := context.Background()
	s := upgradedStore(t, "0150", `
	INSERT INTO accounts (id, channel, address, created_at) VALUES (1, 'whatsapp', '573009990000', 0);
	INSERT INTO contacts (id, phone, created_at) VALUES (1, '+573001110001', 0), (2, '+573001110002', 0);
	INSERT INTO conversations (id, account_id, contact_id, status, step, state, state_version, started_at, updated_at) VALUES
		(1, 1, 1, 'completed', 'done', '{}', 1, 0, 0), (2, 1, 2, 'completed', 'done', '{}', 1, 0, 0);
	INSERT INTO leads (id, conversation_id, contact_id, account_id, name, city_name, urgency, service, class, probability, model,
		started_at, completed_at, deadline_at, created_at) VALUES
		(1, 1, 1, 1, 'Ñoño Güell', 'Cúcuta', 'immediate', 'seo', 'hot', 0.8, 'rules', 0, 0, 0, 0),
		(2, 2, 2, 1, 'Beto', 'Pasto', 'immediate', 'seo', 'hot', 0.8, 'rules', 0, 0, 0, 0);`)
	if extra, missing := staleGrams(t, s); extra != 0 || missing != 0 || count(t, s, `SELECT COUNT(*) FROM lead_grams`) == 0 {
		t.Errorf("after 0150: lead_grams has %d stale and lacks %d pieces", extra, missing)
	}
	for q, want := range map[string]string{"guell": "Ñoño Güell", "pasto": "Beto", "1110002": "Beto"} {
		rows, err := s.Queue(ctx, LeadFilter{Search: q, ServiceMatch: func(string) []string { return nil }})
		if err != nil || len(rows) != 1 || rows[0].Name != want {
			t.Errorf("search %q after 0150 = %q, %v; want %q", q, names(rows), err, want)
		}
	}
}

// TestSearchGrams: the pieces of a key, padded so that a short word starts one.
func TestSearchGrams(t *testing.T) {
	for _, c := range []struct {
		key  string
		want []string
	}{
		{"", nil},
		{"a", []string{"a  "}},
		{"ñu", []string{"u  ", "ñu "}},
		{"abab", []string{"ab ", "aba", "b  ", "bab"}},
	} {
		if got := searchGrams(c.key); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("searchGrams(%q) = %q; want %q", c.key, got, c.want)
		}
	}
}

// upgradedStore is a store an older build left, opened by this one: the
// migrations before the one named first applied, then legacy run (the
// older build's data), then Open, which applies the rest.
func upgradedStore(t *testing.T, first, legacy string) *Store {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "cis.db")
	db, err := sql.Open(driverName, dsn(path, true, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, createMigrationsTable); err != nil {
		t.Fatal(err)
	}
	all, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if m.name >= first {
			break
		}
		if err := applyMigration(ctx, db, m, t0); err != nil {
			t.Fatalf("%s: %v", m.name, err)
		}
	}
	if _, err := db.ExecContext(ctx, legacy); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s, err := Open(ctx, path, Options{Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
