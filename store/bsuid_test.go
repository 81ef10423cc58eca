package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

const (
	testBSUID  = "CO.1502576394655843"
	testParent = "CO.ENT.11815799212886844830"
	testUser   = "@carlitos.mde"
)

// cloudSay is privacyEnv.say for a Cloud API person named by who: the
// channel identifies them (IdentifyCloud), then the message is stored and
// stepped under that key.
// completeLeadByUsername is completeLead for a person without a number: the
// flow then asks once, optionally, for a number to call back, and "no"
// declines it.
var completeLeadByUsername = append(slices.Clone(completeLead), "no")

func (e *privacyEnv) cloudSay(tb testing.TB, who CloudIdentity, texts ...string) string {
	tb.Helper()
	ctx := context.Background()
	var key string
	for i, text := range texts {
		if i > 0 {
			e.sendCloud(tb) // read before answering: a consent answer counts once its text was sent (as say)
		}
		var err error
		if key, err = e.s.IdentifyCloud(ctx, who); err != nil {
			tb.Fatal(err)
		}
		e.n++
		e.clock.advance(time.Minute)
		now := e.clock.now()
		in := flow.Inbound{Channel: "cloudapi", Account: "106540352242922", ID: fmt.Sprintf("wamid.c%d", e.n), From: key,
			Kind: flow.KindText, Text: text, At: now, NoPhone: !IsPhoneKey(key)}
		if _, err := e.s.Handle(ctx, in, func(st flow.State) flow.Result { return e.m.Step(st, in, now) }); err != nil {
			tb.Fatal(err)
		}
	}
	return key
}

func (e *privacyEnv) sendCloud(tb testing.TB) int {
	tb.Helper()
	ctx := context.Background()
	out, err := e.s.PendingOutbox(ctx, "cloudapi", 1000)
	if err != nil {
		tb.Fatal(err)
	}
	for _, o := range out {
		if err := e.s.MarkSent(ctx, o.ID, fmt.Sprintf("wamid.out-%d", o.ID)); err != nil {
			tb.Fatal(err)
		}
	}
	return len(out)
}

func contactCount(tb testing.TB, s *Store) int {
	tb.Helper()
	return count(tb, s, `SELECT count(*) FROM contacts WHERE merged_into IS NULL`)
}

// TestIdentifyCloud walks one person through what Cloud API webhooks say
// about them: BSUID alone, a new username, a phone later, a status.
func TestIdentifyCloud(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	who := CloudIdentity{BSUID: testBSUID, ParentBSUID: testParent, Username: testUser}
	key := e.cloudSay(t, who, "hola", "sí")
	if key != BSUIDKey(testBSUID) {
		t.Fatalf("key = %q; want %q", key, BSUIDKey(testBSUID))
	}
	c, err := e.s.ContactByBSUID(ctx, testBSUID)
	if err != nil || c.Key != key || c.ParentBSUID != testParent || c.Username != testUser {
		t.Fatalf("contact = %+v, %v", c, err)
	}
	// The username changes (display only): the same contact shows the new one.
	who.Username = "@carlos.r"
	if k, err := e.s.IdentifyCloud(ctx, who); err != nil || k != key {
		t.Fatalf("identify after a username change = %q, %v", k, err)
	}
	if c2, _ := e.s.ContactByBSUID(ctx, testBSUID); c2.ID != c.ID || c2.Username != "@carlos.r" {
		t.Errorf("after a username change: %+v", c2)
	}
	// A status that shows the phone beside the BSUID: the same contact is now keyed by it.
	if err := e.s.SeenCloud(ctx, CloudIdentity{Phone: "+573005551234", BSUID: testBSUID}); err != nil {
		t.Fatal(err)
	}
	c3, err := e.s.ContactByBSUID(ctx, testBSUID)
	if err != nil || c3.ID != c.ID || c3.Key != "+573005551234" {
		t.Errorf("after the phone: %+v, %v; want contact %d keyed by the phone", c3, err, c.ID)
	}
	if v, err := e.s.Conversation(ctx, "cloudapi", "106540352242922", "+573005551234"); err != nil || v.State.Stage != flow.StageName {
		t.Errorf("the phone's conversation: %v at %s; want the BSUID's, at name", err, v.State.Stage)
	}
	// A status about a BSUID nobody has creates nobody.
	if err := e.s.SeenCloud(ctx, CloudIdentity{BSUID: "CO.999", Username: "@otro"}); err != nil {
		t.Fatal(err)
	}
	if n := contactCount(t, e.s); n != 1 {
		t.Errorf("%d contacts; want 1", n)
	}
}

// TestBSUIDPhoneMerge: the person wrote from their number on the linked
// device and, hiding it, by BSUID on the Cloud API: two contacts until a
// webhook shows both, then one, with both conversations and the lead.
func TestBSUIDPhoneMerge(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	e.say(t, "+573005551234", completeLead...)
	e.cloudSay(t, CloudIdentity{BSUID: testBSUID, Username: testUser}, "hola")
	if n := contactCount(t, e.s); n != 2 {
		t.Fatalf("%d contacts before the link; want 2", n)
	}
	key := e.cloudSay(t, CloudIdentity{Phone: "+573005551234", BSUID: testBSUID}, "sí")
	if key != "+573005551234" || contactCount(t, e.s) != 1 {
		t.Fatalf("key %q, %d contacts; want the phone's, 1", key, contactCount(t, e.s))
	}
	c, err := e.s.ContactByBSUID(ctx, testBSUID)
	if err != nil || c.Username != testUser || c.Name != "Carlos Andrés Restrepo" {
		t.Errorf("merged contact = %+v, %v", c, err)
	}
	if n := count(t, e.s, `SELECT count(*) FROM conversations WHERE contact_id = ?`, c.ID); n != 2 {
		t.Errorf("%d conversations; want the linked device's and the Cloud API's", n)
	}
	// Returning-contact detection sees the earlier lead of the same person.
	if n := count(t, e.s, `SELECT count(*) FROM leads WHERE contact_id = ?`, c.ID); n != 1 {
		t.Errorf("%d leads on the merged contact; want 1", n)
	}
}

// TestMoveBSUID: user_id_update moves the person (same row, nothing
// copied), and an opt-out follows them.
func TestMoveBSUID(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	who := CloudIdentity{BSUID: testBSUID, Username: testUser}
	e.cloudSay(t, who, "hola", "sí", "stop")
	before, err := e.s.ContactByBSUID(ctx, testBSUID)
	if err != nil || !before.OptedOut {
		t.Fatalf("before: %+v, %v; want an opted-out contact", before, err)
	}
	if err := e.s.MoveBSUID(ctx, testBSUID, "CO.8877", "CO.ENT.1"); err != nil {
		t.Fatal(err)
	}
	after, err := e.s.ContactByBSUID(ctx, "CO.8877")
	if err != nil || after.ID != before.ID || after.Key != BSUIDKey("CO.8877") || after.ParentBSUID != "CO.ENT.1" {
		t.Errorf("after: %+v, %v; want contact %d keyed by the new BSUID", after, err, before.ID)
	}
	if _, err := e.s.ContactByBSUID(ctx, testBSUID); !errors.Is(err, ErrNotFound) {
		t.Errorf("old BSUID: %v; want ErrNotFound", err)
	}
	if n := contactCount(t, e.s); n != 1 {
		t.Errorf("%d contacts; want 1 (moved, not copied)", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM suppressions WHERE phone_hash = ?`, e.s.PhoneHash(BSUIDKey("CO.8877"))); n != 1 {
		t.Error("the opt-out did not follow the new BSUID")
	}
	// An update about a BSUID nobody has (never wrote, or erased) changes nothing.
	if err := e.s.MoveBSUID(ctx, "CO.404", "CO.405", ""); err != nil || contactCount(t, e.s) != 1 {
		t.Errorf("unknown move: %v, %d contacts", err, contactCount(t, e.s))
	}
}

// TestDeletionOfUsernamePerson is issue 22's deletion check: a person known
// only by BSUID, parent BSUID and username who asks "borrar mis datos"
// leaves none of them (nor their name) in any column of any table; the
// consent record keeps them as a keyed hash only, and the suppression holds
// when the same BSUID writes again.
func TestDeletionOfUsernamePerson(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-11-13 09:00"), nil)
	who := CloudIdentity{BSUID: testBSUID, ParentBSUID: testParent, Username: testUser}
	other := CloudIdentity{BSUID: "CO.7000000000000001", ParentBSUID: "CO.ENT.7000000000000009", Username: "@beatriz.g"}
	e.cloudSay(t, who, completeLeadByUsername...)
	e.cloudSay(t, other, "hola", "sí", "Beatriz Gómez", "Cali", "1 millón", "este mes", "2", "no")
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO dead_letters (channel, reason, body, received_at) VALUES ('cloudapi', 'bad json', CAST('{"contacts":[{"user_id":"%s"}]' AS BLOB), 0)`, testBSUID),
		fmt.Sprintf(`INSERT INTO dead_letters (channel, reason, body, received_at) VALUES ('cloudapi', 'bad json', CAST('{"profile": {"username": "%s"}' AS BLOB), 0)`, testUser),
	} {
		if _, err := e.s.rw.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	e.sendCloud(t)
	needles := []string{testBSUID, testParent, testUser, "carlitos", "Carlos", "Restrepo"}
	// The raw-file check is SQLite's (its database, WAL and shared-memory
	// files); on PostgreSQL the store has no file of its own, and the rows
	// are what is searched (docs/postgres.md, "Privacy deletion").
	inFiles := func(needle string) []string {
		if e.s.dialect == dialectPostgres {
			return leftovers(t, e.s, needle)
		}
		var where []string
		for f, n := range rawHits(t, e.path, needle) {
			where = append(where, fmt.Sprintf("%s: %d", f, n))
		}
		return where
	}
	for _, needle := range needles {
		if len(inFiles(needle)) == 0 {
			t.Fatalf("%q is not in the files before the erasure: the search proves nothing", needle)
		}
	}
	key := e.cloudSay(t, who, "borrar mis datos")
	e.sendCloud(t)
	if n, err := e.s.ProcessDeletionRequests(ctx, 10); err != nil || n != 1 {
		t.Fatalf("ProcessDeletionRequests = %d, %v; want 1", n, err)
	}
	for _, needle := range needles {
		if hits := leftovers(t, e.s, needle); len(hits) > 0 {
			t.Errorf("%q still found in %v after deletion", needle, hits)
		}
		// The raw-file check of issue 15: not in the database file, its WAL or its shared memory.
		if hits := inFiles(needle); len(hits) > 0 {
			t.Errorf("%q still in the raw bytes after deletion: %v", needle, hits)
		}
	}
	// The residue the law requires: the consent record under the keyed hash, the deletion record,
	// the suppression.
	h := e.s.PhoneHash(key)
	if n := count(t, e.s, `SELECT count(*) FROM consent_records WHERE phone = ? AND accepted = 1`, "hmac:"+h); n != 1 {
		t.Errorf("%d consent records under the hash; want 1", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM data_requests WHERE phone_hash = ? AND kind = 'delete' AND status = 'resolved'`, h); n != 1 {
		t.Errorf("%d deletion records; want 1", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM suppressions WHERE phone_hash = ?`, h); n != 1 {
		t.Errorf("%d suppressions of the BSUID; want 1", n)
	}
	// The other person is untouched.
	for _, needle := range []string{"CO.7000000000000001", "CO.ENT.7000000000000009", "@beatriz.g", "Beatriz Gómez"} {
		if len(leftovers(t, e.s, needle)) == 0 {
			t.Errorf("%q: the other person's data was erased too", needle)
		}
	}
	// The same BSUID writing again meets the suppression: silence.
	e.sendCloud(t)
	e.cloudSay(t, who, "hola")
	if n := e.sendCloud(t); n != 0 {
		t.Errorf("%d replies to an erased person who wrote again; want 0", n)
	}
}

// TestPersonKey resolves what an operator types into a contact key.
func TestPersonKey(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	e.cloudSay(t, CloudIdentity{BSUID: testBSUID, Username: testUser}, "hola")
	tests := []struct{ in, want string }{
		{"+573001112233", "+573001112233"},
		{" " + testBSUID + " ", BSUIDKey(testBSUID)},
		{BSUIDKey(testBSUID), BSUIDKey(testBSUID)},
		{testUser, BSUIDKey(testBSUID)},
		{"CO.404", BSUIDKey("CO.404")}, // nobody: its suppression or requests may still exist
		{"web:abc", "web:abc"},
	}
	for _, tt := range tests {
		if got, err := e.s.PersonKey(ctx, tt.in); err != nil || got != tt.want {
			t.Errorf("PersonKey(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := e.s.PersonKey(ctx, "@nadie"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown username: %v; want ErrNotFound", err)
	}
	x, err := e.s.ExportByPhone(ctx, testUser, 1)
	if err != nil || len(x.Contacts) != 1 || x.Contacts[0].BSUID != testBSUID || x.Contacts[0].Username != testUser {
		t.Errorf("export by username: %+v, %v", x, err)
	}
}

// TestUsernameLeadInRotation: a lead without a number is assigned in turn
// and its advisor notified like any other, and counts in the statistics.
func TestUsernameLeadInRotation(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	if err := e.s.SetAdvisors(ctx, []Advisor{{Name: "ana", Phone: "+573110000000"}, {Name: "beto", Phone: "+573110000001"}}); err != nil {
		t.Fatal(err)
	}
	e.say(t, "+573001112233", completeLead...)
	e.cloudSay(t, CloudIdentity{BSUID: testBSUID, Username: testUser}, completeLeadByUsername...)
	if n := count(t, e.s, `SELECT count(DISTINCT assigned_to) FROM leads WHERE assigned_to IS NOT NULL`); n != 2 {
		t.Errorf("%d advisors got the two leads; want one each", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM lead_notices n JOIN leads l ON l.id = n.lead_id JOIN contacts c ON c.id = l.contact_id
		WHERE c.bsuid = ? AND n.status = 'pending'`, testBSUID); n != 1 {
		t.Errorf("%d notifications for the username lead; want 1", n)
	}
	st, err := e.s.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Leads < 2 {
		t.Errorf("stats count %d leads; want both", st.Leads)
	}
}

// TestMovePhone: Meta's user_changed_number re-keys the person, or merges
// them into the new number's contact when that one already wrote.
func TestMovePhone(t *testing.T) {
	ctx := context.Background()
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	e.say(t, "+573001112233", completeLead...)
	before := count(t, e.s, `SELECT id FROM contacts WHERE phone = '+573001112233'`)
	if err := e.s.MovePhone(ctx, "+573001112233", "+573009998877"); err != nil {
		t.Fatal(err)
	}
	if n := count(t, e.s, `SELECT id FROM contacts WHERE phone = '+573009998877'`); n != before || contactCount(t, e.s) != 1 {
		t.Errorf("after the move the new number is contact %d of %d; want %d of 1", n, contactCount(t, e.s), before)
	}
	e.say(t, "+573005550000", "hola")
	if err := e.s.MovePhone(ctx, "+573009998877", "+573005550000"); err != nil {
		t.Fatal(err)
	}
	if contactCount(t, e.s) != 1 || count(t, e.s, `SELECT count(*) FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE c.phone = '+573005550000'`) != 1 {
		t.Error("moving onto a number that already wrote did not merge the person with their lead")
	}
	if err := e.s.MovePhone(ctx, "+570000000", "+571111111"); err != nil || contactCount(t, e.s) != 1 {
		t.Errorf("moving an unknown number: %v", err)
	}
}

// TestUsernameReturningContact: a person known only by BSUID who leaves a
// second lead is a returning contact, as one known by phone is.
func TestUsernameReturningContact(t *testing.T) {
	e := newPrivacyEnv(t, bogota(t, "2026-03-02 10:00"), nil)
	who := CloudIdentity{BSUID: testBSUID, Username: testUser}
	e.cloudSay(t, who, completeLeadByUsername...)
	e.cloudSay(t, who, "reiniciar", "Carlos Andrés Restrepo", "Medellín", "2 millones", "pa ya", "1", "no")
	if n := count(t, e.s, `SELECT count(*) FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE c.bsuid = ?`, testBSUID); n != 2 {
		t.Fatalf("%d leads; want 2", n)
	}
	if n := count(t, e.s, `SELECT count(*) FROM leads WHERE returning_contact = 1`); n != 1 {
		t.Errorf("%d returning leads; want the second one", n)
	}
}
