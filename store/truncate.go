package store

import "unicode/utf8"

// maxStoredRunes bounds an inbound text in the message log (RELIABILITY B1):
// a prospect can paste megabytes, and the log keeps every message. It is
// above flow's limit for an answer (1,000 runes), so a stored, cut text is
// still "too long" to the flow and replaying the log (I3) steps the same.
const maxStoredRunes = 4000

// truncateBody cuts body to maxStoredRunes runes, on a rune boundary, and
// says whether it did.
func truncateBody(body string) (string, bool) {
	if utf8.RuneCountInString(body) <= maxStoredRunes {
		return body, false
	}
	n := 0
	for i := range body {
		if n == maxStoredRunes {
			return body[:i], true
		}
		n++
	}
	return body, false
}
