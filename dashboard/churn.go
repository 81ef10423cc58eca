package dashboard

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
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
	CountActiveCustomers(ctx context.Context, search string) (int, error)
	ActOnCustomer(ctx context.Context, id int64, a store.CustomerAction) error
}

// riskPageSize is how many customers one page of the list shows.
const riskPageSize = 100

type riskRow struct {
	store.RiskRow
	Value12 int64    // expected revenue over the next 12 months
	Reasons []string // the top reasons in words (the base rate left out)
	Tenure  int      // whole months as a customer
	Risk    string   // high, medium, low ("" when not scored): the colour and the word
}

// Churn risk levels: a monthly churn probability of 30 % or more is high,
// 10 % or more medium. They colour the list and the chart, always with the
// word beside the colour.
const (
	riskHigh   = 0.30
	riskMedium = 0.10
)

func riskLevel(p float64) string {
	switch {
	case p < 0:
		return ""
	case p >= riskHigh:
		return "high"
	case p >= riskMedium:
		return "medium"
	}
	return "low"
}

// riskColour is a level's colour in the chart (the CSS uses the same).
var riskColour = map[string]string{"high": chart.Hot, "medium": chart.Warm, "low": "#3b7a57"}

type churnPage struct {
	page
	Rows      []riskRow
	Sort      string
	Q         string
	Page      int
	Pages     int // pages in all
	Total     int // active customers matching the search
	Prev      string
	Next      string
	Chart     template.HTML
	Bands     []store.RiskBand
	Scored    int   // active customers with a score
	AtStake   int64 // Σ fee × probability over them, per month
	Model     string
	ScoredAt  string
	HasScores bool
}

// riskSort is the list's order: expected monthly loss (fee × probability)
// by default, the probability or the tenure when asked.
func riskSort(c echo.Context) string {
	switch s := c.FormValue("sort"); s { // query on GET, form on POST
	case "risk", "tenure":
		return s
	}
	return "at_stake"
}

// churnURL is the list's address with its sort, search and page.
func churnURL(sort, q string, page int) string {
	v := url.Values{}
	if sort != "at_stake" {
		v.Set("sort", sort)
	}
	if q != "" {
		v.Set("q", q)
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	if len(v) == 0 {
		return "/churn"
	}
	return "/churn?" + v.Encode()
}

func (s *Server) churnPage(c echo.Context) error {
	ctx := c.Request().Context()
	lang := langOf(c)
	p := churnPage{page: s.basePage(c, lang), Sort: riskSort(c), Page: 1, Q: strings.TrimSpace(c.QueryParam("q"))}
	p.Title = T(lang, "churn.title")
	if len([]rune(p.Q)) > 100 {
		p.Q = string([]rune(p.Q)[:100])
	}
	if n, err := strconv.Atoi(c.QueryParam("page")); err == nil && n > 1 && n < 100_000 {
		p.Page = n
	}
	var err error
	if p.Total, err = s.churn.CountActiveCustomers(ctx, p.Q); err != nil {
		return err
	}
	p.Pages = max(1, (p.Total+riskPageSize-1)/riskPageSize)
	p.Page = min(p.Page, p.Pages)
	rows, err := s.churn.ChurnRisk(ctx, store.RiskFilter{Sort: p.Sort, Search: p.Q, Limit: riskPageSize, Offset: (p.Page - 1) * riskPageSize})
	if err != nil {
		return err
	}
	if p.Page < p.Pages {
		p.Next = churnURL(p.Sort, p.Q, p.Page+1)
	}
	if p.Page > 1 {
		p.Prev = churnURL(p.Sort, p.Q, p.Page-1)
	}
	now := s.now()
	for _, r := range rows {
		p.Rows = append(p.Rows, toRiskRow(r, now.Sub(r.StartedAt).Hours()/24/30.44))
		if r.Model != "" && p.Model == "" {
			p.Model, p.ScoredAt = modelName(lang, store.KindChurn, r.Model), r.ScoredAt.In(bogota).Format("2006-01-02")
		}
	}
	if err := s.churnChart(c, &p); err != nil {
		return err
	}
	return c.Render(http.StatusOK, "churn", p)
}

// churnChart draws the customers per risk band, each band in its level's colour.
func (s *Server) churnChart(c echo.Context, p *churnPage) error {
	var err error
	if p.Bands, err = s.churn.ChurnRiskBands(c.Request().Context()); err != nil {
		return err
	}
	es := p.Lang == "es"
	var labels, colours []string
	var counts []float64
	for _, b := range p.Bands {
		p.Scored += b.Customers
		p.AtStake += b.AtStakeCOP
		labels = append(labels, fmt.Sprintf("%s–%s", chart.FormatNumber(100*b.From, 0, es), chart.FormatNumber(100*b.To, 0, es)+" %"))
		counts = append(counts, float64(b.Customers))
		colours = append(colours, riskColour[riskLevel(b.From)])
	}
	p.HasScores = p.Scored > 0
	p.Chart = chart.HBarsEach(T(p.Lang, "churn.chart"), labels, counts, chart.Number(0, es), colours)
	return nil
}

func toRiskRow(r store.RiskRow, months float64) riskRow {
	out := riskRow{RiskRow: r, Tenure: int(months), Risk: riskLevel(r.Probability)}
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
	rows, err := s.churn.ChurnRisk(ctx, store.RiskFilter{Sort: sort, Limit: -1})
	if err != nil {
		return err
	}
	s.audit(c, "churn_exported", "customers", strconv.Itoa(len(rows))+" rows")
	now := s.now()
	return sendCSV(c, "churn-risk.csv", func(w *CSVWriter) error {
		// A failed write surfaces in w.Error() after Flush, returned by sendCSV.
		_ = w.Write([]string{"customer_id", "name", "service", "plan", "monthly_fee_cop", "started_on", "churn_probability",
			"at_stake_cop", "value_12m_cop", "reasons", "model", "scored_on", "last_action"})
		for _, r := range rows {
			rr := toRiskRow(r, now.Sub(r.StartedAt).Hours()/24/30.44)
			prob, scored := "", ""
			if r.Probability >= 0 {
				prob = strconv.FormatFloat(r.Probability, 'f', 4, 64)
				scored = r.ScoredAt.In(bogota).Format("2006-01-02")
			}
			_ = w.Write([]string{r.ExtKey, r.Name, r.Service, r.Plan, strconv.FormatInt(r.MonthlyFeeCOP, 10),
				r.StartedAt.In(bogota).Format("2006-01-02"), prob, strconv.FormatInt(r.AtStakeCOP, 10),
				strconv.FormatInt(rr.Value12, 10), strings.Join(rr.Reasons, "; "), r.Model, scored, r.LastAction})
		}
		return nil
	})
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
		if err := s.churn.ActOnCustomer(c.Request().Context(), id, store.CustomerAction{Kind: kind, ByUser: sessionOf(c).User.ID, Detail: note}); err != nil {
			return err
		}
		s.audit(c, "customer_"+kind, "customer:"+strconv.FormatInt(id, 10), "")
		if c.Request().Header.Get(csrfHeader) != "" {
			return c.NoContent(http.StatusNoContent)
		}
		page, _ := strconv.Atoi(c.FormValue("page"))
		return c.Redirect(http.StatusSeeOther, churnURL(riskSort(c), strings.TrimSpace(c.FormValue("q")), page))
	}
}
