package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// fetchPath fetches path from base and returns the status and the body.
func fetchPath(t *testing.T, base, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeDemo starts the real server on a free port with --demo: it
// answers HTTP at once with the "preparing the demo" page and /readyz
// "starting", prints the demo login last, after the preparation, and then
// serves; a second start seeds nothing again, prints a new login at the end
// of its start-up and the old password no longer works.
func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	// A small demo history keeps the test quick; the default is 20,000 leads.
	env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn", "CIS_DEMO_LEADS": "1500", "CIS_DEMO_TREES": "30"}
	var first store.Stats
	var oldPassword string
	for round := 1; round <= 2; round++ {
		ctx, cancel := context.WithCancel(context.Background())
		pr, pw := io.Pipe()
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--demo"}, envOf(env), strings.NewReader(""), pw, io.Discard)
			pw.Close()
		}()
		br := bufio.NewReader(pr)
		line, err := br.ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "cis: serving on ") {
			t.Fatalf("round %d: first line %q, %v (%v); want the address at once", round, line, err, err)
		}
		base := strings.Fields(strings.TrimPrefix(line, "cis: serving on "))[0]
		if code, _ := fetchPath(t, base, "/healthz"); code != http.StatusOK {
			t.Errorf("round %d: /healthz = %d while preparing", round, code)
		}
		if round == 1 {
			// The first start takes a while: pages say so, /readyz says starting.
			code, body := fetchPath(t, base, "/readyz")
			if code != http.StatusServiceUnavailable || !strings.HasPrefix(body, "starting") {
				t.Errorf("/readyz while preparing = %d %q; want 503 starting", code, body)
			}
			code, body = fetchPath(t, base, "/login")
			if code != http.StatusServiceUnavailable || !strings.Contains(body, "Preparando la demo") || !strings.Contains(body, "<progress") {
				t.Errorf("a page while preparing = %d; want the preparing page", code)
			}
		}
		login, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("round %d: no login line: %v (%v)", round, err, <-done)
		}
		m := regexp.MustCompile(`^cis: demo login: user demo-admin, password (\S+) `).FindStringSubmatch(login)
		if m == nil {
			t.Fatalf("round %d: second line %q; want the demo login", round, login)
		}
		go io.Copy(io.Discard, br)
		if code, body := fetchPath(t, base, "/readyz"); code != http.StatusOK || strings.HasPrefix(body, "starting") {
			t.Errorf("round %d: /readyz after the login line = %d %q", round, code, body)
		}
		if !demoLoginWorks(t, base, m[1]) {
			t.Errorf("round %d: the printed password does not log in", round)
		}
		if round == 2 && demoLoginWorks(t, base, oldPassword) {
			t.Error("the first start's password still works after the second start")
		}
		oldPassword = m[1]
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop after its context ended")
		}
		st := demoStoreChecks(t, env, round)
		if round == 2 && (st.Conversations != first.Conversations || st.Leads != first.Leads) {
			t.Errorf("the second start seeded again: %+v after %+v", st, first)
		}
		first = st
	}
}

// demoLoginWorks logs in as demo-admin with pw.
func demoLoginWorks(t *testing.T, base, pw string) bool {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"username": {"demo-admin"}, "password": {pw}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/"
}

// demoStoreChecks opens the demo store after serve stopped and checks what
// every start must leave: campaigns, a trained forest, classified leads.
func demoStoreChecks(t *testing.T, env map[string]string, round int) store.Stats {
	t.Helper()
	a, err := open(context.Background(), mustConfig(t, env), newLogger(mustConfig(t, env), io.Discard), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	st, err := a.store.Stats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	facts, err := a.store.Campaigns(context.Background(), store.Period{})
	if err != nil {
		t.Fatal(err)
	}
	var campaigns int
	for _, f := range facts {
		if f.Known {
			campaigns++
		}
	}
	if campaigns != 6 {
		t.Errorf("round %d: %d demo campaigns; want one per demo source (6)", round, campaigns)
	}
	if model := a.modelName(); !strings.HasPrefix(model, "forest:") {
		t.Errorf("round %d: the demo scores with %q; want a trained forest", round, model)
	}
	// The made-up prospects, then the analytics' past leads and dropped conversations.
	if st.Conversations <= demoProspects || st.Leads == 0 || st.LeadsByClass["hot"]+st.LeadsByClass["warm"]+st.LeadsByClass["cold"] != st.Leads {
		t.Errorf("round %d: demo store = %+v; want more than %d conversations and classified leads", round, st, demoProspects)
	}
	return st
}

// mustConfig is the configuration env gives, for a test that wires the app
// as serve does (and so may create the store).
func mustConfig(t *testing.T, env map[string]string) *Config {
	t.Helper()
	fs, c := newFlagSet("test", envOf(env))
	if err := c.parse(fs, nil); err != nil {
		t.Fatal(err)
	}
	c.creates = true
	return c
}
