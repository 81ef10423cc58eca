package bot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// Issue 18: each Cloud API error code gets its own response, tested
// against the fake Graph API.

// payloadOn is testPayload on another phone-number id of the agency.
func payloadOn(account, from, id, body string, at time.Time) []byte {
	return []byte(strings.Replace(string(testPayload(from, id, body, at)), `"phone_number_id":"`+testAccount+`"`,
		`"phone_number_id":"`+account+`"`, 1))
}

// hello posts a first message from each phone (on account, or the test's
// own number) without sending the replies, and returns the wamids.
func (e *cloudEnv) hello(t *testing.T, account string, phones ...string) {
	t.Helper()
	for _, p := range phones {
		e.h.clock.Add(time.Second)
		body := testPayload(p, "wamid.hello-"+p+"-"+account, "Hola, quiero información", e.h.clock.Now())
		if account != "" {
			body = payloadOn(account, p, "wamid.hello-"+p+"-"+account, "Hola, quiero información", e.h.clock.Now())
		}
		if got := e.postSigned(t, body); got != http.StatusOK {
			t.Fatalf("hello from %s: %d", p, got)
		}
	}
}

// outboxOf returns the statuses and attempts of the replies to phone.
func outboxOf(t *testing.T, e *cloudEnv, phone string) []store.ReplyRow {
	t.Helper()
	rows, err := e.h.st.ReplyRows(context.Background(), CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.ReplyRow
	for _, r := range rows {
		if r.To == "+"+phone {
			out = append(out, r)
		}
	}
	return out
}

func TestThroughputErrorPausesTheWholeNumber(t *testing.T) {
	e := newCloudEnv(t, func(c *CloudConfig) { c.Workers = 1 })
	const ana, beto, caro = "573001110101", "573001110102", "573001110103"
	e.hello(t, "", ana, beto)
	e.hello(t, "106540350000001", caro) // the agency's second number
	e.graph.FailNextCode(http.StatusTooManyRequests, codeThroughput)
	e.flush(t)
	if got := e.graph.Received(ana); len(got) != 0 {
		t.Fatalf("ana got %d messages through a throughput error", len(got))
	}
	if got := e.graph.Received(beto); len(got) != 0 {
		t.Errorf("beto got %d messages while the number was paused; want none", len(got))
	}
	if got := e.graph.Received(caro); len(got) == 0 {
		t.Errorf("the agency's other number was paused too; want only the one that hit 130429")
	}
	for _, r := range append(outboxOf(t, e, ana), outboxOf(t, e, beto)...) {
		if r.Status != "pending" {
			t.Errorf("reply %d is %s; want pending until the pause ends", r.ID, r.Status)
		}
	}
	e.h.clock.Add(throughputPause + time.Second)
	e.flush(t)
	if len(e.graph.Received(ana)) == 0 || len(e.graph.Received(beto)) == 0 {
		t.Errorf("after the pause ana got %d, beto %d; want both answered", len(e.graph.Received(ana)), len(e.graph.Received(beto)))
	}
	for _, r := range append(outboxOf(t, e, ana), outboxOf(t, e, beto)...) {
		if r.Status != "sent" {
			t.Errorf("reply %d is %s after the pause; want sent", r.ID, r.Status)
		}
	}
}

func TestThroughputErrorsNeverGiveUp(t *testing.T) {
	e := newCloudEnv(t, nil)
	const ana = "573001110111"
	e.hello(t, "", ana)
	for range maxAttempts + 2 {
		e.graph.FailNextCode(http.StatusBadRequest, codeThroughput)
		e.flush(t)
		e.h.clock.Add(throughputPauseMax + time.Second)
	}
	e.flush(t)
	rows := outboxOf(t, e, ana)
	if len(rows) == 0 || rows[0].Status != "sent" {
		t.Fatalf("replies = %+v; want sent once the number's throughput allows", rows)
	}
}

func TestPairRateErrorPacesOnlyThatPerson(t *testing.T) {
	e := newCloudEnv(t, func(c *CloudConfig) { c.Workers = 1 })
	const ana, beto = "573001110201", "573001110202"
	e.hello(t, "", ana, beto)
	e.graph.FailNextTo(ana, http.StatusBadRequest, codePairRate)
	e.flush(t)
	if got := e.graph.Received(beto); len(got) == 0 {
		t.Fatalf("beto got nothing: a pair-rate error must not pause other people")
	}
	if got := e.graph.Received(ana); len(got) != 0 {
		t.Fatalf("ana got %d messages through a pair-rate error", len(got))
	}
	e.h.clock.Add(pairPause / 2)
	e.flush(t)
	if got := e.graph.Received(ana); len(got) != 0 {
		t.Errorf("ana was written to again %v after a pair-rate error; want a pause of %v", pairPause/2, pairPause)
	}
	e.h.clock.Add(pairPause)
	e.flush(t)
	if got := e.graph.Received(ana); len(got) == 0 {
		t.Errorf("ana still unanswered after the pause")
	}
}

func TestWindowClosedErrorFailsAndTellsTheAdvisor(t *testing.T) {
	e := newCloudEnv(t, nil)
	const ana = "573001110301"
	e.hello(t, "", ana)
	e.graph.FailNextTo(ana, http.StatusBadRequest, codeOutsideWindow)
	e.flush(t)
	rows := outboxOf(t, e, ana)
	if len(rows) == 0 || rows[0].Status != "failed" {
		t.Fatalf("replies = %+v; want the first failed (no template configured)", rows)
	}
	if n, err := e.h.st.ReplyFailures(context.Background(), CloudChannel); err != nil || n == 0 {
		t.Errorf("reply failures told to advisors = %d, %v; want one", n, err)
	}
}

func TestUndeliverableErrorMarksTheContactUnreachable(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	const ana = "573001110401"
	lead := completeCloudLead(t, e, ana)
	if r, err := e.h.st.LeadReach(ctx, lead); err != nil || !r.Unreachable.IsZero() {
		t.Fatalf("reach = %+v, %v; want reachable before any error", r, err)
	}
	e.h.clock.Add(time.Minute)
	if _, err := e.h.st.WriteToLead(ctx, lead, 0, "Hola, ¿te llamo mañana?"); err != nil {
		t.Fatal(err)
	}
	e.graph.FailNextTo(ana, http.StatusBadRequest, codeUnreachable)
	e.flush(t)
	r, err := e.h.st.LeadReach(ctx, lead)
	if err != nil || r.Unreachable.IsZero() {
		t.Fatalf("reach = %+v, %v; want the contact marked unreachable", r, err)
	}
	// A person who writes again is reachable again.
	e.h.clock.Add(time.Minute)
	e.say(t, ana, "wamid.back", "hola de nuevo", e.h.clock.Now())
	if r, _ := e.h.st.LeadReach(ctx, lead); !r.Unreachable.IsZero() {
		t.Errorf("reach = %+v after the person wrote again; want reachable", r)
	}
}

func TestUndeliverableStatusMarksTheContactUnreachable(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	const ana = "573001110402"
	lead := completeCloudLead(t, e, ana)
	sent := e.graph.Received(ana)
	last := sent[len(sent)-1]
	wamid := "wamid.out-" + strings.TrimPrefix(last.Outbox, opaquePrefix)
	e.h.clock.Add(time.Minute)
	body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp",`+
		`"metadata":{"phone_number_id":%q},"statuses":[{"id":%q,"status":"failed","timestamp":"%d","recipient_id":%q,`+
		`"errors":[{"code":131026,"title":"Message undeliverable"}]}]}}]}]}`, testAccount, wamid, e.h.clock.Now().Unix(), ana)
	if got := e.postSigned(t, body); got != http.StatusOK {
		t.Fatal(got)
	}
	if r, err := e.h.st.LeadReach(ctx, lead); err != nil || r.Unreachable.IsZero() {
		t.Fatalf("reach = %+v, %v; want unreachable after a failed status with 131026", r, err)
	}
}

// completeCloudLead has phone write a whole conversation on the Cloud API,
// each reply sent before the next message, and returns the lead's id.
func completeCloudLead(t *testing.T, e *cloudEnv, phone string) int64 {
	t.Helper()
	return completeCloudLeadFromAd(t, e, phone, "")
}

// completeCloudLeadFromAd is completeCloudLead by a person whose first
// message came from a click-to-WhatsApp ad with click id clid ("" for none).
func completeCloudLeadFromAd(t *testing.T, e *cloudEnv, phone, clid string) int64 {
	t.Helper()
	for i, text := range []string{"Hola, quiero información", "Sí", "Carlos Pérez", "Medellín", "3 millones", "ya mismo", "diseño web"} {
		e.h.clock.Add(15 * time.Second)
		id := fmt.Sprintf("wamid.%s-%d", phone, i)
		if i > 0 || clid == "" {
			e.say(t, phone, id, text, e.h.clock.Now())
			continue
		}
		body := strings.Replace(string(testPayload(phone, id, text, e.h.clock.Now())), `"type":"text"`,
			`"type":"text","referral":{"source_url":"https://fb.me/x","source_id":"120210000000001","source_type":"ad",`+
				`"headline":"Diseño web","ctwa_clid":"`+clid+`"}`, 1)
		if got := e.postSigned(t, []byte(body)); got != http.StatusOK {
			t.Fatalf("first message: %d", got)
		}
		e.flush(t)
	}
	v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead (stage %s): %v", v.State.Stage, err)
	}
	return v.Lead.ID
}
