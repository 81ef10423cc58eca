package dashboard

import (
	"context"
	"html/template"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring/insight"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/store"
)

// analyticsOverview reads the period's summaries; insight sums them and
// overviewView words and draws them.
func (s *Server) analyticsOverview(c echo.Context) error {
	ap, lang, p := s.analyticsBase(c, "overview")
	numberNote(lang, &ap)
	v, err := s.overview(c.Request().Context(), p)
	if err != nil {
		return err
	}
	v.lang, v.f = lang, fmtr{lang == "es"}
	monthsT, monthCharts := v.months()
	convT, convChart := v.conversion()
	funT, funChart := v.funnel()
	ap.Charts = append(monthCharts, convChart, funChart)
	ap.Tables = []table{monthsT, convT, funT, v.sla()}
	ap.KPIs = v.kpis()
	return s.renderAnalytics(c, ap)
}

// overviewView is the overview page's numbers, to be worded in lang.
type overviewView struct {
	lang   string
	f      fmtr
	sum    insight.Overview
	delays []store.DelayBucket
	steps  []funnelRow
	late   []store.ClassSLA // this period's lateness by class
}

func (s *Server) overview(ctx context.Context, p store.Period) (overviewView, error) {
	var v overviewView
	months, err := s.analytics.LeadMonths(ctx, p)
	if err != nil {
		return v, err
	}
	v.sum = insight.Summarize(months)
	if v.delays, err = s.analytics.ContactDelays(ctx, p); err != nil {
		return v, err
	}
	funnel, err := s.analytics.Funnel(ctx, p)
	if err != nil {
		return v, err
	}
	v.steps = buildFunnel(funnel)
	v.late, err = s.analytics.SLASince(ctx, p.From, p.Number, s.now())
	return v, err
}

func (v overviewView) className(c string) string {
	if c == "" {
		return T(v.lang, "analytics.history")
	}
	return T(v.lang, "class."+c)
}

// months is leads by class over time and revenue by month: a table and
// two charts.
func (v overviewView) months() (table, []namedChart) {
	lang, f, sum := v.lang, v.f, v.sum
	colours := map[string]string{"hot": chart.Hot, "warm": chart.Warm, "cold": chart.Cold, "": "#98a2b3"}
	var series []chart.Series
	for _, cl := range insight.Classes() {
		sr := chart.Series{Name: v.className(cl), Color: colours[cl]}
		for _, m := range sum.Months {
			sr.Values = append(sr.Values, float64(sum.ByMonth[m][cl].N))
		}
		series = append(series, sr)
	}
	t := table{ID: "months", Title: T(lang, "analytics.by_month"), Header: []string{T(lang, "analytics.month"),
		T(lang, "class.hot"), T(lang, "class.warm"), T(lang, "class.cold"), T(lang, "analytics.history"), T(lang, "analytics.won"), T(lang, "analytics.revenue")}}
	var revenue []float64
	for _, m := range sum.Months {
		var rev int64
		var won int
		row := []cell{txt(m)}
		for _, cl := range insight.Classes() {
			row = append(row, f.int(sum.ByMonth[m][cl].N))
			rev += sum.ByMonth[m][cl].RevenueCOP
			won += sum.ByMonth[m][cl].Won
		}
		revenue = append(revenue, float64(rev))
		t.Rows = append(t.Rows, append(row, f.int(won), f.cop(rev)))
	}
	return t, []namedChart{
		newChart("leads-by-class", T(lang, "analytics.leads_by_class"), func(t string) template.HTML {
			return chart.Bars(t, sum.Months, series, true, chart.Number(0, f.es))
		}),
		newChart("revenue", T(lang, "analytics.revenue_by_month"), func(t string) template.HTML {
			return chart.Bars(t, sum.Months, []chart.Series{{Name: T(lang, "analytics.revenue"), Values: revenue}}, false, copFormat)
		})}
}

// conversion is conversion by class, with its 95 % interval.
func (v overviewView) conversion() (table, namedChart) {
	lang, f := v.lang, v.f
	t := table{ID: "conversion", Title: T(lang, "analytics.conversion_by_class"), Header: []string{T(lang, "analytics.class"),
		T(lang, "analytics.leads"), T(lang, "analytics.won"), T(lang, "analytics.lost"), T(lang, "analytics.conversion"), T(lang, "analytics.ci95"), T(lang, "analytics.revenue")}}
	var labels []string
	var vals []float64
	for _, cl := range insight.Classes() {
		c, ok := v.sum.PerClass[cl]
		if !ok {
			continue
		}
		rate := ratioOf(c.Won, c.Won+c.Lost)
		lo, hi := learn.Wilson(c.Won, c.Won+c.Lost)
		ci := cell{Text: "—"}
		if c.Won+c.Lost > 0 {
			ci = txt(chart.FormatNumber(100*lo, 1, f.es) + "–" + chart.FormatNumber(100*hi, 1, f.es) + " %")
		}
		t.Rows = append(t.Rows, []cell{txt(v.className(cl)), f.int(c.N), f.int(c.Won), f.int(c.Lost), f.pct(rate), ci, f.cop(c.RevenueCOP)})
		labels = append(labels, v.className(cl))
		vals = append(vals, rate.V)
	}
	return t, newChart("conversion", T(lang, "analytics.conversion_by_class"), func(t string) template.HTML {
		return chart.HBars(t, labels, vals, chart.Percent(1, f.es), chart.Colour(0))
	})
}

// funnel is the share of prospects who stop at each question.
func (v overviewView) funnel() (table, namedChart) {
	lang, f := v.lang, v.f
	t := table{ID: "funnel", Title: T(lang, "analytics.funnel"), Header: []string{T(lang, "analytics.question"),
		T(lang, "analytics.reached"), T(lang, "analytics.dropped"), T(lang, "analytics.drop_share"), T(lang, "analytics.answering")}}
	var labels []string
	var vals []float64
	for _, r := range v.steps {
		share := ratioOf(r.Dropped, r.Reached)
		t.Rows = append(t.Rows, []cell{txt(T(lang, "step."+r.Step)), f.int(r.Reached), f.int(r.Dropped), f.pct(share), f.int(r.Active)})
		labels = append(labels, T(lang, "step."+r.Step))
		vals = append(vals, share.V)
	}
	return t, newChart("funnel", T(lang, "analytics.funnel_chart"), func(t string) template.HTML {
		return chart.HBars(t, labels, vals, chart.Percent(1, f.es), chart.Hot)
	})
}

// sla is SLA compliance and time to first contact by class (live leads):
// leads, contacts and lateness of the period; open leads past their
// deadline are counted now, among those completed since the period began.
func (v overviewView) sla() table {
	lang, f := v.lang, v.f
	t := table{ID: "sla", Title: T(lang, "analytics.sla"), Header: []string{T(lang, "analytics.class"), T(lang, "analytics.leads"),
		T(lang, "analytics.contacted"), T(lang, "analytics.in_sla"), T(lang, "analytics.late"), T(lang, "analytics.open_overdue"), T(lang, "analytics.median_contact")}}
	overdueBy := map[string]int{}
	for _, x := range v.late {
		overdueBy[x.Class] = x.OpenOverdue
	}
	for _, cl := range insight.Classes()[:3] {
		c, ok := v.sum.PerClass[cl]
		if !ok {
			continue
		}
		m, mok := median(v.delays, cl)
		t.Rows = append(t.Rows, []cell{txt(v.className(cl)), f.int(c.N), f.int(c.Contacted), f.pct(ratioOf(c.InSLA, c.Contacted)),
			f.int(c.Contacted - c.InSLA), f.int(overdueBy[cl]), f.minutes(m, mok)})
	}
	return t
}

// kpis are the headline figures above the charts.
func (v overviewView) kpis() []kpi {
	lang, f, all, live := v.lang, v.f, v.sum.All, v.sum.Live
	var overdue int
	for _, x := range v.late {
		overdue += x.OpenOverdue
	}
	med, medOK := median(v.delays, "")
	return []kpi{
		{"kpi-leads", T(lang, "analytics.leads"), f.int(all.N).Text, ""},
		{"kpi-conversion", T(lang, "analytics.conversion"), f.pct(ratioOf(all.Won, all.Won+all.Lost)).Text, T(lang, "analytics.conversion_hint")},
		{"kpi-revenue", T(lang, "analytics.revenue"), copFormat(float64(all.RevenueCOP)), formatCOP(all.RevenueCOP)},
		{"kpi-sla", T(lang, "analytics.in_sla"), f.pct(ratioOf(live.InSLA, live.Contacted)).Text, T(lang, "analytics.sla_hint")},
		{"kpi-median", T(lang, "analytics.median_contact"), f.minutes(med, medOK).Text, T(lang, "analytics.median_hint")},
		{"kpi-overdue", T(lang, "analytics.open_overdue"), f.int(overdue).Text, ""},
	}
}
