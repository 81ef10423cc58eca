package flow

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
	"golang.org/x/text/width"
)

// Limits of a stored name. Five words hold any Colombian full name (two
// given names, two surnames and a particle); 60 runes fit the advisor's
// list and a WhatsApp greeting.
const (
	nameMaxWords = 5
	nameMaxRunes = 60
	// nameSentenceWords: an answer with more words than this, once the
	// greeting and "me llamo" are gone, is a sentence, not a name.
	nameSentenceWords = 8
	// nameMaxMarks is the number of combining marks kept on one letter:
	// enough for Indic vowel signs with nukta and anusvara, too few for
	// "Zalgo" text.
	nameMaxMarks = 3
)

// ParseName reads the answer to "¿cómo te llamas?" and returns the
// person's name for greeting and display.
//
// The text is width-folded (fullwidth "Ａｎａ" is "Ana") and
// NFC-normalised; zero-width characters, bidi controls and other format
// characters are removed without a trace (they hide inside words), and
// emoji, symbols and punctuation separate words. Letters of any script
// are kept, with apostrophes and hyphens inside a word ("O'Neil",
// "Ana-María") and accents exactly as typed.
//
// The answer is split at , ; : ! ? brackets and line breaks, and the
// first part that still has words once greetings, "me llamo", "soy",
// "I'm", titles ("Sr.", "don", "Dra.") and courtesies ("con gusto",
// "gracias") are removed is the name: "Hola, soy Ana" and "con gusto,
// Laura" give "Ana" and "Laura". Within that part, the name stops where
// the prospect starts talking about something else: "Carlos de parte de Ferretería X" keeps
// the person, "Carlos" (the company is not a name; the bot can ask for it
// elsewhere), as do "Ana y quiero…", "Pedro, gerente de…". A bare "de"
// cannot be told from a particle, so "Carlos de Ferretería X" is kept
// whole.
//
// The name is title-cased with particles lower-case ("Maria de los
// Angeles"), a word typed in deliberate mixed case is kept ("McDonald"), a
// single Latin letter becomes an initial ("Carlos A. Pérez"); the first
// five words are kept and the result is cut to 60 runes at a word end.
//
// ok is false, and name "", when the answer has any digit (of any script),
// an @, a URL or markup; has no letters or only single letters; has more
// than eight words after the greeting (a sentence); or is not a name:
// "hola", "buenos días", "sí", "no", "ok", "gracias", "quiero información",
// "precio" and similar.
func ParseName(text string) (name string, ok bool) {
	text = norm.NFC.String(nameDropInvisible(width.Fold.String(strings.ToValidUTF8(text, "\uFFFD"))))
	if nameForbidden(text) {
		return "", false
	}
	for _, seg := range nameSegments(text) {
		words := nameStripLead(seg)
		if len(words) == 0 {
			continue
		}
		if len(words) > nameSentenceWords {
			return "", false
		}
		return nameFinish(words)
	}
	return "", false
}

// nameDropInvisible removes format characters (zero-width spaces and
// joiners, bidi controls, soft hyphens, tags), variation selectors and
// enclosing marks. They go before NFC: left in, one of them between two
// combining marks would keep NFC from ordering them.
func nameDropInvisible(s string) string {
	return strings.Map(func(r rune) rune {
		if nameClass(r) == nameDrop {
			return -1
		}
		return r
	}, s)
}

// nameForbidden reports whether text carries something no name has: a
// digit of any script, an @ (email, handle), a URL or markup.
func nameForbidden(text string) bool {
	if strings.ContainsAny(text, "@<>") {
		return true
	}
	for _, r := range text {
		if unicode.IsNumber(r) {
			return true
		}
	}
	lower := strings.ToLower(text)
	if strings.Contains(lower, "://") || strings.Contains(lower, "www.") {
		return true
	}
	return nameHasDomain(lower)
}

// nameTLDs are the endings that make "word.xx" a domain rather than an
// initial typed without a space ("J.Pérez").
var nameTLDs = map[string]bool{
	"com": true, "co": true, "net": true, "org": true, "io": true, "es": true, "info": true,
	"biz": true, "app": true, "me": true, "ly": true, "us": true, "edu": true, "gov": true,
	"online": true, "site": true, "store": true, "shop": true, "link": true, "xyz": true,
}

func nameHasDomain(lower string) bool {
	for _, f := range strings.FieldsFunc(lower, func(r rune) bool {
		return !unicode.IsLetter(r) && r != '.' && r != '-'
	}) {
		dot := strings.LastIndexByte(f, '.')
		if dot > 0 && nameTLDs[f[dot+1:]] {
			return true
		}
	}
	return false
}

// nameWord is a word of the answer as typed and its matching key (folded,
// with apostrophes and hyphens removed: "I'm" → "im").
type nameWord struct {
	text, key string
}

// nameSegments splits text into parts (at , ; : ! ? brackets and line
// breaks) of words.
func nameSegments(text string) [][]nameWord {
	var segs [][]nameWord
	var seg []nameWord
	var word []rune
	marks := 0
	endWord := func() {
		if w := strings.Trim(string(word), "'-"); w != "" {
			seg = append(seg, nameWord{w, strings.ReplaceAll(fold(w), " ", "")})
		}
		word, marks = word[:0], 0
	}
	endSeg := func() {
		endWord()
		if len(seg) > 0 {
			segs = append(segs, seg)
			seg = nil
		}
	}
	for _, r := range text {
		switch nameClass(r) {
		case nameLetter:
			word = append(word, r)
			marks = 0
		case nameMark:
			if len(word) > 0 && marks < nameMaxMarks && (marks > 0 || unicode.IsLetter(word[len(word)-1])) {
				word = append(word, r)
				marks++
			}
		case nameJoiner:
			if j := nameJoinerRune(r); len(word) > 0 && word[len(word)-1] != '\'' && word[len(word)-1] != '-' {
				word = append(word, j)
				marks = 0
			}
		case nameDrop:
		case nameSegBreak:
			endSeg()
		default:
			endWord()
		}
	}
	endSeg()
	return segs
}

// Rune classes for nameSegments.
const (
	nameSpace    = iota // ends a word
	nameLetter          // part of a word
	nameMark            // combining mark, kept on the letter before it
	nameJoiner          // apostrophe or hyphen inside a word
	nameDrop            // invisible: removed without ending the word
	nameSegBreak        // ends a part of the answer
)

func nameClass(r rune) int {
	switch {
	case unicode.IsLetter(r):
		return nameLetter
	case unicode.Is(unicode.Variation_Selector, r), unicode.Is(unicode.Me, r), unicode.Is(unicode.Cf, r):
		return nameDrop // ZWJ, ZWSP, bidi controls, emoji presentation and keycap marks
	case unicode.Is(unicode.Mn, r), unicode.Is(unicode.Mc, r):
		return nameMark
	case strings.ContainsRune("'’ʼ`´-‐‑", r):
		return nameJoiner
	case strings.ContainsRune(",;:!?¡¿()[]\n\r\u2028\u2029", r):
		return nameSegBreak
	}
	return nameSpace
}

func nameJoinerRune(r rune) rune {
	if strings.ContainsRune("-‐‑", r) {
		return '-'
	}
	return '\''
}

// Lead phrases, as keys: greetings, courtesies, introductions and titles
// that come before a name. Titles are stripped only when a word follows,
// so "Don" alone stays a name.
var (
	nameLeadPhrases = nameKeyPhrases(
		"hola", "holi", "ola", "buenas", "buenos dias", "buen dia", "buenas tardes", "buenas noches",
		"muy buenas", "saludos", "que tal", "hey", "hi", "hello", "hi there", "good morning",
		"good afternoon", "good evening", "si", "claro", "claro que si", "con gusto",
		"con mucho gusto", "ok", "okay", "vale", "listo", "dale", "bueno", "pues", "bien",
		"perfecto", "sure", "of course", "yes", "yeah", "gracias", "muchas gracias", "mucho gusto",
		"un gusto", "encantado", "encantada", "me llamo", "yo me llamo", "mi nombre es",
		"mi nombre", "mi nombre completo es", "yo soy", "soy", "yo", "es", "con", "habla",
		"soy el", "soy la", "yo soy el", "yo soy la", "hablas con", "estas hablando con", "te habla", "le habla", "les habla", "te saluda",
		"le saluda", "les saluda", "me dicen", "puedes llamarme", "llamame", "aqui",
		"my name is", "my names", "name is", "names", "im", "i am", "this is", "its", "it is",
		"call me", "nombre", "nombre completo", "name", "full name",
	)
	nameTitles = nameTitlePhrases(
		"sr", "sra", "srta", "senor", "senora", "senorita", "don", "dona", "dr", "dra", "doctor",
		"doctora", "ing", "ingeniero", "ingeniera", "lic", "licenciado", "licenciada", "arq",
		"arquitecto", "arquitecta", "prof", "profe", "profesor", "profesora", "mr", "mrs", "ms",
		"miss", "mister", "sir", "madam",
	)
	// nameCutPhrases end the name: what follows is the company or the
	// request.
	nameCutPhrases = nameKeyPhrases(
		"de parte de", "de parte", "por parte de", "de la empresa", "de la compania",
		"de la agencia", "de la tienda", "de la marca", "from", "quiero",
		"quisiera", "necesito", "tengo", "busco", "estoy", "trabajo", "represento", "soy", "me",
		"les", "te", "le", "gerente", "dueno", "duena", "propietario", "propietaria",
		"representante", "want", "need", "work", "am",
	)
	// nameTrailPhrases are courtesies after the name ("Laura, gracias").
	nameTrailPhrases = nameKeyPhrases(
		"gracias", "muchas gracias", "mil gracias", "mucho gusto", "un gusto", "encantado",
		"encantada", "thanks", "thank you", "saludos", "aqui", "por aqui", "por aca", "a la orden",
		"para servirle", "a sus ordenes", "pues",
	)
)

// nameBlocked are words no name contains; a candidate with one of them is
// a request or a greeting, not a name.
var nameBlocked = map[string]bool{
	"quiero": true, "quisiera": true, "necesito": true, "informacion": true, "info": true,
	"precio": true, "precios": true, "cotizacion": true, "cotizar": true, "cuanto": true,
	"cuesta": true, "servicio": true, "servicios": true, "ayuda": true, "pagina": true,
	"web": true, "interesado": true, "interesada": true, "hola": true, "gracias": true,
	"buenas": true, "buenos": true, "ok": true, "okay": true, "hello": true, "hi": true,
	"thanks": true, "please": true, "porfavor": true, "porfa": true, "test": true,
	"prueba": true, "undefined": true, "null": true, "nombre": true, "name": true, "llamo": true,
	"bot": true, "asesor": true, "asesora": true, "whatsapp": true, "seo": true,
	"marketing": true, "publicidad": true, "presupuesto": true,
}

// nameAlone are answers that are no name when they are the whole answer.
var nameAlone = map[string]bool{
	"si": true, "no": true, "vale": true, "listo": true, "dale": true, "bueno": true,
	"claro": true, "yes": true, "yeah": true, "yep": true, "nope": true, "nada": true,
	"nadie": true, "anonimo": true, "anonima": true, "ninguno": true, "ninguna": true,
	"sure": true, "cool": true, "ya": true, "aja": true, "eh": true, "mmm": true, "hmm": true,
	"lol": true, "xd": true, "na": true, "ok": true,
}

// Particles written in lower case inside a name. "la", "las", "los" only
// after "de"/"del" ("de la Cruz", "de los Angeles"), since "La Rosa" alone
// is a capitalised surname.
var (
	nameParticles      = map[string]bool{"de": true, "del": true, "y": true, "da": true, "das": true, "do": true, "dos": true, "di": true, "van": true, "von": true, "der": true}
	nameArticleAfterDe = map[string]bool{"la": true, "las": true, "los": true}
)

// nameTitlePhrases lists each title alone and after "el"/"la" ("soy la
// Dra. Marcela").
func nameTitlePhrases(titles ...string) [][]string {
	out := nameKeyPhrases(titles...)
	for _, t := range titles {
		out = append(out, []string{"el", t}, []string{"la", t})
	}
	return out
}

func nameKeyPhrases(phrases ...string) [][]string {
	out := make([][]string, len(phrases))
	for i, p := range phrases {
		out[i] = strings.Fields(p)
	}
	return out
}

// nameLongestAt returns the length in words of the longest phrase at
// words[i], or 0.
func nameLongestAt(words []nameWord, i int, phrases [][]string) int {
	best := 0
	for _, p := range phrases {
		if len(p) > best && i+len(p) <= len(words) && nameKeysMatch(words[i:i+len(p)], p) {
			best = len(p)
		}
	}
	return best
}

// nameLongestEndingAt returns the length of the longest phrase ending at
// the last word, or 0.
func nameLongestEndingAt(words []nameWord, phrases [][]string) int {
	best := 0
	for _, p := range phrases {
		if len(p) > best && len(p) <= len(words) && nameKeysMatch(words[len(words)-len(p):], p) {
			best = len(p)
		}
	}
	return best
}

func nameKeysMatch(words []nameWord, keys []string) bool {
	for k, w := range words {
		if w.key != keys[k] {
			return false
		}
	}
	return true
}

// nameStripLead removes greetings, introductions and titles from the
// start of a part of the answer.
func nameStripLead(words []nameWord) []nameWord {
	for len(words) > 0 {
		if n := nameLongestAt(words, 0, nameLeadPhrases); n > 0 {
			words = words[n:]
			continue
		}
		if n := nameLongestAt(words, 0, nameTitles); n > 0 && n < len(words) {
			words = words[n:]
			continue
		}
		break
	}
	return words
}

// nameStripTrail removes courtesies and dangling particles from the end.
func nameStripTrail(words []nameWord) []nameWord {
	for len(words) > 0 {
		last := words[len(words)-1].key
		if n := nameLongestEndingAt(words, nameTrailPhrases); n > 0 {
			words = words[:len(words)-n]
			continue
		}
		if nameParticles[last] || nameArticleAfterDe[last] || (len(words) > 1 && nameIsLaugh(words[len(words)-1:])) {
			words = words[:len(words)-1] // "Fausto jaja": the laugh is no surname
			continue
		}
		break
	}
	return words
}

// nameFinish turns the words of the chosen part into the name.
func nameFinish(words []nameWord) (string, bool) {
	for i := range words {
		if i > 0 && nameLongestAt(words, i, nameCutPhrases) > 0 {
			words = words[:i]
			break
		}
	}
	if nameLongestAt(words, 0, nameCutPhrases) > 0 {
		return "", false // "quiero información"
	}
	for _, w := range words {
		if nameBlocked[w.key] {
			return "", false
		}
	}
	words = nameFit(words)
	if len(words) == 0 || (len(words) == 1 && nameAlone[words[0].key]) || nameIsLaugh(words) || !nameHasLongWord(words) {
		return "", false
	}
	return nameCased(words), true
}

// nameFit keeps the first nameMaxWords words, then drops words from the
// end until the rendered name fits nameMaxRunes, never leaving a
// courtesy or a particle last ("Maria de los" is cut to "Maria").
func nameFit(words []nameWord) []nameWord {
	if len(words) > nameMaxWords {
		words = words[:nameMaxWords]
	}
	words = nameStripTrail(words)
	for len(words) > 1 && utf8.RuneCountInString(nameCased(words)) > nameMaxRunes {
		words = nameStripTrail(words[:len(words)-1])
	}
	if len(words) == 1 && utf8.RuneCountInString(words[0].text) > nameMaxRunes {
		// Cut before casing, so the case rule sees the word that is kept.
		w := strings.TrimRight(string([]rune(words[0].text)[:nameMaxRunes]), "'-")
		words = []nameWord{{w, strings.ReplaceAll(fold(w), " ", "")}}
	}
	return words
}

// nameIsLaugh reports "jajaja", "jeje", "haha" and the like.
func nameIsLaugh(words []nameWord) bool {
	k := words[0].key
	if len(words) != 1 || len(k) < 4 {
		return false
	}
	for i := 0; i+1 < len(k); i += 2 {
		if (k[i] != 'j' && k[i] != 'h') || !strings.ContainsRune("aeiou", rune(k[i+1])) {
			return false
		}
	}
	return len(k)%2 == 0
}

// nameHasLongWord reports whether some word has two letters or more: a
// lone letter or a row of initials is no name.
func nameHasLongWord(words []nameWord) bool {
	for _, w := range words {
		letters := 0
		for _, r := range w.text {
			if unicode.IsLetter(r) {
				letters++
			}
		}
		if letters >= 2 {
			return true
		}
	}
	return false
}

// nameCased joins the words in name case.
func nameCased(words []nameWord) string {
	out := make([]string, len(words))
	for i := range words {
		out[i] = nameCase(words, i)
	}
	return strings.Join(out, " ")
}

// nameCase writes word i of words in name case.
func nameCase(words []nameWord, i int) string {
	w := words[i]
	if i > 0 && (nameParticles[w.key] || nameArticleAfterDe[w.key] && (words[i-1].key == "de" || words[i-1].key == "del")) {
		return strings.ToLower(w.text)
	}
	cased := w.text
	if !nameDeliberateCase(w.text) {
		// Casing can leave a letter and its accent apart ("ı\u0301" →
		// "I\u0301"); NFC joins them again so the result is stable.
		cased = norm.NFC.String(nameTitleCase(w.text))
	}
	if r, size := utf8.DecodeRuneInString(cased); size == len(cased) && unicode.Is(unicode.Latin, r) {
		return string(unicode.ToUpper(r)) + "." // an initial
	}
	return cased
}

// nameDeliberateCase reports a word typed with a capital first and mixed
// case after it ("McDonald", "DeLuca"): the prospect chose that spelling.
// All-caps and all-lower words are normalised instead.
func nameDeliberateCase(w string) bool {
	first, _ := utf8.DecodeRuneInString(w)
	if !unicode.IsUpper(first) && !unicode.IsTitle(first) {
		return false
	}
	lower, upperAfter := false, false
	for _, r := range w[utf8.RuneLen(first):] {
		lower = lower || unicode.IsLower(r)
		upperAfter = upperAfter || unicode.IsUpper(r)
	}
	return lower && upperAfter
}

// nameTitleCase capitalises the first letter of each hyphenated part and
// the letter after an apostrophe that follows a single letter ("o'neil" →
// "O'Neil"), and lower-cases the rest. Letters are counted without their
// marks, so the rule does not change when NFC composes them.
func nameTitleCase(w string) string {
	rs := []rune(w)
	start, letters := true, 0
	for i, r := range rs {
		switch {
		case r == '-':
			start, letters = true, 0
		case r == '\'':
			start = letters == 1
		case unicode.IsLetter(r) && start:
			rs[i] = unicode.ToTitle(r)
			start = false
			letters++
		case unicode.IsLetter(r):
			rs[i] = unicode.ToLower(r)
			letters++
		}
	}
	return string(rs)
}
