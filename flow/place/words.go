package place

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/cis-agencia/cis/flow/fold"
)

// word is one word of the prospect's text, as typed (for display) and
// folded (for matching).
type word struct {
	orig, key string
	comma     bool // a comma separates it from the previous word
}

// splitWords splits text into words as fold does, keeping each as typed.
// It reads at most maxRunes runes and maxWords words; ok is false when
// the text is longer, and the words read so far are returned.
func splitWords(text string, maxRunes int) (ws []word, ok bool) {
	start, comma, runes := -1, false, 0
	for i, r := range text {
		if runes++; runes > maxRunes || len(ws) > maxWords {
			return capWords(ws), false
		}
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			ws, comma = appendWord(ws, text[start:i], comma), false
			start = -1
		}
		if r == ',' && len(ws) > 0 {
			comma = true
		}
	}
	if start >= 0 {
		ws = appendWord(ws, text[start:], comma)
	}
	if len(ws) > maxWords {
		return capWords(ws), false
	}
	return ws, true
}

func capWords(ws []word) []word {
	return ws[:min(len(ws), maxWords)]
}

func appendWord(ws []word, orig string, comma bool) []word {
	for _, k := range strings.Fields(fold.String(orig)) {
		ws = append(ws, word{orig: orig, key: k, comma: comma})
		comma = false
	}
	return ws
}

func join(ws []word) string {
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

func letters(key string) int {
	return utf8.RuneCountInString(key) - strings.Count(key, " ")
}

// leadWords open an answer without being part of the place: "hola,
// soy de", "vivo en", "actualmente estamos ubicados en". Each is dropped
// only as one of several readings (see trims), because some begin
// names: "Buenos Aires" (Cauca), "Ciudad Bolívar" (Antioquia).
var leadWords = newSet("hola", "holi", "ola", "buenas", "buenos", "buen", "dias", "dia", "tardes",
	"noches", "saludos", "si", "sii", "claro", "bueno", "ok", "okey", "okay", "listo", "dale", "pues",
	"yo", "nosotros", "nosotras", "somos", "soy", "estoy", "estamos", "esta", "vivo", "vivimos", "resido",
	"residimos", "desde", "de", "del", "en", "aqui", "aca", "actualmente", "ahora", "ahorita", "mi",
	"ciudad", "municipio", "es", "me", "nos", "encuentro", "encontramos", "ubicado", "ubicada",
	"ubicados", "ubicadas", "quedo", "queda", "quedamos", "quedan", "trabajo", "trabajamos",
	"radicado", "radicados", "un", "una", "agencia", "empresa", "negocio", "cerca", "a", "al",
	"from", "in", "im", "i", "am")

// leadPhrases are article + noun pairs that introduce the place: "la
// ciudad de", "el municipio de", "nuestra empresa está en".
var (
	leadArticles = newSet("la", "el", "nuestra", "nuestro", "mi")
	leadNouns    = newSet("ciudad", "municipio", "empresa", "negocio", "oficina", "agencia", "sede", "tienda", "pueblo")
)

// trailWords end an answer without being part of the place.
var trailWords = newSet("colombia", "col", "co", "gracias", "muchas", "mil", "porfa", "favor", "por",
	"pues", "jaja", "jajaja", "ciudad", "capital", "city")

func leadingFiller(ws []word) int {
	switch {
	case len(ws) == 0:
		return 0
	case leadWords[ws[0].key]:
		return 1
	case len(ws) >= 2 && leadArticles[ws[0].key] && leadNouns[ws[1].key]:
		return 2
	}
	return 0
}

// trims lists the readings of ws with lead-ins and trailing filler
// dropped, fewest drops first, skipping empty ones. A filler word can begin
// or end a name ("Buenos Aires", "Puerto Colombia"), so every reading is
// tried instead of stripping greedily; there are only a handful.
func trims(ws []word) [][]word {
	leads, tails := cuts(ws)
	var out [][]word
	for total := 0; total <= len(leads)+len(tails)-2; total++ {
		for a := 0; a < len(leads) && a <= total; a++ {
			if b := total - a; b < len(tails) && leads[a] < tails[b] {
				out = append(out, ws[leads[a]:tails[b]])
			}
		}
	}
	return out
}

// fuzzReading is the reading for typo matching: every lead-in and
// trailing filler dropped. Only that one: "soy de medelin" must be matched
// as "medelin", and a filler word alone ("gracias") must not reach a name
// two edits away ("Acacías"). Nor must everyday words: see chatWords.
// It is nil when nothing is left to match.
func fuzzReading(ws []word) []word {
	leads, tails := cuts(ws)
	lead, tail := leads[len(leads)-1], tails[len(tails)-1]
	if lead >= tail || tail-lead > 8 {
		return nil
	}
	t := ws[lead:tail]
	if !slices.ContainsFunc(t, func(w word) bool { return !isChat(w) }) {
		return nil
	}
	return t
}

// chatWords are everyday words one or two letters away from a
// municipality: "quiero" (Quibdó), "mañana" (Manatí), "tengo" (Tenjo),
// "hello" (Bello), "vale" (Valle). A text made only of them is never typo
// matched; an exact name still wins ("Plato" is a town, "plata" money).
var chatWords = newSet(
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

// cuts returns where a reading may start (after each lead-in) and end
// (before each trailing filler word). After "la ciudad" it may also start
// at "ciudad", for "(la) Ciudad de Panamá".
func cuts(ws []word) (leads, tails []int) {
	leads = []int{0}
	for i := 0; i < len(ws); {
		n := leadingFiller(ws[i:])
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
	for j := len(ws); j > 0 && trailWords[ws[j-1].key]; j-- {
		tails = append(tails, j-1)
	}
	return leads, tails
}

func newSet(words ...string) map[string]bool {
	m := make(map[string]bool, len(words))
	for _, w := range words {
		m[w] = true
	}
	return m
}

func digits(s string, n int) bool {
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

// Mention reads key as a municipality named exactly (a shared name only
// when one of them is a department capital) or a known foreign place.
func (p *Places) Mention(key string) (City, bool) {
	if r, ok := p.byName(key); ok && r.Match == CityExact {
		return r.City, true
	}
	if c, ok := foreignCities[key]; ok {
		return City{Name: c.name + ", " + c.country, Foreign: true}, true
	}
	if c, ok := countries[key]; ok && key != "colombia" {
		return City{Name: c.name, Foreign: true}, true
	}
	return City{}, false
}

// ChatWord says whether w (folded) is an everyday word a typo away from a
// place name, never to be read as one (chatWords).
func ChatWord(w string) bool { return chatWords[w] }

// DeptName is the display name of the department with the 2-digit code,
// "" when there is none.
func (p *Places) DeptName(code string) string {
	di, ok := p.deptIdx[code]
	if !ok {
		return ""
	}
	return p.depts[di].name
}
