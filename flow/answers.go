package flow

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/cis-agencia/cis/flow/fold"
	"github.com/cis-agencia/cis/flow/place"
)

// city reads a free-text city answer: a region ("el eje cafetero") gets a
// choice of its main municipalities; a sentence ("estoy en Cali y tengo
// como 2 millones") is read for the place it names; a short answer goes to
// the gazetteer, typos included.
func (t *turn) city(text string) bool {
	if i := t.m.places.Region(text); i >= 0 {
		t.askRegion(i)
		return true
	}
	long := len(t.words().words) > 4
	if long && t.cityMention() {
		return true
	}
	r := t.m.places.Parse(text)
	switch r.Match {
	case place.CityExact, place.CityForeign:
		t.setCity(r.City)
	case place.CityAmbiguous:
		t.moveTo(StageCityPick)
		t.s.Pending.Candidates = r.Candidates
		t.ask()
	case place.CityDepartment:
		t.moveTo(StageCityIn)
		t.s.Pending.DeptCode, t.s.Pending.DeptName = r.DeptCode, r.Department
		t.ask()
	default:
		if !long && t.cityMention() {
			return true
		}
		if !looksLikePlace(text) {
			return false
		}
		t.moveTo(StageCityForeign)
		t.s.Pending.Place = place.ForeignName(text)
		t.ask()
	}
	return true
}

// cityMention takes the place a sentence names, if any.
func (t *turn) cityMention() bool {
	switch f := t.found(); {
	case f.city != nil:
		t.setCity(*f.city)
	case f.region >= 0:
		t.askRegion(f.region)
	default:
		return false
	}
	return true
}

// looksLikePlace is true for short, letters-only text: worth asking whether
// it is a place abroad rather than rejecting it outright.
func looksLikePlace(text string) bool {
	f := strings.Fields(fold.String(text))
	if len(f) == 0 || len(f) > 4 || len(fold.String(text)) < 3 {
		return false
	}
	for _, r := range fold.String(text) {
		if !unicode.IsLetter(r) && r != ' ' {
			return false
		}
	}
	return true
}

func (t *turn) setCity(c City) {
	t.s.Answers.City = &c
	t.took(StageCity)
	t.next()
}

// cityPick reads the answer to "which of these municipalities?". A new
// city name is accepted too: the prospect may have meant another place.
func (t *turn) cityPick() bool {
	if t.s.Pending.Region != "" && t.regionOther() {
		return true
	}
	if c, ok := t.m.places.Pick(t.in.Text, t.s.Pending.Candidates); ok {
		t.setCity(c)
		return true
	}
	if r := t.m.places.Parse(t.in.Text); r.Match == place.CityExact || r.Match == place.CityForeign {
		t.setCity(r.City)
		return true
	}
	return false
}

func (t *turn) cityIn() bool {
	r := t.m.places.ParseInDepartment(t.in.Text, t.s.Pending.DeptCode)
	switch r.Match {
	case place.CityExact:
		t.setCity(r.City)
		return true
	case place.CityAmbiguous:
		t.moveTo(StageCityPick)
		t.s.Pending.Candidates = r.Candidates
		t.ask()
		return true
	}
	return t.city(t.in.Text)
}

// cityForeign reads the yes/no to "are you outside Colombia?".
func (t *turn) cityForeign() bool {
	yes, ok := yesNo(t.in.Text)
	if !ok {
		if r := t.m.places.Parse(t.in.Text); r.Match == place.CityExact {
			t.setCity(r.City) // they corrected the spelling instead of answering
			return true
		}
		return false
	}
	if !yes {
		t.moveTo(StageCity)
		t.say("city_retry")
		return true
	}
	t.setCity(City{Name: t.s.Pending.Place, Foreign: true})
	return true
}

// cityFromLocation answers the city question with a shared location.
func (t *turn) cityFromLocation(resumed bool) {
	loc := t.in.Location
	if loc == nil {
		t.failed(resumed)
		return
	}
	c, ok := t.m.places.Nearest(loc.Lat, loc.Lon)
	if !ok {
		t.moveTo(StageCity)
		t.say("city_location_abroad")
		return
	}
	t.setCity(c)
}

// budgetMenu is the fallback menu offered after two failed budget answers.
var budgetMenu = map[string]Budget{
	"1": {MinCOP: 0, MaxCOP: 1_000_000},
	"2": {MinCOP: 1_000_000, MaxCOP: 3_000_000},
	"3": {MinCOP: 3_000_000, MaxCOP: 5_000_000},
	"4": {MinCOP: 5_000_000, MaxCOP: 5_000_000},
	"5": {Unknown: true},
}

func (t *turn) budget() bool {
	if t.s.MenuShown {
		if b, ok := budgetMenu[strings.TrimSpace(fold.String(t.in.Text))]; ok {
			t.setBudget(b)
			return true
		}
	}
	a := ParseBudget(t.in.Text, t.m.cfg.USDToCOP)
	switch {
	case !a.OK:
		return false
	case a.Absurd:
		t.moveTo(StageBudgetConfirm)
		t.s.Pending.Budget = &a.Budget
		t.ask()
	default:
		t.setBudget(a.Budget)
	}
	return true
}

func (t *turn) setBudget(b Budget) {
	t.s.Answers.Budget = &b
	t.took(StageBudget)
	if b.Unknown {
		t.say("budget_unknown")
	}
	t.next()
}

func (t *turn) budgetConfirm() bool {
	pending := t.s.Pending.Budget
	yes, ok := yesNo(t.in.Text)
	if a := ParseBudget(t.in.Text, t.m.cfg.USDToCOP); a.OK && !a.Budget.Unknown && (pending == nil || a.Budget != *pending) {
		ok = false // "no, 800.000": a new amount is a correction, whatever yes or no comes with it
	}
	if !ok {
		t.moveTo(StageBudget)
		if t.budget() {
			return true
		}
		t.moveTo(StageBudgetConfirm)
		t.s.Pending.Budget = pending
		return false
	}
	if !yes || pending == nil {
		t.moveTo(StageBudget)
		t.ask()
		return true
	}
	t.setBudget(*pending)
	return true
}

func (t *turn) urgency() bool {
	u, ok := ParseUrgency(t.in.Text, t.now.In(t.m.cfg.Calendar.Loc))
	if !ok {
		return false
	}
	t.s.Answers.Urgency = u
	t.took(StageUrgency)
	t.next()
	return true
}

// service reads the service answer: the first service named is the lead's,
// the others are noted for the advisor; marketing in general gets the menu.
func (t *turn) service() bool {
	keys, generic := t.m.services.parse(t.words(), true)
	if generic {
		t.sayMenu(t.serviceMenu(), "service_menu", "options", t.serviceOptions())
		return true
	}
	if len(keys) == 0 {
		return false
	}
	t.s.Answers.Service, t.s.Answers.Others = keys[0], keys[1:]
	t.took(StageService)
	t.next()
	return true
}

// complete scores the finished lead, fixes the contact deadline on the
// business calendar and tells the prospect when to expect the call. The
// lead is whole before it is scored (the store's facts included): what the
// scorer sees is what is saved and later trained on.
func (t *turn) complete() {
	a := t.s.Answers
	lead := Lead{
		Channel: t.in.Channel, Account: t.in.Account, Phone: t.in.From, CallbackPhone: a.Phone, Lang: t.s.Lang,
		Name: a.Name, City: *a.City, Budget: *a.Budget, Urgency: a.Urgency, Service: a.Service, OtherServices: a.Others,
		Source: t.s.Contact.Referral.Source(), StartedAt: t.s.StartedAt, CompletedAt: t.now,
		Engagement: &Engagement{Retries: t.s.Retries, Seconds: answerSeconds(t.s, t.now), Returning: t.s.Contact.Returning},
	}
	score := t.m.scorer.Score(lead)
	window := t.m.cfg.Windows.For(score.Class)
	deadline := t.m.cfg.Calendar.Deadline(t.now, window).UTC()
	if st := t.s.Contact.Staffing; st != nil {
		if d := st.Deadline(t.now, lead, score.Class, window); d.After(deadline) { // never promise sooner than the agency can
			deadline = d.UTC()
		}
	}
	t.s.Status, t.s.Stage, t.s.Pending, t.s.Failures, t.s.Prefilled = Completed, StageDone, Pending{}, 0, nil
	t.s.CompletedAt, t.s.Score, t.s.Deadline, t.s.Window, t.s.Reminded = t.now, &score, deadline, window, false
	t.emit(Event{Kind: EventLeadCompleted, Lead: &lead, Score: &score, Deadline: deadline})
	t.say("done", "first_name", firstName(a.Name), "promise", t.promise(deadline))
}

// answerSeconds is the time spent on the questions: from the consent (or
// the first message, for a state saved before consent was timed) to now.
func answerSeconds(s State, now time.Time) int64 {
	from := s.ConsentAt
	if from.IsZero() {
		from = s.StartedAt
	}
	if from.IsZero() || now.Before(from) {
		return 0
	}
	return int64(now.Sub(from) / time.Second)
}

// promise words the deadline. Right after completion the full window is
// compared with the deadline; in a later reminder the time left is worded
// as a duration only when the business clock runs without a pause until the
// deadline, otherwise the reply names the day and time.
func (t *turn) promise(deadline time.Time) string {
	cal := t.m.cfg.Calendar
	window := t.s.Window
	if !t.now.Equal(t.s.CompletedAt) {
		window = 0 // name the time
		if left := deadline.Sub(t.now); cal.Deadline(t.now, left).Equal(deadline) {
			window = left
		}
	}
	return Promise(t.now, deadline, window, cal.Loc, t.s.Lang)
}

// formatCOP writes an amount the Colombian way: $2.000.000 (es), $2,000,000 (en).
func formatCOP(v int64, lang string) string {
	s := strconv.FormatInt(v, 10)
	sep := "."
	if lang == "en" {
		sep = ","
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	return "$" + b.String()
}

// Expire marks an in-progress conversation abandoned when it has been idle
// for the configured time. ok is false when nothing changes. The answers are
// kept: a partial lead is data for the agency, and the conversation resumes
// if the prospect writes again.
func (m *Machine) Expire(s State, now time.Time) (Result, bool) {
	if s.Status != InProgress || s.UpdatedAt.IsZero() || now.Sub(s.UpdatedAt) < m.cfg.IdleTimeout {
		return Result{State: s}, false
	}
	s.Status = Abandoned
	return Result{State: s, Events: []Event{{Kind: EventAbandoned}}}, true
}
