package learn

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Table is a CSV file held as text, column by column.
type Table struct {
	Names []string
	Cols  [][]string // Cols[j][i] is row i of column j, trimmed
}

// Rows is the number of data rows.
func (t *Table) Rows() int {
	if len(t.Cols) == 0 {
		return 0
	}
	return len(t.Cols[0])
}

// Col returns the index of the named column, or -1.
func (t *Table) Col(name string) int {
	for j, n := range t.Names {
		if n == name {
			return j
		}
	}
	return -1
}

// OpenCSV prepares r for reading as CSV with a header row: gzip is detected
// from the magic bytes, the separator (comma or semicolon) from the header
// line, a byte-order mark is dropped. It returns the reader positioned after
// the header, the header, and a function to call when done.
func OpenCSV(r io.Reader) (cr *csv.Reader, header []string, done func(), err error) {
	done = func() {}
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, done, fmt.Errorf("gzip: %w", err)
		}
		done = func() { _ = zr.Close() } // read-only; the checksum is checked by Read at EOF
		br = bufio.NewReader(zr)
	}
	head, err := br.Peek(4096)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, nil, done, err
	}
	if i := bytes.IndexByte(head, '\n'); i >= 0 {
		head = head[:i]
	}
	cr = csv.NewReader(br)
	if bytes.Count(head, []byte{';'}) > bytes.Count(head, []byte{','}) {
		cr.Comma = ';'
	}
	cr.FieldsPerRecord = -1
	header, err = cr.Read()
	if err != nil {
		return nil, nil, done, fmt.Errorf("header: %w", err)
	}
	header[0] = strings.TrimPrefix(header[0], "\ufeff")
	return cr, header, done, nil
}

// ReadTable reads a CSV with a header row (see OpenCSV).
func ReadTable(r io.Reader) (*Table, error) {
	cr, header, done, err := OpenCSV(r)
	defer done()
	if err != nil {
		return nil, err
	}
	t := &Table{Names: make([]string, len(header)), Cols: make([][]string, len(header))}
	for j, h := range header {
		t.Names[j] = strings.TrimSpace(h)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < len(header) {
			return nil, fmt.Errorf("line %d: %d fields, header has %d", line, len(rec), len(header))
		}
		for j := range header {
			t.Cols[j] = append(t.Cols[j], strings.TrimSpace(rec[j]))
		}
	}
	if t.Rows() == 0 {
		return nil, errors.New("no data rows")
	}
	return t, nil
}

// Kind says how a column enters the model.
type Kind string

// Column kinds.
const (
	Numeric     Kind = "numeric"
	Categorical Kind = "categorical"
	// TargetRate is a categorical column entered as one number: the
	// conversion rate of its level among the training rows, smoothed toward
	// the overall rate (see Encoder). It is learned from labels, so it must
	// only ever be fitted on training rows (CheckNoLeak proves it).
	TargetRate Kind = "target_rate"
)

// Column describes one input column of a tabular data set.
type Column struct {
	Name string `json:"name"`
	Kind Kind   `json:"kind"`
}

// Dropped is a column left out, with why.
type Dropped struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// Dataset is a table prepared for learning: chosen input columns, 0/1 labels.
type Dataset struct {
	Table    *Table
	Inputs   []Column
	Index    []int // Index[k] is the table column of Inputs[k]
	Y        []int
	Positive string // the target value counted as 1
	Dropped  []Dropped
	missing  map[string]bool
}

// IsMissing reports whether a cell counts as missing.
func (d *Dataset) IsMissing(v string) bool { return d.missing[strings.ToLower(v)] }

// Prepare picks the inputs of t for predicting target: it drops the columns
// in drop, identifiers (text or integer columns whose values are all
// distinct), constant columns, and detects numeric columns (every
// non-missing value parses as a number). missing lists extra cell values
// that count as missing (compared case-insensitively; the empty cell always
// does). The positive class is yes/true/1/si/sí/converted when present,
// otherwise the rarer of the two values.
func Prepare(t *Table, target string, drop []string, missing []string) (*Dataset, error) {
	ti := t.Col(target)
	if ti < 0 {
		return nil, fmt.Errorf("target column %q not in the header", target)
	}
	d := &Dataset{Table: t, missing: map[string]bool{"": true}}
	for _, m := range missing {
		d.missing[strings.ToLower(strings.TrimSpace(m))] = true
	}
	positive, err := positiveOf(t.Cols[ti], target)
	if err != nil {
		return nil, err
	}
	d.Positive = positive
	d.Y = make([]int, t.Rows())
	for i, v := range t.Cols[ti] {
		if v == d.Positive {
			d.Y[i] = 1
		}
	}
	dropSet := map[string]bool{}
	for _, c := range drop {
		if c = strings.TrimSpace(c); c != "" {
			if t.Col(c) < 0 {
				return nil, fmt.Errorf("--drop: column %q not in the header", c)
			}
			dropSet[c] = true
		}
	}
	for j, name := range t.Names {
		if j == ti {
			continue
		}
		if dropSet[name] {
			d.Dropped = append(d.Dropped, Dropped{name, "asked"})
			continue
		}
		kind, reason := d.inspect(t.Cols[j], t.Rows())
		if reason != "" {
			d.Dropped = append(d.Dropped, Dropped{name, reason})
			continue
		}
		d.Inputs = append(d.Inputs, Column{name, kind})
		d.Index = append(d.Index, j)
	}
	if len(d.Inputs) == 0 {
		return nil, errors.New("no input columns left")
	}
	return d, nil
}

// positiveOf picks the target value counted as 1 in col: a conventional
// "yes" when present, so that effects read the natural way round, otherwise
// the rarer value, which is the event worth predicting. Ties between equal
// counts break by value so the choice does not depend on map order.
func positiveOf(col []string, target string) (string, error) {
	counts := map[string]int{}
	for _, v := range col {
		counts[v]++
	}
	if len(counts) != 2 {
		return "", fmt.Errorf("target %q has %d distinct values, want 2", target, len(counts))
	}
	var vals []string
	for v := range counts {
		vals = append(vals, v)
	}
	if counts[vals[0]] < counts[vals[1]] || (counts[vals[0]] == counts[vals[1]] && vals[0] > vals[1]) {
		vals[0], vals[1] = vals[1], vals[0]
	}
	positive := vals[1] // rarer
	for _, v := range vals {
		switch strings.ToLower(v) {
		case "1", "yes", "y", "true", "si", "sí", "converted", "won":
			positive = v
		}
	}
	return positive, nil
}

// inspect decides what one candidate input column of rows cells is, from
// its non-missing values: numeric when every one parses as a finite number,
// else categorical. A constant column, or an identifier (text or integers,
// every row present and distinct), carries nothing a model can generalise
// from, so it gets a non-empty reason to be dropped, shown to the analyst.
func (d *Dataset) inspect(col []string, rows int) (kind Kind, reason string) {
	distinct := map[string]bool{}
	numeric, integer := true, true
	present := 0
	for _, v := range col {
		if d.IsMissing(v) {
			continue
		}
		present++
		distinct[v] = true
		if numeric {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				numeric, integer = false, false
			} else if f != math.Trunc(f) {
				integer = false
			}
		}
	}
	switch {
	case len(distinct) <= 1:
		return "", "constant"
	case len(distinct) == present && present == rows && (!numeric || integer):
		return "", "identifier (every value distinct)"
	case numeric:
		return Numeric, ""
	default:
		return Categorical, ""
	}
}

// Encoder turns dataset rows into vectors: numeric columns with missing
// values replaced by the training median, categorical columns one-hot
// over the levels seen in training ("(missing)" is a level of its own;
// levels seen fewer than MinCount times are pooled as "(other)"; an
// unseen level counts as "(other)" when that level exists, else all
// zeros). It is fitted on training rows only, and is plain data so it can
// be saved with a model (call Init after decoding).
//
// A TargetRate input becomes (conversions + m·prior) / (leads + m) of its
// level in the training rows, m = Smoothing (20 when zero) and prior the
// training rows' conversion rate; a missing, unseen or rare level gets the
// prior, so a town with three leads is not called a sure thing.
type Encoder struct {
	Inputs    []Column             `json:"inputs"`
	Medians   []float64            `json:"medians"` // per input; 0 for categorical
	Levels    [][]string           `json:"levels"`  // per input; nil for numeric
	MinCount  int                  `json:"min_count"`
	Rates     []map[string]float64 `json:"rates,omitempty"` // per TargetRate input: level → smoothed rate
	Priors    []float64            `json:"priors,omitempty"`
	Smoothing float64              `json:"smoothing,omitempty"`

	offset []int            // first vector position of each input
	lookup []map[string]int // per categorical input: level → position
	Width  int              `json:"-"`
	Names  []string         `json:"-"` // one per vector position
	Field  []int            `json:"-"` // input index of each vector position
}

const (
	missingLevel = "(missing)"
	otherLevel   = "(other)"
)

// FitEncoder learns medians and levels from rows of d (no pooling).
func FitEncoder(d *Dataset, rows []int) *Encoder { return FitEncoderMin(d, rows, 1) }

// FitEncoderMin is FitEncoder with levels rarer than minCount pooled.
func FitEncoderMin(d *Dataset, rows []int, minCount int) *Encoder {
	e := &Encoder{Inputs: d.Inputs, Medians: make([]float64, len(d.Inputs)), Levels: make([][]string, len(d.Inputs)), MinCount: minCount}
	for k, c := range d.Inputs {
		col := d.Table.Cols[d.Index[k]]
		if c.Kind == Numeric {
			var vals []float64
			for _, i := range rows {
				if !d.IsMissing(col[i]) {
					f, _ := strconv.ParseFloat(col[i], 64)
					vals = append(vals, f)
				}
			}
			e.Medians[k] = median(vals)
			continue
		}
		if c.Kind == TargetRate {
			e.fitRate(k, col, d, rows)
			continue
		}
		seen := map[string]int{}
		for _, i := range rows {
			v := col[i]
			if d.IsMissing(v) {
				v = missingLevel
			}
			seen[v]++
		}
		other := false
		for v, n := range seen {
			if n >= minCount || v == missingLevel {
				e.Levels[k] = append(e.Levels[k], v)
			} else {
				other = true
			}
		}
		if other {
			e.Levels[k] = append(e.Levels[k], otherLevel)
		}
		sortStrings(e.Levels[k])
	}
	e.Init()
	return e
}

// fitRate learns input k's smoothed conversion rate per level from the
// labels of rows only.
func (e *Encoder) fitRate(k int, col []string, d *Dataset, rows []int) {
	if e.Rates == nil {
		e.Rates = make([]map[string]float64, len(e.Inputs))
		e.Priors = make([]float64, len(e.Inputs))
	}
	if e.Smoothing == 0 {
		e.Smoothing = 20
	}
	n, pos := map[string]float64{}, map[string]float64{}
	var all, allPos float64
	for _, i := range rows {
		all++
		allPos += float64(d.Y[i])
		if v := col[i]; !d.IsMissing(v) {
			n[v]++
			pos[v] += float64(d.Y[i])
		}
	}
	prior := 0.0
	if all > 0 {
		prior = allPos / all
	}
	e.Priors[k] = prior
	e.Rates[k] = map[string]float64{}
	for v, c := range n {
		if c >= float64(max(e.MinCount, 1)) {
			e.Rates[k][v] = (pos[v] + e.Smoothing*prior) / (c + e.Smoothing)
		}
	}
}

// Init rebuilds the lookup tables, names and width from the exported fields.
func (e *Encoder) Init() {
	e.offset = make([]int, len(e.Inputs))
	e.lookup = make([]map[string]int, len(e.Inputs))
	e.Width, e.Names, e.Field = 0, nil, nil
	for k, c := range e.Inputs {
		e.offset[k] = e.Width
		if c.Kind == Numeric || c.Kind == TargetRate {
			e.Width++
			e.Names = append(e.Names, c.Name)
			e.Field = append(e.Field, k)
			continue
		}
		e.lookup[k] = map[string]int{}
		for l, v := range e.Levels[k] {
			e.lookup[k][v] = e.Width + l
			e.Names = append(e.Names, c.Name+"="+v)
			e.Field = append(e.Field, k)
		}
		e.Width += len(e.Levels[k])
	}
}

// Transform encodes rows of d.
func (e *Encoder) Transform(d *Dataset, rows []int) [][]float64 {
	out := make([][]float64, len(rows))
	flat := make([]float64, len(rows)*e.Width)
	raw := make([]string, len(e.Inputs))
	for r, i := range rows {
		x := flat[r*e.Width : (r+1)*e.Width : (r+1)*e.Width]
		for k := range e.Inputs {
			raw[k] = d.Table.Cols[d.Index[k]][i]
			if d.IsMissing(raw[k]) {
				raw[k] = ""
			}
		}
		e.Encode(raw, x)
		out[r] = x
	}
	return out
}

// Encode writes the vector of one row into x (len Width); raw holds one
// value per input, "" for missing. A numeric value that does not parse
// counts as missing.
func (e *Encoder) Encode(raw []string, x []float64) {
	clear(x)
	for k := range e.Inputs {
		e.EncodeField(k, raw[k], x)
	}
}

// EncodeField writes input k's part of the vector for value v ("" for
// missing) into x, which Encode's caller has cleared.
func (e *Encoder) EncodeField(k int, v string, x []float64) {
	switch e.Inputs[k].Kind {
	case Numeric:
		f, ok := 0.0, false
		if v != "" {
			g, err := strconv.ParseFloat(v, 64)
			f, ok = g, err == nil
		}
		e.EncodeNumber(k, f, ok, x)
	case TargetRate:
		r, ok := e.Rates[k][v]
		if !ok {
			r = e.Priors[k]
		}
		x[e.offset[k]] = r
	default:
		if v == "" {
			v = missingLevel
		}
		p, ok := e.lookup[k][v]
		if !ok {
			p, ok = e.lookup[k][otherLevel]
		}
		if ok {
			x[p] = 1
		}
	}
}

// EncodeNumber writes numeric input k's value into x: f when ok and
// finite, else the training median (as Encode does for a missing or
// unreadable value), so a caller that has the number need not print it.
func (e *Encoder) EncodeNumber(k int, f float64, ok bool, x []float64) {
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) {
		f = e.Medians[k]
	}
	x[e.offset[k]] = f
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sortFloats(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// TimeOrder returns the rows oldest first for a time-ordered hold-out: by
// column col (RFC 3339 or YYYY-MM-DD dates, or numbers; ties keep file
// order), or in file order when col is "". note says which.
func TimeOrder(t *Table, col string) (order []int, note string, err error) {
	order = seq(t.Rows())
	if col == "" {
		return order, "rows in file order", nil
	}
	j := t.Col(col)
	if j < 0 {
		return nil, "", fmt.Errorf("column %q not in the header", col)
	}
	keys := make([]string, t.Rows())
	nums := make([]float64, t.Rows())
	numeric := true
	for i, v := range t.Cols[j] {
		keys[i] = v
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			numeric = false
		}
		nums[i] = f
	}
	sortStable(order, func(a, b int) bool {
		if numeric {
			return nums[a] < nums[b]
		}
		return keys[a] < keys[b] // ISO dates sort as text
	})
	return order, "ordered by " + col, nil
}

// NewDataset wraps a table whose columns are exactly inputs (in order) with
// labels y; only the empty cell counts as missing.
func NewDataset(t *Table, inputs []Column, y []int) *Dataset {
	return &Dataset{Table: t, Inputs: inputs, Index: seq(len(inputs)), Y: y, Positive: "1", missing: map[string]bool{"": true}}
}
