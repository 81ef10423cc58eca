package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/dashboard/browsertest"
)

// demoServer is `cis serve --demo` running in-process on a free port.
type demoServer struct {
	base      string
	adminUser string
	adminPass string
	done      chan error
	logs      *syncBuffer
	env       map[string]string
	stdout    *syncBuffer
	cancel    context.CancelFunc // stops serve (stop)
}

var (
	servingLine = regexp.MustCompile(`cis: serving on (http://\S+)`)
	loginLine   = regexp.MustCompile(`demo login: user (\S+), password (\S+)`)
)

// startDemo starts the real server with --demo on a fresh store (a smaller
// history and smaller forests than the default, so the test stays quick)
// and waits until it printed its address and the demo login.
func startDemo(t *testing.T, extra map[string]string) *demoServer {
	t.Helper()
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "info",
		"CIS_DEMO_LEADS": "3000", "CIS_DEMO_TREES": "20"}
	for k, v := range extra {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	d := &demoServer{done: make(chan error, 1), logs: &syncBuffer{}, stdout: &syncBuffer{}, env: env, cancel: cancel}
	pr, pw := io.Pipe()
	go func() {
		d.done <- run(ctx, []string{"serve", "--demo"}, envOf(env), strings.NewReader(""), pw, d.logs)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-d.done:
		case <-time.After(30 * time.Second):
			t.Error("serve did not stop after its context ended")
		}
	})
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			d.stdout.Write([]byte(sc.Text() + "\n"))
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(5 * time.Minute)
	for d.base == "" || d.adminUser == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				err := <-d.done
				d.done <- err // the cleanup waits for it too
				t.Fatalf("serve stopped before it printed its address and the demo login: %v\n%s", err, tail(d.logs.String(), 20))
			}
			if m := servingLine.FindStringSubmatch(l); m != nil {
				d.base = m[1]
			}
			if m := loginLine.FindStringSubmatch(l); m != nil {
				d.adminUser, d.adminPass = m[1], m[2]
			}
		case <-deadline:
			t.Fatalf("serve --demo printed no address and login within 5 minutes\n%s", tail(d.logs.String(), 20))
		}
	}
	go func() { // keep draining
		for range lines {
		}
	}()
	return d
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// addUser creates an account with `cis users add --generate` on the running
// server's store and returns its password.
func (d *demoServer) addUser(t *testing.T, role, name string) string {
	t.Helper()
	out, err := runCmd(t, d.env, "", "users", "add", "--role", role, "--generate", name)
	if err != nil {
		t.Fatalf("users add %s: %v\n%s", name, err, out)
	}
	m := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("users add printed no password: %q", out)
	}
	return m[1]
}

// serving checks that the process still runs and answers.
func (d *demoServer) serving(t *testing.T) {
	t.Helper()
	select {
	case err := <-d.done:
		t.Fatalf("the server stopped: %v\n%s", err, tail(d.logs.String(), 30))
	default:
	}
	resp, err := http.Get(d.base + "/healthz")
	if err != nil {
		t.Fatalf("the server no longer answers: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /healthz = %d", resp.StatusCode)
	}
}

// waitReady polls /readyz until it no longer says "starting".
func (d *demoServer) waitReady(t *testing.T) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(d.base + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !strings.HasPrefix(string(b), "starting") {
				return string(b)
			}
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("/readyz still says starting after 5 minutes\n%s", tail(d.logs.String(), 20))
	return ""
}

// TestBrowserCrawl starts the real product on the demo store and, as
// admin, advisor and viewer in headless Chromium, opens every page the
// navigation reaches and every link on those pages one level deep (lead
// pages included): each answers 200, writes no error to the console, and
// passes axe-core's accessibility check without a serious violation (the
// report is in the test log). Afterwards the process still serves.
func TestBrowserCrawl(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the demo and Chromium")
	}
	// crawl-advisor is in the rotation (--advisors), so its queue page
	// carries the available/away switch (issue 20).
	d := startDemo(t, map[string]string{"CIS_ADVISORS": "crawl-advisor"})
	d.waitReady(t)
	users := []struct{ role, name, pass string }{
		{"admin", d.adminUser, d.adminPass},
		{"advisor", "crawl-advisor", d.addUser(t, "advisor", "crawl-advisor")},
		{"viewer", "crawl-viewer", d.addUser(t, "viewer", "crawl-viewer")},
	}
	impacts := map[string]int{}
	for _, u := range users {
		t.Run(u.role, func(t *testing.T) {
			c := newCrawler(t, d.base)
			c.login(u.name, u.pass)
			if u.role == "advisor" { // in the rotation: the queue page carries the available/away switch
				if ok, err := browsertest.Eval[bool](c.b, 10*time.Second, `document.getElementById("presence") !== null`); err != nil || !ok {
					t.Errorf("the advisor's queue page has no available/away switch (%v)", err)
				}
			}
			c.crawl(impacts)
			d.serving(t)
		})
	}
	summary := "axe over every page kind the crawl opened, as admin, advisor and viewer: " + browsertest.Summary(impacts)
	t.Log(summary)
	browsertest.Report(t, summary)
	// The model page computes its report in the background: wait for it to
	// finish (or fail visibly), then the process must still serve.
	c := newCrawler(t, d.base)
	c.login(users[0].name, users[0].pass)
	c.waitModelReport()
	d.serving(t)
}

// crawler is one browser session walking the dashboard.
type crawler struct {
	t       *testing.T
	b       *browsertest.Browser
	base    string
	visited map[string]bool
	checked map[string]bool // page templates already checked by axe
}

func newCrawler(t *testing.T, base string) *crawler {
	return &crawler{t: t, b: browsertest.Start(t), base: base, visited: map[string]bool{}, checked: map[string]bool{}}
}

func (c *crawler) login(user, pass string) {
	c.t.Helper()
	err := c.b.Within(60*time.Second,
		chromedp.Navigate(c.base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), pass),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#queue")),
	)
	if err != nil {
		c.t.Fatalf("login as %s: %v", user, err)
	}
	if errs := c.b.Errors(); len(errs) > 0 {
		c.t.Errorf("login: console errors: %q", errs)
	}
}

// template names a page by its route pattern (/leads/12 → /leads/:id), so
// axe checks each kind of page once per role.
var idSegment = regexp.MustCompile(`/\d+(/|$)`)

func template(u *url.URL) string {
	return idSegment.ReplaceAllString(u.Path, "/:id$1")
}

// crawl opens every navigation page, then every link found on them.
func (c *crawler) crawl(impacts map[string]int) {
	c.t.Helper()
	nav := c.links(`header nav a[href]`)
	if len(nav) < 3 {
		c.t.Fatalf("navigation has %d links: %q", len(nav), nav)
	}
	var next []string
	for _, u := range nav {
		next = append(next, c.visit(u, impacts)...)
	}
	sort.Strings(next)
	for _, u := range next {
		c.visit(u, impacts)
	}
	c.t.Logf("%d pages crawled", len(c.visited))
}

// links lists the same-origin links matching sel on the current page,
// without the language switch (it only changes a cookie) and logout.
func (c *crawler) links(sel string) []string {
	c.t.Helper()
	hrefs, err := browsertest.Eval[[]string](c.b, 10*time.Second,
		`Array.from(document.querySelectorAll(`+fmt.Sprintf("%q", sel)+`)).filter(a => !a.hasAttribute("download")).map(a => a.href)`)
	if err != nil {
		c.t.Fatalf("links: %v", err)
	}
	var out []string
	for _, h := range hrefs {
		u, err := url.Parse(h)
		if err != nil || !strings.HasPrefix(h, c.base) || u.Query().Has("lang") {
			continue
		}
		u.Fragment = ""
		out = append(out, u.String())
	}
	return out
}

// visit opens u (once), checks its status and console, runs axe on a page
// kind not checked yet, and returns the links on it.
func (c *crawler) visit(raw string, impacts map[string]int) []string {
	c.t.Helper()
	if c.visited[raw] {
		return nil
	}
	c.visited[raw] = true
	ctx, cancel := context.WithTimeout(c.b.Ctx, 60*time.Second)
	resp, err := chromedp.RunResponse(ctx, chromedp.Navigate(raw))
	cancel()
	if err != nil {
		c.t.Errorf("GET %s: %v", raw, err)
		return nil
	}
	if resp.Status != http.StatusOK {
		c.t.Errorf("GET %s = %d; want 200", raw, resp.Status)
	}
	if errs := c.b.Errors(); len(errs) > 0 {
		c.t.Errorf("GET %s: console errors: %q", raw, errs)
	}
	c.noCodeWords(raw)
	u, _ := url.Parse(raw)
	if k := template(u); !c.checked[k] {
		c.checked[k] = true
		vs := c.b.Axe(c.t, u.RequestURI())
		for _, v := range vs {
			impacts[v.Impact]++
		}
		if serious := browsertest.SeriousOnly(vs); len(serious) > 0 {
			c.t.Errorf("%s: serious accessibility violations:\n%s", u.RequestURI(), strings.Join(serious, "\n"))
		}
	}
	c.downloads()
	return c.links(`a[href]`)
}

// codeWords are engineers' words that once reached Spanish pages: scorer
// versions, feature keys, plan and channel keys, class and status keys.
var codeWords = regexp.MustCompile(`forest:\d|\brules\b|budget_unknown|\bcalibration\b|\btrees\b|\burgency\b|\bbasico\b|\bestandar\b|` +
	`\breferral\b|\bother\b|\b(hot|warm|cold)\b|\b(open|contacted|won|lost)\b|\bwebchat\b|\bcloudapi\b|\bwhatsapp\b|\bthis_month\b|\bimmediate\b`)

// noCodeWords checks the visible text of a Spanish page.
func (c *crawler) noCodeWords(raw string) {
	c.t.Helper()
	text, err := browsertest.Eval[string](c.b, 10*time.Second, `document.documentElement.lang === "es" ? document.body.innerText : ""`)
	if err != nil {
		c.t.Fatalf("text of %s: %v", raw, err)
	}
	if m := codeWords.FindAllString(text, 5); len(m) > 0 {
		c.t.Errorf("GET %s: code words on a Spanish page: %q", raw, m)
	}
}

// downloads fetches the page's download links (CSV exports, the report
// file) from inside the page, with its session: each must answer 200.
func (c *crawler) downloads() {
	c.t.Helper()
	res, err := browsertest.Await[[]string](c.b, 60*time.Second, `Promise.all(Array.from(document.querySelectorAll("a[download]"))
		.map(a => fetch(a.href, {credentials: "same-origin"}).then(r => r.status + " " + a.getAttribute("href"))))`)
	if err != nil {
		c.t.Errorf("download links: %v", err)
		return
	}
	for _, r := range res {
		if key := strings.SplitN(r, " ", 2)[1]; !c.visited["download "+key] {
			c.visited["download "+key] = true
			if !strings.HasPrefix(r, "200 ") {
				c.t.Errorf("download %s", r)
			}
		}
	}
}

// waitModelReport opens the model page until the active lead model's report
// is shown or its failure is (a report is computed in the background).
func (c *crawler) waitModelReport() {
	c.t.Helper()
	deadline := time.Now().Add(4 * time.Minute)
	for time.Now().Before(deadline) {
		if err := c.b.Within(30*time.Second, chromedp.Navigate(c.base+"/model"), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
			c.t.Fatalf("open /model: %v", err)
		}
		state, err := browsertest.Eval[string](c.b, 10*time.Second,
			`document.querySelector("iframe.report") ? "ready" : (document.querySelector("[data-job=failed]") ? "failed" : "running")`)
		if err != nil {
			c.t.Fatal(err)
		}
		if state != "running" {
			c.t.Logf("model report: %s", state)
			return
		}
		time.Sleep(2 * time.Second)
	}
	c.t.Errorf("the model report was neither ready nor failed after 4 minutes")
}
