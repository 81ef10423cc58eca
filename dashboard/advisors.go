package dashboard

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// staffStore is what the advisors' availability switch and the admins'
// advisors form need (issue 20).
type staffStore interface {
	AdvisorStateOf(ctx context.Context, userID int64) (store.AdvisorState, error)
	AdvisorStates(ctx context.Context) ([]store.AdvisorState, error)
	SetAwayByID(ctx context.Context, userID int64, away bool) error
	AdvisorActive(ctx context.Context, userID int64) (back bool, err error)
	SetAdvisorSettings(ctx context.Context, name string, a store.AdvisorSettings) error
	AssignModes() map[flow.Class]string
	SetAssignModes(ctx context.Context, modes map[flow.Class]string) error
}

func (s *Server) advisorRoutes() {
	s.route(http.MethodPost, "/advisor/availability", s.switchAvailability, RoleAdmin, RoleAdvisor)
	s.route(http.MethodGet, "/admin/advisors", s.advisorsPage, RoleAdmin)
	s.route(http.MethodPost, "/admin/advisors/modes", s.saveModes, RoleAdmin)
	s.route(http.MethodPost, "/admin/advisors/:id", s.saveAdvisor, RoleAdmin)
}

// presence is the availability switch the queue page shows to an account
// in the rotation.
type presence struct {
	Away bool
}

// presenceOf is the switch for the session's account; nil for a viewer or
// an account that receives no leads.
func (s *Server) presenceOf(c echo.Context) *presence {
	sess := sessionOf(c)
	if sess == nil || sess.User.Role == RoleViewer {
		return nil
	}
	st, err := s.staff.AdvisorStateOf(c.Request().Context(), sess.User.ID)
	if err != nil || !st.InRotation {
		return nil
	}
	return &presence{Away: st.Away}
}

// switchAvailability is the advisor's live available/away switch: away
// takes no new lead; available is offered the shared queue at once.
func (s *Server) switchAvailability(c echo.Context) error {
	sess := sessionOf(c)
	away := c.FormValue("state") == "away"
	if !away && c.FormValue("state") != "available" {
		return echo.NewHTTPError(http.StatusBadRequest)
	}
	if err := s.staff.SetAwayByID(c.Request().Context(), sess.User.ID, away); err != nil {
		return err
	}
	action := "advisor_available"
	if away {
		action = "advisor_away"
	}
	s.audit(c, action, "user:"+strconv.FormatInt(sess.User.ID, 10), store.AwayManual)
	return c.Redirect(http.StatusSeeOther, "/")
}

// noteActivity records an authenticated request of an advisor or admin
// (the idle rule's activity), at most once a minute per account; one the
// idle rule had switched away is back, audited. A page's own background
// polls (the queue's version, its refresh, the pairing status) are not the
// person: an open tab must not keep an absent advisor available. A
// failure is logged, never shown: activity is not the request.
func (s *Server) noteActivity(c echo.Context, u store.User) {
	if u.Role == RoleViewer || background(c.Request()) || !s.activity.due(u.ID, s.now()) {
		return
	}
	back, err := s.staff.AdvisorActive(c.Request().Context(), u.ID)
	if err != nil {
		s.log.Warn("advisor activity not recorded", "user_id", u.ID, "err", err)
		return
	}
	if back {
		s.audit(c, "advisor_available", "user:"+strconv.FormatInt(u.ID, 10), "activity")
	}
}

type advisorsPage struct {
	page
	Advisors []advisorRow
	Modes    []modeRow
	Flash    string
	Error    string
	ErrorFor int64
}

type advisorRow struct {
	store.AdvisorState
	DaysOff, Services, Places string
}

type modeRow struct {
	Class, Mode string
}

func (s *Server) advisorsPage(c echo.Context) error {
	p := advisorsPage{}
	if c.QueryParam("done") == "1" {
		p.Flash = T(langOf(c), "advisors.saved")
	}
	return s.renderAdvisors(c, http.StatusOK, p)
}

func (s *Server) renderAdvisors(c echo.Context, code int, p advisorsPage) error {
	lang := langOf(c)
	p.page = s.basePage(c, lang)
	p.Title = T(lang, "advisors.title")
	states, err := s.staff.AdvisorStates(c.Request().Context())
	if err != nil {
		return err
	}
	for _, st := range states {
		p.Advisors = append(p.Advisors, advisorRow{AdvisorState: st, DaysOff: strings.Join(st.Settings.DaysOff, ", "),
			Services: strings.Join(st.Settings.Services, ", "), Places: strings.Join(st.Settings.Places, ", ")})
	}
	modes := s.staff.AssignModes()
	for _, class := range []flow.Class{flow.Hot, flow.Warm, flow.Cold} {
		p.Modes = append(p.Modes, modeRow{Class: string(class), Mode: modes[class]})
	}
	return c.Render(code, "advisors", p)
}

// saveAdvisor replaces one account's schedule, days off, capacity, skills
// and away switch from the form; each field is checked with a word for
// the admin, and the change is audited.
func (s *Server) saveAdvisor(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return echo.ErrNotFound
	}
	ctx := c.Request().Context()
	st, err := s.staff.AdvisorStateOf(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return echo.ErrNotFound
	}
	if err != nil {
		return err
	}
	a, bad := advisorForm(c)
	if bad != "" {
		return s.renderAdvisors(c, http.StatusUnprocessableEntity, advisorsPage{Error: T(langOf(c), bad), ErrorFor: id})
	}
	if err := s.staff.SetAdvisorSettings(ctx, st.Username, a); err != nil {
		return err
	}
	s.audit(c, "advisor_settings", "user:"+strconv.FormatInt(id, 10), settingsDetail(a))
	return c.Redirect(http.StatusSeeOther, "/admin/advisors?done=1#advisor-"+strconv.FormatInt(id, 10))
}

// advisorForm reads the settings form; bad is the catalogue key of the
// first field that does not read ("" when all do).
func advisorForm(c echo.Context) (a store.AdvisorSettings, bad string) {
	a.Hours = strings.TrimSpace(c.FormValue("hours"))
	if a.Hours != "" {
		if _, err := flow.ParseWeek(a.Hours); err != nil {
			return a, "advisors.bad_hours"
		}
	}
	for _, d := range list(c.FormValue("days_off")) {
		if _, err := time.Parse("2006-01-02", d); err != nil {
			return a, "advisors.bad_days"
		}
		a.DaysOff = append(a.DaysOff, d)
	}
	if m := strings.TrimSpace(c.FormValue("max_open")); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 0 || n > 10000 {
			return a, "advisors.bad_max"
		}
		a.MaxOpen = n
	}
	a.Services, a.Places = list(c.FormValue("services")), list(c.FormValue("places"))
	a.Away = c.FormValue("away") == "1"
	return a, ""
}

// list splits a comma-separated field, dropping blanks and repeats.
func list(v string) []string {
	var out []string
	for part := range strings.SplitSeq(v, ",") {
		if p := strings.TrimSpace(part); p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

// settingsDetail is the audit's record of new settings: what was set,
// never a person's data (hours, dates, counts and catalogue keys only;
// places are counted, as a town may be personal enough to leave out).
func settingsDetail(a store.AdvisorSettings) string {
	return "hours=" + a.Hours + "; days_off=" + strings.Join(a.DaysOff, ",") + "; max_open=" + strconv.Itoa(a.MaxOpen) +
		"; services=" + strings.Join(a.Services, ",") + "; places=" + strconv.Itoa(len(a.Places)) + "; away=" + strconv.FormatBool(a.Away)
}

// saveModes stores, per class, least loaded or strict rotation; audited.
func (s *Server) saveModes(c echo.Context) error {
	modes := map[flow.Class]string{}
	var detail []string
	for _, class := range []flow.Class{flow.Hot, flow.Warm, flow.Cold} {
		m := c.FormValue(string(class))
		if m != store.ModeRotation && m != store.ModeLeastLoaded {
			return echo.NewHTTPError(http.StatusBadRequest)
		}
		modes[class] = m
		detail = append(detail, string(class)+"="+m)
	}
	if err := s.staff.SetAssignModes(c.Request().Context(), modes); err != nil {
		return err
	}
	s.audit(c, "assign_modes", "agency", strings.Join(detail, "; "))
	return c.Redirect(http.StatusSeeOther, "/admin/advisors?done=1")
}

// background reports a request a page makes by itself (app.js marks its
// polls with X-Requested-With and its queue refresh with X-CIS-Background).
func background(r *http.Request) bool {
	return r.Method == http.MethodGet && (r.Header.Get("X-Requested-With") != "" || r.Header.Get("X-CIS-Background") != "")
}

// activityClock limits the activity writes to one a minute per account.
type activityClock struct {
	mu   sync.Mutex
	last map[int64]time.Time
}

func (a *activityClock) due(id int64, now time.Time) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.last == nil {
		a.last = map[int64]time.Time{}
	}
	if now.Sub(a.last[id]) < time.Minute {
		return false
	}
	a.last[id] = now
	return true
}
