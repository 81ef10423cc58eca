package flow

// Language detection. Prospects do not say which language they write in;
// they just write. Function words tell English from Spanish in a handful of
// words ("Hi, I'd like some information" has six English ones and no
// Spanish one), while names, places, brands and "ok" belong to both and
// count for neither. The configured language stays the default: the reply
// language changes only on clear evidence.

var (
	englishMarkers = newWordSet("i", "im", "d", "ll", "ve", "t", "s", "my", "me", "the", "is", "are", "am", "was",
		"you", "your", "we", "our", "us", "would", "like", "need", "want", "please", "thanks", "thank", "hello",
		"hi", "some", "about", "for", "with", "looking", "interested", "what", "how", "much", "does", "do",
		"can", "could", "this", "that", "it", "of", "and", "to", "in", "yes", "yeah", "have", "has", "know",
		"good", "morning", "afternoon", "evening", "name", "from", "just", "yet", "month", "monthly", "there",
		"will", "be", "an", "at", "by", "on", "or", "if", "help", "agree", "accept", "services", "website",
		"business", "company", "soon", "possible", "asap", "right", "now", "week", "next", "people", "english",
		"call", "when", "where", "who", "which", "here", "hey", "sure", "okay", "nope", "not", "no")
	spanishMarkers = newWordSet("hola", "quiero", "necesito", "informacion", "el", "la", "los", "las", "de",
		"del", "que", "por", "para", "con", "una", "un", "mi", "soy", "estoy", "tengo", "gracias", "buenas",
		"buenos", "dias", "tardes", "noches", "como", "cuanto", "me", "y", "en", "es", "si", "muy", "pagina",
		"servicio", "servicios", "presupuesto", "ciudad", "mas", "pero", "porque", "favor", "quisiera",
		"podria", "saber", "precio", "precios", "cotizacion", "usted", "ustedes", "tu", "te", "le", "lo", "al",
		"se", "su", "sus", "ya", "nos", "somos", "esta", "este", "eso", "esto", "hay", "mil", "millones",
		"claro", "dale", "listo", "bueno", "acepto", "autorizo", "ahora", "hoy", "manana", "semana", "mes",
		"empresa", "negocio", "ayuda", "llamo", "nombre", "vivo", "desde", "no", "espanol")
)

// langScore counts the words that only English, and only Spanish, uses.
// Words both languages share ("me", "no") count for both.
func langScore(words []string) (en, es int) {
	for _, w := range words {
		if englishMarkers[w] {
			en++
		}
		if spanishMarkers[w] {
			es++
		}
	}
	return en, es
}

// detectLang returns the language the words are clearly written in, or ""
// when they could be either. strict asks for more evidence: once a
// conversation has a language, one English word in a Spanish answer
// ("ok, my bad") must not switch it.
func detectLang(words []string, strict bool) string {
	en, es := langScore(words)
	if len(words) == 1 && !strict {
		switch words[0] {
		case "hi", "hello", "yes", "thanks":
			return "en"
		case "hola", "si", "gracias", "buenas":
			return "es"
		}
	}
	need := 2
	if strict {
		need = 3
	}
	switch {
	case en >= need && en > 2*es:
		return "en"
	case es >= need && es > 2*en:
		return "es"
	}
	return ""
}
