// Package report renders the model report (issue 8) as one self-contained
// HTML file: inline CSS, inline SVG charts from dashboard/chart, no script
// and no external URL, so it opens offline and can be mailed. The command
// `cis report` and the dashboard's model page both use Render; the numbers
// come from modelreport.Report, computed in package scoring.
package report

import (
	"embed"
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"

	"github.com/cis-agencia/cis/dashboard/chart"
	"github.com/cis-agencia/cis/scoring/learn"
	"github.com/cis-agencia/cis/scoring/modelreport"
)

//go:embed templates/report.html
var files embed.FS

var page = template.Must(template.New("report.html").Funcs(template.FuncMap{
	"t": T,
	"share": func(n, of int) float64 {
		if of == 0 {
			return 0
		}
		return float64(n) / float64(of)
	},
	"sub": func(a, b int) int { return a - b },
}).ParseFS(files, "templates/report.html"))

// fieldView is one input's exploration block.
type fieldView struct {
	Name  string
	Kind  learn.Kind
	Chart template.HTML
	Bins  []modelreport.Bin
}

type view struct {
	Lang string
	R    *modelreport.Report
	Rate float64

	MissingChart     template.HTML
	Fields           []fieldView
	MonthlyChart     template.HTML
	ImportanceChart  template.HTML
	CalibrationChart template.HTML
	TierChart        template.HTML
	Why              []string
	Notes            []string
	Pct              func(float64) string
	Num              func(float64) string
	Int              func(int) string
	Metric           func(float64) string
	How              func(modelreport.FeatureDoc) string
	Drift            func(float64) string
}

// Render writes the whole report in lang ("es", the default, or "en").
func Render(w io.Writer, r *modelreport.Report, lang string) error {
	if lang != "en" {
		lang = "es"
	}
	es := lang == "es"
	v := view{Lang: lang, R: r,
		Pct:    chart.Percent(1, es),
		Num:    chart.Number(0, es),
		Metric: chart.Number(4, es),
	}
	v.Int = func(n int) string { return v.Num(float64(n)) }
	v.How = func(f modelreport.FeatureDoc) string { return how(lang, f, v.Num, chart.Number(3, es)) }
	v.Drift = func(psi float64) string { return driftWord(lang, psi) }
	if r.Rows > 0 {
		v.Rate = float64(r.Positives) / float64(r.Rows)
	}

	var labels []string
	var shares []float64
	for _, m := range r.Data.Missing {
		labels = append(labels, m.Label)
		shares = append(shares, float64(m.Rows)/float64(max(r.Rows, 1)))
	}
	v.MissingChart = chart.HBars(T(lang, "data.missing"), labels, shares, chart.Percent(1, es), chart.Palette[5])

	for _, f := range r.Fields {
		rows := make([]chart.Rate, len(f.Bins))
		for j, b := range f.Bins {
			rows[j] = chart.Rate{Label: b.Label, Rate: b.Rate, Lo: b.Lo, Hi: b.Hi, N: b.N}
		}
		v.Fields = append(v.Fields, fieldView{Name: f.Name, Kind: f.Kind, Bins: f.Bins,
			Chart: chart.Rates(T(lang, "explore.rate_by")+" "+f.Name, rows, v.Rate, es)})
	}
	if len(r.Monthly) > 0 {
		var months []string
		var rates, lo, hi []float64
		for _, m := range r.Monthly {
			months = append(months, m.Label)
			rates, lo, hi = append(rates, m.Rate), append(lo, m.Lo), append(hi, m.Hi)
		}
		v.MonthlyChart = chart.Lines(T(lang, "explore.monthly"), months, []chart.Series{
			{Name: T(lang, "explore.rate"), Values: rates},
			{Name: T(lang, "explore.ci_low"), Values: lo, Color: "#98a2b3"},
			{Name: T(lang, "explore.ci_high"), Values: hi, Color: "#98a2b3"},
		}, chart.Percent(1, es))
	}
	var names []string
	var drops []float64
	for _, im := range r.Importance {
		names = append(names, im.Input)
		drops = append(drops, im.Drop)
	}
	v.ImportanceChart = chart.HBars(T(lang, "features.importance"), names, drops, chart.Number(4, es), chart.Palette[1])
	pts := make([]chart.Point, len(r.Calibration))
	for i, p := range r.Calibration {
		pts[i] = chart.Point{Predicted: p.Predicted, Observed: p.Observed, N: p.N}
	}
	v.CalibrationChart = chart.Calibration(T(lang, "train.calibration"), T(lang, "train.predicted"), T(lang, "train.observed"), pts, es)
	var tiers []chart.Rate
	for _, t := range r.Tiers {
		lo, hi := learn.Wilson(t.Positives, t.Predicted)
		tiers = append(tiers, chart.Rate{Label: T(lang, "tier."+t.Class), Rate: t.Rate, Lo: lo, Hi: hi, N: t.Predicted})
	}
	v.TierChart = chart.Rates(T(lang, "train.tier_rates"), tiers, v.Rate, es)
	v.Why = why(lang, r, v.Metric)
	for _, n := range r.Data.Notes {
		key, arg, _ := strings.Cut(n, ":")
		v.Notes = append(v.Notes, strings.ReplaceAll(T(lang, "note."+key), "{n}", arg))
	}
	if err := page.Execute(w, v); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	return nil
}

// why explains the choice of the scoring model from the comparison.
func why(lang string, r *modelreport.Report, f func(float64) string) []string {
	var raw, chosen, best *learn.Result
	for i := range r.Results {
		m := &r.Results[i]
		switch m.Name {
		case learn.ProductionModel:
			raw = m
		case learn.CalibratedModel:
			chosen = m
		}
		if m.Name != learn.CalibratedModel && (best == nil || m.Mean.ROCAUC > best.Mean.ROCAUC) {
			best = m
		}
	}
	out := []string{T(lang, "why.forest")}
	if r.Setting != "" {
		out = append(out, fmt.Sprintf(T(lang, "why.setting"), r.Setting))
	}
	switch {
	case raw != nil && chosen != nil && r.CalMethod == "blend":
		out = append(out, fmt.Sprintf(T(lang, "why.blend"), f(chosen.Mean.Brier), f(raw.Mean.Brier), f(chosen.Mean.LogLoss), f(raw.Mean.LogLoss)))
	case raw != nil && chosen != nil:
		out = append(out, fmt.Sprintf(T(lang, "why.calibration"), r.CalMethod, f(chosen.Mean.Brier), f(raw.Mean.Brier), f(chosen.Mean.LogLoss), f(raw.Mean.LogLoss)))
	}
	if best != nil && chosen != nil {
		gap := best.Mean.ROCAUC - chosen.Mean.ROCAUC
		if best.Name == learn.ProductionModel || gap <= 0 {
			out = append(out, fmt.Sprintf(T(lang, "why.best"), f(chosen.Mean.ROCAUC)))
		} else {
			out = append(out, fmt.Sprintf(T(lang, "why.gap"), best.Name, f(best.Mean.ROCAUC), f(chosen.Mean.ROCAUC), f(gap)))
		}
	}
	return out
}

// how says in words how a feature is built.
func how(lang string, f modelreport.FeatureDoc, n, dec chart.Format) string {
	desc := T(lang, "feat."+f.Name)
	if desc == "feat."+f.Name {
		desc = ""
	}
	var enc string
	switch f.Kind {
	case learn.Numeric:
		enc = fmt.Sprintf(T(lang, "enc.numeric"), dec(f.Median))
	case learn.TargetRate:
		enc = fmt.Sprintf(T(lang, "enc.rate"), n(float64(f.Levels)))
	default:
		enc = fmt.Sprintf(T(lang, "enc.categorical"), n(float64(f.Levels)), n(float64(max(f.MinCount, 1))))
	}
	if desc == "" {
		return enc
	}
	return desc + ". " + enc
}

func driftWord(lang string, psi float64) string {
	switch {
	case math.IsNaN(psi) || psi < 0.1:
		return T(lang, "drift.stable")
	case psi < 0.25:
		return T(lang, "drift.moderate")
	}
	return T(lang, "drift.large")
}
