// Package browsertest drives a headless Chromium for the dashboard's browser
// tests (package dashboard) and the whole-product crawl (cmd/cis): starting
// the browser, collecting what pages write to the console, and running the
// axe-core accessibility check. Only tests import it.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath is Debian's chromium (installed by .ci/test), or $CIS_CHROMIUM.
func ChromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CIS_CHROMIUM"); p != "" {
		return p
	}
	p, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatalf("browser tests need Chromium: run .ci/test (it installs Debian's chromium) or set CIS_CHROMIUM: %v", err)
	}
	return p
}

// Browser is one headless Chromium with a fresh profile (its own cookies),
// and the console messages of its tab.
type Browser struct {
	Ctx     context.Context
	mu      sync.Mutex
	console []chromedp.ConsoleMessage
}

// Start starts a headless Chromium that lives as long as the test. Steps
// get a deadline through Within.
func Start(t testing.TB) *Browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ChromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		// Without these Chromium reaches for Google's hosts, which this
		// machine's closed network refuses.
		chromedp.Flag("disable-quic", true), chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelB := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelB(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser and its tab
		t.Fatalf("start chromium: %v", err)
	}
	b := &Browser{Ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	return b
}

// Within runs steps with a deadline.
func (b *Browser) Within(d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	return Within(b.Ctx, d, steps...)
}

// Within runs steps on ctx with a deadline.
func Within(ctx context.Context, d time.Duration, steps ...chromedp.Action[chromedp.Void]) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	return chromedp.Do(ctx, steps...)
}

// Eval evaluates a JavaScript expression with a deadline.
func Eval[T any](b *Browser, d time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.Ctx, d)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr))
}

// Errors returns, and forgets, the console errors and uncaught exceptions
// seen since the last call: a failed resource load (a missing favicon), a
// refused inline script (CSP), a script exception. Warnings are ignored.
func (b *Browser) Errors() []string {
	// Console events arrive asynchronously; give the last ones a moment.
	time.Sleep(150 * time.Millisecond)
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, m := range b.console {
		if m.Type == chromedp.ConsoleError || m.IsException() {
			s := m.String()
			if m.URL != "" {
				s += " (" + m.URL + ")"
			}
			out = append(out, strings.TrimSpace(s))
		}
	}
	b.console = b.console[:0]
	return out
}

func contextWithTimeout(b *Browser, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.Ctx, d)
}

// Await evaluates a JavaScript expression that gives a promise, and waits for it.
func Await[T any](b *Browser, d time.Duration, expr string) (T, error) {
	ctx, cancel := context.WithTimeout(b.Ctx, d)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
}
