//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets TestF19WithoutZoneFiles run this test binary inside a mount
// namespace where the machine's zone files are hidden.
func TestMain(m *testing.M) {
	if os.Getenv("CIS_F19_HELPER") != "" {
		os.Exit(f19Helper())
	}
	os.Exit(m.Run())
}

// f19Helper checks that the zone files are really gone, then runs a whole
// conversation with `cis chat --json` on a Saturday at 14:55 Bogotá time and
// prints the stored deadline, which depends on America/Bogota's rules.
func f19Helper() int {
	if entries, err := os.ReadDir("/usr/share/zoneinfo"); err != nil || len(entries) > 0 {
		fmt.Println("error: the zone files are still visible:", len(entries), err)
		return 1
	}
	script := "hola\nsí\nme llamo carlos andrés\nmedallo\n2 millones\npa' ya\nfacebook ads\n"
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"chat", "--script", "-", "--json", "--now", "2026-03-07T14:55:00-05:00"},
		func(string) string { return "" }, strings.NewReader(script), &out, &errOut)
	if err != nil {
		fmt.Println("error:", err, errOut.String())
		return 1
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var lead struct{ Deadline string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &lead); err != nil {
		fmt.Println("error:", err)
		return 1
	}
	fmt.Println("deadline", lead.Deadline)
	return 0
}

// TestF19WithoutZoneFiles is F19 with the fault injected: in a mount
// namespace an empty directory is mounted over /usr/share/zoneinfo and
// every other place Go reads before its embedded copy, GOROOT's
// zoneinfo.zip included (ZONEINFO alone cannot hide them), and
// `cis chat` runs a whole conversation there on a Saturday at 14:55 Bogotá
// time. The deadline it stores is the same as with the zone files: the
// binary's embedded time/tzdata is used. It needs root (a mount namespace);
// elsewhere it says why it cannot run.
func TestF19WithoutZoneFiles(t *testing.T) {
	empty := t.TempDir()
	goroot, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Fatalf("go env GOROOT: %v", err)
	}
	// Every place Go's time package looks before its embedded copy
	// (time/zoneinfo_unix.go, then GOROOT/lib/time/zoneinfo.zip).
	var mounts []string
	for _, dir := range []string{"/usr/share/zoneinfo", "/usr/share/lib/zoneinfo", "/usr/lib/locale/TZ", "/etc/zoneinfo",
		filepath.Join(strings.TrimSpace(string(goroot)), "lib", "time")} {
		if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
			mounts = append(mounts, fmt.Sprintf("mount --bind %q %q", empty, dir))
		}
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
		strings.Join(mounts, " && ")+` && exec "$1" -test.run='^$'`, "f19", os.Args[0])
	cmd.Env = append(os.Environ(), "CIS_F19_HELPER=1")
	out, err := cmd.CombinedOutput()
	if err != nil && strings.Contains(string(out), "unshare failed") || err != nil && strings.Contains(string(out), "mount:") {
		t.Skipf("F19 hides the zone files in a mount namespace, which needs root (CAP_SYS_ADMIN); here: %s", out)
	}
	if err != nil {
		t.Fatalf("the helper without zone files: %v\n%s", err, out)
	}
	got := strings.TrimSpace(string(out))
	// With the zone files: the same conversation through the same command.
	var with bytes.Buffer
	script := "hola\nsí\nme llamo carlos andrés\nmedallo\n2 millones\npa' ya\nfacebook ads\n"
	if err := run(context.Background(), []string{"chat", "--script", "-", "--json", "--now", "2026-03-07T14:55:00-05:00"},
		func(string) string { return "" }, strings.NewReader(script), &with, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(with.String()), "\n")
	var lead struct{ Deadline string }
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &lead); err != nil || lead.Deadline == "" {
		t.Fatalf("no deadline with the zone files: %v\n%s", err, with.String())
	}
	if _, err := time.Parse(time.RFC3339, lead.Deadline); err != nil {
		t.Fatal(err)
	}
	if want := "deadline " + lead.Deadline; got != want {
		t.Errorf("without zone files: %q; with them: %q", got, want)
	}
}
