package store

import (
	"context"
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
