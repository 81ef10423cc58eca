package dashboard

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/store"
)

// advisorWeekStore is what the owner's view of the advisors reads.
type advisorWeekStore interface {
	// number: one number's leads and the advisors who take them; 0 all.
	AdvisorWeeks(ctx context.Context, from, now time.Time, number int64) ([]store.AdvisorWeek, error)
	StaffingByHour(ctx context.Context, from, now time.Time, number int64) ([24]store.HourStaff, error)
}

// staffingLookback is the period the staffing insight and the by-hour
// table read: four weeks, so each hour of the week has a few cases.
const staffingLookback = 28 * 24 * time.Hour

// weekStart is Monday 00:00 (Bogotá) of the week holding now.
func weekStart(now time.Time) time.Time {
	local := now.In(bogota)
	y, m, d := local.Date()
	return time.Date(y, m, d-(int(local.Weekday())+6)%7, 0, 0, 0, 0, bogota)
}

// analyticsAdvisors is the owner's view (issue 20): per advisor, the open
// leads they hold, this week's leads contacted on time and late, the
// median first contact, and the hours their schedule has them on shift
// this week; then, per hour of the day over four weeks, the leads, the
// broken promises and the advisors on shift, which is what the
// staffing_hours insight reads. With a number chosen (issue 16): that
// number's leads, and those who take them.
func (s *Server) analyticsAdvisors(c echo.Context) error {
	ctx := c.Request().Context()
	ap, lang, p := s.analyticsBase(c, "advisors")
	numberNote(lang, &ap)
	f := fmtr{lang == "es"}
	now := s.now()
	from := weekStart(now)
	weeks, err := s.weeks.AdvisorWeeks(ctx, from, now, p.Number)
	if err != nil {
		return err
	}
	// The week is the view's own period; From/To stay the analytics period
	// the other sections' links carry.
	t := table{ID: "advisors", Title: T(lang, "analytics.advisors_week") + " (" + from.Format("2006-01-02") + ")", Header: []string{T(lang, "queue.advisor"),
		T(lang, "analytics.adv_open"), T(lang, "analytics.adv_on_time"), T(lang, "analytics.adv_late"),
		T(lang, "analytics.adv_median"), T(lang, "analytics.adv_hours")}}
	for _, w := range weeks {
		t.Rows = append(t.Rows, []cell{txt(w.Username), f.int(w.Open), f.int(w.OnTime), f.int(w.Late),
			f.minutes(int(w.MedianFirst.Round(time.Minute)/time.Minute), w.Contacted > 0), f.hours(w.ShiftHours)})
	}
	hours, err := s.weeks.StaffingByHour(ctx, now.Add(-staffingLookback), now, p.Number)
	if err != nil {
		return err
	}
	ht := table{ID: "hours", Title: T(lang, "analytics.staffing_hours"), Header: []string{T(lang, "analytics.hour"),
		T(lang, "analytics.leads"), T(lang, "analytics.adv_late"), T(lang, "analytics.on_shift")}}
	for _, h := range hours {
		if h.Leads == 0 && h.OnShift == 0 {
			continue
		}
		ht.Rows = append(ht.Rows, []cell{txt(strconv.Itoa(h.Hour) + ":00"), f.int(h.Leads), f.int(h.Late), f.dec(h.OnShift, 1)})
	}
	ap.Tables = []table{t, ht}
	return s.renderAnalytics(c, ap)
}

// hours shows a duration in hours with one decimal ("37,5 h").
func (f fmtr) hours(d time.Duration) cell {
	return cell{Text: chart.FormatNumber(d.Hours(), 1, f.es) + " h", Raw: strconv.FormatFloat(d.Hours(), 'f', 2, 64), Num: true}
}

func (s *Server) advisorAnalyticsRoutes() {
	all := []string{RoleAdmin, RoleAdvisor, RoleViewer}
	s.route(http.MethodGet, "/analytics/advisors", s.analyticsAdvisors, all...)
}
