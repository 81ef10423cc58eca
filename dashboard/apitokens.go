package dashboard

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// The admins' API tokens page: one token per integration, shown once when
// created, stored as its SHA-256 (store.APIToken), revocable at once.

func (s *Server) tokenRoutes() {
	s.route(http.MethodGet, "/admin/tokens", s.tokensPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/tokens", s.createToken, RoleAdmin)
	s.route(http.MethodPost, "/admin/tokens/:id/revoke", s.revokeToken, RoleAdmin)
}

type tokensPage struct {
	page
	Tokens []store.APIToken
	// Shown is the token this request created, shown once: only its hash
	// is stored, so a lost token is revoked and replaced, never looked up.
	Shown    string
	ShownFor string
	Flash    string
	Error    string
	Form     struct{ Name, Scope string }
	APIBase  string // where the API and its OpenAPI document are
}

// apiTokenPrefix marks the product's tokens, so a leaked one is recognised
// (secret scanners, logs) and told apart from a session or metrics token.
const apiTokenPrefix = "cis_"

// newAPIToken returns a token with 256 random bits.
func newAPIToken() string { return apiTokenPrefix + newToken() }

func (s *Server) tokensPage(c echo.Context) error {
	p := tokensPage{}
	if c.QueryParam("done") == "revoked" {
		p.Flash = T(langOf(c), "tokens.done_revoked")
	}
	return s.renderTokens(c, http.StatusOK, p)
}

func (s *Server) renderTokens(c echo.Context, code int, p tokensPage) error {
	lang := langOf(c)
	p.page = s.basePage(c, lang)
	p.Title = T(lang, "tokens.title")
	p.APIBase = apiPrefix
	tokens, err := s.tokens.APITokens(c.Request().Context())
	if err != nil {
		return err
	}
	p.Tokens = tokens
	if p.Form.Scope == "" {
		p.Form.Scope = ScopeRead
	}
	return c.Render(code, "tokens", p)
}

// createToken makes a token for one integration and shows it once.
func (s *Server) createToken(c echo.Context) error {
	p := tokensPage{}
	p.Form.Name, p.Form.Scope = strings.TrimSpace(c.FormValue("name")), c.FormValue("scope")
	if p.Form.Name == "" || len([]rune(p.Form.Name)) > 80 || (p.Form.Scope != ScopeRead && p.Form.Scope != ScopeWrite) {
		p.Error = T(langOf(c), "tokens.invalid")
		return s.renderTokens(c, http.StatusUnprocessableEntity, p)
	}
	tok := newAPIToken()
	t, err := s.tokens.CreateAPIToken(c.Request().Context(), p.Form.Name, p.Form.Scope, hashToken(tok), tok[:len(apiTokenPrefix)+6],
		sessionOf(c).User.ID)
	if err != nil {
		return err
	}
	s.audit(c, "api_token_created", "api_token:"+strconv.FormatInt(t.ID, 10), t.Scope)
	p.Shown, p.ShownFor, p.Form.Name, p.Form.Scope = tok, t.Name, "", ""
	return s.renderTokens(c, http.StatusOK, p)
}

func (s *Server) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	err = s.tokens.RevokeAPIToken(c.Request().Context(), id, sessionOf(c).User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	s.audit(c, "api_token_revoked", "api_token:"+strconv.FormatInt(id, 10), "")
	return c.Redirect(http.StatusSeeOther, "/admin/tokens?done=revoked")
}
