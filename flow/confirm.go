package flow

import (
	"slices"
	"strconv"
	"strings"
)

// The closing questions: the callback number, when the channel gives none,
// and the confirmation of answers read from other messages.

// askPhone asks for a number to call back: required on the web chat (the
// agency has no other way to call), optional and asked once elsewhere.
func (t *turn) askPhone() {
	if t.in.Channel == "webchat" {
		t.say("ask_phone")
		return
	}
	t.s.PhoneAsked = true
	t.sayMenu(t.buttons(Option{ID: "phone_skip", Title: t.label("opt_phone_skip")}), "ask_phone_optional")
}

// phone reads the callback number. On the optional question anything that
// is not an attempt at a number declines it.
func (t *turn) phone() bool {
	if p, ok := ParsePhone(t.in.Text); ok {
		t.s.Answers.Phone = p
		t.took(StagePhone)
		t.next()
		return true
	}
	if t.in.Channel != "webchat" && digitCount(t.in.Text) < 7 {
		t.skipPhone()
		return true
	}
	return false
}

func (t *turn) skipPhone() {
	t.s.PhoneAsked = true
	if t.in.Channel == "webchat" {
		t.ask()
		return
	}
	t.next()
}

func digitCount(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// askConfirm shows every answer and asks whether it is right.
func (t *turn) askConfirm() {
	t.sayMenu(t.confirmMenu(), "confirm", "summary", t.summary())
}

// summary lists the answers, one per line.
func (t *turn) summary() string {
	a := t.s.Answers
	var lines []string
	add := func(key, value string) { lines = append(lines, "• "+t.label(key)+": "+value) }
	add("sum_name", a.Name)
	if a.City != nil {
		add("sum_city", cityText(*a.City))
	}
	if a.Budget != nil {
		add("sum_budget", t.budgetText(*a.Budget))
	}
	if a.Urgency != "" {
		add("sum_urgency", t.label("opt_urgency_"+string(a.Urgency)))
	}
	if a.Service != "" {
		add("sum_service", t.m.cfg.Catalogue.Label(a.Service, t.s.Lang))
	}
	if len(a.Others) > 0 {
		others := make([]string, len(a.Others))
		for i, k := range a.Others {
			others[i] = t.m.cfg.Catalogue.Label(k, t.s.Lang)
		}
		add("sum_others", strings.Join(others, ", "))
	}
	if a.Phone != "" {
		add("sum_phone", a.Phone)
	}
	return strings.Join(lines, "\n")
}

func cityText(c City) string {
	if c.Foreign || c.Department == "" || c.Department == c.Name {
		return c.Name
	}
	return c.Name + " (" + c.Department + ")"
}

func (t *turn) budgetText(b Budget) string {
	lang := t.s.Lang
	switch {
	case b.Unknown:
		return t.label("budget_text_unknown")
	case b.MinCOP == 0 && b.MaxCOP > 0:
		return t.m.msgs.render(lang, "budget_text_upto", "max", formatCOP(b.MaxCOP, lang)).Text
	case b.MinCOP != b.MaxCOP:
		return t.m.msgs.render(lang, "budget_text_range", "min", formatCOP(b.MinCOP, lang), "max", formatCOP(b.MaxCOP, lang)).Text
	}
	return t.m.msgs.render(lang, "budget_text_one", "amount", formatCOP(b.MaxCOP, lang)).Text
}

// confirm reads the answer to the confirmation: a yes completes the lead;
// new values ("la ciudad es Cali") change the answers and the summary is
// shown again; a no, or an answer named without a value, asks which one to
// change.
func (t *turn) confirm() bool {
	if st, ok := t.fixChoice(); ok {
		t.redo(st)
		return true
	}
	f := t.found()
	var changed []Stage
	for _, st := range stageOrder {
		if t.has(st) && t.set(st, f.answers("")) {
			changed = append(changed, st)
		}
	}
	if len(changed) > 0 {
		t.say("corrected")
		t.ask()
		return true
	}
	if !f.correction && restates(f, t.s.Answers) {
		t.complete() // "sí, página web": the answer said again is a yes
		return true
	}
	if len(f.fields) == 1 && t.has(f.fields[0]) {
		t.redo(f.fields[0])
		return true
	}
	yes, ok := yesNoOf(t.words())
	switch {
	case ok && yes && !f.correction:
		t.complete()
	case ok || f.correction:
		t.askFix()
	default:
		return false
	}
	return true
}

// askFix asks which answer to change.
func (t *turn) askFix() {
	t.s.Pending.Fix = true
	var opts []string
	for i, o := range t.fixMenu().Options {
		opts = append(opts, strconv.Itoa(i+1)+". "+o.Title)
	}
	t.sayMenu(t.fixMenu(), "confirm_which", "options", strings.Join(opts, "\n"))
}

// fixChoice reads the answer to "which one?": its number in the list.
func (t *turn) fixChoice() (Stage, bool) {
	if !t.s.Pending.Fix {
		return "", false
	}
	var answered []Stage
	for _, st := range stageOrder {
		if t.has(st) {
			answered = append(answered, st)
		}
	}
	n, ok := menuPick(t.words().words, len(answered))
	if !ok {
		return "", false
	}
	return answered[n-1], slices.Contains(stageOrder, answered[n-1])
}

// restates reports whether f carries answers and each equals the one given.
func restates(f *found, a Answers) bool {
	g, n := f.answers(""), 0
	for _, st := range stageOrder {
		if !g.has(st) {
			continue
		}
		if !a.has(st) || !sameAnswer(st, g, a) {
			return false
		}
		n++
	}
	return n > 0
}
