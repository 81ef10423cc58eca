package bot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// The fake Graph API's Conversions API: POST /{dataset-id}/events. It
// checks what Meta requires of a business-messaging event, counts each
// event_id once as Meta deduplicates (and how often it arrived), and can
// fail the next posts.

// FakeEvent is one conversion event the fake received.
type FakeEvent struct {
	Dataset, Name, EventID, CtwaClid, WABAID string
	Currency                                 string
	Value                                    int64
	Time                                     int64
}

// fakeEvents is the fake's Conversions API state (under FakeGraph.mu).
type fakeEvents struct {
	unique   []FakeEvent    // one per event_id, as Meta counts them
	arrivals map[string]int // event_id → posts that carried it
	fail     []int          // status codes to answer the next posts with
}

// FailNextEvents makes the next len(codes) event posts fail with these
// HTTP status codes.
func (f *FakeGraph) FailNextEvents(codes ...int) {
	f.mu.Lock()
	f.events.fail = append(f.events.fail, codes...)
	f.mu.Unlock()
}

// Events returns the conversion events received, each event_id once, and
// how many posts carried each event_id.
func (f *FakeGraph) Events() ([]FakeEvent, map[string]int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	arrivals := make(map[string]int, len(f.events.arrivals))
	for k, v := range f.events.arrivals {
		arrivals[k] = v
	}
	return append([]FakeEvent(nil), f.events.unique...), arrivals
}

// serveEvents answers POST /{dataset-id}/events.
func (f *FakeGraph) serveEvents(w http.ResponseWriter, r *http.Request) {
	dataset := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/"), "/events")
	if r.Method != http.MethodPost || dataset == "" || strings.Contains(dataset, "/") {
		http.NotFound(w, r)
		return
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		http.Error(w, `{"error":{"code":190,"message":"missing access token"}}`, http.StatusUnauthorized)
		return
	}
	var body struct {
		Data []metaEvent `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil || len(body.Data) == 0 {
		http.Error(w, `{"error":{"code":100,"message":"bad request"}}`, http.StatusBadRequest)
		return
	}
	for _, e := range body.Data {
		if err := checkEvent(e); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"error":{"code":100,"message":%q}}`, err.Error())
			return
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events.fail) > 0 {
		code := f.events.fail[0]
		f.events.fail = f.events.fail[1:]
		w.WriteHeader(code)
		fmt.Fprintf(w, `{"error":{"code":%d,"message":"injected"}}`, code)
		return
	}
	if f.events.arrivals == nil {
		f.events.arrivals = map[string]int{}
	}
	for _, e := range body.Data {
		f.events.arrivals[e.EventID]++
		if f.events.arrivals[e.EventID] > 1 {
			continue // Meta deduplicates on event_id
		}
		fe := FakeEvent{Dataset: dataset, Name: e.EventName, EventID: e.EventID, CtwaClid: e.UserData.CtwaClid,
			WABAID: e.UserData.WABAID, Time: e.EventTime}
		if e.CustomData != nil {
			fe.Currency, fe.Value = e.CustomData.Currency, e.CustomData.Value
		}
		f.events.unique = append(f.events.unique, fe)
	}
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"events_received":%d,"messages":[],"fbtrace_id":"fake"}`, len(body.Data))
}

// checkEvent applies what Meta requires of a business-messaging event.
func checkEvent(e metaEvent) error {
	switch {
	case e.ActionSource != "business_messaging" || e.MessagingChannel != "whatsapp":
		return fmt.Errorf("action_source %q messaging_channel %q", e.ActionSource, e.MessagingChannel)
	case e.EventName != "LeadSubmitted" && e.EventName != "QualifiedLead" && e.EventName != "Purchase":
		return fmt.Errorf("event_name %q: Messaging Event Invalid Event Type", e.EventName)
	case e.UserData.CtwaClid == "" || e.EventID == "" || e.EventTime <= 0:
		return fmt.Errorf("ctwa_clid, event_id and event_time are required")
	case e.EventName == "Purchase" && (e.CustomData == nil || e.CustomData.Currency == "" || e.CustomData.Value <= 0):
		return fmt.Errorf("a purchase needs value and currency")
	}
	return nil
}
