package dashboard

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// userStore is what logins, sessions, password changes and the audit log need.
type userStore interface {
	UserByName(ctx context.Context, username string) (store.User, error)
	CountUsers(ctx context.Context) (int, error)
	SetPassword(ctx context.Context, userID int64, hash, keepTokenHash string) error
	CreateSession(ctx context.Context, tokenHash string, userID int64, csrf string) error
	SessionByHash(ctx context.Context, tokenHash string) (store.Session, error)
	TouchSession(ctx context.Context, tokenHash string) error
	DeleteSession(ctx context.Context, tokenHash string) error
	Audit(ctx context.Context, e store.AuditEntry) error
}

// Roles. Every route names the roles it allows; the check is server-side.
const (
	RoleAdmin   = "admin"
	RoleAdvisor = "advisor"
	RoleViewer  = "viewer"
)

// ValidRole reports whether r is a known role.
func ValidRole(r string) bool { return r == RoleAdmin || r == RoleAdvisor || r == RoleViewer }

const (
	ctxSession   = "cis.session"
	ctxTokenHash = "cis.token"
	csrfField    = "_csrf"
	csrfHeader   = "X-CSRF-Token"
)

// cookieName is __Host-cis_session behind TLS (no Domain, Path=/, Secure),
// plain cis_session on a plain-HTTP deployment (localhost, the demo).
func (s *Server) cookieName() string {
	if s.secure {
		return "__Host-cis_session"
	}
	return "cis_session"
}

func (s *Server) setSessionCookie(c echo.Context, token string, maxAge int) {
	// #nosec G124 -- Secure follows the configured public scheme (false only on plain-HTTP localhost/demo)
	c.SetCookie(&http.Cookie{Name: s.cookieName(), Value: token, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// newToken returns 32 bytes from crypto/rand, base64url (256 bits, ASVS 7.2.3).
func newToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on a working system
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(t string) string {
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

func sessionOf(c echo.Context) *store.Session {
	s, _ := c.Get(ctxSession).(*store.Session)
	return s
}

// requireSession loads the server-side session named by the cookie; none,
// expired or deactivated → 401 (the error handler redirects pages to /login).
func (s *Server) requireSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		ck, err := c.Cookie(s.cookieName())
		if err != nil || ck.Value == "" || len(ck.Value) > 100 {
			return echo.ErrUnauthorized
		}
		h := hashToken(ck.Value)
		ctx := c.Request().Context()
		sess, err := s.users.SessionByHash(ctx, h)
		if errors.Is(err, store.ErrNotFound) {
			return echo.ErrUnauthorized
		}
		if err != nil {
			return err
		}
		now := s.now()
		if !sess.User.Active || now.Sub(sess.LastSeenAt) > sessionIdle || now.Sub(sess.CreatedAt) > sessionAbsolute {
			_ = s.users.DeleteSession(ctx, h)
			return echo.ErrUnauthorized
		}
		if now.Sub(sess.LastSeenAt) > time.Minute { // one write a minute, not one per request
			if err := s.users.TouchSession(ctx, h); err != nil {
				return err
			}
		}
		c.Set(ctxSession, &sess)
		c.Set(ctxTokenHash, h)
		return next(c)
	}
}

// allow refuses (403) a session whose role is not listed, and logs it.
func (s *Server) allow(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			sess := sessionOf(c)
			if sess == nil {
				return echo.ErrUnauthorized
			}
			if !slices.Contains(roles, sess.User.Role) {
				s.audit(c, "forbidden", c.Request().Method+" "+c.Path(), "")
				return echo.ErrForbidden
			}
			return next(c)
		}
	}
}

func unsafeMethod(m string) bool {
	return m != http.MethodGet && m != http.MethodHead && m != http.MethodOptions
}

// csrf checks, on every state-changing request, the session's token (the
// X-CSRF-Token header or the body's _csrf field, never the query string;
// compared in constant time) and that the browser did not
// flag the request as cross-site (ASVS 3.5.1).
func (s *Server) csrf(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !unsafeMethod(c.Request().Method) {
			return next(c)
		}
		if crossSite(c.Request()) {
			return echo.ErrForbidden
		}
		sess := sessionOf(c)
		got := c.Request().Header.Get(csrfHeader)
		if got == "" {
			// The body only: a token in the URL would end up in logs,
			// history and Referer headers (PostFormValue ignores the query).
			got = c.Request().PostFormValue(csrfField)
		}
		if sess == nil || got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(sess.CSRFToken)) != 1 {
			return echo.ErrForbidden
		}
		return next(c)
	}
}

// sameOrigin guards the public POSTs (login, web chat), which have no session
// token yet: a request the browser marks cross-site, or whose Origin is
// another host, is refused.
func (s *Server) sameOrigin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if crossSite(c.Request()) {
			return echo.ErrForbidden
		}
		return next(c)
	}
}

func crossSite(r *http.Request) bool {
	// Browsers send Sec-Fetch-Site on every request; it is the reliable signal.
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "cross-site", "same-site":
		return true
	}
	// Older browsers and scripts: compare Origin, when sent, with the host.
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		return o == "null" || err != nil || !strings.EqualFold(u.Host, r.Host)
	}
	return false
}

// audit records a sensitive action; a failure is logged, not shown.
func (s *Server) audit(c echo.Context, action, object, detail string) {
	var uid int64
	if sess := sessionOf(c); sess != nil {
		uid = sess.User.ID
	}
	s.auditAs(c, uid, action, object, detail)
}

// auditAs records an action done on behalf of user uid (an API token acts
// for the admin who created it).
func (s *Server) auditAs(c echo.Context, uid int64, action, object, detail string) {
	e := store.AuditEntry{UserID: uid, Action: action, Object: object, IP: c.RealIP(), Detail: detail, At: s.now()}
	if err := s.users.Audit(c.Request().Context(), e); err != nil {
		s.log.Error("audit write failed", "action", action, "err", err)
	}
	s.log.Info("audit", "action", action, "user_id", uid, "object", object)
}

// throttle counts failures per key in a sliding window. Throttling is
// temporary (a window), never a lockout, so an attacker cannot lock a user
// out for long; the per-IP limit is stricter than the per-account one.
type throttle struct {
	mu   sync.Mutex
	now  func() time.Time
	hits map[string][]time.Time
}

func newThrottle(now func() time.Time) *throttle {
	return &throttle{now: now, hits: map[string][]time.Time{}}
}

// blocked reports whether key reached limit within window.
func (t *throttle) blocked(key string, limit int, window time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.prune(key, window)) >= limit
}

// add records one hit for key.
func (t *throttle) add(key string, window time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.hits[key] = append(t.prune(key, window), t.now())
	if len(t.hits) > 100_000 { // bound memory under a flood: forget the oldest keys wholesale
		t.hits = map[string][]time.Time{key: t.hits[key]}
	}
}

func (t *throttle) reset(key string) {
	t.mu.Lock()
	delete(t.hits, key)
	t.mu.Unlock()
}

func (t *throttle) prune(key string, window time.Duration) []time.Time {
	h := t.hits[key]
	cut := t.now().Add(-window)
	i := 0
	for i < len(h) && !h[i].After(cut) {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(t.hits, key)
	} else {
		t.hits[key] = h
	}
	return h
}

// hashSlots bounds the argon2id verifications running at once (19 MiB
// each): 40 concurrent guesses once took 600 MB; now they wait their turn.
const hashSlots = 4

// verify checks a password against its hash, at most hashSlots at a time;
// a request that gives up while waiting counts as a failure.
func (s *Server) verify(c echo.Context, hash, password string) bool {
	select {
	case s.hashSem <- struct{}{}:
	case <-c.Request().Context().Done():
		return false
	}
	defer func() { <-s.hashSem }()
	n := s.hashing.Add(1)
	defer s.hashing.Add(-1)
	for p := s.hashPeak.Load(); n > p && !s.hashPeak.CompareAndSwap(p, n); p = s.hashPeak.Load() {
	}
	return VerifyPassword(hash, password)
}

// Login throttling limits (documented in the README).
const (
	loginWindow    = 15 * time.Minute
	loginIPLimit   = 20 // failures per client IP per window
	loginUserLimit = 10 // failures per account per window
	maxUsernameLen = 64
)

func (s *Server) loginForm(c echo.Context) error {
	// A visitor who is already logged in goes home; a stale cookie stays on the form.
	if ck, err := c.Cookie(s.cookieName()); err == nil && len(ck.Value) <= 100 {
		if _, err := s.users.SessionByHash(c.Request().Context(), hashToken(ck.Value)); err == nil {
			return c.Redirect(http.StatusSeeOther, "/")
		}
	}
	return s.renderLogin(c, http.StatusOK, "")
}

func (s *Server) renderLogin(c echo.Context, code int, errKey string) error {
	lang := langOf(c)
	n, err := s.users.CountUsers(c.Request().Context())
	if err != nil {
		return err
	}
	p := loginPage{page: s.basePage(c, lang), NoUsers: n == 0, Demo: s.demo}
	if errKey != "" {
		p.Error = T(lang, errKey)
	}
	return c.Render(code, "login", p)
}

func (s *Server) login(c echo.Context) error {
	ctx := c.Request().Context()
	ip := c.RealIP()
	username := strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password") // exactly as typed (ASVS 6.2.8)
	if len(username) > maxUsernameLen || len(password) > 4*MaxPasswordRunes {
		return s.renderLogin(c, http.StatusBadRequest, "login.failed")
	}
	ipKey, userKey := "ip:"+ip, "user:"+strings.ToLower(username)
	if s.throttle.blocked(ipKey, loginIPLimit, loginWindow) || s.throttle.blocked(userKey, loginUserLimit, loginWindow) {
		s.audit(c, "login_throttled", "", "")
		return s.renderLogin(c, http.StatusTooManyRequests, "login.throttled")
	}
	u, err := s.users.UserByName(ctx, username)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	hash := dummyHash // same work for an unknown user (ASVS 6.3.8)
	if found {
		hash = u.PasswordHash
	}
	ok := s.verify(c, hash, password) && found && u.Active
	if !ok {
		s.throttle.add(ipKey, loginWindow)
		s.throttle.add(userKey, loginWindow)
		var uid int64
		if found {
			uid = u.ID
		}
		_ = s.users.Audit(ctx, store.AuditEntry{UserID: uid, Action: "login_failed", IP: ip, At: s.now()})
		s.log.Info("audit", "action", "login_failed", "user_id", uid)
		return s.renderLogin(c, http.StatusUnauthorized, "login.failed")
	}
	s.throttle.reset(userKey)
	// A fresh session at every login (ASVS 7.2.4); an old cookie's session ends.
	if old, err := c.Cookie(s.cookieName()); err == nil {
		_ = s.users.DeleteSession(ctx, hashToken(old.Value))
	}
	token := newToken()
	if err := s.users.CreateSession(ctx, hashToken(token), u.ID, newToken()); err != nil {
		return err
	}
	s.setSessionCookie(c, token, int(sessionAbsolute.Seconds()))
	_ = s.users.Audit(ctx, store.AuditEntry{UserID: u.ID, Action: "login", IP: ip, At: s.now()})
	s.log.Info("audit", "action", "login", "user_id", u.ID)
	return c.Redirect(http.StatusSeeOther, "/")
}

func (s *Server) logout(c echo.Context) error {
	h, _ := c.Get(ctxTokenHash).(string)
	if err := s.users.DeleteSession(c.Request().Context(), h); err != nil {
		return err
	}
	s.audit(c, "logout", "", "")
	s.setSessionCookie(c, "", -1)
	return c.Redirect(http.StatusSeeOther, "/login")
}

func (s *Server) passwordForm(c echo.Context) error {
	lang := langOf(c)
	return c.Render(http.StatusOK, "password", passwordPage{page: s.basePage(c, lang)})
}

func (s *Server) changePassword(c echo.Context) error {
	lang := langOf(c)
	sess := sessionOf(c)
	p := passwordPage{page: s.basePage(c, lang)}
	current, next := c.FormValue("current"), c.FormValue("new")
	if len(current) > 4*MaxPasswordRunes || len(next) > 4*MaxPasswordRunes {
		p.Error = T(lang, "password.long")
		return c.Render(http.StatusBadRequest, "password", p)
	}
	// Guessing the current password here is a login attempt by another
	// door: the same windows per client IP and per account.
	ipKey, userKey := "pw-ip:"+c.RealIP(), "pw-user:"+strconv.FormatInt(sess.User.ID, 10)
	if s.throttle.blocked(ipKey, loginIPLimit, loginWindow) || s.throttle.blocked(userKey, loginUserLimit, loginWindow) {
		s.audit(c, "password_change_throttled", "", "")
		p.Error = T(lang, "login.throttled")
		return c.Render(http.StatusTooManyRequests, "password", p)
	}
	if !s.verify(c, sess.User.PasswordHash, current) {
		s.throttle.add(ipKey, loginWindow)
		s.throttle.add(userKey, loginWindow)
		s.audit(c, "password_change_failed", "", "")
		p.Error = T(lang, "password.wrong_current")
		return c.Render(http.StatusBadRequest, "password", p)
	}
	s.throttle.reset(userKey)
	if next != c.FormValue("confirm") {
		p.Error = T(lang, "password.mismatch")
		return c.Render(http.StatusBadRequest, "password", p)
	}
	if err := CheckPassword(sess.User.Username, next); err != nil {
		p.Error = T(lang, policyKey(err))
		return c.Render(http.StatusBadRequest, "password", p)
	}
	hash, err := HashPassword(next)
	if err != nil {
		return err
	}
	keep, _ := c.Get(ctxTokenHash).(string)
	if err := s.users.SetPassword(c.Request().Context(), sess.User.ID, hash, keep); err != nil {
		return err
	}
	s.audit(c, "password_changed", "", "")
	p.Done = true
	return c.Render(http.StatusOK, "password", p)
}

func policyKey(err error) string {
	switch {
	case errors.Is(err, ErrPasswordShort):
		return "password.short"
	case errors.Is(err, ErrPasswordLong):
		return "password.long"
	}
	return "password.common"
}
