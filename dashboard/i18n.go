package dashboard

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow/messages"
)

// langOf picks the page language: ?lang= (remembered in a cookie), then the
// cookie, then Spanish.
func langOf(c echo.Context) string {
	if l := c.QueryParam("lang"); l == "es" || l == "en" {
		secure := c.Request().TLS != nil || c.Scheme() == "https"
		// #nosec G124 -- a language choice, no secret; Secure whenever the request came over TLS
		c.SetCookie(&http.Cookie{Name: "cis_lang", Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode})
		return l
	}
	if ck, err := c.Cookie("cis_lang"); err == nil && (ck.Value == "es" || ck.Value == "en") {
		return ck.Value
	}
	return "es"
}

// T returns the catalogue text for key in lang, falling back to Spanish and
// then to the key itself (flow/messages' tests check every key has both
// languages and every key the dashboard asks for exists).
func T(lang, key string) string { return texts.Text(lang, key) }

// The product's message catalogue, and the dashboard's part of it: its
// dash.* keys, read without the prefix.
var (
	catalogue = messages.Default()
	texts     = catalogue.Area("dash")
)
