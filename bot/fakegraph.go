package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// FakeGraph is a stand-in for the Graph API's send endpoint, for tests, the
// load test and the crash test: it accepts POST /{phone-number-id}/messages,
// answers a wamid derived from the outbox row ("wamid.out-<id>") and records
// what it received. Safe for concurrent use.
type FakeGraph struct {
	mu       sync.Mutex
	byOutbox map[string]int // biz_opaque_callback_data → times received
	sent     []FakeSent
	failNext []int // status codes to answer, in order, before accepting again
	failBody map[string]int
}

// FakeSent is one message the fake accepted. To is the phone it was
// addressed to, Recipient the business-scoped user id (one of the two).
type FakeSent struct {
	Account, To, Recipient, Body, Outbox string
}

// NewFakeGraph returns an empty fake.
func NewFakeGraph() *FakeGraph { return &FakeGraph{byOutbox: map[string]int{}} }

// FailNext makes the next len(codes) sends fail with these HTTP status codes.
func (f *FakeGraph) FailNext(codes ...int) {
	f.mu.Lock()
	f.failNext = append(f.failNext, codes...)
	f.mu.Unlock()
}

// FailBody makes every send whose text contains substr fail with the HTTP
// status code.
func (f *FakeGraph) FailBody(substr string, code int) {
	f.mu.Lock()
	if f.failBody == nil {
		f.failBody = map[string]int{}
	}
	f.failBody[substr] = code
	f.mu.Unlock()
}

// ServeHTTP implements the fake endpoint.
func (f *FakeGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	account, ok := strings.CutSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/messages")
	if r.Method != http.MethodPost || !ok || strings.Contains(account, "/") {
		http.NotFound(w, r)
		return
	}
	var m graphText
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&m); err != nil || (m.To == "") == (m.Recipient == "") {
		http.Error(w, `{"error":{"code":100,"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	for substr, code := range f.failBody {
		if strings.Contains(m.Text.Body, substr) {
			f.failNext = append([]int{code}, f.failNext...)
			break
		}
	}
	if len(f.failNext) > 0 {
		code := f.failNext[0]
		f.failNext = f.failNext[1:]
		f.mu.Unlock()
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":%d,"message":"injected"}}`, code)
		return
	}
	f.byOutbox[m.BizOpaque]++
	f.sent = append(f.sent, FakeSent{Account: account, To: m.To, Recipient: m.Recipient, Body: m.Text.Body, Outbox: m.BizOpaque})
	f.mu.Unlock()
	id := "wamid.out-" + strings.TrimPrefix(m.BizOpaque, opaquePrefix)
	w.Header().Set("Content-Type", "application/json")
	if m.Recipient != "" {
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"user_id":%q}],"messages":[{"id":%q}]}`, m.Recipient, m.Recipient, id)
		return
	}
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":%q}]}`, m.To, m.To, id)
}

// Sent returns a copy of what was accepted, in arrival order.
func (f *FakeGraph) Sent() []FakeSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeSent(nil), f.sent...)
}

// Count returns how many messages were accepted and how many outbox rows
// arrived more than once (duplicate replies).
func (f *FakeGraph) Count() (accepted, duplicates int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, n := range f.byOutbox {
		if n > 1 {
			duplicates++
		}
	}
	return len(f.sent), duplicates
}

// PerOutbox returns how many times each outbox row reached the fake, by
// row id, for store.Expect.Sends (invariant I4).
func (f *FakeGraph) PerOutbox() map[int64]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[int64]int, len(f.byOutbox))
	for key, n := range f.byOutbox {
		id, err := strconv.ParseInt(strings.TrimPrefix(key, opaquePrefix), 10, 64)
		if err != nil {
			id = -1 // not one of ours: the checker reports it as unknown
		}
		out[id] += n
	}
	return out
}
