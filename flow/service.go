package flow

import (
	_ "embed"
	"encoding/json"
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

//go:embed data/services.json
var servicesJSON []byte

// DefaultCatalogue returns the services a Colombian agency usually sells,
// with the ways prospects ask for them: data/services.json, the file an
// agency copies, edits (its own services, its clients' words for them) and
// passes with --services. Each call returns a fresh copy, so a caller may
// edit it without affecting others.
func DefaultCatalogue() Catalogue {
	var c Catalogue
	if err := json.Unmarshal(servicesJSON, &c); err != nil {
		panic("flow: embedded data/services.json: " + err.Error()) // a build defect; TestDefaultCatalogueValid catches it
	}
	return c
}

// Parse reads the answer to "¿qué servicio te interesa?" and returns the
// first service it names; ParseAll explains the reading. Parse builds the
// catalogue's index on every call: the conversation keeps one per Machine.
func (c Catalogue) Parse(text string) (key string, ok bool) {
	keys, _ := newServiceIndex(c).parse(splitMsg(norm.NFKC.String(text)), true)
	if len(keys) == 0 {
		return "", false
	}
	return keys[0], true
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
		v, ok := menuNumber(w)
		if !ok {
			return 0, false
		}
		n, count = v, count+1
	}
	return n, count == 1 && n >= 1 && n <= size
}

// menuNumber reads one menu number: digits (at most three) or a word.
func menuNumber(w string) (int, bool) {
	if v, ok := menuOrdinals[w]; ok {
		return v, true
	}
	if len(w) > 3 {
		return 0, false
	}
	v, err := strconv.Atoi(w)
	return v, err == nil
}
