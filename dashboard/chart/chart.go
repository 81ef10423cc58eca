// Package chart draws the dashboard's and the model report's charts as inline
// SVG on the server: no script, no font or library fetched from a network, and
// every mark carries its number as text (a label or, where space is short, an
// SVG <title> tooltip plus the value in the accessible table the caller shows
// beside it). Hand-written because the charts needed are few and simple (bars,
// lines, a calibration plot) and no Go SVG-chart library is both maintained
// and free of JavaScript at render time.
package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// Class colours, shared with the dashboard's CSS.
const (
	Hot  = "#b42318"
	Warm = "#b54708"
	Cold = "#175cd3"
)

// Colour returns the colour series i takes (from 0), round the palette of
// eight; hot, warm and cold are in it so a class has one colour everywhere.
func Colour(i int) string {
	palette := [...]string{"#0b6e4f", Cold, Warm, Hot, "#6941c6", "#5b6470", "#027a48", "#c11574"}
	return palette[i%len(palette)]
}

// Series is one named run of values; Color is optional (Colour otherwise).
type Series struct {
	Name   string
	Values []float64
	Color  string
}

// Format turns a value into the text a chart prints.
type Format func(float64) string

// Number prints with thousands separators and up to d decimals, Colombian
// style (1.234.567,5) when es is true.
func Number(d int, es bool) Format {
	return func(v float64) string { return FormatNumber(v, d, es) }
}

// Percent prints a share 0..1 as a percentage with d decimals.
func Percent(d int, es bool) Format {
	return func(v float64) string { return FormatNumber(100*v, d, es) + " %" }
}

// FormatNumber formats v with d decimals and grouped thousands.
func FormatNumber(v float64, d int, es bool) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "—"
	}
	s := strconv.FormatFloat(math.Abs(v), 'f', d, 64)
	intPart, frac, _ := strings.Cut(s, ".")
	th, dec := ",", "."
	if es {
		th, dec = ".", ","
	}
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteByte('-')
	}
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteString(th)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(dec + frac)
	}
	return b.String()
}

// Chart geometry shared by the kinds.
const (
	width   = 640
	padL    = 64
	padR    = 16
	padT    = 28
	padB    = 56
	plotW   = width - padL - padR
	maxTick = 5
)

type svg struct {
	b      strings.Builder
	placed []box // optional labels already drawn (label)
}

// box is a text's estimated extent in the picture's units.
type box struct{ x0, y0, x1, y1 float64 }

// textWidth estimates a label's width at the charts' 11-unit font, erring
// wide: the browsers here draw system-ui as DejaVu Sans, whose digits and
// lower case are about 0.64 em and whose "=", "%" and "m" are wider still
// ("n=50" measured 30 units, where 0.6 em a character said 26).
func textWidth(s string) float64 {
	w := 0.0
	for _, r := range s {
		switch {
		case strings.ContainsRune("=+%<>~mwMW", r):
			w += 10
		case r == ' ' || r == '.' || r == ',' || r == ':' || r == '\'':
			w += 4
		case unicode.IsUpper(r):
			w += 8.8
		default:
			w += 7.2
		}
	}
	return w
}

func extent(x, y float64, anchor, content string) box {
	w := textWidth(content)
	switch anchor {
	case "middle":
		x -= w / 2
	case "end":
		x -= w
	}
	// A browser measures 11-unit text about 14 units high (ascent and
	// descent), more than the glyphs: two labels 12 apart still touch.
	return box{x, y - 11, x + w, y + 3}
}

// label draws an optional label (a value over a bar, a bin's size, an axis
// label) unless it would overlap one drawn before: the number stays in the
// mark's tooltip and in the table beside the chart.
func (s *svg) label(x, y float64, anchor, fill, content string) bool {
	b := extent(x, y, anchor, content)
	for _, p := range s.placed {
		if b.x0 < p.x1 && p.x0 < b.x1 && b.y0 < p.y1 && p.y0 < b.y1 {
			return false
		}
	}
	s.placed = append(s.placed, b)
	s.text(x, y, anchor, fill, content)
	return true
}

func newSVG(title string, height int) *svg {
	s := &svg{}
	fmt.Fprintf(&s.b, `<svg class="chart" role="img" viewBox="0 0 %d %d" font-family="system-ui,sans-serif" font-size="11">`, width, height)
	fmt.Fprintf(&s.b, `<title>%s</title>`, esc(title))
	return s
}

func (s *svg) printf(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

func (s *svg) text(x, y float64, anchor, fill, content string) {
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="%s" fill="%s">%s</text>`, x, y, anchor, fill, esc(content))
}

func (s *svg) html() template.HTML {
	s.b.WriteString(`</svg>`)
	return template.HTML(s.b.String()) // #nosec G203 -- every caller-given string went through esc
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func color(i int, s Series) string {
	if s.Color != "" {
		return esc(s.Color) // caller-given, lands in an attribute: the html() promise covers it too
	}
	return Colour(i)
}

// niceMax rounds a positive maximum up to 1, 2, 2.5 or 5 times a power of ten,
// so axis ticks are round numbers.
func niceMax(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// yAxis draws horizontal grid lines and their labels from 0 to top.
func (s *svg) yAxis(top float64, plotH int, f Format) {
	for i := 0; i <= maxTick; i++ {
		v := top * float64(i) / maxTick
		y := float64(padT) + float64(plotH)*(1-float64(i)/maxTick)
		s.printf(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#e4e7ec"/>`, padL, width-padR, y, y)
		s.text(padL-6, y+4, "end", "#5b6470", f(v))
	}
}

func (s *svg) legend(series []Series, y float64) {
	x := float64(padL)
	for i, se := range series {
		s.printf(`<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/>`, x, y-9, color(i, se))
		s.text(x+14, y, "start", "#1b1f24", se.Name)
		x += 24 + 7*float64(len([]rune(se.Name)))
	}
}

func maxOf(series []Series, stacked bool, n int) float64 {
	m := 0.0
	for j := 0; j < n; j++ {
		sum := 0.0
		for _, se := range series {
			if j < len(se.Values) && !math.IsNaN(se.Values[j]) {
				if stacked {
					sum += se.Values[j]
				} else {
					m = math.Max(m, se.Values[j])
				}
			}
		}
		m = math.Max(m, sum)
	}
	return m
}
