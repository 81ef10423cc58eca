package place

import (
	"slices"
	"strconv"
	"unicode/utf8"
)

// Pick reads the answer to "¿cuál de estos?" after CityAmbiguous: a 1-based
// number of the list shown ("2", "la 2", "opción 2", "el segundo"), the
// department ("Nariño", "el de Antioquia", "antiokia"), or the place named
// again in full ("La Unión, Valle"). ok is false for anything else,
// including a number outside the list.
func (p *Places) Pick(text string, candidates []City) (City, bool) {
	if len(candidates) == 0 {
		return City{}, false
	}
	ws, ok := splitWords(text, maxRunes)
	if !ok || len(ws) == 0 {
		return City{}, false
	}
	core := pickTrim(ws)
	if n, ok := ordinal(core); ok {
		if n < 1 || n > len(candidates) {
			return City{}, false
		}
		return candidates[n-1], true
	}
	if c, ok := p.pickByDepartment(core, candidates); ok {
		return c, true
	}
	return p.pickByName(text, candidates)
}

var pickLead = newSet("el", "la", "los", "las", "lo", "de", "del", "en", "opcion", "numero", "num", "nro",
	"es", "pues", "si", "sii", "claro", "ese", "esa", "este", "esta", "mi", "municipio", "ciudad",
	"departamento", "depto", "dpto", "que", "queda", "soy", "estoy", "vivo", "somos", "estamos",
	"hola", "seria", "creo", "ok", "dale", "listo", "yo", "the", "number", "option")

// pickTrim drops the words around a choice: "el de", "la opción", "gracias".
func pickTrim(ws []word) []word {
	for len(ws) > 0 && pickLead[ws[0].key] {
		ws = ws[1:]
	}
	for len(ws) > 0 && trailWords[ws[len(ws)-1].key] {
		ws = ws[:len(ws)-1]
	}
	return ws
}

var numberWords = map[string]int{
	"uno": 1, "una": 1, "primero": 1, "primera": 1, "primer": 1, "one": 1, "first": 1,
	"dos": 2, "segundo": 2, "segunda": 2, "two": 2, "second": 2,
	"tres": 3, "tercero": 3, "tercera": 3, "tercer": 3, "three": 3, "third": 3,
	"cuatro": 4, "cuarto": 4, "cuarta": 4, "four": 4,
	"cinco": 5, "quinto": 5, "quinta": 5, "five": 5,
	"seis": 6, "sexto": 6, "sexta": 6, "six": 6,
	"siete": 7, "septimo": 7, "septima": 7, "seven": 7,
	"ocho": 8, "octavo": 8, "octava": 8, "eight": 8,
	"nueve": 9, "noveno": 9, "novena": 9, "nine": 9,
}

// ordinal reads a lone number: "2", "2a", "2do", "dos", "segundo".
func ordinal(ws []word) (int, bool) {
	if len(ws) != 1 {
		return 0, false
	}
	k := ws[0].key
	if n, ok := numberWords[k]; ok {
		return n, true
	}
	end := 0
	for end < len(k) && end < 4 && k[end] >= '0' && k[end] <= '9' {
		end++
	}
	if end == 0 || end == 4 {
		return 0, false
	}
	switch k[end:] {
	case "", "o", "a", "ro", "ra", "do", "da", "er", "to", "ta", "vo", "va", "no", "na", "mo", "ma", "st", "nd", "rd", "th":
		n, _ := strconv.Atoi(k[:end])
		return n, true
	}
	return 0, false
}

// pickAliases are department names that only make sense as a choice.
var pickAliases = map[string]string{"isla": "88", "islas": "88", "san andres islas": "88"}

// pickByDepartment finds the one candidate in the department named,
// exactly or within the usual typing errors.
func (p *Places) pickByDepartment(ws []word, candidates []City) (City, bool) {
	key := join(ws)
	if key == "" {
		return City{}, false
	}
	di, ok := p.deptByKey(key)
	if code, alias := pickAliases[key]; alias {
		di, ok = p.deptIdx[code], true
	}
	if !ok {
		di, ok = p.closestCandidateDept(key, candidates)
	}
	if !ok {
		return City{}, false
	}
	return p.onlyIn(candidates, di)
}

// closestCandidateDept matches a misspelt department name against the
// departments of the candidates only.
func (p *Places) closestCandidateDept(key string, candidates []City) (int, bool) {
	if utf8.RuneCountInString(key) > maxFuzzRunes {
		return 0, false
	}
	var keys []fuzzKey
	for _, c := range candidates {
		if di, ok := p.deptIdx[deptCode(c)]; ok {
			for _, k := range p.deptNames[di] {
				fk := newFuzzKey(k)
				fk.dept = di
				keys = append(keys, fk)
			}
		}
	}
	found, _ := closest([]rune(key), letters(key), keys)
	if len(found) == 0 {
		return 0, false
	}
	for _, k := range found[1:] {
		if k.dept != found[0].dept {
			return 0, false
		}
	}
	return found[0].dept, true
}

func deptCode(c City) string {
	if len(c.Code) != 5 {
		return ""
	}
	return c.Code[:2]
}

// onlyIn returns the candidate in department di when there is exactly one.
func (p *Places) onlyIn(candidates []City, di int) (City, bool) {
	var found []City
	for _, c := range candidates {
		if deptCode(c) == p.depts[di].code || (c.Code == "11001" && p.depts[di].code == "25") {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return City{}, false
	}
	return found[0], true
}

// pickByName reads the place named again: "La Unión, Nariño" or, when the
// candidates have different names (after a typo), "Florida".
func (p *Places) pickByName(text string, candidates []City) (City, bool) {
	r := p.Parse(text)
	switch r.Match {
	case CityExact:
		for _, c := range candidates {
			if c.Code == r.City.Code {
				return c, true
			}
		}
	case CityDepartment:
		if di, ok := p.deptIdx[r.DeptCode]; ok {
			return p.onlyIn(candidates, di)
		}
	case CityAmbiguous:
		var found []City
		for _, c := range candidates {
			if slices.ContainsFunc(r.Candidates, func(o City) bool { return o.Code == c.Code }) {
				found = append(found, c)
			}
		}
		if len(found) == 1 {
			return found[0], true
		}
	}
	return City{}, false
}
