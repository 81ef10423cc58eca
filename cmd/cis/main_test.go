package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// envOf returns a getenv over a fixed map, so tests never read the real environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func runCmd(t *testing.T, env map[string]string, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, envOf(env), strings.NewReader(stdin), &out, &errOut)
	return out.String(), err
}

// createStore makes an empty store at path, as `cis serve` would on its
// first start: the other commands refuse a missing file.
func createStore(t *testing.T, path string) {
	t.Helper()
	s, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

// lastJSON decodes the last line of out, where `cis chat --json` prints the lead.
func lastJSON(t *testing.T, out string) map[string]any {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &m); err != nil {
		t.Fatalf("last line is not JSON: %v\n%s", err, out)
	}
	return m
}

const hotScript = "hola\nsí\nme llamo carlos andrés\nmedallo\n2 millones\npa' ya\nfacebook ads\n"

func TestChatScriptJSON(t *testing.T) {
	out, err := runCmd(t, nil, hotScript, "chat", "--script", "-", "--json", "--now", "2026-03-02T10:00:00-05:00")
	if err != nil {
		t.Fatalf("chat: %v\n%s", err, out)
	}
	lead := lastJSON(t, out)
	city, _ := lead["city"].(map[string]any)
	budget, _ := lead["budget"].(map[string]any)
	checks := map[string]bool{
		"status completed":      lead["status"] == "completed",
		"name normalised":       lead["name"] == "Carlos Andrés",
		"city Medellín 05001":   city["code"] == "05001" && city["department"] == "Antioquia",
		"budget 2M":             budget["min_cop"] == 2e6 && budget["max_cop"] == 2e6,
		"urgency immediate":     lead["urgency"] == "immediate",
		"service ads":           lead["service"] == "ads",
		"a class":               lead["class"] == "hot" || lead["class"] == "warm" || lead["class"] == "cold",
		"deadline is RFC 3339 ": validRFC3339(lead["deadline"]),
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("%s: lead = %v", what, lead)
		}
	}
	// Every line before the lead is a reply object.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		var r map[string]string
		if err := json.Unmarshal([]byte(l), &r); err != nil || r["text"] == "" || r["key"] == "" {
			t.Errorf("reply line %q is not {reply_to, key, text}", l)
		}
	}
	if !strings.Contains(out, "Gracias, Carlos. Un asesor te contactar") {
		t.Errorf("no closing promise in output:\n%s", out)
	}
}

func validRFC3339(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

func TestChatEnglishAndFileScript(t *testing.T) {
	script := filepath.Join(t.TempDir(), "s.txt")
	if err := os.WriteFile(script, []byte("# a comment\nhi\n\nyes\nJohn\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, map[string]string{"CIS_LANG": "en"}, "", "chat", "--script", script, "--json")
	if err != nil {
		t.Fatal(err)
	}
	if lead := lastJSON(t, out); lead["status"] != "in_progress" || lead["name"] != "John" {
		t.Errorf("lead = %v; want in_progress with name John", lead)
	}
	if !strings.Contains(out, "Which city") {
		t.Errorf("replies are not in English:\n%s", out)
	}
}

func TestConfigErrorsNameTheSetting(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"bad duration in env", map[string]string{"CIS_IDLE_TIMEOUT": "soon"}, nil, "CIS_IDLE_TIMEOUT"},
		{"bad language flag", nil, []string{"--lang", "fr"}, "--lang"},
		{"bad hours", map[string]string{"CIS_BUSINESS_HOURS": "lunes a viernes"}, nil, "CIS_BUSINESS_HOURS"},
		{"bad synchronous", nil, []string{"--sqlite-synchronous", "OFF"}, "--sqlite-synchronous"},
		{"bad log level", map[string]string{"CIS_LOG_LEVEL": "loud"}, nil, "CIS_LOG_LEVEL"},
		{"unknown script directive", nil, []string{"--script", "-"}, "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"chat"}, tt.args...)
			_, err := runCmd(t, tt.env, "@nope hola\n", args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v; want it to name %s", err, tt.want)
			}
		})
	}
}

func TestHelpListsEveryVariable(t *testing.T) {
	out, err := runCmd(t, nil, "", "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"CIS_DB", "CIS_LANG", "CIS_ADDR", "CIS_WINDOW_HOT", "CIS_BUSINESS_HOURS", "CIS_IDLE_TIMEOUT", "CIS_USD_COP", "serve", "chat"} {
		if !strings.Contains(out, v) {
			t.Errorf("cis help does not mention %s", v)
		}
	}
	if _, err := runCmd(t, nil, "", "frobnicate"); err == nil {
		t.Error("an unknown command was accepted")
	}
}

// TestKilledBetweenMessages runs the real binary, kills it with SIGKILL
// after a reply was printed, and checks that the next process continues the
// same conversation from the store.
func TestKilledBetweenMessages(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "cis")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	db := filepath.Join(dir, "cis.db")
	createStore(t, db) // chat continues a conversation in a store serve created
	env := append(os.Environ(), "CIS_DB="+store.TestDB(db))

	// First process: interactive, killed right after its reply to the name.
	cmd := exec.Command(bin, "chat")
	cmd.Env = env
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(stdout)
	io.WriteString(stdin, "hola\nsí\nMariana\n")
	if !waitFor(t, r, "Mariana") {
		t.Fatal("no reply to the name before the kill")
	}
	cmd.Process.Kill() // SIGKILL: no clean shutdown
	cmd.Wait()

	// Second process: answers the city, as if nothing happened.
	next := exec.Command(bin, "chat", "--script", "-", "--json")
	next.Env = env
	next.Stdin = strings.NewReader("Envigado\n2 millones\neste mes\ndiseño web\n")
	out, err := next.Output()
	if err != nil {
		t.Fatalf("second process: %v\n%s", err, out)
	}
	lead := lastJSON(t, string(out))
	if lead["status"] != "completed" || lead["name"] != "Mariana" || lead["service"] != "web" {
		t.Errorf("after the kill the conversation did not continue: %v", lead)
	}
	city, _ := lead["city"].(map[string]any)
	if city["name"] != "Envigado" {
		t.Errorf("city = %v; want Envigado", city)
	}
	// F2: no message applied twice or out of order across the kill (I3).
	checkInvariants(t, openAudit(t, db), store.Expect{})
}

// waitFor reads lines until one contains s (or the stream ends).
func waitFor(t *testing.T, r *bufio.Reader, s string) bool {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		line, err := r.ReadString('\n')
		if strings.Contains(line, s) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}
