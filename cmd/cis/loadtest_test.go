package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestLoadtestShort runs `cis loadtest` briefly in-process and checks the
// exactly-once figures and the invariants I1–I5 under duplicated and
// reordered deliveries (F8, small); speed is recorded in docs/benchmarks.md,
// not asserted.
func TestLoadtestShort(t *testing.T) {
	out, err := runCmd(t, nil, "", "loadtest", "--duration", "2s", "--prospects", "40", "--max-messages", "1500",
		"--duplicates", "0.10", "--reorder", "0.05", "--json")
	if err != nil {
		t.Fatalf("loadtest: %v\n%s", err, out)
	}
	var rep map[string]float64
	var withViolations struct{ Violations []string }
	if err := json.Unmarshal([]byte(out), &withViolations); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, out)
	}
	if withViolations.Violations == nil || len(withViolations.Violations) > 0 {
		t.Errorf("invariants I1–I5 not checked or broken: %v", withViolations.Violations)
	}
	var raw map[string]any
	json.Unmarshal([]byte(out), &raw)
	rep = map[string]float64{}
	for k, v := range raw {
		if f, ok := v.(float64); ok {
			rep[k] = f
		}
	}
	for _, k := range []string{"messages", "throughput_per_s", "p50_ms", "p99_ms", "lost", "duplicate_replies", "db_locked_errors"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("report lacks %q: %s", k, out)
		}
	}
	if rep["duplicated"] == 0 || rep["reordered"] == 0 {
		t.Errorf("no duplicate or no reordered delivery was made (F8): %s", out)
	}
	if rep["messages"] == 0 || rep["replies_sent"] == 0 {
		t.Errorf("nothing was exchanged: %s", out)
	}
	if rep["lost"] != 0 || rep["duplicate_replies"] != 0 || rep["db_locked_errors"] != 0 || rep["unprocessed"] != 0 || rep["replies_pending"] != 0 {
		t.Errorf("exactly-once broken under load: %s", out)
	}
}

func TestLoadtestRefusesRemoteTargets(t *testing.T) {
	env := map[string]string{"CIS_CLOUDAPI_APP_SECRET": "x", "CIS_CLOUDAPI_VERIFY_TOKEN": "y", "CIS_CLOUDAPI_ACCESS_TOKEN": "z"}
	_, err := runCmd(t, env, "", "loadtest", "--target", "http://example.com/webhook/whatsapp", "--duration", "1s")
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("err = %v; want a non-loopback target refused", err)
	}
}
