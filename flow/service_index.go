package flow

import (
	"strings"
	"unicode/utf8"
)

// serviceIndex reads service answers for one catalogue. It is built once
// (per Machine, or per Catalogue.Parse call) and only read afterwards.
//
// How an answer is read (parse):
//   - a menu number, or several ("1 y 3"), with filler around them;
//   - otherwise every key, label and synonym of every service, as whole
//     words, left to right, the longest phrase at each place: "facebook ads"
//     is ads, not social's "facebook"; "publicidad en redes sociales" is
//     ads;
//   - a phrase ending in a platform (Facebook, Instagram, Google, redes …)
//     takes the platforms listed after it: "pauta en Facebook e Instagram"
//     is ads only, not ads and social; so does any phrase followed by "en"
//     or "por" and a platform ("promocionar mi negocio en Facebook");
//   - several services in one answer ("redes sociales y pauta") are all
//     returned in the order named: the first is the lead's service, the
//     others are noted for the advisor;
//   - with nothing found, a word one typing error away from a catalogue
//     word (two for long words) is read as that word ("posisionamiento",
//     "instagran") when tolerant;
//   - an answer naming marketing in general ("marketing digital", "de
//     todo") is generic: the bot shows the menu rather than guess.
type serviceIndex struct {
	cat    Catalogue
	table  phraseTable // phrase → service position in cat; genericService for general marketing
	vocab  []vocabWord // words of the phrases, for typo matching
	vocabs wordSet
}

type vocabWord struct {
	w     string
	runes []rune
}

// genericService is the table value of the general-marketing phrases.
const genericService = -1

// serviceGeneric are answers too general to choose a service from.
var serviceGeneric = []string{
	"marketing", "marketing digital", "mercadeo", "mercadeo digital", "publicidad y marketing",
	"marketing y publicidad", "estrategia digital", "estrategia de marketing", "estrategia de marketing digital",
	"asesoria", "asesoria en marketing", "asesoria de marketing", "consultoria", "todo", "de todo",
	"un poco de todo", "todos", "todos los servicios", "todo el paquete", "paquete completo", "agencia",
	"digital marketing", "marketing services", "everything", "all of them", "a bit of everything",
}

// servicePlatforms are the channels an ads or social phrase can list.
var servicePlatforms = newWordSet("facebook", "instagram", "insta", "ig", "tiktok", "google", "youtube",
	"linkedin", "twitter", "x", "meta", "whatsapp", "redes", "sociales", "pinterest")

var serviceConnectors = newWordSet("y", "e", "o", "u", "and", "or", "tambien", "en")

func newServiceIndex(c Catalogue) *serviceIndex {
	x := &serviceIndex{cat: c, table: phraseTable{}, vocabs: wordSet{}}
	add := func(p string, v int) {
		f := fold(p)
		x.table.add(f, v)
		for _, w := range strings.Fields(f) {
			if !x.vocabs[w] && utf8.RuneCountInString(w) >= 4 {
				x.vocab = append(x.vocab, vocabWord{w, []rune(w)})
			}
			x.vocabs[w] = true
		}
	}
	for i, s := range c {
		add(s.Key, i)
		for _, l := range s.Label {
			add(l, i)
		}
		for _, syn := range s.Synonyms {
			add(syn, i)
		}
	}
	for _, g := range serviceGeneric {
		if ws := strings.Fields(g); x.table.longest(ws) != len(ws) {
			add(g, genericService) // unless a service of this catalogue claims the phrase
		}
	}
	return x
}

// parse returns the services named, in order, and whether the answer was
// generic. See serviceIndex.
func (x *serviceIndex) parse(m *msg, tolerant bool) (keys []string, generic bool) {
	if picks := menuPicks(m.words, len(x.cat)); len(picks) > 0 {
		for _, n := range picks {
			keys = appendNew(keys, x.cat[n-1].Key)
		}
		return keys, false
	}
	keys, generic = x.scan(m.words)
	if len(keys) == 0 && !generic && tolerant {
		if fixed, ok := x.correct(m.words); ok {
			keys, generic = x.scan(fixed)
		}
	}
	return keys, generic && len(keys) == 0
}

// scan finds the services named in words, left to right.
func (x *serviceIndex) scan(words []string) (keys []string, generic bool) {
	for i := 0; i < len(words); {
		n, v := x.table.at(words, i)
		switch {
		case n == 0:
			i++
			continue
		case v == genericService:
			generic = true
		default:
			keys = appendNew(keys, x.cat[v].Key)
		}
		i += n
		switch {
		case servicePlatforms[words[i-1]]:
			i = skipPlatforms(words, i)
		case i+1 < len(words) && servicePrepositions[words[i]] && servicePlatforms[words[i+1]]:
			i = skipPlatforms(words, i+1) // "promocionar mi negocio en Facebook": where, not what
		}
	}
	return keys, generic
}

// servicePrepositions put a platform after a service as where it is done.
var servicePrepositions = newWordSet("en", "por", "on", "in", "via")

// skipPlatforms passes over a list of platforms ("e instagram y tiktok")
// from words[i] on.
func skipPlatforms(words []string, i int) int {
	for i < len(words) {
		j := i
		for j < len(words) && serviceConnectors[words[j]] {
			j++
		}
		if j == len(words) || !servicePlatforms[words[j]] {
			return i
		}
		i = j + 1
	}
	return i
}

// correct replaces each unknown word by the catalogue word one typing
// error away (two for words of eight letters or more), when exactly one is
// that close. ok is false when nothing was replaced.
func (x *serviceIndex) correct(words []string) (fixed []string, ok bool) {
	fixed = words
	for i, w := range words {
		n := utf8.RuneCountInString(w)
		if x.vocabs[w] || n < 4 || placeChatWords[w] {
			continue
		}
		if v, found := x.closest(w, n); found {
			if !ok {
				fixed = append([]string(nil), words...)
				ok = true
			}
			fixed[i] = v
		}
	}
	return fixed, ok
}

func (x *serviceIndex) closest(w string, n int) (string, bool) {
	max := 1
	if n >= 8 {
		max = 2
	}
	rs := []rune(w)
	best, bestD, ties := "", max+1, 0
	for _, v := range x.vocab {
		if placeAbs(len(v.runes)-n) > max {
			continue
		}
		d := placeEditDistance(rs, v.runes, max)
		switch {
		case d < bestD:
			best, bestD, ties = v.w, d, 1
		case d == bestD && v.w != best:
			ties++
		}
	}
	return best, bestD <= max && ties == 1
}

// menuPicks reads one or several menu numbers ("2", "la 3", "1 y 3") with
// nothing around them but menu filler and connectors.
func menuPicks(words []string, size int) []int {
	if n, ok := menuPick(words, size); ok {
		return []int{n}
	}
	var picks []int
	for _, w := range words {
		if menuFiller[w] || serviceConnectors[w] {
			continue
		}
		n, ok := menuNumber(w)
		if !ok || n < 1 || n > size {
			return nil
		}
		picks = append(picks, n)
	}
	if len(picks) < 2 {
		return nil
	}
	return picks
}

func appendNew(keys []string, k string) []string {
	for _, x := range keys {
		if x == k {
			return keys
		}
	}
	return append(keys, k)
}
