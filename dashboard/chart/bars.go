package chart

import (
	"html/template"
	"math"
)

// Bars draws vertical bars, one group per label and one bar per series
// (stacked on one another when stacked is true), each labelled with its
// value when it is wide enough, and with a tooltip always.
func Bars(title string, labels []string, series []Series, stacked bool, f Format) template.HTML {
	const plotH = 220
	s := newSVG(title, padT+plotH+padB)
	top := niceMax(maxOf(series, stacked, len(labels)))
	s.yAxis(top, plotH, f)
	n := len(labels)
	if n == 0 {
		s.text(width/2, padT+plotH/2, "middle", "#5b6470", "—")
		return s.html()
	}
	groupW := float64(plotW) / float64(n)
	bars := len(series)
	if stacked {
		bars = 1
	}
	barW := math.Max(1, (groupW*0.8)/float64(max(bars, 1)))
	for j, label := range labels {
		x0 := float64(padL) + groupW*float64(j) + groupW*0.1
		base := 0.0
		for i, se := range series {
			if j >= len(se.Values) || math.IsNaN(se.Values[j]) {
				continue
			}
			v := se.Values[j]
			h := float64(plotH) * v / top
			x := x0 + barW*float64(i)
			y := float64(padT+plotH) - h
			if stacked {
				x = x0
				y -= float64(plotH) * base / top
				base += v
			}
			s.printf(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s · %s: %s</title></rect>`,
				x, y, barW, h, color(i, se), esc(label), esc(se.Name), esc(f(v)))
			if v > 0 && textWidth(f(v)) <= barW+4 {
				ly, fill := y-3, "#1b1f24"
				if stacked {
					ly, fill = y+12, "#fff"
				}
				if !stacked || h >= 14 {
					s.label(x+barW/2, ly, "middle", fill, f(v))
				}
			}
		}
		s.label(x0+groupW*0.4, padT+plotH+14, "middle", "#1b1f24", label) // every label that has room

	}
	if len(series) > 1 {
		s.legend(series, padT+plotH+40)
	}
	return s.html()
}

// HBars draws one horizontal bar per label with its value printed at the end:
// the shape for long category names (cities, features, reasons).
func HBars(title string, labels []string, values []float64, f Format, colour string) template.HTML {
	colours := make([]string, len(labels))
	for i := range colours {
		colours[i] = colour
	}
	return HBarsEach(title, labels, values, f, colours)
}

// HBarsEach is HBars with a colour per bar (the churn page colours each
// risk band by its level); a missing or empty one is Colour(0).
func HBarsEach(title string, labels []string, values []float64, f Format, colours []string) template.HTML {
	const rowH, labelW = 22, 180
	height := padT + rowH*max(len(labels), 1) + 12
	s := newSVG(title, height)
	top := 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			top = math.Max(top, math.Abs(v))
		}
	}
	if top == 0 {
		top = 1
	}
	span := float64(width - labelW - padR - 90)
	for j, label := range labels {
		y := float64(padT + rowH*j)
		v := values[j]
		w := 0.0
		if !math.IsNaN(v) {
			w = span * math.Abs(v) / top
		}
		s.text(labelW-6, y+14, "end", "#1b1f24", label)
		colour := Colour(0)
		if j < len(colours) && colours[j] != "" {
			colour = esc(colours[j]) // caller-given, lands in an attribute
		}
		s.printf(`<rect x="%d" y="%.1f" width="%.1f" height="16" fill="%s"><title>%s: %s</title></rect>`, labelW, y+2, w, colour, esc(label), esc(f(v)))
		s.text(float64(labelW)+w+6, y+14, "start", "#1b1f24", f(v))
	}
	return s.html()
}
