package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

// syncBuffer is a log sink written by several goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// personalData is what the fixtures say about prospects: names, phone
// numbers (as written and as digits) and message texts.
type personalData struct {
	names, phones, texts map[string]bool
}

func newPersonalData() *personalData {
	return &personalData{names: map[string]bool{}, phones: map[string]bool{}, texts: map[string]bool{}}
}

func (p *personalData) phone(e164 string) {
	digits := strings.TrimPrefix(e164, "+")
	p.phones[digits] = true
	if len(digits) > 10 {
		p.phones[digits[len(digits)-10:]] = true // the national number, as people write it
	}
}

// text keeps message texts long enough not to occur by chance in a log as
// a whole word ("sí", "2", "hola" would); all of them went through the paths.
func (p *personalData) text(s string) {
	if s = strings.TrimSpace(s); utf8.RuneCountInString(s) >= 5 {
		p.texts[s] = true
	}
}

func (p *personalData) name(s string) {
	s = strings.TrimSpace(s)
	if s == "" {
		return
	}
	p.names[s] = true
	if first, _, _ := strings.Cut(s, " "); utf8.RuneCountInString(first) >= 4 {
		p.names[first] = true
	}
}

// leaks returns every piece of personal data found in out, as written or
// as JSON escapes it. Names and texts count as whole words only ("Ana" in
// "semana" is not one); phone numbers anywhere.
func (p *personalData) leaks(out string) []string {
	var found []string
	forms := func(s string) []string {
		q, _ := json.Marshal(s)
		return []string{s, string(q[1 : len(q)-1])}
	}
	for s := range p.phones {
		for _, f := range forms(s) {
			if strings.Contains(out, f) {
				found = append(found, "phone "+s)
				break
			}
		}
	}
	words := func(kind string, set map[string]bool) {
		for s := range set {
			for _, f := range forms(s) {
				if regexp.MustCompile(`(^|[^\pL\pN])` + regexp.QuoteMeta(f) + `($|[^\pL\pN])`).MatchString(out) {
					found = append(found, kind+" "+s)
					break
				}
			}
		}
	}
	words("text", p.texts)
	words("name", p.names)
	return found
}

// TestD3NoPersonalDataInLogsMetricsOrErrorPages is RELIABILITY D3 and issue
// 7 item 5. With the logger every command builds (newLogger) at debug level,
// it runs the real paths: every golden transcript through the bot, signed
// Cloud API webhooks (every fixture, a bad signature, bad JSON, failing
// sends) through the served mux, the web chat, and the dashboard's pages
// and error pages; then it scrapes /metrics. None of the fixtures' names,
// phone numbers or message texts may appear in the logs, the metrics or
// the error pages.
func TestD3NoPersonalDataInLogsMetricsOrErrorPages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	graph := bot.NewFakeGraph()
	gsrv := httptest.NewServer(graph)
	defer gsrv.Close()
	const secret, adminPW = "app-secret", "una frase larga para el admin"
	env := map[string]string{"CIS_DB": filepath.Join(dir, "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "debug",
		"CIS_CLOUDAPI_APP_SECRET": secret, "CIS_CLOUDAPI_VERIFY_TOKEN": "verify", "CIS_CLOUDAPI_ACCESS_TOKEN": "access",
		"CIS_GRAPH_URL": gsrv.URL, "CIS_METRICS_TOKEN": "metrics-token"}
	logs := &syncBuffer{}
	pd := newPersonalData()

	replayTranscripts(t, env, logs, pd)

	c := mustConfig(t, env)
	st, err := store.Open(ctx, c.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dashboard.CreateUser(ctx, st, "admin", "admin", adminPW); err != nil {
		t.Fatal(err)
	}
	st.Close()

	base := startServeLogging(t, env, logs)
	postWebhooks(t, base, secret, graph, pd)

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var pages strings.Builder // error pages and /metrics: checked like the logs
	webChat(t, client, base, pd)

	resp, err := client.PostForm(base+"/login", url.Values{"username": {"admin"}, "password": {adminPW}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d", resp.StatusCode)
	}
	fetch := func(path string, header ...string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := fetch("/?status=all"); code != 200 {
		t.Fatalf("queue = %d", code)
	} else {
		// The pages do show prospects' data (that is their job): they are not
		// checked, but they prove the test put personal data in the store.
		if len(pd.leaks(body)) == 0 {
			t.Fatal("the queue shows none of the fixtures' data; the test stored nothing")
		}
	}
	st, err = store.Open(ctx, c.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := st.Queue(ctx, store.LeadFilter{Status: "all", Limit: 500})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		pd.name(r.Name) // names as the bot normalised them ("Carlos Andrés")
		pd.phone(r.Phone)
		if code, _ := fetch(fmt.Sprintf("/leads/%d", r.ID)); code != 200 {
			t.Errorf("lead %d page = %d", r.ID, code)
		}
	}
	for _, path := range []string{"/leads/999999", "/leads/abc", "/no/such/page", "/leads/999999?json"} {
		code, body := fetch(path)
		if code < 400 {
			t.Errorf("%s = %d; want an error", path, code)
		}
		pages.WriteString(body)
	}
	_, body := fetch("/leads/999999", "Accept", "application/json")
	pages.WriteString(body)
	code, metrics := fetch("/metrics", "Authorization", "Bearer metrics-token")
	if code != 200 || !strings.Contains(metrics, "# TYPE") {
		t.Fatalf("/metrics = %d %q", code, metrics)
	}
	pages.WriteString(metrics)
	if !strings.Contains(metrics, "cis_webhook_signature_refused_total 1\n") {
		t.Errorf("/metrics does not count the one unsigned delivery (W1):\n%s", metrics)
	}

	if len(rows) < 10 || len(pd.names) < 10 || len(pd.phones) < 20 || len(pd.texts) < 50 {
		t.Fatalf("too few fixtures to mean anything: %d leads, %d names, %d phones, %d texts",
			len(rows), len(pd.names), len(pd.phones), len(pd.texts))
	}
	// The detector itself must see a leak: one line logged without redaction.
	var raw bytes.Buffer
	slog.New(slog.NewJSONHandler(&raw, nil)).Info("leak", "who", rows[0].Name, "phone", rows[0].Phone)
	if got := pd.leaks(raw.String()); len(got) < 2 {
		t.Fatalf("the detector missed a planted leak: %v in %s", got, raw.String())
	}

	out := logs.String()
	// The paths that log ran, with the captured logger.
	for _, msg := range []string{"redelivered message ignored", "webhook signature refused", "webhook body dead-lettered",
		`"msg":"send failed"`, `"action":"login"`, `"action":"lead_viewed"`, `"component":"scoring"`} {
		if !strings.Contains(out, msg) {
			t.Errorf("no %s in the logs: that path did not run with the captured logger", msg)
		}
	}
	for _, l := range pd.leaks(out) {
		t.Errorf("logs contain %s", l)
	}
	for _, l := range pd.leaks(pages.String()) {
		t.Errorf("/metrics or an error page contains %s", l)
	}
	if t.Failed() {
		for _, line := range strings.Split(out, "\n") {
			if len(pd.leaks(line)) > 0 {
				t.Logf("leaking line: %s", line)
			}
		}
	}
	t.Logf("checked %d log lines and %d bytes of metrics and error pages against %d names, %d phones, %d texts",
		strings.Count(out, "\n"), pages.Len(), len(pd.names), len(pd.phones), len(pd.texts))
}

// replayTranscripts sends the prospects' lines of every golden transcript
// through the bot and a real store, wired as the commands wire them.
func replayTranscripts(t *testing.T, env map[string]string, logs io.Writer, pd *personalData) {
	t.Helper()
	ctx := context.Background()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "transcripts", "*.txt"))
	if err != nil || len(paths) < 10 {
		t.Fatalf("transcripts: %v (%d)", err, len(paths))
	}
	for i, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		tenv := map[string]string{}
		for k, v := range env {
			tenv[k] = v
		}
		start := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		var lines []string
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "# now: "):
				if start, err = time.Parse(time.RFC3339, strings.TrimPrefix(line, "# now: ")); err != nil {
					t.Fatal(err)
				}
			case strings.HasPrefix(line, "# lang: "):
				tenv["CIS_LANG"] = strings.TrimPrefix(line, "# lang: ")
			case strings.HasPrefix(line, "> "), strings.HasPrefix(line, "! wait "):
				lines = append(lines, line)
			}
		}
		f.Close()
		c := mustConfig(t, tenv)
		clock := bot.NewClock(start)
		a, err := open(ctx, c, newLogger(c, logs), clock.Now)
		if err != nil {
			t.Fatal(err)
		}
		phone := fmt.Sprintf("+5730055500%02d", i)
		pd.phone(phone)
		sim := &bot.Simulator{Bot: a.bot, Clock: clock, Account: "simulator", Phone: phone, IDPrefix: fmt.Sprintf("t%d-", i), Step: 20 * time.Second}
		for _, line := range lines {
			if d, ok := strings.CutPrefix(line, "! wait "); ok {
				wait, err := time.ParseDuration(d)
				if err != nil {
					t.Fatal(err)
				}
				clock.Add(wait)
				if _, err := a.bot.ExpireIdle(ctx, c.IdleTimeout); err != nil {
					t.Fatal(err)
				}
				continue
			}
			l, err := bot.ParseScriptLine(strings.TrimPrefix(line, "> "))
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			pd.text(l.Text)
			if _, err := sim.Send(ctx, l); err != nil {
				t.Fatalf("%s: %v", p, err)
			}
		}
		a.Close()
	}
}

var (
	fixturePhone = regexp.MustCompile(`"(?:wa_id|from|recipient_id)":\s*"?(\d{7,})`)
	fixtureName  = regexp.MustCompile(`"name":\s*"([^"]+)"`)
	fixtureTime  = regexp.MustCompile(`"timestamp":\s*"\d+"`)
	fixtureText  = regexp.MustCompile(`"(?:body|caption|title)":\s*"([^"]+)"`)
)

// postWebhooks delivers every Cloud API fixture, signed, to the served
// webhook, then an unsigned one and a signed malformed one, with the fake
// Graph API failing some sends so that failures are logged too.
func postWebhooks(t *testing.T, base, secret string, graph *bot.FakeGraph, pd *personalData) {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("..", "..", "testdata", "cloudapi", "*.json"))
	if err != nil || len(paths) < 5 {
		t.Fatalf("cloudapi fixtures: %v (%d)", err, len(paths))
	}
	graph.FailNext(500, 400, 429)
	post := func(body []byte, sign bool) int {
		req, _ := http.NewRequest(http.MethodPost, base+"/webhook/whatsapp", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if sign {
			m := hmac.New(sha256.New, []byte(secret))
			m.Write(body)
			req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(m.Sum(nil)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range fixturePhone.FindAllSubmatch(body, -1) {
			pd.phone(string(m[1]))
		}
		for _, m := range fixtureName.FindAllSubmatch(body, -1) {
			pd.name(string(m[1]))
		}
		for _, m := range fixtureText.FindAllSubmatch(body, -1) {
			pd.text(string(m[1]))
		}
		// Fresh timestamps: replies to a message older than 24 hours are not sent.
		body = fixtureTime.ReplaceAll(body, []byte(fmt.Sprintf(`"timestamp": "%d"`, time.Now().Unix())))
		if code := post(body, true); code != http.StatusOK {
			t.Errorf("%s: webhook = %d; want 200", filepath.Base(p), code)
		}
	}
	if code := post([]byte(`{"entry":[{"changes":[{"value":{"messages":[{"from":"573001119999","text":{"body":"mensaje sin firma de Rigoberto"}}]}}]}]}`), false); code != http.StatusUnauthorized {
		t.Errorf("unsigned webhook = %d; want 401", code)
	}
	pd.phone("573001119999")
	pd.text("mensaje sin firma de Rigoberto")
	if code := post([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"value":{"messages":[{"from":"573001118888","text":{"body":"cuerpo roto de Eustaquio"`), true); code != http.StatusOK {
		t.Errorf("signed malformed webhook = %d; want 200 (dead-lettered)", code)
	}
	pd.phone("573001118888")
	pd.text("cuerpo roto de Eustaquio")
	// Let the outbox deliver (and fail, and retry) the replies.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if ok, _ := graph.Count(); ok >= 5 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ok, _ := graph.Count(); ok == 0 {
		t.Error("no reply reached the fake Graph API")
	}
}

// webChat has a conversation through the public web chat.
func webChat(t *testing.T, client *http.Client, base string, pd *personalData) {
	t.Helper()
	for i, text := range []string{"hola", "sí", "me llamo Zoraida Pimentel", "Barranquilla, en el barrio El Prado"} {
		req, _ := http.NewRequest(http.MethodPost, base+"/chat/messages", strings.NewReader(url.Values{"text": {text}, "id": {fmt.Sprintf("webchat-msg-%02d", i)}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Requested-With", "fetch")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Fatalf("web chat message %d = %d", i, resp.StatusCode)
		}
		pd.text(text)
	}
	pd.name("Zoraida Pimentel")
}
