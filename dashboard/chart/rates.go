package chart

import (
	"html/template"
	"math"
)

// Rate is one group's observed rate with its 95 % interval and size.
type Rate struct {
	Label        string
	Rate, Lo, Hi float64
	N            int
}

// Rates draws one horizontal bar per group (a rate 0..1) with its
// confidence interval as a whisker and "rate (n)" printed after it, so a
// small group's wide interval is visible next to its number. ref, when not
// NaN, draws the overall rate as a dashed line.
func Rates(title string, rows []Rate, ref float64, es bool) template.HTML {
	const rowH, labelW = 22, 180
	height := padT + rowH*max(len(rows), 1) + 12
	s := newSVG(title, height)
	top := 0.0
	for _, r := range rows {
		top = math.Max(top, r.Hi)
	}
	top = math.Min(1, niceMax(top))
	span := float64(width - labelW - padR - 120)
	xAt := func(v float64) float64 { return float64(labelW) + span*v/top }
	pct, num := Percent(1, es), Number(0, es)
	for j, r := range rows {
		y := float64(padT + rowH*j)
		s.text(labelW-6, y+14, "end", "#1b1f24", r.Label)
		s.printf(`<rect x="%d" y="%.1f" width="%.1f" height="14" fill="%s" opacity="0.8"><title>%s: %s (%s–%s), n = %s</title></rect>`,
			labelW, y+3, xAt(r.Rate)-float64(labelW), Colour(0), esc(r.Label), esc(pct(r.Rate)), esc(pct(r.Lo)), esc(pct(r.Hi)), esc(num(float64(r.N))))
		s.printf(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#1b1f24"/>`, xAt(r.Lo), xAt(r.Hi), y+10, y+10)
		s.text(xAt(r.Hi)+6, y+14, "start", "#1b1f24", pct(r.Rate)+" (n="+num(float64(r.N))+")")
	}
	if !math.IsNaN(ref) && ref <= top {
		s.printf(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#98a2b3" stroke-dasharray="4 4"/>`, xAt(ref), xAt(ref), padT-4, height-10)
		s.text(xAt(ref), padT-8, "middle", "#5b6470", pct(ref))
	}
	return s.html()
}
