package flow

import (
	"cmp"
	_ "embed"
	"encoding/csv"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The DANE DIVIPOLA gazetteer (December 2024: 1,103 municipalities, 18 áreas
// no municipalizadas and the island of San Andrés) and its 33 departments.
// Names there are upper case with accents; display names are derived here.
var (
	//go:embed data/divipola_municipios.csv
	municipiosCSV string
	//go:embed data/departamentos.csv
	departamentosCSV string
)

// Limits on what the prospect types. No place answer, lead-ins included, is
// longer: a longer text is chat, and reading only part of it could
// mislead. They also bound the work Parse does, whatever the input.
const (
	placeMaxRunes     = 200
	placeMaxWords     = 16
	placeMaxFuzzRunes = 60 // longest key is 55: the San Andrés department
	placeMaxCands     = 9
)

// Places is the embedded gazetteer: every DANE municipality and department,
// with the indexes Parse needs precomputed. It is immutable after
// LoadPlaces and safe for concurrent use.
type Places struct {
	munis     []placeMuni
	depts     []placeDept
	deptIdx   map[string]int   // 2-digit code → index in depts
	muniKeys  map[string][]int // folded name or alias → municipalities
	deptKeys  map[string]int   // folded name or alias → department
	fuzzMunis []placeFuzzKey   // muni keys long enough for typo matching
	fuzzDepts []placeFuzzKey
	fuzzIn    [][]placeFuzzKey // per department: the keys of its municipalities
	deptNames [][]string       // per department: its keys, for Pick
	regions   [][]City         // per region (regions.go): its main municipalities
}

type placeMuni struct {
	city     City
	key      string // folded official name, for ordering
	dept     int
	capital  bool
	area     bool // an área no municipalizada (Amazonas, Guainía, Vaupés), not a municipality
	lat, lon float64
	radiusKm float64 // see Nearest
}

type placeDept struct {
	code, name, key string
	capital         int // index in munis
}

// placeFuzzKey is a key prepared for edit-distance matching.
type placeFuzzKey struct {
	key     string
	runes   []rune
	letters int
	munis   []int // for municipality keys
	dept    int   // for department keys
}

// CityMatch says what Parse understood.
type CityMatch int

// The kinds of city answer.
const (
	CityNotFound   CityMatch = iota // nothing Colombian or known-foreign matched
	CityExact                       // one municipality: CityResult.City
	CityAmbiguous                   // several municipalities share the name: CityResult.Candidates, likeliest first, at most 9
	CityDepartment                  // only a department was named: CityResult.Department and DeptCode
	CityForeign                     // a known foreign city or country, or a city with a known country: City{Name: display name, Foreign: true}
)

// CityResult is what Parse read. For CityAmbiguous, Department and DeptCode
// are also set when the text is a department's name as well ("Caldas",
// "Córdoba"), so the bot may offer the department too.
type CityResult struct {
	Match      CityMatch
	City       City
	Candidates []City
	Department string
	DeptCode   string
}

// LoadPlaces parses the embedded gazetteer and builds its indexes. It reads
// nothing but the embedded files, and fails only if they are broken.
func LoadPlaces() (*Places, error) {
	p := &Places{deptIdx: map[string]int{}, muniKeys: map[string][]int{}, deptKeys: map[string]int{}}
	if err := p.loadDepartments(departamentosCSV); err != nil {
		return nil, err
	}
	if err := p.loadMunicipalities(municipiosCSV); err != nil {
		return nil, err
	}
	if err := p.findCapitals(); err != nil {
		return nil, err
	}
	if err := p.indexNames(); err != nil {
		return nil, err
	}
	p.indexFuzzy()
	p.computeRadii()
	if err := p.loadRegions(); err != nil {
		return nil, err
	}
	return p, nil
}

// placeCSV reads an embedded CSV file into rows keyed by column name,
// checking that every wanted column is present.
func placeCSV(name, data string, want ...string) ([]map[string]string, error) {
	recs, err := csv.NewReader(strings.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("places: %s: %w", name, err)
	}
	if len(recs) < 2 {
		return nil, fmt.Errorf("places: %s: no rows", name)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	for _, w := range want {
		if _, ok := col[w]; !ok {
			return nil, fmt.Errorf("places: %s: no column %q", name, w)
		}
	}
	rows := make([]map[string]string, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for _, w := range want {
			row[w] = strings.TrimSpace(rec[col[w]])
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func (p *Places) loadDepartments(data string) error {
	rows, err := placeCSV("departamentos.csv", data, "cod_dpto", "dpto", "dpto_display")
	if err != nil {
		return err
	}
	for _, r := range rows {
		code := r["cod_dpto"]
		if !placeDigits(code, 2) || r["dpto_display"] == "" {
			return fmt.Errorf("places: bad department row %q", code)
		}
		if _, dup := p.deptIdx[code]; dup {
			return fmt.Errorf("places: department %s twice", code)
		}
		p.deptIdx[code] = len(p.depts)
		p.depts = append(p.depts, placeDept{code: code, name: r["dpto_display"], key: fold(r["dpto_display"]), capital: -1})
		p.deptNames = append(p.deptNames, nil)
		p.addDeptKey(r["dpto"], len(p.depts)-1)
		p.addDeptKey(r["dpto_display"], len(p.depts)-1)
	}
	return nil
}

func (p *Places) loadMunicipalities(data string) error {
	rows, err := placeCSV("divipola_municipios.csv", data, "cod_dpto", "cod_mpio", "nom_mpio", "tipo", "longitud", "latitud")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		code, dcode := r["cod_mpio"], r["cod_dpto"]
		di, ok := p.deptIdx[dcode]
		if !placeDigits(code, 5) || !ok || code[:2] != dcode || seen[code] || r["nom_mpio"] == "" {
			return fmt.Errorf("places: bad municipality row %q", code)
		}
		seen[code] = true
		lat, err1 := strconv.ParseFloat(r["latitud"], 64)
		lon, err2 := strconv.ParseFloat(r["longitud"], 64)
		if err1 != nil || err2 != nil || !placeValidPoint(lat, lon) {
			return fmt.Errorf("places: municipality %s: bad coordinates", code)
		}
		p.munis = append(p.munis, placeMuni{
			city: City{Code: code, Name: placeDisplayName(code, r["nom_mpio"]), Department: p.depts[di].name},
			key:  fold(r["nom_mpio"]),
			dept: di, lat: lat, lon: lon,
			area: r["tipo"] == "Área no municipalizada",
		})
	}
	return nil
}

// placeCapitalCode is the municipality that is the department's capital.
// DANE gives the capital the code ending in 001, except for Cundinamarca,
// whose capital is Bogotá (its 25001 is Agua de Dios).
func placeCapitalCode(dept string) string {
	if dept == "25" {
		return "11001"
	}
	return dept + "001"
}

func (p *Places) findCapitals() error {
	byCode := make(map[string]int, len(p.munis))
	for i, m := range p.munis {
		byCode[m.city.Code] = i
	}
	for di := range p.depts {
		i, ok := byCode[placeCapitalCode(p.depts[di].code)]
		if !ok {
			return fmt.Errorf("places: department %s has no capital", p.depts[di].code)
		}
		p.depts[di].capital = i
		p.munis[i].capital = true
	}
	return nil
}

// placeDisplayName title-cases a DANE upper-case name, keeping Spanish
// articles and prepositions in lower case: "SANTIAGO DE CALI" → "Santiago
// de Cali", "LA UNIÓN" → "La Unión".
func placeDisplayName(code, dane string) string {
	if code == "11001" {
		return "Bogotá D.C." // DANE writes "BOGOTÁ, D.C."
	}
	ws := strings.Fields(strings.ToLower(dane))
	for i, w := range ws {
		if i == 0 || !placeSmallWords[w] {
			ws[i] = placeCapitalize(w)
		}
	}
	return strings.Join(ws, " ")
}

var placeSmallWords = placeSet("de", "del", "la", "las", "los", "el", "y", "e", "en", "da", "do", "dos", "das")

func placeCapitalize(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	if r == utf8.RuneError {
		return w
	}
	return string(unicode.ToUpper(r)) + w[n:]
}

// placeMuniAliases are what people call municipalities that DIVIPOLA does
// not: nicknames, abbreviations, and short or older forms of long official
// names. A key may name several municipalities ("manaure" is in Cesar and
// in La Guajira), which keeps an honest ambiguity. LoadPlaces fails if a
// code here is not in the file, so a DANE renumbering cannot go unnoticed.
var placeMuniAliases = []struct{ key, code string }{
	{"bogota", "11001"}, {"bogota dc", "11001"}, {"bogota distrito capital", "11001"},
	{"distrito capital", "11001"}, {"santa fe de bogota", "11001"}, {"santafe de bogota", "11001"},
	{"bta", "11001"}, {"bog", "11001"},
	{"medallo", "05001"}, {"mde", "05001"}, {"la eterna primavera", "05001"},
	{"ciudad de la eterna primavera", "05001"},
	{"cali", "76001"}, {"la sucursal del cielo", "76001"}, {"sucursal del cielo", "76001"},
	{"quilla", "08001"}, {"b quilla", "08001"}, {"bquilla", "08001"}, {"baq", "08001"},
	{"la arenosa", "08001"}, {"curramba", "08001"}, {"curramba la bella", "08001"},
	{"cartagena", "13001"}, {"ctg", "13001"}, {"la heroica", "13001"}, {"ctgena", "13001"},
	{"bga", "68001"}, {"bucara", "68001"}, {"la ciudad bonita", "68001"},
	{"villavo", "50001"}, {"villao", "50001"},
	{"cucuta", "54001"}, {"san juan de pasto", "52001"},
	{"san andres isla", "88001"}, {"san andres islas", "88001"}, {"isla de san andres", "88001"},
	{"barranca", "68081"}, {"zipa", "25899"}, {"faca", "25269"}, {"fusa", "25290"},
	{"buga", "76111"}, {"tumaco", "52835"}, {"mompox", "13468"}, {"mompos", "13468"},
	{"mariquita", "73443"}, {"ubate", "25843"}, {"villa de san diego de ubate", "25843"},
	{"tolu", "70820"}, {"toluviejo", "70823"}, {"tolu viejo", "70823"},
	{"guican", "15332"}, {"piendamo", "19548"}, {"sotara", "19760"}, {"don matias", "05237"},
	{"santafe de antioquia", "05042"}, {"entrerios", "05264"}, {"purisima", "23586"},
	{"leguizamo", "86573"}, {"el espinal", "73268"}, {"codazzi", "20013"},
	{"carmen de bolivar", "13244"}, {"carmen de viboral", "05148"}, {"manaure", "20443"},
	{"cuaspud", "52224"}, {"carlosama", "52224"}, {"rio blanco", "73616"},
	{"vista hermosa", "50711"}, {"pueblo viejo", "47570"}, {"barranco minas", "94343"},
	{"cerro san antonio", "47161"}, {"since", "70742"}, {"belen de bajira", "27493"},
	{"puerto inirida", "94001"}, {"quilichao", "19698"}, {"san pedro de uraba", "05665"},
}

// placeDeptAliases are everyday names and the abbreviations people write
// after a municipality ("Medellín, Ant.", "Cúcuta, Nte de Sder").
var placeDeptAliases = []struct{ key, code string }{
	{"valle", "76"}, {"guajira", "44"}, {"cundi", "25"}, {"cund", "25"}, {"ant", "05"}, {"antq", "05"},
	{"atl", "08"}, {"bol", "13"}, {"boy", "15"}, {"sder", "68"}, {"stder", "68"}, {"santder", "68"},
	{"nte de santander", "54"}, {"n de santander", "54"}, {"norte santander", "54"}, {"nte santander", "54"},
	{"nte de sder", "54"}, {"norte de sder", "54"}, {"n de s", "54"}, {"nte sder", "54"},
	{"san andres y providencia", "88"}, {"san andres providencia y santa catalina", "88"},
	{"archipielago de san andres", "88"}, {"archipielago", "88"},
}

func (p *Places) indexNames() error {
	for i, m := range p.munis {
		p.addMuniKey(m.key, i)
		p.addMuniKey(fold(m.city.Name), i)
	}
	byCode := make(map[string]int, len(p.munis))
	for i, m := range p.munis {
		byCode[m.city.Code] = i
	}
	for _, a := range placeMuniAliases {
		i, ok := byCode[a.code]
		if !ok {
			return fmt.Errorf("places: alias %q names unknown municipality %s", a.key, a.code)
		}
		p.addMuniKey(fold(a.key), i)
	}
	for _, a := range placeDeptAliases {
		di, ok := p.deptIdx[a.code]
		if !ok {
			return fmt.Errorf("places: alias %q names unknown department %s", a.key, a.code)
		}
		p.addDeptKey(a.key, di)
	}
	return nil
}

func (p *Places) addMuniKey(key string, i int) {
	if !slices.Contains(p.muniKeys[key], i) {
		p.muniKeys[key] = append(p.muniKeys[key], i)
	}
}

func (p *Places) addDeptKey(name string, di int) {
	key := fold(name)
	if _, ok := p.deptKeys[key]; !ok {
		p.deptKeys[key] = di
		p.deptNames[di] = append(p.deptNames[di], key)
	}
}

// indexFuzzy prepares every key of four letters or more for typo matching;
// shorter keys ("bta", "une") are matched exactly only. "colombia" is left
// out: a misspelt country name must not become Colombia, Huila.
func (p *Places) indexFuzzy() {
	p.fuzzIn = make([][]placeFuzzKey, len(p.depts))
	for _, key := range placeSortedKeys(p.muniKeys) {
		k := newPlaceFuzzKey(key)
		if k.letters < 4 || key == "colombia" {
			continue
		}
		k.munis = p.muniKeys[key]
		p.fuzzMunis = append(p.fuzzMunis, k)
		p.indexFuzzyInDepts(k)
	}
	for _, key := range placeSortedKeys(p.deptKeys) {
		k := newPlaceFuzzKey(key)
		if k.letters >= 4 {
			k.dept = p.deptKeys[key]
			p.fuzzDepts = append(p.fuzzDepts, k)
		}
	}
}

// indexFuzzyInDepts adds k to the typo index of each department that has
// a municipality of that name, listing only the municipalities there.
func (p *Places) indexFuzzyInDepts(k placeFuzzKey) {
	byDept := map[int][]int{}
	for _, i := range k.munis {
		byDept[p.munis[i].dept] = append(byDept[p.munis[i].dept], i)
		if p.munis[i].city.Code == "11001" { // see inDept
			cundinamarca := p.deptIdx["25"]
			byDept[cundinamarca] = append(byDept[cundinamarca], i)
		}
	}
	for _, di := range slices.Sorted(maps.Keys(byDept)) {
		in := k
		in.munis = byDept[di]
		p.fuzzIn[di] = append(p.fuzzIn[di], in)
	}
}

func placeSortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic ties
	return keys
}

func newPlaceFuzzKey(key string) placeFuzzKey {
	return placeFuzzKey{key: key, runes: []rune(key), letters: placeLetters(key)}
}

// inDept reports whether municipality i belongs to department di. Bogotá
// also counts as Cundinamarca's: people write "Bogotá, Cundinamarca".
func (p *Places) inDept(i, di int) bool {
	return p.munis[i].dept == di || (p.munis[i].city.Code == "11001" && p.depts[di].code == "25")
}

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
	ws, ok := placeWords(text, placeMaxRunes)
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

func (p *Places) parseExact(ws []placeWord) (CityResult, bool) {
	for _, t := range placeTrims(ws) {
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
func (p *Places) afterPreposition(ws []placeWord) (CityResult, bool) {
	for j := 1; j < len(ws)-1; j++ {
		switch ws[j].key {
		case "en", "de", "desde":
			if placeLeadingFiller(ws[j+1:]) > 0 {
				continue
			}
			if r, ok := p.parseExact(ws[j+1:]); ok && r.Match != CityNotFound {
				return r, true
			}
		}
	}
	return CityResult{}, false
}

func (p *Places) parseFuzzy(ws []placeWord) (CityResult, bool) {
	t := placeFuzzReading(ws)
	if t == nil {
		return CityResult{}, false
	}
	return p.fuzzy(t)
}

// exact reads ws as a whole name, or as a municipality with its department,
// or as a foreign place.
func (p *Places) exact(ws []placeWord) (CityResult, bool) {
	key := placeJoin(ws)
	if key == "colombia" {
		return CityResult{}, true // the country, not Colombia, Huila
	}
	if r, ok := p.byName(key); ok {
		return r, true
	}
	if di, ok := p.deptByKey(key); ok {
		return p.deptResult(di), true
	}
	if name, ok := placeForeignWhole(ws); ok {
		return CityResult{Match: CityForeign, City: City{Name: name, Foreign: true}}, true
	}
	if r, ok := p.withDepartment(ws, p.exactInDept); ok {
		return r, true
	}
	if name, ok := placeForeignWithCountry(ws); ok {
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

// placeNoCapitalPreference lists capitals whose namesakes are too large for
// the capital to be a safe guess; see Parse.
var placeNoCapitalPreference = placeSet("88001")

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
		if capital >= 0 || placeNoCapitalPreference[p.munis[i].city.Code] {
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
		if c := cmp.Compare(placeRank(ma), placeRank(mb)); c != 0 {
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
	if len(idxs) > placeMaxCands {
		idxs = idxs[:placeMaxCands]
	}
	r := CityResult{Match: CityAmbiguous, Candidates: make([]City, len(idxs))}
	for k, i := range idxs {
		r.Candidates[k] = p.munis[i].city
	}
	return r
}

func placeRank(m *placeMuni) int {
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
		rest, ok := placeCutPrefix(key, "departamento", "depto", "dpto", "dept", "del", "de", "el")
		if !ok {
			return 0, false
		}
		key = rest
	}
}

func placeCutPrefix(key string, words ...string) (string, bool) {
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
func (p *Places) withDepartment(ws []placeWord, match func(string, int) (CityResult, bool)) (CityResult, bool) {
	for i := 1; i < len(ws); i++ {
		if di, ok := p.deptByKey(placeJoin(ws[i:])); ok {
			if r, ok := match(placeJoin(ws[:i]), di); ok {
				return r, true
			}
		}
	}
	for i := len(ws) - 1; i >= 1; i-- {
		if di, ok := p.deptByKey(placeJoin(ws[:i])); ok {
			if r, ok := match(placeJoin(ws[i:]), di); ok {
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
func (p *Places) withCity(ws []placeWord) (CityResult, bool) {
	for i := len(ws) - 1; i >= 1; i-- {
		if !p.namesCapital(placeJoin(ws[i:])) {
			continue
		}
		if r, ok := p.byName(placeJoin(ws[:i])); ok && r.Match != CityDepartment {
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
func (p *Places) fuzzy(ws []placeWord) (CityResult, bool) {
	key := placeJoin(ws)
	if utf8.RuneCountInString(key) > placeMaxFuzzRunes {
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
	letters := placeLetters(key)
	mk, md := placeClosest(in, letters, p.fuzzMunis)
	dk, dd := placeClosest(in, letters, p.fuzzDepts)
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
func (p *Places) fuzzyResult(keys []placeFuzzKey) CityResult {
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
	if utf8.RuneCountInString(key) > placeMaxFuzzRunes {
		return CityResult{}, false
	}
	keys, _ := placeClosest([]rune(key), placeLetters(key), p.fuzzIn[di])
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
func (p *Places) withFuzzyDepartment(ws []placeWord) (CityResult, bool) {
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

func (p *Places) fuzzyDeptSplit(place, dept []placeWord) (CityResult, bool) {
	key := placeJoin(dept)
	if utf8.RuneCountInString(key) > placeMaxFuzzRunes {
		return CityResult{}, false
	}
	keys, _ := placeClosest([]rune(key), placeLetters(key), p.fuzzDepts)
	if len(keys) != 1 {
		return CityResult{}, false
	}
	return p.exactInDept(placeJoin(place), keys[0].dept)
}

// placeMaxEdits is how many typing errors a name of n letters tolerates:
// none up to 3 ("bta" must not become "btb"), one up to 5, two beyond.
func placeMaxEdits(n int) int {
	switch {
	case n <= 3:
		return 0
	case n <= 5:
		return 1
	}
	return 2
}

// placeClosest returns the keys nearest in (letters long), all at the
// smallest distance found, and that distance. The tolerance is set by the
// shorter of the two, so a short input cannot reach a long name by edits.
func placeClosest(in []rune, letters int, keys []placeFuzzKey) ([]placeFuzzKey, int) {
	best := math.MaxInt
	var found []placeFuzzKey
	for _, k := range keys {
		limit := min(placeMaxEdits(min(letters, k.letters)), best)
		if limit == 0 && best == math.MaxInt {
			continue
		}
		d := placeEditDistance(in, k.runes, limit)
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

// placeEditDistance is the optimal-string-alignment distance between a and
// b (insertions, deletions, substitutions and swaps of adjacent letters, so
// "pereria" is one edit from "pereira"), or max+1 as soon as it is sure to
// exceed max. Inputs longer than 63 runes are reported as too far.
func placeEditDistance(a, b []rune, max int) int {
	if len(a) > 63 || len(b) > 63 || placeAbs(len(a)-len(b)) > max {
		return max + 1
	}
	var rows [3][64]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := range len(b) + 1 {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func placeAbs(n int) int {
	if n < 0 {
		return -n
	}
	return n
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
	ws, ok := placeWords(text, placeMaxRunes)
	if !ok || len(ws) == 0 {
		return CityResult{}
	}
	for _, t := range placeTrims(ws) {
		if r, ok := p.inDepartment(t, di); ok {
			return r
		}
	}
	if r, ok := p.parseExact(ws); ok && (r.Match == CityExact || r.Match == CityForeign) {
		return r // they named a place elsewhere: "no, en Bogotá"
	}
	if t := placeFuzzReading(ws); t != nil {
		if r, ok := p.fuzzyInDept(placeJoin(t), di); ok {
			return r
		}
	}
	return p.Parse(text)
}

// inDepartment reads ws as a municipality of department di, alone or with
// the department repeated ("Envigado, Antioquia").
func (p *Places) inDepartment(ws []placeWord, di int) (CityResult, bool) {
	if r, ok := p.exactInDept(placeJoin(ws), di); ok {
		return r, true
	}
	return p.withDepartment(ws, func(key string, d int) (CityResult, bool) {
		if d != di {
			return CityResult{}, false
		}
		return p.exactInDept(key, di)
	})
}

// Pick reads the answer to "¿cuál de estos?" after CityAmbiguous: a 1-based
// number of the list shown ("2", "la 2", "opción 2", "el segundo"), the
// department ("Nariño", "el de Antioquia", "antiokia"), or the place named
// again in full ("La Unión, Valle"). ok is false for anything else,
// including a number outside the list.
func (p *Places) Pick(text string, candidates []City) (City, bool) {
	if len(candidates) == 0 {
		return City{}, false
	}
	ws, ok := placeWords(text, placeMaxRunes)
	if !ok || len(ws) == 0 {
		return City{}, false
	}
	core := placePickTrim(ws)
	if n, ok := placeOrdinal(core); ok {
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

var placePickLead = placeSet("el", "la", "los", "las", "lo", "de", "del", "en", "opcion", "numero", "num", "nro",
	"es", "pues", "si", "sii", "claro", "ese", "esa", "este", "esta", "mi", "municipio", "ciudad",
	"departamento", "depto", "dpto", "que", "queda", "soy", "estoy", "vivo", "somos", "estamos",
	"hola", "seria", "creo", "ok", "dale", "listo", "yo", "the", "number", "option")

// placePickTrim drops the words around a choice: "el de", "la opción", "gracias".
func placePickTrim(ws []placeWord) []placeWord {
	for len(ws) > 0 && placePickLead[ws[0].key] {
		ws = ws[1:]
	}
	for len(ws) > 0 && placeTrailWords[ws[len(ws)-1].key] {
		ws = ws[:len(ws)-1]
	}
	return ws
}

var placeNumberWords = map[string]int{
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

// placeOrdinal reads a lone number: "2", "2a", "2do", "dos", "segundo".
func placeOrdinal(ws []placeWord) (int, bool) {
	if len(ws) != 1 {
		return 0, false
	}
	k := ws[0].key
	if n, ok := placeNumberWords[k]; ok {
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

// placePickAliases are department names that only make sense as a choice.
var placePickAliases = map[string]string{"isla": "88", "islas": "88", "san andres islas": "88"}

// pickByDepartment finds the one candidate in the department named,
// exactly or within the usual typing errors.
func (p *Places) pickByDepartment(ws []placeWord, candidates []City) (City, bool) {
	key := placeJoin(ws)
	if key == "" {
		return City{}, false
	}
	di, ok := p.deptByKey(key)
	if code, alias := placePickAliases[key]; alias {
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
	if utf8.RuneCountInString(key) > placeMaxFuzzRunes {
		return 0, false
	}
	var keys []placeFuzzKey
	for _, c := range candidates {
		if di, ok := p.deptIdx[placeDeptCode(c)]; ok {
			for _, k := range p.deptNames[di] {
				fk := newPlaceFuzzKey(k)
				fk.dept = di
				keys = append(keys, fk)
			}
		}
	}
	found, _ := placeClosest([]rune(key), placeLetters(key), keys)
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

func placeDeptCode(c City) string {
	if len(c.Code) != 5 {
		return ""
	}
	return c.Code[:2]
}

// onlyIn returns the candidate in department di when there is exactly one.
func (p *Places) onlyIn(candidates []City, di int) (City, bool) {
	var found []City
	for _, c := range candidates {
		if placeDeptCode(c) == p.depts[di].code || (c.Code == "11001" && p.depts[di].code == "25") {
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

// Nearest maps a shared WhatsApp location to the municipality whose DANE
// centroid is closest (great-circle distance). Without municipal borders,
// ok says whether the point is plausibly in Colombia: it must lie within
// some municipality's radius of its centroid, the radius being the
// distance from that centroid to the nearest other one, kept between 60
// km (dense Andean municipalities) and 150 km (the vast Amazon and
// Orinoquía ones, whose neighbours are 100-260 km away). A point just
// across a border city (San Antonio del Táchira, Tabatinga, Tulcán) maps to
// its Colombian neighbour, which is what a prospect there means; Madrid,
// Quito or Panamá are not ok. Invalid coordinates are not ok.
func (p *Places) Nearest(lat, lon float64) (City, bool) {
	if !placeValidPoint(lat, lon) {
		return City{}, false
	}
	best, bestKm, inside := -1, math.Inf(1), false
	for i := range p.munis {
		m := &p.munis[i]
		d := placeHaversineKm(lat, lon, m.lat, m.lon)
		if d < bestKm {
			best, bestKm = i, d
		}
		if d <= m.radiusKm {
			inside = true
		}
	}
	if !inside || best < 0 {
		return City{}, false
	}
	return p.munis[best].city, true
}

func placeValidPoint(lat, lon float64) bool {
	return lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 // false for NaN too
}

const placeEarthRadiusKm = 6371.0088 // mean radius (IUGG)

func placeHaversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const rad = math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * placeEarthRadiusKm * math.Asin(math.Sqrt(min(h, 1)))
}

// computeRadii sets each municipality's radius for Nearest from its
// nearest neighbour, scanning in latitude order so that load stays well
// under quadratic: a degree of latitude is at least 110 km on any meridian.
func (p *Places) computeRadii() {
	order := make([]int, len(p.munis))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.munis[a].lat, p.munis[b].lat) })
	const kmPerDegree = 110.5
	for k, i := range order {
		m := &p.munis[i]
		best := math.Inf(1)
		for _, step := range []int{1, -1} {
			for l := k + step; l >= 0 && l < len(order); l += step {
				o := &p.munis[order[l]]
				if math.Abs(o.lat-m.lat)*kmPerDegree > best {
					break
				}
				best = min(best, placeHaversineKm(m.lat, m.lon, o.lat, o.lon))
			}
		}
		m.radiusKm = min(max(best, 60), 150)
	}
}

// ForeignName title-cases a place the prospect confirmed is outside
// Colombia, for City{Name: ..., Foreign: true}. Lead-ins are dropped as in
// Parse ("vivo en miami" → "Miami, Estados Unidos"); known cities and
// countries get their Spanish display name, with the country; anything
// else keeps the prospect's words and accents, title-cased, and at most
// eight words ("valència, españa" → "València, España").
func ForeignName(text string) string {
	ws, _ := placeWords(text, placeMaxRunes)
	trims := placeTrims(ws)
	if len(trims) == 0 {
		return ""
	}
	for _, t := range trims {
		if name, ok := placeForeignWhole(t); ok {
			return name
		}
		if name, ok := placeForeignWithCountry(t); ok {
			return name
		}
	}
	t := trims[len(trims)-1]
	if len(t) > 8 {
		t = t[:8]
	}
	return placeTitle(t)
}

// placeForeign is a foreign place in Spanish, with its country (for a
// country, itself; for a US state, the United States).
type placeForeign struct{ name, country string }

// placeForeignCities are the cities abroad that Colombian prospects most
// often write from. Parse checks Colombian names first, so a namesake here
// ("valencia", "monterrey", "santiago") only applies with the country.
var placeForeignCities = map[string]placeForeign{
	"miami":                   {"Miami", "Estados Unidos"},
	"orlando":                 {"Orlando", "Estados Unidos"},
	"nueva york":              {"Nueva York", "Estados Unidos"},
	"new york":                {"Nueva York", "Estados Unidos"},
	"nyc":                     {"Nueva York", "Estados Unidos"},
	"houston":                 {"Houston", "Estados Unidos"},
	"los angeles":             {"Los Ángeles", "Estados Unidos"},
	"chicago":                 {"Chicago", "Estados Unidos"},
	"boston":                  {"Boston", "Estados Unidos"},
	"atlanta":                 {"Atlanta", "Estados Unidos"},
	"dallas":                  {"Dallas", "Estados Unidos"},
	"washington":              {"Washington", "Estados Unidos"},
	"tampa":                   {"Tampa", "Estados Unidos"},
	"fort lauderdale":         {"Fort Lauderdale", "Estados Unidos"},
	"las vegas":               {"Las Vegas", "Estados Unidos"},
	"newark":                  {"Newark", "Estados Unidos"},
	"madrid":                  {"Madrid", "España"},
	"barcelona":               {"Barcelona", "España"},
	"valencia":                {"Valencia", "España"},
	"sevilla":                 {"Sevilla", "España"},
	"malaga":                  {"Málaga", "España"},
	"bilbao":                  {"Bilbao", "España"},
	"alicante":                {"Alicante", "España"},
	"zaragoza":                {"Zaragoza", "España"},
	"murcia":                  {"Murcia", "España"},
	"palma de mallorca":       {"Palma de Mallorca", "España"},
	"londres":                 {"Londres", "Reino Unido"},
	"london":                  {"Londres", "Reino Unido"},
	"paris":                   {"París", "Francia"},
	"roma":                    {"Roma", "Italia"},
	"milan":                   {"Milán", "Italia"},
	"berlin":                  {"Berlín", "Alemania"},
	"amsterdam":               {"Ámsterdam", "Países Bajos"},
	"lisboa":                  {"Lisboa", "Portugal"},
	"toronto":                 {"Toronto", "Canadá"},
	"montreal":                {"Montreal", "Canadá"},
	"vancouver":               {"Vancouver", "Canadá"},
	"ciudad de mexico":        {"Ciudad de México", "México"},
	"cdmx":                    {"Ciudad de México", "México"},
	"mexico df":               {"Ciudad de México", "México"},
	"guadalajara":             {"Guadalajara", "México"},
	"monterrey":               {"Monterrey", "México"},
	"cancun":                  {"Cancún", "México"},
	"tijuana":                 {"Tijuana", "México"},
	"caracas":                 {"Caracas", "Venezuela"},
	"maracaibo":               {"Maracaibo", "Venezuela"},
	"barquisimeto":            {"Barquisimeto", "Venezuela"},
	"maracay":                 {"Maracay", "Venezuela"},
	"san cristobal":           {"San Cristóbal", "Venezuela"},
	"merida":                  {"Mérida", "Venezuela"},
	"quito":                   {"Quito", "Ecuador"},
	"guayaquil":               {"Guayaquil", "Ecuador"},
	"cuenca":                  {"Cuenca", "Ecuador"},
	"lima":                    {"Lima", "Perú"},
	"arequipa":                {"Arequipa", "Perú"},
	"cusco":                   {"Cusco", "Perú"},
	"ciudad de panama":        {"Ciudad de Panamá", "Panamá"},
	"panama city":             {"Ciudad de Panamá", "Panamá"},
	"santiago de chile":       {"Santiago de Chile", "Chile"},
	"santiago":                {"Santiago", "Chile"},
	"buenos aires":            {"Buenos Aires", "Argentina"},
	"cordoba":                 {"Córdoba", "Argentina"},
	"mendoza":                 {"Mendoza", "Argentina"},
	"montevideo":              {"Montevideo", "Uruguay"},
	"asuncion":                {"Asunción", "Paraguay"},
	"la paz":                  {"La Paz", "Bolivia"},
	"santa cruz de la sierra": {"Santa Cruz de la Sierra", "Bolivia"},
	"sao paulo":               {"São Paulo", "Brasil"},
	"rio de janeiro":          {"Río de Janeiro", "Brasil"},
	"san jose":                {"San José", "Costa Rica"},
	"santo domingo":           {"Santo Domingo", "República Dominicana"},
	"punta cana":              {"Punta Cana", "República Dominicana"},
	"la habana":               {"La Habana", "Cuba"},
	"san juan":                {"San Juan", "Puerto Rico"},
	"guatemala":               {"Ciudad de Guatemala", "Guatemala"},
	"dubai":                   {"Dubái", "Emiratos Árabes Unidos"},
	"sidney":                  {"Sídney", "Australia"},
	"sydney":                  {"Sídney", "Australia"},
	"tokio":                   {"Tokio", "Japón"},
}

// placeCountries are foreign countries, and a few US states, Spanish
// regions and abbreviations people add after a city ("Orlando, FL").
var placeCountries = map[string]placeForeign{
	"venezuela":              {"Venezuela", "Venezuela"},
	"ecuador":                {"Ecuador", "Ecuador"},
	"peru":                   {"Perú", "Perú"},
	"panama":                 {"Panamá", "Panamá"},
	"mexico":                 {"México", "México"},
	"espana":                 {"España", "España"},
	"spain":                  {"España", "España"},
	"argentina":              {"Argentina", "Argentina"},
	"chile":                  {"Chile", "Chile"},
	"brasil":                 {"Brasil", "Brasil"},
	"brazil":                 {"Brasil", "Brasil"},
	"costa rica":             {"Costa Rica", "Costa Rica"},
	"canada":                 {"Canadá", "Canadá"},
	"alemania":               {"Alemania", "Alemania"},
	"francia":                {"Francia", "Francia"},
	"italia":                 {"Italia", "Italia"},
	"portugal":               {"Portugal", "Portugal"},
	"inglaterra":             {"Inglaterra", "Reino Unido"},
	"reino unido":            {"Reino Unido", "Reino Unido"},
	"uk":                     {"Reino Unido", "Reino Unido"},
	"holanda":                {"Países Bajos", "Países Bajos"},
	"paises bajos":           {"Países Bajos", "Países Bajos"},
	"suiza":                  {"Suiza", "Suiza"},
	"suecia":                 {"Suecia", "Suecia"},
	"republica dominicana":   {"República Dominicana", "República Dominicana"},
	"puerto rico":            {"Puerto Rico", "Puerto Rico"},
	"cuba":                   {"Cuba", "Cuba"},
	"guatemala":              {"Guatemala", "Guatemala"},
	"honduras":               {"Honduras", "Honduras"},
	"el salvador":            {"El Salvador", "El Salvador"},
	"nicaragua":              {"Nicaragua", "Nicaragua"},
	"bolivia":                {"Bolivia", "Bolivia"},
	"paraguay":               {"Paraguay", "Paraguay"},
	"uruguay":                {"Uruguay", "Uruguay"},
	"australia":              {"Australia", "Australia"},
	"japon":                  {"Japón", "Japón"},
	"china":                  {"China", "China"},
	"aruba":                  {"Aruba", "Aruba"},
	"curazao":                {"Curazao", "Curazao"},
	"jamaica":                {"Jamaica", "Jamaica"},
	"emiratos arabes unidos": {"Emiratos Árabes Unidos", "Emiratos Árabes Unidos"},
	"estados unidos":         {"Estados Unidos", "Estados Unidos"},
	"usa":                    {"Estados Unidos", "Estados Unidos"},
	"eeuu":                   {"Estados Unidos", "Estados Unidos"},
	"ee uu":                  {"Estados Unidos", "Estados Unidos"},
	"u s a":                  {"Estados Unidos", "Estados Unidos"},
	"united states":          {"Estados Unidos", "Estados Unidos"},
	"florida":                {"Florida", "Estados Unidos"},
	"fl":                     {"Florida", "Estados Unidos"},
	"texas":                  {"Texas", "Estados Unidos"},
	"tx":                     {"Texas", "Estados Unidos"},
	"california":             {"California", "Estados Unidos"},
	"new jersey":             {"Nueva Jersey", "Estados Unidos"},
	"nueva jersey":           {"Nueva Jersey", "Estados Unidos"},
	"nj":                     {"Nueva Jersey", "Estados Unidos"},
	"ny":                     {"Nueva York", "Estados Unidos"},
	"georgia":                {"Georgia", "Estados Unidos"},
	"massachusetts":          {"Massachusetts", "Estados Unidos"},
	"illinois":               {"Illinois", "Estados Unidos"},
	"ontario":                {"Ontario", "Canadá"},
	"quebec":                 {"Quebec", "Canadá"},
	"cataluna":               {"Cataluña", "España"},
	"andalucia":              {"Andalucía", "España"},
}

// placeForeignWhole reads ws as a known foreign city or country.
func placeForeignWhole(ws []placeWord) (string, bool) {
	key := placeJoin(ws)
	if c, ok := placeForeignCities[key]; ok {
		return c.name + ", " + c.country, true
	}
	if c, ok := placeCountries[key]; ok {
		return c.name, true
	}
	return "", false
}

// placeForeignWithCountry reads "<city> <country>": "Madrid, España",
// "Valencia Venezuela", "Orlando FL". A city not in the list keeps the
// prospect's words, if they look like a name: at most three words, no
// lead-in ("vivo en") and no everyday word ("trabajo para España").
func placeForeignWithCountry(ws []placeWord) (string, bool) {
	for i := 1; i < len(ws); i++ {
		c, ok := placeCountries[placeJoin(ws[i:])]
		if !ok {
			continue
		}
		city := ws[:i]
		if known, ok := placeForeignCities[placeJoin(city)]; ok && known.country == c.country {
			return known.name + ", " + known.country, true
		}
		if len(city) > 3 || placeLeadingFiller(city) > 0 || slices.ContainsFunc(city, placeIsChat) {
			return "", false
		}
		return placeTitle(city) + ", " + c.name, true
	}
	return "", false
}

func placeIsChat(w placeWord) bool { return placeChatWords[w.key] }

// placeTitle title-cases words as typed, keeping accents, Spanish and
// Portuguese articles in lower case, short acronyms ("FL", "UK") when the
// rest is not shouted, and commas between words.
func placeTitle(ws []placeWord) string {
	shouted := true
	for _, w := range ws {
		if strings.ToUpper(w.orig) != w.orig || strings.ToLower(w.orig) == w.orig {
			shouted = false
		}
	}
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			if w.comma {
				b.WriteByte(',')
			}
			b.WriteByte(' ')
		}
		lower := strings.ToLower(w.orig)
		switch {
		case i > 0 && placeSmallWords[w.key]:
			b.WriteString(lower)
		case !shouted && utf8.RuneCountInString(w.orig) <= 3 && strings.ToUpper(w.orig) == w.orig && strings.ToLower(w.orig) != w.orig:
			b.WriteString(w.orig)
		default:
			b.WriteString(placeCapitalize(lower))
		}
	}
	return b.String()
}

// placeWord is one word of the prospect's text, as typed (for display) and
// folded (for matching).
type placeWord struct {
	orig, key string
	comma     bool // a comma separates it from the previous word
}

// placeWords splits text into words as fold does, keeping each as typed.
// It reads at most maxRunes runes and placeMaxWords words; ok is false when
// the text is longer, and the words read so far are returned.
func placeWords(text string, maxRunes int) (ws []placeWord, ok bool) {
	start, comma, runes := -1, false, 0
	for i, r := range text {
		if runes++; runes > maxRunes || len(ws) > placeMaxWords {
			return placeCapWords(ws), false
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			ws, comma = placeAppendWord(ws, text[start:i], comma), false
			start = -1
		}
		if r == ',' && len(ws) > 0 {
			comma = true
		}
	}
	if start >= 0 {
		ws = placeAppendWord(ws, text[start:], comma)
	}
	if len(ws) > placeMaxWords {
		return placeCapWords(ws), false
	}
	return ws, true
}

func placeCapWords(ws []placeWord) []placeWord {
	return ws[:min(len(ws), placeMaxWords)]
}

func placeAppendWord(ws []placeWord, orig string, comma bool) []placeWord {
	for _, k := range strings.Fields(fold(orig)) {
		ws = append(ws, placeWord{orig: orig, key: k, comma: comma})
		comma = false
	}
	return ws
}

func placeJoin(ws []placeWord) string {
	switch len(ws) {
	case 0:
		return ""
	case 1:
		return ws[0].key
	}
	var b strings.Builder
	for i, w := range ws {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w.key)
	}
	return b.String()
}

func placeLetters(key string) int {
	return utf8.RuneCountInString(key) - strings.Count(key, " ")
}

// placeLeadWords open an answer without being part of the place: "hola,
// soy de", "vivo en", "actualmente estamos ubicados en". Each is dropped
// only as one of several readings (see placeTrims), because some begin
// names: "Buenos Aires" (Cauca), "Ciudad Bolívar" (Antioquia).
var placeLeadWords = placeSet("hola", "holi", "ola", "buenas", "buenos", "buen", "dias", "dia", "tardes",
	"noches", "saludos", "si", "sii", "claro", "bueno", "ok", "okey", "okay", "listo", "dale", "pues",
	"yo", "nosotros", "nosotras", "somos", "soy", "estoy", "estamos", "esta", "vivo", "vivimos", "resido",
	"residimos", "desde", "de", "del", "en", "aqui", "aca", "actualmente", "ahora", "ahorita", "mi",
	"ciudad", "municipio", "es", "me", "nos", "encuentro", "encontramos", "ubicado", "ubicada",
	"ubicados", "ubicadas", "quedo", "queda", "quedamos", "quedan", "trabajo", "trabajamos",
	"radicado", "radicados", "un", "una", "agencia", "empresa", "negocio", "cerca", "a", "al",
	"from", "in", "im", "i", "am")

// placeLeadPhrases are article + noun pairs that introduce the place: "la
// ciudad de", "el municipio de", "nuestra empresa está en".
var (
	placeLeadArticles = placeSet("la", "el", "nuestra", "nuestro", "mi")
	placeLeadNouns    = placeSet("ciudad", "municipio", "empresa", "negocio", "oficina", "agencia", "sede", "tienda", "pueblo")
)

// placeTrailWords end an answer without being part of the place.
var placeTrailWords = placeSet("colombia", "col", "co", "gracias", "muchas", "mil", "porfa", "favor", "por",
	"pues", "jaja", "jajaja", "ciudad", "capital", "city")

func placeLeadingFiller(ws []placeWord) int {
	switch {
	case len(ws) == 0:
		return 0
	case placeLeadWords[ws[0].key]:
		return 1
	case len(ws) >= 2 && placeLeadArticles[ws[0].key] && placeLeadNouns[ws[1].key]:
		return 2
	}
	return 0
}

// placeTrims lists the readings of ws with lead-ins and trailing filler
// dropped, fewest drops first, skipping empty ones. A filler word can begin
// or end a name ("Buenos Aires", "Puerto Colombia"), so every reading is
// tried instead of stripping greedily; there are only a handful.
func placeTrims(ws []placeWord) [][]placeWord {
	leads, tails := placeCuts(ws)
	var out [][]placeWord
	for total := 0; total <= len(leads)+len(tails)-2; total++ {
		for a := 0; a < len(leads) && a <= total; a++ {
			if b := total - a; b < len(tails) && leads[a] < tails[b] {
				out = append(out, ws[leads[a]:tails[b]])
			}
		}
	}
	return out
}

// placeFuzzReading is the reading for typo matching: every lead-in and
// trailing filler dropped. Only that one: "soy de medelin" must be matched
// as "medelin", and a filler word alone ("gracias") must not reach a name
// two edits away ("Acacías"). Nor must everyday words: see placeChatWords.
// It is nil when nothing is left to match.
func placeFuzzReading(ws []placeWord) []placeWord {
	leads, tails := placeCuts(ws)
	lead, tail := leads[len(leads)-1], tails[len(tails)-1]
	if lead >= tail || tail-lead > 8 {
		return nil
	}
	t := ws[lead:tail]
	if !slices.ContainsFunc(t, func(w placeWord) bool { return !placeIsChat(w) }) {
		return nil
	}
	return t
}

// placeChatWords are everyday words one or two letters away from a
// municipality: "quiero" (Quibdó), "mañana" (Manatí), "tengo" (Tenjo),
// "hello" (Bello), "vale" (Valle). A text made only of them is never typo
// matched; an exact name still wins ("Plato" is a town, "plata" money).
var placeChatWords = placeSet(
	"a", "al", "alla", "alli", "amiga", "amigo", "ahi", "antes", "aqui", "asi", "ayer", "ayuda", "bien",
	"bueno", "buena", "casa", "cerca", "claro", "como", "comida", "con", "costa", "cual", "cuando",
	"cuanto", "cuesta", "dale", "de", "donde", "dolares", "dos", "el", "ella", "en", "entonces",
	"esta", "este", "eso", "esto", "hello", "hola", "hoy", "igual", "la", "las", "lejos", "listo",
	"lo", "los", "luego", "malo", "mas", "manana", "mes", "mi", "mio", "mucho", "muy", "nada", "no",
	"nunca", "ok", "otra", "otro", "para", "pauta", "pero", "plata", "poco", "por", "porque", "pues",
	"que", "quien", "quiero", "se", "semana", "senor", "senora", "si", "sin", "solo", "su", "tambien",
	"tengo", "todo", "toda", "todos", "un", "una", "vale", "venta", "ventas", "ya", "yo", "zapatos",
	"asia", "africa", "europa", "paisa", "rolo", "costeno", "valluno", "opita", "pastuso",
	"hello", "hi", "yes", "no", "thanks", "please", "todavia", "creo", "quizas", "tal", "vez",
	"numero", "nombre", "correo", "email", "celular", "telefono", "whatsapp", "facebook", "instagram",
)

// placeCuts returns where a reading may start (after each lead-in) and end
// (before each trailing filler word). After "la ciudad" it may also start
// at "ciudad", for "(la) Ciudad de Panamá".
func placeCuts(ws []placeWord) (leads, tails []int) {
	leads = []int{0}
	for i := 0; i < len(ws); {
		n := placeLeadingFiller(ws[i:])
		if n == 0 {
			break
		}
		if n == 2 {
			leads = append(leads, i+1)
		}
		i += n
		leads = append(leads, i)
	}
	tails = []int{len(ws)}
	for j := len(ws); j > 0 && placeTrailWords[ws[j-1].key]; j-- {
		tails = append(tails, j-1)
	}
	return leads, tails
}

func placeSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func placeDigits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
