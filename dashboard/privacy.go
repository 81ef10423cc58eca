package dashboard

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/store"
)

// privacyStore is what the data-rights back office ("Solicitudes de datos") needs. The store
// audits exports, deletions and request changes itself, in the same transaction (S-3).
type privacyStore interface {
	DataRequests(ctx context.Context, all bool, limit int) ([]store.DataRequest, error)
	DataRequest(ctx context.Context, id int64) (store.DataRequest, error)
	RecordDataRequest(ctx context.Context, phone, kind, channel string, received time.Time, user int64) (int64, error)
	ResolveDataRequest(ctx context.Context, id int64, status, resolution string, user int64) error
	ExtendDataRequest(ctx context.Context, id int64, note string, user int64) error
	ExportByPhone(ctx context.Context, phone string, user int64) (*store.Export, error)
	EraseByPhone(ctx context.Context, phone, reason, channel string, user int64) (store.Erasure, error)
	Exclusions(ctx context.Context, limit int) ([]store.Exclusion, error)
	AddExclusions(ctx context.Context, phones []string, source string, user int64) (int, error)
	RemoveExclusion(ctx context.Context, phone string, user int64) (bool, error)
	RecordIncident(ctx context.Context, detected time.Time, description string, user int64) (int64, error)
	Incidents(ctx context.Context, limit int) ([]store.Incident, error)
	MarkIncidentReported(ctx context.Context, id, user int64) error
	RetentionErasures(ctx context.Context) (int, time.Time, error)
}

func (s *Server) privacyRoutes() {
	s.route(http.MethodGet, "/admin/privacy", s.privacyPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests", s.privacyRecord, RoleAdmin)
	s.route(http.MethodGet, "/admin/privacy/requests/:id/export", s.privacyExport, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/resolve", s.privacyResolve, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/extend", s.privacyExtend, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/requests/:id/delete", s.privacyDelete, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/exclusions", s.privacyExclude, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/exclusions/remove", s.privacyUnexclude, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/incidents", s.privacyIncident, RoleAdmin)
	s.route(http.MethodPost, "/admin/privacy/incidents/:id/reported", s.privacyIncidentReported, RoleAdmin)
}

type privacyRow struct {
	store.DataRequest
	Who     string // masked phone, or "erased"
	Warning string // overdue, due_soon, ""
}

type incidentRow struct {
	store.Incident
	Warning string
}

type privacyPageData struct {
	page
	All        bool
	Rows       []privacyRow
	Overdue    int
	DueSoon    int
	Exclusions []store.Exclusion
	Incidents  []incidentRow
	Flash      string
	Error      string
	// Retention: people erased by the retention periods; not requests, so
	// not in the list, but counted here.
	Retention     int
	RetentionLast time.Time
}

func (s *Server) privacyPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p := privacyPageData{page: s.basePage(c, lang), All: c.QueryParam("all") == "1"}
	p.Title = T(lang, "privacy.title")
	if k := c.QueryParam("done"); k != "" {
		p.Flash = T(lang, "privacy.done."+k)
	}
	if k := c.QueryParam("err"); k != "" {
		p.Error = T(lang, "privacy.err."+k)
	}
	rs, err := s.privacy.DataRequests(ctx, p.All, 500)
	if err != nil {
		return err
	}
	now := s.now()
	for _, r := range rs {
		row := privacyRow{DataRequest: r, Who: store.PhoneHint(r.Phone), Warning: r.Warning(now)}
		if r.Erased() {
			row.Who = T(lang, "privacy.erased")
		}
		switch row.Warning {
		case "overdue":
			p.Overdue++
		case "due_soon":
			p.DueSoon++
		}
		p.Rows = append(p.Rows, row)
	}
	if p.Retention, p.RetentionLast, err = s.privacy.RetentionErasures(ctx); err != nil {
		return err
	}
	if p.Exclusions, err = s.privacy.Exclusions(ctx, 200); err != nil {
		return err
	}
	incidents, err := s.privacy.Incidents(ctx, 100)
	if err != nil {
		return err
	}
	for _, i := range incidents {
		row := incidentRow{Incident: i, Warning: i.Warning(now)}
		if row.Warning == "overdue" {
			p.Overdue++
		} else if row.Warning == "due_soon" {
			p.DueSoon++
		}
		p.Incidents = append(p.Incidents, row)
	}
	s.audit(c, "privacy_viewed", "", "")
	return c.Render(http.StatusOK, "privacy", p)
}

func (s *Server) userID(c echo.Context) int64 {
	if sess := sessionOf(c); sess != nil {
		return sess.User.ID
	}
	return 0
}

func (s *Server) privacyBack(c echo.Context, key string, err error) error {
	if err != nil {
		return c.Redirect(http.StatusSeeOther, "/admin/privacy?err="+key)
	}
	return c.Redirect(http.StatusSeeOther, "/admin/privacy?done="+key)
}

// privacyRecord records a request that arrived in writing (letter, e-mail), with its legal term.
func (s *Server) privacyRecord(c echo.Context) error {
	phone, kind := strings.TrimSpace(c.FormValue("phone")), c.FormValue("kind")
	if phone == "" {
		return s.privacyBack(c, "phone", errors.New("no phone"))
	}
	_, err := s.privacy.RecordDataRequest(c.Request().Context(), phone, kind, "admin", s.now(), s.userID(c))
	if err != nil {
		s.log.Warn("data request not recorded", "err", err)
	}
	return s.privacyBack(c, "recorded", err)
}

// request loads the :id request, or answers 404.
func (s *Server) request(c echo.Context) (store.DataRequest, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return store.DataRequest{}, echo.ErrNotFound
	}
	r, err := s.privacy.DataRequest(c.Request().Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return r, echo.ErrNotFound
	}
	return r, err
}

// privacyExport downloads everything stored about the request's holder, audited by the store.
func (s *Server) privacyExport(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	if r.Phone == "" {
		return echo.NewHTTPError(http.StatusGone, "the person was erased")
	}
	x, err := s.privacy.ExportByPhone(c.Request().Context(), r.Phone, s.userID(c))
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	b, err := x.JSON()
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="datos-solicitud-%d.json"`, r.ID))
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "application/json; charset=utf-8", b)
}

func (s *Server) privacyResolve(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	status := store.RequestResolved
	if c.FormValue("status") == store.RequestRejected {
		status = store.RequestRejected
	}
	err = s.privacy.ResolveDataRequest(c.Request().Context(), r.ID, status, strings.TrimSpace(c.FormValue("resolution")), s.userID(c))
	return s.privacyBack(c, "resolved", err)
}

func (s *Server) privacyExtend(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	err = s.privacy.ExtendDataRequest(c.Request().Context(), r.ID, c.FormValue("note"), s.userID(c))
	return s.privacyBack(c, "extended", err)
}

// privacyDelete erases the request's holder at once; the store records and audits it.
func (s *Server) privacyDelete(c echo.Context) error {
	r, err := s.request(c)
	if err != nil {
		return err
	}
	if r.Phone == "" {
		return s.privacyBack(c, "deleted", nil) // already erased
	}
	if c.FormValue("confirm") != "yes" {
		return s.privacyBack(c, "confirm", errors.New("not confirmed"))
	}
	_, err = s.privacy.EraseByPhone(c.Request().Context(), r.Phone, store.EraseRequested, "admin", s.userID(c))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return s.privacyBack(c, "deleted", nil)
}

func (s *Server) privacyExclude(c echo.Context) error {
	phones := strings.FieldsFunc(c.FormValue("phones"), func(r rune) bool { return r == '\n' || r == ',' || r == ' ' || r == '\r' })
	source := "manual"
	if c.FormValue("source") == "rne" {
		source = "rne"
	}
	if len(phones) == 0 {
		return s.privacyBack(c, "phone", errors.New("no phone"))
	}
	_, err := s.privacy.AddExclusions(c.Request().Context(), phones, source, s.userID(c))
	return s.privacyBack(c, "excluded", err)
}

func (s *Server) privacyUnexclude(c echo.Context) error {
	ok, err := s.privacy.RemoveExclusion(c.Request().Context(), c.FormValue("phone"), s.userID(c))
	if err == nil && !ok {
		err = errors.New("not on the list")
	}
	return s.privacyBack(c, "unexcluded", err)
}

// privacyIncident records a security incident (S-2); detected is a Bogotá "2006-01-02T15:04"
// (an HTML datetime-local), empty for now.
func (s *Server) privacyIncident(c echo.Context) error {
	detected := s.now()
	if v := strings.TrimSpace(c.FormValue("detected")); v != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", v, bogota)
		if err != nil {
			return s.privacyBack(c, "incident", err)
		}
		detected = t
	}
	_, err := s.privacy.RecordIncident(c.Request().Context(), detected, c.FormValue("description"), s.userID(c))
	return s.privacyBack(c, "incident", err)
}

func (s *Server) privacyIncidentReported(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	err = s.privacy.MarkIncidentReported(c.Request().Context(), id, s.userID(c))
	return s.privacyBack(c, "reported", err)
}
