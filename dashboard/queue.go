package dashboard

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

type queueRow struct {
	store.QueueRow
	Overdue bool
	WA      string
	Value   int64 // expected revenue, 0 when unknown
}

// value is a lead's expected revenue (Deps.LeadValue), 0 when not priced.
func (s *Server) value(r store.QueueRow) int64 {
	if s.leadValue == nil || r.Class == "" {
		return 0
	}
	return s.leadValue(r.Probability, r.Service, r.Budget)
}

type queuePage struct {
	page
	Rows     []queueRow
	Filter   queueFilter
	Sources  []string
	Advisors []store.User
	Version  string
	Now      time.Time
	Scoring  string // which scorer classifies new leads, in the page's language
}

// queueFilter is the filter as typed in the form (strings, echoed back).
type queueFilter struct {
	Status, Class, Advisor, Campaign, Since, Until, Q string
}

func (s *Server) parseFilter(c echo.Context) (queueFilter, store.LeadFilter) {
	qf := queueFilter{Status: c.QueryParam("status"), Class: c.QueryParam("class"), Advisor: c.QueryParam("advisor"),
		Campaign: c.QueryParam("campaign"), Since: c.QueryParam("since"), Until: c.QueryParam("until"), Q: c.QueryParam("q")}
	f := store.LeadFilter{Source: qf.Campaign}
	switch qf.Status {
	case "open", "contacted", "won", "lost", "all":
		f.Status = qf.Status
	default:
		qf.Status = "open"
	}
	switch qf.Class {
	case "hot", "warm", "cold":
		f.Class = qf.Class
	default:
		qf.Class = ""
	}
	switch qf.Advisor {
	case "none":
		f.AdvisorID = -1
	case "me":
		if sess := sessionOf(c); sess != nil {
			f.AdvisorID = sess.User.ID
		}
	default:
		if id, err := strconv.ParseInt(qf.Advisor, 10, 64); err == nil && id > 0 {
			f.AdvisorID = id
		} else {
			qf.Advisor = ""
		}
	}
	if t, err := time.ParseInLocation("2006-01-02", qf.Since, bogota); err == nil {
		f.Since = t
	}
	if t, err := time.ParseInLocation("2006-01-02", qf.Until, bogota); err == nil {
		f.Until = t.AddDate(0, 0, 1)
	}
	if len([]rune(qf.Q)) > 100 {
		qf.Q = string([]rune(qf.Q)[:100])
	}
	f.Search = qf.Q
	return qf, f
}

func (s *Server) queuePage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	qf, f := s.parseFilter(c)
	version, err := s.store.QueueVersion(ctx)
	if err != nil {
		return err
	}
	rows, err := s.store.Queue(ctx, f)
	if err != nil {
		return err
	}
	sources, err := s.store.Sources(ctx)
	if err != nil {
		return err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	p := queuePage{page: s.basePage(c, lang), Filter: qf, Sources: sources, Version: version, Now: now}
	p.Title = T(lang, "queue.title")
	p.Scoring = s.scoringText(lang)
	for _, u := range users {
		if u.Active && u.Role != RoleViewer {
			p.Advisors = append(p.Advisors, u)
		}
	}
	p.Rows = make([]queueRow, len(rows))
	for i, r := range rows {
		p.Rows[i] = queueRow{QueueRow: r, Overdue: r.Status == "open" && r.DeadlineAt.Before(now), WA: waLink(r.Phone), Value: s.value(r)}
	}
	return c.Render(http.StatusOK, "queue", p)
}

// queueVersion lets the page poll cheaply: it reloads the list only when this changes.
func (s *Server) queueVersion(c echo.Context) error {
	v, err := s.store.QueueVersion(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"version": v})
}

type leadPage struct {
	page
	L        store.LeadDetail
	Overdue  bool
	WA       string
	Advisors []store.User
	Error    string
	Value    int64 // expected revenue, 0 when unknown
}

func leadID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, echo.ErrNotFound
	}
	return id, nil
}

func (s *Server) leadPage(c echo.Context) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	d, err := s.store.Lead(ctx, id)
	if err != nil {
		return err
	}
	// Viewing a person's data is a sensitive action (audit: who saw whom).
	s.audit(c, "lead_viewed", "lead:"+strconv.FormatInt(id, 10), "")
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	lang := langOf(c)
	p := leadPage{page: s.basePage(c, lang), L: d, WA: waLink(d.Phone),
		Overdue: d.Status == "open" && d.DeadlineAt.Before(s.now()), Value: s.value(d.QueueRow)}
	p.Title = T(lang, "lead.title") + " #" + strconv.FormatInt(id, 10)
	for _, u := range users {
		if u.Active && u.Role != RoleViewer {
			p.Advisors = append(p.Advisors, u)
		}
	}
	return c.Render(http.StatusOK, "lead", p)
}

// act applies one action and sends the browser back where it came from
// (the queue or the lead page); scripts get 204.
func (s *Server) act(c echo.Context, a store.LeadAction) error {
	id, err := leadID(c)
	if err != nil {
		return err
	}
	a.ByUser = sessionOf(c).User.ID
	if err := s.store.ActOnLead(c.Request().Context(), id, a); err != nil {
		return err
	}
	s.audit(c, "lead_"+a.Kind, "lead:"+strconv.FormatInt(id, 10), "")
	if c.Request().Header.Get(csrfHeader) != "" {
		return c.NoContent(http.StatusNoContent)
	}
	back := "/leads/" + strconv.FormatInt(id, 10)
	if c.FormValue("back") == "queue" {
		back = "/"
	}
	return c.Redirect(http.StatusSeeOther, back)
}

func (s *Server) takeLead(c echo.Context) error {
	return s.act(c, store.LeadAction{Kind: "assign", AssignTo: sessionOf(c).User.ID})
}

func (s *Server) assignLead(c echo.Context) error {
	to, err := strconv.ParseInt(c.FormValue("advisor"), 10, 64)
	if err != nil || to < 0 {
		return echo.ErrBadRequest
	}
	if to > 0 {
		u, err := s.store.UserByID(c.Request().Context(), to)
		if err != nil || !u.Active || u.Role == RoleViewer {
			return echo.ErrBadRequest
		}
	}
	return s.act(c, store.LeadAction{Kind: "assign", AssignTo: to})
}

func (s *Server) markContacted(c echo.Context) error {
	return s.act(c, store.LeadAction{Kind: "contacted"})
}

func (s *Server) markWon(c echo.Context) error {
	v, err := parsePesos(c.FormValue("value"))
	if err != nil {
		return echo.ErrBadRequest
	}
	// The won lead becomes a customer paying fee a month (the value when no fee is given).
	var fee int64
	if f := strings.TrimSpace(c.FormValue("fee")); f != "" {
		if fee, err = parsePesos(f); err != nil {
			return echo.ErrBadRequest
		}
	}
	return s.act(c, store.LeadAction{Kind: "won", ValueCOP: v, FeeCOP: fee})
}

func (s *Server) markLost(c echo.Context) error {
	reason := strings.TrimSpace(c.FormValue("reason"))
	if reason == "" || len([]rune(reason)) > 500 {
		return echo.ErrBadRequest
	}
	return s.act(c, store.LeadAction{Kind: "lost", Detail: reason})
}

func (s *Server) addNote(c echo.Context) error {
	note := strings.TrimSpace(c.FormValue("note"))
	if note == "" || len([]rune(note)) > 2000 {
		return echo.ErrBadRequest
	}
	return s.act(c, store.LeadAction{Kind: "note", Detail: note})
}

// parsePesos reads an amount typed as 2500000, 2.500.000 or $2.500.000.
func parsePesos(s string) (int64, error) {
	s = strings.NewReplacer("$", "", ".", "", ",", "", " ", "", "'", "").Replace(strings.TrimSpace(s))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v > 1e13 {
		return 0, echo.ErrBadRequest
	}
	return v, nil
}

// scoringText tells advisors whether a trained model or, until there is
// enough labelled history, the transparent rules classify new leads.
func (s *Server) scoringText(lang string) string {
	if s.model == nil || s.model() == "" || s.model() == "rules" {
		return T(lang, "queue.scoring_rules")
	}
	return T(lang, "queue.scoring_model") + " " + s.model()
}
