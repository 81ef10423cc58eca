package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

const (
	testSecret  = "app-secret-for-tests"
	testVerify  = "verify-token-for-tests"
	testAccount = "106540352242922" // phone_number_id in the fixtures
)

// fixtureStart is a moment after the fixtures' timestamps (2026-03-02 10:00 Bogotá).
var fixtureStart = time.Date(2026, 3, 2, 15, 1, 0, 0, time.UTC)

// cloudEnv is a running webhook server on a real store, sending to a fake
// Graph API over loopback.
type cloudEnv struct {
	h     *harness
	cloud *CloudAPI
	srv   *httptest.Server
	graph *FakeGraph
}

func newCloudEnv(t *testing.T, tune func(*CloudConfig)) *cloudEnv {
	t.Helper()
	return newCloudEnvOn(t, newHarness(t, "es", fixtureStart), tune)
}

// newCloudEnvOn is newCloudEnv on a harness the test prepared.
func newCloudEnvOn(t *testing.T, h *harness, tune func(*CloudConfig)) *cloudEnv {
	t.Helper()
	graph := NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	t.Cleanup(gsrv.Close)
	cfg := CloudConfig{AppSecret: testSecret, VerifyToken: testVerify, AccessToken: "token", GraphURL: gsrv.URL}
	if tune != nil {
		tune(&cfg)
	}
	cloud, err := NewCloudAPI(h.bot, h.st, cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cloud)
	t.Cleanup(srv.Close)
	return &cloudEnv{h: h, cloud: cloud, srv: srv, graph: graph}
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "testdata", "cloudapi", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends body to the webhook with the given signature header ("" for none).
func (e *cloudEnv) post(t testing.TB, body []byte, sig string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if sig != "" {
		req.Header.Set("X-Hub-Signature-256", sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func (e *cloudEnv) postSigned(t testing.TB, body []byte) int {
	t.Helper()
	return e.post(t, body, Sign(testSecret, body))
}

func (e *cloudEnv) audit(t testing.TB) store.DeliveryAudit {
	t.Helper()
	a, err := e.h.st.DeliveryAudit(context.Background(), CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// say posts a signed message from phone and then sends what it queued, as a
// person who reads the answer before writing again (a consent answer counts
// only once its consent text was sent).
func (e *cloudEnv) say(t testing.TB, phone, id, text string, at time.Time) {
	t.Helper()
	if got := e.postSigned(t, testPayload(phone, id, text, at)); got != 200 {
		t.Fatalf("%s: status %d", id, got)
	}
	e.flush(t)
}

// flush sends everything queued and returns how many replies went out.
func (e *cloudEnv) flush(t testing.TB) int {
	t.Helper()
	total := 0
	for {
		n, err := e.cloud.Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return total
		}
		total += n
	}
}

// testPayload builds a one-message delivery in the fixtures' format.
func testPayload(from, id, body string, at time.Time) []byte {
	return fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",`+
		`"value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":%q},`+
		`"contacts":[{"profile":{"name":"x"},"wa_id":%q}],"messages":[{"from":%q,"id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`,
		testAccount, from, from, id, at.Unix(), body)
}

func TestWebhookVerification(t *testing.T) {
	e := newCloudEnv(t, nil)
	tests := []struct {
		name       string
		query      url.Values
		wantStatus int
		wantBody   string
	}{
		{"subscribe with the token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerify}, "hub.challenge": {"1158201444"}}, 200, "1158201444"},
		{"wrong token", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"guess"}, "hub.challenge": {"1"}}, 403, ""},
		{"wrong mode", url.Values{"hub.mode": {"unsubscribe"}, "hub.verify_token": {testVerify}, "hub.challenge": {"1"}}, 403, ""},
		{"no challenge", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerify}}, 400, ""},
		{"huge challenge", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {testVerify}, "hub.challenge": {strings.Repeat("9", 10000)}}, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Get(e.srv.URL + "?" + tt.query.Encode())
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var b bytes.Buffer
			b.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d; want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantBody != "" && b.String() != tt.wantBody {
				t.Errorf("body = %q; want the challenge %q", b.String(), tt.wantBody)
			}
			if tt.wantStatus != 200 && strings.Contains(b.String(), "1158201444") {
				t.Error("challenge echoed on a refused verification")
			}
		})
	}
}

func TestWebhookRefusesBadSignatures(t *testing.T) {
	e := newCloudEnv(t, nil)
	body := fixture(t, "text.json")
	good := Sign(testSecret, body)
	reserialised := bytes.ReplaceAll(body, []byte("\n"), nil)
	tests := []struct {
		name string
		body []byte
		sig  string
		want int
	}{
		{"missing header", body, "", 401},
		{"wrong secret", body, Sign("not-the-secret", body), 401},
		{"sha1 prefix", body, "sha1=" + strings.TrimPrefix(good, "sha256="), 401},
		{"signature of a re-serialised body", reserialised, good, 401},
		{"not hex", body, "sha256=zzzz", 401},
		{"empty body", nil, good, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := e.post(t, tt.body, tt.sig); got != tt.want {
				t.Errorf("status = %d; want %d", got, tt.want)
			}
		})
	}
	if a := e.audit(t); a.Inbound != 0 || a.DeadLetters != 0 {
		t.Errorf("refused deliveries stored something: %+v", a)
	}
	if n := e.cloud.SignatureRefusals(); n != int64(len(tests)) {
		t.Errorf("SignatureRefusals = %d; want %d, one per refused delivery", n, len(tests))
	}
	// Upper-case hex is the same signature.
	if got := e.post(t, body, "sha256="+strings.ToUpper(strings.TrimPrefix(good, "sha256="))); got != 200 {
		t.Errorf("upper-case hex signature: status %d; want 200", got)
	}
}

func TestWebhookOversizeBody(t *testing.T) {
	e := newCloudEnv(t, func(c *CloudConfig) { c.MaxBody = 4096 })
	big := testPayload("573001110001", "wamid.big", strings.Repeat("a", 8000), fixtureStart)
	if got := e.postSigned(t, big); got != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d; want 413", got)
	}
	if a := e.audit(t); a.Inbound != 0 || a.DeadLetters != 0 {
		t.Errorf("an oversize body stored something: %+v", a)
	}
}

// TestParseFixtures reads each real-format payload into what the bot gets.
func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file  string
		kinds []flow.Kind
		texts []string
		from  string
		check func(t *testing.T, d delivery)
	}{
		{file: "text.json", kinds: []flow.Kind{flow.KindText}, texts: []string{"Hola, quiero información"}, from: "+573001110001"},
		{file: "interactive.json", kinds: []flow.Kind{flow.KindText}, texts: []string{"Sí"}, check: choice("consent_yes")},
		{file: "interactive_list.json", kinds: []flow.Kind{flow.KindText}, texts: []string{"Diseño web"}, check: choice("svc_web")},
		{file: "template_button.json", kinds: []flow.Kind{flow.KindText}, texts: []string{"Sí, llámenme"}, check: choice("followup_yes")},
		{file: "reaction.json", kinds: []flow.Kind{flow.KindReaction}, texts: []string{"👍"}},
		{file: "voice.json", kinds: []flow.Kind{flow.KindAudio}, texts: []string{""}, check: func(t *testing.T, d delivery) {
			if got := d.media[d.messages[0].ID]; got != "1273417987246632" {
				t.Errorf("voice note media id = %q; want the audio id", got)
			}
		}},
		{file: "reaction_image_batch.json", kinds: []flow.Kind{flow.KindReaction, flow.KindImage, flow.KindSticker}, texts: []string{"👍", "", ""}},
		{file: "location.json", kinds: []flow.Kind{flow.KindLocation}, texts: []string{""}, check: func(t *testing.T, d delivery) {
			if l := d.messages[0].Location; l == nil || l.Lat != 6.2442 || l.Lon != -75.5812 {
				t.Errorf("location = %+v", l)
			}
		}},
		{file: "image.json", kinds: []flow.Kind{flow.KindImage}, texts: []string{""}},
		{file: "unknown.json", kinds: []flow.Kind{flow.KindOther}, texts: []string{""}},
		{file: "referral.json", kinds: []flow.Kind{flow.KindText}, check: func(t *testing.T, d delivery) {
			r := d.messages[0].Referral
			if r == nil || r.SourceID != "120212345678900123" || r.SourceType != "ad" || !strings.HasPrefix(r.CtwaClid, "ARAkLkA8") {
				t.Errorf("referral = %+v", r)
			}
		}},
		{file: "batch.json", kinds: []flow.Kind{flow.KindText, flow.KindText, flow.KindText}, texts: []string{"hola", "buenas tardes", "sí"}},
		{file: "status_failed.json", check: func(t *testing.T, d delivery) {
			if len(d.statuses) != 1 || d.statuses[0].Status != "failed" || d.statuses[0].Outbox != 1 ||
				d.statuses[0].Error != "131026 Message undeliverable" {
				t.Errorf("statuses = %+v", d.statuses)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			d, err := parseDelivery(fixture(t, tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if len(d.messages) != len(tt.kinds) {
				t.Fatalf("%d messages; want %d", len(d.messages), len(tt.kinds))
			}
			for i, m := range d.messages {
				if m.Kind != tt.kinds[i] || (tt.texts != nil && m.Text != tt.texts[i]) {
					t.Errorf("message %d = %s %q; want %s %q", i, m.Kind, m.Text, tt.kinds[i], tt.texts[i])
				}
				if m.Channel != CloudChannel || m.Account != testAccount || m.ID == "" || m.At.IsZero() {
					t.Errorf("message %d lacks channel, account, id or time: %+v", i, m)
				}
			}
			if tt.from != "" && d.messages[0].From != tt.from {
				t.Errorf("from = %q; want %q", d.messages[0].From, tt.from)
			}
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

// choice checks the tapped option's id of a delivery's first message.
func choice(id string) func(*testing.T, delivery) {
	return func(t *testing.T, d delivery) {
		t.Helper()
		if got := d.messages[0].Choice; got != id {
			t.Errorf("choice = %q; want %q", got, id)
		}
	}
}

// TestWebhookFixturesEndToEnd posts every message fixture to the running
// server and checks what is stored and what reaches the fake Graph API.
func TestWebhookFixturesEndToEnd(t *testing.T) {
	e := newCloudEnv(t, nil)
	files := []string{"text.json", "interactive.json", "interactive_list.json", "location.json", "image.json", "unknown.json", "referral.json", "batch.json"}
	for _, f := range files {
		if got := e.postSigned(t, fixture(t, f)); got != 200 {
			t.Fatalf("%s: status %d; want 200", f, got)
		}
	}
	a := e.audit(t)
	if a.Inbound != 10 || a.Unprocessed != 0 || a.Referrals != 1 || a.DeadLetters != 0 {
		t.Errorf("audit = %+v; want 10 inbound, all processed, 1 referral", a)
	}
	pending, err := e.h.st.PendingOutbox(context.Background(), CloudChannel, 100)
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string]int{}
	for _, o := range pending {
		keys[o.Key]++
	}
	// The image and the unknown type come from people at the greeting: they
	// are greeted like the others.
	if keys["greeting"] != 7 {
		t.Errorf("reply keys = %v; want a greeting for each of the 7 people", keys)
	}
	sent := e.flush(t)
	if accepted, dups := e.graph.Count(); accepted != sent || accepted != len(pending) || dups != 0 {
		t.Errorf("graph accepted %d (dups %d), flush said %d, queued %d", accepted, dups, sent, len(pending))
	}
	for _, s := range e.graph.Sent() {
		if s.Account != testAccount || strings.HasPrefix(s.To, "+") || s.Body == "" {
			t.Errorf("bad send %+v", s)
		}
	}
}

func TestWebhookDuplicateDeliveries(t *testing.T) {
	e := newCloudEnv(t, nil)
	body := fixture(t, "text.json")
	var wg sync.WaitGroup
	codes := make([]int, 10)
	for i := range codes {
		wg.Go(func() { codes[i] = e.postSigned(t, body) })
	}
	wg.Wait()
	for i, c := range codes {
		if c != 200 {
			t.Errorf("delivery %d: status %d", i, c)
		}
	}
	e.flush(t)
	first, _ := e.graph.Count()
	if got := e.postSigned(t, body); got != 200 { // a day later, the same signed body (W4)
		t.Fatalf("replay: status %d", got)
	}
	e.flush(t)
	if a := e.audit(t); a.Inbound != 1 {
		t.Errorf("%d inbound rows; want 1", a.Inbound)
	}
	if accepted, dups := e.graph.Count(); accepted != first || dups != 0 {
		t.Errorf("graph accepted %d then %d (dups %d); want no reply to the duplicates", first, accepted, dups)
	}
}

func TestWebhookStatusesMoveForward(t *testing.T) {
	e := newCloudEnv(t, nil)
	if got := e.postSigned(t, fixture(t, "text.json")); got != 200 {
		t.Fatal(got)
	}
	e.flush(t) // outbox row 1 becomes wamid.out-1
	ctx := context.Background()
	steps := []struct {
		file                     string
		wantDelivery, wantFailed string
	}{
		{"status_read.json", "read", ""},
		{"status_delivered.json", "read", ""}, // late: does not go back
		{"status_failed.json", "read", "131026 Message undeliverable"},
		{"status_read.json", "read", "131026 Message undeliverable"}, // redelivered
	}
	for _, s := range steps {
		if got := e.postSigned(t, fixture(t, s.file)); got != 200 {
			t.Fatalf("%s: status %d", s.file, got)
		}
		d, f, err := e.h.st.DeliveryOf(ctx, CloudChannel, "wamid.out-1")
		if err != nil {
			t.Fatal(err)
		}
		if d != s.wantDelivery || f != s.wantFailed {
			t.Errorf("after %s: delivery %q failed %q; want %q %q", s.file, d, f, s.wantDelivery, s.wantFailed)
		}
	}
	if a := e.audit(t); a.Statuses != 3 {
		t.Errorf("%d statuses kept; want 3 (the redelivered one once)", a.Statuses)
	}
}

func TestWebhookDeadLetters(t *testing.T) {
	e := newCloudEnv(t, nil)
	bodies := [][]byte{
		fixture(t, "bad_truncated.json"),
		fixture(t, "bad_types.json"),
		[]byte(`{"object":"whatsapp_business_account","entry":[]}`),
		[]byte(`{"object":"page","entry":[{"id":"1"}]}`),
	}
	for i, b := range bodies {
		if got := e.postSigned(t, b); got != 200 {
			t.Errorf("body %d: status %d; want 200 (acknowledged, kept)", i, got)
		}
	}
	if a := e.audit(t); a.DeadLetters != len(bodies) || a.Inbound != 0 {
		t.Errorf("audit = %+v; want %d dead letters and nothing else", a, len(bodies))
	}
}

func TestWebhookStoreFailureIs503(t *testing.T) {
	e := newCloudEnv(t, nil)
	e.h.st.Close()
	if got := e.postSigned(t, fixture(t, "text.json")); got != http.StatusServiceUnavailable {
		t.Errorf("status = %d; want 503 so that Meta delivers again", got)
	}
}

// TestWebhookReferralBecomesCampaign completes a conversation that started
// from an ad and checks the lead carries the ad as its source.
func TestWebhookReferralBecomesCampaign(t *testing.T) {
	e := newCloudEnv(t, nil)
	if got := e.postSigned(t, fixture(t, "referral.json")); got != 200 {
		t.Fatal(got)
	}
	e.flush(t)
	for i, text := range []string{"sí", "me llamo Ana", "Bogotá", "3 millones", "este mes", "diseño web"} {
		e.h.clock.Add(20 * time.Second)
		e.say(t, "573001110005", fmt.Sprintf("wamid.ref-%d", i), text, e.h.clock.Now())
	}
	v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+573001110005")
	if err != nil {
		t.Fatal(err)
	}
	if v.Lead == nil {
		t.Fatalf("no lead; conversation at %s", v.State.Stage)
	}
	want := "ad:120212345678900123/ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a"
	if v.Lead.Lead.Source != want {
		t.Errorf("lead source = %q; want %q", v.Lead.Lead.Source, want)
	}
}

func TestCloudSenderRetriesAndFailures(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	if got := e.postSigned(t, fixture(t, "text.json")); got != 200 {
		t.Fatal(got)
	}
	e.graph.FailNext(500, 429)
	e.flush(t)
	if n, _ := e.graph.Count(); n != 0 {
		t.Fatalf("sent %d through a failing provider", n)
	}
	a := e.audit(t)
	if a.Outbox["pending"] == 0 || a.Outbox["failed"] != 0 {
		t.Fatalf("after a 500 the replies must wait for a retry: %v", a.Outbox)
	}
	// A later reply to the same person never overtakes the failed one.
	e.h.clock.Add(2 * time.Second)
	e.flush(t) // second attempt meets the 429
	e.h.clock.Add(10 * time.Second)
	e.flush(t)
	sent := e.graph.Sent()
	if len(sent) == 0 || !strings.Contains(sent[0].Outbox, ":1") {
		t.Fatalf("first reply sent = %+v; want outbox 1 first", sent)
	}
	if a := e.audit(t); a.Outbox["pending"] != 0 || a.Outbox["sent"] != len(sent) {
		t.Errorf("outbox = %v after recovery", a.Outbox)
	}

	// Outside the 24-hour window nothing is posted and the reply fails.
	e.h.clock.Add(25 * time.Hour)
	late := testPayload("573001110009", "wamid.late", "hola", fixtureStart)
	if got := e.postSigned(t, late); got != 200 {
		t.Fatal(got)
	}
	before, _ := e.graph.Count()
	e.flush(t)
	if after, _ := e.graph.Count(); after != before {
		t.Errorf("a reply outside the 24-hour window was posted")
	}
	if a := e.audit(t); a.Outbox["failed"] == 0 {
		t.Errorf("outbox = %v; want the late replies failed", a.Outbox)
	}
	if n, err := e.h.st.ReplyFailures(ctx, CloudChannel); err != nil || n == 0 {
		t.Errorf("reply failures told to advisors = %d, %v; want at least one", n, err)
	}
}

// TestClaimedRepliesAreNotResent simulates a crash after replies were handed
// to the Graph API and before the answer was recorded.
func TestClaimedRepliesAreNotResent(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	if got := e.postSigned(t, fixture(t, "text.json")); got != 200 {
		t.Fatal(got)
	}
	pending, err := e.h.st.PendingOutbox(ctx, CloudChannel, 10)
	if err != nil || len(pending) == 0 {
		t.Fatal(pending, err)
	}
	if _, err := e.h.st.ClaimOutbox(ctx, []int64{pending[0].ID}); err != nil {
		t.Fatal(err)
	}
	e.h.clock.Add(time.Second)
	// A new process starts its sender: the claimed row becomes unconfirmed.
	run, stop := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- e.cloud.Run(run) }()
	deadline := time.After(10 * time.Second)
	for e.audit(t).Outbox["pending"] != 0 {
		select {
		case <-deadline:
			t.Fatal("sender did not drain the outbox")
		case <-time.After(5 * time.Millisecond):
			e.cloud.Wake()
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	a := e.audit(t)
	if a.Outbox["unconfirmed"] != 1 {
		t.Errorf("outbox = %v; want the claimed row unconfirmed", a.Outbox)
	}
	for _, s := range e.graph.Sent() {
		if s.Outbox == fmt.Sprintf("outbox:%d", pending[0].ID) {
			t.Error("the claimed reply was sent again")
		}
	}
	// Meta's status callback names the row: it is confirmed as sent.
	if got := e.postSigned(t, fixture(t, "status_delivered.json")); got != 200 {
		t.Fatal(got)
	}
	if a := e.audit(t); a.Outbox["unconfirmed"] != 0 {
		t.Errorf("outbox = %v; want the row confirmed by its status", a.Outbox)
	}
}

func TestNewCloudAPIRequiresSecrets(t *testing.T) {
	h := newHarness(t, "es", fixtureStart)
	_, err := NewCloudAPI(h.bot, h.st, CloudConfig{VerifyToken: "v", AccessToken: "a"}, nil)
	if err == nil {
		t.Error("a channel without an app secret was accepted")
	}
	if errors.Is(err, ErrPermanent) {
		t.Error("unexpected error kind")
	}
}

// TestWebhookDatabaseLockedIs503 holds the write lock from another
// connection (RELIABILITY F9): the webhook answers 503 so that Meta
// redelivers, and once the lock is gone the redelivery is stored once.
func TestWebhookDatabaseLockedIs503(t *testing.T) {
	sqliteOnly(t, "it holds SQLite's one write lock (BEGIN IMMEDIATE on a second handle); PostgreSQL locks rows, and its lock-timeout path (IsBusy) has no bot test yet")
	e := newCloudEnv(t, nil)
	e.h.st.Close()
	st, err := store.Open(context.Background(), e.h.path, store.Options{Now: e.h.clock.Now, BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	b, err := New(Deps{Store: st, Flow: e.h.bot.flow, Now: e.h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	cloud, err := NewCloudAPI(b, st, CloudConfig{AppSecret: testSecret, VerifyToken: testVerify, AccessToken: "a", GraphURL: "http://127.0.0.1:1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(cloud)
	defer srv.Close()
	e.srv = srv

	other, err := store.DeviceDB(e.h.path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.Begin() // BEGIN IMMEDIATE: the write lock, held
	if err != nil {
		t.Fatal(err)
	}
	body := fixture(t, "text.json")
	if got := e.postSigned(t, body); got != http.StatusServiceUnavailable {
		t.Errorf("status with the database locked = %d; want 503", got)
	}
	lock.Rollback()
	if got := e.postSigned(t, body); got != 200 {
		t.Fatalf("redelivery after the lock: status %d", got)
	}
	if a, err := st.DeliveryAudit(context.Background(), CloudChannel); err != nil || a.Inbound != 1 {
		t.Errorf("audit = %+v, %v; want the message stored once", a, err)
	}
}
