package flow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// Service is one entry of the configurable service catalogue.
type Service struct {
	Key      string            `json:"key"`      // stable key stored with the lead: "seo"
	Label    map[string]string `json:"label"`    // display name per language: {"es": "SEO (posicionamiento en Google)", "en": "SEO"}
	Synonyms []string          `json:"synonyms"` // free-text ways to ask for it, any language, matched accent/case-insensitively as whole words or phrases
}

// Catalogue is the ordered list shown as a numbered menu.
type Catalogue []Service

// DefaultCatalogue returns the services a Colombian agency usually sells,
// with the ways prospects ask for them. Each call returns a fresh copy, so
// a caller may edit it without affecting others.
func DefaultCatalogue() Catalogue {
	return Catalogue{
		{
			Key:   "seo",
			Label: map[string]string{"es": "SEO (posicionamiento en Google)", "en": "SEO (Google ranking)"},
			Synonyms: []string{
				"seo", "posicionamiento", "posicionamiento web", "posicionamiento en google",
				"posicionamiento en buscadores", "posicionamiento seo", "salir en google",
				"aparecer en google", "salir primero en google", "salir de primeros en google",
				"estar en google", "buscadores", "search engine optimization", "rank on google",
			},
		},
		{
			Key:   "social",
			Label: map[string]string{"es": "Redes sociales", "en": "Social media management"},
			Synonyms: []string{
				"redes", "redes sociales", "manejo de redes", "manejo de redes sociales",
				"administración de redes", "community manager", "community", "social media",
				"instagram", "facebook", "tiktok", "linkedin", "contenido", "contenidos",
				"creación de contenido", "marketing de contenidos", "publicaciones", "posts",
				"reels", "parrilla de contenido", "manejo de instagram", "social",
			},
		},
		{
			Key:   "ads",
			Label: map[string]string{"es": "Pauta digital (anuncios)", "en": "Paid ads"},
			Synonyms: []string{
				"pauta", "pautas", "pautar", "pauta digital", "pauta en instagram", "pauta en facebook",
				"pauta en redes", "pauta en redes sociales", "pauta en google", "publicidad",
				"publicidad digital", "publicidad en redes", "publicidad en redes sociales",
				"publicidad en facebook", "publicidad en instagram", "publicidad en google",
				"anuncios", "anuncios en facebook", "anuncios en instagram", "anuncios en google",
				"anuncios en redes", "facebook ads", "instagram ads", "meta ads", "google ads",
				"tiktok ads", "linkedin ads", "adwords", "campañas", "campañas pagas",
				"campañas de publicidad", "ads", "ppc", "sem", "paid media", "advertising",
			},
		},
		{
			Key:   "web",
			Label: map[string]string{"es": "Diseño web", "en": "Web design"},
			Synonyms: []string{
				"diseño web", "página web", "pagina", "paginas web", "sitio web", "sitio", "website",
				"web", "tienda virtual", "tienda online", "tienda en línea", "landing", "landing page",
				"ecommerce", "e-commerce", "comercio electrónico", "wordpress", "shopify",
				"desarrollo web",
			},
		},
		{
			Key:   "branding",
			Label: map[string]string{"es": "Branding (logo e identidad)", "en": "Branding (logo and identity)"},
			Synonyms: []string{
				"branding", "logo", "logotipo", "marca", "identidad", "identidad corporativa",
				"identidad de marca", "imagen corporativa", "diseño de logo", "diseño de marca",
				"manual de marca", "rebranding", "brand", "brand identity",
			},
		},
		{
			Key:   "email",
			Label: map[string]string{"es": "Email marketing", "en": "Email marketing"},
			Synonyms: []string{
				"email marketing", "email", "e-mail", "mailing", "correos", "correo", "newsletter",
				"newsletters", "boletín", "boletines", "mail marketing", "correos masivos",
				"email masivo", "campañas de email", "campañas de correo", "email campaigns", "mailchimp",
			},
		},
		{
			Key:   "other",
			Label: map[string]string{"es": "Otro", "en": "Other"},
			Synonyms: []string{
				"otro", "otra", "otros", "otra cosa", "otro servicio", "ninguno", "ninguna",
				"ninguna de las anteriores", "other", "something else", "none",
			},
		},
	}
}

// Parse reads the answer to "¿qué servicio te interesa?": a menu number
// (1-based, also "opción 2", "la 3", "2️⃣", "la segunda"), or free text
// that contains the key, a label or a synonym of a service as whole words.
//
// Tie rule: when matches overlap, the longer one (in folded characters)
// wins, so "facebook ads" is ads and not social, and "publicidad en redes
// sociales" is ads. Matches that do not overlap and name different
// services ("SEO y página web") are a real double answer: ok is false and
// the bot asks again. Overlapping matches of equal length for different
// services are ambiguous too.
func (c Catalogue) Parse(text string) (key string, ok bool) {
	folded := fold(norm.NFKC.String(text))
	if n, ok := menuPick(strings.Fields(folded), len(c)); ok {
		return c[n-1].Key, true
	}
	matches := c.matches(folded)
	found := -1
	for i, m := range matches {
		if serviceOutweighed(m, matches[:i], matches[i+1:]) {
			continue
		}
		if found >= 0 && found != m.service {
			return "", false
		}
		found = m.service
	}
	if found < 0 {
		return "", false
	}
	return c[found].Key, true
}

// serviceMatch is one phrase of a service found in the answer, as a byte
// span of the folded text.
type serviceMatch struct {
	service, start, end int
}

// matches finds every occurrence of every key, label and synonym in
// folded, as whole words.
func (c Catalogue) matches(folded string) []serviceMatch {
	var out []serviceMatch
	for k, s := range c {
		find := func(phrase string) {
			out = appendServiceMatches(out, folded, foldPhrase(phrase), k)
		}
		find(s.Key)
		for _, l := range s.Label {
			find(l)
		}
		for _, syn := range s.Synonyms {
			find(syn)
		}
	}
	return out
}

func appendServiceMatches(out []serviceMatch, folded, phrase string, service int) []serviceMatch {
	if phrase == "" {
		return out
	}
	for from := 0; from+len(phrase) <= len(folded); {
		i := strings.Index(folded[from:], phrase)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(phrase)
		if (start == 0 || folded[start-1] == ' ') && (end == len(folded) || folded[end] == ' ') {
			out = append(out, serviceMatch{service, start, end})
		}
		from = start + 1
	}
	return out
}

// serviceOutweighed reports whether m overlaps a strictly longer match of
// another service among others.
func serviceOutweighed(m serviceMatch, others ...[]serviceMatch) bool {
	for _, list := range others {
		for _, o := range list {
			overlap := o.start < m.end && m.start < o.end
			if o.service != m.service && overlap && o.end-o.start > m.end-m.start {
				return true
			}
		}
	}
	return false
}

// foldPhrase folds a catalogue phrase. Most phrases are already plain
// lower-case ASCII words, and skipping fold for them keeps Parse cheap
// without caching anything between calls.
func foldPhrase(s string) string {
	space := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' && !space:
			space = true
		case ('a' <= c && c <= 'z') || ('0' <= c && c <= '9'):
			space = false
		default:
			return fold(s)
		}
	}
	if space && s != "" {
		return fold(s) // trailing space
	}
	return s
}

// Validate checks that the catalogue can be shown and parsed: at least one
// service; keys non-empty, unique and made of [a-z0-9_]; an "es" and an
// "en" label for every service; no synonym or label that folds to nothing
// or to a bare number (it would shadow a menu number); and no phrase
// shared by two services, which would make every answer using it
// ambiguous. The error names the service at fault.
func (c Catalogue) Validate() error {
	if len(c) == 0 {
		return errors.New("catalogue: no services")
	}
	keys := make(map[string]int, len(c))
	owner := make(map[string]string)
	for i, s := range c {
		if !validServiceKey(s.Key) {
			return fmt.Errorf("catalogue: service %d: key %q: want lower-case letters, digits or '_'", i+1, s.Key)
		}
		if j, dup := keys[s.Key]; dup {
			return fmt.Errorf("catalogue: service %d: key %q already used by service %d", i+1, s.Key, j)
		}
		keys[s.Key] = i + 1
		for _, lang := range []string{"es", "en"} {
			if strings.TrimSpace(s.Label[lang]) == "" {
				return fmt.Errorf("catalogue: service %q: no %q label", s.Key, lang)
			}
		}
		if err := s.claimPhrases(owner); err != nil {
			return err
		}
	}
	return nil
}

// claimPhrases records every label and synonym of s in owner, failing on
// one that is empty, numeric or already owned by another service.
func (s Service) claimPhrases(owner map[string]string) error {
	phrases := make([]string, 0, len(s.Label)+len(s.Synonyms))
	for _, l := range s.Label {
		phrases = append(phrases, l)
	}
	phrases = append(phrases, s.Synonyms...)
	for _, p := range phrases {
		f := fold(p)
		if f == "" {
			return fmt.Errorf("catalogue: service %q: phrase %q has no letters or digits", s.Key, p)
		}
		if _, err := strconv.Atoi(strings.ReplaceAll(f, " ", "")); err == nil {
			return fmt.Errorf("catalogue: service %q: phrase %q is a number", s.Key, p)
		}
		if other, taken := owner[f]; taken && other != s.Key {
			return fmt.Errorf("catalogue: service %q: phrase %q also names service %q", s.Key, p, other)
		}
		owner[f] = s.Key
	}
	return nil
}

func validServiceKey(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !('a' <= c && c <= 'z') && !('0' <= c && c <= '9') && c != '_' {
			return false
		}
	}
	return true
}

// Label returns the display name of key in lang, falling back to the "es"
// label, then to the key itself (also for a key not in the catalogue, so a
// lead stored under a since-removed service still shows something).
func (c Catalogue) Label(key, lang string) string {
	for _, s := range c {
		if s.Key != key {
			continue
		}
		if l := s.Label[lang]; l != "" {
			return l
		}
		if l := s.Label["es"]; l != "" {
			return l
		}
		break
	}
	return key
}

// menuFiller are the words around a menu number that do not change it:
// "opción 2", "la 3 porfa", "el número 1", "I choose 2".
var menuFiller = map[string]bool{
	"opcion": true, "opciones": true, "option": true, "opc": true, "op": true, "la": true,
	"el": true, "numero": true, "num": true, "nro": true, "no": true, "n": true, "escojo": true,
	"elijo": true, "prefiero": true, "quiero": true, "seria": true, "es": true, "creo": true,
	"que": true, "pues": true, "ok": true, "listo": true, "dale": true, "the": true,
	"number": true, "choose": true, "pick": true, "i": true, "porfa": true, "por": true,
	"favor": true, "please": true, "pls": true, "gracias": true,
}

// menuOrdinals are menu numbers in words.
var menuOrdinals = map[string]int{
	"uno": 1, "una": 1, "primera": 1, "primero": 1, "dos": 2, "segunda": 2, "segundo": 2,
	"tres": 3, "tercera": 3, "tercero": 3, "cuatro": 4, "cuarta": 4, "cuarto": 4, "cinco": 5,
	"quinta": 5, "quinto": 5, "seis": 6, "sexta": 6, "sexto": 6, "siete": 7, "septima": 7,
	"septimo": 7, "ocho": 8, "octava": 8, "octavo": 8, "nueve": 9, "novena": 9, "noveno": 9,
	"diez": 10, "one": 1, "first": 1, "two": 2, "second": 2, "three": 3, "third": 3,
	"four": 4, "fourth": 4, "five": 5, "fifth": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
	"ten": 10,
}

// menuPick reads a numbered-menu answer from folded words: exactly one
// number in 1..size, with nothing around it but menuFiller. A keycap emoji
// ("2️⃣") folds to its digit. Anything else ("2 meses", "1 y 2") is left to
// the free-text reading. Shared by ParseUrgency and Catalogue.Parse.
func menuPick(words []string, size int) (int, bool) {
	n, count := 0, 0
	for _, w := range words {
		if menuFiller[w] {
			continue
		}
		v, ok := menuOrdinals[w]
		if !ok {
			if len(w) > 3 {
				return 0, false
			}
			var err error
			if v, err = strconv.Atoi(w); err != nil {
				return 0, false
			}
		}
		n, count = v, count+1
	}
	return n, count == 1 && n >= 1 && n <= size
}
