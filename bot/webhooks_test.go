package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// received is one request a test receiver got.
type received struct {
	EventID, Type string
	Lead          int64
	Status        int  // what the receiver answered
	SigOK         bool // the signature verified (VerifyCISWebhook)
	Body          []byte
	At            time.Time
}

// receiver is a webhook destination for the tests: it verifies every
// request and answers what answer says (200 by default).
type receiver struct {
	secret string
	mu     sync.Mutex
	got    []received
	answer func(n int) int // n: requests so far
	hold   chan struct{}   // when set, each request waits for it
	inside chan struct{}   // signalled when a request is held
	now    func() time.Time
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	if r.hold != nil {
		r.inside <- struct{}{}
		<-r.hold
	}
	var p struct {
		Data struct {
			Lead   struct{ ID int64 }
			LeadID int64 `json:"lead_id"`
		}
	}
	_ = json.Unmarshal(body, &p)
	r.mu.Lock()
	defer r.mu.Unlock()
	code := http.StatusOK
	if r.answer != nil {
		code = r.answer(len(r.got))
	}
	_, err := VerifyCISWebhook(r.secret, req.Header, body, r.now())
	r.got = append(r.got, received{EventID: req.Header.Get(HeaderEventID), Type: req.Header.Get(HeaderEventType),
		Lead: max(p.Data.Lead.ID, p.Data.LeadID), Status: code, SigOK: err == nil, Body: body, At: r.now()})
	w.WriteHeader(code)
}

// delivered are the requests answered 2xx, in arrival order.
func (r *receiver) delivered() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []received
	for _, g := range r.got {
		if g.Status/100 == 2 {
			out = append(out, g)
		}
	}
	return out
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

// hookEnv is a bot on a store, with one advisor, and a webhook receiver
// registered for every event.
type hookEnv struct {
	h    *harness
	rcv  *receiver
	srv  *httptest.Server
	dest int64
	n    int // prospects so far
}

func newHookEnv(t *testing.T) *hookEnv {
	t.Helper()
	h := newHarness(t, "es", time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)) // Monday 10:00 in Bogotá
	if err := h.st.SetAdvisors(context.Background(), []store.Advisor{{Name: "Ana", Phone: "+573000000001"}}); err != nil {
		t.Fatal(err)
	}
	e := &hookEnv{h: h, rcv: &receiver{now: h.clock.Now}}
	e.srv = httptest.NewServer(e.rcv)
	t.Cleanup(e.srv.Close)
	e.dest, e.rcv.secret = e.register(t, e.srv.URL)
	return e
}

func (e *hookEnv) register(t *testing.T, url string) (int64, string) {
	t.Helper()
	id, secret, err := e.h.st.CreateWebhook(context.Background(), store.NewWebhook{Name: "crm", URL: url, Events: store.WebhookEvents()}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return id, secret
}

// lead has a new prospect complete a conversation (lead.completed,
// lead.assigned) and the advisor contact and win it (lead.contacted,
// lead.won): four events for the lead, whose id it returns.
func (e *hookEnv) lead(t *testing.T) int64 {
	t.Helper()
	ctx := context.Background()
	e.n++
	e.h.sim.Phone = fmt.Sprintf("+5730012%05d", e.n)
	for _, text := range []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"} {
		if _, err := e.h.sim.Send(ctx, ScriptLine{Kind: flow.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	v, err := e.h.st.Conversation(ctx, ChatChannel, e.h.sim.Account, e.h.sim.Phone)
	if err != nil || v.Lead == nil {
		t.Fatalf("no lead: %v", err)
	}
	for _, kind := range []string{"contacted", "won"} {
		if err := e.h.st.ActOnLead(ctx, v.Lead.ID, store.LeadAction{Kind: kind, ByUser: 1, ValueCOP: 1_000_000}); err != nil {
			t.Fatal(err)
		}
	}
	return v.Lead.ID
}

func (e *hookEnv) worker(tune func(*WebhookConfig)) *Webhooks {
	cfg := WebhookConfig{AllowPrivate: true, Now: e.h.clock.Now, Timeout: 5 * time.Second}
	if tune != nil {
		tune(&cfg)
	}
	return NewWebhooks(e.h.st, cfg, nil)
}

// passes runs n passes of w, the clock moving step after each.
func (e *hookEnv) passes(t *testing.T, w *Webhooks, n int, step time.Duration) {
	t.Helper()
	for range n {
		if err := w.Once(context.Background()); err != nil {
			t.Fatal(err)
		}
		e.h.clock.Add(step)
	}
}

func (e *hookEnv) status(t *testing.T) store.WebhookDestination {
	t.Helper()
	ws, err := e.h.st.Webhooks(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ws {
		if w.ID == e.dest {
			return w
		}
	}
	t.Fatalf("destination %d not listed", e.dest)
	return store.WebhookDestination{}
}

var leadEventOrder = []string{store.EventLeadCompleted, store.EventLeadAssigned, store.EventLeadContacted, store.EventLeadWon}

// checkOnceInOrder: every queued event id arrived (2xx) exactly once after
// deduplication by event id, and each lead's events in their order.
func checkOnceInOrder(t *testing.T, got []received, leads []int64, dupsAllowed int) {
	t.Helper()
	seen := map[string]int{}
	perLead := map[int64][]string{}
	for _, g := range got {
		if !g.SigOK {
			t.Errorf("event %s: signature did not verify", g.EventID)
		}
		seen[g.EventID]++
		if seen[g.EventID] == 1 {
			perLead[g.Lead] = append(perLead[g.Lead], g.Type)
		}
	}
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	if dups > dupsAllowed {
		t.Errorf("%d events delivered more than once; want at most %d", dups, dupsAllowed)
	}
	if len(seen) != len(leads)*len(leadEventOrder) {
		t.Errorf("%d distinct events delivered, want %d", len(seen), len(leads)*len(leadEventOrder))
	}
	for _, l := range leads {
		if !slices.Equal(perLead[l], leadEventOrder) {
			t.Errorf("lead %d: events arrived as %v, want %v", l, perLead[l], leadEventOrder)
		}
	}
}

// TestWebhookDownThenBackDeliversEachOnceInOrder: a destination that
// answers 503 for a while gets, once it is back, every event exactly once
// and in order per lead; while it is down it is paused (not hit once per
// queued lead) and its page shows the last status and what is pending.
func TestOutgoingWebhookDownThenBackDeliversEachOnceInOrder(t *testing.T) {
	e := newHookEnv(t)
	var leads []int64
	for range 3 {
		leads = append(leads, e.lead(t))
	}
	down := true
	e.rcv.answer = func(int) int {
		if down {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	}
	w := e.worker(nil)
	const downPasses = 12
	e.passes(t, w, downPasses, 5*time.Minute) // an hour down
	st := e.status(t)
	if len(e.rcv.delivered()) != 0 || st.Pending != 12 || st.LastStatus != "503" || !st.LastSuccessAt.IsZero() {
		t.Fatalf("while down: delivered %d, status %+v; want nothing delivered, 12 pending, last status 503", len(e.rcv.delivered()), st)
	}
	if n := len(e.rcv.all()); n == 0 || n > downPasses {
		t.Errorf("%d requests while down over %d passes: want at least one, at most one a pass (the destination pauses)", n, downPasses)
	}
	down = false
	for i := 0; i < 30 && e.status(t).Pending > 0; i++ {
		e.passes(t, w, 1, 10*time.Minute)
	}
	checkOnceInOrder(t, e.rcv.delivered(), leads, 0)
	if st := e.status(t); st.Pending != 0 || st.Delivered != 12 || st.LastStatus != "200" || st.LastError != "" || st.LastSuccessAt.IsZero() {
		t.Errorf("after recovery: %+v", st)
	}
}

// TestWebhookFailurePolicy: 4xx other than 408/429 gives an event up at
// once (shown) and the lead's next event goes on; 408, 429 and 5xx are
// retried; a destination on a loopback address is refused unless allowed.
func TestOutgoingWebhookFailurePolicy(t *testing.T) {
	for _, c := range []struct {
		code   int
		failed bool
	}{{http.StatusGone, true}, {http.StatusUnprocessableEntity, true}, {http.StatusFound, true},
		{http.StatusRequestTimeout, false}, {http.StatusTooManyRequests, false}, {http.StatusBadGateway, false}} {
		t.Run(fmt.Sprint(c.code), func(t *testing.T) {
			e := newHookEnv(t)
			e.lead(t)
			e.rcv.answer = func(n int) int {
				if n == 0 {
					return c.code
				}
				return http.StatusOK
			}
			e.passes(t, e.worker(nil), 10, 10*time.Minute)
			st := e.status(t)
			wantFailed, wantDelivered := 0, 4
			if c.failed {
				wantFailed, wantDelivered = 1, 3
			}
			if st.Failed != wantFailed || st.Delivered != wantDelivered || st.Pending != 0 {
				t.Errorf("after a %d: %+v; want %d failed, %d delivered", c.code, st, wantFailed, wantDelivered)
			}
		})
	}
	t.Run("loopback refused", func(t *testing.T) {
		e := newHookEnv(t)
		e.lead(t)
		e.passes(t, e.worker(func(c *WebhookConfig) { c.AllowPrivate = false }), 2, time.Minute)
		if st := e.status(t); len(e.rcv.all()) != 0 || st.Failed != 4 || st.LastStatus != "refused" {
			t.Errorf("requests %d, status %+v; want none sent, all 4 failed as refused", len(e.rcv.all()), st)
		}
	})
}

// TestWebhookBackoffSchedule: a destination that never comes back is
// retried with growing, jittered waits (30 s doubling to an hour) for 24
// hours after the event, then the event is given up and shown failed.
func TestOutgoingWebhookBackoffSchedule(t *testing.T) {
	want := []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute,
		16 * time.Minute, 32 * time.Minute, time.Hour, time.Hour, time.Hour}
	for i, d := range want {
		if got := webhookBackoff(i); got != d {
			t.Errorf("webhookBackoff(%d) = %v, want %v", i, got, d)
		}
	}
	e := newHookEnv(t)
	e.h.sim.Phone = "+573001200000"
	for _, text := range []string{"hola", "sí", "me llamo ana", "medallo", "2 millones", "pa' ya", "facebook ads"} {
		if _, err := e.h.sim.Send(context.Background(), ScriptLine{Kind: flow.KindText, Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	start := e.h.clock.Now()
	e.rcv.answer = func(int) int { return http.StatusServiceUnavailable }
	w := e.worker(nil)
	for e.h.clock.Now().Sub(start) < 25*time.Hour {
		e.passes(t, w, 1, 15*time.Second)
	}
	// lead.assigned, queued with it and waiting behind it, is past its 24
	// hours too when its turn comes: tried once, given up.
	st := e.status(t)
	if st.Failed != 2 || st.Pending != 0 {
		t.Fatalf("after 25 hours: %+v; want both events given up", st)
	}
	var at []time.Time
	for i, g := range e.rcv.all() {
		if g.Type == store.EventLeadCompleted {
			at = append(at, g.At)
		} else if n := len(e.rcv.all()); g.Type != store.EventLeadAssigned || i != n-1 {
			t.Errorf("request %d of %d: %s; want lead.assigned only once lead.completed was given up", i+1, n, g.Type)
		}
	}
	const tick = 15 * time.Second // the passes' granularity
	for i := 1; i < len(at); i++ {
		gap, d := at[i].Sub(at[i-1]), webhookBackoff(i-1)
		if gap < d/2 || gap > d+tick {
			t.Errorf("wait before attempt %d: %v; want %v to %v (backoff with jitter)", i+1, gap, d/2, d)
		}
	}
	if last := at[len(at)-1].Sub(start); last < 23*time.Hour || last > 24*time.Hour+tick {
		t.Errorf("last attempt %v after the event; want within its 24th hour", last)
	}
	t.Logf("%d attempts in 24 hours", len(at))
}

// TestWebhookSignatureVerifies: the receiver's check (VerifyCISWebhook,
// the README's example) accepts what the sender signed, and refuses a
// changed body, a wrong secret and a timestamp outside the window.
func TestOutgoingWebhookSignatureVerifies(t *testing.T) {
	e := newHookEnv(t)
	e.lead(t)
	e.passes(t, e.worker(nil), 3, time.Second)
	got := e.rcv.delivered()
	if len(got) != 4 {
		t.Fatalf("%d delivered, want 4", len(got))
	}
	g := got[0]
	h := http.Header{}
	now := e.h.clock.Now()
	ts := fmt.Sprint(now.Unix())
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderSignature, SignWebhook(e.rcv.secret, ts, g.Body))
	if _, err := VerifyCISWebhook(e.rcv.secret, h, g.Body, now); err != nil {
		t.Errorf("valid signature refused: %v", err)
	}
	tampered := append(slices.Clone(g.Body[:len(g.Body)-1]), ' ', '}')
	if _, err := VerifyCISWebhook(e.rcv.secret, h, tampered, now); err == nil {
		t.Error("changed body accepted")
	}
	if _, err := VerifyCISWebhook("whsec_other", h, g.Body, now); err == nil {
		t.Error("wrong secret accepted")
	}
	if _, err := VerifyCISWebhook(e.rcv.secret, h, g.Body, now.Add(6*time.Minute)); err == nil {
		t.Error("a timestamp 6 minutes old accepted (replay window 5 minutes)")
	}
	if !json.Valid(g.Body) {
		t.Errorf("body is not JSON: %s", g.Body)
	}
}

// TestOutgoingWebhookHangingDestinationDoesNotSlowTheBot: while one
// destination holds a request open (a server that hangs), prospects'
// messages are handled and answered, their leads' events are queued, and
// another destination receives every one of them: the bot never waits for a
// webhook (the events are rows in the message's own commit), and each
// destination has its own worker. The latency of the messages handled
// meanwhile is logged, not asserted (benchmarks hold speed targets).
func TestOutgoingWebhookHangingDestinationDoesNotSlowTheBot(t *testing.T) {
	e := newHookEnv(t)
	hung := &receiver{now: e.h.clock.Now, hold: make(chan struct{}), inside: make(chan struct{}, 8)}
	hsrv := httptest.NewServer(hung)
	t.Cleanup(hsrv.Close)
	t.Cleanup(func() { close(hung.hold) }) // runs before hsrv.Close: the held request ends
	_, hung.secret = e.register(t, hsrv.URL)
	leads := []int64{e.lead(t)}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() {
		stopped <- e.worker(func(c *WebhookConfig) { c.Timeout = time.Minute }).Run(ctx, 10*time.Millisecond)
	}()
	defer func() { cancel(); <-stopped }()
	select {
	case <-hung.inside:
	case <-time.After(30 * time.Second):
		t.Fatal("the hanging destination never got its request")
	}
	var slowest time.Duration
	for range 3 {
		start := time.Now()
		leads = append(leads, e.lead(t)) // seven messages handled, two advisor actions
		slowest = max(slowest, time.Since(start))
	}
	t.Logf("a whole conversation and two actions, the slowest of 3, while a destination hangs: %v", slowest)
	for deadline := time.Now().Add(30 * time.Second); len(e.rcv.delivered()) < 4*len(leads) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	checkOnceInOrder(t, e.rcv.delivered(), leads, 0)
	if n := len(hung.all()); n != 0 {
		t.Errorf("the hanging destination answered %d requests; want its first still held", n)
	}
}

// TestOutgoingWebhookTimeoutIsSentAgain: a destination slower than the
// timeout may have the event all the same; it is sent again with the same
// event id (never given up for it), and the receiver, deduplicating by id,
// handles it once.
func TestOutgoingWebhookTimeoutIsSentAgain(t *testing.T) {
	e := newHookEnv(t)
	// The same receiver behind a server whose first answer comes late.
	var slow atomic.Bool
	slow.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if slow.CompareAndSwap(true, false) {
			time.Sleep(500 * time.Millisecond) // past the worker's timeout; the receiver still handles it
		}
		e.rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	if err := e.h.st.DeleteWebhook(context.Background(), e.dest, 0); err != nil {
		t.Fatal(err)
	}
	e.dest, e.rcv.secret = e.register(t, srv.URL)
	lead := e.lead(t)
	w := e.worker(func(c *WebhookConfig) { c.Timeout = 100 * time.Millisecond })
	for i := 0; i < 10 && e.status(t).Pending > 0; i++ {
		e.passes(t, w, 1, time.Minute)
	}
	for deadline := time.Now().Add(5 * time.Second); len(e.rcv.all()) < 5 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond) // the late answer of the first send
	}
	got := e.rcv.delivered()
	if n := len(got); n != 5 || got[n-1].EventID != got[0].EventID {
		t.Errorf("received %d requests; want 5, the first event again last (its first send timed out; it arrived late)", len(got))
	}
	checkOnceInOrder(t, got, []int64{lead}, 1)
	if st := e.status(t); st.Delivered != 4 || st.Failed != 0 {
		t.Errorf("status %+v; want 4 delivered", st)
	}
}

// TestWebhookDialRefusesInsideAddresses: unless allowed, the worker does not
// connect to what an outside caller must not reach through it, whatever
// name resolved there (the check runs on the address dialled).
func TestWebhookDialRefusesInsideAddresses(t *testing.T) {
	for _, c := range []struct {
		addr    string
		refused bool
	}{
		{"127.0.0.1:80", true}, {"[::1]:443", true}, {"10.1.2.3:443", true}, {"192.168.0.10:80", true},
		{"172.16.5.4:80", true}, {"169.254.169.254:80", true}, {"[fe80::1]:80", true}, {"0.0.0.0:80", true},
		{"100.64.0.1:80", true}, {"224.0.0.1:80", true}, {"[::ffff:127.0.0.1]:80", true}, {"[fc00::1]:443", true},
		{"not-an-address", true},
		{"8.8.8.8:443", false}, {"[2001:4860:4860::8888]:443", false}, {"190.24.1.1:80", false},
	} {
		err := checkDialAddr(c.addr, false)
		if (err != nil) != c.refused {
			t.Errorf("%s: %v; want refused %v", c.addr, err, c.refused)
		}
		if err := checkDialAddr(c.addr, true); err != nil {
			t.Errorf("%s with private addresses allowed: %v", c.addr, err)
		}
	}
}

// TestOutgoingWebhookHeedsRetryAfter: a 429 (or 503) with Retry-After in
// seconds is tried again no sooner than that, instead of after the 30 s
// first step of the backoff.
func TestOutgoingWebhookHeedsRetryAfter(t *testing.T) {
	e := newHookEnv(t)
	e.lead(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(e.rcv.all()) == 0 {
			w.Header().Set("Retry-After", "600")
		}
		e.rcv.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.rcv.answer = func(n int) int {
		if n == 0 {
			return http.StatusTooManyRequests
		}
		return http.StatusOK
	}
	if err := e.h.st.DeleteWebhook(context.Background(), e.dest, 0); err != nil {
		t.Fatal(err)
	}
	e.dest, e.rcv.secret = e.register(t, srv.URL)
	e.h.sim.Phone = "+573001299999"
	lead := e.lead(t) // queued for the new destination
	w := e.worker(nil)
	for i := 0; i < 30 && e.status(t).Pending > 0; i++ {
		e.passes(t, w, 1, time.Minute)
	}
	all := e.rcv.all()
	if len(all) < 2 || all[0].Status != http.StatusTooManyRequests {
		t.Fatalf("requests %d; want a 429 then the deliveries", len(all))
	}
	if gap := all[1].At.Sub(all[0].At); gap < 10*time.Minute {
		t.Errorf("tried again %v after a 429 with Retry-After: 600; want at least 10 minutes", gap)
	}
	checkOnceInOrder(t, e.rcv.delivered(), []int64{lead}, 0)
}
