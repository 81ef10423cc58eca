// Package flow is the lead-capture conversation as a pure state machine: it
// receives a conversation's State, one Inbound message and the time, and
// returns the next State, the Replies to send and the Events for the rest of
// the system. It performs no I/O, reads no clock and keeps nothing between
// calls, so the same inputs always give the same result (store replays and
// golden transcripts rely on it). The entry points are New and Machine.Step.
package flow

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/cis-agencia/cis/flow/place"
)

// maxTextRunes is the longest message parsed as an answer (RELIABILITY B1):
// anything longer gets a polite "too long" instead of reaching the parsers.
const maxTextRunes = 1000

// Agency is who collects the data, as the consent text must say (Ley 1581).
type Agency struct {
	Name      string // legal or trade name
	Contact   string // e-mail or phone for data requests
	PolicyURL string // the full data-processing policy
	// AdConversions: the agency reports to Meta what leads from its
	// click-to-WhatsApp ads became (issue 18); the consent text says so.
	AdConversions bool
}

// Windows are the contact windows promised per class.
type Windows struct {
	Hot, Warm, Cold time.Duration
}

// For returns the window of class c.
func (w Windows) For(c Class) time.Duration {
	switch c {
	case Hot:
		return w.Hot
	case Warm:
		return w.Warm
	}
	return w.Cold
}

// Config is everything about the conversation an operator can set.
type Config struct {
	Lang          string // default reply language: "es" or "en"
	Agency        Agency
	PolicyVersion string // raised whenever the consent text or purposes change (C-7)
	Catalogue     Catalogue
	Windows       Windows
	Calendar      Calendar
	USDToCOP      float64       // rate for budgets given in dollars
	IdleTimeout   time.Duration // a silent conversation is abandoned after this
}

// DefaultConfig returns the settings a new agency starts with. loc must be
// America/Bogota (Bogota) for a Colombian agency.
func DefaultConfig(loc *time.Location) Config {
	return Config{
		Lang:          "es",
		Agency:        Agency{Name: "Agencia Demo", Contact: "datos@agencia.example", PolicyURL: "https://agencia.example/privacidad"},
		PolicyVersion: "2026-11-01",
		Catalogue:     DefaultCatalogue(),
		Windows:       Windows{Hot: 25 * time.Minute, Warm: 90 * time.Minute, Cold: 6 * time.Hour},
		Calendar:      Calendar{Loc: loc, Week: DefaultWeek(), Enabled: true},
		USDToCOP:      4000,
		IdleTimeout:   24 * time.Hour,
	}
}

// Machine runs conversations. It is immutable after New and safe for
// concurrent use by any number of goroutines.
type Machine struct {
	cfg      Config
	msgs     catalog
	places   *place.Places
	services *serviceIndex
	scorer   Scorer
}

// New checks cfg and builds a Machine that scores finished leads with scorer.
func New(cfg Config, scorer Scorer) (*Machine, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("flow config: %w", err)
	}
	if scorer == nil {
		return nil, errors.New("flow: a scorer is required")
	}
	msgs, err := loadCatalog()
	if err != nil {
		return nil, err
	}
	places, err := place.Load()
	if err != nil {
		return nil, err
	}
	return &Machine{cfg: cfg, msgs: msgs, places: places, services: newServiceIndex(cfg.Catalogue), scorer: scorer}, nil
}

func (c Config) validate() error {
	var errs []error
	if c.Lang != "es" && c.Lang != "en" {
		errs = append(errs, fmt.Errorf("language %q: want es or en", c.Lang))
	}
	if c.Agency.Name == "" || c.Agency.Contact == "" || c.Agency.PolicyURL == "" {
		errs = append(errs, errors.New("agency name, contact and policy URL are required by the consent text"))
	}
	if c.PolicyVersion == "" {
		errs = append(errs, errors.New("policy version is required"))
	}
	if c.Windows.Hot <= 0 || c.Windows.Warm <= 0 || c.Windows.Cold <= 0 {
		errs = append(errs, errors.New("contact windows must be positive"))
	}
	if c.Calendar.Loc == nil {
		errs = append(errs, errors.New("calendar time zone is required"))
	}
	if c.IdleTimeout <= 0 {
		errs = append(errs, errors.New("idle timeout must be positive"))
	}
	if err := c.Catalogue.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Config returns the configuration the machine runs with.
func (m *Machine) Config() Config { return m.cfg }

// turn is the work of one Step: the state being built and what it says.
type turn struct {
	m   *Machine
	s   State
	in  Inbound
	now time.Time
	out Result
	// burst: this message came less than the channel's debounce window
	// after the previous one, so the replies to that one are still held
	// (StepBurst).
	burst bool
	ms    *msg   // the text split into words, once (words)
	f     *found // what the text says as a whole, once (found)
}

func (t *turn) say(key string, args ...string) {
	t.out.Replies = append(t.out.Replies, t.m.msgs.render(t.s.Lang, key, args...))
}

// sayMenu says key with the choices of menu (Reply.Menu).
func (t *turn) sayMenu(menu *Menu, key string, args ...string) {
	r := t.m.msgs.render(t.s.Lang, key, args...)
	r.Menu = menu
	t.out.Replies = append(t.out.Replies, r)
}

// words returns the message split into words, computed once per turn.
func (t *turn) words() *msg {
	if t.ms == nil {
		t.ms = splitMsg(t.in.Text)
	}
	return t.ms
}

// found returns what the message says as a whole, read once per turn.
func (t *turn) found() *found {
	if t.f == nil {
		skip := t.s.Stage.main()
		if t.s.Status != InProgress || skip == StageCity || skip == StageConfirm {
			skip = ""
		}
		t.f = t.m.read(t.words(), t.now.In(t.m.cfg.Calendar.Loc), t.in.NoPhone, skip)
	}
	return t.f
}

func (t *turn) emit(e Event) { t.out.Events = append(t.out.Events, e) }

// Step advances a conversation by one inbound message received at now. It
// never fails and never panics: whatever the prospect sends, the result is a
// state to save and, usually, a polite reply.
func (m *Machine) Step(s State, in Inbound, now time.Time) Result {
	return m.StepBurst(s, in, now, 0)
}

// StepBurst is Step for a channel that holds its replies until the person
// has been quiet for window (the linked device's debounce), so that a burst
// ("hola" / "quiero" / "info") gets one answer, as a person would give it.
// A message that arrives less than window after the previous one continues
// the burst:
//   - it is applied as usual when it answers the pending question (or is a
//     command); the questions queued earlier in the burst and not yet sent
//     are then listed in Result.Withdraw, since the new reply replaces them;
//   - when it does not answer the question it gets no reply and does not
//     count as a failed answer: the question is still on its way;
//   - a consent answer counts only when the consent text was queued before
//     the burst began: text still held cannot have been read (Ley 1581).
//
// window 0 is Step. Every message is still one Step, so each is stored and
// applied exactly once, in order, by the caller's transaction.
func (m *Machine) StepBurst(s State, in Inbound, now time.Time, window time.Duration) Result {
	t := &turn{m: m, s: m.start(s, now), in: in, now: now}
	if window > 0 {
		gap := now.Sub(s.UpdatedAt)
		t.burst = s.Version != 0 && s.Status == InProgress && !s.UpdatedAt.IsZero() && gap >= 0 && gap < window
		if !t.burst {
			t.s.BurstFrom = now
		}
	}
	t.step()
	t.s.UpdatedAt = now
	if t.burst && (t.s.Status != InProgress || asksQuestion(t.out.Replies)) {
		// The line about an early consent answer goes with the consent
		// text it follows. It is no question itself: an unsent one must not
		// stop the crash policy from sending a question again.
		t.out.Withdraw = append(slices.Clone(questionKeys), "consent_early")
	}
	t.out.State = t.s
	return t.out
}

// questionKeys are the replies that put a question to the prospect. In a
// burst a newer question replaces one that was not sent yet.
var questionKeys = []string{
	"consent", "consent_retry", "consent_ok", "ask_name", "name_retry", "ask_city", "ask_city_again",
	"city_retry", "city_pick", "city_pick_retry", "city_in", "city_foreign_confirm", "city_location_abroad",
	"ask_budget", "budget_retry", "budget_confirm", "budget_menu", "ask_urgency", "urgency_retry",
	"ask_service", "service_retry", "yes_no_retry", "offer_advisor", "welcome_back",
	"consent_confirm", "consent_thanks", "nice_to_meet", "noted", "corrected", "city_region", "city_region_retry",
	"ask_city_other", "service_menu", "ask_phone", "ask_phone_optional", "phone_retry", "confirm", "confirm_retry",
	"confirm_which", "ask_fix",
}

func asksQuestion(rs []Reply) bool {
	for _, r := range rs {
		if slices.Contains(questionKeys, r.Key) {
			return true
		}
	}
	return false
}

// start gives a new conversation its first state, and wakes an abandoned
// one: the prospect wrote again, so the answers kept are built upon.
func (m *Machine) start(s State, now time.Time) State {
	if s.Version == 0 {
		s = State{Version: StateVersion, Status: InProgress, Stage: StageGreeting, Lang: m.cfg.Lang, StartedAt: now}
	}
	return s
}

func (t *turn) step() {
	cmd := cmdNone
	if t.in.Kind == KindText || t.in.Kind == "" {
		cmd = parseCommand(t.in.Text)
	}
	switch t.s.Status {
	case OptedOut, Refused, Handoff:
		t.silent(cmd)
	case Completed:
		if cmd == cmdNone && t.isText() {
			cmd = sentenceIntent(t.words())
		}
		t.afterCompletion(cmd)
	default:
		resumed := t.s.Status == Abandoned || t.idle()
		t.s.Status = InProgress
		if t.s.Stage == StageGreeting && t.isText() {
			if lang := detectLang(t.words().words, false); lang != "" {
				t.s.Lang = lang // "Hi, can I talk to a person?" is answered in English
			}
		}
		if cmd == cmdNone && t.isText() && t.in.Choice == "" {
			cmd = sentenceIntent(t.words())
		}
		if cmd != cmdNone {
			t.command(cmd)
			return
		}
		t.answer(resumed)
	}
}

func (t *turn) isText() bool { return t.in.Kind == KindText || t.in.Kind == "" }

// idle reports whether the conversation went quiet for longer than the idle
// timeout before this message (the sweeper may not have marked it yet).
func (t *turn) idle() bool {
	return !t.s.UpdatedAt.IsZero() && t.now.Sub(t.s.UpdatedAt) >= t.m.cfg.IdleTimeout
}

// silent handles a conversation in which the bot no longer asks anything.
// Only an explicit restart, or a data-rights request, gets an answer: an
// opted-out person gets no other message (RELIABILITY O-1), and a refusal
// means no free text is parsed into fields (C-4). While a person has the
// chat (Handoff, an advisor took it over) or after a refusal, the
// person's rights still hold: an opt-out or a deletion, also asked inside a
// sentence ("ya no me escribas más", "por favor borren mis datos"), is
// recorded and confirmed once, rather than left for an advisor to notice.
func (t *turn) silent(cmd command) {
	if cmd == cmdNone && t.s.Status != OptedOut && t.isText() {
		if c := sentenceIntent(t.words()); c == cmdOptOut || c == cmdDelete || c == cmdAccess {
			cmd = c
		}
	}
	switch cmd {
	case cmdRestart:
		t.restartFromScratch()
	case cmdAccess, cmdDelete:
		t.command(cmd)
	case cmdOptOut:
		if t.s.Status != OptedOut {
			t.command(cmd)
		}
	}
}

// restartFromScratch starts over, consent included: used after a refusal or
// an opt-out, where the earlier answer no longer holds.
func (t *turn) restartFromScratch() {
	t.s.Status, t.s.Stage, t.s.Answers, t.s.Pending, t.s.Failures, t.s.Retries = InProgress, StageConsent, Answers{}, Pending{}, 0, 0
	t.s.ConsentPolicy, t.s.ConsentAt, t.s.Held, t.s.Prefilled, t.s.Last = "", time.Time{}, Answers{}, nil, ""
	t.emit(Event{Kind: EventRestarted})
	t.say("restart")
	t.askConsent()
}

// command carries out a global command in an in-progress conversation.
func (t *turn) command(cmd command) {
	switch cmd {
	case cmdRestart:
		t.restart()
	case cmdBack:
		t.back()
	case cmdHelp:
		t.say("help")
		t.ask()
	case cmdHandoff:
		t.s.Status = Handoff
		t.s.Handoffs++
		t.emit(Event{Kind: EventHandoff})
		t.say("handoff")
	case cmdOptOut:
		t.optOut("opted_out", "")
	case cmdAccess:
		t.emit(Event{Kind: EventDataRequest, Request: RequestAccess})
		t.say("request_access")
		if t.s.Status == InProgress {
			t.ask()
		}
	case cmdCorrect:
		if t.s.Stage == StageConfirm && t.s.Status == InProgress {
			t.askFix() // "corregir" under the summary: change an answer before it is stored
			return
		}
		t.emit(Event{Kind: EventDataRequest, Request: RequestCorrect})
		t.say("request_correct")
		t.restartQuestions()
	case cmdDelete:
		t.emit(Event{Kind: EventDataRequest, Request: RequestDelete})
		t.optOut("request_delete", RequestDelete)
	case cmdEnglish, cmdSpanish:
		t.switchLang(cmd)
	}
}

// optOut stops every message to this person after the one confirmation.
func (t *turn) optOut(key, request string) {
	t.s.Status = OptedOut
	t.emit(Event{Kind: EventOptedOut, Request: request})
	t.say(key)
}

// restart clears the answers and asks again from the first question after
// consent; a consent already given stands (it covers this request).
func (t *turn) restart() {
	t.emit(Event{Kind: EventRestarted})
	t.say("restart")
	t.restartQuestions()
}

// restartQuestions clears every answer and asks the first question again:
// the name, or the consent when it was never given.
func (t *turn) restartQuestions() {
	if t.s.ConsentPolicy == "" {
		t.s.Stage, t.s.Failures = StageConsent, 0
		t.askConsent()
		return
	}
	t.s.Status = InProgress
	t.s.Answers, t.s.Pending, t.s.Failures, t.s.MenuShown, t.s.Retries = Answers{}, Pending{}, 0, false, 0
	t.s.Held, t.s.Prefilled, t.s.Last, t.s.PhoneAsked, t.s.Chats = Answers{}, nil, "", false, 0
	t.s.Score, t.s.Deadline, t.s.Window, t.s.Reminded, t.s.CompletedAt = nil, time.Time{}, 0, false, time.Time{}
	t.s.Stage = StageName
	t.ask()
}

// previous is the main question before each stage; follow-ups go back to
// the question they refine.
var previous = map[Stage]Stage{
	StageCity: StageName, StageCityPick: StageName, StageCityIn: StageName, StageCityForeign: StageName,
	StageBudget: StageCity, StageBudgetConfirm: StageCity, StageUrgency: StageBudget, StageService: StageUrgency,
	StagePhone: StageService, StageConfirm: StageService,
}

func (t *turn) back() {
	prev, ok := previous[t.s.Stage]
	if !ok { // nothing before: ask the current question again
		t.ask()
		return
	}
	t.moveTo(prev)
	t.say("back")
	t.ask()
}

// moveTo sets the stage and clears what belonged to the old question.
func (t *turn) moveTo(st Stage) {
	t.s.Stage, t.s.Pending, t.s.Failures, t.s.MenuShown = st, Pending{}, 0, false
}

// answer treats the message as the answer to the current question.
func (t *turn) answer(resumed bool) {
	if t.s.Stage == StageGreeting {
		t.greet()
		return
	}
	if t.in.Choice != "" && t.choose() {
		return
	}
	switch {
	case t.in.Kind == KindLocation && t.s.Stage.isCity():
		t.cityFromLocation(resumed)
		return
	case t.in.Kind != KindText && t.in.Kind != "":
		t.say("non_text")
		t.askUnlessBurst()
		return
	case utf8.RuneCountInString(t.in.Text) > maxTextRunes:
		t.say("too_long")
		t.askUnlessBurst()
		return
	}
	if t.continuesBudget() || t.continuesName() { // continued.go: "entre 1" / "y 2 millones", "Carlos" / "Pérez"
		return
	}
	if ok := t.understand(); !ok && !t.burst {
		t.failed(resumed)
	}
}

// askUnlessBurst puts the question again, except in a burst, where it is
// still held and would arrive twice.
func (t *turn) askUnlessBurst() {
	if !t.burst {
		t.ask()
	}
}

func (s Stage) isCity() bool {
	return s == StageCity || s == StageCityPick || s == StageCityIn || s == StageCityForeign
}

// answerStage dispatches the text to the current question's parser. It
// reports false when the answer was not understood.
func (t *turn) answerStage() bool {
	switch t.s.Stage {
	case StageConsent:
		return t.consent()
	case StageName:
		return t.name()
	case StageCity:
		return t.city(t.in.Text)
	case StageCityPick:
		return t.cityPick()
	case StageCityIn:
		return t.cityIn()
	case StageCityForeign:
		return t.cityForeign()
	case StageBudget:
		return t.budget()
	case StageBudgetConfirm:
		return t.budgetConfirm()
	case StageUrgency:
		return t.urgency()
	case StageService:
		return t.service()
	case StagePhone:
		return t.phone()
	case StageConfirm:
		return t.confirm()
	}
	t.ask() // an unknown stage from a damaged row: ask again rather than fail
	return true
}

// failed answers a message that did not answer the question. After two
// failures the bot offers a way out (menu or a person) instead of looping.
func (t *turn) failed(resumed bool) {
	t.s.Failures++
	t.s.Retries++
	switch {
	case resumed:
		t.say("welcome_back")
		t.ask()
	case t.s.Stage == StageConsent:
		t.consentUnclear()
	case t.s.Stage == StageConfirm && t.s.Failures >= 2:
		t.complete() // the answers are there: an unclear confirmation must not lose the lead
	default:
		t.retry()
		if t.s.Failures == 2 {
			t.offer()
		}
	}
}

func (t *turn) name() bool {
	n, ok := t.nameAnswer()
	if !ok {
		return false
	}
	t.s.Answers.Name = n
	t.took(StageName)
	if !t.has(StageCity) {
		t.moveTo(StageCity)
		t.say("ask_city", "first_name", firstName(n))
		return true
	}
	t.say("nice_to_meet", "first_name", firstName(n))
	t.next()
	return true
}

// ask puts the current question again.
func (t *turn) ask() {
	switch t.s.Stage {
	case StageGreeting, StageConsent:
		t.askConsent()
	case StageName:
		t.say("ask_name")
	case StageCity:
		t.say("ask_city_again")
	case StageCityPick:
		t.askCityPick()
	case StageCityIn:
		t.say("city_in", "department", t.s.Pending.DeptName)
	case StageCityForeign:
		t.sayMenu(t.yesNoMenu(), "city_foreign_confirm", "place", t.s.Pending.Place)
	case StageBudget:
		t.say("ask_budget")
	case StageBudgetConfirm:
		t.sayMenu(t.yesNoMenu(), "budget_confirm", "amount", formatCOP(t.s.Pending.Budget.MaxCOP, t.s.Lang))
	case StageUrgency:
		t.sayMenu(t.urgencyMenu(), "ask_urgency")
	case StageService:
		t.sayMenu(t.serviceMenu(), "ask_service", "options", t.serviceOptions())
	case StagePhone:
		t.askPhone()
	case StageConfirm:
		t.askConfirm()
	}
}

// retry says the current question was not understood, with a hint.
func (t *turn) retry() {
	switch t.s.Stage {
	case StageName:
		t.say("name_retry")
	case StageCity, StageCityIn:
		t.say("city_retry")
	case StageCityPick:
		t.retryCityPick()
	case StageCityForeign, StageBudgetConfirm:
		t.sayMenu(t.yesNoMenu(), "yes_no_retry")
	case StageBudget:
		t.say("budget_retry")
	case StageUrgency:
		t.sayMenu(t.urgencyMenu(), "urgency_retry")
	case StageService:
		t.sayMenu(t.serviceMenu(), "service_retry", "options", t.serviceOptions())
	case StagePhone:
		t.say("phone_retry")
	case StageConfirm:
		t.sayMenu(t.confirmMenu(), "confirm_retry")
	}
}

// offer follows the second failed answer to a question, once: a menu where
// one exists, and the way to a person.
func (t *turn) offer() {
	if t.s.Stage == StageBudget && !t.s.MenuShown {
		t.s.MenuShown = true
		t.sayMenu(t.budgetMenu(), "budget_menu")
	}
	t.say("offer_advisor")
}

func (t *turn) serviceOptions() string {
	var b strings.Builder
	for i, s := range t.m.cfg.Catalogue {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d. %s", i+1, t.m.cfg.Catalogue.Label(s.Key, t.s.Lang))
	}
	return b.String()
}

func cityOptions(cs []City) string {
	var b strings.Builder
	for i, c := range cs {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%d. %s (%s)", i+1, c.Name, c.Department)
	}
	return b.String()
}

// firstName is how the bot addresses the prospect: "Carlos Andrés" → "Carlos".
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return name
}

// Text returns the catalogue text of key in the configured language with
// args given as name, value pairs, for words the bot sends outside the
// conversation (the apology for a reply delayed by downtime, advisors'
// notifications). Unknown keys give "".
func (m *Machine) Text(key string, args ...string) string {
	if !m.msgs.Has(key) {
		return ""
	}
	return m.msgs.render(m.cfg.Lang, key, args...).Text
}
