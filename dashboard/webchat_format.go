package dashboard

import (
	"unicode"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/store"
)

// The web chat shows messages as WhatsApp does: *bold*, _italic_, ~strike~
// and ```monospace```. The server splits a message into styled runs of plain
// text (chatSpan) and the page builds them with text nodes, so no text is
// ever parsed as HTML: a prospect's "<img onerror=…>" stays characters.

// chatSpan is a run of text and its styles.
type chatSpan struct {
	Text   string `json:"t"`
	Bold   bool   `json:"b,omitempty"`
	Italic bool   `json:"i,omitempty"`
	Strike bool   `json:"s,omitempty"`
	Mono   bool   `json:"m,omitempty"`
}

// chatOption is one choice the newest bot message offers, as a button.
type chatOption struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// formatSpans splits s by WhatsApp's formatting rules: a marker opens at the
// start or after a character that is not a letter or digit, when a
// non-space follows; it closes on the same line after a non-space, when no
// letter or digit follows. Styles nest ("*_así_*"); monospace holds none.
func formatSpans(s string) []chatSpan {
	return appendSpans(nil, []rune(s), chatSpan{})
}

func appendSpans(out []chatSpan, r []rune, style chatSpan) []chatSpan {
	var buf []rune
	flush := func() {
		if len(buf) > 0 {
			sp := style
			sp.Text = string(buf)
			out = append(out, sp)
			buf = buf[:0]
		}
	}
	for i := 0; i < len(r); i++ {
		if j := monoEnd(r, i); j > 0 && !style.Mono {
			flush()
			sp := style
			sp.Mono, sp.Text = true, string(r[i+3:j])
			out = append(out, sp)
			i = j + 2
			continue
		}
		if m := r[i]; isMarker(m) && !style.has(m) && opens(r, i) {
			if j := closes(r, i); j > 0 {
				flush()
				out = appendSpans(out, r[i+1:j], style.with(m))
				i = j
				continue
			}
		}
		buf = append(buf, r[i])
	}
	flush()
	return out
}

func isMarker(m rune) bool { return m == '*' || m == '_' || m == '~' }

func (s chatSpan) has(m rune) bool {
	switch m {
	case '*':
		return s.Bold
	case '_':
		return s.Italic
	}
	return s.Strike
}

func (s chatSpan) with(m rune) chatSpan {
	switch m {
	case '*':
		s.Bold = true
	case '_':
		s.Italic = true
	default:
		s.Strike = true
	}
	return s
}

func isWord(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

func opens(r []rune, i int) bool {
	return (i == 0 || !isWord(r[i-1])) && i+1 < len(r) && !unicode.IsSpace(r[i+1]) && r[i+1] != r[i]
}

// closes returns the index of the marker closing the one at i, or -1.
func closes(r []rune, i int) int {
	for j := i + 2; j < len(r) && r[j] != '\n'; j++ {
		if r[j] == r[i] && !unicode.IsSpace(r[j-1]) && (j+1 == len(r) || !isWord(r[j+1])) {
			return j
		}
	}
	return -1
}

// monoEnd returns the start of the ``` closing one at i, or -1.
func monoEnd(r []rune, i int) int {
	if !tripleTick(r, i) {
		return -1
	}
	for j := i + 4; j+2 < len(r); j++ {
		if tripleTick(r, j) {
			return j
		}
	}
	return -1
}

func tripleTick(r []rune, i int) bool {
	return i+2 < len(r) && r[i] == '`' && r[i+1] == '`' && r[i+2] == '`'
}

// chatLines is the conversation as the page shows it: the replies withdrawn
// or cancelled left out, each message styled, and the choices of the newest
// menu (one the visitor has not answered yet) as buttons.
func chatLines(t []store.TranscriptLine) []chatLine {
	lines := []chatLine{}
	for _, l := range t {
		if !l.Inbound && l.Status == "cancelled" {
			continue
		}
		lines = append(lines, chatLine{In: l.Inbound, Text: l.Body, Parts: formatSpans(l.Body), At: l.At.Format(timeFormat)})
	}
	if i, m := openMenu(t); m != nil {
		for _, o := range m.Options {
			lines[i].Menu = append(lines[i].Menu, chatOption{ID: o.ID, Title: o.Title, Description: o.Description})
		}
	}
	return lines
}

// openMenu finds the menu the bot offered after the visitor's last message,
// and its index among the lines chatLines keeps.
func openMenu(t []store.TranscriptLine) (int, *flow.Menu) {
	at, idx := -1, -1
	var menu *flow.Menu
	for _, l := range t {
		switch {
		case l.Inbound:
			idx++
			at, menu = -1, nil
		case l.Status == "cancelled":
		default:
			idx++
			if l.Menu != nil {
				at, menu = idx, l.Menu
			}
		}
	}
	return at, menu
}

// offered returns the option of the open menu whose id is choice.
func offered(t []store.TranscriptLine, choice string) (flow.Option, bool) {
	if _, m := openMenu(t); m != nil {
		for _, o := range m.Options {
			if o.ID == choice {
				return o, true
			}
		}
	}
	return flow.Option{}, false
}
