package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAPIRateLimitSettings: a bad API rate limit stops serve before it
// starts, naming the setting.
func TestAPIRateLimitSettings(t *testing.T) {
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"rate not a number", map[string]string{"CIS_API_RATE": "fast"}, nil, "CIS_API_RATE"},
		{"rate zero", nil, []string{"--api-rate", "0"}, "--api-rate"},
		{"burst zero", map[string]string{"CIS_API_BURST": "0"}, nil, "--api-burst"},
		{"burst not a number", nil, []string{"--api-burst", "many"}, "api-burst"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0"}
			for k, v := range tt.env {
				env[k] = v
			}
			_, err := runCmd(t, env, "", append([]string{"serve"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve = %v; want an error naming %s", err, tt.want)
			}
		})
	}
}

// TestServeAPIEndToEnd runs the real `cis serve` with a small API rate
// limit from the environment: an admin created with `cis users add` logs
// in, creates a read token on the tokens page, and the token reads the
// API over TCP until its bucket is empty (429, Retry-After); it cannot
// record an outcome (403); the OpenAPI document needs no token.
func TestServeAPIEndToEnd(t *testing.T) {
	env := map[string]string{"CIS_DB": filepath.Join(t.TempDir(), "cis.db"), "CIS_ADDR": "127.0.0.1:0",
		"CIS_API_RATE": "0.2", "CIS_API_BURST": "3"}
	base := startServe(t, env)
	pass := (&demoServer{env: env}).addUser(t, "admin", "ana")
	jar, _ := cookiejar.New(nil)
	web := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if resp, err := web.PostForm(base+"/login", url.Values{"username": {"ana"}, "password": {pass}}); err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", resp, err)
	}
	page := getBody(t, web, base+"/admin/tokens")
	csrf := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindStringSubmatch(page)
	if csrf == nil {
		t.Fatalf("no CSRF token on the tokens page:\n%s", page)
	}
	resp, err := web.PostForm(base+"/admin/tokens", url.Values{"_csrf": {csrf[1]}, "name": {"HubSpot"}, "scope": {"read"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	tok := regexp.MustCompile(`<code class="secret">(cis_[^<]+)</code>`).FindStringSubmatch(string(b))
	if tok == nil {
		t.Fatalf("create token = %d; no token shown", resp.StatusCode)
	}
	api := func(method, path, body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok[1])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i, want := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/api/v1/leads", "", 200},
		{"POST", "/api/v1/leads/1/outcome", `{"outcome":"contacted"}`, 403},
		{"GET", "/api/v1/customers/at-risk", "", 200},
		{"GET", "/api/v1/leads", "", 429}, // the burst of 3 is spent; 0.2 a second refills one in 5 s
	} {
		resp := api(want.method, want.path, want.body)
		if resp.StatusCode != want.status {
			t.Errorf("request %d %s %s = %d; want %d", i+1, want.method, want.path, resp.StatusCode, want.status)
		}
		if want.status == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if resp, err := http.Get(base + "/api/v1/openapi.json"); err != nil || resp.StatusCode != 200 {
		t.Errorf("GET /api/v1/openapi.json without a token: %v %v", resp, err)
	}
}

func getBody(t *testing.T, c *http.Client, u string) string {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d", u, resp.StatusCode)
	}
	return string(b)
}
