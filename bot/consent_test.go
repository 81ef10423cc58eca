package bot

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// statusPayload is a Cloud API status callback for one sent message.
func statusPayload(wamid, status string, outbox int64, at time.Time) []byte {
	errs := ""
	if status == "failed" {
		errs = `,"errors":[{"code":131026,"title":"Message undeliverable"}]`
	}
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":%q},`+
		`"statuses":[{"id":%q,"status":%q,"timestamp":"%d","recipient_id":"1","biz_opaque_callback_data":"outbox:%d"%s}]}}]}]}`,
		testAccount, wamid, status, at.Unix(), outbox, errs)
}

// TestConsentCountsOnlyWhenItsTextWasSent: a "sí" counts as consent only
// when the consent text it answers left. Otherwise the message is kept in
// the log as a message only, and the person is told: the consent text is
// sent again, or, when it is still on its way (queued, or claimed and not
// settled yet: the crash policy settles a dead process's claims), one line
// says the answer came before the text and asks for it again; the next
// "sí" after it left counts. Covered: the text still queued, cut by a
// crash (claimed, never marked), refused for good by the provider (a
// person the channel cannot reach), and reported failed after the
// provider accepted it.
func TestConsentCountsOnlyWhenItsTextWasSent(t *testing.T) {
	const phone = "573001110020"
	cases := []struct {
		name string
		// prepare runs after "hola" and before the first "sí"; it returns
		// whether the consent text is still on its way at that moment.
		prepare func(t *testing.T, e *cloudEnv) (waiting bool)
		// recover makes the next send of the consent text work.
		recover func(t *testing.T, e *cloudEnv)
	}{
		{"queued", func(t *testing.T, e *cloudEnv) bool { return true }, func(*testing.T, *cloudEnv) {}},
		{"cut by a crash", func(t *testing.T, e *cloudEnv) bool {
			out, err := e.h.st.PendingOutbox(context.Background(), CloudChannel, 10)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, o := range out {
				ids = append(ids, o.ID)
			}
			if got, err := e.h.st.ClaimOutbox(context.Background(), ids); err != nil || len(got) != len(ids) {
				t.Fatalf("claim = %v, %v", got, err)
			}
			return true // claimed: the process "died" before sending; the restart settles it
		}, func(*testing.T, *cloudEnv) {}},
		{"refused by the provider", func(t *testing.T, e *cloudEnv) bool {
			e.graph.FailTo(phone, 400)
			e.flush(t)
			return false
		}, func(t *testing.T, e *cloudEnv) { e.graph.FailTo(phone, 0) }},
		{"failed after it was accepted", func(t *testing.T, e *cloudEnv) bool {
			e.flush(t)
			for _, s := range e.graph.Sent() {
				var id int64
				fmt.Sscanf(s.Outbox, "outbox:%d", &id)
				if got := e.postSigned(t, statusPayload(fmt.Sprintf("wamid.out-%d", id), "failed", id, e.h.clock.Now())); got != 200 {
					t.Fatal(got)
				}
			}
			return false
		}, func(*testing.T, *cloudEnv) {}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newCloudEnv(t, nil)
			ctx := context.Background()
			post := func(id, text string) {
				t.Helper()
				e.h.clock.Add(20 * time.Second)
				if got := e.postSigned(t, testPayload(phone, id, text, e.h.clock.Now())); got != 200 {
					t.Fatal(got)
				}
			}
			post("wamid.c.0", "hola")
			waiting := c.prepare(t, e)
			post("wamid.c.1", "sí")
			tr := e.trace(t, "wamid.c.1")
			if tr.Applied() || !slices.Contains(tr.Events, "consent_not_shown") {
				t.Errorf("the answer to an unsent consent text was applied: %+v", tr)
			}
			want := []string{"consent"}
			if waiting {
				want = []string{"consent_early"}
			}
			if !slices.Equal(tr.Replies, want) {
				t.Errorf("replies to the uncounted answer %v; want %v (consent text on its way: %v)", tr.Replies, want, waiting)
			}
			if st := e.state(t, phone); st.Stage != flow.StageConsent || st.ConsentPolicy != "" {
				t.Errorf("after an uncounted answer: stage %s, consent %q", st.Stage, st.ConsentPolicy)
			}
			if e.stats(t).ConsentUnshown != 1 {
				t.Error("the uncounted consent answer is not in the metrics")
			}
			// The person gets the consent text, reads it and answers again.
			c.recover(t, e)
			if _, err := e.h.st.ReleaseOrphans(ctx, CloudChannel, e.h.clock.Now().Add(time.Second)); err != nil {
				t.Fatal(err) // the restart after the "crash"
			}
			e.flush(t)
			post("wamid.c.2", "sí")
			if tr := e.trace(t, "wamid.c.2"); !tr.Applied() {
				t.Errorf("the answer after the consent text left did not count: %+v", tr)
			}
			if st := e.state(t, phone); st.Stage != flow.StageName || st.ConsentPolicy == "" {
				t.Errorf("after the counted answer: stage %s, consent %q", st.Stage, st.ConsentPolicy)
			}
			e.flush(t)
			checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox(),
				Accepted: []string{"wamid.c.0", "wamid.c.1", "wamid.c.2"}})
		})
	}
}

// TestConsentForUsernameWhoseSendsFail: a person known only by a WhatsApp
// username (BSUID) whom the provider cannot reach: every send to them fails
// for good. Their "sí" never counts (no consent record, no personal question
// asked), each one brings the consent text again, which fails again and
// tells the advisor (reply_failed); once a send reaches them, their next
// "sí" counts.
func TestConsentForUsernameWhoseSendsFail(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	yes := func(tag string) []byte { // his button reply "Sí", under a message ID of its own
		return bytes.ReplaceAll(fixture(t, "username_button_reply.json"), []byte(`"wamid.HBg`), []byte(`"wamid.`+tag+`.HBg`))
	}
	e.graph.FailTo(carlosBSUID, 400)
	if got := e.postFixture(t, "username_text.json"); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	e.flush(t) // the greeting fails, then the consent text
	for _, tag := range []string{"first", "second"} {
		e.h.clock.Add(time.Minute)
		if got := e.postSigned(t, yes(tag)); got != 200 {
			t.Fatal(got)
		}
		e.flush(t)
		st, c := e.stage(t, carlosBSUID)
		if st != flow.StageConsent {
			t.Fatalf("after a yes to a consent text that never reached him: stage %s", st)
		}
		v, err := e.h.st.Conversation(ctx, CloudChannel, testAccount, c.Key)
		if err != nil || v.State.ConsentPolicy != "" {
			t.Fatalf("consent recorded: %q, %v", v.State.ConsentPolicy, err)
		}
	}
	if n, err := e.h.st.ReplyFailures(ctx, CloudChannel); err != nil || n != 4 {
		t.Errorf("reply_failed events %d, %v; want 4 (the greeting and three consent texts): the advisor is told each time", n, err)
	}
	if got := e.stats(t).ConsentUnshown; got != 2 {
		t.Errorf("uncounted consent answers %d; want 2", got)
	}
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox()})
	// The provider reaches him again: his next yes brings the consent text,
	// which now leaves, and the yes after it counts.
	e.graph.FailTo(carlosBSUID, 0)
	e.h.clock.Add(time.Minute)
	if got := e.postSigned(t, yes("third")); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	e.h.clock.Add(time.Minute)
	if got := e.postSigned(t, yes("fourth")); got != 200 {
		t.Fatal(got)
	}
	if st, _ := e.stage(t, carlosBSUID); st != flow.StageName {
		t.Errorf("after the consent text reached him and he said yes: stage %s; want name", st)
	}
	e.flush(t)
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox()})
}
