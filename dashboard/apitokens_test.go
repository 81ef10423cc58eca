package dashboard

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/cis-agencia/cis/dashboard/browsertest"
)

var shownToken = regexp.MustCompile(`<code class="secret">(cis_[A-Za-z0-9_-]{43})</code>`)

// TestTokensPage: an admin creates a token on the page (shown once, stored
// hashed), it opens the API with its scope, the list shows who made it
// and when it was last used, revoking it closes the API at once (401), and
// both steps are in the audit log. Spanish first, English on request.
func TestTokensPage(t *testing.T) {
	env := newEnv(t, Deps{})
	ctx := context.Background()
	c := env.client()
	c.login("admin1")
	page := c.do(http.MethodGet, "/admin/tokens", nil, nil).Body.String()
	for _, want := range []string{"Tokens del API", "Aún no hay tokens.", "/api/v1/openapi.json", `href="/admin/tokens" aria-current="page"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the empty page lacks %q", want)
		}
	}
	if en := c.do(http.MethodGet, "/admin/tokens?lang=en", nil, nil).Body.String(); !strings.Contains(en, "API tokens") || !strings.Contains(en, "No tokens yet.") {
		t.Error("the page in English lacks its words")
	}
	for _, bad := range []url.Values{{"name": {""}, "scope": {"read"}}, {"name": {"crm"}, "scope": {"admin"}}, {"name": {strings.Repeat("n", 81)}, "scope": {"read"}}} {
		if rec := c.post("/admin/tokens", bad); rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), `id="tokens-error"`) {
			t.Errorf("create %v = %d; want 422 with the reason", bad, rec.Code)
		}
	}
	rec := c.post("/admin/tokens", url.Values{"name": {"HubSpot <crm>"}, "scope": {"read"}})
	m := shownToken.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("create = %d; no token shown:\n%s", rec.Code, rec.Body.String())
	}
	token := m[1]
	if !strings.Contains(rec.Body.String(), "HubSpot &lt;crm&gt;") {
		t.Error("the token's name is not shown escaped")
	}
	if again := c.do(http.MethodGet, "/admin/tokens", nil, nil).Body.String(); strings.Contains(again, token) || !strings.Contains(again, token[:10]+"…") {
		t.Error("the list must show the token's start only, never the token again")
	}
	stored, err := env.st.APITokens(ctx)
	if err != nil || len(stored) != 1 || stored[0].Scope != ScopeRead || stored[0].Creator != "admin1" {
		t.Fatalf("stored tokens = %+v, %v", stored, err)
	}
	if _, err := env.st.APITokenByHash(ctx, token); err == nil {
		t.Error("the token is stored as typed; want only its hash")
	}
	if list := c.do(http.MethodGet, "/admin/tokens?lang=es", nil, nil).Body.String(); !strings.Contains(list, ">nunca<") {
		t.Error("a token never used does not say so")
	}
	env.now = env.now.Add(time.Hour) // used an hour after it was made
	if rec := env.api(token, http.MethodGet, "/api/v1/leads", nil); rec.Code != http.StatusOK {
		t.Fatalf("the new token on the API = %d", rec.Code)
	}
	wantAPIError(t, "the read token writing", env.api(token, http.MethodPost, "/api/v1/leads/1/outcome", map[string]any{"outcome": "contacted"}),
		http.StatusForbidden, "forbidden")
	if list := c.do(http.MethodGet, "/admin/tokens", nil, nil).Body.String(); !strings.Contains(list, "2026-03-02 11:00") || strings.Contains(list, ">nunca<") {
		t.Error("the list does not show when the token was last used")
	}
	rec = c.post("/admin/tokens/"+itoa(stored[0].ID)+"/revoke", nil)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/tokens?done=revoked" {
		t.Fatalf("revoke = %d %s", rec.Code, rec.Header().Get("Location"))
	}
	wantAPIError(t, "a revoked token", env.api(token, http.MethodGet, "/api/v1/leads", nil), http.StatusUnauthorized, "invalid_token")
	if list := c.do(http.MethodGet, "/admin/tokens?done=revoked&lang=es", nil, nil).Body.String(); !strings.Contains(list, "Token revocado") || !strings.Contains(list, "revocado el") {
		t.Errorf("the list does not say the token was revoked:\n%s", list)
	}
	if rec := c.post("/admin/tokens/999/revoke", nil); rec.Code != http.StatusNotFound {
		t.Errorf("revoke an unknown token = %d; want 404", rec.Code)
	}
	audit, err := env.st.RecentAudit(ctx, 50)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"api_token_created": false, "api_token_revoked": false}
	for _, a := range audit {
		if _, ok := want[a.Action]; ok && a.Object == "api_token:"+itoa(stored[0].ID) && a.UserID == env.users[RoleAdmin].ID {
			want[a.Action] = true
		}
		if strings.Contains(a.Detail, token) || strings.Contains(a.Object, token) {
			t.Error("the audit log holds the token")
		}
	}
	for action, seen := range want {
		if !seen {
			t.Errorf("no %s audit entry by admin1: %+v", action, audit)
		}
	}
	// Only admins see the page and its nav link.
	adv := env.client()
	adv.login("advisor1")
	if rec := adv.do(http.MethodGet, "/admin/tokens", nil, nil); rec.Code != http.StatusForbidden {
		t.Errorf("an advisor on /admin/tokens = %d; want 403", rec.Code)
	}
	if strings.Contains(adv.do(http.MethodGet, "/", nil, nil).Body.String(), `href="/admin/tokens"`) {
		t.Error("an advisor's nav links to the tokens page")
	}
}

// TestBrowserTokensPage creates and revokes a token in Chromium and runs
// axe on the page with the token shown and the list filled.
func TestBrowserTokensPage(t *testing.T) {
	env := newEnv(t, Deps{})
	env.now = time.Now()
	srv := httptest.NewServer(env.s)
	t.Cleanup(srv.Close)
	b := browsertest.Start(t)
	ctx := b.Ctx
	err := within(ctx, 30*time.Second,
		chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "admin1"), chromedp.SendKeys(chromedp.CSS("#password"), testPassword),
		chromedp.Submit(chromedp.CSS("#password")), chromedp.WaitVisible(chromedp.CSS("#queue")),
		chromedp.Click(chromedp.CSS(`nav a[href="/admin/tokens"]`)), chromedp.WaitVisible(chromedp.CSS("#token-name")),
		chromedp.SendKeys(chromedp.CSS("#token-name"), "n8n"), chromedp.SetValue(chromedp.CSS("#token-scope"), "write"),
		chromedp.Click(chromedp.CSS("#create-token")), chromedp.WaitVisible(chromedp.CSS("#new-token")))
	if err != nil {
		t.Fatalf("create a token in the browser: %v", err)
	}
	shown := text(t, ctx, "#new-token code")
	if rec := env.api(shown, http.MethodGet, "/api/v1/leads", nil); rec.Code != http.StatusOK {
		t.Fatalf("the token shown in the browser on the API = %d", rec.Code)
	}
	if serious := browsertest.SeriousOnly(b.Axe(t, "/admin/tokens (token shown, list filled)")); len(serious) > 0 {
		t.Errorf("axe: %s", strings.Join(serious, "\n"))
	}
	err = within(ctx, 20*time.Second, chromedp.Click(chromedp.CSS(`#tokens tbody tr:first-child form button`)),
		chromedp.WaitVisible(chromedp.CSS(`p.notice[role="status"]`)))
	if err != nil {
		t.Fatalf("revoke in the browser: %v", err)
	}
	wantAPIError(t, "the token revoked in the browser", env.api(shown, http.MethodGet, "/api/v1/leads", nil), http.StatusUnauthorized, "invalid_token")
	if serious := browsertest.SeriousOnly(b.Axe(t, "/admin/tokens (revoked)")); len(serious) > 0 {
		t.Errorf("axe: %s", strings.Join(serious, "\n"))
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
