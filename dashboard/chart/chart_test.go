package chart

import (
	"encoding/xml"
	"io"
	"math"
	"strings"
	"testing"
)

func TestFormatNumber(t *testing.T) {
	tests := []struct {
		v    float64
		d    int
		es   bool
		want string
	}{
		{0, 0, true, "0"},
		{1234567, 0, true, "1.234.567"},
		{1234567, 0, false, "1,234,567"},
		{-1234.5, 1, true, "-1.234,5"},
		{999.96, 1, false, "1,000.0"},
		{-0.01, 0, false, "0"},
		{math.NaN(), 0, true, "—"},
		{math.Inf(1), 2, false, "—"},
	}
	for _, tt := range tests {
		if got := FormatNumber(tt.v, tt.d, tt.es); got != tt.want {
			t.Errorf("FormatNumber(%v, %d, %v) = %q; want %q", tt.v, tt.d, tt.es, got, tt.want)
		}
	}
	if got := Percent(1, true)(0.256); got != "25,6 %" {
		t.Errorf("Percent = %q", got)
	}
}

func TestNiceMax(t *testing.T) {
	tests := map[float64]float64{0: 1, -3: 1, 0.7: 1, 1: 1, 1.2: 2, 2.2: 2.5, 3: 5, 7: 10, 1234: 2000, 0.031: 0.05}
	for in, want := range tests {
		if got := niceMax(in); math.Abs(got-want) > 1e-12 {
			t.Errorf("niceMax(%v) = %v; want %v", in, got, want)
		}
	}
}

// texts parses a chart as XML and returns its <text> contents and whether any
// attribute or text refers to a network address.
func texts(t *testing.T, svg string) (out []string, external bool) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(svg))
	inText := false
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return out, external
		}
		if err != nil {
			t.Fatalf("chart is not well-formed: %v\n%s", err, svg)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			inText = tk.Name.Local == "text"
			for _, a := range tk.Attr {
				if strings.Contains(a.Value, "://") {
					external = true
				}
			}
		case xml.CharData:
			if inText {
				out = append(out, string(tk))
			}
			if strings.Contains(string(tk), "://") {
				external = true
			}
		case xml.EndElement:
			inText = false
		}
	}
}

func TestChartsCarryTheirNumbersAndEscape(t *testing.T) {
	es := Number(0, true)
	evil := `<script>alert(1)</script> & "x"`
	tests := []struct {
		name  string
		svg   string
		wants []string
	}{
		{"bars", string(Bars("Leads", []string{"ene", evil}, []Series{{Name: "calientes", Values: []float64{12, 1500}}}, false, es)), []string{"12", "1.500", evil}},
		{"stacked bars", string(Bars("Leads", []string{"ene", "feb"}, []Series{{Name: "a", Values: []float64{40, 50}}, {Name: "b", Values: []float64{60, 70}}}, true, es)), []string{"40", "70", "a", "b"}},
		{"hbars", string(HBars("Ciudades", []string{"Medellín", evil}, []float64{0.31, 0.05}, Percent(0, true), "")), []string{"Medellín", "31 %", "5 %", evil}},
		{"lines", string(Lines("AUC", []string{"2026-01", "2026-02", "2026-03"}, []Series{{Name: "AUC", Values: []float64{0.8, math.NaN(), 0.75}}}, Number(2, false))), []string{"0.75", "2026-01", "2026-03"}},
		{"rates", string(Rates("Conversión", []Rate{{"Medellín", 0.25, 0.2, 0.3, 1234}, {evil, 0.5, 0.1, 0.9, 4}}, 0.18, true)), []string{"25,0 % (n=1.234)", "50,0 % (n=4)", "18,0 %", evil}},
		{"caller colours", string(Bars("Leads", []string{"ene"}, []Series{{Name: "a", Values: []float64{3}, Color: `red"/>` + evil}}, false, es)) +
			string(HBars("Ciudades", []string{"Cali"}, []float64{0.2}, Percent(0, true), `red"/>`+evil)), []string{"Cali"}},
		{"calibration", string(Calibration("Calibración", "predicha", "observada", []Point{{0.1, 0.12, 400}, {0.5, 0.45, 1234}}, true)), []string{"n=400", "n=1.234", "predicha"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, external := texts(t, tt.svg)
			if external {
				t.Errorf("chart refers to a network address:\n%s", tt.svg)
			}
			joined := strings.Join(got, "\n")
			for _, w := range tt.wants {
				if !strings.Contains(joined, w) {
					t.Errorf("chart texts %q lack %q", got, w)
				}
			}
			if strings.Contains(tt.svg, "<script>") {
				t.Error("a label was not escaped")
			}
		})
	}
}

func TestEmptyChartsStillRender(t *testing.T) {
	for name, svg := range map[string]string{
		"bars":  string(Bars("x", nil, nil, false, Number(0, true))),
		"lines": string(Lines("x", nil, nil, Number(0, true))),
		"hbars": string(HBars("x", nil, nil, Number(0, true), "")),
		"rates": string(Rates("x", nil, math.NaN(), true)),
	} {
		if _, ext := texts(t, svg); ext || !strings.HasPrefix(svg, "<svg") {
			t.Errorf("%s: empty chart %q", name, svg)
		}
	}
}

// Two calibration bins whose "n=" labels a browser draws overlapping
// (measured in the accuracy page's crawl: DejaVu Sans makes "n=50" 30
// units wide) get one label; the other bin's size stays in its tooltip.
// Bins far apart keep both labels.
func TestCalibrationLabelsDoNotOverlap(t *testing.T) {
	const side = 280.0
	cases := []struct {
		name   string
		pts    []Point
		labels int
	}{
		{"27 apart, 10 higher", []Point{{Predicted: 0.28, Observed: 0.10, N: 50}, {Predicted: 0.28 + 27/side, Observed: 0.10 + 10.4/side, N: 51}}, 1},
		{"same height, 28 apart", []Point{{Predicted: 0.5, Observed: 0.5, N: 50}, {Predicted: 0.5 + 28/side, Observed: 0.5, N: 51}}, 1},
		{"far apart", []Point{{Predicted: 0.1, Observed: 0.1, N: 50}, {Predicted: 0.8, Observed: 0.8, N: 51}}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svg := string(Calibration("t", "x", "y", c.pts, true))
			if got := strings.Count(svg, ">n=5"); got != c.labels {
				t.Errorf("%d bin labels drawn; want %d\n%s", got, c.labels, svg)
			}
		})
	}
}
