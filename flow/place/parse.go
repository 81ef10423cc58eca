package place

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/cis-agencia/cis/flow/fold"
)

// Parse reads a free-text answer to "¿en qué ciudad estás?".
//
// Lead-ins and filler are ignored ("soy de", "vivo en la ciudad de",
// "Medellín, Antioquia, Colombia", emoji, punctuation), and so are case and
// accents. Exact names and aliases are tried first, then what follows an
// "en" or "de" inside a sentence ("soy Ana, de Cali"), then names within
// one or two typing errors. The rules for shared names:
//
//   - A name shared by several municipalities is CityAmbiguous, unless one
//     of them is a department capital: "Armenia" is Quindío's capital, not
//     the Antioquia town of a few thousand, and "Florencia" is Caquetá's.
//     San Andrés is the exception: the island does not dwarf San Andrés,
//     Santander the way Armenia dwarfs its namesake, so it asks.
//   - An área no municipalizada yields to a namesake municipality:
//     "Puerto Colombia" is the town by Barranquilla, not the Guainía area.
//   - A department named with the municipality settles it: "La Unión,
//     Nariño", "villanueva casanare".
//   - A name that is both a department and municipalities is read as the
//     department's capital if it is one ("Arauca"), as CityAmbiguous over
//     the municipalities if there are several ("Caldas" is a town near
//     Medellín as well as a department; Department is set too), and as the
//     department if only one small municipality shares it ("Boyacá").
//   - "Bogotá" is always the district, never a department question.
//   - A known foreign city or country is CityForeign, but a Colombian
//     municipality wins over a foreign namesake ("Madrid" is Madrid,
//     Cundinamarca) unless a foreign country follows ("Madrid, España").
func (p *Places) Parse(text string) CityResult {
	ws, ok := splitWords(text, maxRunes)
	if !ok || len(ws) == 0 {
		return CityResult{}
	}
	if r, ok := p.parseExact(ws); ok {
		return r
	}
	if r, ok := p.afterPreposition(ws); ok {
		return r
	}
	if r, ok := p.parseFuzzy(ws); ok {
		return r
	}
	return CityResult{}
}

func (p *Places) parseExact(ws []word) (CityResult, bool) {
	for _, t := range trims(ws) {
		if r, ok := p.exact(t); ok {
			return r, true
		}
	}
	return CityResult{}, false
}

// afterPreposition reads what follows an "en", "de" or "desde" inside a
// sentence: "soy Carlos, de Pereira", "tengo una tienda en La Plata". Only
// exact names count here, so chat does not turn into a typo match. A tail
// that starts with a lead-in is skipped: the readings of the previous one
// already cover it, and "de de de..." must stay cheap.
func (p *Places) afterPreposition(ws []word) (CityResult, bool) {
	for j := 1; j < len(ws)-1; j++ {
		switch ws[j].key {
		case "en", "de", "desde":
			if leadingFiller(ws[j+1:]) > 0 {
				continue
			}
			if r, ok := p.parseExact(ws[j+1:]); ok && r.Match != CityNotFound {
				return r, true
			}
		}
	}
	return CityResult{}, false
}

func (p *Places) parseFuzzy(ws []word) (CityResult, bool) {
	t := fuzzReading(ws)
	if t == nil {
		return CityResult{}, false
	}
	return p.fuzzy(t)
}

// exact reads ws as a whole name, or as a municipality with its department,
// or as a foreign place.
func (p *Places) exact(ws []word) (CityResult, bool) {
	key := join(ws)
	if key == "colombia" {
		return CityResult{}, true // the country, not Colombia, Huila
	}
	if r, ok := p.byName(key); ok {
		return r, true
	}
	if di, ok := p.deptByKey(key); ok {
		return p.deptResult(di), true
	}
	if name, ok := foreignWhole(ws); ok {
		return CityResult{Match: CityForeign, City: City{Name: name, Foreign: true}}, true
	}
	if r, ok := p.withDepartment(ws, p.exactInDept); ok {
		return r, true
	}
	if name, ok := foreignWithCountry(ws); ok {
		return CityResult{Match: CityForeign, City: City{Name: name, Foreign: true}}, true
	}
	return p.withCity(ws)
}

// byName resolves an exact municipality key.
func (p *Places) byName(key string) (CityResult, bool) {
	idxs := p.muniKeys[key]
	if len(idxs) == 0 {
		return CityResult{}, false
	}
	di, isDept := p.deptByKey(key)
	if !isDept {
		return p.resolve(idxs, true), true
	}
	if slices.Contains(idxs, p.depts[di].capital) {
		return p.exactResult(p.depts[di].capital), true
	}
	if len(idxs) == 1 {
		return p.deptResult(di), true
	}
	r := p.ambiguous(idxs)
	r.Department, r.DeptCode = p.depts[di].name, p.depts[di].code
	return r, true
}

// noCapitalPreference lists capitals whose namesakes are too large for
// the capital to be a safe guess; see Parse.
var noCapitalPreference = newSet("88001")

// resolve turns municipalities sharing one name into a result. With
// prefer set it guesses where a guess is safe (see Parse): a municipality
// over an área no municipalizada, then a department capital over its
// namesakes.
func (p *Places) resolve(idxs []int, prefer bool) CityResult {
	if prefer {
		idxs = p.dropAreas(idxs)
		if c, ok := p.onlyCapital(idxs); ok {
			return p.exactResult(c)
		}
	}
	if len(idxs) == 1 {
		return p.exactResult(idxs[0])
	}
	return p.ambiguous(idxs)
}

// dropAreas removes áreas no municipalizadas when a municipality remains.
func (p *Places) dropAreas(idxs []int) []int {
	kept := slices.DeleteFunc(slices.Clone(idxs), func(i int) bool { return p.munis[i].area })
	if len(kept) == 0 {
		return idxs
	}
	return kept
}

// onlyCapital returns the single department capital among idxs, unless it
// is one whose namesakes are too large for a safe guess.
func (p *Places) onlyCapital(idxs []int) (int, bool) {
	capital := -1
	for _, i := range idxs {
		if !p.munis[i].capital {
			continue
		}
		if capital >= 0 || noCapitalPreference[p.munis[i].city.Code] {
			return 0, false
		}
		capital = i
	}
	return capital, capital >= 0
}

func (p *Places) exactResult(i int) CityResult {
	return CityResult{Match: CityExact, City: p.munis[i].city}
}

func (p *Places) deptResult(di int) CityResult {
	return CityResult{Match: CityDepartment, Department: p.depts[di].name, DeptCode: p.depts[di].code}
}

// ambiguous lists the candidates likeliest first. Without population data,
// likeliest means department capitals first and áreas no municipalizadas
// last, then by department and name, which keeps the list stable for the
// prospect who answers with a number.
func (p *Places) ambiguous(idxs []int) CityResult {
	idxs = slices.Clone(idxs)
	slices.SortFunc(idxs, func(a, b int) int {
		ma, mb := &p.munis[a], &p.munis[b]
		if c := cmp.Compare(rank(ma), rank(mb)); c != 0 {
			return c
		}
		if c := strings.Compare(p.depts[ma.dept].key, p.depts[mb.dept].key); c != 0 {
			return c
		}
		if c := strings.Compare(ma.key, mb.key); c != 0 {
			return c
		}
		return strings.Compare(ma.city.Code, mb.city.Code)
	})
	idxs = slices.Compact(idxs)
	if len(idxs) > maxCands {
		idxs = idxs[:maxCands]
	}
	r := CityResult{Match: CityAmbiguous, Candidates: make([]City, len(idxs))}
	for k, i := range idxs {
		r.Candidates[k] = p.munis[i].city
	}
	return r
}

func rank(m *muni) int {
	switch {
	case m.capital:
		return 0
	case m.area:
		return 2
	}
	return 1
}

// deptByKey finds a department by name, also when introduced by an article
// or "departamento de": "el Valle", "del Huila", "dpto. de Nariño".
func (p *Places) deptByKey(key string) (int, bool) {
	for {
		if di, ok := p.deptKeys[key]; ok {
			return di, true
		}
		rest, ok := cutPrefix(key, "departamento", "depto", "dpto", "dept", "del", "de", "el")
		if !ok {
			return 0, false
		}
		key = rest
	}
}

func cutPrefix(key string, words ...string) (string, bool) {
	for _, w := range words {
		if rest, ok := strings.CutPrefix(key, w+" "); ok {
			return rest, true
		}
	}
	return key, false
}

// withDepartment splits ws into a municipality and a department, either
// order ("Cali, Valle", "Antioquia - Rionegro"), and resolves the
// municipality within that department with match.
func (p *Places) withDepartment(ws []word, match func(string, int) (CityResult, bool)) (CityResult, bool) {
	for i := 1; i < len(ws); i++ {
		if di, ok := p.deptByKey(join(ws[i:])); ok {
			if r, ok := match(join(ws[:i]), di); ok {
				return r, true
			}
		}
	}
	for i := len(ws) - 1; i >= 1; i-- {
		if di, ok := p.deptByKey(join(ws[:i])); ok {
			if r, ok := match(join(ws[i:]), di); ok {
				return r, true
			}
		}
	}
	return CityResult{}, false
}

func (p *Places) exactInDept(key string, di int) (CityResult, bool) {
	var in []int
	for _, i := range p.muniKeys[key] {
		if p.inDept(i, di) {
			in = append(in, i)
		}
	}
	if len(in) == 0 {
		return CityResult{}, false
	}
	return p.resolve(in, false), true
}

// withCity reads "<municipality> <big city>", the way people in a
// metropolitan area answer: "Bello, Medellín", "Soacha Bogotá". The first
// name is the answer; the second must be a department capital, so that two
// unrelated towns are not silently read as the first.
func (p *Places) withCity(ws []word) (CityResult, bool) {
	for i := len(ws) - 1; i >= 1; i-- {
		if !p.namesCapital(join(ws[i:])) {
			continue
		}
		if r, ok := p.byName(join(ws[:i])); ok && r.Match != CityDepartment {
			return r, true
		}
	}
	return CityResult{}, false
}

func (p *Places) namesCapital(key string) bool {
	for _, i := range p.muniKeys[key] {
		if p.munis[i].capital {
			return true
		}
	}
	return false
}

// fuzzy reads ws allowing typing errors: the whole text against every name
// and department, then a municipality with its department where one of the
// two is misspelt.
func (p *Places) fuzzy(ws []word) (CityResult, bool) {
	key := join(ws)
	if utf8.RuneCountInString(key) > maxFuzzRunes {
		return CityResult{}, false
	}
	if r, ok := p.fuzzyWhole(key); ok {
		return r, true
	}
	if r, ok := p.withDepartment(ws, p.fuzzyInDept); ok {
		return r, true
	}
	return p.withFuzzyDepartment(ws)
}

func (p *Places) fuzzyWhole(key string) (CityResult, bool) {
	in := []rune(key)
	letters := letters(key)
	mk, md := closest(in, letters, p.fuzzMunis)
	dk, dd := closest(in, letters, p.fuzzDepts)
	switch {
	case len(mk) > 0 && (len(dk) == 0 || md <= dd):
		return p.fuzzyResult(mk), true
	case len(dk) == 1:
		return p.deptResult(dk[0].dept), true
	}
	return CityResult{}, false
}

// fuzzyResult resolves the keys nearest a misspelt name. One key is read as
// if typed correctly; several at the same distance are ambiguous among all
// their municipalities, without any capital preference.
func (p *Places) fuzzyResult(keys []fuzzKey) CityResult {
	if len(keys) == 1 {
		r, _ := p.byName(keys[0].key)
		return r
	}
	var idxs []int
	for _, k := range keys {
		idxs = append(idxs, k.munis...)
	}
	slices.Sort(idxs)
	return p.resolve(slices.Compact(idxs), false)
}

func (p *Places) fuzzyInDept(key string, di int) (CityResult, bool) {
	if utf8.RuneCountInString(key) > maxFuzzRunes {
		return CityResult{}, false
	}
	keys, _ := closest([]rune(key), letters(key), p.fuzzIn[di])
	if len(keys) == 0 {
		return CityResult{}, false
	}
	var idxs []int
	for _, k := range keys {
		idxs = append(idxs, k.munis...)
	}
	slices.Sort(idxs)
	return p.resolve(slices.Compact(idxs), false), true
}

// withFuzzyDepartment reads a correct municipality with a misspelt
// department: "la union nariñp".
func (p *Places) withFuzzyDepartment(ws []word) (CityResult, bool) {
	for i := 1; i < len(ws); i++ {
		if r, ok := p.fuzzyDeptSplit(ws[:i], ws[i:]); ok {
			return r, true
		}
		if r, ok := p.fuzzyDeptSplit(ws[i:], ws[:i]); ok {
			return r, true
		}
	}
	return CityResult{}, false
}

func (p *Places) fuzzyDeptSplit(place, dept []word) (CityResult, bool) {
	key := join(dept)
	if utf8.RuneCountInString(key) > maxFuzzRunes {
		return CityResult{}, false
	}
	keys, _ := closest([]rune(key), letters(key), p.fuzzDepts)
	if len(keys) != 1 {
		return CityResult{}, false
	}
	return p.exactInDept(join(place), keys[0].dept)
}

// maxEdits is how many typing errors a name of n letters tolerates:
// none up to 3 ("bta" must not become "btb"), one up to 5, two beyond.
func maxEdits(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

// closest returns the keys nearest in (letters long), all at the
// smallest distance found, and that distance. The tolerance is set by the
// shorter of the two, so a short input cannot reach a long name by edits.
func closest(in []rune, letters int, keys []fuzzKey) ([]fuzzKey, int) {
	best := math.MaxInt
	var found []fuzzKey
	for _, k := range keys {
		limit := min(maxEdits(min(letters, k.letters)), best)
		if limit == 0 && best == math.MaxInt {
			continue
		}
		d := fold.EditDistance(in, k.runes, limit)
		if d > limit {
			continue
		}
		if d < best {
			best, found = d, found[:0]
		}
		found = append(found, k)
	}
	return found, best
}

// ParseInDepartment reads the answer to "¿en qué municipio de X?", where X
// is the department with the 2-digit code deptCode. A name unique in that
// department is CityExact even when other departments share it; typos are
// tolerated as in Parse. When nothing in the department matches, the text
// is read as Parse would read it, so "Bogotá" or "Caldas, Antioquia" still
// work; an unknown deptCode also falls back to Parse.
func (p *Places) ParseInDepartment(text, deptCode string) CityResult {
	di, ok := p.deptIdx[deptCode]
	if !ok {
		return p.Parse(text)
	}
	ws, ok := splitWords(text, maxRunes)
	if !ok || len(ws) == 0 {
		return CityResult{}
	}
	for _, t := range trims(ws) {
		if r, ok := p.inDepartment(t, di); ok {
			return r
		}
	}
	if r, ok := p.parseExact(ws); ok && (r.Match == CityExact || r.Match == CityForeign) {
		return r // they named a place elsewhere: "no, en Bogotá"
	}
	if t := fuzzReading(ws); t != nil {
		if r, ok := p.fuzzyInDept(join(t), di); ok {
			return r
		}
	}
	return p.Parse(text)
}

// inDepartment reads ws as a municipality of department di, alone or with
// the department repeated ("Envigado, Antioquia").
func (p *Places) inDepartment(ws []word, di int) (CityResult, bool) {
	if r, ok := p.exactInDept(join(ws), di); ok {
		return r, true
	}
	return p.withDepartment(ws, func(key string, d int) (CityResult, bool) {
		if d != di {
			return CityResult{}, false
		}
		return p.exactInDept(key, di)
	})
}
