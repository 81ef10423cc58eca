package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	neturl "net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// dbPassword is the password the operator puts in the URL (the throw-away
// cluster trusts every local login, so any password connects).
const dbPassword = "Clave-BD-nunca-en-logs-7319"

// TestNoDatabasePasswordInOutput is RELIABILITY D3 for the database's own
// secret: an operator runs cis on PostgreSQL with the password in the URL,
// as the README writes it (postgres://USER:PASSWORD@HOST/DB) or as libpq's
// password= parameter. serve's start line, its logs at debug level,
// /healthz, /readyz, /metrics, the login page and an error page, and what
// the other commands that take a URL answer (backup and restore advice, a
// copy refused by a non-empty target, a server that cannot be reached)
// name the database without the password.
func TestNoDatabasePasswordInOutput(t *testing.T) {
	plain, _ := pgSchema(t)
	for _, form := range []string{"user:password@", "?password="} {
		t.Run(form, func(t *testing.T) {
			db := withPassword(t, plain, form == "?password=")
			var seen bytes.Buffer
			serveShowsNoPassword(t, db, &seen)
			seen.WriteString(commandAnswers(t, db))
			// The check itself sees a planted one.
			if !strings.Contains(db, dbPassword) && !strings.Contains(db, neturl.QueryEscape(dbPassword)) {
				t.Fatalf("the URL %q carries no password: the test checks nothing", db)
			}
			if strings.Contains(seen.String(), dbPassword) {
				for _, l := range strings.Split(seen.String(), "\n") {
					if strings.Contains(l, dbPassword) {
						t.Errorf("the database password is shown: %s", l)
					}
				}
			}
			// The paths ran, and still name the database for the operator.
			wants := []string{"; store postgres://", "cis backup copies SQLite files", "cis restore copies SQLite files", "dial error", "(env CIS_DB) (default postgres://"}
			if !store.TestsOnPostgres() { // the copy's source is a SQLite file (TestStoreCopyDemo)
				wants = append(wants, "not empty", "cannot connect to the target")
			}
			for _, want := range wants {
				if !strings.Contains(seen.String(), want) {
					t.Errorf("no %q in what was shown: that path did not run\n%s", want, tail(seen.String(), 30))
				}
			}
		})
	}
}

// withPassword puts dbPassword into url, in the user part or as a query
// parameter.
func withPassword(t *testing.T, url string, query bool) string {
	t.Helper()
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	if query {
		v := u.Query()
		v.Set("password", dbPassword)
		u.RawQuery = v.Encode()
	} else {
		u.User = neturl.UserPassword(u.User.Username(), dbPassword)
	}
	return u.String()
}

// serveShowsNoPassword runs cis serve on db, reads what an operator and a
// monitor see of it into seen, and stops it.
func serveShowsNoPassword(t *testing.T, db string, seen *bytes.Buffer) {
	t.Helper()
	env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "debug", "CIS_METRICS_TOKEN": "metrics-token"}
	ctx, cancel := context.WithCancel(context.Background())
	stdout, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve"}, envOf(env), strings.NewReader(""), stdout, logs) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop")
		}
		seen.WriteString(stdout.String())
		seen.WriteString(logs.String())
	}()
	base := waitServing(t, stdout, done)
	for _, p := range []struct{ path, auth string }{{"/healthz", ""}, {"/readyz", ""}, {"/metrics", "Bearer metrics-token"},
		{"/login", ""}, {"/no/such/page", ""}, {"/leads/999999", ""}} {
		req, _ := http.NewRequest(http.MethodGet, base+p.path, nil)
		if p.auth != "" {
			req.Header.Set("Authorization", p.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		seen.WriteString(p.path + ": " + string(b) + "\n")
	}
}

var servingAt = regexp.MustCompile(`cis: serving on (http://\S+)`)

// waitServing waits for serve's start line in stdout and returns its
// address.
func waitServing(t *testing.T, stdout *syncBuffer, done chan error) string {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if m := servingAt.FindStringSubmatch(stdout.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve stopped before serving: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("serve printed no start line in 2 minutes")
	return ""
}

// commandAnswers runs the other commands an operator points at db and
// returns what they print and the errors they return.
func commandAnswers(t *testing.T, db string) string {
	t.Helper()
	var all strings.Builder
	src := filepath.Join(t.TempDir(), "src.db")
	createStore(t, src)
	// The same URL on a port nothing listens on.
	u, err := neturl.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	u.Host = "127.0.0.1:1"
	q := u.Query()
	q.Del("host")
	q.Set("connect_timeout", "5")
	u.RawQuery = q.Encode()
	unreachable := u.String()
	for _, args := range [][]string{
		{"backup", "--db", db}, // no FILE: the advice all the same
		{"backup", "--db", db, "cis.bak"},
		{"restore", "--db", db, src},
		{"store", "copy", "--from", src, "--to", db},
		{"store", "copy", "--from", src, "--to", unreachable},
		{"users", "list", "--db", unreachable},
	} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, envOf(nil), strings.NewReader(""), &out, &errOut)
		if err == nil {
			t.Errorf("cis %s: no error; want a refusal or advice", args[0])
		} else {
			all.WriteString(err.Error() + "\n")
		}
		all.WriteString(out.String() + errOut.String())
	}
	// The flags' defaults (-h, a mistyped flag) with CIS_DB set.
	for _, args := range [][]string{{"serve", "-h"}, {"serve", "--no-such-flag"}, {"users", "list", "--no-such-flag"}} {
		var out, errOut bytes.Buffer
		err := run(context.Background(), args, envOf(map[string]string{"CIS_DB": db}), strings.NewReader(""), &out, &errOut)
		if err != nil {
			all.WriteString(err.Error() + "\n")
		}
		all.WriteString(out.String() + errOut.String())
	}
	return all.String()
}
