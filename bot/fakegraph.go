package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// FakeGraph is a stand-in for the Graph API's send and media endpoints, for
// tests, the load test and the crash test: it accepts POST /{phone-number-id}/messages,
// answers a wamid derived from the outbox row ("wamid.out-<id>") and records
// what it received. Safe for concurrent use.
type FakeGraph struct {
	mu       sync.Mutex
	byOutbox map[string]int // biz_opaque_callback_data → times received
	sent     []FakeSent
	failNext []fakeFail // answers to give, in order, before accepting again
	// failOnce holds, per recipient, answers to give to their next sends.
	failOnce map[string][]fakeFail
	refuseIA bool // answer interactive messages as Meta answers invalid parameters
	media    map[string]fakeMedia
	fetched  int            // media downloads served
	failBody map[string]int // text → status code to answer every send containing it with
	failTo   map[string]int // recipient → status code to answer every send to them with
	byTo     map[string][]FakeSent
	changed  chan struct{} // closed (and replaced) whenever a send is accepted
	events   fakeEvents    // the Conversions API (fakegraph_events.go)
}

// fakeFail is an error answer: the HTTP status and the Graph API code.
type fakeFail struct{ status, code int }

type fakeMedia struct {
	mime string
	data []byte
}

// AddMedia makes a media id downloadable as the Graph API serves media: GET
// /{media-id} answers its URL and type, GET on that URL (with the bearer
// token) the bytes.
func (f *FakeGraph) AddMedia(id, mimeType string, data []byte) {
	f.mu.Lock()
	if f.media == nil {
		f.media = map[string]fakeMedia{}
	}
	f.media[id] = fakeMedia{mime: mimeType, data: data}
	f.mu.Unlock()
}

// MediaDownloads returns how many media files the fake served.
func (f *FakeGraph) MediaDownloads() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.fetched
}

// serveMedia answers GET /{media-id} and GET /_media/{media-id}.
func (f *FakeGraph) serveMedia(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		http.Error(w, `{"error":{"code":190,"message":"missing access token"}}`, http.StatusUnauthorized)
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	id, download := strings.CutPrefix(path, "_media/")
	f.mu.Lock()
	m, ok := f.media[id]
	if ok && download {
		f.fetched++
	}
	f.mu.Unlock()
	if !ok {
		http.Error(w, `{"error":{"code":100,"message":"Unsupported get request"}}`, http.StatusBadRequest)
		return
	}
	if download {
		w.Header().Set("Content-Type", m.mime)
		_, _ = w.Write(m.data)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"messaging_product": "whatsapp",
		"url": "http://" + r.Host + "/_media/" + id, "mime_type": m.mime, "file_size": len(m.data), "id": id})
}

// RefuseInteractive makes the fake refuse every interactive message with
// Meta's "parameter value is not valid" answer, as for a menu it cannot show.
func (f *FakeGraph) RefuseInteractive(refuse bool) {
	f.mu.Lock()
	f.refuseIA = refuse
	f.mu.Unlock()
}

// FakeSent is one message the fake accepted. To is the phone it was
// addressed to, Recipient the business-scoped user id (one of the two).
type FakeSent struct {
	Account, To, Recipient, Body, Outbox string // Body: the text, or an interactive message's body
	Type                                 string // "text" or "interactive"
	Interactive                          string // "button" or "list" for an interactive message
	ListButton                           string // the label that opens a list
	Options                              []FakeOption
	Template                             string   // a template's name and language, "name/lang"
	Params                               []string // a template's body parameters
}

// FakeOption is one reply button or list row of an interactive message.
type FakeOption struct {
	ID, Title, Description string
}

// NewFakeGraph returns an empty fake.
func NewFakeGraph() *FakeGraph {
	return &FakeGraph{byOutbox: map[string]int{}, byTo: map[string][]FakeSent{}, changed: make(chan struct{})}
}

// Received returns what was accepted for recipient (the phone's digits or
// the business-scoped user id), in order.
func (f *FakeGraph) Received(recipient string) []FakeSent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]FakeSent(nil), f.byTo[recipient]...)
}

// Await waits until more than n messages were accepted for recipient, or
// until ctx ends, and returns what was accepted for them.
func (f *FakeGraph) Await(ctx context.Context, recipient string, n int) []FakeSent {
	for {
		f.mu.Lock()
		got, changed := f.byTo[recipient], f.changed
		f.mu.Unlock()
		if len(got) > n {
			return append([]FakeSent(nil), got...)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return append([]FakeSent(nil), got...)
		}
	}
}

// FailNext makes the next len(codes) sends fail with these HTTP status codes.
func (f *FakeGraph) FailNext(codes ...int) {
	f.mu.Lock()
	for _, c := range codes {
		f.failNext = append(f.failNext, fakeFail{status: c, code: c})
	}
	f.mu.Unlock()
}

// FailNextCode makes the next send, whoever it is to, fail with the HTTP
// status and the Graph API error code (130429: the number's throughput).
func (f *FakeGraph) FailNextCode(status, code int) {
	f.mu.Lock()
	f.failNext = append(f.failNext, fakeFail{status: status, code: code})
	f.mu.Unlock()
}

// FailNextTo makes the next send to recipient fail with the HTTP status
// and the Graph API error code (131056: the pair rate; 131047: the 24-hour
// window; 131026: undeliverable).
func (f *FakeGraph) FailNextTo(recipient string, status, code int) {
	f.mu.Lock()
	if f.failOnce == nil {
		f.failOnce = map[string][]fakeFail{}
	}
	f.failOnce[recipient] = append(f.failOnce[recipient], fakeFail{status: status, code: code})
	f.mu.Unlock()
}

// FailTo makes every send to recipient (the phone's digits or the
// business-scoped user id, as the Graph API gets them) fail with code, until FailTo(recipient, 0): a person the provider cannot
// reach (a WhatsApp username without a phone, a blocked number).
func (f *FakeGraph) FailTo(recipient string, code int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failTo == nil {
		f.failTo = map[string]int{}
	}
	if code == 0 {
		delete(f.failTo, recipient)
		return
	}
	f.failTo[recipient] = code
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
	if r.Method == http.MethodGet {
		f.serveMedia(w, r)
		return
	}
	if strings.HasSuffix(r.URL.Path, "/events") {
		f.serveEvents(w, r)
		return
	}
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
	sent, err := fakeSent(account, m)
	f.mu.Lock()
	if code := f.failTo[cmp.Or(m.To, m.Recipient)]; code != 0 {
		f.mu.Unlock()
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":131026,"message":"injected: recipient unreachable"}}`)
		return
	}
	if err == nil && m.Interactive != nil && f.refuseIA {
		err = errors.New("refused")
	}
	if err != nil {
		f.mu.Unlock()
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, `{"error":{"code":%d,"message":"(#131009) Parameter value is not valid: %s"}}`, codeBadParamValue, err)
		return
	}
	for substr, code := range f.failBody {
		if strings.Contains(sent.Body, substr) {
			f.failNext = append([]fakeFail{{status: code, code: code}}, f.failNext...)
			break
		}
	}
	if q := f.failOnce[cmp.Or(m.To, m.Recipient)]; len(q) > 0 {
		f.failOnce[cmp.Or(m.To, m.Recipient)] = q[1:]
		f.failNext = append([]fakeFail{q[0]}, f.failNext...)
	}
	if len(f.failNext) > 0 {
		fail := f.failNext[0]
		f.failNext = f.failNext[1:]
		f.mu.Unlock()
		w.WriteHeader(fail.status)
		fmt.Fprintf(w, `{"error":{"code":%d,"message":"injected"}}`, fail.code)
		return
	}
	f.byOutbox[m.BizOpaque]++
	f.sent = append(f.sent, sent)
	to := cmp.Or(m.To, m.Recipient)
	f.byTo[to] = append(f.byTo[to], sent)
	close(f.changed)
	f.changed = make(chan struct{})
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

// fakeSent checks m as the Graph API does (a text with a body; an
// interactive message within Meta's limits) and returns what was sent.
func fakeSent(account string, m graphText) (FakeSent, error) {
	s := FakeSent{Account: account, To: m.To, Recipient: m.Recipient, Outbox: m.BizOpaque, Type: m.Type}
	switch {
	case m.Type == "text" && m.Text != nil && m.Text.Body != "":
		s.Body = m.Text.Body
		return s, nil
	case m.Type == "template" && m.Template != nil && m.Template.Name != "" && m.Template.Language.Code != "":
		s.Template = m.Template.Name + "/" + m.Template.Language.Code
		for _, c := range m.Template.Components {
			for _, p := range c.Parameters {
				s.Params = append(s.Params, p.Text)
			}
		}
		return s, nil
	case m.Type == "interactive" && m.Interactive != nil:
		ia := m.Interactive
		s.Body, s.Interactive, s.ListButton = ia.Body.Text, ia.Type, ia.Action.Button
		for _, b := range ia.Action.Buttons {
			s.Options = append(s.Options, FakeOption{ID: b.Reply.ID, Title: b.Reply.Title})
		}
		for _, sec := range ia.Action.Sections {
			for _, r := range sec.Rows {
				s.Options = append(s.Options, FakeOption(r))
			}
		}
		return s, checkInteractive(ia)
	}
	return s, errors.New("message type without its content")
}

// checkInteractive applies Meta's documented limits.
func checkInteractive(ia *graphInteractive) error {
	body := utf16Len(ia.Body.Text)
	switch ia.Type {
	case "button":
		if body == 0 || body > maxButtonsBody || len(ia.Action.Buttons) == 0 || len(ia.Action.Buttons) > maxReplyButtons {
			return errors.New("buttons: body or count")
		}
		titles := map[string]bool{}
		for _, b := range ia.Action.Buttons {
			t := b.Reply.Title
			if b.Type != "reply" || t == "" || utf16Len(t) > maxButtonTitle || b.Reply.ID == "" || utf16Len(b.Reply.ID) > maxButtonID || titles[t] {
				return fmt.Errorf("button %q", t)
			}
			titles[t] = true
		}
		return nil
	case "list":
		if body == 0 || body > maxListBody || ia.Action.Button == "" || utf16Len(ia.Action.Button) > maxListButton || len(ia.Action.Sections) == 0 {
			return errors.New("list: body, button or sections")
		}
		rows := 0
		ids := map[string]bool{}
		for _, sec := range ia.Action.Sections {
			if utf16Len(sec.Title) > maxSectionTitle || (len(ia.Action.Sections) > 1 && sec.Title == "") {
				return errors.New("list: section title")
			}
			for _, r := range sec.Rows {
				rows++
				if r.ID == "" || utf16Len(r.ID) > maxRowID || ids[r.ID] || r.Title == "" || utf16Len(r.Title) > maxRowTitle || utf16Len(r.Description) > maxRowDesc {
					return fmt.Errorf("row %q", r.Title)
				}
				ids[r.ID] = true
			}
		}
		if rows == 0 || rows > maxListRows {
			return errors.New("list: row count")
		}
		return nil
	}
	return fmt.Errorf("interactive type %q", ia.Type)
}
