package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startServe runs `cis serve` with env until the test ends and returns its
// base URL.
func startServe(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	return startServeLogging(t, env, io.Discard, args...)
}

// startServeLogging is startServe with the server's logs (stderr) to logs.
func startServeLogging(t *testing.T, env map[string]string, logs io.Writer, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), envOf(env), strings.NewReader(""), pw, logs)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("no start line: %v (%v)", err, <-done)
	}
	go io.Copy(io.Discard, pr)
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Error("serve did not stop")
		}
	})
	return strings.Fields(strings.TrimPrefix(line, "cis: serving on "))[0]
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestServeMountsCloudWebhook(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn",
		"CIS_CLOUDAPI_APP_SECRET": "s3cret", "CIS_CLOUDAPI_VERIFY_TOKEN": "tok", "CIS_CLOUDAPI_ACCESS_TOKEN": "acc"}
	base := startServe(t, env)
	if code, body := get(t, base+"/webhook/whatsapp?hub.mode=subscribe&hub.verify_token=tok&hub.challenge=42"); code != 200 || body != "42" {
		t.Errorf("verification = %d %q; want 200 \"42\"", code, body)
	}
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d behind the mux", code)
	}
}

func TestServeWithoutChannels(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0", "CIS_LOG_LEVEL": "warn"}
	base := startServe(t, env)
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}
	if code, _ := get(t, base+"/webhook/whatsapp?hub.mode=subscribe"); code != 404 {
		t.Errorf("webhook without the channel configured = %d; want 404", code)
	}
}

func TestCloudConfigGoesTogether(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_CLOUDAPI_APP_SECRET": "s3cret"}
	_, err := runCmd(t, env, "", "serve")
	if err == nil || !strings.Contains(err.Error(), "CIS_CLOUDAPI_VERIFY_TOKEN") {
		t.Errorf("err = %v; want it to name the missing settings", err)
	}
}

func TestSecretsAreNeverPrinted(t *testing.T) {
	env := map[string]string{"CIS_CLOUDAPI_APP_SECRET": "s3cret-value", "CIS_CLOUDAPI_ACCESS_TOKEN": "acc-value"}
	var out, errOut strings.Builder
	run(context.Background(), []string{"serve", "--no-such-flag"}, envOf(env), strings.NewReader(""), &out, &errOut)
	if strings.Contains(out.String()+errOut.String(), "s3cret-value") || strings.Contains(out.String()+errOut.String(), "acc-value") {
		t.Error("a secret from the environment was printed in the usage text")
	}
	if !strings.Contains(errOut.String(), "CIS_CLOUDAPI_APP_SECRET") {
		t.Error("usage does not document CIS_CLOUDAPI_APP_SECRET")
	}
}

func TestWhatsAppSettings(t *testing.T) {
	out, err := runCmd(t, nil, "", "help")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"CIS_WHATSAPP", "CIS_WHATSAPP_VERSION", "CIS_WHATSAPP_DEBOUNCE", "CIS_CLOUDAPI_APP_SECRET", "CIS_GRAPH_URL", "pair", "loadtest"} {
		if !strings.Contains(out, v) {
			t.Errorf("cis help does not mention %s", v)
		}
	}
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db")}
	for _, args := range [][]string{{"--whatsapp-per-minute", "0"}, {"--whatsapp-version", "vieja"}} {
		if _, err := runCmd(t, env, "", append([]string{"serve", "--whatsapp"}, args...)...); err == nil {
			t.Errorf("serve %v was accepted", args)
		}
	}
}

func TestAdvisorsSetting(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADVISORS": "Ana=3001112233"}
	if _, err := runCmd(t, env, "", "serve"); err == nil || !strings.Contains(err.Error(), "CIS_ADVISORS") {
		t.Errorf("err = %v; want a bad advisor entry named", err)
	}
	env["CIS_ADVISORS"] = "Ana=+573001112233, Beto=+573004445566"
	env["CIS_ADDR"], env["CIS_LOG_LEVEL"] = "127.0.0.1:0", "error"
	base := startServe(t, env)
	if code, _ := get(t, base+"/healthz"); code != 200 {
		t.Errorf("/healthz = %d with advisors set", code)
	}
}
