package dashboard

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow/templates"
	"github.com/cis-agencia/cis/store"
)

// Following a lead up with a template (issue 18): once the person's 24-hour
// WhatsApp window has closed, the lead page offers the catalogue's
// follow_up templates, filled in with the lead's data and the advisor's
// name; the chosen one is queued through the outbox (store.FollowUpLead),
// leaves inside the Ley 2300 hours and is on the lead's timeline.

// followUpStore is what a follow-up needs.
type followUpStore interface {
	FollowUpLead(ctx context.Context, id, user int64, t store.TemplateSend, preview string) (int64, error)
}

// followUpOption is one template the lead page offers, filled in.
type followUpOption struct {
	Key     string // name/language: the form's value
	Name    string
	Preview string
	send    store.TemplateSend
}

// followUps returns the follow_up templates that can be filled in for d by
// advisor, those in lang first; none when the window is open or the person
// may not be written to.
func (s *Server) followUps(lang string, d store.LeadDetail, advisor string) []followUpOption {
	r := d.Reach
	if d.Channel != "cloudapi" || r.Open || r.OptedOut || r.LastInbound.IsZero() || d.Erased {
		return nil
	}
	values := templates.Values{templates.ParamName: d.Name, templates.ParamAdvisor: advisor,
		templates.ParamService: s.services.Label(d.Service, lang), templates.ParamCity: d.City}
	var out []followUpOption
	for _, t := range s.templates.For(templates.UseFollowUp, lang) {
		params, preview, err := t.Fill(values)
		if err != nil {
			continue // a value the lead lacks: this template cannot be sent to them
		}
		out = append(out, followUpOption{Key: t.Name + "/" + t.Language, Name: t.Name, Preview: preview,
			send: store.TemplateSend{Name: t.Name, Language: t.Language, Category: t.Category, Params: params}})
	}
	return out
}

// followUpLead queues the chosen template to the lead's person.
func (s *Server) followUpLead(c echo.Context) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	if err := s.workable(c, id); err != nil {
		return err
	}
	d, _, err := s.loadLead(c, id)
	if err != nil {
		return err
	}
	user := sessionOf(c).User
	var chosen *followUpOption
	for _, o := range s.followUps(langOf(c), d, user.Username) {
		if o.Key == strings.TrimSpace(c.FormValue("template")) {
			chosen = &o
		}
	}
	if chosen == nil {
		return echo.NewHTTPError(http.StatusConflict) // unknown template, or the window reopened meanwhile
	}
	_, err = s.followUpsStore.FollowUpLead(c.Request().Context(), id, user.ID, chosen.send, chosen.Preview)
	switch {
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrSuppressed):
		return echo.NewHTTPError(http.StatusConflict, T(langOf(c), "reach.follow_up_refused"))
	case err != nil:
		return err
	}
	s.audit(c, "lead_follow_up", "lead:"+strconv.FormatInt(id, 10), chosen.Name)
	if c.Request().Header.Get(csrfHeader) != "" {
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, "/leads/"+strconv.FormatInt(id, 10)+"#reach")
}
