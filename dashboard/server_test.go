package dashboard

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/cis-agencia/cis/store"
)

// failingPing is a real store whose Ping fails, for the readiness test.
type failingPing struct {
	*store.Store
	err error
}

func (f failingPing) Ping(context.Context) error { return f.err }

func openStore(t testing.TB, now ...func() time.Time) *store.Store {
	t.Helper()
	opt := store.Options{Synchronous: "NORMAL"}
	if len(now) > 0 {
		opt.Now = now[0]
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "cis.db"), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestHealthEndpoints(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		name       string
		path       string
		storeErr   error
		wantStatus int
	}{
		{"alive", "/healthz", nil, http.StatusOK},
		{"alive even when the store is down", "/healthz", errors.New("disk gone"), http.StatusOK},
		{"ready", "/readyz", nil, http.StatusOK},
		{"not ready when the store fails", "/readyz", errors.New("disk gone"), http.StatusServiceUnavailable},
		{"unknown route", "/nope", nil, http.StatusNotFound},
		{"no pprof", "/debug/pprof/", nil, http.StatusNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(Deps{Store: st})
			if err != nil {
				t.Fatal(err)
			}
			s.ping = failingPing{st, tt.storeErr}
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			if rec.Code != tt.wantStatus {
				t.Errorf("GET %s = %d; want %d", tt.path, rec.Code, tt.wantStatus)
			}
		})
	}
}

// testEnv is a server on a real store with one user per role.
type testEnv struct {
	t     testing.TB
	st    *store.Store
	s     *Server
	now   time.Time
	users map[string]store.User
}

const testPassword = "correct horse battery staple"

func newEnv(t testing.TB, d Deps) *testEnv {
	t.Helper()
	env := &testEnv{t: t, now: time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC), users: map[string]store.User{}}
	st := openStore(t, func() time.Time { return env.now })
	env.st = st
	d.Store = st
	if d.Now == nil {
		d.Now = func() time.Time { return env.now }
	}
	s, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	env.s = s
	for _, role := range []string{RoleAdmin, RoleAdvisor, RoleViewer} {
		env.users[role] = env.addUser(role+"1", role)
	}
	return env
}

var fastHash = func() string { h, _ := HashPassword(testPassword); return h }()

func (e *testEnv) addUser(name, role string) store.User {
	e.t.Helper()
	u, err := e.st.CreateUser(context.Background(), name, role, fastHash)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// client is one browser: cookies kept, CSRF token read from pages.
type client struct {
	e       *testEnv
	cookies map[string]*http.Cookie
	ip      string
}

func (e *testEnv) client() *client {
	return &client{e: e, cookies: map[string]*http.Cookie{}, ip: "192.0.2.10"}
}

func (c *client) do(method, target string, form url.Values, hdr map[string]string) *httptest.ResponseRecorder {
	c.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, target, body)
	req.RemoteAddr = c.ip + ":5555"
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, ck := range c.cookies {
		req.AddCookie(ck)
	}
	rec := httptest.NewRecorder()
	c.e.s.ServeHTTP(rec, req)
	for _, ck := range rec.Result().Cookies() {
		if ck.MaxAge < 0 {
			delete(c.cookies, ck.Name)
		} else {
			c.cookies[ck.Name] = ck
		}
	}
	return rec
}

func (c *client) login(user string) *httptest.ResponseRecorder {
	c.e.t.Helper()
	rec := c.do(http.MethodPost, "/login", url.Values{"username": {user}, "password": {testPassword}}, nil)
	if rec.Code != http.StatusSeeOther {
		c.e.t.Fatalf("login %s = %d; want 303", user, rec.Code)
	}
	return rec
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (c *client) csrf() string {
	c.e.t.Helper()
	rec := c.do(http.MethodGet, "/account/password", nil, nil)
	m := csrfRe.FindStringSubmatch(rec.Body.String())
	if m == nil {
		c.e.t.Fatalf("no CSRF token on /account/password (status %d)", rec.Code)
	}
	return m[1]
}

func (c *client) post(target string, form url.Values) *httptest.ResponseRecorder {
	if form == nil {
		form = url.Values{}
	}
	form.Set("_csrf", c.csrf())
	return c.do(http.MethodPost, target, form, nil)
}
