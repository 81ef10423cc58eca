package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// pgCounter counts the statements the seam sends to PostgreSQL (each one
// round trip), by statement, while it is installed.
type pgCounter struct {
	mu sync.Mutex
	on bool
	n  map[string]int
}

func countPGStatements(tb testing.TB) *pgCounter {
	tb.Helper()
	c := &pgCounter{n: map[string]int{}}
	f := func(q string) {
		c.mu.Lock()
		if c.on {
			c.n[abbreviate(q)]++
		}
		c.mu.Unlock()
	}
	pgTrace.Store(&f)
	tb.Cleanup(func() { pgTrace.Store(nil) })
	return c
}

// counting turns counting on or off.
func (c *pgCounter) counting(on bool) {
	c.mu.Lock()
	c.on = on
	c.mu.Unlock()
}

func (c *pgCounter) total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := 0
	for _, n := range c.n {
		t += n
	}
	return t
}

func (c *pgCounter) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lines []string
	for q, n := range c.n {
		lines = append(lines, fmt.Sprintf("%4d  %s", n, q))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// TestPGRoundTripsPerMessage: a whole conversation (consent, the five
// answers, the lead) through the message path on PostgreSQL, one message
// per transaction, costs at most pgMaxStatementsPerConversation statements
// sent to the server (each a round trip, BEGIN and COMMIT not counted). The
// bound is what the path costs now: a change that adds statements to every
// message fails here and says which (docs/benchmarks.md has the figures).
func TestPGRoundTripsPerMessage(t *testing.T) {
	e := pgEngine(t)
	m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
	if err != nil {
		t.Fatal(err)
	}
	clock := &pgClock{now: pgT0}
	s := e.open(t, Options{Now: clock.Now})
	ctx := context.Background()
	c := countPGStatements(t)
	msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
	send := func(i int, from string, count bool) {
		clock.Add(time.Minute)
		in := flow.Inbound{Channel: "chat", Account: "bench", ID: fmt.Sprintf("%s-m%d", from, i), From: from,
			Kind: flow.KindText, Text: msgs[i], At: clock.Now()}
		c.counting(count)
		handled, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) })
		c.counting(false)
		if err != nil || !handled {
			t.Fatalf("message %d: handled %v, %v", i, handled, err)
		}
		sendAll(t, s, "chat") // the replies leave, so the consent answer counts
	}
	for i := range msgs { // a first conversation: the statements' first use
		send(i, "+573001", false)
	}
	for i := range msgs {
		send(i, "+573002", true)
	}
	n := c.total()
	t.Logf("%d statements for %d messages (%.1f a message):\n%s", n, len(msgs), float64(n)/float64(len(msgs)), c)
	if e.count(t, `SELECT COUNT(*) FROM leads`) != 2 {
		t.Fatalf("the conversations did not both end with a lead")
	}
	if n > pgMaxStatementsPerConversation {
		t.Errorf("%d statements for a whole conversation; want at most %d", n, pgMaxStatementsPerConversation)
	}
}

// pgMaxStatementsPerConversation bounds TestPGRoundTripsPerMessage.
const pgMaxStatementsPerConversation = 43

// TestFewerRoundTripsKeepTheRulesBothEngines: what the PostgreSQL path
// reads in one statement with the message (pgfast.go) decides as the
// separate reads do on SQLite: a message the provider dates minutes before
// one already applied is kept, not applied (isLate); the campaign of the
// person's first referral reaches the lead though later messages carry
// none (contactFacts); a redelivery changes nothing.
func TestFewerRoundTripsKeepTheRulesBothEngines(t *testing.T) {
	bothEngines(t, func(t *testing.T, e *engine) {
		ctx := context.Background()
		clock := &pgClock{now: pgT0}
		s := e.open(t, Options{Now: clock.Now})
		m, err := flow.New(flow.DefaultConfig(flow.Bogota()), pgFixedScorer(flow.Hot))
		if err != nil {
			t.Fatal(err)
		}
		say := func(id, text string, written time.Duration, ref *flow.Referral) bool {
			t.Helper()
			clock.Add(time.Minute)
			in := flow.Inbound{Channel: "cloudapi", Account: "1234", ID: id, From: "573001234567", Kind: flow.KindText,
				Text: text, At: clock.Now().Add(written), ProviderTime: true, Referral: ref}
			handled, err := s.Handle(ctx, in, func(st flow.State) flow.Result { return m.Step(st, in, clock.Now()) })
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			sendAll(t, s, "cloudapi")
			return handled
		}
		say("w0", "hola", 0, &flow.Referral{SourceType: "ad", SourceID: "120212", Headline: "Pauta"})
		say("w1", "sí", 0, nil)
		say("w2", "me llamo carlos andrés", 0, nil)
		say("late", "cali", -20*time.Minute, nil) // written long before the name, beyond the clock skew
		var step string
		if err := e.raw.QueryRow(`SELECT COALESCE(step_before, '') FROM messages WHERE ext_id = 'late'`).Scan(&step); err != nil || step != LateStep {
			t.Errorf("the late message's step %q, %v; want it kept as %s", step, err, LateStep)
		}
		for i, text := range []string{"medallo", "2 millones", "pa' ya", "facebook ads"} {
			say(fmt.Sprintf("w%d", i+3), text, 0, nil)
		}
		if say("w6", "facebook ads", 0, nil) {
			t.Error("a redelivery was handled again")
		}
		var city, source string
		if err := e.raw.QueryRow(`SELECT city_name, source FROM leads`).Scan(&city, &source); err != nil || city != "Medellín" ||
			!strings.Contains(source, "120212") {
			t.Errorf("lead from %q with source %q, %v; want one lead from Medellín, the first referral's campaign its source", city, source, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM messages WHERE ext_id = 'w6'`); n != 1 {
			t.Errorf("%d rows for the redelivered message; want 1", n)
		}
	})
}
