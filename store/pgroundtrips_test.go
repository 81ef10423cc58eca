package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
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

// pgMaxStatementsPerConversation bounds TestPGRoundTripsPerMessage: 43
// for the messages, the summary lock of each batch (lockSummaries; one
// message per batch here, several under load), and the number's own
// advisors read when the lead is assigned (several numbers, numbers.go).
const pgMaxStatementsPerConversation = 43 + 7 + 1

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

// TestServersDoNotDeadlockOnSummaries: two stores (servers) on one
// PostgreSQL database, each applying batches of many people's messages at
// once, every person's messages alternating between them. Each message
// adds to the shared summary rows (conversation_funnel); without the
// summary lock (lockSummaries) two batches took those rows in different
// orders and PostgreSQL broke deadlocks between them, each after
// deadlock_timeout (a second) and a retry message by message. Every message
// is applied and the database counts no deadlock.
func TestServersDoNotDeadlockOnSummaries(t *testing.T) {
	e := pgDatabase(t) // a database of its own: PostgreSQL counts deadlocks per database
	ctx := context.Background()
	servers := []*Store{e.open(t, Options{Now: func() time.Time { return pgT0 }}), e.open(t, Options{Now: func() time.Time { return pgT0 }})}
	deadlocks := func() int {
		var n int
		if err := e.raw.QueryRow(`SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := deadlocks()
	// Each message moves its conversation to another step, in an order that
	// differs by person, so that every message moves two funnel rows.
	stages := []flow.Stage{flow.StageConsent, flow.StageName, flow.StageCity, flow.StageBudget, flow.StageUrgency, flow.StageService}
	const people, perPerson = 48, 8
	var wg sync.WaitGroup
	for p := range people {
		wg.Go(func() {
			from := fmt.Sprintf("+57300%04d", p)
			for i := range perPerson {
				in := flow.Inbound{Channel: "chat", Account: "acct", ID: fmt.Sprintf("%s-%d", from, i), From: from,
					Kind: flow.KindText, Text: "hola", At: pgT0}
				step := func(st flow.State) flow.Result {
					st.Version, st.Status, st.Stage, st.UpdatedAt = flow.StateVersion, flow.InProgress, stages[(p*7+i*(1+p%5))%len(stages)], pgT0
					return flow.Result{State: st, Replies: []flow.Reply{{Key: "k", Text: "reply"}}}
				}
				s := servers[(p+i)%2]
				if handled, err := s.Handle(ctx, in, step); err != nil || !handled {
					t.Errorf("%s: handled %v, %v", in.ID, handled, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if n := e.count(t, `SELECT COUNT(*) FROM messages WHERE step_before IS NOT NULL`); n != people*perPerson {
		t.Errorf("%d messages applied; want %d", n, people*perPerson)
	}
	// A backend reports its statistics within a second or so.
	var got int
	for range 20 {
		if got = deadlocks() - before; got > 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got > 0 {
		t.Errorf("%d deadlocks between the two servers' batches; want none", got)
	}
}

// pgDatabase is pgEngine with a database of its own, dropped at the end.
func pgDatabase(t *testing.T) *engine {
	t.Helper()
	base := pgEngine(t).db // skips or fails as pgEngine does without a cluster
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := fmt.Sprintf("cis_test_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Del("search_path")
	u.RawQuery = q.Encode()
	raw, err := sql.Open("pgx", u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		raw.Close()
		if admin, err := sql.Open("pgx", base); err == nil {
			_, _ = admin.Exec("DROP DATABASE " + name + " WITH (FORCE)")
			admin.Close()
		}
	})
	return &engine{name: "postgres", db: u.String(), raw: raw}
}
