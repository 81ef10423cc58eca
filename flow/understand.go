package flow

import (
	"slices"
	"strings"
)

// stageOrder is the order of the questions after the consent. The phone
// question is asked only when the channel gives no number (Inbound.NoPhone).
var stageOrder = []Stage{StageName, StageCity, StageBudget, StageUrgency, StageService, StagePhone}

// main is the question a follow-up stage belongs to.
func (s Stage) main() Stage {
	switch s {
	case StageCityPick, StageCityIn, StageCityForeign:
		return StageCity
	case StageBudgetConfirm:
		return StageBudget
	}
	return s
}

// understand reads a message after the consent: first a correction of an
// earlier answer, then the answer to the question asked, and, from the same
// message, every other answer not given yet ("Estoy en Cali y tengo como 2
// millones" at the city question fills the budget too). It reports false
// when the message answered nothing.
func (t *turn) understand() bool {
	switch t.s.Stage {
	case StageConsent:
		return t.consent() // nothing but a yes or a no counts before the consent
	case StageConfirm:
		return t.confirm()
	}
	if lang := detectLang(t.words().words, true); lang != "" {
		t.s.Lang = lang // a whole answer in the other language ("I need it as soon as possible")
	}
	f := t.found()
	if t.corrects(f) {
		return true
	}
	if t.s.Stage == StageName && t.notAName() {
		return true
	}
	extras := f.answers(t.s.Stage.main()).fill(&t.s.Answers)
	t.markPrefilled(extras)
	if t.answerStage() {
		return true
	}
	if len(extras) == 0 {
		if helpAsked(t.words()) && !t.burst {
			t.retry() // "no entiendo": the question again, with its hint, not counted as a failure
			return true
		}
		return false
	}
	if !t.burst {
		t.say("noted")
		t.ask()
	}
	return true
}

// answers are the answers f found, without the one to stage except (the
// question being answered reads its own).
func (f *found) answers(except Stage) Answers {
	var a Answers
	if except != StageName {
		a.Name = f.name
	}
	if except != StageCity {
		a.City = f.city
	}
	if except != StageBudget {
		a.Budget = f.budget
	}
	if except != StageUrgency {
		a.Urgency = f.urgency
	}
	if except != StageService && len(f.services) > 0 {
		a.Service, a.Others = f.services[0], f.services[1:]
	}
	if except != StagePhone {
		a.Phone = f.phone
	}
	return a
}

// has reports whether the question of st has an answer.
func (t *turn) has(st Stage) bool { return t.s.Answers.has(st) }

func (a Answers) has(st Stage) bool {
	switch st {
	case StageName:
		return a.Name != ""
	case StageCity:
		return a.City != nil
	case StageBudget:
		return a.Budget != nil
	case StageUrgency:
		return a.Urgency != ""
	case StageService:
		return a.Service != ""
	case StagePhone:
		return a.Phone != ""
	}
	return false
}

// needs reports whether the question of st is to be asked at all: the
// number only where the channel gives none, and, except on the web chat
// (where it is the only way to reach the prospect), only once.
func (t *turn) needs(st Stage) bool {
	if st != StagePhone {
		return true
	}
	return t.in.NoPhone && (t.in.Channel == "webchat" || !t.s.PhoneAsked)
}

// took records that st was answered as its own question.
func (t *turn) took(st Stage) {
	t.s.Prefilled = slices.DeleteFunc(t.s.Prefilled, func(p Stage) bool { return p == st })
	t.s.Last = st
}

// markPrefilled records answers taken from a message that answered
// something else: they are confirmed before completing.
func (t *turn) markPrefilled(sts []Stage) {
	for _, st := range sts {
		if !slices.Contains(t.s.Prefilled, st) {
			t.s.Prefilled = append(t.s.Prefilled, st)
		}
	}
}

// next asks the first question without an answer; with every answer given
// it confirms those read from other messages, then completes the lead.
func (t *turn) next() {
	for _, st := range stageOrder {
		if !t.has(st) && t.needs(st) {
			t.moveTo(st)
			t.ask()
			return
		}
	}
	if len(t.s.Prefilled) > 0 {
		t.moveTo(StageConfirm)
		t.ask()
		return
	}
	t.complete()
}

// nameAnswer reads the answer to the name question. "Soy Laura de
// Barranquilla" is Laura from Barranquilla, not "Laura de Barranquilla":
// a name ends where a city named in the same message begins.
//
// When the answer does not open with the name ("no quiero hablar con un
// asesor, sigamos. Me llamo Gerardo"), the name after "me llamo", "soy" …
// counts.
func (t *turn) nameAnswer() (string, bool) {
	if f := t.found(); f.city != nil && f.cityAt > 0 {
		if n, ok := ParseName(t.words().upTo(f.cityAt)); ok {
			return n, true
		}
	}
	if n, ok := ParseName(t.in.Text); ok {
		return t.cutCity(n), true
	}
	f := found{nameAt: -1}
	f.readName(t.words())
	return f.name, f.name != ""
}

// corrects applies a correction of an earlier answer: "me equivoqué, es
// Manizales", "no, el presupuesto es 3 millones", "cambia la ciudad". An
// answer named with its new value is changed and the question asked
// before is asked again; named without a value, its question is asked
// again and the conversation then resumes where it was. Without a name, a
// correction changes the answers it carries values for, or else the last
// answer given. It reports false when the message corrects nothing.
func (t *turn) corrects(f *found) bool {
	if !f.correction && len(f.fields) == 0 {
		return false
	}
	cur, before := t.s.Stage.main(), t.s.Answers
	f.preferNewCity(t.s.Answers.City)
	changed := t.changeNamed(f, cur)
	if len(changed) == 0 && f.correction {
		changed = t.changeUnnamed(f, cur)
	}
	if len(changed) > 0 {
		key := "noted"
		if slices.ContainsFunc(changed, before.has) {
			key = "corrected"
		}
		if !t.burst {
			t.say(key)
		}
		// "mejor dicho el próximo mes, y quiero SEO": the correction and the
		// answer to the question asked, in one message, when the sentence
		// clearly holds that answer too ("puede ser el otro mes" holds no
		// service, though "otro" alone would answer the service question).
		all := t.m.read(t.words(), t.now.In(t.m.cfg.Calendar.Loc), t.in.NoPhone, "")
		if !(all.answers("").has(cur) && t.answerStage()) && !t.burst {
			t.ask()
		}
		return true
	}
	if f.correction && len(f.fields) == 1 && f.fields[0] != cur && t.has(f.fields[0]) {
		t.redo(f.fields[0])
		return true
	}
	return false
}

// changeNamed sets the answers named with a value ("el presupuesto es 3
// millones"), other than the one being asked.
func (t *turn) changeNamed(f *found, cur Stage) []Stage {
	var changed []Stage
	a := f.answers(cur)
	for _, st := range f.fields {
		if st != cur && t.set(st, a) {
			changed = append(changed, st)
		}
	}
	return changed
}

// changeUnnamed sets the answered questions f carries a new value for,
// or else reads the message as a new answer to the last question.
func (t *turn) changeUnnamed(f *found, cur Stage) []Stage {
	var changed []Stage
	a := f.answers(cur)
	for _, st := range stageOrder {
		if st != cur && t.has(st) && t.set(st, a) {
			changed = append(changed, st)
		}
	}
	if len(changed) > 0 || t.s.Last == "" || t.s.Last == cur {
		return changed
	}
	if t.set(t.s.Last, t.m.lenient(t.s.Last, f, t.words(), t.now.In(t.m.cfg.Calendar.Loc))) {
		changed = append(changed, t.s.Last)
	}
	return changed
}

// set changes the answer to st to a's, when a has one and it differs.
func (t *turn) set(st Stage, a Answers) bool {
	dst := &t.s.Answers
	if !a.has(st) || (dst.has(st) && sameAnswer(st, a, *dst)) {
		return false
	}
	switch st {
	case StageName:
		dst.Name = a.Name
	case StageCity:
		dst.City = a.City
	case StageBudget:
		dst.Budget = a.Budget
	case StageUrgency:
		dst.Urgency = a.Urgency
	case StageService:
		dst.Service, dst.Others = a.Service, a.Others
	case StagePhone:
		dst.Phone = a.Phone
	}
	t.s.Prefilled = slices.DeleteFunc(t.s.Prefilled, func(p Stage) bool { return p == st })
	return true
}

// sameAnswer reports whether x and y, both answered, agree on st.
func sameAnswer(st Stage, x, y Answers) bool {
	switch st {
	case StageName:
		return x.Name == y.Name
	case StageCity:
		return *x.City == *y.City
	case StageBudget:
		return *x.Budget == *y.Budget
	case StageUrgency:
		return x.Urgency == y.Urgency
	case StageService:
		return x.Service == y.Service && slices.Equal(x.Others, y.Others)
	case StagePhone:
		return x.Phone == y.Phone
	}
	return false
}

// redo clears the answer to st and asks its question again; answering it
// resumes the conversation where it was.
func (t *turn) redo(st Stage) {
	a := &t.s.Answers
	switch st {
	case StageName:
		a.Name = ""
	case StageCity:
		a.City = nil
	case StageBudget:
		a.Budget = nil
	case StageUrgency:
		a.Urgency = ""
	case StageService:
		a.Service, a.Others = "", nil
	case StagePhone:
		a.Phone = ""
	}
	t.moveTo(st)
	t.ask()
}

// notAName handles answers to the name question that are no name: a yes
// sent after the consent ("sí" / "acepto"), which asks the name again
// without counting a failure, and a big city ("Cali": the prospect answered
// the next question), which is kept and the name asked again.
func (t *turn) notAName() bool {
	if yes, ok := yesNoOf(t.words()); ok && yes {
		if !t.burst {
			t.say("ask_name")
		}
		return true
	}
	ws := t.words().words
	if len(ws) == 0 || len(ws) > 3 || !cityNotName[strings.Join(ws, " ")] {
		return false
	}
	r := t.m.places.Parse(t.in.Text)
	if r.Match != CityExact {
		return false
	}
	c := r.City
	t.s.Answers.City = &c
	t.markPrefilled([]Stage{StageCity})
	if !t.burst {
		t.say("noted")
		t.say("ask_name")
	}
	return true
}

// cutCity takes a big city off the end of a name: "Humberto Cali" is
// Humberto, from Cali. Only cities that are no Colombian surnames
// (cityNotSurname): "Juan Pereira" is a name.
func (t *turn) cutCity(name string) string {
	w := strings.Fields(name)
	for n := 2; n >= 1; n-- {
		if len(w) <= n {
			continue
		}
		if !cityNotSurname[fold(strings.Join(w[len(w)-n:], " "))] {
			continue
		}
		if r := t.m.places.Parse(strings.Join(w[len(w)-n:], " ")); r.Match == CityExact && t.s.Answers.City == nil {
			c := r.City
			t.s.Answers.City = &c
			t.markPrefilled([]Stage{StageCity})
			return strings.Join(w[:len(w)-n], " ")
		}
	}
	return name
}

// Big cities as the whole answer to the name question are a city; at the
// end of a name, only those that are no surname.
var (
	cityNotSurname = newWordSet("bogota", "medellin", "cali", "barranquilla", "bucaramanga", "cucuta", "ibague",
		"villavicencio", "pasto", "neiva", "manizales", "monteria", "valledupar", "sincelejo", "popayan", "tunja",
		"riohacha", "quibdo", "yopal", "leticia", "mocoa", "santa marta", "envigado", "itagui", "soacha",
		"palmira", "bello", "chia")
	cityNotName = func() wordSet {
		s := newWordSet("pereira", "cartagena", "armenia")
		for k := range cityNotSurname {
			s[k] = true
		}
		return s
	}()
)
