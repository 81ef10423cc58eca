package bot

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

const testDataset = "880000000000001"

func newMetaWorker(t *testing.T, e *cloudEnv, crash func(string)) *MetaEvents {
	t.Helper()
	m, err := NewMetaEvents(e.h.st, MetaConfig{DatasetID: testDataset, AccessToken: "token", WABAID: "102290129340398",
		GraphURL: e.cloud.cfg.GraphURL, Crash: crash}, e.h.clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func flushMeta(t *testing.T, m *MetaEvents) {
	t.Helper()
	for range 10 {
		n, err := m.Flush(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
	}
}

// metaTimeline returns the conversion entries on lead id's timeline.
func metaTimeline(t *testing.T, e *cloudEnv, id int64) []string {
	t.Helper()
	d, err := e.h.st.Lead(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ev := range d.Events {
		if ev.Kind == "meta_event" || ev.Kind == "meta_event_failed" {
			out = append(out, ev.Kind+":"+ev.Detail)
		}
	}
	return out
}

// TestConversionEventsEachKind: a lead from an ad sends LeadSubmitted when
// it completes, QualifiedLead when the advisor contacts it, Purchase with
// its value in COP when it is won, each once, keyed by the stored ctwa_clid,
// each on the lead's timeline. A lead not from an ad sends none.
func TestConversionEventsEachKind(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	e.h.st.SetConversionEvents(true)
	m := newMetaWorker(t, e, nil)
	const clid = "ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a"
	lead := completeCloudLeadFromAd(t, e, "573001110801", clid)
	organic := completeCloudLead(t, e, "573001110802")
	flushMeta(t, m)
	if got := names(e.graph); !slices.Contains(got, store.EventLeadSubmitted) || slices.Contains(got, store.EventPurchase) {
		t.Fatalf("after completion Meta got %v; want LeadSubmitted", got)
	}
	adv := advisorUser(t, e)
	for _, a := range []store.LeadAction{{Kind: "contacted", ByUser: adv}, {Kind: "won", ByUser: adv, ValueCOP: 2_500_000}} {
		e.h.clock.Add(time.Hour)
		if err := e.h.st.ActOnLead(ctx, lead, a); err != nil {
			t.Fatal(err)
		}
		if err := e.h.st.ActOnLead(ctx, organic, a); err != nil {
			t.Fatal(err)
		}
	}
	flushMeta(t, m)
	events, arrivals := e.graph.Events()
	got := map[string]FakeEvent{}
	for _, ev := range events {
		if _, dup := got[ev.Name]; dup {
			t.Errorf("%s sent twice under different ids", ev.Name)
		}
		got[ev.Name] = ev
		if ev.CtwaClid != clid || ev.Dataset != testDataset || ev.WABAID != "102290129340398" {
			t.Errorf("%s = %+v; want the lead's click id, to the dataset", ev.Name, ev)
		}
		if arrivals[ev.EventID] != 1 {
			t.Errorf("%s posted %d times; want once", ev.Name, arrivals[ev.EventID])
		}
	}
	if len(got) != 3 || got[store.EventQualifiedLead].Name == "" {
		t.Fatalf("Meta got %v; want LeadSubmitted, QualifiedLead and Purchase (nothing for the organic lead)", names(e.graph))
	}
	if p := got[store.EventPurchase]; p.Value != 2_500_000 || p.Currency != "COP" {
		t.Errorf("purchase = %+v; want 2500000 COP", p)
	}
	if tl := metaTimeline(t, e, lead); len(tl) != 3 {
		t.Errorf("lead timeline has %v; want the three events sent", tl)
	}
	if tl := metaTimeline(t, e, organic); len(tl) != 0 {
		t.Errorf("organic lead timeline has %v; want none", tl)
	}
}

// advisorUser creates an advisor and returns their id.
func advisorUser(t *testing.T, e *cloudEnv) int64 {
	t.Helper()
	u, err := e.h.st.CreateUser(context.Background(), fmt.Sprintf("asesor%d", e.h.clock.Now().UnixNano()%100000), "advisor", "x")
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func names(g *FakeGraph) []string {
	events, _ := g.Events()
	var out []string
	for _, ev := range events {
		out = append(out, ev.Name)
	}
	return out
}

// TestConversionEventOnceAcrossACrash: for each event kind, the process
// dies after Meta received the event and before it was recorded; the next
// process sends it again under the same event_id, which Meta counts once,
// and the lead's timeline shows each event once.
func TestConversionEventOnceAcrossACrash(t *testing.T) {
	for i, kind := range []string{store.EventLeadSubmitted, store.EventQualifiedLead, store.EventPurchase} {
		t.Run(kind, func(t *testing.T) {
			e := newCloudEnv(t, nil)
			ctx := context.Background()
			e.h.st.SetConversionEvents(true)
			lead := completeCloudLeadFromAd(t, e, fmt.Sprintf("57300111081%d", i), "clid-crash-"+kind)
			adv := advisorUser(t, e)
			for _, a := range []store.LeadAction{{Kind: "contacted", ByUser: adv}, {Kind: "won", ByUser: adv, ValueCOP: 4_000_000}} {
				e.h.clock.Add(time.Minute)
				if err := e.h.st.ActOnLead(ctx, lead, a); err != nil {
					t.Fatal(err)
				}
			}
			crashed := ""
			crash := func(point string) {
				events, _ := e.graph.Events()
				if point == "send-after-post" && crashed == "" && len(events) > 0 && events[len(events)-1].Name == kind {
					crashed = events[len(events)-1].EventID
					panic("crash between send and confirm")
				}
			}
			func() {
				defer func() { _ = recover() }()
				flushMeta(t, newMetaWorker(t, e, crash))
			}()
			if crashed == "" {
				t.Fatalf("the crash point of %s was not reached", kind)
			}
			e.h.clock.Add(time.Second)
			next := newMetaWorker(t, e, nil) // the next process
			if n, err := next.ReleaseOrphans(ctx); err != nil || n != 1 {
				t.Fatalf("released %d orphans (%v); want the one in flight", n, err)
			}
			flushMeta(t, next)
			events, arrivals := e.graph.Events()
			queued, err := e.h.st.MetaEventsOf(ctx, lead)
			if err != nil {
				t.Fatal(err)
			}
			if len(queued) != 3 || len(events) != 3 || arrivals[crashed] != 2 {
				t.Fatalf("Meta counted %d of %d events, the one in flight posted %d times; want all three counted once, that one posted twice under its event_id",
					len(events), len(queued), arrivals[crashed])
			}
			for _, q := range queued {
				if q.Status != "sent" || (q.EventID != crashed && arrivals[q.EventID] != 1) {
					t.Errorf("%s is %s, posted %d times; want sent, once unless it was in flight", q.Name, q.Status, arrivals[q.EventID])
				}
			}
			if tl := metaTimeline(t, e, lead); len(tl) != 3 {
				t.Errorf("timeline = %v; want each event once", tl)
			}
		})
	}
}

// TestConversionEventRetriedThenGivenUp: a 500 is retried after a backoff;
// a refusal (400) gives the event up and says so on the timeline.
func TestConversionEventRetriedThenGivenUp(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	e.h.st.SetConversionEvents(true)
	m := newMetaWorker(t, e, nil)
	lead := completeCloudLeadFromAd(t, e, "573001110821", "clid-retry")
	queued, err := e.h.st.MetaEventsOf(ctx, lead)
	if err != nil || len(queued) == 0 {
		t.Fatal(queued, err)
	}
	e.graph.FailNextEvents(http.StatusInternalServerError)
	flushMeta(t, m)
	if events, _ := e.graph.Events(); len(events) != len(queued)-1 {
		t.Fatalf("Meta has %d of %d events after a 500; want all but the refused one", len(events), len(queued))
	}
	e.h.clock.Add(time.Minute)
	flushMeta(t, m)
	if events, _ := e.graph.Events(); len(events) != len(queued) {
		t.Fatalf("after the backoff Meta has %d events; want %d", len(events), len(queued))
	}
	e.h.clock.Add(time.Hour)
	if err := e.h.st.ActOnLead(ctx, lead, store.LeadAction{Kind: "won", ValueCOP: 1_000_000, ByUser: advisorUser(t, e)}); err != nil {
		t.Fatal(err)
	}
	e.graph.FailNextEvents(http.StatusBadRequest)
	flushMeta(t, m)
	tl := metaTimeline(t, e, lead)
	if !slices.Contains(tl, "meta_event_failed:"+store.EventPurchase) {
		t.Errorf("timeline = %v; want the refused event noted", tl)
	}
	evs, err := e.h.st.MetaEventsOf(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, ev := range evs {
		if ev.Status == "failed" {
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("events = %+v; want the refused one failed", evs)
	}
}

// TestConversionEventsOffOrOptedOut: nothing is queued unless configured,
// and a person who opts out has their pending events cancelled.
func TestConversionEventsOffOrOptedOut(t *testing.T) {
	e := newCloudEnv(t, nil)
	ctx := context.Background()
	off := completeCloudLeadFromAd(t, e, "573001110831", "clid-off")
	if evs, _ := e.h.st.MetaEventsOf(ctx, off); len(evs) != 0 {
		t.Errorf("events queued while off: %+v", evs)
	}
	e.h.st.SetConversionEvents(true)
	lead := completeCloudLeadFromAd(t, e, "573001110832", "clid-stop")
	e.h.clock.Add(time.Minute)
	e.say(t, "573001110832", "wamid.stop-832", "no me escriban", e.h.clock.Now())
	flushMeta(t, newMetaWorker(t, e, nil))
	if events, _ := e.graph.Events(); len(events) != 0 {
		t.Errorf("Meta got %d events of a person who opted out", len(events))
	}
	evs, _ := e.h.st.MetaEventsOf(ctx, lead)
	for _, ev := range evs {
		if ev.Status != "cancelled" || ev.CtwaClid != "" {
			t.Errorf("event %s is %s with click id %q; want cancelled and forgotten", ev.Name, ev.Status, ev.CtwaClid)
		}
	}
}
