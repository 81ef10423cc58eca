package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// Fault-catalogue items of RELIABILITY §4.2 that need the whole command
// (issue 15): W3 with a slow client cut by the configured body timeout, and
// the store rules (F14 through another name, a store made only by the
// commands that create one). F11 on a full disk is in fulldisk_test.go.

// TestW3SlowBodyIsCut: a client that sends a webhook delivery at one byte
// every 200 ms is cut once --body-timeout (here 1 s) has passed, nothing of
// it is stored, and the server keeps answering others meanwhile.
func TestW3SlowBodyIsCut(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error", "CIS_BODY_TIMEOUT": "1s",
		"CIS_CLOUDAPI_APP_SECRET": "s", "CIS_CLOUDAPI_VERIFY_TOKEN": "v", "CIS_CLOUDAPI_ACCESS_TOKEN": "a"}
	base := startServe(t, env)
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := []byte(`{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messages":` +
		`[{"from":"573001110099","id":"wamid.slow","timestamp":"1","type":"text","text":{"body":"hola"}}]}}]}]}`)
	fmt.Fprintf(conn, "POST /webhook/whatsapp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"X-Hub-Signature-256: %s\r\nContent-Length: %d\r\n\r\n", bot.Sign("s", body), len(body))
	start := time.Now()
	cut := make(chan time.Duration, 1)
	go func() {
		buf := make([]byte, 512)
		for {
			if _, err := conn.Read(buf); err != nil {
				cut <- time.Since(start)
				return
			}
		}
	}()
	sent := 0
writing:
	for ; sent < len(body); sent++ {
		if _, err := conn.Write(body[sent : sent+1]); err != nil {
			break
		}
		select {
		case <-cut:
			break writing
		case <-time.After(200 * time.Millisecond):
		}
		if sent == 2 { // meanwhile the server answers others
			if code, _ := get(t, base+"/healthz"); code != 200 {
				t.Errorf("/healthz = %d while a slow client was connected", code)
			}
		}
	}
	if sent >= len(body) {
		t.Fatalf("the whole body went through at one byte per 200 ms (%v): the slow client was never cut", time.Since(start))
	}
	if elapsed := time.Since(start); elapsed > 10*time.Second {
		t.Errorf("cut after %v; want about the 1 s body timeout", elapsed)
	}
	st, err := store.Open(context.Background(), db, store.Options{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	a, err := st.DeliveryAudit(context.Background(), bot.CloudChannel)
	if err != nil {
		t.Fatal(err)
	}
	if a.Inbound != 0 || a.DeadLetters != 0 {
		t.Errorf("the cut delivery left %+v; want nothing stored", a)
	}
}

// TestF14SecondServeRefusesThroughAnotherName: a second `cis serve` given
// the store through a symlink or a hard link refuses, naming the process
// that holds it and the name it opened.
func TestF14SecondServeRefusesThroughAnotherName(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "cis.db")
	startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"})
	for _, alias := range []struct {
		name string
		make func(old, new string) error
	}{{"symlink", os.Symlink}, {"hard link", os.Link}} {
		t.Run(alias.name, func(t *testing.T) {
			other := filepath.Join(t.TempDir(), "alias.db")
			if err := alias.make(db, other); err != nil {
				t.Fatal(err)
			}
			_, err := runCmd(t, map[string]string{"CIS_DB": other, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error"}, "", "serve")
			if !errors.Is(err, store.ErrInUse) || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) {
				t.Errorf("serve through a %s beside a running serve: %v; want ErrInUse naming this process", alias.name, err)
			}
		})
	}
}

// TestOnlyServeDemoAndImportsCreateAStore: every command that reads or
// changes a store refuses a missing or empty --db with a message that says
// which file and which commands create one, and leaves the file as it was;
// serve and the imports create one.
func TestOnlyServeDemoAndImportsCreateAStore(t *testing.T) {
	sqliteOnly(t, "a missing or empty SQLite file must stay so; on PostgreSQL a schema without a store is refused with ErrNoStore naming the database, not the schema (store's tests)")
	commands := [][]string{{"users", "list"}, {"users", "add", "--generate", "ana"}, {"privacy", "requests"},
		{"privacy", "retention"}, {"backup", "x.db"}, {"models"}, {"churn", "score"}, {"train"}, {"report", "--out", "r.html"},
		{"pair", "--timeout", "1s"}, {"chat", "--script", "-"}}
	for _, empty := range []bool{false, true} {
		for _, args := range commands {
			name := fmt.Sprintf("%s empty=%v", strings.Join(args[:min(2, len(args))], " "), empty)
			t.Run(name, func(t *testing.T) {
				dir := t.TempDir()
				db := filepath.Join(dir, "typo.db")
				if empty {
					if err := os.WriteFile(db, nil, 0o600); err != nil {
						t.Fatal(err)
					}
				}
				_, err := runCmd(t, map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "error"}, "hola\n", args...)
				if !errors.Is(err, store.ErrNoStore) || !strings.Contains(err.Error(), db) || !strings.Contains(err.Error(), "cis serve") {
					t.Fatalf("cis %v on a missing or empty store: %v; want ErrNoStore naming the file and what creates one", args, err)
				}
				fi, statErr := os.Stat(db)
				if empty && (statErr != nil || fi.Size() != 0) || !empty && !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("the refusal changed the file: %v, %v", fi, statErr)
				}
			})
		}
	}
	t.Run("import creates", func(t *testing.T) {
		dir := t.TempDir()
		db := filepath.Join(dir, "new.db")
		csv := filepath.Join(dir, "leads.csv")
		if err := os.WriteFile(csv, []byte("created_at,converted\n2026-01-05,1\n2026-01-06,0\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(t, map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "error"}, "", "import", "leads", csv); err != nil {
			t.Fatalf("import into a new store: %v\n%s", err, out)
		}
		if _, err := runCmd(t, map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "error"}, "", "users", "list"); err != nil {
			t.Errorf("the store import created is refused: %v", err)
		}
	})
}

// TestMetricsCountMessagesThatWereNotAnswers: a message stamped far in the
// future and one stamped long before the conversation are each counted in
// /metrics (and none is left without a trace: bot TestProviderClockSkew).
func TestMetricsCountMessagesThatWereNotAnswers(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	const secret = "metrics-secret"
	base := startServe(t, map[string]string{"CIS_DB": db, "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "error",
		"CIS_CLOUDAPI_APP_SECRET": secret, "CIS_CLOUDAPI_VERIFY_TOKEN": "v", "CIS_CLOUDAPI_ACCESS_TOKEN": "a",
		"CIS_METRICS_TOKEN": "scrape"})
	post := func(id, text string, at time.Time) {
		t.Helper()
		body := fmt.Appendf(nil, `{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages",`+
			`"value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"m"},`+
			`"messages":[{"from":"573001110077","id":%q,"timestamp":"%d","type":"text","text":{"body":%q}}]}}]}]}`, id, at.Unix(), text)
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook/whatsapp", bytes.NewReader(body))
		req.Header.Set("X-Hub-Signature-256", bot.Sign(secret, body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d", id, resp.StatusCode)
		}
	}
	now := time.Now()
	post("wamid.m.1", "hola", time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC))
	post("wamid.m.2", "sí", now)
	post("wamid.m.3", "Ana", now.Add(-time.Hour))
	req, _ := http.NewRequest(http.MethodGet, base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer scrape")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	for _, want := range []string{"cis_messages_clock_skew_total 1", "cis_messages_late_total 1", "cis_consent_not_shown_total",
		"cis_replies_resent_total 0", "cis_replies_unconfirmed 0"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q:\n%s", want, b)
		}
	}
}
