package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// TestServeDemo starts the real server on a free port with --demo, checks
// the health endpoints, and checks that a second start does not seed again.
func TestServeDemo(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	// A small demo history keeps the test quick; the default is 20,000 leads.
	env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn", "CIS_DEMO_LEADS": "1500", "CIS_DEMO_TREES": "30"}
	var first store.Stats
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
		if err != nil {
			t.Fatalf("round %d: no start line: %v (%v)", round, err, <-done)
		}
		// The first demo start creates the dashboard's admin and prints its login once.
		if gotLogin := strings.HasPrefix(line, "cis: demo login: user demo-admin"); gotLogin != (round == 1) {
			t.Errorf("round %d: first line %q; demo login printed = %v, want %v", round, line, gotLogin, round == 1)
		}
		if round == 1 {
			if line, err = br.ReadString('\n'); err != nil {
				t.Fatalf("round %d: no start line: %v (%v)", round, err, <-done)
			}
		}
		go io.Copy(io.Discard, br)
		addr := strings.Fields(strings.TrimPrefix(line, "cis: serving on "))[0]
		for _, path := range []string{"/healthz", "/readyz"} {
			resp, err := http.Get(addr + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("GET %s = %d; want 200", path, resp.StatusCode)
			}
		}
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("serve did not stop after its context ended")
		}
		a, err := open(context.Background(), mustConfig(t, env), newLogger(mustConfig(t, env), io.Discard), time.Now)
		if err != nil {
			t.Fatal(err)
		}
		st, err := a.store.Stats(context.Background())
		model := a.modelName()
		facts, ferr := a.store.Campaigns(context.Background(), store.Period{})
		a.Close()
		if ferr != nil {
			t.Fatal(ferr)
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
		if !strings.HasPrefix(model, "forest:") {
			t.Errorf("round %d: the demo scores with %q; want a trained forest", round, model)
		}
		if err != nil {
			t.Fatal(err)
		}
		// The made-up prospects, then the analytics' past leads and dropped
		// conversations; a second start adds nothing.
		if st.Conversations <= demoProspects || st.Leads == 0 || st.LeadsByClass["hot"]+st.LeadsByClass["warm"]+st.LeadsByClass["cold"] != st.Leads {
			t.Errorf("round %d: demo store = %+v; want more than %d conversations and classified leads", round, st, demoProspects)
		}
		if round == 2 && (st.Conversations != first.Conversations || st.Leads != first.Leads) {
			t.Errorf("the second start seeded again: %+v after %+v", st, first)
		}
		first = st
	}
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
