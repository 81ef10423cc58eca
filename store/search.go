package store

import (
	"sort"
	"strings"
	"unicode"
)

// searchFold is the folding of migration 0090's leads.search, in Go: the
// same characters replaced, then ASCII lower case (SQLite's lower()). A
// test checks that both give the same key for every character listed.
var searchFold = strings.NewReplacer(
	"\u0301", "", "\u0300", "", "\u0302", "", "\u0303", "", "\u0308", "",
	"á", "a", "à", "a", "â", "a", "ä", "a", "ã", "a", "é", "e", "è", "e", "ê", "e", "ë", "e",
	"í", "i", "ì", "i", "î", "i", "ï", "i", "ó", "o", "ò", "o", "ô", "o", "ö", "o", "õ", "o",
	"ú", "u", "ù", "u", "û", "u", "ü", "u", "ñ", "n", "ç", "c",
	"Á", "a", "À", "a", "Â", "a", "Ä", "a", "Ã", "a", "É", "e", "È", "e", "Ê", "e", "Ë", "e",
	"Í", "i", "Ì", "i", "Î", "i", "Ï", "i", "Ó", "o", "Ò", "o", "Ô", "o", "Ö", "o", "Õ", "o",
	"Ú", "u", "Ù", "u", "Û", "u", "Ü", "u", "Ñ", "n", "Ç", "c",
)

// SearchKey folds text as leads.search is folded: "MEDELLÍN" → "medellin".
func SearchKey(s string) string {
	s = searchFold.Replace(s)
	return strings.Map(func(r rune) rune {
		if r >= 'A' && r <= 'Z' {
			return r + ('a' - 'A')
		}
		return r
	}, s)
}

// searchWords splits a search into folded words; a query of digits and
// phone punctuation ("+57 300 123-4567") is one word of its digits.
func searchWords(q string) []string {
	q = strings.TrimSpace(q)
	if q == "" {
		return nil
	}
	digits, phoneLike := 0, true
	for _, r := range q {
		switch {
		case unicode.IsDigit(r):
			digits++
		case strings.ContainsRune(" +-().", r):
		default:
			phoneLike = false
		}
	}
	if phoneLike && digits >= 3 {
		return []string{strings.Map(func(r rune) rune {
			if unicode.IsDigit(r) {
				return r
			}
			return -1
		}, q)}
	}
	words := strings.FieldsFunc(SearchKey(q), func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune(",;", r)
	})
	if len(words) > 5 { // a pasted paragraph: the first words are enough
		words = words[:5]
	}
	// The most selective word first: SQLite tests the conditions in order and
	// stops at the first that fails, so a number, then a longer word, saves
	// most of the scan's work when the search matches little.
	sort.SliceStable(words, func(i, j int) bool {
		di, dj := strings.ContainsAny(words[i], "0123456789"), strings.ContainsAny(words[j], "0123456789")
		if di != dj {
			return di
		}
		return len(words[i]) > len(words[j])
	})
	return words
}
