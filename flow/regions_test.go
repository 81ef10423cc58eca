package flow

import "testing"

func TestRegion(t *testing.T) {
	p, err := LoadPlaces()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		in   string
		want string // the region's first key, "" for none
	}{
		{"en el eje cafetero", "eje cafetero"},
		{"Eje Cafetero", "eje cafetero"},
		{"soy de la costa", "la costa"},
		{"la Costa Caribe", "la costa"},
		{"del valle", "valle"},
		{"el Valle del Cauca", "valle"},
		{"de los llanos", "llanos"},
		{"vivo en la sabana", "la sabana"},
		{"oriente antioqueño", "oriente antioqueno"},
		{"Medellín", ""},
		{"Valledupar", ""},
		{"costa rica", ""},
	}
	for _, tt := range tests {
		got := ""
		if i := p.Region(tt.in); i >= 0 {
			got = regions[i].keys[0]
		}
		if got != tt.want {
			t.Errorf("Region(%q) = %q; want %q", tt.in, got, tt.want)
		}
	}
	for i, r := range regions {
		cs := p.regions[i]
		if len(cs) == 0 || len(cs) > 9 || len(cs) != len(r.codes) {
			t.Errorf("region %q: %d municipalities", r.keys[0], len(cs))
		}
		if r.name["es"] == "" || r.name["en"] == "" {
			t.Errorf("region %q: a name per language is needed", r.keys[0])
		}
		for _, c := range cs {
			if r.dept != "" && placeDeptCode(c) != r.dept {
				t.Errorf("region %q lists %s (%s) outside its department", r.keys[0], c.Name, c.Department)
			}
		}
	}
}
