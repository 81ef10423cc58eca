package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// concrete turns a route pattern into a request path.
func concrete(path string) string {
	if strings.HasPrefix(path, "/admin/users/:id") {
		// Account 4 (created by TestRouteInventory): resetting or
		// deactivating one of the logged-in test users would end the
		// inventory's own sessions.
		return strings.Replace(path, ":id", "4", 1)
	}
	path = strings.ReplaceAll(path, ":id", "1")
	return strings.ReplaceAll(path, "*", "app.css")
}

// roleAllowed is the intended access table; the inventory test fails when a
// route is registered without an entry here, so no route escapes review.
var roleAllowed = map[string][]string{
	"GET /admin/users":                    {RoleAdmin},
	"POST /admin/users":                   {RoleAdmin},
	"POST /admin/users/:id/reset":         {RoleAdmin},
	"POST /admin/users/:id/deactivate":    {RoleAdmin},
	"POST /admin/users/:id/activate":      {RoleAdmin},
	"GET /admin/tokens":                   {RoleAdmin},
	"POST /admin/tokens":                  {RoleAdmin},
	"POST /admin/tokens/:id/revoke":       {RoleAdmin},
	"GET /":                               {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /queue/version":                  {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /leads/:id":                      {RoleAdmin, RoleAdvisor, RoleViewer},
	"POST /leads/:id/take":                {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/assign":              {RoleAdmin},
	"POST /leads/:id/contacted":           {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/won":                 {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/lost":                {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/note":                {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/message":             {RoleAdmin, RoleAdvisor},
	"POST /leads/:id/follow-up":           {RoleAdmin, RoleAdvisor},
	"GET /account/password":               {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /analytics":                      {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /analytics/campaigns":            {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /analytics/insights":             {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /analytics/accuracy":             {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /analytics/advisors":             {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /admin/advisors":                 {RoleAdmin},
	"POST /admin/advisors/:id":            {RoleAdmin},
	"POST /admin/advisors/modes":          {RoleAdmin},
	"POST /advisor/availability":          {RoleAdmin, RoleAdvisor},
	"POST /account/password":              {RoleAdmin, RoleAdvisor, RoleViewer},
	"POST /logout":                        {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /model":                          {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /model/:id/report":               {RoleAdmin, RoleAdvisor, RoleViewer},
	"POST /model/:id/activate":            {RoleAdmin},
	"GET /admin/pairing":                  {RoleAdmin},
	"GET /admin/pairing/status":           {RoleAdmin},
	"GET /admin/pairing/qr.png":           {RoleAdmin},
	"POST /admin/pairing/logout":          {RoleAdmin},
	"POST /admin/pairing/pair":            {RoleAdmin},
	"POST /admin/pairing/passkey":         {RoleAdmin},
	"POST /admin/pairing/passkey/confirm": {RoleAdmin},
	"POST /leads/:id/handback":            {RoleAdmin, RoleAdvisor},

	"GET /admin/privacy":                         {RoleAdmin},
	"POST /admin/privacy/requests":               {RoleAdmin},
	"GET /admin/privacy/requests/:id/export":     {RoleAdmin},
	"POST /admin/privacy/requests/:id/resolve":   {RoleAdmin},
	"POST /admin/privacy/requests/:id/extend":    {RoleAdmin},
	"POST /admin/privacy/requests/:id/delete":    {RoleAdmin},
	"POST /admin/privacy/exclusions":             {RoleAdmin},
	"POST /admin/privacy/exclusions/remove":      {RoleAdmin},
	"POST /admin/privacy/incidents":              {RoleAdmin},
	"POST /admin/privacy/incidents/:id/reported": {RoleAdmin},
	"GET /churn":                {RoleAdmin, RoleAdvisor, RoleViewer},
	"GET /churn.csv":            {RoleAdmin, RoleAdvisor, RoleViewer},
	"POST /churn/:id/contacted": {RoleAdmin, RoleAdvisor},
	"POST /churn/:id/retained":  {RoleAdmin, RoleAdvisor},
	"POST /churn/:id/churned":   {RoleAdmin, RoleAdvisor},

	"GET /admin/webhooks":              {RoleAdmin},
	"POST /admin/webhooks":             {RoleAdmin},
	"POST /admin/webhooks/:id/disable": {RoleAdmin},
	"POST /admin/webhooks/:id/enable":  {RoleAdmin},
	"POST /admin/webhooks/:id/delete":  {RoleAdmin},
	"POST /admin/webhooks/:id/test":    {RoleAdmin},
	"POST /admin/webhooks/:id/retry":   {RoleAdmin},

	"GET /admin/numbers":  {RoleAdmin},
	"POST /admin/numbers": {RoleAdmin},
}

// publicRoutes need no session (login, health, web chat, static, metrics with its own check).
var publicRoutes = map[string]bool{
	"GET /healthz": true, "GET /readyz": true, "GET /metrics": true, "GET /login": true, "POST /login": true,
	"GET /chat": true, "GET /chat/messages": true, "POST /chat/messages": true, "GET /static/*": true, "GET /favicon.ico": true,
	"GET /api/v1/openapi.json": true, // the API's description; every API endpoint needs a bearer token
}

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "object-src 'none'", "base-uri 'none'", "frame-ancestors"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: CSP %q lacks %q", what, csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: CSP allows inline script: %q", what, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
		t.Errorf("%s: nosniff/Referrer-Policy missing: %v", what, h)
	}
	if ct := h.Get("Content-Type"); ct != "" && !strings.Contains(ct, "charset") && !strings.HasPrefix(ct, "image/") && ct != "application/json" {
		t.Errorf("%s: Content-Type %q without charset", what, ct)
	}
}

// TestRouteInventory walks every registered route: without a session → 401
// or a redirect to /login; with a role not allowed → 403; a state-changing
// request without the CSRF token, or marked cross-site, → 403; security
// headers on every response.
func TestRouteInventory(t *testing.T) {
	env := newEnv(t, Deps{Pairing: &fakePairing{}})
	if u := env.addUser("account-target", RoleViewer); u.ID != 4 {
		t.Fatalf("the target account is %d; concrete() expects 4", u.ID)
	}
	routes := env.s.Routes()
	if len(routes) < len(roleAllowed)+len(publicRoutes) {
		t.Fatalf("only %d routes registered", len(routes))
	}
	clients := map[string]*client{}
	for _, role := range []string{RoleAdmin, RoleAdvisor, RoleViewer} {
		c := env.client()
		c.login(role + "1")
		clients[role] = c
	}
	for key, public := range routes {
		method, path, _ := strings.Cut(key, " ")
		target := concrete(path)
		t.Run(key, func(t *testing.T) {
			if strings.Contains(path, "phone") {
				t.Errorf("route %s carries a phone number in its URL", path)
			}
			if public {
				if !publicRoutes[key] {
					t.Fatalf("%s is public but not in the public allow-list", key)
				}
				rec := env.client().do(method, target, url.Values{}, nil)
				checkSecurityHeaders(t, key, rec.Header())
				return
			}
			if strings.HasPrefix(path, apiPrefix+"/") {
				checkAPIRouteNeedsToken(t, env, clients[RoleAdmin], method, target)
				return
			}
			allowed, ok := roleAllowed[key]
			if !ok {
				t.Fatalf("%s is not in the role table", key)
			}
			// No session.
			rec := env.client().do(method, target, url.Values{}, map[string]string{"Accept": "text/html"})
			if rec.Code != http.StatusUnauthorized && !(rec.Code == http.StatusSeeOther && rec.Header().Get("Location") == "/login") {
				t.Errorf("%s without session = %d; want 401 or redirect to /login", key, rec.Code)
			}
			checkSecurityHeaders(t, key+" (no session)", rec.Header())
			// A forged cookie is no session either.
			forged := env.client()
			forged.cookies["cis_session"] = &http.Cookie{Name: "cis_session", Value: newToken()}
			if rec := forged.do(method, target, url.Values{}, map[string]string{"Accept": "application/json"}); rec.Code != http.StatusUnauthorized {
				t.Errorf("%s with forged cookie = %d; want 401", key, rec.Code)
			}
			for role, c := range clients {
				if key == "POST /logout" { // a fresh session, so the shared ones survive
					c = env.client()
					c.login(role + "1")
				}
				isAllowed := false
				for _, a := range allowed {
					isAllowed = isAllowed || a == role
				}
				form := url.Values{}
				if method != http.MethodGet {
					form.Set("_csrf", c.csrf())
				}
				rec := c.do(method, target, form, map[string]string{"Accept": "application/json"})
				checkSecurityHeaders(t, key+" as "+role, rec.Header())
				if !isAllowed && rec.Code != http.StatusForbidden {
					t.Errorf("%s as %s = %d; want 403", key, role, rec.Code)
				}
				if isAllowed && (rec.Code == http.StatusForbidden || rec.Code == http.StatusUnauthorized) {
					t.Errorf("%s as %s = %d; want access", key, role, rec.Code)
				}
				if method == http.MethodGet || !isAllowed {
					continue
				}
				// CSRF: no token, a wrong token, or a cross-site request → 403.
				if key == "POST /logout" {
					continue // checked below without ending the shared session
				}
				for name, tc := range map[string]struct {
					form url.Values
					hdr  map[string]string
				}{
					"missing":    {url.Values{}, nil},
					"wrong":      {url.Values{"_csrf": {"x" + c.csrf()}}, nil},
					"cross-site": {url.Values{"_csrf": {c.csrf()}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
					"origin":     {url.Values{"_csrf": {c.csrf()}}, map[string]string{"Origin": "https://evil.example"}},
				} {
					if rec := c.do(method, target, tc.form, tc.hdr); rec.Code != http.StatusForbidden {
						t.Errorf("%s as %s with CSRF %s = %d; want 403", key, role, name, rec.Code)
					}
				}
			}
		})
	}
	// Logout without the token is refused too.
	c := clients[RoleViewer]
	if rec := c.do(http.MethodPost, "/logout", url.Values{}, nil); rec.Code != http.StatusForbidden {
		t.Errorf("POST /logout without CSRF = %d; want 403", rec.Code)
	}
	for key := range roleAllowed {
		if _, ok := routes[key]; !ok {
			t.Errorf("role table names %s, which is not registered", key)
		}
	}
}

func TestLoginSessionLogout(t *testing.T) {
	env := newEnv(t, Deps{})
	c := env.client()
	// A pre-login cookie value is never the session (fresh ID at login).
	c.cookies["cis_session"] = &http.Cookie{Name: "cis_session", Value: "attacker-chosen"}
	rec := c.login("advisor1")
	var sessCookie *http.Cookie
	for _, ck := range rec.Result().Cookies() {
		if ck.Name == "cis_session" {
			sessCookie = ck
		}
	}
	if sessCookie == nil || sessCookie.Value == "attacker-chosen" || len(sessCookie.Value) < 43 {
		t.Fatalf("session cookie = %+v; want a fresh 256-bit token", sessCookie)
	}
	if !sessCookie.HttpOnly || sessCookie.SameSite != http.SameSiteLaxMode || sessCookie.Path != "/" || sessCookie.Domain != "" {
		t.Errorf("cookie flags = %+v; want HttpOnly, SameSite=Lax, Path=/, no Domain", sessCookie)
	}
	if rec := c.do(http.MethodGet, "/", nil, nil); rec.Code != http.StatusOK {
		t.Fatalf("GET / after login = %d", rec.Code)
	}
	old := *sessCookie
	if rec := c.post("/logout", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("logout = %d", rec.Code)
	}
	replay := env.client()
	replay.cookies["cis_session"] = &old
	if rec := replay.do(http.MethodGet, "/", nil, map[string]string{"Accept": "application/json"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("old cookie after logout = %d; want 401", rec.Code)
	}
	// Deactivation ends sessions too.
	c2 := env.client()
	c2.login("viewer1")
	if err := env.st.SetActive(context.Background(), env.users[RoleViewer].ID, false); err != nil {
		t.Fatal(err)
	}
	if rec := c2.do(http.MethodGet, "/", nil, map[string]string{"Accept": "application/json"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("cookie after deactivation = %d; want 401", rec.Code)
	}
	// Idle timeout.
	c3 := env.client()
	c3.login("admin1")
	env.now = env.now.Add(sessionIdle + time.Minute)
	if rec := c3.do(http.MethodGet, "/", nil, map[string]string{"Accept": "application/json"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("cookie after idle timeout = %d; want 401", rec.Code)
	}
	audit, err := env.st.RecentAudit(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		actions = append(actions, a.Action)
	}
	for _, want := range []string{"login", "logout"} {
		if !strings.Contains(strings.Join(actions, ","), want) {
			t.Errorf("audit log %v lacks %q", actions, want)
		}
	}
}

func TestSecureCookie(t *testing.T) {
	env := newEnv(t, Deps{Options: Options{Secure: true}})
	rec := env.client().do(http.MethodPost, "/login", url.Values{"username": {"admin1"}, "password": {testPassword}}, nil)
	ck := rec.Result().Cookies()
	if len(ck) == 0 || ck[0].Name != "__Host-cis_session" || !ck[0].Secure || ck[0].Path != "/" || ck[0].Domain != "" {
		t.Fatalf("cookies behind TLS = %+v; want __Host- prefix, Secure, Path=/", ck)
	}
	if rec.Header().Get("Strict-Transport-Security") == "" {
		t.Error("no HSTS behind TLS")
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	env := newEnv(t, Deps{})
	a := env.client().do(http.MethodPost, "/login", url.Values{"username": {"nobody"}, "password": {"whatever password"}}, nil)
	b := env.client().do(http.MethodPost, "/login", url.Values{"username": {"admin1"}, "password": {"whatever password"}}, nil)
	if a.Code != b.Code || a.Body.String() != b.Body.String() {
		t.Errorf("unknown user and wrong password answer differently: %d vs %d", a.Code, b.Code)
	}
}

func TestLoginThrottle(t *testing.T) {
	env := newEnv(t, Deps{})
	bad := url.Values{"username": {"admin1"}, "password": {"wrong password!!"}}
	// One IP rotating X-Forwarded-For is still one IP.
	c := env.client()
	for i := range loginIPLimit {
		c.do(http.MethodPost, "/login", url.Values{"username": {"user" + string(rune('a'+i))}, "password": {"x"}},
			map[string]string{"X-Forwarded-For": "203.0.113." + string(rune('0'+i%10))})
	}
	if rec := c.do(http.MethodPost, "/login", bad, map[string]string{"X-Forwarded-For": "198.51.100.7"}); rec.Code != http.StatusTooManyRequests {
		t.Errorf("after %d failures from one IP = %d; want 429", loginIPLimit, rec.Code)
	}
	// One account attacked from many IPs is throttled per account.
	for i := range loginUserLimit {
		o := env.client()
		o.ip = "198.51.100." + string(rune('1'+i%9))
		o.do(http.MethodPost, "/login", url.Values{"username": {"advisor1"}, "password": {"nope nope nope"}}, nil)
	}
	other := env.client()
	other.ip = "192.0.2.99"
	if rec := other.do(http.MethodPost, "/login", url.Values{"username": {"advisor1"}, "password": {testPassword}}, nil); rec.Code != http.StatusTooManyRequests {
		t.Errorf("account after %d failures = %d; want 429", loginUserLimit, rec.Code)
	}
	// After the window the real user logs in (throttling, not lockout).
	env.now = env.now.Add(loginWindow + time.Second)
	other.login("advisor1")
}

func TestPasswordChange(t *testing.T) {
	env := newEnv(t, Deps{})
	c := env.client()
	c.login("advisor1")
	second := env.client()
	second.login("advisor1")
	tests := []struct {
		name, current, next string
		want                int
	}{
		{"wrong current", "nope", "a long enough passphrase here", http.StatusBadRequest},
		{"too short", testPassword, "short pw", http.StatusBadRequest},
		{"common", testPassword, "password1234", http.StatusBadRequest},
		{"good, with spaces kept", testPassword, "  otra frase larga con espacios  ", http.StatusOK},
	}
	for _, tt := range tests {
		rec := c.post("/account/password", url.Values{"current": {tt.current}, "new": {tt.next}, "confirm": {tt.next}})
		if rec.Code != tt.want {
			t.Errorf("%s: status %d; want %d", tt.name, rec.Code, tt.want)
		}
	}
	// The other session ended; this one survives; the new password works exactly as typed.
	if rec := second.do(http.MethodGet, "/", nil, map[string]string{"Accept": "application/json"}); rec.Code != http.StatusUnauthorized {
		t.Errorf("other session after password change = %d; want 401", rec.Code)
	}
	if rec := c.do(http.MethodGet, "/", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("own session after password change = %d; want 200", rec.Code)
	}
	fresh := env.client()
	if rec := fresh.do(http.MethodPost, "/login", url.Values{"username": {"advisor1"}, "password": {"otra frase larga con espacios"}}, nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("trimmed password accepted: %d", rec.Code)
	}
	if rec := fresh.do(http.MethodPost, "/login", url.Values{"username": {"advisor1"}, "password": {"  otra frase larga con espacios  "}}, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("exact new password refused: %d", rec.Code)
	}
}

func TestPasswordPolicyAndHash(t *testing.T) {
	tests := []struct {
		pw   string
		want error
	}{
		{"short", ErrPasswordShort},
		{"password", ErrPasswordShort},
		{"qwertyuiop123", ErrPasswordCommon},
		{"password12345", ErrPasswordCommon},
		{"aaaaaaaaaaaaaaaa", ErrPasswordCommon},
		{"contraseña123", ErrPasswordCommon},
		{"admin1admin1", ErrPasswordCommon},
		{strings.Repeat("x", 129) + "y", ErrPasswordLong},
		{"mi perro se llama Tobías", nil},
		{strings.Repeat("una frase muy larga ", 5), nil}, // 100 chars with spaces
	}
	for _, tt := range tests {
		if got := CheckPassword("admin1admin1", tt.pw); got != tt.want {
			t.Errorf("CheckPassword(%q) = %v; want %v", tt.pw, got, tt.want)
		}
	}
	if len(commonPasswords) < 3000 {
		t.Errorf("common-password list has %d entries; ASVS 6.2.4 wants at least 3,000", len(commonPasswords))
	}
	pw := strings.Repeat("una frase muy larga ", 5)
	h, err := HashPassword(pw)
	if err != nil {
		t.Fatal(err)
	}
	p, err := parsePHC(h)
	if err != nil || p.memory != 19*1024 || p.time != 2 || p.threads != 1 || len(p.salt) != 16 {
		t.Errorf("hash %q parameters = %+v, %v; want argon2id m=19456 t=2 p=1", h, p, err)
	}
	if !VerifyPassword(h, pw) || VerifyPassword(h, strings.TrimSpace(pw)) || VerifyPassword("garbage", pw) {
		t.Error("VerifyPassword does not check the password exactly as typed")
	}
}

func TestFreshStoreHasNoUsers(t *testing.T) {
	st := openStore(t)
	s, err := New(Deps{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, st: st, s: s}
	rec := env.client().do(http.MethodGet, "/login", nil, nil)
	if !strings.Contains(rec.Body.String(), "cis users add") {
		t.Errorf("login page on a fresh store does not say how to create the first admin")
	}
}

func TestPanicIsGeneric500(t *testing.T) {
	env := newEnv(t, Deps{})
	env.s.e.GET("/boom", func(c echoContext) error { panic("secret internal detail") })
	rec := env.client().do(http.MethodGet, "/boom", nil, nil)
	if rec.Code != http.StatusInternalServerError || strings.Contains(rec.Body.String(), "secret") {
		t.Errorf("panic → %d %q; want generic 500", rec.Code, rec.Body.String())
	}
	if rec := env.client().do(http.MethodGet, "/healthz", nil, nil); rec.Code != http.StatusOK {
		t.Errorf("after panic /healthz = %d", rec.Code)
	}
}
