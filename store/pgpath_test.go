package store

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// The message path on both engines (issue 16, first slice): a whole
// conversation as a prospect writes it becomes a lead, with its replies
// claimed and confirmed as bot/send.go does; redelivery, failure, opt-out
// and withdrawn replies; outbox claims and one person's messages across
// two servers on one database.

type pgFixedScorer flow.Class

func (f pgFixedScorer) Score(flow.Lead) flow.Score {
	return flow.Score{Class: flow.Class(f), Probability: 0.71, Model: "fixed"}
}

// pgClock is a settable clock shared by a test's stores.
type pgClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *pgClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *pgClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// sendAll claims, hands over and confirms every due reply of channel the
// way the sender does (claim the next, record the previous in the same
// commit), and returns their keys.
func sendAll(tb testing.TB, s *Store, channel string) []string {
	tb.Helper()
	ctx := context.Background()
	out, err := s.PendingOutbox(ctx, channel, 100)
	if err != nil {
		tb.Fatal(err)
	}
	var done []Sent
	var keys []string
	for _, o := range out {
		ok, err := s.ClaimNext(ctx, done, o.ID)
		if err != nil || !ok {
			tb.Fatalf("claim %d: %v, %v", o.ID, ok, err)
		}
		done = []Sent{{ID: o.ID, ExtID: fmt.Sprintf("out.%d", o.ID)}}
		keys = append(keys, o.Key)
	}
	if err := s.MarkSentMany(ctx, done); err != nil {
		tb.Fatal(err)
	}
	return keys
}

func TestConversationBecomesLeadBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
		if err != nil {
			t.Fatal(err)
		}
		msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
		var sent []string
		for i, text := range msgs {
			clock.Add(time.Minute)
			in := flow.Inbound{Channel: "chat", Account: "acct", ID: fmt.Sprintf("w%d", i), From: "+573001112233",
				Kind: flow.KindText, Text: text, At: clock.Now()}
			handled, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) })
			if err != nil || !handled {
				t.Fatalf("message %d %q: handled=%v err=%v", i, text, handled, err)
			}
			sent = append(sent, sendAll(t, s, "chat")...)
		}
		v, err := s.Conversation(ctx, "chat", "acct", "+573001112233")
		if err != nil {
			t.Fatal(err)
		}
		if v.State.Status != flow.Completed {
			t.Fatalf("conversation %s at %s after %v; want completed", v.State.Status, v.State.Stage, sent)
		}
		rows, err := s.Queue(ctx, LeadFilter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].Class != string(flow.Hot) || rows[0].City != "Medellín" || rows[0].Phone != "+573001112233" ||
			!rows[0].DeadlineAt.Equal(clock.Now().Add(25*time.Minute)) {
			t.Fatalf("queue = %+v; want the one hot lead from Medellín, due in 25 minutes", rows)
		}
		if hot, err := s.Queue(ctx, LeadFilter{Class: "hot", AdvisorID: -1}); err != nil || len(hot) != 1 {
			t.Errorf("queue filtered by class, unassigned: %d rows, %v; want 1", len(hot), err)
		}
		if cold, err := s.Queue(ctx, LeadFilter{Class: "cold"}); err != nil || len(cold) != 0 {
			t.Errorf("queue of cold leads: %d rows, %v; want 0", len(cold), err)
		}
		counts, err := s.LeadCounts(ctx)
		if err != nil || counts["open"]["hot"] != 1 {
			t.Errorf("lead counts = %v, %v; want one open hot lead", counts, err)
		}
		// Every reply was sent once; the consent answer counted; the last
		// message again is a no-op.
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`); n != 0 {
			t.Errorf("%d replies not sent", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM consent_records WHERE accepted = 1`); n != 1 {
			t.Errorf("%d accepted consents; want 1", n)
		}
		last := flow.Inbound{Channel: "chat", Account: "acct", ID: "w6", From: "+573001112233", Kind: flow.KindText, Text: "facebook ads", At: clock.Now()}
		if handled, err := s.Handle(ctx, last, func(st flow.State) flow.Result { return m.Step(st, last, clock.Now()) }); err != nil || handled {
			t.Errorf("redelivery of the last message: handled=%v err=%v; want a no-op", handled, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM leads`); n != 1 {
			t.Errorf("%d leads; want 1", n)
		}
		if n := e.count(t, `SELECT SUM(n) FROM conversation_funnel WHERE step = 'done' AND status = 'completed'`); n != 1 {
			t.Errorf("funnel: %d completed conversations; want 1", n)
		}
	})
}

func TestRedeliveryFailureOptOutBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		s := e.open(t, Options{Now: func() time.Time { return pgT0 }})
		for i, want := range []bool{true, false, false} {
			if handled, err := s.Handle(ctx, inbound("wamid.1", "hola"), echoStep); err != nil || handled != want {
				t.Fatalf("delivery %d: handled = %v, %v; want %v", i+1, handled, err, want)
			}
		}
		broken := func(st flow.State) flow.Result {
			r := echoStep(st)
			r.Events = []flow.Event{{Kind: flow.EventLeadCompleted}} // no lead: the store must refuse
			return r
		}
		if _, err := s.Handle(ctx, inbound("wamid.2", "x"), broken); err == nil {
			t.Fatal("Handle accepted a lead event without a lead")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages`); n != 1 {
			t.Errorf("%d messages after a failed Handle; want 1 (the failed one must be redelivered)", n)
		}
		withdraw := func(st flow.State) flow.Result {
			r := echoStep(st)
			r.Replies = []flow.Reply{{Key: "ask_city", Text: "¿Ciudad?"}}
			r.Withdraw = []string{"k"}
			return r
		}
		if _, err := s.Handle(ctx, inbound("wamid.2", "Ana"), withdraw); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE key = 'k' AND status = 'cancelled'`); n != 1 {
			t.Errorf("the moot reply was not withdrawn")
		}
		optOut := func(st flow.State) flow.Result {
			r := echoStep(st)
			r.State.Status = flow.OptedOut
			r.Events = []flow.Event{{Kind: flow.EventOptedOut}}
			r.Replies = []flow.Reply{{Key: "opted_out", Text: "No te escribiremos más."}}
			return r
		}
		if _, err := s.Handle(ctx, inbound("wamid.3", "salir"), optOut); err != nil {
			t.Fatal(err)
		}
		p, err := s.PendingOutbox(ctx, "chat", 10)
		if err != nil || len(p) != 1 || p[0].Key != "opted_out" {
			t.Errorf("pending after opt-out = %+v, %v; want only the confirmation", p, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM suppressions`); n != 1 {
			t.Errorf("%d suppressions; want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM data_requests WHERE kind = 'revoke'`); n != 1 {
			t.Errorf("%d revocations recorded; want 1", n)
		}
	})
}

// TestTwoServersBothEngines: two stores on one database, as two cis serve
// processes. One person's messages, delivered to either server at once,
// are each applied once and in turn (no lost update of the conversation);
// every reply is claimed by exactly one server.
func TestTwoServersBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		servers := []*Store{e.open(t, Options{Now: func() time.Time { return pgT0 }}), e.open(t, Options{Now: func() time.Time { return pgT0 }})}
		const n = 40
		var wg sync.WaitGroup
		errs := make(chan error, 2*n)
		for i := range n {
			for _, s := range servers { // each message reaches both servers (a redelivery)
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.Handle(ctx, inbound(fmt.Sprintf("m%d", i), "hola"), echoStep); err != nil {
						errs <- err
					}
				}()
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("handle: %v", err) // a failed message would be redelivered; none should fail here
		}
		v, err := servers[0].Conversation(ctx, "chat", "acct", "+573001112233")
		if err != nil {
			t.Fatal(err)
		}
		if v.State.Failures != n {
			t.Errorf("the conversation counted %d messages; want %d (each once, none lost)", v.State.Failures, n)
		}
		claimed := map[int64]int{}
		var mu sync.Mutex
		for _, s := range servers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := s.PendingOutbox(ctx, "chat", 100)
				if err != nil {
					t.Error(err)
					return
				}
				for _, o := range out {
					ok, err := s.ClaimNext(ctx, nil, o.ID)
					if err != nil {
						t.Error(err)
						return
					}
					if ok {
						mu.Lock()
						claimed[o.ID]++
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		if len(claimed) != n {
			t.Errorf("%d replies claimed; want %d", len(claimed), n)
		}
		for id, c := range claimed {
			if c != 1 {
				t.Errorf("reply %d claimed %d times", id, c)
			}
		}
	})
}

// TestSenderOutcomesBothEngines: every outcome bot/send.go records for a
// claimed reply, on both engines: put back unsent, retried later, uncertain
// (a question is sent again, anything else is left unconfirmed), and a
// previous process's claims settled at start.
func TestSenderOutcomesBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		if _, err := s.Handle(ctx, inbound("w1", "hola"), replyStep("greeting", "ask_name", "thanks", "bye", "ask_city")); err != nil {
			t.Fatal(err)
		}
		out, err := s.PendingOutbox(ctx, "chat", 10)
		if err != nil || len(out) != 5 {
			t.Fatalf("pending = %d, %v; want 5", len(out), err)
		}
		id := map[string]int64{}
		for _, o := range out {
			if ok, err := s.ClaimNext(ctx, nil, o.ID); err != nil || !ok {
				t.Fatalf("claim %s: %v %v", o.Key, ok, err)
			}
			id[o.Key] = o.ID
		}
		if ok, err := s.ClaimNext(ctx, nil, id["greeting"]); err != nil || ok {
			t.Errorf("a second claim of a claimed reply: %v, %v; want false", ok, err)
		}
		if err := s.Unclaim(ctx, id["greeting"]); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkRetry(ctx, id["greeting"], clock.Now().Add(time.Minute), "timeout"); err != nil {
			t.Fatal(err)
		}
		if resent, err := s.MarkUncertain(ctx, id["ask_name"], clock.Now(), "timeout"); err != nil || resent {
			t.Errorf("uncertain ask_name (superseded by ask_city): resent=%v err=%v; want false", resent, err)
		}
		if resent, err := s.MarkUncertain(ctx, id["thanks"], clock.Now(), "timeout"); err != nil || resent {
			t.Errorf("uncertain thanks: resent=%v err=%v; want false (not a question)", resent, err)
		}
		if err := s.FailReply(ctx, id["bye"], "refused"); err != nil { // claimed, not pending: nothing to fail
			t.Fatal(err)
		}
		clock.Add(time.Second)
		if n, err := s.ReleaseOrphans(ctx, "chat", clock.Now()); err != nil || n != 2 {
			t.Errorf("orphans settled = %d, %v; want 2 (ask_city queued again, bye unconfirmed)", n, err)
		}
		want := map[string]string{"greeting": "pending", "ask_name": "unconfirmed", "thanks": "unconfirmed", "bye": "unconfirmed", "ask_city": "pending"}
		for key, status := range want {
			if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE key = ? AND status = ?`, key, status); n != 1 {
				t.Errorf("%s: not %s", key, status)
			}
		}
		clock.Add(2 * time.Minute)
		if keys := sendAll(t, s, "chat"); len(keys) != 2 {
			t.Errorf("sent after the retry time: %v; want greeting and ask_city", keys)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE status = 'sent'`); n != 2 {
			t.Errorf("%d replies sent; want 2", n)
		}
		// A pending reply the channel refuses for good is failed, and the
		// failure filed on the conversation for the advisors.
		if _, err := s.Handle(ctx, inbound("w2", "?"), replyStep("again")); err != nil {
			t.Fatal(err)
		}
		again, err := s.PendingOutbox(ctx, "chat", 10)
		if err != nil || len(again) != 1 {
			t.Fatalf("pending = %v, %v; want the one new reply", again, err)
		}
		if err := s.FailReply(ctx, again[0].ID, "refused"); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM outbox WHERE key = 'again' AND status = 'failed'`); n != 1 {
			t.Errorf("the refused reply is not failed")
		}
		if n := e.count(t, `SELECT COUNT(*) FROM conversation_events WHERE kind = 'reply_failed' AND detail = 'refused'`); n != 1 {
			t.Errorf("the failure was not filed on the conversation")
		}
	})
}

// TestQueuePageReadsBothEngines: what the lead queue page reads besides the
// listing: one lead whole, the count, the campaigns, the version it polls.
// A search by words is not ported yet: on PostgreSQL it must say so.
func TestQueuePageReadsBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		for i, src := range []string{"fb-marzo", "google", "fb-marzo"} {
			clock.Add(time.Minute)
			in := inbound(fmt.Sprintf("q%d", i), "servicio")
			in.From = fmt.Sprintf("+5730100000%02d", i)
			if _, err := s.Handle(ctx, in, func(st flow.State) flow.Result {
				r := echoStep(st)
				r.State.Status = flow.Completed
				r.Events = []flow.Event{{Kind: flow.EventLeadCompleted, Deadline: clock.Now().Add(time.Hour),
					Lead:  &flow.Lead{Name: fmt.Sprintf("Prospecto %d", i), Urgency: flow.Urgency("week"), Service: "seo", Source: src},
					Score: &flow.Score{Class: flow.Warm, Probability: 0.5, Model: "rules", Reasons: []flow.Reason{{Feature: "urgency", Value: "week", Weight: 0.2}}}}}
				return r
			}); err != nil {
				t.Fatal(err)
			}
		}
		d, err := s.Lead(ctx, 2)
		if err != nil {
			t.Fatal(err)
		}
		if d.Name != "Prospecto 1" || d.Urgency != "week" || d.Source != "google" || len(d.Lead.Score.Reasons) != 1 || len(d.Transcript) != 2 || len(d.Events) != 1 {
			t.Errorf("lead 2 = %+v", d)
		}
		if n, err := s.QueueCount(ctx, LeadFilter{Source: "fb-marzo"}, 100); err != nil || n != 2 {
			t.Errorf("QueueCount(fb-marzo) = %d, %v; want 2", n, err)
		}
		if src, err := s.Sources(ctx); err != nil || fmt.Sprint(src) != "[fb-marzo google]" {
			t.Errorf("Sources = %v, %v", src, err)
		}
		v1, err := s.QueueVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.ActOnLead(ctx, 3, LeadAction{Kind: "lost", Detail: "precio"}); err != nil {
			t.Fatal(err)
		}
		if v2, err := s.QueueVersion(ctx); err != nil || v2 == v1 {
			t.Errorf("QueueVersion %q then %q, %v; want a change after a lead was lost", v1, v2, err)
		}
		if rows, err := s.Queue(ctx, LeadFilter{Search: "prospecto"}); err != nil || len(rows) != 2 {
			t.Errorf("search: %d rows, %v; want 2 open leads", len(rows), err)
		}
	})
}

// TestCloudPathBothEngines: what a Cloud API webhook stores besides the
// message, on both engines: the person named by BSUID alone (linking it to
// a phone, a merge of contacts, is not ported yet), a click-to-WhatsApp referral, delivery
// statuses that only move forward, a failure, a payload kept as a dead
// letter; and the idle sweeper.
func TestCloudPathBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		who := CloudIdentity{BSUID: "CO.123456789", Username: "@carlos"}
		key, err := s.IdentifyCloud(ctx, who)
		if err != nil || key != BSUIDKey(who.BSUID) {
			t.Fatalf("IdentifyCloud(bsuid alone) = %q, %v; want %q", key, err, BSUIDKey(who.BSUID))
		}
		in := flow.Inbound{Channel: "cloudapi", Account: "1234", ID: "wamid.A", From: key, Kind: flow.KindText, Text: "hola", At: clock.Now(),
			Referral: &flow.Referral{SourceType: "ad", SourceID: "120212", Headline: "Pauta"}}
		if _, err := s.Handle(ctx, in, echoStep); err != nil {
			t.Fatal(err)
		}
		if again, err := s.IdentifyCloud(ctx, who); err != nil || again != key {
			t.Errorf("the same BSUID again = %q, %v; want %q", again, err, key)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM contacts WHERE username = '@carlos'`); n != 1 {
			t.Errorf("%d contacts for the BSUID; want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM referrals WHERE source_id = '120212'`); n != 1 {
			t.Errorf("the referral was not kept")
		}
		out, err := s.PendingOutbox(ctx, "cloudapi", 10)
		if err != nil || len(out) != 1 {
			t.Fatalf("pending = %v, %v", out, err)
		}
		if err := s.MarkSent(ctx, out[0].ID, "wamid.OUT"); err != nil {
			t.Fatal(err)
		}
		ds := []Delivery{{ExtID: "wamid.OUT", Status: "read", At: clock.Now()}, {ExtID: "wamid.OUT", Status: "delivered", At: clock.Now()},
			{ExtID: "wamid.OUT", Status: "failed", At: clock.Now(), Error: "131047 re-engagement"}}
		if err := s.RecordDeliveries(ctx, "cloudapi", ds); err != nil {
			t.Fatal(err)
		}
		if d, failed, err := s.DeliveryOf(ctx, "cloudapi", "wamid.OUT"); err != nil || d != "read" || failed != "131047 re-engagement" {
			t.Errorf("delivery = %q, failed %q, %v; want read (never back to delivered) and the failure", d, failed, err)
		}
		if err := s.DeadLetter(ctx, "cloudapi", "bad signature", []byte(`{"x":1}`)); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM dead_letters`); n != 1 {
			t.Errorf("%d dead letters; want 1", n)
		}
		clock.Add(48 * time.Hour)
		n, err := s.ExpireIdle(ctx, clock.Now().Add(-24*time.Hour), 10, func(st flow.State) (flow.Result, bool) {
			st.Status = flow.Abandoned
			return flow.Result{State: st, Events: []flow.Event{{Kind: flow.EventAbandoned}}}, true
		})
		if err != nil || n != 1 {
			t.Errorf("ExpireIdle = %d, %v; want the one idle conversation", n, err)
		}
		if c := e.count(t, `SELECT COUNT(*) FROM conversations WHERE status = 'abandoned'`); c != 1 {
			t.Errorf("%d abandoned conversations; want 1", c)
		}
	})
}

// TestAdvisorsNotifiedBothEngines: with advisors in rotation, completed
// leads go round robin and each advisor's notification is claimed once and
// recorded sent, on both engines; an advisor named in another case is the
// same advisor (usernames compare without case, as on SQLite).
func TestAdvisorsNotifiedBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		if err := s.SetAdvisors(ctx, []Advisor{{"Ana", "+573000000001"}, {"Beto", "+573000000002"}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SetAdvisors(ctx, []Advisor{{"ANA", "+573000000001"}, {"beto", "+573000000002"}}); err != nil {
			t.Fatal(err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM users WHERE in_rotation = 1`); n != 2 {
			t.Errorf("%d advisors in rotation; want 2 (the same two, named in another case)", n)
		}
		for i := range 3 {
			clock.Add(time.Second)
			leadVia(t, s, fmt.Sprintf("n%d", i), fmt.Sprintf("+5730200000%02d", i), flow.Lead{Name: fmt.Sprintf("P%d", i),
				Urgency: flow.Immediate, Service: "web"}, clock.Now().Add(25*time.Minute))
		}
		ns, err := s.PendingNotifications(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, n := range ns {
			got = append(got, n.Advisor.Name)
			if ok, err := s.ClaimNotification(ctx, n.ID); err != nil || !ok {
				t.Fatalf("claim notification %d: %v, %v", n.ID, ok, err)
			}
			if ok, err := s.ClaimNotification(ctx, n.ID); err != nil || ok {
				t.Errorf("a second claim of notification %d: %v, %v; want false", n.ID, ok, err)
			}
			if err := s.NotificationSent(ctx, n.ID); err != nil {
				t.Fatal(err)
			}
		}
		if fmt.Sprint(got) != "[Ana Beto Ana]" && fmt.Sprint(got) != "[ANA beto ANA]" {
			t.Errorf("notified %v; want round robin Ana, Beto, Ana", got)
		}
		if ns, err := s.PendingNotifications(ctx, 10); err != nil || len(ns) != 0 {
			t.Errorf("pending after sending = %d, %v; want none", len(ns), err)
		}
		// The other outcomes of a notification: failed after its last
		// attempt, unconfirmed (never sent twice), a crashed run's claim.
		for i := range 3 {
			clock.Add(time.Second)
			leadVia(t, s, fmt.Sprintf("o%d", i), fmt.Sprintf("+5730300000%02d", i), flow.Lead{Name: fmt.Sprintf("Q%d", i),
				Urgency: flow.Immediate, Service: "web"}, clock.Now().Add(25*time.Minute))
		}
		ns, err = s.PendingNotifications(ctx, 10)
		if err != nil || len(ns) != 3 {
			t.Fatalf("pending = %d, %v; want 3", len(ns), err)
		}
		if err := s.NotificationFailed(ctx, ns[0].ID, 1, "refused"); err != nil {
			t.Fatal(err)
		}
		for _, n := range ns[1:] {
			if ok, err := s.ClaimNotification(ctx, n.ID); err != nil || !ok {
				t.Fatalf("claim %d: %v, %v", n.ID, ok, err)
			}
		}
		if err := s.NotificationUnconfirmed(ctx, ns[1].ID, "timeout"); err != nil {
			t.Fatal(err)
		}
		clock.Add(time.Second)
		if n, err := s.ReleaseNotificationOrphans(ctx); err != nil || n != 1 {
			t.Errorf("orphans = %d, %v; want 1", n, err)
		}
		for status, want := range map[string]int{"sent": 3, "failed": 1, "unconfirmed": 2} {
			if n := e.count(t, `SELECT COUNT(*) FROM lead_notices WHERE status = ?`, status); n != want {
				t.Errorf("%d notifications %s; want %d", n, status, want)
			}
		}
	})
}

// TestNewAccountOnTwoServersBothEngines: the first messages to a new agency
// number reach two servers at once, from different people: each is stored
// once and none fails (the account row is made once, whoever is first).
func TestNewAccountOnTwoServersBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		servers := []*Store{e.open(t, Options{Now: func() time.Time { return pgT0 }}), e.open(t, Options{Now: func() time.Time { return pgT0 }})}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := inbound(fmt.Sprintf("first-%d", i), "hola")
				in.Account, in.From = "new-number", fmt.Sprintf("+5731000000%02d", i)
				if _, err := servers[i%2].Handle(ctx, in, echoStep); err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("handle: %v", err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM accounts WHERE address = 'new-number'`); n != 1 {
			t.Errorf("%d accounts; want 1", n)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages`); n != 20 {
			t.Errorf("%d messages stored; want 20", n)
		}
	})
}

// TestCommercialBothEngines: a commercial message (a follow-up) waits for
// the hours Ley 2300 allows, does not hold back replies, and is cancelled
// for a number on the exclusion list, on both engines.
func TestCommercialBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: bogota(t, "2026-11-13 15:00")}
		s := e.open(t, Options{Now: clock.Now})
		const phone = "+573001112233"
		in := inbound("c1", "hola")
		if _, err := s.Handle(ctx, in, echoStep); err != nil {
			t.Fatal(err)
		}
		sendAll(t, s, "chat")
		clock.now = bogota(t, "2026-11-13 18:58")
		first, err := s.EnqueueCommercial(ctx, phone, "followup", "¿Seguimos con tu cotización?")
		if err != nil {
			t.Fatal(err)
		}
		if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || len(out) != 1 || out[0].ID != first {
			t.Fatalf("at 18:58 pending = %+v, %v; want the follow-up", out, err)
		}
		if err := s.MarkRetry(ctx, first, bogota(t, "2026-11-13 19:01"), "timeout"); err != nil {
			t.Fatal(err)
		}
		clock.now = bogota(t, "2026-11-13 19:01")
		if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || len(out) != 0 {
			t.Errorf("at 19:01 pending = %+v, %v; want none (held to 08:00)", out, err)
		}
		clock.now = bogota(t, "2026-11-14 08:00")
		if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || len(out) != 1 {
			t.Errorf("at Saturday 08:00 pending = %+v, %v; want the follow-up", out, err)
		}
		sendAll(t, s, "chat")
		clock.now = bogota(t, "2026-11-14 15:30")
		id, err := s.EnqueueCommercial(ctx, phone, "followup", "¿Hablamos?")
		if err != nil {
			t.Fatal(err)
		}
		var due int64
		if err := e.raw.QueryRow(e.q(`SELECT next_attempt_at FROM outbox WHERE id = ?`), id).Scan(&due); err != nil {
			t.Fatal(err)
		}
		if got := fromMillis(due).In(flow.Bogota()).Format("Mon 2006-01-02 15:04"); got != "Tue 2026-11-17 07:00" {
			t.Errorf("scheduled for %s, want Tue 2026-11-17 07:00 (Monday is a holiday)", got)
		}
		clock.now = bogota(t, "2026-11-14 16:00")
		if _, err := s.Handle(ctx, inbound("c2", "hola otra vez"), echoStep); err != nil {
			t.Fatal(err)
		}
		if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || len(out) != 1 || out[0].ID == id {
			t.Fatalf("pending while a follow-up is held = %+v, %v; want the reply", out, err)
		}
		sendAll(t, s, "chat")
		if _, err := s.AddExclusions(ctx, []string{phone}, "rne", 1); err != nil {
			t.Fatal(err)
		}
		clock.now = bogota(t, "2026-11-17 07:00")
		if out, err := s.PendingOutbox(ctx, "chat", 10); err != nil || len(out) != 0 {
			t.Errorf("pending to an excluded number = %+v, %v; want none", out, err)
		}
		if n := e.count(t, `SELECT count(*) FROM outbox WHERE id = ? AND status = 'cancelled'`, id); n != 1 {
			t.Error("the follow-up to an excluded number was not cancelled")
		}
	})
}
