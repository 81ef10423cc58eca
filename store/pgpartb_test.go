package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// TestLinkedDeviceTakeoverAndConversionsBothEngines runs, on SQLite and on
// PostgreSQL, the part B paths whose own tests live in bot/ (on SQLite
// only): a prospect from an ad completes a lead on the linked device; the
// conversion events it queues are claimed once, confirmed and put on the
// lead's timeline; the device's phone-seen time only moves forward; the
// replies sent are found by their WhatsApp id and by chat; the chat's
// disappearing-messages setting is kept and replaced; an advisor writing
// from the phone takes the chat over once (a redelivered takeover changes
// nothing), which contacts the lead and cancels queued replies; the chat is
// handed back; the delivery audit counts it all. Each step checks what it
// stored, so a twin that ran but meant something else fails here.
func TestLinkedDeviceTakeoverAndConversionsBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, eng *engine) {
		ctx := context.Background()
		e := newPrivacyEnvAt(t, eng.db, bogota(t, "2026-11-13 09:00"), nil)
		e.s.SetConversionEvents(true)
		const phone, account = "+573001112233", "573009999999"
		ref := &flow.Referral{SourceType: "ad", SourceID: "120", Headline: "SEO", CtwaClid: "clid-1"}
		e.sayWith(t, e.m, phone, ref, completeLead...)
		e.sendAll(t)

		// Conversion events: a hot lead is submitted and qualified.
		pending, err := e.s.PendingMetaEvents(ctx, 10)
		if err != nil || len(pending) != 2 {
			t.Fatalf("pending conversion events = %d, %v; want 2 (submitted, qualified)", len(pending), err)
		}
		lead := pending[0].LeadID
		if pending[0].EventID != fmt.Sprintf("cis-lead-%d-%s", lead, pending[0].Name) || pending[0].CtwaClid != "clid-1" {
			t.Errorf("conversion event = %+v; want event id cis-lead-%d-<name> and the ad's click id", pending[0], lead)
		}
		for i, want := range []bool{true, false} {
			if ok, err := e.s.ClaimMetaEvent(ctx, pending[0].ID); err != nil || ok != want {
				t.Fatalf("claim %d = %v, %v; want %v", i, ok, err, want)
			}
		}
		if err := e.s.ConfirmMetaEvents(ctx, []Sent{{ID: pending[0].ID}}); err != nil {
			t.Fatal(err)
		}
		if err := e.s.FailMetaEvent(ctx, pending[1].ID, "rejected"); err != nil {
			t.Fatal(err)
		}
		evs, err := e.s.MetaEventsOf(ctx, lead)
		if err != nil || len(evs) != 2 || evs[0].Status != "sent" || evs[0].Attempts != 1 || evs[1].Status != "failed" {
			t.Errorf("events of the lead = %+v, %v; want sent (1 attempt), failed", evs, err)
		}
		if n := count(t, e.s, `SELECT count(*) FROM lead_events WHERE lead_id = ? AND kind IN ('meta_event', 'meta_event_failed')`, lead); n != 2 {
			t.Errorf("%d conversion entries on the lead's timeline; want 2", n)
		}

		// The device's phone-seen time only moves forward.
		t1 := bogota(t, "2026-11-13 10:00")
		for _, at := range []time.Time{t1, t1.Add(-time.Hour)} {
			if err := e.s.SetPhoneSeen(ctx, "whatsapp", account, at); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := e.s.PhoneSeen(ctx, "whatsapp", account); err != nil || !got.Equal(t1) {
			t.Errorf("phone seen = %v, %v; want %v (an older report does not move it back)", got, err, t1)
		}

		// Replies sent, by WhatsApp id and by chat.
		var firstID int64
		if err := e.s.rw.QueryRow(`SELECT MIN(id) FROM outbox`).Scan(&firstID); err != nil {
			t.Fatal(err)
		}
		r, found, err := e.s.SentReplyByExtID(ctx, "whatsapp", fmt.Sprintf("sent.%d", firstID))
		if err != nil || !found || r.To != phone || r.Account != account || r.Body == "" {
			t.Errorf("sent reply by id = %+v, %v, %v; want the first reply to %s", r, found, err, phone)
		}
		recent, err := e.s.RecentReplies(ctx, "whatsapp", account, phone, bogota(t, "2026-11-13 09:00"), 3)
		if err != nil || len(recent) != 3 || recent[0].ID <= recent[2].ID {
			t.Errorf("recent replies = %d, %v; want the newest 3, newest first", len(recent), err)
		}

		// Disappearing messages: set, then replaced.
		for _, d := range []time.Duration{24 * time.Hour, 7 * 24 * time.Hour} {
			if err := e.s.SetChatExpiration(ctx, "whatsapp", account, phone, d); err != nil {
				t.Fatal(err)
			}
			if got, err := e.s.ChatExpiration(ctx, "whatsapp", account, phone); err != nil || got != d {
				t.Errorf("chat expiration = %v, %v; want %v", got, err, d)
			}
		}

		// An advisor writes from the phone: the chat is taken over once.
		e.say(t, phone, "una pregunta más") // a reply is queued
		for i, want := range []bool{true, false} {
			tk, err := e.s.TakeOver(ctx, "whatsapp", account, phone, "3EB0ADVISOR", e.clock.now())
			if err != nil || tk.Started != want {
				t.Fatalf("takeover %d = %+v, %v; want started %v", i, tk, err, want)
			}
		}
		if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE status = 'pending'`); n != 0 {
			t.Errorf("%d replies still queued after the takeover; want 0", n)
		}
		if n := count(t, e.s, `SELECT count(*) FROM chat_takeovers WHERE ext_id = '3EB0ADVISOR' AND ended_at IS NULL`); n != 1 {
			t.Errorf("%d open takeovers; want 1", n)
		}
		if ok, err := e.s.HandBack(ctx, "whatsapp", account, phone, "advisor"); err != nil || !ok {
			t.Errorf("hand back = %v, %v; want true", ok, err)
		}

		// The delivery audit counts what happened on the channel.
		a, err := e.s.DeliveryAudit(ctx, "whatsapp")
		if err != nil || a.Inbound != len(completeLead)+1 || a.Unprocessed != 0 || a.Referrals != 1 || a.Outbox["cancelled"] == 0 {
			t.Errorf("delivery audit = %+v, %v; want %d inbound, all processed, 1 referral, the cancelled reply", a, err, len(completeLead)+1)
		}
		convs, completed, err := e.s.Completion(ctx, "whatsapp")
		if err != nil || convs != 1 || completed != 1 {
			// The hand-back restored the status the takeover found: completed.
			t.Errorf("completion = %d, %d, %v; want 1 conversation, completed again", convs, completed, err)
		}
	})
}

// TestTemplatesReengagementAndExclusionsBothEngines runs, on both engines,
// the Cloud API's template paths (their own tests are bot's and the
// dashboard's, on SQLite): a follow-up of a lead is refused while the
// person is on the exclusion list, queued once they are off it (commercial,
// noted on the lead's timeline), and not queued twice; a person who gave
// consent and then stopped writing is found abandoned and re-engaged once.
func TestTemplatesReengagementAndExclusionsBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, eng *engine) {
		ctx := context.Background()
		e := newPrivacyEnvAt(t, eng.db, bogota(t, "2026-11-13 09:00"), nil)
		carlos := CloudIdentity{Phone: "+573001112233", BSUID: "CO.1000000000000001"}
		beatriz := CloudIdentity{Phone: "+573004445566", BSUID: "CO.1000000000000002"}
		e.cloudSay(t, carlos, completeLead...)
		e.sendCloud(t)
		e.cloudSay(t, beatriz, "hola", "sí", "Beatriz Gómez")
		e.sendCloud(t)
		var lead int64
		if err := e.s.rw.QueryRow(`SELECT id FROM leads WHERE name = ?`, "Carlos Andrés Restrepo").Scan(&lead); err != nil {
			t.Fatal(err)
		}
		tpl := TemplateSend{Name: "seguimiento", Language: "es", Category: "MARKETING", Params: []string{"Carlos"}}

		if n, err := e.s.AddExclusions(ctx, []string{carlos.Phone}, "manual", 1); err != nil || n != 1 {
			t.Fatalf("add exclusion = %d, %v; want 1", n, err)
		}
		if ex, err := e.s.Exclusions(ctx, 10); err != nil || len(ex) != 1 || ex[0].Source != "manual" {
			t.Errorf("exclusions = %+v, %v; want the one manual entry", ex, err)
		}
		if _, err := e.s.FollowUpLead(ctx, lead, 1, tpl, "Hola Carlos"); !errors.Is(err, ErrSuppressed) {
			t.Errorf("follow-up of an excluded person: %v; want ErrSuppressed", err)
		}
		if ok, err := e.s.RemoveExclusion(ctx, carlos.Phone, 1); err != nil || !ok {
			t.Fatalf("remove exclusion = %v, %v; want true", ok, err)
		}
		id, err := e.s.FollowUpLead(ctx, lead, 1, tpl, "Hola Carlos")
		if err != nil || id == 0 {
			t.Fatalf("follow-up = %d, %v", id, err)
		}
		if _, err := e.s.FollowUpLead(ctx, lead, 1, tpl, "Hola Carlos"); !errors.Is(err, ErrConflict) {
			t.Errorf("second follow-up while the first waits: %v; want ErrConflict", err)
		}
		if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE id = ? AND commercial = 1 AND key = ? AND template <> ''`, id, FollowUpKey); n != 1 {
			t.Error("the follow-up is not a commercial template row")
		}
		if n := count(t, e.s, `SELECT count(*) FROM lead_events WHERE lead_id = ? AND kind = 'follow_up' AND detail = 'seguimiento'`, lead); n != 1 {
			t.Error("the follow-up is not on the lead's timeline")
		}

		e.clock.advance(3 * time.Hour)
		ab, err := e.s.AbandonedConversations(ctx, time.Hour, 23*time.Hour, 10)
		if err != nil || len(ab) != 1 {
			t.Fatalf("abandoned = %+v, %v; want Beatriz's conversation only", ab, err)
		}
		if n := count(t, e.s, `SELECT count(*) FROM conversations v JOIN contacts c ON c.id = v.contact_id
			WHERE v.id = ? AND c.phone = ?`, ab[0].ConversationID, beatriz.Phone); n != 1 {
			t.Errorf("abandoned conversation %d is not Beatriz's", ab[0].ConversationID)
		}
		for i, want := range []bool{true, false} {
			if ok, err := e.s.Reengage(ctx, ab[0].ConversationID, tpl, "Hola Beatriz"); err != nil || ok != want {
				t.Errorf("re-engage %d = %v, %v; want %v", i, ok, err, want)
			}
		}
		if n := count(t, e.s, `SELECT count(*) FROM outbox WHERE key = ?`, ReengageKey); n != 1 {
			t.Errorf("%d re-engagement rows; want 1 (the second attempt rolled back)", n)
		}
		if ab, err := e.s.AbandonedConversations(ctx, time.Hour, 23*time.Hour, 10); err != nil || len(ab) != 0 {
			t.Errorf("abandoned after re-engaging = %+v, %v; want none", ab, err)
		}
	})
}
