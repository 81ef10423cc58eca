// Package fold turns free text into the form the conversation's parsers
// match on (lower case, no accents, punctuation as spaces): one definition
// shared by flow and its place gazetteer.
package fold

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// String turns free text into the form every parser matches on: lower case,
// accents removed, punctuation turned into spaces, runs of spaces collapsed.
// "¡Bogotá, D.C.!" and "bogota dc" fold to "bogota d c" and "bogota dc";
// parsers that care about dots use Keep instead.
func String(s string) string {
	return foldWith(s, false)
}

// Keep is String but keeps the characters that carry meaning in numbers
// and money: digits, dot, comma, apostrophe, dollar sign, hyphen and slash.
func Keep(s string) string {
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

// EditDistance is the optimal-string-alignment distance between a and
// b (insertions, deletions, substitutions and swaps of adjacent letters, so
// "pereria" is one edit from "pereira"), or max+1 as soon as it is sure to
// exceed max. Inputs longer than 63 runes are reported as too far.
func EditDistance(a, b []rune, max int) int {
	if len(a) > 63 || len(b) > 63 || abs(len(a)-len(b)) > max {
		return max + 1
	}
	var rows [3][64]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := range len(b) + 1 {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
