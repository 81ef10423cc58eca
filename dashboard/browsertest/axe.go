package browsertest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// AxeVersion is the axe-core release the accessibility check runs. .ci/test
// installs it with npm (pinned, outside the checkout); AxeSHA256 is the
// SHA-256 of its axe.min.js, so a different file is refused.
const (
	AxeVersion = "4.14.1"
	AxeSHA256  = "29348999450cdf2849a8e70b7912fc2da85a849da39c0d0d5394f51d4a9ed95c"
)

// AxeDir is where .ci/test installs axe-core: $CIS_AXE_DIR, or the user's
// cache directory. $CIS_AXE names the file itself instead.
func AxeDir() string {
	if d := os.Getenv("CIS_AXE_DIR"); d != "" {
		return d
	}
	d, err := os.UserCacheDir()
	if err != nil {
		d = os.TempDir()
	}
	return filepath.Join(d, "cis-test", "axe-core@"+AxeVersion)
}

var axeSource = sync.OnceValues(func() (string, error) {
	p := os.Getenv("CIS_AXE")
	if p == "" {
		p = filepath.Join(AxeDir(), "node_modules", "axe-core", "axe.min.js")
	}
	b, err := os.ReadFile(p) // #nosec G304 -- a test reading the file its own CI step installed
	if err != nil {
		return "", fmt.Errorf("the accessibility check needs axe-core %s: run .ci/test (it installs it with npm) or set CIS_AXE: %w", AxeVersion, err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != AxeSHA256 {
		return "", fmt.Errorf("%s: SHA-256 %s; want axe-core %s's %s", p, got, AxeVersion, AxeSHA256)
	}
	return string(b), nil
})

// AxeViolation is one failed axe rule on a page, with how many elements
// fail it and the first of them.
type AxeViolation struct {
	ID      string `json:"id"`
	Impact  string `json:"impact"`
	Help    string `json:"help"`
	Nodes   int    `json:"nodes"`
	Example string `json:"example"`
}

// Serious reports whether the violation is serious or critical: those fail the test.
func (v AxeViolation) Serious() bool { return v.Impact == "serious" || v.Impact == "critical" }

func (v AxeViolation) String() string {
	return fmt.Sprintf("[%s] %s: %s (%d element(s), e.g. %s)", v.Impact, v.ID, v.Help, v.Nodes, v.Example)
}

// Axe runs axe-core's WCAG 2.x A and AA rules and its best practices on the
// page the browser shows, logs every violation under label (the test log is
// the accessibility report) and returns them.
func (b *Browser) Axe(t testing.TB, label string) []AxeViolation {
	t.Helper()
	src, err := axeSource()
	if err != nil {
		t.Fatal(err)
	}
	// Injected through the DevTools protocol, which the page's CSP does not govern.
	if _, err := Eval[bool](b, 20*time.Second, "(() => { if (!window.axe) { "+src+"\n } return true })()"); err != nil {
		t.Fatalf("%s: load axe-core: %v", label, err)
	}
	const run = `axe.run(document, {resultTypes: ["violations"], runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}})
		.then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help, nodes: v.nodes.length,
			example: (v.nodes[0] && v.nodes[0].target.join(" ")) || ""})))`
	ctx, cancel := contextWithTimeout(b, 60*time.Second)
	defer cancel()
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]AxeViolation](run, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe: %v", label, err)
	}
	lines := []string{fmt.Sprintf("axe %s %s: no violations", t.Name(), label)}
	if len(vs) > 0 {
		lines = lines[:0]
	}
	for _, v := range vs {
		lines = append(lines, fmt.Sprintf("axe %s %s: %s", t.Name(), label, v))
	}
	for _, l := range lines {
		t.Log(l)
	}
	Report(t, lines...)
	return vs
}

// Report appends lines to $CIS_A11Y_LOG when set: go test prints nothing
// of a passing package, so .ci/test collects the accessibility report
// there and prints it after the tests.
func Report(t testing.TB, lines ...string) {
	p := os.Getenv("CIS_A11Y_LOG")
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600) // #nosec G304 G302 G703 -- the report file .ci/test named (tests only)
	if err != nil {
		t.Errorf("accessibility report: %v", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		t.Errorf("accessibility report: %v", err)
	}
}

// SeriousOnly keeps the serious and critical violations.
func SeriousOnly(vs []AxeViolation) []string {
	var out []string
	for _, v := range vs {
		if v.Serious() {
			out = append(out, v.String())
		}
	}
	return out
}

// Summary counts violations by impact, for a closing log line.
func Summary(counts map[string]int) string {
	var b strings.Builder
	for _, k := range []string{"critical", "serious", "moderate", "minor"} {
		fmt.Fprintf(&b, "%s %d, ", k, counts[k])
	}
	return strings.TrimSuffix(b.String(), ", ")
}
