package dashboard

import (
	"bytes"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/flow"
)

// Every embedded page is registered and executes with zero-value data.
func TestEveryPageRenders(t *testing.T) {
	v, err := newViews(flow.DefaultCatalogue())
	if err != nil {
		t.Fatal(err)
	}
	data := map[string]any{
		"error": errorPage{}, "login": loginPage{}, "password": passwordPage{}, "queue": queuePage{}, "tokens": tokensPage{},
		"lead": leadPage{}, "chat": chatPage{}, "pairing": pairingPageData{}, "privacy": privacyPageData{}, "model": modelPageData{}, "churn": churnPage{}, "analytics": analyticsPage{},
		"accounts": accountsPage{}, "starting": startingPage{}, "advisors": advisorsPage{},
	}
	data["webhooks"] = webhooksPage{}
	data["numbers"] = numbersPage{}
	names, _ := fs.Glob(files, "templates/pages/*.html")
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		d, ok := data[name]
		if !ok {
			t.Errorf("page %s has no typed data in this test", name)
			continue
		}
		var buf bytes.Buffer
		if err := v.Render(&buf, name, d, nil); err != nil {
			t.Errorf("page %s with zero data: %v", name, err)
		}
		if strings.Contains(buf.String(), "<script>") {
			t.Errorf("page %s has an inline script", name)
		}
	}
}

func TestCatalogueHasBothLanguages(t *testing.T) {
	env := newEnv(t, Deps{})
	c := env.client()
	if body := c.do(http.MethodGet, "/login?lang=en", nil, nil).Body.String(); !strings.Contains(body, "Log in") {
		t.Error("English login page not in English")
	}
	// The choice is remembered.
	if body := c.do(http.MethodGet, "/login", nil, nil).Body.String(); !strings.Contains(body, `lang="en"`) {
		t.Error("language choice not remembered")
	}
}

// The widget's chat page may be framed by the configured sites only; every
// other page refuses all framing.
func TestWidgetFraming(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{WidgetOrigins: []string{"https://agencia.example"}}})
	c := env.client()
	chat := c.do(http.MethodGet, "/chat?embed=1", nil, nil)
	if csp := chat.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors https://agencia.example") {
		t.Errorf("chat CSP %q does not allow the widget origin", csp)
	}
	if chat.Header().Get("X-Frame-Options") != "" {
		t.Error("chat page sends X-Frame-Options, which would block the widget")
	}
	login := c.do(http.MethodGet, "/login", nil, nil)
	if csp := login.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("login CSP %q allows framing", csp)
	}
	if !strings.Contains(chat.Body.String(), `class="embed"`) {
		t.Error("embedded chat not rendered in embed mode")
	}
}

// No prospect name, phone or message text reaches the logs (RELIABILITY D3).
func TestNoPIIInLogs(t *testing.T) {
	var logs bytes.Buffer
	env := newBotEnv(t, Deps{Log: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	v := env.client()
	for _, m := range hotLead {
		v.chat(m)
	}
	seedLead(t, env.st, "+573009998877", "Zoila Secreta", "mensaje privado", env.now)
	a := env.client()
	a.login("admin1")
	a.do(http.MethodGet, "/?status=all", nil, nil)
	a.do(http.MethodGet, "/leads/1", nil, nil)
	a.do(http.MethodGet, "/leads/2", nil, nil)
	env.client().do(http.MethodPost, "/login", url.Values{"username": {"admin1"}, "password": {"wrong guess here"}}, nil)
	out := logs.String()
	if !strings.Contains(out, `"action":"login"`) {
		t.Fatalf("captured no audit logs: %q", out)
	}
	for _, pii := range []string{"Carlos", "Zoila", "3009998877", "mensaje privado", "medallo", "wrong guess", testPassword} {
		if strings.Contains(out, pii) {
			t.Errorf("logs contain %q", pii)
		}
	}
}
