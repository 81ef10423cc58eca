package dashboard

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// queueStore is what the queue page and its version poll need.
type queueStore interface {
	Queue(ctx context.Context, f store.LeadFilter) ([]store.QueueRow, error)
	QueueCount(ctx context.Context, f store.LeadFilter, most int) (int, error)
	LeadCounts(ctx context.Context) (map[string]map[string]int, error)
	QueueVersion(ctx context.Context) (string, error)
	Sources(ctx context.Context) ([]string, error)
	Users(ctx context.Context) ([]store.User, error)     // the advisor filter
	Numbers(ctx context.Context) ([]store.Number, error) // the number filter (issue 16)
}

type queueRow struct {
	store.QueueRow
	Open    bool // only open leads have a countdown
	Overdue bool
	Left    string // "vence en 24 min", "vencido hace 2 h 10 min": the countdown's first text
	WA      string
	Value   int64 // expected revenue, 0 when unknown
	// Masked: an advisor who sees only their own leads' personal data
	// (--advisor-scope own) sees an unassigned lead without name or number.
	Masked bool
	// The row's words, computed once in Go: template function calls were
	// most of the page's time at 100,000 leads. The fields the template
	// reads are also copied out of the embedded QueueRow: a promoted field
	// costs the template a reflective search on every use.
	ClassText, ServiceText, BudgetText, ValueText, StatusText, Deadline, DeadlineText string
	// Asked: the prospect asked, after the deadline, when they would be
	// called ("Preguntó por su llamada: se le prometió para las 15:40").
	Asked                      string
	ID, AdvisorID              int64
	Class, Name, City, Advisor string
}

// value is a lead's expected revenue (Models.LeadValue), 0 when not priced.
func (s *Server) value(r store.QueueRow) int64 {
	if r.Class == "" {
		return 0
	}
	return s.models.LeadValue(r.Probability, r.Service, r.Budget)
}

// Leads per page: the due section first, the overdue one shorter (it is
// worked from the top, most recently overdue first).
const (
	queuePageSize   = 30
	overduePageSize = 20
)

// queueLabels are the words every row repeats, looked up once per page.
type queueLabels struct {
	City, Service, Budget, ExpectedValue, Advisor, Unassigned, Take, Contacted, Lead, Masked, Deadline string
	Shared, SharedHelp                                                                                 string
	Takeover, TakeoverHelp                                                                             string
}

func newQueueLabels(lang string) queueLabels {
	return queueLabels{City: T(lang, "queue.city"), Service: T(lang, "queue.service"), Budget: T(lang, "queue.budget"),
		ExpectedValue: T(lang, "lead.expected_value"), Advisor: T(lang, "queue.advisor"), Unassigned: T(lang, "queue.unassigned"),
		Take: T(lang, "queue.take"), Contacted: T(lang, "lead.mark_contacted"), Lead: T(lang, "lead.title"), Masked: T(lang, "lead.masked"),
		Deadline: T(lang, "lead.deadline"), Takeover: T(lang, "queue.takeover"), TakeoverHelp: T(lang, "lead.takeover_help"),
		Shared: T(lang, "queue.shared"), SharedHelp: T(lang, "queue.shared_help")}
}

// countCap bounds the counts: beyond it the page says "more than 1.000".
// Counting further would scan the leads a search matches to the end, at
// 100,000 leads the slowest part of the page, for a number nobody reads.
const countCap = 1000

// queueSection is one list of the queue page with its own pager.
type queueSection struct {
	ID    string // "due", "overdue", "list"
	Rows  []queueRow
	Count int  // leads in the section, up to countCap
	More  bool // Count reached countCap
	From  int  // 1-based position of the first row
	Prev  string
	Next  string
}

// queueCounts are the chips above the list: open leads per class, overdue,
// and the other statuses.
type queueCounts struct {
	Open, Hot, Warm, Cold, Overdue, Contacted, Won, Lost int
	OverdueMore                                          bool // Overdue reached countCap
}

type queuePage struct {
	page
	Sections []queueSection
	Counts   queueCounts
	Waiting  int // open leads not overdue: the tab title's count
	Filter   queueFilter
	Sources  []string
	Advisors []store.User
	// Numbers are the agency's numbers, for the number filter (shown with
	// more than one).
	Numbers []store.Number
	// Presence is the available/away switch of an advisor in the rotation; nil otherwise.
	Presence *presence
	Version  string
	Now      time.Time
	Scoring  string // which scorer classifies new leads, in the page's language
	I18n     string // the countdown's words for app.js (JSON)
	L        queueLabels
}

// queueFilter is the filter as typed in the form (strings, echoed back).
type queueFilter struct {
	Status, Class, Advisor, Campaign, Since, Until, Q string
	Number                                            string // the number written to (store.Number.ID)
	Page, OPage                                       int
}

func (s *Server) parseFilter(c echo.Context) (queueFilter, store.LeadFilter) {
	qf := queueFilter{Status: c.QueryParam("status"), Class: c.QueryParam("class"), Advisor: c.QueryParam("advisor"),
		Campaign: c.QueryParam("campaign"), Since: c.QueryParam("since"), Until: c.QueryParam("until"), Q: c.QueryParam("q"),
		Number: c.QueryParam("number"), Page: pageParam(c, "page"), OPage: pageParam(c, "opage")}
	f := store.LeadFilter{Source: qf.Campaign, ServiceMatch: s.serviceMatch}
	if id, err := strconv.ParseInt(qf.Number, 10, 64); err == nil && id > 0 {
		f.Account = id
	} else {
		qf.Number = ""
	}
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
	f.Visible = s.ownOnly(c)
	return qf, f
}

func pageParam(c echo.Context, name string) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 1 || n > 10_000 {
		return 1
	}
	return n
}

// serviceMatch gives the catalogue keys whose label (either language) or
// key contains a folded search word: "pauta" finds ads, "redes" social.
func (s *Server) serviceMatch(word string) []string {
	var keys []string
	for _, svc := range s.services {
		hit := strings.Contains(store.SearchKey(svc.Key), word)
		for _, l := range svc.Label {
			hit = hit || strings.Contains(store.SearchKey(l), word)
		}
		if hit {
			keys = append(keys, svc.Key)
		}
	}
	return keys
}

// url is the queue's address with qf's filters and the two page numbers.
func (qf queueFilter) url(page, opage int) string {
	v := url.Values{}
	for k, val := range map[string]string{"status": qf.Status, "class": qf.Class, "advisor": qf.Advisor, "campaign": qf.Campaign,
		"since": qf.Since, "until": qf.Until, "q": qf.Q, "number": qf.Number} {
		if val != "" && !(k == "status" && val == "open") {
			v.Set(k, val)
		}
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if opage > 1 {
		v.Set("opage", strconv.Itoa(opage))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

func (s *Server) queuePage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	qf, f := s.parseFilter(c)
	version, err := s.queue.QueueVersion(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	p := queuePage{page: s.basePage(c, lang), Filter: qf, Version: version, Now: now, I18n: countdownWords(lang), L: newQueueLabels(lang)}
	p.Scoring = s.scoringText(lang)
	f.Now = now
	if qf.Status == "open" {
		due, err := s.section(c, "due", f, qf.Page, func(n int) string { return qf.url(n, qf.OPage) })
		if err != nil {
			return err
		}
		over, err := s.section(c, "overdue", f, qf.OPage, func(n int) string { return qf.url(qf.Page, n) })
		if err != nil {
			return err
		}
		p.Sections, p.Waiting = []queueSection{due, over}, due.Count
	} else {
		list, err := s.section(c, "list", f, qf.Page, func(n int) string { return qf.url(n, 1) })
		if err != nil {
			return err
		}
		p.Sections = []queueSection{list}
	}
	if err := s.queueChrome(c, &p); err != nil {
		return err
	}
	p.Presence = s.presenceOf(c)
	p.Title = T(lang, "queue.title")
	if p.Waiting > 0 {
		p.Title = "(" + strconv.Itoa(p.Waiting) + ") " + p.Title
	}
	return c.Render(http.StatusOK, "queue", p)
}

// queueChrome fills what surrounds the lists: counts, campaigns, advisors.
func (s *Server) queueChrome(c echo.Context, p *queuePage) error {
	ctx := c.Request().Context()
	counts, err := s.queue.LeadCounts(ctx)
	if err != nil {
		return err
	}
	p.Counts = queueCounts{Hot: counts["open"]["hot"], Warm: counts["open"]["warm"], Cold: counts["open"]["cold"],
		Contacted: sum(counts["contacted"]), Won: sum(counts["won"]), Lost: sum(counts["lost"])}
	p.Counts.Open = sum(counts["open"])
	if unfiltered := p.Filter.url(1, 1) == "/"; unfiltered && len(p.Sections) == 2 && p.overdueCounted() {
		p.Counts.Overdue = p.Sections[1].Count // the overdue section counted the same leads
	} else if p.Counts.Overdue, err = s.queue.QueueCount(ctx, store.LeadFilter{Due: "overdue", Now: p.Now}, countCap); err != nil {
		return err
	}
	p.Counts.OverdueMore = p.Counts.Overdue >= countCap
	if p.Sources, err = s.queue.Sources(ctx); err != nil {
		return err
	}
	if p.Numbers, err = s.queue.Numbers(ctx); err != nil {
		return err
	}
	users, err := s.queue.Users(ctx)
	if err != nil {
		return err
	}
	for _, u := range users {
		if u.Active && u.Role != RoleViewer {
			p.Advisors = append(p.Advisors, u)
		}
	}
	return nil
}

// overdueCounted reports whether the overdue section's count covers all
// overdue leads (its first page: a later page counts from its offset too).
func (p *queuePage) overdueCounted() bool { return p.Sections[1].From == 1 }

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// section reads one page of one list and its count.
func (s *Server) section(c echo.Context, id string, f store.LeadFilter, page int, link func(int) string) (queueSection, error) {
	ctx := c.Request().Context()
	if id != "list" {
		f.Due = id
	}
	size := queuePageSize
	if id == "overdue" {
		size = overduePageSize
	}
	sec := queueSection{ID: id, From: (page-1)*size + 1}
	f.Limit, f.Offset = size+1, (page-1)*size
	rows, err := s.queue.Queue(ctx, f)
	if err != nil {
		return sec, err
	}
	if len(rows) > size {
		rows, sec.Next = rows[:size], link(page+1)
	}
	if page > 1 {
		sec.Prev = link(page - 1)
	}
	// Only a section with a next page needs counting; the others are all here.
	sec.Count = f.Offset + len(rows)
	if sec.Next != "" {
		if sec.Count, err = s.queue.QueueCount(ctx, f, countCap); err != nil {
			return sec, err
		}
		sec.More = sec.Count >= countCap
	}
	lang, me := langOf(c), s.ownOnly(c)
	for _, r := range rows {
		sec.Rows = append(sec.Rows, s.queueRow(r, lang, me))
	}
	return sec, nil
}

func (s *Server) queueRow(r store.QueueRow, lang string, me int64) queueRow {
	now := s.now()
	q := queueRow{QueueRow: r, Open: r.Status == "open", WA: waLink(r.Phone), Value: s.value(r),
		ClassText: T(lang, "class."+r.Class), ServiceText: s.services.Label(r.Service, lang), BudgetText: budgetText(lang, r.Budget),
		StatusText: T(lang, "status."+r.Status), Deadline: r.DeadlineAt.UTC().Format(time.RFC3339),
		DeadlineText: r.DeadlineAt.In(bogota).Format("2006-01-02 15:04"),
		ID:           r.ID, AdvisorID: r.AdvisorID, Class: r.Class, Name: r.Name, City: r.City, Advisor: r.Advisor}
	if q.Value > 0 {
		q.ValueText = formatCOP(q.Value)
	}
	if q.Open {
		q.Overdue = r.DeadlineAt.Before(now)
		q.Left = timeLeft(lang, r.DeadlineAt.Sub(now))
		if !r.AskedForCall.IsZero() {
			q.Asked = T(lang, "queue.asked_for_call") + " " + r.AskedForCall.In(bogota).Format("15:04")
		}
	}
	if me > 0 && r.AdvisorID != me {
		q.Masked, q.Name, q.Phone, q.WA = true, "", "", ""
	}
	return q
}

// budgetText is a budget as the queue shows it: "$1.000.000–$2.000.000".
func budgetText(lang string, b flow.Budget) string {
	if b.Unknown {
		return T(lang, "budget.unknown")
	}
	if b.MinCOP != b.MaxCOP {
		return formatCOP(b.MinCOP) + "–" + formatCOP(b.MaxCOP)
	}
	return formatCOP(b.MinCOP)
}

// queueVersion lets the page poll cheaply: it reloads the list only when this changes.
func (s *Server) queueVersion(c echo.Context) error {
	v, err := s.queue.QueueVersion(c.Request().Context())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]string{"version": v})
}

// scoringText tells advisors whether a trained model or, until there is
// enough labelled history, the transparent rules classify new leads.
func (s *Server) scoringText(lang string) string {
	name := s.models.Name()
	if name == "" || name == "rules" {
		return T(lang, "queue.scoring_rules")
	}
	return fmt.Sprintf(T(lang, "queue.scoring_model"), modelName(lang, store.KindLead, name))
}
