package dashboard

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring/insight"
	"github.com/cis-agencia/cis/store"
)

// analyticsStore is what the analytics pages read: the store's summaries.
type analyticsStore interface {
	Campaigns(ctx context.Context, p store.Period) ([]store.CampaignFacts, error)
	LeadMonths(ctx context.Context, p store.Period) ([]store.LeadMonth, error)
	ContactDelays(ctx context.Context, p store.Period) ([]store.DelayBucket, error)
	Funnel(ctx context.Context, p store.Period) ([]store.FunnelCount, error)
	DimMonths(ctx context.Context, p store.Period) ([]store.DimMonth, error)
	LeadOutcomes(ctx context.Context) ([]store.Outcomes, error)
	NumberOutcomes(ctx context.Context, number int64) ([]store.Outcomes, error)
	ChurnOutcomes(ctx context.Context, now time.Time) ([]store.Outcomes, error)
	SLASince(ctx context.Context, since string, number int64, now time.Time) ([]store.ClassSLA, error)
	ChurnRiskAt(ctx context.Context, threshold float64) (store.ChurnRisk, error)
}

// ModelInfo is what the accuracy page compares live results with: the
// model's training-time ROC AUC (NaN when unknown) and tier thresholds.
type ModelInfo struct {
	Name      string
	TrainAUC  float64
	Hot, Warm float64
}

// churnAtRisk is the churn probability from which a customer's fee counts
// as revenue at risk in the insights.
const churnAtRisk = 0.5

// table is one table of an analytics page: shown as HTML and downloadable
// as CSV (?csv=ID) from the same cells, so the two never disagree.
type table struct {
	ID     string
	Title  string
	Header []string
	Rows   [][]cell
}

// cell is a table cell: Text for people, Raw (when set) for the CSV file.
type cell struct {
	Text, Raw string
	Num       bool // right-aligned
}

func txt(s string) cell { return cell{Text: s} }

type analyticsPage struct {
	page
	Section  string // overview, campaigns, insights, accuracy
	From, To string
	Charts   []namedChart
	Tables   []table
	KPIs     []kpi
	Findings []finding
	Flags    []string // warnings shown above everything (accuracy page)
	Note     string
	// Numbers are the agency's numbers: the Número filter is shown with
	// more than one, on the pages that read per number (Numbered).
	Numbers    []store.Number
	Number     string // the chosen number's id, "" for all
	Numbered   bool
	NumberNote string
}

type namedChart struct {
	ID, Title string
	SVG       template.HTML
}

// newChart keeps the chart's title for the caption shown above it.
func newChart(id, title string, draw func(title string) template.HTML) namedChart {
	return namedChart{ID: id, Title: title, SVG: draw(title)}
}

type kpi struct {
	ID, Label, Value, Hint string
}

// fmtr formats numbers for one page language.
type fmtr struct{ es bool }

func (f fmtr) int(n int) cell {
	return cell{Text: chart.FormatNumber(float64(n), 0, f.es), Raw: strconv.Itoa(n), Num: true}
}
func (f fmtr) cop(v int64) cell {
	return cell{Text: formatCOP(v), Raw: strconv.FormatInt(v, 10), Num: true}
}
func (f fmtr) pct(r insight.Ratio) cell {
	if !r.OK || math.IsNaN(r.V) || math.IsInf(r.V, 0) {
		return cell{Text: "—", Num: true}
	}
	return cell{Text: chart.FormatNumber(100*r.V, 1, f.es) + " %", Raw: strconv.FormatFloat(r.V, 'f', 4, 64), Num: true}
}
func (f fmtr) copRatio(r insight.Ratio) cell {
	if !r.OK {
		return cell{Text: "—", Num: true}
	}
	return cell{Text: formatCOP(int64(r.V)), Raw: strconv.FormatInt(int64(r.V), 10), Num: true}
}
func (f fmtr) dec(v float64, d int) cell {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return cell{Text: "—", Num: true}
	}
	return cell{Text: chart.FormatNumber(v, d, f.es), Raw: strconv.FormatFloat(v, 'f', d, 64), Num: true}
}

// period reads ?from= and ?to= (YYYY-MM-DD, Colombian days); missing or bad
// values fall back to the twelve months up to today.
func (s *Server) period(c echo.Context) (store.Period, string, string) {
	today := s.now().In(bogota)
	p := store.Period{From: today.AddDate(-1, 0, 1).Format("2006-01-02"), To: today.Format("2006-01-02")}
	if v := c.QueryParam("from"); validDay(v) {
		p.From = v
	}
	if v := c.QueryParam("to"); validDay(v) {
		p.To = v
	}
	if p.To < p.From {
		p.From, p.To = p.To, p.From
	}
	return p, p.From, p.To
}

func validDay(v string) bool {
	_, err := time.Parse("2006-01-02", v)
	return err == nil
}

func (s *Server) analyticsBase(c echo.Context, section string) (analyticsPage, string, store.Period) {
	lang := langOf(c)
	p, from, to := s.period(c)
	ap := analyticsPage{page: s.basePage(c, lang), Section: section, From: from, To: to}
	ap.Title = T(lang, "analytics."+section)
	ap.Numbers, p.Number = s.analyticsNumber(c)
	if p.Number != 0 {
		ap.Number = strconv.FormatInt(p.Number, 10)
	}
	return ap, lang, p
}

// analyticsNumber reads ?number=: one of the agency's numbers (an account
// id), 0 for all. With a single number there is nothing to choose.
func (s *Server) analyticsNumber(c echo.Context) ([]store.Number, int64) {
	nums, err := s.queue.Numbers(c.Request().Context())
	if err != nil {
		s.log.Warn("numbers not read: analytics show every number", "err", err)
		return nil, 0
	}
	if len(nums) < 2 {
		return nums, 0
	}
	id, err := strconv.ParseInt(c.QueryParam("number"), 10, 64)
	if err != nil {
		return nums, 0
	}
	for _, n := range nums {
		if n.ID == id {
			return nums, id
		}
	}
	return nums, 0
}

// numberNote says, under a chosen number, what it leaves out.
func numberNote(lang string, ap *analyticsPage) {
	ap.Numbered = true
	if ap.Number != "" {
		ap.NumberNote = T(lang, "analytics.number_note")
	}
}

// renderAnalytics sends the page, or one of its tables as CSV when ?csv= names it.
func (s *Server) renderAnalytics(c echo.Context, p analyticsPage) error {
	if id := c.QueryParam("csv"); id != "" {
		for _, t := range p.Tables {
			if t.ID == id {
				return writeCSV(c, p.Section+"-"+t.ID+"-"+p.To+".csv", t)
			}
		}
		return echo.ErrNotFound
	}
	return c.Render(http.StatusOK, "analytics", p)
}

// writeCSV sends a table as CSV, through the one escaping writer (csv.go).
func writeCSV(c echo.Context, name string, t table) error {
	return sendCSV(c, name, func(w *CSVWriter) error {
		if err := w.Write(t.Header); err != nil {
			return err
		}
		for _, r := range t.Rows {
			rec := make([]string, len(r))
			for i, cl := range r {
				rec[i] = cl.Text
				if cl.Raw != "" {
					rec[i] = cl.Raw
				}
			}
			if err := w.Write(rec); err != nil {
				return err
			}
		}
		return nil
	})
}

// The conversation's main questions in order; follow-up steps count for the
// question they refine.
var funnelSteps = []string{"greeting", "consent", "name", "city", "budget", "urgency", "service"}

// The callback number and the confirmation come after the last question:
// a prospect who stops there counts as stopping at it.
var stepOf = map[string]string{"city_pick": "city", "city_in": "city", "city_foreign": "city", "budget_confirm": "budget",
	"phone": "service", "confirm": "service"}

// funnelRow is one question of the funnel.
type funnelRow struct {
	Step                     string
	Reached, Dropped, Active int
}

// buildFunnel counts, per question, the conversations that reached it,
// those that stopped there (abandoned, refused, handed off, opted out) and
// those still answering it.
func buildFunnel(counts []store.FunnelCount) []funnelRow {
	idx := map[string]int{"done": len(funnelSteps)}
	for i, s := range funnelSteps {
		idx[s] = i
	}
	rows := make([]funnelRow, len(funnelSteps))
	for i, s := range funnelSteps {
		rows[i].Step = s
	}
	for _, f := range counts {
		step := f.Step
		if m, ok := stepOf[step]; ok {
			step = m
		}
		at, ok := idx[step]
		if !ok {
			continue
		}
		for i := 0; i <= at && i < len(rows); i++ {
			rows[i].Reached += f.N
		}
		if at == len(funnelSteps) {
			continue
		}
		switch f.Status {
		case "in_progress":
			rows[at].Active += f.N
		case "completed":
		default:
			rows[at].Dropped += f.N
		}
	}
	return rows
}

// median reads the median delay (minutes, a bucket's lower bound) of the
// buckets of one class ("" for all); ok is false without contacts.
func median(b []store.DelayBucket, class string) (int, bool) {
	var total int
	for _, x := range b {
		if class == "" || x.Class == class {
			total += x.N
		}
	}
	if total == 0 {
		return 0, false
	}
	half, seen := (total+1)/2, 0
	for _, x := range b {
		if class == "" || x.Class == class {
			if seen += x.N; seen >= half {
				return x.Minutes, true
			}
		}
	}
	return 0, false
}

func (f fmtr) minutes(m int, ok bool) cell {
	if !ok {
		return cell{Text: "—", Num: true}
	}
	text := fmt.Sprintf("%d min", m)
	if m >= 120 {
		text = chart.FormatNumber(float64(m)/60, 1, f.es) + " h"
	}
	return cell{Text: text, Raw: strconv.Itoa(m), Num: true}
}

// copFormat prints pesos compactly for charts and headline figures: millions
// ("$7.738 M", "$12,5 M") from a million up.
func copFormat(v float64) string {
	switch {
	case math.Abs(v) >= 1e8:
		return "$" + chart.FormatNumber(v/1e6, 0, true) + " M"
	case math.Abs(v) >= 1e6:
		return "$" + chart.FormatNumber(v/1e6, 1, true) + " M"
	}
	return formatCOP(int64(v))
}

func ratioOf(a, b int) insight.Ratio {
	if b == 0 {
		return insight.Ratio{}
	}
	return insight.Ratio{V: float64(a) / float64(b), OK: true}
}

func (s *Server) campaignRows(ctx context.Context, p store.Period) (camps, chans []insight.ROI, err error) {
	facts, err := s.analytics.Campaigns(ctx, p)
	if err != nil {
		return nil, nil, err
	}
	camps, chans = insight.Campaigns(facts)
	return camps, chans, nil
}

func (s *Server) analyticsCampaigns(c echo.Context) error {
	ctx := c.Request().Context()
	ap, lang, p := s.analyticsBase(c, "campaigns")
	numberNote(lang, &ap)
	f := fmtr{lang == "es"}
	camps, chans, err := s.campaignRows(ctx, p)
	if err != nil {
		return err
	}
	header := func(first string) []string {
		return []string{first, T(lang, "analytics.channel"), T(lang, "analytics.spend"), T(lang, "analytics.messaging"), T(lang, "analytics.leads"), T(lang, "class.hot"),
			T(lang, "class.warm"), T(lang, "class.cold"), T(lang, "analytics.history"), T(lang, "analytics.customers"), T(lang, "analytics.revenue"),
			T(lang, "analytics.cpl"), T(lang, "analytics.cpa"), T(lang, "analytics.roi")}
	}
	row := func(r insight.ROI, name string) []cell {
		ch := channelLabel(lang, r.Channel)
		return []cell{txt(name), txt(ch), f.cop(r.SpendCOP), f.cop(r.MessagingCOP), f.int(r.Leads), f.int(r.Hot), f.int(r.Warm), f.int(r.Cold), f.int(r.Unscored),
			f.int(r.Won), f.cop(r.RevenueCOP), f.copRatio(r.CPL), f.copRatio(r.CPA), f.pct(r.ROI)}
	}
	ct := table{ID: "campaigns", Title: T(lang, "analytics.by_campaign"), Header: header(T(lang, "analytics.campaign"))}
	var labels []string
	var spend, rev []float64
	for _, r := range camps {
		if r.Leads == 0 && r.SpendCOP == 0 && r.MessagingCOP == 0 {
			continue
		}
		name := r.Name
		if !r.Known {
			name = r.Key
			if name == "" {
				name = T(lang, "analytics.no_source")
			}
		}
		ct.Rows = append(ct.Rows, row(r, name))
		labels = append(labels, r.Key) // short: the table beside names it
		spend = append(spend, float64(r.SpendCOP))
		rev = append(rev, float64(r.RevenueCOP))
	}
	cht := table{ID: "channels", Title: T(lang, "analytics.by_channel"), Header: header(T(lang, "analytics.channel"))[1:]}
	for _, r := range chans {
		name := channelLabel(lang, r.Channel)
		cht.Rows = append(cht.Rows, row(r, name)[1:])
		cht.Rows[len(cht.Rows)-1][0] = txt(name)
	}
	ap.Charts = []namedChart{newChart("spend-revenue", T(lang, "analytics.spend_vs_revenue"), func(t string) template.HTML {
		return chart.Bars(t, labels, []chart.Series{{Name: T(lang, "analytics.spend"), Values: spend, Color: chart.Hot},
			{Name: T(lang, "analytics.revenue"), Values: rev, Color: chart.Colour(0)}}, false, copFormat)
	})}
	ap.Tables = []table{ct, cht}
	ap.Note = T(lang, "analytics.attribution")
	return s.renderAnalytics(c, ap)
}

// channelLabel names a campaign channel key (scoring.CampaignChannel's
// facebook, referral, other…) in words.
func channelLabel(lang, ch string) string {
	if ch == "" {
		return T(lang, "analytics.no_channel")
	}
	if l := T(lang, "campaign_channel."+ch); l != "campaign_channel."+ch {
		return l
	}
	return ch // a channel this build does not know: as the file named it
}

// insightFacts reads what the rules need.
func (s *Server) insightFacts(ctx context.Context, p store.Period) (insight.Facts, error) {
	now := s.now()
	local := now.In(bogota)
	week := local.AddDate(0, 0, -((int(local.Weekday()) + 6) % 7)).Format("2006-01-02")
	f := insight.Facts{Now: now, WeekStart: week, ChurnMin: churnAtRisk}
	var err error
	if f.Campaigns, _, err = s.campaignRows(ctx, p); err != nil {
		return f, err
	}
	if f.Dims, err = s.analytics.DimMonths(ctx, store.Period{From: local.AddDate(-2, 0, 0).Format("2006-01-02"), Number: p.Number}); err != nil {
		return f, err
	}
	if f.SLA, err = s.analytics.SLASince(ctx, week, p.Number, now); err != nil {
		return f, err
	}
	if f.Hours, err = s.weeks.StaffingByHour(ctx, now.Add(-staffingLookback), now, p.Number); err != nil {
		return f, err
	}
	if f.Churn, err = s.analytics.ChurnRiskAt(ctx, churnAtRisk); err != nil {
		return f, err
	}
	obs, err := s.analytics.NumberOutcomes(ctx, p.Number)
	if err != nil {
		return f, err
	}
	f.Drop = insight.LiveDrop(obs, s.modelInfo().TrainAUC)
	return f, nil
}

func (s *Server) modelInfo() ModelInfo { return s.models.LeadModel() }

// churnModelInfo is the active churn model's training AUC and tiers. Without
// one the tiers are placeholders (high risk from churnAtRisk, medium from
// half of it) and the AUC is NaN, so no drop can be flagged.
func (s *Server) churnModelInfo(ctx context.Context) ModelInfo {
	info := ModelInfo{TrainAUC: math.NaN(), Hot: churnAtRisk, Warm: churnAtRisk / 2}
	m, err := s.models.ChurnModel(ctx)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("churn model not read: accuracy page uses fallback tiers", "err", err)
		}
		return info
	}
	return m
}

func (s *Server) analyticsInsights(c echo.Context) error {
	ctx := c.Request().Context()
	ap, lang, p := s.analyticsBase(c, "insights")
	numberNote(lang, &ap)
	f := fmtr{lang == "es"}
	facts, err := s.insightFacts(ctx, p)
	if err != nil {
		return err
	}
	rules := append(insight.Rules(), s.rules...)
	t := table{ID: "findings", Title: T(lang, "analytics.findings"), Header: []string{T(lang, "analytics.level"), T(lang, "analytics.rule"),
		T(lang, "analytics.finding"), T(lang, "analytics.cases")}}
	for _, x := range insight.Run(facts, rules) {
		text := findingText(lang, x)
		ap.Findings = append(ap.Findings, finding{Level: x.Level, Text: text})
		t.Rows = append(t.Rows, []cell{txt(T(lang, "level."+x.Level)), txt(x.Rule), txt(text), f.int(x.N)})
	}
	rt := table{ID: "rules", Title: T(lang, "analytics.rules"), Header: []string{T(lang, "analytics.rule"), T(lang, "analytics.min_sample")}}
	for _, r := range rules {
		rt.Rows = append(rt.Rows, []cell{txt(r.Name), f.int(r.MinSample)})
	}
	ap.Tables = []table{t, rt}
	return s.renderAnalytics(c, ap)
}

// accuracyModel is one model on the accuracy page: its live outcomes and
// what they are compared with.
type accuracyModel struct {
	id, name string
	obs      []store.Outcomes
	th       insight.Thresholds
	train    float64
	classes  bool
	tiers    [3]string
	retrain  string
}

func (s *Server) analyticsAccuracy(c echo.Context) error {
	ctx := c.Request().Context()
	ap, lang, p := s.analyticsBase(c, "accuracy")
	numberNote(lang, &ap)
	f := fmtr{lang == "es"}
	info, cinfo := s.modelInfo(), s.churnModelInfo(ctx)
	leads, err := s.analytics.NumberOutcomes(ctx, p.Number)
	if err != nil {
		return err
	}
	churn, err := s.analytics.ChurnOutcomes(ctx, s.now())
	if err != nil {
		return err
	}
	for _, m := range []accuracyModel{
		{"lead", T(lang, "analytics.lead_model"), leads, insight.Thresholds{Hot: info.Hot, Warm: info.Warm}, info.TrainAUC, true,
			[3]string{T(lang, "class.hot"), T(lang, "class.warm"), T(lang, "class.cold")}, "cis train"},
		{"churn", T(lang, "analytics.churn_model"), churn, insight.Thresholds{Hot: cinfo.Hot, Warm: cinfo.Warm}, cinfo.TrainAUC, false,
			[3]string{T(lang, "risk.high"), T(lang, "risk.medium"), T(lang, "risk.low")}, "cis train churn"},
	} {
		if len(m.obs) == 0 {
			ap.Flags = append(ap.Flags, m.name+": "+T(lang, "analytics.no_outcomes"))
			continue
		}
		accuracySection(&ap, lang, m, insight.Evaluate(m.obs, m.th))
	}
	ap.Note = fmt.Sprintf(T(lang, "analytics.accuracy_note"), insight.MinLive, f.dec(insight.Margin, 2).Text)
	return s.renderAnalytics(c, ap)
}

// accuracySection adds one model's flags, figures, charts and tables.
func accuracySection(ap *analyticsPage, lang string, m accuracyModel, a insight.Accuracy) {
	f := fmtr{lang == "es"}
	drop := insight.LiveDrop(m.obs, m.train)
	if drop.Flag {
		ap.Flags = append(ap.Flags, fmt.Sprintf(T(lang, "analytics.flag_drop"), m.name, f.dec(drop.Live, 3).Text, f.dec(drop.Train, 3).Text, f.dec(insight.Margin, 2).Text, m.retrain))
	}
	if a.HotNotBest {
		ap.Flags = append(ap.Flags, m.name+": "+T(lang, "analytics.flag_hot"))
	}
	ap.KPIs = append(ap.KPIs,
		kpi{"kpi-" + m.id + "-n", m.name + " · " + T(lang, "analytics.closed"), f.int(a.N).Text, ""},
		kpi{"kpi-" + m.id + "-auc", m.name + " · " + T(lang, "analytics.live_auc"), f.dec(a.AUC, 3).Text, T(lang, "analytics.train_auc") + " " + f.dec(m.train, 3).Text})
	pt := accuracyMonths(ap, lang, m, a)
	var pts []chart.Point
	ct := table{ID: m.id + "-calibration", Title: m.name + " · " + T(lang, "analytics.calibration"), Header: []string{T(lang, "analytics.mean_predicted"),
		T(lang, "analytics.observed"), T(lang, "analytics.closed")}}
	for _, b := range a.Calibration {
		pts = append(pts, chart.Point{Predicted: b.Predicted, Observed: b.Observed, N: b.N})
		ct.Rows = append(ct.Rows, []cell{f.pct(insight.Ratio{V: b.Predicted, OK: true}), f.pct(insight.Ratio{V: b.Observed, OK: true}), f.int(b.N)})
	}
	ap.Charts = append(ap.Charts, newChart(m.id+"-calibration", m.name+" · "+T(lang, "analytics.calibration"), func(t string) template.HTML {
		return chart.Calibration(t, T(lang, "analytics.mean_predicted"), T(lang, "analytics.observed"), pts, f.es)
	}))
	cf := table{ID: m.id + "-confusion", Title: m.name + " · " + fmt.Sprintf(T(lang, "analytics.confusion"), m.tiers[0], f.dec(m.th.Hot, 2).Text, m.tiers[1], f.dec(m.th.Warm, 2).Text),
		Header: []string{T(lang, "analytics.predicted_tier"), T(lang, "analytics.came_true"), T(lang, "analytics.did_not"), T(lang, "analytics.observed")}}
	for i, tier := range m.tiers {
		row := a.Confusion[i]
		cf.Rows = append(cf.Rows, []cell{txt(tier), f.int(row[0]), f.int(row[1]), f.pct(ratioOf(row[0], row[0]+row[1]))})
	}
	ap.Tables = append(ap.Tables, pt, ct, cf)
	if m.classes {
		kt := table{ID: m.id + "-classes", Title: m.name + " · " + T(lang, "analytics.conversion_by_class"), Header: []string{T(lang, "analytics.class"),
			T(lang, "analytics.closed"), T(lang, "analytics.won"), T(lang, "analytics.conversion"), T(lang, "analytics.ci95")}}
		for _, k := range a.Classes {
			kt.Rows = append(kt.Rows, []cell{txt(T(lang, "class."+k.Class)), f.int(k.N), f.int(k.Pos), f.pct(k.Rate),
				txt(chart.FormatNumber(100*k.Lo, 1, f.es) + "–" + chart.FormatNumber(100*k.Hi, 1, f.es) + " %")})
		}
		ap.Tables = append(ap.Tables, kt)
	}
}

// accuracyMonths adds a model's AUC and predicted-vs-observed charts by
// month and returns their table.
func accuracyMonths(ap *analyticsPage, lang string, m accuracyModel, a insight.Accuracy) table {
	f := fmtr{lang == "es"}
	var labels []string
	var aucs, meanP, rates []float64
	pt := table{ID: m.id + "-months", Title: m.name + " · " + T(lang, "analytics.by_month"), Header: []string{T(lang, "analytics.month"),
		T(lang, "analytics.closed"), T(lang, "analytics.came_true"), T(lang, "analytics.mean_predicted"), T(lang, "analytics.observed"), "ROC AUC"}}
	for _, p := range a.Periods {
		if p.N < insight.MinPeriod {
			p.AUC = math.NaN() // a handful of outcomes says nothing about ranking
		}
		labels = append(labels, p.Month)
		aucs = append(aucs, p.AUC)
		meanP = append(meanP, p.MeanP)
		rates = append(rates, p.Rate)
		pt.Rows = append(pt.Rows, []cell{txt(p.Month), f.int(p.N), f.int(p.Pos), f.pct(insight.Ratio{V: p.MeanP, OK: true}),
			f.pct(insight.Ratio{V: p.Rate, OK: true}), f.dec(p.AUC, 3)})
	}
	ap.Charts = append(ap.Charts, newChart(m.id+"-auc", m.name+" · "+T(lang, "analytics.auc_by_month"), func(t string) template.HTML {
		return chart.Lines(t, labels, []chart.Series{{Name: "ROC AUC", Values: aucs}}, chart.Number(2, f.es))
	}), newChart(m.id+"-rates", m.name+" · "+T(lang, "analytics.predicted_vs_observed"), func(t string) template.HTML {
		return chart.Lines(t, labels, []chart.Series{{Name: T(lang, "analytics.mean_predicted"), Values: meanP},
			{Name: T(lang, "analytics.observed"), Values: rates}}, chart.Percent(0, f.es))
	}))
	return pt
}
