// Package place reads the answer to "¿en qué ciudad estás?" against the
// DANE gazetteer embedded in it: municipalities and departments by name,
// alias or typo, regions, foreign places, the choice among namesakes and
// the municipality of a shared location. It is pure: text in, City out.
package place

import (
	_ "embed"
	"encoding/csv"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cis-agencia/cis/flow/fold"
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
	maxRunes     = 200
	maxWords     = 16
	maxFuzzRunes = 60 // longest key is 55: the San Andrés department
	maxCands     = 9
)

// City is a normalised answer to "¿en qué ciudad estás?". A Colombian city
// carries its DANE DIVIPOLA code; a foreign one only the name typed.
type City struct {
	Code       string `json:"code"`       // DANE municipality code, 5 digits; "" when Foreign
	Name       string `json:"name"`       // display name with accents: "Santiago de Cali"
	Department string `json:"department"` // display name: "Valle del Cauca"; "" when Foreign
	Foreign    bool   `json:"foreign"`
}

// Places is the embedded gazetteer: every DANE municipality and department,
// with the indexes Parse needs precomputed. It is immutable after
// Load and safe for concurrent use.
type Places struct {
	munis     []muni
	depts     []dept
	deptIdx   map[string]int   // 2-digit code → index in depts
	muniKeys  map[string][]int // folded name or alias → municipalities
	deptKeys  map[string]int   // folded name or alias → department
	fuzzMunis []fuzzKey        // muni keys long enough for typo matching
	fuzzDepts []fuzzKey
	fuzzIn    [][]fuzzKey // per department: the keys of its municipalities
	deptNames [][]string  // per department: its keys, for Pick
	regions   [][]City    // per region (regions.go): its main municipalities
}

type muni struct {
	city     City
	key      string // folded official name, for ordering
	dept     int
	capital  bool
	area     bool // an área no municipalizada (Amazonas, Guainía, Vaupés), not a municipality
	lat, lon float64
	radiusKm float64 // see Nearest
}

type dept struct {
	code, name, key string
	capital         int // index in munis
}

// fuzzKey is a key prepared for edit-distance matching.
type fuzzKey struct {
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

// Load parses the embedded gazetteer and builds its indexes. It reads
// nothing but the embedded files, and fails only if they are broken.
func Load() (*Places, error) {
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

// readCSV reads an embedded CSV file into rows keyed by column name,
// checking that every wanted column is present.
func readCSV(name, data string, want ...string) ([]map[string]string, error) {
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
	rows, err := readCSV("departamentos.csv", data, "cod_dpto", "dpto", "dpto_display")
	if err != nil {
		return err
	}
	for _, r := range rows {
		code := r["cod_dpto"]
		if !digits(code, 2) || r["dpto_display"] == "" {
			return fmt.Errorf("places: bad department row %q", code)
		}
		if _, dup := p.deptIdx[code]; dup {
			return fmt.Errorf("places: department %s twice", code)
		}
		p.deptIdx[code] = len(p.depts)
		p.depts = append(p.depts, dept{code: code, name: r["dpto_display"], key: fold.String(r["dpto_display"]), capital: -1})
		p.deptNames = append(p.deptNames, nil)
		p.addDeptKey(r["dpto"], len(p.depts)-1)
		p.addDeptKey(r["dpto_display"], len(p.depts)-1)
	}
	return nil
}

func (p *Places) loadMunicipalities(data string) error {
	rows, err := readCSV("divipola_municipios.csv", data, "cod_dpto", "cod_mpio", "nom_mpio", "tipo", "longitud", "latitud")
	if err != nil {
		return err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		code, dcode := r["cod_mpio"], r["cod_dpto"]
		di, ok := p.deptIdx[dcode]
		if !digits(code, 5) || !ok || code[:2] != dcode || seen[code] || r["nom_mpio"] == "" {
			return fmt.Errorf("places: bad municipality row %q", code)
		}
		seen[code] = true
		lat, err1 := strconv.ParseFloat(r["latitud"], 64)
		lon, err2 := strconv.ParseFloat(r["longitud"], 64)
		if err1 != nil || err2 != nil || !validPoint(lat, lon) {
			return fmt.Errorf("places: municipality %s: bad coordinates", code)
		}
		p.munis = append(p.munis, muni{
			city: City{Code: code, Name: displayName(code, r["nom_mpio"]), Department: p.depts[di].name},
			key:  fold.String(r["nom_mpio"]),
			dept: di, lat: lat, lon: lon,
			area: r["tipo"] == "Área no municipalizada",
		})
	}
	return nil
}

// capitalCode is the municipality that is the department's capital.
// DANE gives the capital the code ending in 001, except for Cundinamarca,
// whose capital is Bogotá (its 25001 is Agua de Dios).
func capitalCode(dept string) string {
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
		i, ok := byCode[capitalCode(p.depts[di].code)]
		if !ok {
			return fmt.Errorf("places: department %s has no capital", p.depts[di].code)
		}
		p.depts[di].capital = i
		p.munis[i].capital = true
	}
	return nil
}

// displayName title-cases a DANE upper-case name, keeping Spanish
// articles and prepositions in lower case: "SANTIAGO DE CALI" → "Santiago
// de Cali", "LA UNIÓN" → "La Unión".
func displayName(code, dane string) string {
	if code == "11001" {
		return "Bogotá D.C." // DANE writes "BOGOTÁ, D.C."
	}
	ws := strings.Fields(strings.ToLower(dane))
	for i, w := range ws {
		if i == 0 || !smallWords[w] {
			ws[i] = capitalize(w)
		}
	}
	return strings.Join(ws, " ")
}

var smallWords = newSet("de", "del", "la", "las", "los", "el", "y", "e", "en", "da", "do", "dos", "das")

func capitalize(w string) string {
	r, n := utf8.DecodeRuneInString(w)
	if r == utf8.RuneError {
		return w
	}
	return string(unicode.ToUpper(r)) + w[n:]
}

// muniAliases are what people call municipalities that DIVIPOLA does
// not: nicknames, abbreviations, and short or older forms of long official
// names. A key may name several municipalities ("manaure" is in Cesar and
// in La Guajira), which keeps an honest ambiguity. LoadPlaces fails if a
// code here is not in the file, so a DANE renumbering cannot go unnoticed.
var muniAliases = []struct{ key, code string }{
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

// deptAliases are everyday names and the abbreviations people write
// after a municipality ("Medellín, Ant.", "Cúcuta, Nte de Sder").
var deptAliases = []struct{ key, code string }{
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
		p.addMuniKey(fold.String(m.city.Name), i)
	}
	byCode := make(map[string]int, len(p.munis))
	for i, m := range p.munis {
		byCode[m.city.Code] = i
	}
	for _, a := range muniAliases {
		i, ok := byCode[a.code]
		if !ok {
			return fmt.Errorf("places: alias %q names unknown municipality %s", a.key, a.code)
		}
		p.addMuniKey(fold.String(a.key), i)
	}
	for _, a := range deptAliases {
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
	key := fold.String(name)
	if _, ok := p.deptKeys[key]; !ok {
		p.deptKeys[key] = di
		p.deptNames[di] = append(p.deptNames[di], key)
	}
}

// indexFuzzy prepares every key of four letters or more for typo matching;
// shorter keys ("bta", "une") are matched exactly only. "colombia" is left
// out: a misspelt country name must not become Colombia, Huila.
func (p *Places) indexFuzzy() {
	p.fuzzIn = make([][]fuzzKey, len(p.depts))
	for _, key := range sortedKeys(p.muniKeys) {
		k := newFuzzKey(key)
		if k.letters < 4 || key == "colombia" {
			continue
		}
		k.munis = p.muniKeys[key]
		p.fuzzMunis = append(p.fuzzMunis, k)
		p.indexFuzzyInDepts(k)
	}
	for _, key := range sortedKeys(p.deptKeys) {
		k := newFuzzKey(key)
		if k.letters >= 4 {
			k.dept = p.deptKeys[key]
			p.fuzzDepts = append(p.fuzzDepts, k)
		}
	}
}

// indexFuzzyInDepts adds k to the typo index of each department that has
// a municipality of that name, listing only the municipalities there.
func (p *Places) indexFuzzyInDepts(k fuzzKey) {
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

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic ties
	return keys
}

func newFuzzKey(key string) fuzzKey {
	return fuzzKey{key: key, runes: []rune(key), letters: letters(key)}
}

// inDept reports whether municipality i belongs to department di. Bogotá
// also counts as Cundinamarca's: people write "Bogotá, Cundinamarca".
func (p *Places) inDept(i, di int) bool {
	return p.munis[i].dept == di || (p.munis[i].city.Code == "11001" && p.depts[di].code == "25")
}
