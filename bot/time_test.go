package bot

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// Provider clocks (store/time.go): inside the stated skew arrival order
// decides; a time far ahead is not believed; a message more than the skew
// older than the conversation is not taken as an answer but is never left
// without a trace.

func (e *cloudEnv) trace(t *testing.T, id string) store.MessageTrace {
	t.Helper()
	tr, err := e.h.st.Trace(context.Background(), CloudChannel, id)
	if err != nil {
		t.Fatalf("trace %s: %v", id, err)
	}
	return tr
}

func (e *cloudEnv) state(t *testing.T, phone string) flow.State {
	t.Helper()
	v, err := e.h.st.Conversation(context.Background(), CloudChannel, testAccount, "+"+phone)
	if err != nil {
		t.Fatal(err)
	}
	return v.State
}

func (e *cloudEnv) stats(t *testing.T) store.Stats {
	t.Helper()
	st, err := e.h.st.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// TestLateMessageIsNotAnAnswer is F5 with the skew bound: a message the
// provider timestamps more than store.DefaultClockSkew before one already
// applied is kept in the log and not taken as the answer to the newer
// question; the person is asked the open question again. Inside the bound,
// arrival order decides. A late command (stop) still counts.
func TestLateMessageIsNotAnAnswer(t *testing.T) {
	e := newCloudEnv(t, nil)
	const phone = "573001110011"
	say := func(id, text string, written time.Duration) {
		t.Helper()
		e.say(t, phone, id, text, e.h.clock.Now().Add(written))
	}
	say("wamid.f5.0", "hola", 0)
	e.h.clock.Add(20 * time.Second)
	say("wamid.f5.1", "sí", 0)
	e.h.clock.Add(10 * time.Minute)
	say("wamid.f5.B", "Ana María", 0)
	afterB := e.state(t, phone)
	if afterB.Stage != flow.StageCity || afterB.Answers.Name != "Ana María" {
		t.Fatalf("after B: stage %s, name %q", afterB.Stage, afterB.Answers.Name)
	}
	sentBefore, _ := e.graph.Count()
	// A was written six minutes before B (it waited in Meta's retries).
	changed := changedTables(t, e.h.st, func() {
		if got := e.postSigned(t, testPayload(phone, "wamid.f5.A", "Medellín", e.h.clock.Now().Add(-6*time.Minute))); got != 200 {
			t.Fatal(got)
		}
	})
	if !slices.Equal(changed, []string{"conversation_events", "messages", "outbox"}) {
		t.Errorf("the late message changed %v; want the log, its event and the question asked again (no state)", changed)
	}
	if st := e.state(t, phone); st.Stage != afterB.Stage || st.Answers.City != nil {
		t.Errorf("the late message was applied: stage %s, city %+v", st.Stage, st.Answers.City)
	}
	if tr := e.trace(t, "wamid.f5.A"); tr.Applied() || !slices.Equal(tr.Replies, []string{"ask_city"}) || !slices.Contains(tr.Events, "late") {
		t.Errorf("late message trace %+v; want kept, the city question again, a late event", tr)
	}
	if e.flush(t) != 1 {
		t.Error("the question asked again did not leave")
	}
	if sent, _ := e.graph.Count(); sent != sentBefore+1 {
		t.Errorf("%d sends for the late message; want 1", sent-sentBefore)
	}
	// The answer to the open question is applied normally afterwards.
	e.h.clock.Add(20 * time.Second)
	say("wamid.f5.C", "Medellín", 0)
	if st := e.state(t, phone); st.Stage != flow.StageBudget {
		t.Errorf("after the answer that followed the late message: stage %s; want budget", st.Stage)
	}
	// Inside the bound arrival order decides: D written now, E a minute
	// earlier but arriving later, both applied in arrival order.
	e.h.clock.Add(20 * time.Second)
	say("wamid.f5.D", "2 millones", 0)
	say("wamid.f5.E", "este mes", -time.Minute)
	if tr := e.trace(t, "wamid.f5.E"); !tr.Applied() {
		t.Errorf("a message one minute older than the newest (inside the skew) was not applied: %+v", tr)
	}
	if st := e.state(t, phone); st.Stage != flow.StageService {
		t.Errorf("stage %s; want service", st.Stage)
	}
	// A late "salir" is still an opt-out.
	say("wamid.f5.F", "salir", -20*time.Minute)
	if st := e.state(t, phone); st.Status != flow.OptedOut {
		t.Errorf("a late opt-out was not applied: %s", st.Status)
	}
	if got := e.stats(t).LateMessages; got != 2 {
		t.Errorf("Stats.LateMessages = %d; want 2 (the kept answer and the applied opt-out)", got)
	}
	checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox(),
		Accepted: []string{"wamid.f5.0", "wamid.f5.1", "wamid.f5.A", "wamid.f5.B", "wamid.f5.C", "wamid.f5.D", "wamid.f5.E", "wamid.f5.F"}})
}

// TestProviderClockSkew: provider times ahead of our clock, behind it,
// disagreeing between messages, and one from the far future. Every message
// of the conversation is applied, the lead completes, and the times that
// were not believed are counted.
func TestProviderClockSkew(t *testing.T) {
	farFuture := time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		offset  func(i int, now time.Time) time.Time // provider time of message i
		skewed  int                                  // messages whose time is not believed
		comment string
	}{
		{"Meta 50 s ahead", func(_ int, now time.Time) time.Time { return now.Add(50 * time.Second) }, 0, ""},
		{"Meta 50 s behind", func(_ int, now time.Time) time.Time { return now.Add(-50 * time.Second) }, 0, ""},
		{"servers disagree by a minute", func(i int, now time.Time) time.Time {
			if i%2 == 0 {
				return now.Add(50 * time.Second)
			}
			return now.Add(-10 * time.Second)
		}, 0, "each odd message is stamped 40 s before the even one applied just before it"},
		{"one far-future stamp", func(i int, now time.Time) time.Time {
			if i == 2 {
				return farFuture
			}
			return now
		}, 1, ""},
		{"every stamp 10 min ahead", func(_ int, now time.Time) time.Time { return now.Add(10 * time.Minute) }, len(loadScript) - 1, ""},
	}
	script := loadScript[:len(loadScript)-1] // a whole conversation, without the closing "gracias"
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newCloudEnv(t, nil)
			const phone = "573001110012"
			var ids []string
			for i, text := range script {
				e.h.clock.Add(20 * time.Second)
				id := fmt.Sprintf("wamid.skew.%d", i)
				ids = append(ids, id)
				e.say(t, phone, id, text, c.offset(i, e.h.clock.Now()))
				if tr := e.trace(t, id); !tr.Applied() {
					t.Errorf("message %d (%q) was not applied: %+v", i, text, tr)
				}
			}
			if st := e.state(t, phone); st.Status != flow.Completed {
				t.Errorf("conversation %s at %s; want completed", st.Status, st.Stage)
			}
			if st := e.stats(t); st.ClockSkewed != c.skewed || st.LateMessages != 0 {
				t.Errorf("clock skew events %d, late %d; want %d and 0", st.ClockSkewed, st.LateMessages, c.skewed)
			}
			checkBot(t, e.h, store.Expect{Channel: CloudChannel, Drained: true, Sends: e.graph.PerOutbox(), Accepted: ids})
		})
	}
}
