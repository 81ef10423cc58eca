package dashboard

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestStartingPage: while the demo is prepared every page answers 503 with
// the step and its progress, /healthz answers, /readyz says starting; once
// ready, pages are served.
func TestStartingPage(t *testing.T) {
	st := NewStartup()
	env := newEnv(t, Deps{Startup: st})
	st.Step("lead_model")
	st.Progress(3, 10)
	c := env.client()
	rec := c.do(http.MethodGet, "/login", nil, nil)
	body := rec.Body.String()
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(body, "Entrenando el modelo de leads") || !strings.Contains(body, `value="30"`) {
		t.Errorf("page while preparing = %d:\n%s", rec.Code, body)
	}
	if rec := c.do(http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("/healthz while preparing = %d", rec.Code)
	}
	if rec := c.do(http.MethodGet, "/readyz", nil, nil); rec.Code != http.StatusServiceUnavailable || rec.Body.String() != "starting\nstep: lead_model 3/10\n" {
		t.Errorf("/readyz while preparing = %d %q", rec.Code, rec.Body.String())
	}
	rec = env.api("", http.MethodGet, "/api/v1/leads", nil) // the API's own error shape
	wantAPIError(t, "the API while preparing", rec, http.StatusServiceUnavailable, "unavailable")
	if rec.Header().Get("Retry-After") == "" {
		t.Error("the API while preparing sends no Retry-After")
	}
	st.Ready()
	if rec := c.do(http.MethodGet, "/login", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("/login once ready = %d", rec.Code)
	}
	st2 := NewStartup()
	env2 := newEnv(t, Deps{Startup: st2})
	st2.Fail("disk full")
	if rec := env2.client().do(http.MethodGet, "/readyz", nil, nil); !strings.HasPrefix(rec.Body.String(), "unavailable") {
		t.Errorf("/readyz after a failed preparation = %q", rec.Body.String())
	}
}

// TestBrowserStartingPage: the preparing page refreshes itself and turns
// into the login page once the preparation is done.
func TestBrowserStartingPage(t *testing.T) {
	st := NewStartup()
	env := newEnv(t, Deps{Startup: st, Options: Options{Demo: true}})
	env.now = time.Now()
	st.Step("history")
	st.Progress(1200, 3000)
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	ctx := browser(t)
	if err := within(ctx, 20*time.Second, chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#starting progress"))); err != nil {
		t.Fatalf("preparing page: %v", err)
	}
	shot(t, ctx, "starting")
	st.Ready()
	if err := within(ctx, 20*time.Second, chromedp.WaitVisible(chromedp.CSS("#username"))); err != nil {
		t.Fatalf("the page did not turn into the login once ready: %v", err)
	}
	if help := text(t, ctx, "#login-help"); !strings.Contains(help, "cis serve --demo") {
		t.Errorf("the demo login page says %q; want where the login was printed", help)
	}
}
