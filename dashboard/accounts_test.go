package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAccountsPage: an admin adds an advisor and a viewer with a generated
// password shown once, that password logs in, a reset gives another and
// ends the account's sessions, deactivation ends them too; an admin cannot
// deactivate themselves.
func TestAccountsPage(t *testing.T) {
	env := newEnv(t, Deps{})
	admin := env.client()
	admin.login("admin1")
	pwRe := regexp.MustCompile(`<code class="secret">([^<]+)</code>`)
	rec := admin.post("/admin/users", url.Values{"username": {"ana"}, "role": {"advisor"}})
	m := pwRe.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("add: %d, no password shown", rec.Code)
	}
	if page := admin.do(http.MethodGet, "/admin/users", nil, nil).Body.String(); strings.Contains(page, m[1]) {
		t.Error("the password is shown again on a later visit")
	}
	ana := env.client()
	if rec := ana.do(http.MethodPost, "/login", url.Values{"username": {"ana"}, "password": {m[1]}}, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("login with the generated password: %d", rec.Code)
	}
	if rec := admin.post("/admin/users", url.Values{"username": {"ana"}, "role": {"viewer"}}); rec.Code != http.StatusConflict {
		t.Errorf("adding ana twice: %d; want 409", rec.Code)
	}
	if rec := admin.post("/admin/users", url.Values{"username": {"con espacio"}, "role": {"viewer"}}); rec.Code != http.StatusUnprocessableEntity {
		t.Errorf("a username with a space: %d; want 422", rec.Code)
	}
	u, err := env.st.UserByName(context.Background(), "ana")
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(u.ID)
	rec = admin.post("/admin/users/"+id+"/reset", nil)
	m2 := pwRe.FindStringSubmatch(rec.Body.String())
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("reset shows no new password")
	}
	if rec := ana.do(http.MethodGet, "/", nil, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("ana's session after a reset: %d; want a redirect to the login", rec.Code)
	}
	ana = env.client()
	if rec := ana.do(http.MethodPost, "/login", url.Values{"username": {"ana"}, "password": {m2[1]}}, nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("login with the reset password: %d", rec.Code)
	}
	if rec := admin.post("/admin/users/"+id+"/deactivate", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("deactivate: %d", rec.Code)
	}
	if rec := ana.do(http.MethodGet, "/", nil, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("a deactivated account still has its session: %d", rec.Code)
	}
	if rec := admin.post("/admin/users/"+itoa(env.users[RoleAdmin].ID)+"/deactivate", nil); rec.Code != http.StatusConflict {
		t.Errorf("an admin deactivating themselves: %d; want 409", rec.Code)
	}
	audit, _ := env.st.RecentAudit(context.Background(), 20)
	seen := map[string]bool{}
	for _, a := range audit {
		seen[a.Action] = true
	}
	for _, want := range []string{"user_created", "password_reset", "user_deactivated"} {
		if !seen[want] {
			t.Errorf("audit lacks %s", want)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPasswordChangeThrottled: guessing the current password on the
// change form is limited like logins, and argon2id runs at most hashSlots
// at a time however many guesses arrive together.
func TestPasswordChangeThrottled(t *testing.T) {
	env := newEnv(t, Deps{})
	c := env.client()
	c.login("advisor1")
	codes := map[int]int{}
	for range loginUserLimit + 3 {
		rec := c.post("/account/password", url.Values{"current": {"wrong guess 123"}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
		codes[rec.Code]++
	}
	if codes[http.StatusBadRequest] != loginUserLimit || codes[http.StatusTooManyRequests] != 3 {
		t.Errorf("answers = %v; want %d wrong-password answers, then 429", codes, loginUserLimit)
	}
	// Even the right password waits out the window.
	rec := c.post("/account/password", url.Values{"current": {testPassword}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("right password inside the window: %d; want 429", rec.Code)
	}
	env.now = env.now.Add(loginWindow + time.Minute)
	rec = c.post("/account/password", url.Values{"current": {testPassword}, "new": {"a brand new passphrase"}, "confirm": {"a brand new passphrase"}})
	if rec.Code != http.StatusOK {
		t.Errorf("after the window: %d; want 200", rec.Code)
	}

	// Concurrency: 40 logins at once never run more than hashSlots verifications.
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			env.client().do(http.MethodPost, "/login", url.Values{"username": {"viewer1"}, "password": {"not it at all"}}, nil)
		})
	}
	wg.Wait()
	peak := int(env.s.hashPeak.Load())
	if peak > hashSlots || peak < 2 {
		t.Errorf("%d verifications at once; want between 2 and %d", peak, hashSlots)
	}
}

// TestCSRFTokenNotFromQuery: the token counts in the header or the body,
// never in the URL.
func TestCSRFTokenNotFromQuery(t *testing.T) {
	env := newEnv(t, Deps{})
	seedLead(t, env.st, "+573001112233", "Carlos", "hola", env.now)
	c := env.client()
	c.login("advisor1")
	tok := c.csrf()
	if rec := c.do(http.MethodPost, "/leads/1/note?_csrf="+url.QueryEscape(tok), url.Values{"note": {"x"}}, nil); rec.Code != http.StatusForbidden {
		t.Errorf("token in the query: %d; want 403", rec.Code)
	}
	if rec := c.do(http.MethodPost, "/leads/1/note", url.Values{"note": {"x"}}, map[string]string{"X-CSRF-Token": tok}); rec.Code != http.StatusNoContent {
		t.Errorf("token in the header: %d; want 204", rec.Code)
	}
	if rec := c.do(http.MethodPost, "/leads/1/note", url.Values{"note": {"x"}, "_csrf": {tok}}, nil); rec.Code != http.StatusSeeOther {
		t.Errorf("token in the body: %d; want 303", rec.Code)
	}
}

// TestPairingWithoutLinkedDevice: with only the Cloud API, the pairing
// page disables "log out" and "pair", and posting them says why (303 back
// to the page, 409 for scripts), never 500.
func TestPairingWithoutLinkedDevice(t *testing.T) {
	env := newEnv(t, Deps{Pairing: cloudOnlyPairing{}})
	admin := env.client()
	admin.login("admin1")
	page := admin.do(http.MethodGet, "/admin/pairing", nil, nil).Body.String()
	if strings.Count(page, `disabled aria-describedby="pairing-no-device"`) != 2 {
		t.Error("the pairing actions are not disabled without a linked device")
	}
	for _, action := range []string{"logout", "pair"} {
		rec := admin.post("/admin/pairing/"+action, nil)
		if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/admin/pairing?refused=1" {
			t.Errorf("POST %s = %d %s; want 303 back to the page", action, rec.Code, rec.Header().Get("Location"))
		}
		rec = admin.do(http.MethodPost, "/admin/pairing/"+action, nil, map[string]string{"X-CSRF-Token": admin.csrf(), "Accept": "application/json"})
		if rec.Code != http.StatusConflict {
			t.Errorf("POST %s as a script = %d; want 409", action, rec.Code)
		}
	}
	if page := admin.do(http.MethodGet, "/admin/pairing?refused=1", nil, nil).Body.String(); !strings.Contains(page, `id="pairing-refused"`) {
		t.Error("the page does not say why the action was refused")
	}
}
