package main

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// loadtestJSON runs `cis loadtest ... --json` and decodes the report.
func loadtestJSON(t *testing.T, args ...string) (map[string]float64, []string) {
	t.Helper()
	out, err := runCmd(t, nil, "", append(append([]string{"loadtest"}, args...), "--json")...)
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out)
	}
	var withViolations struct{ Violations []string }
	if err := json.Unmarshal([]byte(out), &withViolations); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if withViolations.Violations == nil {
		t.Errorf("invariants not checked: %s", out)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	rep := map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			rep[k] = f
		}
	}
	for _, k := range []string{"messages", "throughput_per_s", "p50_ms", "p99_ms", "lost", "duplicate_replies", "db_locked_errors",
		"never_sent", "never_sent_other", "replies_resent", "consent_without_sent_text", "kills"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out)
		}
	}
	return rep, withViolations.Violations
}

// TestLoadtestShort runs `cis loadtest` briefly in-process and checks the
// exactly-once figures and the invariants I1–I5 and C2: with people who wait
// for answers (the default), and with people who write their script blind,
// under duplicated and reordered deliveries (F8, small); speed is recorded
// in docs/benchmarks.md, not asserted.
func TestLoadtestShort(t *testing.T) {
	for _, mode := range []struct {
		name string
		args []string
	}{
		// Long enough for whole conversations under -race on a busy machine:
		// each answer is waited for.
		{"conversing", []string{"--duration", "8s", "--prospects", "40", "--max-messages", "1500", "--duplicates", "0.10"}},
		{"blind", []string{"--duration", "2s", "--prospects", "40", "--max-messages", "1500", "--duplicates", "0.10", "--reorder", "0.05", "--blind"}},
	} {
		t.Run(mode.name, func(t *testing.T) {
			rep, violations := loadtestJSON(t, mode.args...)
			if len(violations) > 0 {
				t.Errorf("invariants broken: %v", violations)
			}
			if rep["duplicated"] == 0 || mode.name == "blind" && rep["reordered"] == 0 {
				t.Errorf("no duplicate or no reordered delivery was made (F8): %v", rep)
			}
			if rep["messages"] == 0 || rep["replies_sent"] == 0 {
				t.Errorf("nothing was exchanged: %v", rep)
			}
			if rep["lost"] != 0 || rep["duplicate_replies"] != 0 || rep["db_locked_errors"] != 0 || rep["unprocessed"] != 0 ||
				rep["replies_pending"] != 0 || rep["consent_without_sent_text"] != 0 || rep["never_sent"] != 0 {
				t.Errorf("exactly-once broken under load: %v", rep)
			}
			// A consent answer may still not count when the simulated person
			// answers faster than the sender records the text (docs/reliability.md):
			// it is asked again, so that is not checked here; C2 is, above.
			if mode.name == "conversing" && rep["completed"] == 0 {
				t.Errorf("people who wait for answers completed no conversation: %v", rep)
			}
		})
	}
}

func TestLoadtestRefusesRemoteTargets(t *testing.T) {
	env := map[string]string{"CIS_CLOUDAPI_APP_SECRET": "x", "CIS_CLOUDAPI_VERIFY_TOKEN": "y", "CIS_CLOUDAPI_ACCESS_TOKEN": "z"}
	_, err := runCmd(t, env, "", "loadtest", "--target", "http://example.com/webhook/whatsapp", "--duration", "1s")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %v; want a non-loopback target refused", err)
	}
}

// TestLoadtestServersRefusals: --servers and --pg refuse what they cannot
// do, with what to do instead.
func TestLoadtestServersRefusals(t *testing.T) {
	env := map[string]string{"CIS_CLOUDAPI_APP_SECRET": "x", "CIS_CLOUDAPI_VERIFY_TOKEN": "y", "CIS_CLOUDAPI_ACCESS_TOKEN": "z"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--servers", "3"}, "--pg postgres://"},
		{[]string{"--servers", "0"}, "between 1 and 16"},
		{[]string{"--servers", "2", "--pg", "cis.db"}, "postgres:// URL"},
		{[]string{"--servers", "2", "--pg", "postgres://x@/db", "--target", "http://127.0.0.1:1/webhook/whatsapp"}, "no --target"},
		{[]string{"--servers", "2", "--pg", "postgres://x@/db", "--blind"}, "no --blind"},
		{[]string{"--target", "http://127.0.0.1:1/webhook/whatsapp,http://example.com/webhook/whatsapp"}, "loopback"},
	} {
		_, err := runCmd(t, env, "", append([]string{"loadtest", "--duration", "1s"}, tc.args...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("loadtest %v: err = %v; want one saying %q", tc.args, err, tc.want)
		}
	}
}

// TestLoadtestThreeServersOnPostgres: `cis loadtest --pg URL --servers 3
// --kill 1` starts three `cis serve` on one PostgreSQL (a schema of their
// own), spreads the deliveries over the three, kills one with SIGKILL under
// load and restarts it while the others go on; over all three nothing is
// lost, no reply is sent twice, every reply not cut by the kill is sent.
func TestLoadtestThreeServersOnPostgres(t *testing.T) {
	pg := store.TestCluster(t)
	bin := filepath.Join(t.TempDir(), "cis") // the servers are this program: a test binary would run the tests
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "loadtest", "--pg", pg, "--servers", "3", "--kill", "1", "--duration", "8s",
		"--prospects", "24", "--concurrency", "24", "--json")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("loadtest: %v\n%s\n%s", err, out, stderr.String())
	}
	var rep bot.LoadReport
	if err := json.Unmarshal(out, &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if len(rep.PerTarget) != 3 {
		t.Fatalf("targets %+v; want 3 servers", rep.PerTarget)
	}
	for i, tl := range rep.PerTarget {
		if tl.Accepted == 0 {
			t.Errorf("server %d accepted nothing: %+v", i+1, rep.PerTarget)
		}
	}
	if rep.Kills != 1 || rep.Messages == 0 || rep.Lost != 0 || rep.DuplicateReplies != 0 || rep.NeverSentOther != 0 ||
		rep.Unprocessed != 0 || len(rep.Violations) > 0 {
		t.Errorf("three servers, one killed: %+v", rep)
	}
}
