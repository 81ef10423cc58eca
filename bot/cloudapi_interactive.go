package bot

import (
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf16"

	"github.com/cis-agencia/cis/flow"
)

// Meta's limits for interactive messages (Cloud API "Interactive reply
// buttons" and "Interactive list messages" references). Lengths are counted
// in UTF-16 code units, as the Graph API counts them: an emoji may take two.
const (
	maxReplyButtons  = 3
	maxButtonTitle   = 20
	maxButtonID      = 256
	maxButtonsBody   = 1024
	maxListRows      = 10
	maxRowTitle      = 24
	maxRowDesc       = 72
	maxRowID         = 200
	maxListButton    = 20
	maxSectionTitle  = 24
	maxListBody      = 4096
	defaultListLabel = "Menu" // the same word in Spanish and English, for a menu without a label
)

// graphInteractive is the "interactive" object of a Graph API send.
type graphInteractive struct {
	Type string `json:"type"` // "button" or "list"
	Body struct {
		Text string `json:"text"`
	} `json:"body"`
	Action graphAction `json:"action"`
}

type graphAction struct {
	Buttons  []graphButton  `json:"buttons,omitempty"`
	Button   string         `json:"button,omitempty"` // the label that opens a list
	Sections []graphSection `json:"sections,omitempty"`
}

type graphButton struct {
	Type  string      `json:"type"` // "reply"
	Reply graphOption `json:"reply"`
}

type graphOption struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

type graphSection struct {
	Title string        `json:"title"`
	Rows  []graphOption `json:"rows"`
}

// interactiveFor renders a reply's menu as reply buttons or a list message
// within Meta's limits. It returns nil when the reply has no menu or the menu
// cannot be shown faithfully (an empty or over-long id, titles that collide
// once shortened, more than ten options, a body over the limit): the reply
// then goes as its text, which always carries the numbered menu and which the
// flow reads as well as a tap.
//
// Buttons: up to three, titles of at most 20; a button menu with more
// options, or with titles that do not fit, becomes a list. List rows: titles
// of at most 24 (a longer title is shortened with "…" and kept whole in the
// row's description when it has none), descriptions of at most 72.
func interactiveFor(text string, m *flow.Menu) *graphInteractive {
	if m == nil || len(m.Options) == 0 || len(m.Options) > maxListRows || !validOptions(m.Options) {
		return nil
	}
	body := menuBody(text, len(m.Options))
	if m.Kind == flow.MenuButtons && len(m.Options) <= maxReplyButtons && utf16Len(body) <= maxButtonsBody {
		if ia := buttonsFor(body, m.Options); ia != nil {
			return ia
		}
	}
	if utf16Len(body) > maxListBody {
		return nil
	}
	return listFor(body, m)
}

// validOptions: every option has an id and a title, and ids are unique.
func validOptions(opts []flow.Option) bool {
	seen := map[string]bool{}
	for _, o := range opts {
		if strings.TrimSpace(o.ID) == "" || strings.TrimSpace(o.Title) == "" || seen[o.ID] {
			return false
		}
		seen[o.ID] = true
	}
	return true
}

func buttonsFor(body string, opts []flow.Option) *graphInteractive {
	ia := &graphInteractive{Type: "button"}
	ia.Body.Text = body
	titles := map[string]bool{}
	for _, o := range opts {
		title := strings.TrimSpace(o.Title)
		if utf16Len(title) > maxButtonTitle || utf16Len(o.ID) > maxButtonID || titles[title] {
			return nil // a shortened button title could mislead: a list row has room
		}
		titles[title] = true
		ia.Action.Buttons = append(ia.Action.Buttons, graphButton{Type: "reply", Reply: graphOption{ID: o.ID, Title: title}})
	}
	return ia
}

func listFor(body string, m *flow.Menu) *graphInteractive {
	label := shorten(strings.TrimSpace(m.Button), maxListButton)
	if label == "" {
		label = defaultListLabel
	}
	ia := &graphInteractive{Type: "list"}
	ia.Body.Text = body
	ia.Action.Button = label
	sec := graphSection{Title: shorten(label, maxSectionTitle)}
	titles := map[string]bool{}
	for _, o := range m.Options {
		full := strings.TrimSpace(o.Title)
		row := graphOption{ID: o.ID, Title: shorten(full, maxRowTitle), Description: strings.TrimSpace(o.Description)}
		if utf16Len(o.ID) > maxRowID || titles[row.Title] {
			return nil
		}
		titles[row.Title] = true
		if row.Title != full && row.Description == "" {
			row.Description = full // the whole title stays readable under the shortened one
		}
		row.Description = shorten(row.Description, maxRowDesc)
		sec.Rows = append(sec.Rows, row)
	}
	ia.Action.Sections = []graphSection{sec}
	return ia
}

// numberedLine matches a line of a numbered menu: "1. Diseño web",
// "*2)* Este mes", "3 - SEO".
var numberedLine = regexp.MustCompile(`^\s*[*_]*(\d{1,2})[*_]*\s*[.)\-:][*_]*\s+\S`)

// menuBody is text without its numbered menu, which the buttons or the list
// replace: the block of lines numbered 1 to n in a row. Text is kept whole
// when it holds no such block, or when nothing but the block is left.
func menuBody(text string, n int) string {
	lines := strings.Split(text, "\n")
	for start := range lines {
		if menuNumber(lines[start]) != 1 || start+n > len(lines) {
			continue
		}
		ok := true
		for k := 1; k < n; k++ {
			if menuNumber(lines[start+k]) != k+1 {
				ok = false
				break
			}
		}
		if !ok || (start+n < len(lines) && menuNumber(lines[start+n]) == n+1) {
			continue
		}
		rest := append(append([]string{}, lines[:start]...), lines[start+n:]...)
		if body := strings.TrimSpace(strings.Join(rest, "\n")); body != "" {
			return body
		}
	}
	return text
}

func menuNumber(line string) int {
	m := numberedLine.FindStringSubmatch(line)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// shorten cuts s to at most max UTF-16 code units, ending with "…" when cut.
func shorten(s string, max int) string {
	if utf16Len(s) <= max {
		return s
	}
	var b strings.Builder
	used := 1 // the ellipsis
	for _, r := range s {
		w := utf16.RuneLen(r)
		if w < 0 {
			w = 1
		}
		if used+w > max {
			break
		}
		b.WriteRune(r)
		used += w
	}
	return strings.TrimRightFunc(b.String(), unicode.IsSpace) + "…"
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		if w := utf16.RuneLen(r); w > 0 {
			n += w
		} else {
			n++
		}
	}
	return n
}
