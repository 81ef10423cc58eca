package dashboard

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// webhookStore is what the admins' webhooks page needs. The store audits
// every change in the change's own commit.
type webhookStore interface {
	Webhooks(ctx context.Context) ([]store.WebhookDestination, error)
	CreateWebhook(ctx context.Context, w store.NewWebhook, user int64) (int64, string, error)
	SetWebhookEnabled(ctx context.Context, id int64, enabled bool, user int64) error
	DeleteWebhook(ctx context.Context, id int64, user int64) error
	SendWebhookTest(ctx context.Context, id, user int64) error
	RetryFailedWebhooks(ctx context.Context, id, user int64) (int, error)
}

func (s *Server) webhookRoutes() {
	s.route(http.MethodGet, "/admin/webhooks", s.webhooksPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks", s.addWebhook, RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks/:id/disable", s.setWebhookEnabled(false), RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks/:id/enable", s.setWebhookEnabled(true), RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks/:id/delete", s.deleteWebhook, RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks/:id/test", s.testWebhook, RoleAdmin)
	s.route(http.MethodPost, "/admin/webhooks/:id/retry", s.retryWebhook, RoleAdmin)
}

type eventChoice struct {
	Name    string
	Checked bool
}

type webhooksPage struct {
	page
	Destinations []store.WebhookDestination
	Choices      []eventChoice // every event a destination can take, checked as in the form
	// Secret is the signing secret of the destination this request created,
	// shown once: the page never shows it again.
	Secret    string
	SecretFor string
	Flash     string
	Error     string
	Form      struct {
		Name, URL string
		Events    []string
	}
}

func (s *Server) webhooksPage(c echo.Context) error {
	p := webhooksPage{}
	switch done := c.QueryParam("done"); done {
	case "enabled", "disabled", "deleted", "tested", "retried":
		p.Flash = T(langOf(c), "webhooks.done_"+done)
	}
	p.Form.Events = store.WebhookEvents()
	return s.renderWebhooks(c, http.StatusOK, p)
}

func (s *Server) renderWebhooks(c echo.Context, code int, p webhooksPage) error {
	lang := langOf(c)
	p.page = s.basePage(c, lang)
	p.Title = T(lang, "webhooks.title")
	for _, e := range store.WebhookEvents() {
		p.Choices = append(p.Choices, eventChoice{Name: e, Checked: slices.Contains(p.Form.Events, e)})
	}
	ds, err := s.hooks.Webhooks(c.Request().Context())
	if err != nil {
		return err
	}
	p.Destinations = ds
	return c.Render(code, "webhooks", p)
}

// addWebhook registers a destination and shows its secret once.
func (s *Server) addWebhook(c echo.Context) error {
	lang := langOf(c)
	form, err := c.FormParams()
	if err != nil {
		return echo.ErrBadRequest
	}
	p := webhooksPage{}
	p.Form.Name, p.Form.URL = strings.TrimSpace(form.Get("name")), strings.TrimSpace(form.Get("url"))
	for _, e := range form["events"] {
		if slices.Contains(store.WebhookEvents(), e) && !slices.Contains(p.Form.Events, e) {
			p.Form.Events = append(p.Form.Events, e)
		}
	}
	if len(p.Form.Name) > 100 {
		p.Form.Name = p.Form.Name[:100]
	}
	w := store.NewWebhook{Name: p.Form.Name, URL: p.Form.URL, Events: p.Form.Events, Secret: strings.TrimSpace(form.Get("secret"))}
	_, secret, err := s.hooks.CreateWebhook(c.Request().Context(), w, sessionOf(c).User.ID)
	if errors.Is(err, store.ErrBadWebhook) {
		p.Error = T(lang, webhookErrorKey(w))
		return s.renderWebhooks(c, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	p.Secret, p.SecretFor = secret, cmp.Or(p.Form.Name, p.Form.URL)
	p.Form.Name, p.Form.URL, p.Form.Events = "", "", store.WebhookEvents()
	return s.renderWebhooks(c, http.StatusOK, p)
}

// webhookErrorKey names what is wrong with w in the admin's words.
func webhookErrorKey(w store.NewWebhook) string {
	switch {
	case store.CheckWebhookURL(w.URL) != nil:
		return "webhooks.bad_url"
	case len(w.Events) == 0:
		return "webhooks.no_events"
	}
	return "webhooks.bad_secret"
}

func webhookID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

func (s *Server) setWebhookEnabled(enabled bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := webhookID(c)
		if err != nil {
			return err
		}
		err = s.hooks.SetWebhookEnabled(c.Request().Context(), id, enabled, sessionOf(c).User.ID)
		if errors.Is(err, store.ErrNotFound) {
			return echo.ErrNotFound
		}
		if err != nil {
			return err
		}
		done := "disabled"
		if enabled {
			done = "enabled"
		}
		return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done="+done)
	}
}

func (s *Server) deleteWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	err = s.hooks.DeleteWebhook(c.Request().Context(), id, sessionOf(c).User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=deleted")
}

// testWebhook queues a test event for the destination; the page shows how
// it went within seconds (last status).
func (s *Server) testWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	err = s.hooks.SendWebhookTest(c.Request().Context(), id, sessionOf(c).User.ID)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=tested")
}

// retryWebhook sends the destination's given-up events again (after the
// admin fixed the receiver).
func (s *Server) retryWebhook(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if _, err := s.hooks.RetryFailedWebhooks(c.Request().Context(), id, sessionOf(c).User.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/webhooks?done=retried")
}
