package dashboard

import (
	"context"
	"encoding/csv"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/store"
)

// churnStore is what the churn-risk page needs.
type churnStore interface {
	ChurnRisk(ctx context.Context, f store.RiskFilter) ([]store.RiskRow, error)
	ChurnRiskBands(ctx context.Context) ([]store.RiskBand, error)
	ActOnCustomer(ctx context.Context, id int64, a store.CustomerAction) error
}

// riskPageSize is how many customers one page of the list shows.
const riskPageSize = 100

type riskRow struct {
	store.RiskRow
	Value12 int64    // expected revenue over the next 12 months
	Reasons []string // the top reasons in words (the base rate left out)
	Tenure  int      // whole months as a customer
}

type churnPage struct {
	page
	Rows      []riskRow
	Sort      string
	Page      int
	Prev      int // 0 when there is no previous page
	Next      int // 0 when there is no next page
	Chart     template.HTML
	Bands     []store.RiskBand
	Scored    int   // active customers with a score
	AtStake   int64 // Σ fee × probability over them, per month
	Model     string
	ScoredAt  string
	HasScores bool
}

func riskSort(c echo.Context) string {
	switch s := c.FormValue("sort"); s { // query on GET, form on POST
	case "at_stake", "tenure":
		return s
	}
	return "risk"
}

func (s *Server) churnPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p := churnPage{page: s.basePage(c, lang), Sort: riskSort(c), Page: 1}
	p.Title = T(lang, "churn.title")
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 && n < 100_000 {
		p.Page = n
	}
	rows, err := s.store.ChurnRisk(ctx, store.RiskFilter{Sort: p.Sort, Limit: riskPageSize + 1, Offset: (p.Page - 1) * riskPageSize})
	if err != nil {
		return err
	}
	if len(rows) > riskPageSize {
		rows, p.Next = rows[:riskPageSize], p.Page+1
	}
	if p.Page > 1 {
		p.Prev = p.Page - 1
	}
	now := s.now()
	for _, r := range rows {
		p.Rows = append(p.Rows, toRiskRow(r, now.Sub(r.StartedAt).Hours()/24/30.44))
		if r.Model != "" && p.Model == "" {
			p.Model, p.ScoredAt = r.Model, r.ScoredAt.In(bogota).Format("2006-01-02")
		}
	}
	if p.Bands, err = s.store.ChurnRiskBands(ctx); err != nil {
		return err
	}
	es := lang == "es"
	var labels []string
	var counts []float64
	for _, b := range p.Bands {
		p.Scored += b.Customers
		p.AtStake += b.AtStakeCOP
		labels = append(labels, fmt.Sprintf("%s–%s", chart.FormatNumber(100*b.From, 0, es), chart.FormatNumber(100*b.To, 0, es)+" %"))
		counts = append(counts, float64(b.Customers))
	}
	p.HasScores = p.Scored > 0
	p.Chart = chart.HBars(T(lang, "churn.chart"), labels, counts, chart.Number(0, es), chart.Hot)
	return c.Render(http.StatusOK, "churn", p)
}

func toRiskRow(r store.RiskRow, months float64) riskRow {
	out := riskRow{RiskRow: r, Tenure: int(months)}
	p := r.Probability
	if p < 0 {
		p = 0
	}
	out.Value12 = scoring.CustomerValue12(r.MonthlyFeeCOP, p)
	for _, reason := range r.Reasons {
		if reason.Feature != "base" {
			out.Reasons = append(out.Reasons, reason.Value)
		}
	}
	return out
}

// churnCSV exports the whole list (every active customer) in the chosen
// order. It is a bulk export of customers' names, so it is audited.
func (s *Server) churnCSV(c echo.Context) error {
	ctx := c.Request().Context()
	sort := riskSort(c)
	rows, err := s.store.ChurnRisk(ctx, store.RiskFilter{Sort: sort, Limit: -1})
	if err != nil {
		return err
	}
	s.audit(c, "churn_exported", "customers", strconv.Itoa(len(rows))+" rows")
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	h.Set(echo.HeaderContentDisposition, `attachment; filename="churn-risk.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	// A failed write surfaces in w.Error() after Flush, returned below.
	_ = w.Write([]string{"customer_id", "name", "service", "plan", "monthly_fee_cop", "started_on", "churn_probability",
		"at_stake_cop", "value_12m_cop", "reasons", "model", "scored_on", "last_action"})
	now := s.now()
	for _, r := range rows {
		rr := toRiskRow(r, now.Sub(r.StartedAt).Hours()/24/30.44)
		prob, scored := "", ""
		if r.Probability >= 0 {
			prob = strconv.FormatFloat(r.Probability, 'f', 4, 64)
			scored = r.ScoredAt.In(bogota).Format("2006-01-02")
		}
		_ = w.Write([]string{r.ExtKey, csvSafe(r.Name), r.Service, r.Plan, strconv.FormatInt(r.MonthlyFeeCOP, 10),
			r.StartedAt.In(bogota).Format("2006-01-02"), prob, strconv.FormatInt(r.AtStakeCOP, 10),
			strconv.FormatInt(rr.Value12, 10), strings.Join(rr.Reasons, "; "), r.Model, scored, r.LastAction})
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from running a cell as a formula (a name
// typed as "=HYPERLINK(…)" stays text).
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// actOnCustomer handles contacted / retained / churned from the list.
func (s *Server) actOnCustomer(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := strconv.ParseInt(c.Param("id"), 10, 64)
		if err != nil || id <= 0 {
			return echo.ErrNotFound
		}
		note := strings.TrimSpace(c.FormValue("note"))
		if len([]rune(note)) > 500 {
			return echo.ErrBadRequest
		}
		if err := s.store.ActOnCustomer(c.Request().Context(), id, store.CustomerAction{Kind: kind, ByUser: sessionOf(c).User.ID, Detail: note}); err != nil {
			return err
		}
		s.audit(c, "customer_"+kind, "customer:"+strconv.FormatInt(id, 10), "")
		if c.Request().Header.Get(csrfHeader) != "" {
			return c.NoContent(http.StatusNoContent)
		}
		back := "/churn?sort=" + riskSort(c)
		if p, err := strconv.Atoi(c.FormValue("page")); err == nil && p > 1 {
			back += "&page=" + strconv.Itoa(p)
		}
		return c.Redirect(http.StatusSeeOther, back)
	}
}
