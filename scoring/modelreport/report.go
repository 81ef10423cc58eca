// Package modelreport computes the model report (cis report, the
// dashboard's model page): data quality and cleaning, every input's
// distribution and conversion, drift, the comparison, calibration and tiers
// of a stored lead model or of any prepared CSV. It returns numbers only;
// dashboard/report words and renders them.
package modelreport

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring"
	"github.com/cis-agencia/cis/scoring/learn"
)

// Report is everything the model report shows (cis report, the
// dashboard's model page), computed from the data the model was trained
// on. dashboard/report renders it; nothing here formats for a reader.
type Report struct {
	Source    string // what was reported: "model 3" or a CSV file's base name
	Generated time.Time
	Target    string // what is predicted: "converted", or the CSV's target column
	Positive  string // the target value counted as positive
	Rows      int
	Positives int

	Data DataQuality

	Fields      []FieldProfile // every input: distribution and rate per value or bin
	Monthly     []Bin          // rate by calendar month (empty without dates)
	Drift       []Drift        // newest rows against the older ones, per input
	DriftWindow string         // which rows are "newest"

	Features   []FeatureDoc
	Importance []learn.Importance

	Results     []learn.Result // the comparison: every model, every metric
	Folds       int
	HoldoutNote string
	Chosen      string // the model that scores (learn.CalibratedModel)
	CalMethod   string // "isotonic", "platt", "identity", or "blend" (the forest-first blend)
	// Setting is the production forest's setting (learn.ForestParams.String
	// and, with the blend, its correction); Settings what the tuning chose
	// in each cross-validation fold.
	Setting     string
	Settings    []string
	Calibration []CalPoint
	Hot, Warm   float64
	Tiers       []learn.ClassStats         // at Hot/Warm on the calibrated out-of-fold predictions
	Trials      []scoring.FieldTrialResult // candidate features on the hold-out, when measured
}

// DataQuality is the data-and-cleaning section.
type DataQuality struct {
	Read       int     // rows in the source
	Kept       int     // rows the model learned from
	Rejected   []Count // rows refused, by reason
	Duplicates int     // rows identical to an earlier one (how they were handled: DuplicateNote)
	DupNote    string  // "removed" or "kept"
	Normalised []Count // e.g. `city "medallo" → Medellín (05001)`, `budget text parsed`
	Missing    []Count // per input field: rows without a value
	Dropped    []learn.Dropped
	Notes      []string
}

// Count is a labelled number of rows.
type Count struct {
	Label string `json:"label"`
	Rows  int    `json:"rows"`
}

// FieldProfile is one input's distribution and conversion by value or bin.
type FieldProfile struct {
	Name string
	Kind learn.Kind
	Bins []Bin
}

// Bin is a group of rows with its conversion rate and 95 % Wilson interval.
type Bin struct {
	Label      string
	N, Pos     int
	Rate       float64
	Lo, Hi     float64
	Share      float64 // of all rows
	lo, hi     float64 // numeric bin bounds [lo, hi)
	levelMatch string  // categorical level; binOf keeps the missing bin last
}

// Drift compares one input's distribution in the newest rows with the older
// ones: population stability index over the field's bins (below 0.1 stable,
// 0.1–0.25 moderate, above 0.25 large, by the usual rule of thumb) and the
// bin whose share moved most.
type Drift struct {
	Field              string
	PSI                float64
	Bin                string
	OldShare, NewShare float64
	OldRate, NewRate   float64 // conversion of all rows in each window
}

// FeatureDoc says how one input enters the model.
type FeatureDoc struct {
	Name     string
	Kind     learn.Kind
	Levels   int     // categorical: one-hot columns; target rate: levels with a rate
	Median   float64 // numeric: what a missing value becomes
	MinCount int     // categorical levels rarer than this are pooled as "(other)"
}

// CalPoint is one calibration bin: mean predicted probability against the
// observed rate.
type CalPoint struct {
	Predicted, Observed float64
	N                   int
}

// reportInput is what both report sources provide.
type reportInput struct {
	d       *learn.Dataset
	dates   []time.Time // per row, oldest first; nil when the rows have none
	order   []int       // rows oldest first
	note    string
	oof     []float64 // the production forest's out-of-fold votes
	cal     learn.Calibration
	method  string // CalMethod
	hot     float64
	warm    float64
	results []learn.Result
	imp     []learn.Importance
	folds   int
	enc     *learn.Encoder // fitted on every row, for the feature list
	label   func(field string, v float64) string
	names   map[string]string // city code → name, for labels
}

// Options steer the reports.
type Options struct {
	Trees int // forests refitted for out-of-fold predictions and importance; 100 when zero
	Folds int // 5 when zero
	Seed  uint64
	Now   func() time.Time
	// Progress, when set, follows the cross-validation.
	Progress func(done, total int, step string)
}

func (o *Options) defaults() {
	if o.Trees == 0 {
		o.Trees = 100
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// ForModel builds the report of a stored lead model from the labelled
// leads it was trained on. The bundle keeps the comparison, the
// calibration and the thresholds but not out-of-fold predictions, so the
// production forest is cross-validated again on the same leads (o.Trees
// trees, same folds for every input) to draw the calibration plot, the tiers'
// observed conversion, the confusion matrix and the permutation importance.
// That takes minutes on a large history: when ctx ends, ForModel stops at
// the next fold (learn.Options.Stop, scoring.FieldTrial's ctx) and returns
// ctx.Err().
func ForModel(ctx context.Context, id int64, b *scoring.Bundle, ex []scoring.Example, q DataQuality, o Options) (*Report, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	o.defaults()
	if len(ex) == 0 {
		return nil, errors.New("report: no labelled leads in the store to report on")
	}
	fields := b.Schema.Encoder.Inputs
	ex, d, sum := scoring.ReportDataset(ex, fields)
	if sum != b.DataSHA256 {
		q.Notes = append(q.Notes, "data_changed")
	}
	// The bundle's own setting, refitted with the report's trees: tuning it
	// again in every fold would cost several forests per fold.
	var fixed *learn.ForestParams
	if b.Tuning != nil {
		p := b.Tuning.Chosen
		p.Trees = min(max(p.Trees, 1), o.Trees)
		fixed = &p
	}
	specs := learn.ModelsWith(o.Trees, fixed)
	specs = specs[:1]
	if b.Blend != nil {
		// The blend scores: its partners are cross-validated too, so that
		// the calibration plot and the tiers are the blend's.
		for _, s := range learn.ModelsWith(o.Trees, fixed) {
			if s.Name == learn.BoostPartner || s.Name == learn.LinearPartner {
				specs = append(specs, s)
			}
		}
	}
	rep, err := learn.Compare(d, specs, learn.Options{
		Folds: o.Folds, Seed: o.Seed, MinCount: b.Schema.Encoder.MinCount, Importance: true, Progress: o.Progress, Stop: ctx.Err,
	})
	if err := ctx.Err(); err != nil {
		return nil, err // stopped (or finished as it ended): nothing to show
	}
	if err != nil {
		// ErrTiersNotOrdered included: the refitted forest does not rank
		// these leads at all, and a report would only mislead.
		return nil, fmt.Errorf("report: %w", err)
	}
	// The same trial as cis train --trial-fields, with the report's trees so
	// it costs about as much as one more cross-validation: the report then
	// shows whether each candidate conversation feature earns its place.
	trials, err := scoring.FieldTrial(ctx, ex, o.Trees, nil)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	dates := make([]time.Time, len(ex))
	for i, e := range ex {
		dates[i] = e.Lead.CompletedAt
	}
	oof, cal, method := scoringOOF(rep, b.Calibration, b.Blend != nil)
	in := reportInput{d: d, dates: dates, order: seq(len(ex)), note: "leads ordered by date",
		oof: oof, cal: cal, method: method, hot: b.Thresholds.Hot, warm: b.Thresholds.Warm,
		results: b.Metrics, imp: rep.Results[0].Importance, folds: rep.Folds, enc: &b.Schema.Encoder, label: leadLabel, names: b.Schema.CityNames}
	r := build(in, q)
	r.Source, r.Generated, r.Target, r.Positive = "model "+strconv.FormatInt(id, 10), o.Now().UTC(), "converted", "1"
	r.Setting = b.Setting()
	for _, m := range b.Metrics {
		if m.Name == learn.ProductionModel {
			r.Settings = m.Settings
		}
	}
	r.Trials = trials
	for _, m := range b.Metrics {
		if m.Holdout != nil {
			r.HoldoutNote = "leads ordered by date"
		}
	}
	return r, nil
}

// ForTable builds the report of any prepared CSV (cis report --csv):
// the full comparison of specs with the hold-out in order, then the same
// sections as for a lead model. dates may be nil.
func ForTable(name string, d *learn.Dataset, specs []learn.Spec, order []int, note string, dates []time.Time, q DataQuality, o Options) (*Report, error) {
	o.defaults()
	rep, err := learn.Compare(d, specs, learn.Options{Folds: o.Folds, Seed: o.Seed, Holdout: order, HoldNote: note,
		Importance: true, Progress: o.Progress})
	if err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	var forest *learn.Result
	for i := range rep.Results {
		if rep.Results[i].Name == learn.ProductionModel {
			forest = &rep.Results[i]
		}
	}
	if forest == nil {
		return nil, errors.New("report: the comparison must include the production forest")
	}
	oof, cal, method := scoringOOF(rep, rep.Calibration, rep.Production == learn.BlendModel)
	in := reportInput{d: d, dates: dates, order: order, note: note, oof: oof, cal: cal, method: method,
		hot: rep.Hot, warm: rep.Warm, results: rep.Results, imp: forest.Importance, folds: rep.Folds,
		enc: learn.FitEncoder(d, seq(len(d.Y)))}
	r := build(in, q)
	r.Source, r.Generated, r.Target, r.Positive = name, o.Now().UTC(), d.Table.Names[targetIndex(d)], d.Positive
	r.HoldoutNote = note
	r.Settings = forest.Settings
	return r, nil
}

// scoringOOF returns the out-of-fold predictions of the model that scores
// in the comparison rep, the calibration still to apply to them and its
// name: with blend, the forest-first blend's own probabilities, else the
// production forest's votes and cal.
func scoringOOF(rep *learn.Report, cal learn.Calibration, blend bool) ([]float64, learn.Calibration, string) {
	var forest, blended []float64
	for _, r := range rep.Results {
		switch r.Name {
		case learn.BlendModel:
			blended = r.OOF
		case learn.ProductionModel:
			forest = r.OOF
		}
	}
	if blend && blended != nil {
		return blended, learn.Calibration{Method: "identity"}, "blend"
	}
	return forest, cal, scoring.CalibrationName(cal)
}

// targetIndex is the table column not used as an input nor dropped.
func targetIndex(d *learn.Dataset) int {
	used := map[string]bool{}
	for _, c := range d.Inputs {
		used[c.Name] = true
	}
	for _, dr := range d.Dropped {
		used[dr.Name] = true
	}
	for j, n := range d.Table.Names {
		if !used[n] {
			return j
		}
	}
	return 0
}

// build computes every section shared by both sources.
func build(in reportInput, q DataQuality) *Report {
	d, y := in.d, in.d.Y
	r := &Report{Rows: len(y), Data: q, Results: in.results, Folds: in.folds, HoldoutNote: in.note,
		Chosen: learn.CalibratedModel, CalMethod: in.method, Hot: in.hot, Warm: in.warm, Importance: in.imp}
	for _, v := range y {
		r.Positives += v
	}
	if r.Data.Kept == 0 {
		r.Data.Kept = len(y)
	}
	if len(r.Data.Missing) == 0 {
		for k, c := range d.Inputs {
			n := 0
			for _, v := range d.Table.Cols[d.Index[k]] {
				if d.IsMissing(v) {
					n++
				}
			}
			r.Data.Missing = append(r.Data.Missing, Count{c.Name, n})
		}
	}
	all := seq(len(y))
	train, test := learn.TimeSplit(in.order, 0.2)
	r.DriftWindow = in.note
	for k, c := range d.Inputs {
		bins := fieldBins(d, k, all, in.label, in.names)
		r.Fields = append(r.Fields, FieldProfile{Name: c.Name, Kind: c.Kind, Bins: nonEmpty(bins)})
		r.Drift = append(r.Drift, drift(d, k, bins, train, test))
	}
	slices.SortStableFunc(r.Drift, func(a, b Drift) int { return cmp.Compare(b.PSI, a.PSI) })
	if in.dates != nil {
		r.Monthly = monthly(y, in.dates)
	}
	for k, c := range in.enc.Inputs {
		fd := FeatureDoc{Name: c.Name, Kind: c.Kind, MinCount: in.enc.MinCount}
		switch c.Kind {
		case learn.Numeric:
			fd.Median = in.enc.Medians[k]
		case learn.TargetRate:
			fd.Levels = len(in.enc.Rates[k])
		default:
			fd.Levels = len(in.enc.Levels[k])
		}
		r.Features = append(r.Features, fd)
	}
	p := make([]float64, len(in.oof))
	for i, v := range in.oof {
		p[i] = in.cal.Apply(v)
	}
	r.Calibration = calibrationPoints(y, p, 10)
	r.Tiers = learn.TierStats(y, p, in.hot, in.warm)
	return r
}

// fieldBins groups rows by value (categorical: the 12 commonest levels,
// the rest as "(other)") or by quantile bin (numeric: up to 6), missing
// values apart.
func fieldBins(d *learn.Dataset, k int, rows []int, label func(string, float64) string, names map[string]string) []Bin {
	catLabel := func(field, v string) string {
		if n := names[v]; n != "" && (field == "city" || field == "city_rate") {
			return n + " (" + v + ")"
		}
		return v
	}
	col := d.Table.Cols[d.Index[k]]
	name := d.Inputs[k].Name
	var bins []Bin
	if d.Inputs[k].Kind == learn.Numeric {
		var vals []float64
		for _, i := range rows {
			if f, err := strconv.ParseFloat(col[i], 64); err == nil && !d.IsMissing(col[i]) {
				vals = append(vals, f)
			}
		}
		slices.Sort(vals)
		edges := []float64{}
		if distinct := slices.Compact(slices.Clone(vals)); len(distinct) <= 12 {
			// A few values (urgency 0–3, a 0/1 flag, the month): one bin
			// per value reads better than quantiles.
			for j, v := range distinct {
				b := Bin{lo: v, hi: math.Inf(1), Label: numLabel(label, name, v)}
				if j+1 < len(distinct) {
					b.hi = distinct[j+1]
				}
				bins = append(bins, b)
			}
			vals = nil
		}
		for q := 0; q <= 6 && len(vals) > 0; q++ {
			v := vals[min(len(vals)-1, q*len(vals)/6)]
			if q == 6 {
				v = math.Inf(1)
			}
			if len(edges) == 0 || v > edges[len(edges)-1] {
				edges = append(edges, v)
			}
		}
		for j := 0; j+1 < len(edges); j++ {
			b := Bin{lo: edges[j], hi: edges[j+1]}
			if j+2 == len(edges) {
				b.Label = "≥ " + numLabel(label, name, edges[j])
			} else {
				b.Label = numLabel(label, name, edges[j]) + " – " + numLabel(label, name, edges[j+1])
			}
			bins = append(bins, b)
		}
	} else {
		counts := map[string]int{}
		for _, i := range rows {
			if !d.IsMissing(col[i]) {
				counts[col[i]]++
			}
		}
		levels := make([]string, 0, len(counts))
		for v := range counts {
			levels = append(levels, v)
		}
		slices.SortFunc(levels, func(a, b string) int {
			if c := cmp.Compare(counts[b], counts[a]); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		for j, v := range levels {
			if j == 12 {
				bins = append(bins, Bin{Label: "(other)", levelMatch: "\x00other"})
				break
			}
			bins = append(bins, Bin{Label: catLabel(name, v), levelMatch: v})
		}
	}
	bins = append(bins, Bin{Label: "(missing)"})
	fill(d, k, bins, rows)
	return bins
}

// nonEmpty returns the bins holding rows, for display; the full list (with
// the missing bin last) is what binOf expects.
func nonEmpty(bins []Bin) []Bin {
	var out []Bin
	for _, b := range bins {
		if b.N > 0 {
			out = append(out, b)
		}
	}
	return out
}

func numLabel(label func(string, float64) string, field string, v float64) string {
	if label != nil {
		if s := label(field, v); s != "" {
			return s
		}
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// binOf returns the index of the bin a cell falls in.
func binOf(d *learn.Dataset, k int, bins []Bin, v string) int {
	if d.IsMissing(v) {
		return len(bins) - 1
	}
	if d.Inputs[k].Kind == learn.Numeric {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || len(bins) < 2 {
			return len(bins) - 1
		}
		for j, b := range bins[:len(bins)-1] {
			if f < b.hi {
				return j
			}
		}
		return len(bins) - 2 // numeric bins always end at +Inf; unreachable for a parsed value
	}
	other := -1
	for j, b := range bins {
		if b.levelMatch == v {
			return j
		}
		if b.levelMatch == "\x00other" {
			other = j
		}
	}
	if other >= 0 {
		return other
	}
	return len(bins) - 1
}

// fill counts rows and conversions per bin and sets rates and intervals.
func fill(d *learn.Dataset, k int, bins []Bin, rows []int) {
	col := d.Table.Cols[d.Index[k]]
	for j := range bins {
		bins[j].N, bins[j].Pos = 0, 0
	}
	for _, i := range rows {
		j := binOf(d, k, bins, col[i])
		bins[j].N++
		bins[j].Pos += d.Y[i]
	}
	for j := range bins {
		setRate(&bins[j], len(rows))
	}
}

func setRate(b *Bin, total int) {
	if b.N > 0 {
		b.Rate = float64(b.Pos) / float64(b.N)
	}
	b.Lo, b.Hi = learn.Wilson(b.Pos, b.N)
	if total > 0 {
		b.Share = float64(b.N) / float64(total)
	}
}

// drift computes the population stability index of input k between the
// older rows and the newest.
func drift(d *learn.Dataset, k int, bins []Bin, old, recent []int) Drift {
	a := append([]Bin(nil), bins...)
	b := append([]Bin(nil), bins...)
	fill(d, k, a, old)
	fill(d, k, b, recent)
	dr := Drift{Field: d.Inputs[k].Name}
	const eps = 1e-4
	moved := -1.0
	for j := range a {
		pa, pb := math.Max(a[j].Share, eps), math.Max(b[j].Share, eps)
		dr.PSI += (pb - pa) * math.Log(pb/pa)
		if m := math.Abs(b[j].Share - a[j].Share); m > moved {
			moved, dr.Bin, dr.OldShare, dr.NewShare = m, a[j].Label, a[j].Share, b[j].Share
		}
	}
	dr.OldRate, dr.NewRate = rateOf(d.Y, old), rateOf(d.Y, recent)
	return dr
}

func rateOf(y []int, rows []int) float64 {
	if len(rows) == 0 {
		return 0
	}
	n := 0
	for _, i := range rows {
		n += y[i]
	}
	return float64(n) / float64(len(rows))
}

// monthly groups rows by calendar month (Bogotá), in month order; dates
// need not be sorted. A zero date is left out.
func monthly(y []int, dates []time.Time) []Bin {
	byMonth := map[string]*Bin{}
	var labels []string
	for i, at := range dates {
		if at.IsZero() {
			continue
		}
		label := at.In(flow.Bogota()).Format("2006-01")
		b := byMonth[label]
		if b == nil {
			b = &Bin{Label: label}
			byMonth[label] = b
			labels = append(labels, label)
		}
		b.N++
		b.Pos += y[i]
	}
	slices.Sort(labels)
	out := make([]Bin, len(labels))
	for j, l := range labels {
		out[j] = *byMonth[l]
		setRate(&out[j], len(y))
	}
	return out
}

// calibrationPoints bins predictions into n groups of equal size and
// returns each group's mean prediction and observed rate.
func calibrationPoints(y []int, p []float64, n int) []CalPoint {
	idx := seq(len(p))
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(p[a], p[b]) })
	var out []CalPoint
	for g := range n {
		lo, hi := g*len(idx)/n, (g+1)*len(idx)/n
		if hi <= lo {
			continue
		}
		var sp, sy float64
		for _, i := range idx[lo:hi] {
			sp += p[i]
			sy += float64(y[i])
		}
		m := float64(hi - lo)
		out = append(out, CalPoint{Predicted: sp / m, Observed: sy / m, N: hi - lo})
	}
	return out
}

// leadLabel prints a lead field's numeric bin edge the way advisors read it.
func leadLabel(field string, v float64) string {
	switch field {
	case "budget":
		cop := math.Pow(10, v)
		if cop >= 1e6 {
			return strconv.FormatFloat(cop/1e6, 'f', 1, 64) + " M"
		}
		return strconv.FormatFloat(cop/1e3, 'f', 0, 64) + " k"
	case "urgency", "month", "hour", "weekday", "budget_unknown", "retries", "returning":
		return strconv.FormatFloat(v, 'f', 0, 64)
	case "answer_speed":
		return strconv.FormatFloat(math.Pow(10, v)-1, 'f', 0, 64) + " s"
	}
	return ""
}

func seq(n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = i
	}
	return s
}
