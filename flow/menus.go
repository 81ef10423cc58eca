package flow

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Menus: the choices a question offers, as Reply.Menu, for channels with
// native controls (the Cloud API's reply buttons and list messages, the web
// chat's buttons). Reply.Text always carries the same choices as text, so
// the linked device, which sends Text only, loses nothing. Meta's limits
// are kept by fitMenu: at most 3 buttons of 20 characters; at most 10 rows,
// titles of 24 and descriptions of 72 characters. An option's ID comes back
// in Inbound.Choice, which choose reads before the text.

// Meta's limits on interactive messages.
const (
	maxButtons     = 3
	maxButtonTitle = 20
	maxRows        = 10
	maxRowTitle    = 24
	maxRowDesc     = 72
)

func (t *turn) label(key string) string { return t.m.msgs.render(t.s.Lang, key).Text }

func (t *turn) buttons(opts ...Option) *Menu {
	return fitMenu(&Menu{Kind: MenuButtons, Options: opts})
}

func (t *turn) list(opts []Option) *Menu {
	return fitMenu(&Menu{Kind: MenuList, Button: t.label("opt_list"), Options: opts})
}

func (t *turn) consentMenu(withPerson bool) *Menu {
	opts := []Option{{ID: "consent_yes", Title: t.label("opt_consent_yes")}, {ID: "consent_no", Title: t.label("opt_consent_no")}}
	if withPerson {
		opts = append(opts, Option{ID: "handoff", Title: t.label("opt_person")})
	}
	return t.buttons(opts...)
}

func (t *turn) yesNoMenu() *Menu {
	return t.buttons(Option{ID: "yes", Title: t.label("opt_yes")}, Option{ID: "no", Title: t.label("opt_no")})
}

func (t *turn) urgencyMenu() *Menu {
	opts := make([]Option, len(Urgencies))
	for i, u := range Urgencies {
		opts[i] = Option{ID: "urgency_" + string(u), Title: t.label("opt_urgency_" + string(u))}
	}
	return t.list(opts)
}

// serviceMenu lists the catalogue; a catalogue longer than a list holds is
// offered as text only.
func (t *turn) serviceMenu() *Menu {
	cat := t.m.cfg.Catalogue
	if len(cat) > maxRows {
		return nil
	}
	opts := make([]Option, len(cat))
	for i, s := range cat {
		title, desc := splitLabel(cat.Label(s.Key, t.s.Lang))
		opts[i] = Option{ID: "service_" + s.Key, Title: title, Description: desc}
	}
	return t.list(opts)
}

// splitLabel turns "SEO (posicionamiento en Google)" into the title "SEO"
// and the description "Posicionamiento en Google" when the whole label is
// too long for a row title.
func splitLabel(l string) (title, desc string) {
	if utf8.RuneCountInString(l) <= maxRowTitle {
		return l, ""
	}
	if i := strings.Index(l, " ("); i > 0 && strings.HasSuffix(l, ")") {
		d := l[i+2 : len(l)-1]
		r, n := utf8.DecodeRuneInString(d)
		return l[:i], strings.ToUpper(string(r)) + d[n:]
	}
	return l, l
}

func (t *turn) budgetMenu() *Menu {
	opts := make([]Option, len(budgetMenu))
	for i := range opts {
		n := strconv.Itoa(i + 1)
		opts[i] = Option{ID: "budget_" + n, Title: t.label("opt_budget_" + n)}
	}
	return t.list(opts)
}

// cityMenu lists municipalities; other adds a row for one not listed.
func (t *turn) cityMenu(cs []City, other bool) *Menu {
	opts := make([]Option, 0, len(cs)+1)
	for _, c := range cs {
		opts = append(opts, Option{ID: "city_" + c.Code, Title: c.Name, Description: c.Department})
	}
	if other {
		opts = append(opts, Option{ID: "city_other", Title: t.label("opt_city_other")})
	}
	return t.list(opts)
}

func (t *turn) confirmMenu() *Menu {
	return t.buttons(Option{ID: "confirm_yes", Title: t.label("opt_confirm_yes")},
		Option{ID: "confirm_fix", Title: t.label("opt_confirm_fix")})
}

// fixMenu lists the answers that can be changed before completing.
func (t *turn) fixMenu() *Menu {
	var opts []Option
	for _, st := range stageOrder {
		if t.has(st) {
			opts = append(opts, Option{ID: "fix_" + string(st), Title: t.label("opt_fix_" + string(st))})
		}
	}
	return t.list(opts)
}

// fitMenu keeps m within Meta's limits, cutting long titles at a word
// with an ellipsis.
func fitMenu(m *Menu) *Menu {
	title, count := maxRowTitle, maxRows
	if m.Kind == MenuButtons {
		title, count = maxButtonTitle, maxButtons
	}
	m.Options = m.Options[:min(len(m.Options), count)]
	for i := range m.Options {
		o := &m.Options[i]
		o.Title = cut(o.Title, title)
		o.Description = cut(o.Description, maxRowDesc)
	}
	m.Button = cut(m.Button, maxButtonTitle)
	return m
}

// cut shortens s to at most n runes, at a word when it can, ending in "…".
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n-1]
	if i := strings.LastIndexByte(string(r), ' '); i > n/2 {
		return strings.TrimRight(string(r)[:i], " ,.;(") + "…"
	}
	return string(r) + "…"
}

// askCityPick puts the choice of municipalities: those sharing a name, or a
// region's main ones.
func (t *turn) askCityPick() {
	p := t.s.Pending
	if p.Region != "" {
		r := regions[regionIndex[p.Region]]
		t.sayMenu(t.cityMenu(p.Candidates, true), "city_region", "region", r.name[t.s.Lang],
			"options", cityOptionsOther(p.Candidates, t.label("opt_city_other")))
		return
	}
	t.sayMenu(t.cityMenu(p.Candidates, false), "city_pick", "place", p.Candidates[0].Name, "options", cityOptions(p.Candidates))
}

func (t *turn) retryCityPick() {
	p := t.s.Pending
	if p.Region != "" {
		t.sayMenu(t.cityMenu(p.Candidates, true), "city_region_retry",
			"options", cityOptionsOther(p.Candidates, t.label("opt_city_other")))
		return
	}
	t.sayMenu(t.cityMenu(p.Candidates, false), "city_pick_retry", "options", cityOptions(p.Candidates))
}

func cityOptionsOther(cs []City, other string) string {
	return fmt.Sprintf("%s\n%d. %s", cityOptions(cs), len(cs)+1, other)
}

// askRegion offers region i's main municipalities.
func (t *turn) askRegion(i int) {
	t.moveTo(StageCityPick)
	t.s.Pending.Candidates = t.m.places.regions[i]
	t.s.Pending.Region = regions[i].keys[0]
	t.ask()
}

// regionOther reads "otro" (or the row after the listed ones) in a region
// choice: the prospect lives elsewhere, so the bot asks for the name, in the
// region's department when it is one.
func (t *turn) regionOther() bool {
	ws := t.words().words
	n, isNum := menuPick(ws, len(t.s.Pending.Candidates)+1)
	other := (isNum && n == len(t.s.Pending.Candidates)+1) || (len(ws) <= 3 && len(ws) > 0 && regionOtherWords[ws[len(ws)-1]]) ||
		t.in.Choice == "city_other"
	if !other {
		return false
	}
	r := regions[regionIndex[t.s.Pending.Region]]
	if r.dept != "" {
		di := t.m.places.deptIdx[r.dept]
		t.moveTo(StageCityIn)
		t.s.Pending.DeptCode, t.s.Pending.DeptName = r.dept, t.m.places.depts[di].name
		t.ask()
		return true
	}
	t.moveTo(StageCity)
	t.say("ask_city_other")
	return true
}

var regionOtherWords = newWordSet("otro", "otra", "ninguno", "ninguna", "other", "none", "else", "municipio", "municipality", "another")
