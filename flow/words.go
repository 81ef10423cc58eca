package flow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// msg is one message split once into the pieces every reader of a whole
// sentence needs: its words folded for matching, where each word sits in
// the text as typed (a name keeps its accents and case), and its clauses.
// A clause ends at , ; . : ! ? or a line break, except a dot, comma or
// apostrophe between digits ("1.5", "2.000.000", "2'000.000"), so that an
// amount stays in one clause.
type msg struct {
	text     string
	words    []string // folded, as fold would give them
	start    []int    // byte offset in text where each word begins
	end      []int    // and ends
	clause   []int    // clause number of each word
	clauses  []span   // byte span of each clause in text
	question bool     // the text has a question mark
	symbols  bool     // the text has a non-space rune that is neither letter, digit nor punctuation (emoji)
}

type span struct{ from, to int }

// maxMsgWords bounds the words read from one message: a longer text is a
// story, and the readers that scan every word stay cheap whatever comes.
const maxMsgWords = 80

// splitMsg splits text as described on msg.
func splitMsg(text string) *msg {
	m := &msg{text: text}
	wordAt, clauseAt := -1, 0
	prev := rune(0)
	for i, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r):
			if wordAt < 0 {
				wordAt = i
			}
		case isNumberJoint(text, i, r, prev):
			// "1.5", "2.000.000": the separator stays inside the word
		default:
			if wordAt >= 0 {
				m.addWord(wordAt, i)
				wordAt = -1
			}
			if isClauseBreak(r) {
				m.endClause(clauseAt, i)
				clauseAt = i + utf8.RuneLen(r)
			}
			m.question = m.question || r == '?' || r == '¿'
			m.symbols = m.symbols || !(unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Me, r) ||
				unicode.Is(unicode.Variation_Selector, r) || r == '$')
		}
		prev = r
	}
	if wordAt >= 0 {
		m.addWord(wordAt, len(text))
	}
	m.endClause(clauseAt, len(text))
	return m
}

func (m *msg) addWord(from, to int) {
	if len(m.words) >= maxMsgWords {
		return
	}
	raw := m.text[from:to]
	f := foldWord(raw)
	if strings.ContainsAny(raw, ".,'’") {
		f = foldKeep(raw) // an amount: "1.5" stays one word
	}
	for _, w := range strings.Fields(f) {
		m.words = append(m.words, w)
		m.start = append(m.start, from)
		m.end = append(m.end, to)
		m.clause = append(m.clause, len(m.clauses))
	}
}

// endClause closes the clause that began at from when it holds a word.
func (m *msg) endClause(from, at int) {
	if n := len(m.clause); n > 0 && m.clause[n-1] == len(m.clauses) {
		m.clauses = append(m.clauses, span{from, at})
	}
}

func isClauseBreak(r rune) bool {
	return strings.ContainsRune(",;.:!?¡¿\n\r()", r)
}

// isNumberJoint reports whether r at byte i joins two digits: a thousands
// separator or a decimal mark typed inside an amount.
func isNumberJoint(text string, i int, r, prev rune) bool {
	if r != '.' && r != ',' && r != '\'' && r != '’' {
		return false
	}
	next, _ := utf8.DecodeRuneInString(text[i+utf8.RuneLen(r):])
	return unicode.IsDigit(prev) && unicode.IsDigit(next)
}

// foldWord is fold for one word, with a fast path for plain lower-case
// ASCII, by far the commonest word in a chat.
func foldWord(w string) string {
	upper := false
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'A' <= c && c <= 'Z':
			upper = true
		case !('a' <= c && c <= 'z') && !('0' <= c && c <= '9'):
			return fold(w)
		}
	}
	if upper {
		return strings.ToLower(w)
	}
	return w
}

// clauseText is the text of the clause holding word i, as typed.
func (m *msg) clauseText(i int) string {
	c := m.clauses[m.clause[i]]
	return m.text[c.from:c.to]
}

// from returns the text as typed from word i to the end.
func (m *msg) from(i int) string {
	if i >= len(m.words) {
		return ""
	}
	return m.text[m.start[i]:]
}

// upTo returns the text as typed before word i.
func (m *msg) upTo(i int) string {
	if i >= len(m.words) {
		return m.text
	}
	return m.text[:m.start[i]]
}
