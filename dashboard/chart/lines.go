package chart

import (
	"html/template"
	"math"
	"strconv"
)

// Lines draws one line per series over the labels (months, weeks), with a
// dot and tooltip per point and the last value of each line printed.
func Lines(title string, labels []string, series []Series, f Format) template.HTML {
	const plotH = 220
	s := newSVG(title, padT+plotH+padB)
	top := niceMax(maxOf(series, false, len(labels)))
	s.yAxis(top, plotH, f)
	n := len(labels)
	if n == 0 {
		s.text(width/2, padT+plotH/2, "middle", "#5b6470", "—")
		return s.html()
	}
	step := float64(plotW)
	if n > 1 {
		step = float64(plotW) / float64(n-1)
	}
	xAt := func(j int) float64 {
		if n == 1 {
			return float64(padL) + float64(plotW)/2
		}
		return float64(padL) + step*float64(j)
	}
	yAt := func(v float64) float64 { return float64(padT) + float64(plotH)*(1-v/top) }
	for i, se := range series {
		c := color(i, se)
		path, last := "", -1
		for j := 0; j < n && j < len(se.Values); j++ {
			v := se.Values[j]
			if math.IsNaN(v) {
				continue
			}
			cmd := "L"
			if path == "" {
				cmd = "M"
			}
			path += cmd + ftoa(xAt(j)) + " " + ftoa(yAt(v)) + " "
			last = j
		}
		if path == "" {
			continue
		}
		s.printf(`<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, path, c)
		for j := 0; j < n && j < len(se.Values); j++ {
			if v := se.Values[j]; !math.IsNaN(v) {
				s.printf(`<circle cx="%.1f" cy="%.1f" r="3" fill="%s"><title>%s · %s: %s</title></circle>`, xAt(j), yAt(v), c, esc(labels[j]), esc(se.Name), esc(f(v)))
			}
		}
		s.text(xAt(last), yAt(se.Values[last])-6, "end", c, f(se.Values[last]))
	}
	// The last label first (it says where the series ends), then every
	// other one that has room.
	anchorOf := func(j int) string { // the first and last labels stay inside the picture
		switch {
		case n > 1 && j == 0:
			return "start"
		case n > 1 && j == n-1:
			return "end"
		}
		return "middle"
	}
	if n > 0 {
		s.label(xAt(n-1), padT+plotH+14, anchorOf(n-1), "#1b1f24", labels[n-1])
	}
	for j := 0; j < n-1; j++ {
		s.label(xAt(j), padT+plotH+14, anchorOf(j), "#1b1f24", labels[j])
	}
	if len(series) > 1 {
		s.legend(series, padT+plotH+40)
	}
	return s.html()
}

// Point is one bin of a calibration plot: mean predicted probability,
// observed rate and how many cases the bin holds.
type Point struct {
	Predicted, Observed float64
	N                   int
}

// Calibration draws observed rate against predicted probability, both 0..1,
// with the diagonal a perfectly calibrated model would follow and each bin's
// size printed next to its dot, so a small bin is visibly uncertain.
func Calibration(title, xName, yName string, pts []Point, es bool) template.HTML {
	const plotH = 280
	side := float64(plotH)
	s := newSVG(title, padT+plotH+padB)
	x0, y0 := float64(padL), float64(padT+plotH)
	pct := Percent(0, es)
	for i := 0; i <= maxTick; i++ {
		v := float64(i) / maxTick
		s.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e4e7ec"/>`, x0, x0+side, y0-side*v, y0-side*v)
		if i > 0 { // the corner's 0 % is the x axis's
			s.text(x0-6, y0-side*v+4, "end", "#5b6470", pct(v))
		}
		s.label(x0+side*v, y0+14, "middle", "#5b6470", pct(v))
	}
	s.printf(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#98a2b3" stroke-dasharray="4 4"/>`, x0, y0, x0+side, y0-side)
	path := ""
	for _, p := range pts {
		cmd := "L"
		if path == "" {
			cmd = "M"
		}
		path += cmd + ftoa(x0+side*p.Predicted) + " " + ftoa(y0-side*p.Observed) + " "
	}
	if path != "" {
		s.printf(`<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, path, Colour(0))
	}
	num := Number(0, es)
	for _, p := range pts {
		x, y := x0+side*p.Predicted, y0-side*p.Observed
		s.printf(`<circle cx="%.1f" cy="%.1f" r="4" fill="%s"><title>%s %s · %s %s · n = %s</title></circle>`,
			x, y, Colour(0), esc(xName), esc(pct(p.Predicted)), esc(yName), esc(pct(p.Observed)), esc(num(float64(p.N))))
		s.label(x+6, y-6, "start", "#1b1f24", "n="+num(float64(p.N)))
	}
	s.text(x0+side/2, y0+32, "middle", "#1b1f24", xName)
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="middle" fill="#1b1f24" transform="rotate(-90 %.1f %.1f)">%s</text>`, x0-46, y0-side/2, x0-46, y0-side/2, esc(yName))
	return s.html()
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
