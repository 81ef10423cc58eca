package place

import (
	"testing"
	"unicode/utf8"
)

// FuzzParseCity checks that no text makes the city parsers panic and that
// every result is well formed: an exact match or a candidate is a real
// municipality, a department is a real department.
func FuzzParseCity(f *testing.F) {
	for _, tt := range cityCases {
		f.Add(tt.in)
	}
	f.Add("Medellín\x00Antioquia")
	f.Add("\xff\xfe bogota")
	f.Add("ﾒﾃﾞｼﾞﾝ")
	p := cityTestPlaces(f)
	codes := map[string]City{}
	for _, m := range p.munis {
		codes[m.city.Code] = m.city
	}
	f.Fuzz(func(t *testing.T, text string) {
		r := p.Parse(text)
		checkCityResult(t, p, codes, text, r)
		if r.Match == CityAmbiguous {
			if c, ok := p.Pick(text, r.Candidates); ok {
				if _, known := codes[c.Code]; !known {
					t.Errorf("Pick(%q) = %+v: not a municipality", text, c)
				}
			}
		}
		checkCityResult(t, p, codes, text, p.ParseInDepartment(text, "05"))
		if name := ForeignName(text); !utf8.ValidString(name) || utf8.RuneCountInString(name) > 4*maxRunes {
			t.Errorf("ForeignName(%q) = %q: invalid or too long", text, name)
		}
	})
}

func checkCityResult(t *testing.T, p *Places, codes map[string]City, text string, r CityResult) {
	t.Helper()
	switch r.Match {
	case CityExact:
		if c, ok := codes[r.City.Code]; !ok || !digits(r.City.Code, 5) || c != r.City {
			t.Errorf("Parse(%q) = exact %+v: not a municipality", text, r.City)
		}
	case CityAmbiguous:
		if len(r.Candidates) < 2 || len(r.Candidates) > maxCands {
			t.Errorf("Parse(%q): %d candidates", text, len(r.Candidates))
		}
		for _, c := range r.Candidates {
			if _, ok := codes[c.Code]; !ok {
				t.Errorf("Parse(%q): candidate %+v is not a municipality", text, c)
			}
		}
	case CityDepartment:
		if _, ok := p.deptIdx[r.DeptCode]; !ok || r.Department == "" {
			t.Errorf("Parse(%q) = department %q %q: unknown", text, r.DeptCode, r.Department)
		}
	case CityForeign:
		if !r.City.Foreign || r.City.Name == "" || r.City.Code != "" {
			t.Errorf("Parse(%q) = foreign %+v", text, r.City)
		}
	case CityNotFound:
		if !cityIsZeroResult(r) {
			t.Errorf("Parse(%q) = not found with data %+v", text, r)
		}
	default:
		t.Errorf("Parse(%q).Match = %d", text, r.Match)
	}
}
