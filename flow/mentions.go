package flow

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// found is what one message says when read as a whole sentence rather than
// as the answer to the question asked: several answers at once ("Estoy en
// Cali y tengo como 2 millones"), a correction ("perdón, me equivoqué, es
// Manizales"), an answer named ("cambia la ciudad").
//
// A sentence is read more strictly than an answer, because most of its
// words are about something else:
//   - a name only after "me llamo", "mi nombre es", "my name is", or after
//     "soy", "I'm", "habla" … when it is written with a capital ("soy Laura",
//     not "soy odontóloga"); it ends at "de", "y", "from" …;
//   - a city only as a whole clause or after "de", "en", "desde", "from",
//     "in", by its exact name or a known nickname, and never a municipality
//     whose name is an everyday phrase ("la mesa", "la playa");
//   - a budget only in a clause with a unit, "$" or "presupuesto";
//   - an urgency only by a phrase of two words or more or an unmistakable
//     word ("urgente"), and a span only after "en" ("en 2 meses");
//   - a service only after a word of need ("necesito SEO", "quiero una
//     página") or as a whole clause ("SEO,");
//   - a phone number only where the channel gives none.
type found struct {
	name       string
	nameAt     int // the word where the name's cue starts; -1
	city       *City
	cityAt     int    // the cue word before the city; -1
	cities     []City // every place named after a cue, in order (a correction names the old one too)
	region     int    // a region named after a cue; -1
	budget     *Budget
	urgency    Urgency
	services   []string
	phone      string
	fields     []Stage // answers the message names
	correction bool    // the message corrects an earlier answer
	rest       int     // the first word after the last correction cue
}

// read reads ms as a whole sentence. now is in the calendar's zone. The
// answer to skip is not looked for: the question being asked reads its own
// answer with its own, more lenient, parser.
func (m *Machine) read(ms *msg, now time.Time, noPhone bool, skip Stage) *found {
	f := &found{nameAt: -1, cityAt: -1, region: -1}
	for _, h := range correctionCues.find(ms.words) {
		f.correction, f.rest = true, h.at+h.n
	}
	for _, h := range fieldWords.find(ms.words) {
		f.fields = append(f.fields, stageOrder[h.val])
	}
	if noPhone && skip != StagePhone {
		if p, ok := ParsePhone(ms.text); ok {
			f.phone = p
		}
	}
	if skip != StageName {
		f.readName(ms)
	}
	m.readCity(f, ms)
	if skip != StageBudget {
		f.readBudget(ms, m.cfg.USDToCOP)
	}
	if skip != StageUrgency {
		f.readUrgency(ms, now)
	}
	if skip != StageService {
		f.services = m.readServices(ms)
	}
	if skip != StageName && f.name == "" {
		m.readListName(f, ms, now)
	}
	return f
}

// readListName reads a name given as the first item of a list of answers
// ("Carolina Gómez, Cali, 2 millones, para ya, página web"): a first
// clause that is a name and nothing else, in a message of three clauses or
// more where two other answers were found.
func (m *Machine) readListName(f *found, ms *msg, now time.Time) {
	others := 0
	for _, ok := range []bool{f.city != nil, f.budget != nil, f.urgency != "", len(f.services) > 0} {
		if ok {
			others++
		}
	}
	if len(ms.clauses) < 3 || others < 2 {
		return
	}
	j := lastWordOf(ms, 0) + 1
	words := ms.words[:j]
	if j > 4 || (!startsUpper(ms.text) && hasUpper(ms.text)) || m.services.covers(words) {
		return
	}
	if _, ok := m.places.mention(strings.Join(words, " ")); ok {
		return
	}
	if _, ok := urgencyScan(words, now, false); ok {
		return
	}
	if name, ok := ParseName(ms.text[ms.clauses[0].from:ms.clauses[0].to]); ok {
		f.name, f.nameAt = name, 0
	}
}

// lenient reads the words after a correction as the answer to st, as the
// question itself would: "perdón, son 3" after the budget is 3 millones.
func (m *Machine) lenient(st Stage, f *found, ms *msg, now time.Time) Answers {
	var a Answers
	text := ms.from(f.rest)
	switch st {
	case StageName:
		a.Name, _ = ParseName(text)
	case StageCity:
		if r := m.places.Parse(text); r.Match == CityExact || r.Match == CityForeign {
			a.City = &r.City
		}
	case StageBudget:
		if b := ParseBudget(text, m.cfg.USDToCOP); b.OK && !b.Absurd {
			a.Budget = &b.Budget
		}
	case StageUrgency:
		a.Urgency, _ = ParseUrgency(text, now)
	case StageService:
		if keys, _ := m.services.parse(splitMsg(text), true); len(keys) > 0 {
			a.Service, a.Others = keys[0], keys[1:]
		}
	case StagePhone:
		a.Phone, _ = ParsePhone(text)
	}
	return a
}

// correctionCues say an earlier answer was wrong.
var correctionCues = newPhraseTable(map[int][]string{0: {
	"me equivoque", "me equivoco", "equivoque", "me confundi", "perdon", "disculpa", "disculpe", "disculpas",
	"corrijo", "correccion", "mejor dicho", "quise decir", "queria decir", "en realidad", "realmente es",
	"cambia", "cambiar", "cambiame", "cambialo", "cambiala", "actualiza", "actualizar", "no era", "error",
	"me equivoque de", "no es", "no son", "no era", "sino", "i meant", "sorry", "actually", "correction", "change", "wrong", "typo", "my bad",
	"oops", "ups",
}})

// fieldWords name the answers, valued by their position in stageOrder.
var fieldWords = newPhraseTable(map[int][]string{
	0: {"nombre", "mi nombre", "name", "my name"},
	1: {"ciudad", "municipio", "la ciudad", "city", "town"},
	2: {"presupuesto", "el presupuesto", "budget"},
	3: {"urgencia", "fecha", "para cuando", "urgency", "timing", "date"},
	4: {"servicio", "el servicio", "service"},
	5: {"numero", "celular", "telefono", "cel", "phone", "number", "mi numero"},
})

// Name cues: after the first kind any word may be a name; after the second
// it must be written with a capital.
var nameCues = newPhraseTable(map[int][]string{
	0: {"me llamo", "mi nombre es", "yo me llamo", "mi nombre", "my name is", "my name s", "me dicen"},
	1: {"soy", "yo soy", "habla", "te habla", "les habla", "le habla", "te escribe", "les escribe",
		"le escribe", "i m", "im", "i am", "this is", "it s"},
})

var (
	// nameStops end a name inside a sentence.
	nameStops = newWordSet("de", "del", "desde", "y", "e", "en", "from", "and", "in", "con", "para", "necesito",
		"quiero", "tengo", "estoy", "vivo", "busco", "i", "we", "my", "a", "an", "the", "of", "que", "por",
		"pero", "looking", "interested", "at", "with", "for", "and", "mi", "me", "le", "les", "te", "es",
		"soy", "somos", "nos", "quisiera", "need", "want", "am", "would", "like", "calling", "writing")
	// nameNotFirst never begin a name after "soy": roles, states, articles.
	nameNotFirst = newWordSet("el", "la", "los", "las", "un", "una", "nuevo", "nueva", "cliente", "dueno",
		"duena", "gerente", "mayor", "menor", "independiente", "emprendedor", "emprendedora", "estudiante",
		"interesado", "interesada", "colombiano", "colombiana", "here", "new", "not", "very", "so", "just",
		"also", "sure", "ready", "glad", "happy", "from", "trying", "looking", "interested", "still", "yo",
		"asesor", "asesora", "persona", "alguien", "todo", "muy", "bien", "mal", "feliz", "de", "del",
		"propietario", "propietaria", "administrador", "administradora", "socio", "socia", "encargado",
		"encargada", "medico", "medica", "abogado", "abogada", "contador", "contadora", "odontologo",
		"odontologa", "fotografo", "fotografa", "disenador", "disenadora", "ingeniero", "ingeniera",
		"comerciante", "mama", "papa", "madre", "padre", "profesional", "artesano", "artesana", "chef",
		"cocinero", "cocinera", "peluquero", "peluquera", "estilista", "psicologo", "psicologa",
		"nutricionista", "arquitecto", "arquitecta", "veterinario", "veterinaria", "enfermero", "enfermera",
		"docente", "profesor", "profesora", "vendedor", "vendedora", "influencer", "creador", "creadora",
		"fundador", "fundadora", "ceo", "director", "directora", "coordinador", "coordinadora", "jefe",
		"representante", "parte", "quien", "bastante", "nuevo", "el", "tu", "su", "cliente", "clienta",
		"owner", "manager", "founder", "student", "doctor", "lawyer", "designer", "photographer", "freelancer")
)

// readName finds a name introduced by a cue (see found). A text typed all
// in lower case ("hola soy ximena de popayan") has no capitals to go by:
// there, nameNotFirst alone keeps roles and states out.
func (f *found) readName(ms *msg) {
	for i := range ms.words {
		n, kind := nameCues.at(ms.words, i)
		if n == 0 {
			continue
		}
		j := i + n
		k := j
		for k < len(ms.words) && k-j < 4 && ms.clause[k] == ms.clause[j] && !nameStops[ms.words[k]] {
			k++
		}
		if k == j || nameNotFirst[ms.words[j]] || (kind == 1 && !startsUpper(ms.text[ms.start[j]:]) && hasUpper(ms.text)) {
			continue
		}
		if name, ok := ParseName(ms.text[ms.start[j]:ms.end[k-1]]); ok {
			f.name, f.nameAt = name, i
			return
		}
	}
}

// hasUpper reports a capital anywhere: a text typed all in lower case
// cannot tell a name by its capital.
func hasUpper(s string) bool {
	for _, r := range s {
		if unicode.IsUpper(r) {
			return true
		}
	}
	return false
}

func startsUpper(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r)
}

// cityCues come before a place in a sentence; correction adds "es" ("me
// equivoqué, es Manizales").
var (
	cityCues           = newWordSet("de", "del", "desde", "en", "from", "in")
	cityCorrectionCues = newWordSet("es", "era", "sino", "seria", "is", "its")
	// cityInSentence are municipalities whose names are everyday phrases,
	// never read from a sentence: only as the answer to the city question.
	cityInSentence = newWordSet("la mesa", "la playa", "la paz", "el paso", "la vega", "la cruz", "une",
		"providencia", "concordia", "la victoria", "victoria", "florida", "la florida", "dolores", "la estrella",
		"el retiro", "retiro", "paz", "piedras", "sabanas", "la merced", "el carmen", "la sierra", "el tambo",
		"hato", "prado", "gama", "iza", "nilo", "buenavista", "la calera", "linea", "venecia", "belen",
		"el rosario", "rosario", "la plata", "puerto rico", "cartago", "palestina", "marsella", "albania",
		"bolivar", "sucre", "caldas", "cordoba", "narino", "santander", "guadalupe", "el molino", "la union",
		"campo de la cruz", "el peñon", "el penon", "regidor", "pore", "tame", "santa ana", "san juan",
		"libano", "el libano", "mercaderes", "gigante", "cajamarca", "nobsa", "la primavera", "primavera",
		"el dorado", "la jagua", "pijao", "la montanita", "el cocuy", "la celia", "el bagre", "la virginia")
)

// readCity finds a city named in a sentence (see found).
func (m *Machine) readCity(f *found, ms *msg) {
	for i := 1; i < len(ms.words); i++ {
		cue := ms.words[i-1]
		if !cityCues[cue] && !((f.correction || len(f.fields) > 0) && cityCorrectionCues[cue]) {
			continue
		}
		if m.cityAt(f, ms, i, i-1) && !f.correction {
			return
		}
	}
	if f.city != nil {
		return
	}
	// A clause that is only a place: "Laura, Medellín, 2 millones". Not in a
	// message of one clause (it is the answer to another question: a name
	// such as "Orlando"), and not abroad ("Santiago", "Victoria", "Lima"
	// are names too).
	for c := range ms.clauses {
		i, j := firstWordOf(ms, c), lastWordOf(ms, c)+1
		if i < 0 || j-i > 5 || len(ms.clauses) < 2 {
			continue
		}
		key := strings.Join(ms.words[i:j], " ")
		if r, ok := regionIndex[key]; ok && f.region < 0 {
			f.region = r
		}
		if cityInSentence[key] || placeChatWords[key] {
			continue
		}
		if c, ok := m.places.mention(key); ok && !c.Foreign {
			f.city, f.cityAt = &c, i
			return
		}
	}
}

// cityAt reads the longest place starting at words[i] within its clause.
func (m *Machine) cityAt(f *found, ms *msg, i, cue int) bool {
	end := i
	for end < len(ms.words) && end < i+5 && ms.clause[end] == ms.clause[i] {
		end++
	}
	for j := end; j > i; j-- {
		key := strings.Join(ms.words[i:j], " ")
		if r, ok := regionIndex[key]; ok {
			if f.region < 0 {
				f.region = r
			}
			return false
		}
		if cityInSentence[key] || (j == i+1 && placeChatWords[key]) {
			continue
		}
		if c, ok := m.places.mention(key); ok && !(c.Foreign && (ms.words[cue] == "de" || ms.words[cue] == "del")) {
			// (a place abroad only after "desde", "en", "from", "in": "María de
			// los Ángeles" is a name)
			if f.city == nil {
				f.city, f.cityAt = &c, cue
			}
			f.cities = append(f.cities, c)
			return true
		}
	}
	return false
}

// preferNewCity makes the city found the first one that differs from the
// answer given: "no es Cali, es Palmira" and "es Palmira, no Cali" both
// correct Cali to Palmira.
func (f *found) preferNewCity(given *City) {
	if given == nil || len(f.cities) < 2 {
		return
	}
	for _, c := range f.cities {
		if c != *given {
			f.city = &c
			return
		}
	}
}

func firstWordOf(ms *msg, c int) int {
	for i, k := range ms.clause {
		if k == c {
			return i
		}
	}
	return -1
}

func lastWordOf(ms *msg, c int) int {
	last := -1
	for i, k := range ms.clause {
		if k == c {
			last = i
		}
	}
	return last
}

// mention reads key as a municipality named exactly (a shared name only
// when one of them is a department capital) or a known foreign place.
func (p *Places) mention(key string) (City, bool) {
	if r, ok := p.byName(key); ok && r.Match == CityExact {
		return r.City, true
	}
	if c, ok := placeForeignCities[key]; ok {
		return City{Name: c.name + ", " + c.country, Foreign: true}, true
	}
	if c, ok := placeCountries[key]; ok && key != "colombia" {
		return City{Name: c.name, Foreign: true}, true
	}
	return City{}, false
}

// budgetCues make a clause worth reading as a budget.
var budgetCues = newWordSet("millon", "millones", "mil", "palo", "palos", "palito", "palitos", "melon", "melones",
	"luca", "lucas", "usd", "dolares", "dolar", "pesos", "presupuesto", "budget", "million", "millions",
	"thousand", "mm", "cop", "millo", "millos", "mill", "grand", "k", "meloncito", "milion", "milions",
	"milones", "miyones", "dollars", "dollar", "barras")

// readBudget reads the first clause that names an amount (see found).
func (f *found) readBudget(ms *msg, usdToCOP float64) {
	for c, sp := range ms.clauses {
		text := ms.text[sp.from:sp.to]
		cue, named := strings.ContainsRune(text, '$'), false
		for i, w := range ms.words {
			if ms.clause[i] != c {
				continue
			}
			named = named || w == "presupuesto" || w == "budget"
			cue = cue || budgetCues[w] || amountWithUnit(w)
		}
		if !cue {
			continue
		}
		a := ParseBudget(text, usdToCOP)
		if a.OK && !a.Absurd && (!a.Budget.Unknown || named) {
			b := a.Budget
			f.budget = &b
			return
		}
	}
}

// amountWithUnit reports "2m", "500k", "2mm", "1.5m": digits and a unit
// letter typed together.
func amountWithUnit(w string) bool {
	t := strings.TrimRight(w, "mk")
	return t != w && t != "" && len(w)-len(t) <= 2 && t[0] >= '0' && t[0] <= '9'
}

// readUrgency finds an urgency in a sentence (see found), or a clause
// that is nothing but one ("Sara, Montería, 1 millón, ya, redes").
func (f *found) readUrgency(ms *msg, now time.Time) {
	if u, ok := urgencyScan(ms.words, now, true); ok {
		f.urgency = u
		return
	}
	for c := range ms.clauses {
		i, j := firstWordOf(ms, c), lastWordOf(ms, c)+1
		if i < 0 || j-i > 3 || len(ms.clauses) == 1 {
			continue
		}
		if u, ok := urgencyScan(ms.words[i:j], now, false); ok {
			f.urgency = u
			return
		}
	}
}

// needCues open the part of a sentence that says what the prospect wants.
var needCues = newPhraseTable(map[int][]string{0: {
	"necesito", "necesitamos", "necesitaria", "quiero", "queremos", "quisiera", "quisieramos", "busco",
	"buscamos", "buscando", "me interesa", "nos interesa", "me interesan", "interesado en", "interesada en",
	"interesados en", "informacion", "info", "cotizar", "cotizacion", "precio", "precios", "cuanto cuesta",
	"cuanto vale", "cuanto cobran", "ayuda con", "me ayudan con", "manejan", "hacen", "ofrecen", "tema de",
	"lo de", "servicio de", "servicios de", "servicio", "service", "need", "want", "looking for", "interested in", "quote", "price",
	"queria", "queriamos", "quisiera saber", "cuanto me cobran", "cuanto cobran por", "me cobran por", "cobran por",
	"pricing", "help with", "info on", "information about", "information on", "would like", "i d like",
	"do you do", "do you offer", "do you have", "do you manage", "can you do", "para",
}})

// readServices finds the services the prospect asks for (see found).
func (m *Machine) readServices(ms *msg) []string {
	var keys []string
	if h, ok := needCues.first(ms.words); ok {
		keys, _ = m.services.scan(ms.words[h.at+h.n:])
	}
	if len(keys) == 0 {
		for c := range ms.clauses {
			i, j := firstWordOf(ms, c), lastWordOf(ms, c)+1
			if i >= 0 && m.services.covers(ms.words[i:j]) {
				more, _ := m.services.scan(ms.words[i:j])
				for _, k := range more {
					keys = appendNew(keys, k)
				}
			}
		}
	}
	// "otro", "otra" name the "other" service only as the answer to the
	// service question: in a sentence they are everyday words ("la otra
	// semana", "otro municipio").
	return slices.DeleteFunc(keys, func(k string) bool { return k == "other" })
}

// covers reports whether words are service phrases and connectors only.
func (x *serviceIndex) covers(words []string) bool {
	for i := 0; i < len(words); {
		if serviceConnectors[words[i]] {
			i++
			continue
		}
		n, v := x.table.at(words, i)
		if n == 0 || v == genericService {
			return false
		}
		i += n
	}
	return len(words) > 0
}
