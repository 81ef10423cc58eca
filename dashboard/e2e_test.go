package dashboard

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/dashboard/browsertest"
)

// browser starts a headless Chromium with a fresh profile (dashboard/browsertest).
func browser(t *testing.T) context.Context {
	t.Helper()
	return browsertest.Start(t).Ctx
}

// within runs steps with a deadline.
func within(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	return browsertest.Within(ctx, d, steps...)
}

func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// screenshots regenerates the README's screenshots; tests take none without it:
//
//	go test ./dashboard -run 'TestBrowser' -screenshots
var screenshots = flag.Bool("screenshots", false, "write docs/screenshots/*.png (the README's screenshots)")

// shot saves a screenshot of the page at a phone and a desktop width into
// docs/screenshots (shown in the README), when -screenshots is given.
func shot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if !*screenshots {
		return
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		label string
		w, h  int64
		phone bool
	}{{"phone", 390, 844, true}, {"desktop", 1280, 900, false}} {
		var opts []chromedp.EmulateViewportOption
		if size.phone {
			opts = append(opts, chromedp.EmulateMobile)
		}
		if err := within(ctx, 10*time.Second, chromedp.EmulateViewport(size.w, size.h, opts...)); err != nil {
			t.Fatalf("viewport for %s: %v", name, err)
		}
		sctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		buf, err := chromedp.Run(sctx, chromedp.CaptureScreenshot())
		cancel()
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+"-"+size.label+".png"), buf, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := within(ctx, 10*time.Second, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatal(err)
	}
}

// countdownText is what a due lead's countdown says: seconds under an hour,
// hours and days beyond (a deadline after a closing time).
var countdownText = regexp.MustCompile(`^vence en (\d+:\d\d|\d+ (min|h|día|días)( \d+ (min|h))?)$`)

func login(base, user string) []chromedp.Action[chromedp.Void] {
	return []chromedp.Action[chromedp.Void]{
		chromedp.Navigate(base + "/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), user),
		chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("#queue")),
	}
}

// TestBrowserEndToEnd drives a real headless Chromium: an advisor keeps the
// queue open; a visitor chats through the web chat until the lead completes;
// the lead appears in the open queue without a reload, with its class and a
// ticking countdown; the advisor marks it contacted and won; the pairing page
// shows a QR to an admin and is refused to the advisor.
func TestBrowserEndToEnd(t *testing.T) {
	fp := &fakePairing{}
	env := newBotEnv(t, Deps{Pairing: fp})
	env.now = time.Now() // the browser's countdown runs on the real clock
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	base := srv.URL
	advisor := browser(t)
	if err := within(advisor, 30*time.Second, login(base, "advisor1")...); err != nil {
		t.Fatalf("advisor login: %v", err)
	}

	// The advisor opts in to hot-lead alerts. The browser's notifications
	// are replaced by a recorder (headless Chromium shows none).
	err := within(advisor, 10*time.Second,
		chromedp.Evaluate[chromedp.Void](`(() => { const N = function (title, o) { window.__notified = (window.__notified || []).concat([title + ": " + o.body]) };
			N.permission = "granted"; N.requestPermission = () => Promise.resolve("granted"); window.Notification = N; })()`),
		chromedp.Click(chromedp.CSS("#notify-toggle")),
		chromedp.Poll[chromedp.Void](`document.getElementById("notify-toggle").getAttribute("aria-pressed") === "true"`),
	)
	if err != nil {
		t.Fatalf("opt in to alerts: %v", err)
	}

	// The visitor, in a second browser (own cookies).
	visitor := browser(t)
	if err := within(visitor, 30*time.Second, chromedp.Navigate(base+"/chat"), chromedp.WaitVisible(chromedp.CSS("#chat-text"))); err != nil {
		t.Fatalf("open chat: %v", err)
	}
	for i, m := range hotLead {
		err := within(visitor, 20*time.Second,
			// Enter submits through the page's script (form.submit() would bypass it).
			chromedp.SendKeys(chromedp.CSS("#chat-text"), m+"\r"),
			chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.querySelectorAll("#bubbles li.me:not(.pending)").length >= %d`, i+1)),
		)
		if err != nil {
			t.Fatalf("chat message %d %q: %v", i, m, err)
		}
	}
	if last := text(t, visitor, "#bubbles li.bot:last-child"); !strings.Contains(last, "Carlos") {
		t.Errorf("last bot reply %q; want the closing message naming Carlos", last)
	}
	shot(t, visitor, "webchat")

	// The queue updates itself: the lead appears without a reload.
	err = within(advisor, 30*time.Second,
		chromedp.Poll[chromedp.Void](`document.querySelector("li.lead bdi") && document.querySelector("li.lead bdi").textContent.includes("Carlos Andrés")`),
		chromedp.Poll[chromedp.Void](`/^vence en \d/.test(document.querySelector("#due li.lead .countdown").textContent)`),
	)
	if err != nil {
		t.Fatalf("lead did not appear in the open queue: %v", err)
	}
	if badge := text(t, advisor, "li.lead .badge"); badge != "Caliente" {
		t.Errorf("class badge %q; want Caliente (hot)", badge)
	}
	if cd := text(t, advisor, "#due li.lead .countdown"); !countdownText.MatchString(cd) {
		t.Errorf("countdown %q; want time left like «vence en 24:59» (or «vence en 1 día 20 h» out of business hours)", cd)
	}
	// The tab title counts the leads waiting for a call.
	if title, err := chromedp.Run(advisor, chromedp.Title()); err != nil || !strings.HasPrefix(title, "(1) ") {
		t.Errorf("tab title %q (%v); want it to start with (1)", title, err)
	}
	// The opted-in advisor was alerted to the new hot lead.
	if err := within(advisor, 10*time.Second, chromedp.Poll[chromedp.Void](`(window.__notified || []).some(n => n === "Nuevo lead caliente: Carlos Andrés")`)); err != nil {
		notified, _ := chromedp.Run(advisor, chromedp.Evaluate[[]string](`window.__notified || []`))
		t.Errorf("no notification for the new hot lead: %q", notified)
	}
	shot(t, advisor, "queue")

	// Open it, mark contacted, then won with a value.
	if err := within(advisor, 20*time.Second, chromedp.Click(chromedp.CSS("li.lead a.name")), chromedp.WaitVisible(chromedp.CSS("#mark-contacted"))); err != nil {
		t.Fatalf("open lead: %v", err)
	}
	shot(t, advisor, "lead")
	err = within(advisor, 30*time.Second,
		chromedp.Click(chromedp.CSS("#mark-contacted")),
		chromedp.WaitNotPresent(chromedp.CSS("#mark-contacted")),
		chromedp.WaitVisible(chromedp.CSS("#mark-won")),
		chromedp.SendKeys(chromedp.CSS("#won-value"), "2.500.000"),
		chromedp.Click(chromedp.CSS("#mark-won")),
		chromedp.WaitNotPresent(chromedp.CSS("#mark-won")),
	)
	if err != nil {
		t.Fatalf("contacted/won: %v", err)
	}
	if status := text(t, advisor, ".title-row .status"); status != "Ganado" {
		t.Errorf("status after won = %q; want Ganado", status)
	}

	// Pairing: refused to the advisor, a QR for the admin.
	if err := within(advisor, 20*time.Second, chromedp.Navigate(base+"/admin/pairing")); err != nil {
		t.Fatal(err)
	}
	if refused := text(t, advisor, "main"); !strings.Contains(refused, "403") {
		t.Errorf("advisor on the pairing page sees %q; want 403", refused)
	}
	admin := browser(t)
	if err := within(admin, 30*time.Second, login(base, "admin1")...); err != nil {
		t.Fatalf("admin login: %v", err)
	}
	err = within(admin, 20*time.Second,
		chromedp.Navigate(base+"/admin/pairing"),
		chromedp.Poll[chromedp.Void](`document.getElementById("pairing-qr").naturalWidth > 100`),
	)
	if err != nil {
		t.Fatalf("admin pairing page shows no QR: %v", err)
	}
	shot(t, admin, "pairing")
	// The channel rotates its code: the page loads the new QR by itself.
	if err := fp.Pair(context.Background()); err != nil {
		t.Fatal(err)
	}
	rotated, _ := fp.PairingStatus(context.Background())
	err = within(admin, 15*time.Second, chromedp.Poll[chromedp.Void](fmt.Sprintf(
		`document.getElementById("pairing-qr").src.endsWith("?v=%s") && document.getElementById("pairing-qr").complete && document.getElementById("pairing-qr").naturalWidth > 100`,
		hashToken(rotated.QR)[:12])))
	if err != nil {
		t.Errorf("the QR did not refresh after the code rotated: %v", err)
	}
	if err := within(admin, 20*time.Second, chromedp.Navigate(base+"/admin/users"), chromedp.WaitVisible(chromedp.CSS("#accounts"))); err != nil {
		t.Fatalf("accounts page: %v", err)
	}
	shot(t, admin, "accounts")
}

// TestBrowserHostileText loads the queue and each lead page in Chromium with
// names and messages made of HTML, script, emoji, right-to-left and very
// long text: nothing executes, no element is injected, and every text shows
// exactly as the prospect typed it.
func TestBrowserHostileText(t *testing.T) {
	env := newEnv(t, Deps{})
	env.now = time.Now()
	for i, name := range hostile {
		seedLead(t, env.st, fmt.Sprintf("+5730000000%02d", i), name, name, env.now)
	}
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	if err := within(ctx, 30*time.Second, login(srv.URL, "admin1")...); err != nil {
		t.Fatalf("login: %v", err)
	}
	check := func(page string, names ...string) {
		t.Helper()
		if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+page), chromedp.WaitReady(chromedp.CSS("main"))); err != nil {
			t.Fatalf("open %s: %v", page, err)
		}
		ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// Injected markup would show up as extra elements; our pages have one script and no img in main.
		injected, err := chromedp.Run(ectx, chromedp.Evaluate[int](`document.scripts.length - 1 + document.querySelectorAll("main img, [onerror]").length`))
		if err != nil {
			t.Fatal(err)
		}
		if injected != 0 {
			t.Errorf("%s: %d injected elements", page, injected)
		}
		texts, err := chromedp.Run(ectx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll("main bdi")).map(e => e.textContent)`))
		if err != nil {
			t.Fatal(err)
		}
		joined := strings.Join(texts, "\n")
		for _, name := range names {
			if !strings.Contains(joined, name) {
				t.Errorf("%s does not show %.40q intact", page, name)
			}
		}
	}
	check("/?status=all", hostile...)
	for i, name := range hostile { // seeded in order: lead i+1 is hostile[i]
		check(fmt.Sprintf("/leads/%d", i+1), name)
	}
}

// TestBrowserChurnPage opens the churn-risk list in Chromium on 30 scored
// customers: the chart draws its bars with numbers, the table carries
// probabilities and pesos and an advisor marks the riskiest customer
// contacted (the README's screenshot is taken on the demo data by
// TestBrowserAnalyticsPages).
func TestBrowserChurnPage(t *testing.T) {
	env := newEnv(t, Deps{})
	env.now = time.Now()
	seedCustomers(t, env, 30)
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	if err := within(ctx, 30*time.Second, login(srv.URL, "advisor1")...); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+"/churn"), chromedp.WaitVisible(chromedp.CSS("#risk-table"))); err != nil {
		t.Fatalf("open /churn: %v", err)
	}
	ectx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	bars, err := chromedp.Run(ectx, chromedp.Evaluate[int](`document.querySelectorAll(".churn-chart svg rect").length`))
	if err != nil || bars < 5 {
		t.Errorf("chart bars = %d, %v; want one per band", bars, err)
	}
	labels, err := chromedp.Run(ectx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(".churn-chart svg text")).map(e => e.textContent)`))
	if err != nil || !slicesContainDigits(labels) {
		t.Errorf("chart texts %v, %v; want numbers", labels, err)
	}
	if first := text(t, ctx, "#risk-table tbody tr:first-child"); !strings.Contains(first, "97 %") || !strings.Contains(first, "$") {
		t.Errorf("first row %q; want the riskiest customer (97 %%) with pesos", first)
	}
	err = within(ctx, 20*time.Second,
		chromedp.Click(chromedp.CSS(`#risk-table tbody tr:first-child form[action$="/contacted"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#risk-table tbody tr:first-child .status")),
	)
	if err != nil {
		t.Fatalf("mark contacted: %v", err)
	}
	if st := text(t, ctx, "#risk-table tbody tr:first-child .status"); st != "contactado" {
		t.Errorf("status after contacted = %q", st)
	}
}

func slicesContainDigits(texts []string) bool {
	n := 0
	for _, s := range texts {
		if strings.ContainsAny(s, "0123456789") {
			n++
		}
	}
	return n >= 5
}
