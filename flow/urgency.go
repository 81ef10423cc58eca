package flow

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"
)

// ParseUrgency reads the answer to the urgency question, whose menu is
// 1 Immediate ("lo antes posible"), 2 ThisMonth ("este mes"),
// 3 OneToThreeMonths ("en 1 a 3 meses") and 4 Exploring ("solo estoy
// explorando"). It accepts the menu number ("2", "2.", "opción 2", "la 3",
// "2️⃣", "la segunda") or free text in Colombian Spanish or English.
//
// Free text is matched as whole-word phrases on the folded answer, and
// the longest phrase wins, so "no es urgente" beats "urgente" and "no sé,
// el otro mes" is OneToThreeMonths. Hedges ("no sé", "depende") count
// less than any time expression; alone they mean Exploring. When the
// longest phrases point to different levels the answer is ambiguous and
// ok is false. Besides the phrase lists:
//
//   - "en 15 días", "en 2 semanas", "en un par de meses", "in two months"
//     are placed by length: up to 2 days Immediate, up to 30 days or 4
//     weeks ThisMonth, up to 3 months (13 weeks, 92 days) OneToThreeMonths,
//     longer Exploring.
//   - A month name ("en diciembre") counts months ahead of now: the same
//     month is ThisMonth, 1–3 ahead OneToThreeMonths, further Exploring; a
//     month earlier in the year than now is next year's. "antes de fin de
//     año" is read as December and "a principios de año" as January, on
//     the same rule. English "may" and "march" count only after "in",
//     "by", "for" … since they are also common words.
//
// now only places month names; ParseUrgency does not read the clock.
func ParseUrgency(text string, now time.Time) (Urgency, bool) {
	words := strings.Fields(fold(norm.NFKC.String(text)))
	if n, ok := menuPick(words, len(Urgencies)); ok {
		return Urgencies[n-1], true
	}
	return urgencyScan(words, now, false)
}

// urgencyScan reads free text (see ParseUrgency). strict reads a sentence
// that was not an answer to the urgency question, where "ya" ("ya tengo
// página"), "hoy", a weekday, a hedge or "2 meses" ("tengo el negocio hace 2
// meses") say nothing about urgency: it keeps only phrases of two words or
// more, the unmistakable single words of urgencyStrong, and spans after
// "en", "dentro de", "in".
func urgencyScan(words []string, now time.Time, strict bool) (Urgency, bool) {
	var best urgencyBest
	for i := range words {
		for _, p := range urgencyIndex[words[i]] {
			if hasPhraseAt(words, i, p.words) && (!strict || urgencyStrictOK(p)) {
				best.consider(p.resolve(now), p.weight)
			}
		}
		if u, w, ok := urgencyRelativeAt(words, i); ok && (!strict || w >= 3*urgencyWordWeight) {
			best.consider(u, w)
		}
		if u, w, ok := urgencyDateAt(words, i, now); ok {
			best.consider(u, w)
		}
	}
	if best.u == "" || best.ambiguous {
		return "", false
	}
	return best.u, true
}

// urgencyStrong are single words that say urgency in any sentence.
var urgencyStrong = newWordSet("urgente", "urge", "inmediato", "inmediatamente", "urgentisimo",
	"urgentemente", "asap", "urgent", "urgently", "immediately", "explorando", "cotizando", "averiguando")

// urgencyStrictOK: see urgencyScan. "de una" is left out too: it is just as
// often "de una vez" or "una página de una sola sección".
func urgencyStrictOK(p urgencyPhrase) bool {
	switch {
	case p.weight == urgencyHedgeWeight:
		return false
	case len(p.words) == 1:
		return urgencyStrong[p.words[0]]
	}
	return !(len(p.words) == 2 && p.words[0] == "de" && p.words[1] == "una")
}

// urgencyBest keeps the heaviest match seen and whether another level
// matched with the same weight.
type urgencyBest struct {
	u         Urgency
	weight    int
	ambiguous bool
}

func (b *urgencyBest) consider(u Urgency, weight int) {
	switch {
	case weight > b.weight:
		b.u, b.weight, b.ambiguous = u, weight, false
	case weight == b.weight && u != b.u:
		b.ambiguous = true
	}
}

// hasPhraseAt reports whether phrase occurs in words at i.
func hasPhraseAt(words []string, i int, phrase []string) bool {
	if i+len(phrase) > len(words) {
		return false
	}
	for k, w := range phrase {
		if words[i+k] != w {
			return false
		}
	}
	return true
}

// urgencyPhrase is one free-text way of saying an urgency. A phrase with
// a month is resolved against now.
type urgencyPhrase struct {
	words  []string
	u      Urgency
	month  time.Month                    // non-zero: the level depends on how far this month is
	date   func(now time.Time) time.Time // non-nil: the level depends on how far this day is
	weight int
}

func (p urgencyPhrase) resolve(now time.Time) Urgency {
	switch {
	case p.date != nil:
		return urgencyForDate(now, p.date(now))
	case p.month != 0:
		return urgencyForMonth(p.month, now.Month())
	}
	return p.u
}

// urgencyForMonth places a month relative to now's month, wrapping into
// next year.
func urgencyForMonth(m, now time.Month) Urgency {
	switch ahead := (int(m) - int(now) + 12) % 12; {
	case ahead == 0:
		return ThisMonth
	case ahead <= 3:
		return OneToThreeMonths
	}
	return Exploring
}

// Weights: each word of a phrase counts urgencyWordWeight; a hedge counts
// urgencyHedgeWeight in all, less than the shortest time expression.
const (
	urgencyWordWeight  = 10
	urgencyHedgeWeight = 5
)

// urgencyPhrases lists the free-text expressions per level, folded.
var urgencyPhrases = map[Urgency][]string{
	Immediate: {
		"ya", "ya mismo", "ya ya", "de una", "de inmediato", "inmediato", "inmediatamente",
		"urgente", "es urgente", "urge", "me urge", "nos urge", "con urgencia", "para ayer",
		"pa ayer", "pa ya", "para ya", "hoy", "hoy mismo", "manana", "pasado manana", "ahora",
		"ahora mismo", "ahorita", "ahoritica", "ahorita mismo", "en este momento", "enseguida",
		"en seguida", "lo antes posible", "lo mas pronto posible", "lo mas pronto", "lo mas rapido posible",
		"cuanto antes", "pronto", "muy pronto", "rapido", "de afan", "con afan", "tengo afan",
		"estoy de afan", "asap", "right now", "now", "right away", "immediately", "urgent",
		"urgently", "today", "tomorrow", "yesterday", "as soon as possible",
		"cuando antes", "lo mas antes", "lo necesito ya", "necesito ya", "lo quiero ya", "lo necesito para ya", "para hoy", "pa hoy",
		"para manana", "pa manana", "urgentisimo", "urgentemente", "super urgente", "muy urgente",
		"es para ya", "cuanto antes mejor", "lo mas rapido", "lo antes que se pueda", "ya mismito",
		"de inmediato por favor", "need it now", "need it asap", "as soon as you can", "asap please",
	},
	ThisMonth: {
		"esta semana", "la otra semana", "la proxima semana", "proxima semana", "la semana que viene",
		"semana que viene", "la semana entrante", "este mes", "este mismo mes", "en el mes",
		"durante el mes", "dentro del mes", "fin de mes", "a fin de mes", "finales de mes",
		"a finales de mes", "antes de fin de mes", "en unos dias", "quincena", "la quincena",
		"esta quincena", "la otra quincena", "la proxima quincena", "fin de semana",
		"este fin de semana", "el fin de semana", "lunes", "martes", "miercoles", "jueves",
		"viernes", "sabado", "domingo", "this week", "next week", "this month", "within the month",
		"end of the month", "this weekend", "in a few days", "next few days",
		"en estos dias", "estos dias", "proximos dias", "los proximos dias", "en la semana", "a mitad de mes",
		"mediados de mes", "despues del puente", "despues de la quincena", "en quince dias", "dentro del mes",
		"within two weeks", "in the coming days", "later this month",
	},
	OneToThreeMonths: {
		"el otro mes", "el proximo mes", "proximo mes", "el mes que viene", "mes que viene",
		"el mes entrante", "este trimestre", "el proximo trimestre", "proximo trimestre",
		"el otro trimestre", "1 a 3 meses", "next month", "next quarter", "this quarter",
		"in a couple of months", "in the next few months",
		"en uno o dos meses", "en dos o tres meses", "el mes siguiente", "despues de este mes",
		"following month", "within three months",
	},
	Exploring: {
		"sin afan", "sin prisa", "sin apuro", "sin urgencia", "no hay afan", "no hay prisa",
		"no hay apuro", "no tengo afan", "no tengo prisa", "no es urgente", "nada urgente",
		"no urge", "no corre prisa", "no tan urgente", "no es tan urgente", "ahorita no", "ahora no",
		"hoy no", "ya no", "con calma", "con tiempo", "tranquilo",
		"tranqui", "solo estoy mirando", "solo mirando", "estoy mirando", "solo cotizando",
		"estoy cotizando", "solo estoy cotizando", "cotizando", "estoy averiguando", "averiguando",
		"solo averiguando", "explorando", "solo estoy explorando", "estoy explorando",
		"solo explorando", "solo informacion", "solo quiero informacion", "por ahora no",
		"todavia no", "aun no", "mas adelante", "despues", "luego", "algun dia", "en un futuro",
		"a futuro", "a largo plazo", "a mediano plazo", "el otro ano", "el proximo ano",
		"proximo ano", "el ano que viene", "el ano entrante", "ya te digo", "ya veremos",
		"ya vemos", "por curiosidad", "just looking", "just browsing", "browsing", "looking around",
		"no rush", "no hurry", "not in a hurry", "not urgent", "exploring", "just exploring",
		"later", "someday", "some day", "next year", "researching", "just researching",
		"just curious",
		"cuando tenga la plata", "cuando tenga plata", "cuando tenga el dinero", "cuando tenga dinero",
		"cuando tenga los recursos", "cuando tenga presupuesto", "cuando tenga el presupuesto",
		"apenas tenga", "apenas tenga la plata", "apenas tenga el presupuesto", "apenas tenga los recursos",
		"cuando me aprueben", "cuando aprueben el presupuesto", "apenas me aprueben", "en medio ano",
		"medio ano", "dentro de medio ano", "en un semestre",
		"cuando haya plata", "cuando haya presupuesto", "cuando me alcance", "cuando pueda", "cuando se pueda",
		"cuando tenga tiempo", "sin afanes", "apenas estoy mirando", "apenas estoy averiguando",
		"apenas averiguando", "apenas cotizando", "por ahora solo cotizo", "por ahora nada", "sin fecha",
		"no tengo fecha", "no hay fecha", "when i have the money", "when i have money", "when we have the budget",
		"when i have the budget", "no date yet", "not yet", "no plans yet", "sometime",
	},
}

// urgencyHedges say the prospect does not know yet: Exploring, unless a
// time expression says more.
var urgencyHedges = []string{
	"no se", "nose", "no lo se", "no estoy seguro", "no estoy segura", "no sabria", "ni idea",
	"todavia no se", "aun no se", "depende", "not sure", "i don t know", "dont know", "don t know",
}

// urgencyNegations open a phrase that denies urgency without naming a
// time ("no es urgente", "sin afán"): a time said with it wins.
var urgencyNegations = newWordSet("no", "sin", "nada", "not", "ni")

// urgencyMonthPhrases place a point of the year; they are resolved
// against now.
var urgencyMonthPhrases = map[string]time.Month{
	"antes de fin de ano": 12, "fin de ano": 12, "finales de ano": 12, "final de ano": 12,
	"este ano": 12, "end of the year": 12, "by the end of the year": 12, "this year": 12,
	"navidad": 12, "christmas": 12, "principios de ano": 1, "principio de ano": 1,
	"inicio de ano": 1, "comienzo de ano": 1, "early next year": 1,
}

var urgencyMonths = map[string]time.Month{
	"enero": 1, "febrero": 2, "marzo": 3, "abril": 4, "mayo": 5, "junio": 6, "julio": 7,
	"agosto": 8, "septiembre": 9, "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12,
	"january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7,
	"august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}

// urgencyMonthPrefixes make a month name a stronger phrase ("en
// diciembre" outweighs a hedge).
var urgencyMonthPrefixes = []string{
	"en", "para", "hasta", "antes de", "desde", "a finales de", "finales de", "a principios de",
	"principios de", "a mediados de", "mediados de", "in", "by", "for", "until", "before",
}

// urgencyIndex maps a phrase's first word to the phrases starting with it.
var urgencyIndex = buildUrgencyIndex()

func buildUrgencyIndex() map[string][]urgencyPhrase {
	idx := make(map[string][]urgencyPhrase)
	add := func(p urgencyPhrase) {
		idx[p.words[0]] = append(idx[p.words[0]], p)
	}
	phrase := func(s string, u Urgency, m time.Month) urgencyPhrase {
		w := strings.Fields(s)
		return urgencyPhrase{words: w, u: u, month: m, weight: urgencyWordWeight * len(w)}
	}
	for u, list := range urgencyPhrases {
		for _, s := range list {
			p := phrase(s, u, 0)
			if u == Exploring && urgencyNegations[p.words[0]] {
				p.weight -= urgencyHedgeWeight // "no es urgente, el otro mes": the time said wins
			}
			add(p)
		}
	}
	for _, s := range urgencyHedges {
		p := phrase(s, Exploring, 0)
		p.weight = urgencyHedgeWeight
		add(p)
	}
	for s, m := range urgencyMonthPhrases {
		add(phrase(s, "", m))
	}
	for s, d := range urgencyDatePhrases {
		p := phrase(s, "", 0)
		p.date = d
		add(p)
	}
	for name, m := range urgencyMonths {
		if name != "may" && name != "march" {
			add(phrase(name, "", m))
		}
		for _, pre := range urgencyMonthPrefixes {
			add(phrase(pre+" "+name, "", m))
		}
	}
	return idx
}

// urgencyQuantities are the words that count a relative span ("en dos
// meses", "en unos días"); vague ones ("unos", "few") count 3.
var urgencyQuantities = map[string]int{
	"un": 1, "una": 1, "uno": 1, "a": 1, "an": 1, "one": 1, "dos": 2, "two": 2, "par": 2,
	"couple": 2, "tres": 3, "three": 3, "cuatro": 4, "four": 4, "cinco": 5, "five": 5,
	"seis": 6, "six": 6, "siete": 7, "seven": 7, "ocho": 8, "eight": 8, "nueve": 9, "nine": 9,
	"diez": 10, "ten": 10, "once": 11, "doce": 12, "twelve": 12, "quince": 15, "fifteen": 15,
	"veinte": 20, "twenty": 20, "treinta": 30, "thirty": 30,
	"unos": 3, "unas": 3, "algunos": 3, "algunas": 3, "pocos": 3, "pocas": 3, "few": 3,
	"some": 3, "several": 3,
}

// urgencyUnitDays is the length of each span unit in days.
var urgencyUnitDays = map[string]int{
	"dia": 1, "dias": 1, "day": 1, "days": 1, "semana": 7, "semanas": 7, "week": 7, "weeks": 7,
	"quincena": 15, "quincenas": 15, "mes": 30, "meses": 30, "month": 30, "months": 30,
	"trimestre": 90, "trimestres": 90, "semestre": 180, "semestres": 180, "ano": 365,
	"anos": 365, "year": 365, "years": 365,
}

// urgencyRelativeAt reads a span such as "15 días", "un par de meses" or
// "a few weeks" starting at words[i]. Its weight grows with its words and
// with a preposition before it ("en", "dentro de", "in").
func urgencyRelativeAt(words []string, i int) (Urgency, int, bool) {
	j := i
	if words[j] == "a" && j+1 < len(words) && (words[j+1] == "few" || words[j+1] == "couple") {
		j++ // "a few days"
	}
	n, ok := urgencyCount(words[j])
	if !ok {
		return "", 0, false
	}
	j++
	if j < len(words) && (words[j] == "de" || words[j] == "of" || words[j] == "cuantos" || words[j] == "cuantas") {
		j++ // "un par de meses", "unos cuantos días"
	}
	if j >= len(words) {
		return "", 0, false
	}
	unit, ok := urgencyUnitDays[words[j]]
	if !ok {
		return "", 0, false
	}
	weight := urgencyWordWeight * (j + 1 - i)
	if i > 0 && (words[i-1] == "en" || words[i-1] == "in" || words[i-1] == "within" || words[i-1] == "de") {
		weight += urgencyWordWeight
	}
	return urgencyForSpan(n, unit), weight, true
}

// urgencyCount reads a small count: up to four digits (longer is capped,
// it is far away anyway) or a word of urgencyQuantities.
func urgencyCount(w string) (int, bool) {
	if n, ok := urgencyQuantities[w]; ok {
		return n, true
	}
	if w == "" || w[0] < '0' || w[0] > '9' {
		return 0, false
	}
	if len(w) > 4 {
		return 9999, true
	}
	n, err := strconv.Atoi(w)
	return n, err == nil
}

// urgencyForSpan places n units of unitDays days. Months are compared as
// months so that "en 3 meses" (90 days) stays OneToThreeMonths.
func urgencyForSpan(n, unitDays int) Urgency {
	switch unitDays {
	case 30:
		switch {
		case n == 0:
			return ThisMonth
		case n <= 3:
			return OneToThreeMonths
		}
		return Exploring
	case 7:
		switch {
		case n <= 4:
			return ThisMonth
		case n <= 13:
			return OneToThreeMonths
		}
		return Exploring
	}
	switch days := n * unitDays; {
	case days <= 2:
		return Immediate
	case days <= 30:
		return ThisMonth
	case days <= 92:
		return OneToThreeMonths
	}
	return Exploring
}
