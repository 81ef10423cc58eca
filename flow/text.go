package flow

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// fold turns free text into the form every parser matches on: lower case,
// accents removed, punctuation turned into spaces, runs of spaces collapsed.
// "¡Bogotá, D.C.!" and "bogota dc" fold to "bogota d c" and "bogota dc";
// parsers that care about dots use foldKeep instead.
func fold(s string) string {
	return foldWith(s, false)
}

// foldKeep is fold but keeps the characters that carry meaning in numbers
// and money: digits, dot, comma, apostrophe, dollar sign, hyphen and slash.
func foldKeep(s string) string {
	return foldWith(s, true)
}

func foldWith(s string, keepNumeric bool) string {
	s = norm.NFD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := true // drop leading spaces
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // combining accent left over by NFD
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case keepNumeric && strings.ContainsRune(".,'$-/’", r):
			if r == '’' {
				r = '\''
			}
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}
