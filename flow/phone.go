package flow

import "strings"

// ParsePhone reads a number to call back, as people type it in a chat, and
// returns it in E.164 ("+573001234567"). Accepted:
//
//   - a Colombian mobile: ten digits starting with 3, with or without +57,
//     57 or 0057 in front and with any spaces, dots, dashes or brackets
//     between groups ("300 123 4567", "(300) 123-4567", "+57 300 1234567");
//   - an international number: + or 00, then the country code and number,
//     8 to 15 digits in all ("+1 305 555 0123", "0034 612 34 56 78").
//
// Anything else is refused: a Colombian landline (60x: WhatsApp needs a
// mobile), a number without its country code that is not a Colombian
// mobile, fewer than 8 or more than 15 digits. Words around the number are
// ignored ("mi cel es 310 555 1234"); of several numbers the longest counts.
func ParsePhone(text string) (string, bool) {
	digits, plus := longestNumber(text)
	switch {
	case plus || strings.HasPrefix(digits, "00"):
		digits = strings.TrimPrefix(digits, "00")
		if strings.HasPrefix(digits, "57") {
			return colombianMobile(digits[2:])
		}
		if len(digits) < 8 || len(digits) > 15 || digits[0] == '0' {
			return "", false
		}
		return "+" + digits, true
	case len(digits) == 12 && strings.HasPrefix(digits, "57"):
		return colombianMobile(digits[2:])
	}
	return colombianMobile(digits)
}

func colombianMobile(d string) (string, bool) {
	if len(d) != 10 || d[0] != '3' {
		return "", false
	}
	return "+57" + d, true
}

// longestNumber returns the digits of the longest run of digits and
// separators in text, and whether a + opened it.
func longestNumber(text string) (digits string, plus bool) {
	var cur strings.Builder
	curPlus := false
	flush := func() {
		if cur.Len() > len(digits) {
			digits, plus = cur.String(), curPlus
		}
		cur.Reset()
		curPlus = false
	}
	for _, r := range text {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
		case r == '+' && cur.Len() == 0:
			curPlus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
			// a separator between groups
		default:
			flush()
		}
	}
	flush()
	return digits, plus
}
