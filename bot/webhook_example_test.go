package bot

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's "Webhooks" section shows this receiver's check, verbatim
// between the markers (TestReadmeShowsTheWebhookCheck keeps them equal);
// the webhook tests verify every request the sender makes with it.

// README:go-begin

// VerifyCISWebhook checks a CIS webhook request: the signature over
// timestamp + "." + body with your destination's secret, and a timestamp
// within 5 minutes of now (a captured request cannot be replayed later).
// It returns the event id: store it, and skip an event you already have
// (a delivery is retried, with the same id, until it is acknowledged).
func VerifyCISWebhook(secret string, h http.Header, body []byte, now time.Time) (string, error) {
	ts := h.Get("X-CIS-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errors.New("no timestamp")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > 5*time.Minute || d < -5*time.Minute {
		return "", errors.New("timestamp outside the 5-minute window")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "." + string(body)))
	want := "v1=" + hex.EncodeToString(mac.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(h.Get("X-CIS-Signature"))) {
		return "", errors.New("bad signature")
	}
	return h.Get("X-CIS-Event-Id"), nil
}

// README:go-end

// TestReadmeShowsTheWebhookCheck: the README's Go example is this file's
// VerifyCISWebhook, character for character.
func TestReadmeShowsTheWebhookCheck(t *testing.T) {
	src, err := os.ReadFile("webhook_example_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, code, _ := strings.Cut(string(src), "// README:go-begin\n")
	code, _, _ = strings.Cut(code, "// README:go-end")
	code = strings.TrimSpace(code)
	if code == "" || !strings.Contains(string(readme), code) {
		t.Errorf("README.md's Webhooks section does not show VerifyCISWebhook as in webhook_example_test.go:\n%s", code)
	}
}

// TestPythonVerifiesWhatTheSenderSigns runs the README's Python check
// (between its markers) on requests the sender signed, and on a changed
// body. It needs python3; a machine without it skips, saying so, except
// under .ci/test (CIS_TEST_PYTHON_REQUIRED), which installs it.
func TestPythonVerifiesWhatTheSenderSigns(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CIS_TEST_PYTHON_REQUIRED") != "" {
			t.Fatal("python3 is not installed, and CIS_TEST_PYTHON_REQUIRED is set")
		}
		t.Skip("python3 is not installed: the README's Python example is not run here")
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, _ := strings.Cut(string(readme), "<!-- README:python-begin -->\n```python\n")
	block, _, _ = strings.Cut(block, "```\n<!-- README:python-end -->")
	if strings.TrimSpace(block) == "" {
		t.Fatal("README.md has no Python example between its markers")
	}
	e := newHookEnv(t)
	e.lead(t)
	e.passes(t, e.worker(nil), 3, time.Second)
	got := e.rcv.delivered()
	if len(got) == 0 {
		t.Fatal("nothing delivered")
	}
	now := e.h.clock.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	type check struct {
		Headers map[string]string `json:"headers"`
		Body    string            `json:"body"`
		Want    string            `json:"want"` // the event id, or "error"
	}
	var cases []check
	for _, g := range got {
		h := map[string]string{"X-CIS-Timestamp": ts, "X-CIS-Signature": SignWebhook(e.rcv.secret, ts, g.Body), "X-CIS-Event-Id": g.EventID}
		cases = append(cases, check{h, string(g.Body), g.EventID}, check{h, string(g.Body) + " ", "error"})
	}
	in, err := json.Marshal(cases)
	if err != nil {
		t.Fatal(err)
	}
	script := block + fmt.Sprintf(`
import json, sys
for c in json.load(sys.stdin):
    try:
        got = verify_cis_webhook(%q, c["headers"], c["body"].encode(), now=%d)
    except ValueError:
        got = "error"
    print("ok" if got == c["want"] else "FAIL %%s: got %%s, want %%s" %% (c["headers"]["X-CIS-Event-Id"], got, c["want"]))
`, e.rcv.secret, now.Unix())
	cmd := exec.Command(py, "-c", script)
	cmd.Stdin = bytes.NewReader(in)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if strings.Count(string(out), "ok\n") != len(cases) {
		t.Errorf("the README's Python check disagrees with the sender:\n%s", out)
	}
}
