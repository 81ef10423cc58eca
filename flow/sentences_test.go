package flow

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// talk plays messages one minute apart on a channel; a message written
// "@choice=ID title" is a tapped option. It returns every result.
func talk(m *Machine, channel string, noPhone bool, msgs ...string) []Result {
	var rs []Result
	var s State
	for i, msg := range msgs {
		in := Inbound{Channel: channel, Account: "a", ID: string(rune('a' + i)), From: "x", Kind: KindText, Text: msg, NoPhone: noPhone}
		if rest, ok := strings.CutPrefix(msg, "@choice="); ok {
			in.Choice, in.Text, _ = strings.Cut(rest, " ")
		}
		r := m.Step(s, in, monday10.Add(time.Duration(i)*time.Minute))
		rs = append(rs, r)
		s = r.State
	}
	return rs
}

func last(rs []Result) Result { return rs[len(rs)-1] }

// TestConsentNeverLoops: an emoji gets one short confirmation question with
// buttons, the second unclear answer offers a person as a button, and a
// third goes to a person instead of asking again.
func TestConsentNeverLoops(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "cloudapi", false, "hola", "👍", "¿y eso qué es?", "mmm")
	if got := keys(rs[1]); !slices.Equal(got, []string{"consent_confirm"}) || rs[1].Replies[0].Menu == nil {
		t.Errorf("emoji: replies %v; want one consent_confirm with buttons", got)
	}
	r2 := rs[2].Replies[0]
	if r2.Key != "consent_retry" || r2.Menu == nil || len(r2.Menu.Options) != 3 || r2.Menu.Options[2].ID != "handoff" {
		t.Errorf("second unclear answer: %+v; want consent_retry with a person button", r2)
	}
	if s := last(rs).State; s.Status != Handoff || s.ConsentPolicy != "" {
		t.Errorf("third unclear answer: status %s consent %q; want a handoff and no consent", s.Status, s.ConsentPolicy)
	}
	yes := talk(m, "cloudapi", false, "hola", "👍", "sí")
	if s := last(yes).State; s.ConsentPolicy == "" || s.Stage != StageName {
		t.Errorf("a yes after the confirmation question: %+v", s)
	}
}

// TestConsentButtons: the consent question carries Sí/No buttons and a tap
// is read by its id; the evidence keeps the title shown.
func TestConsentButtons(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "cloudapi", false, "hola", "@choice=consent_yes Sí, acepto")
	menu := rs[0].Replies[1].Menu
	if menu == nil || menu.Kind != MenuButtons || menu.Options[0].ID != "consent_yes" || menu.Options[1].ID != "consent_no" {
		t.Fatalf("consent menu = %+v", menu)
	}
	var c *Consent
	for _, e := range rs[1].Events {
		c = e.Consent
	}
	if c == nil || !c.Accepted || c.Answer != "Sí, acepto" {
		t.Errorf("consent evidence = %+v; want accepted with the button's title", c)
	}
}

// TestSeveralAnswersAnywhere: a message answering more than the question
// fills every answer it holds; only the missing ones are asked.
func TestSeveralAnswersAnywhere(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "whatsapp", false, "hola", "sí", "Ramiro", "Estoy en Cali y tengo como 2 millones")
	s := last(rs).State
	if s.Answers.City == nil || s.Answers.City.Code != "76001" || s.Answers.Budget == nil || s.Answers.Budget.MaxCOP != 2e6 {
		t.Fatalf("answers = %+v; want Cali and 2 millones", s.Answers)
	}
	if s.Stage != StageUrgency || !slices.Equal(s.Prefilled, []Stage{StageBudget}) {
		t.Errorf("stage %s prefilled %v; want the urgency asked and the budget to confirm", s.Stage, s.Prefilled)
	}
	rs = talk(m, "whatsapp", false, "hola", "sí", "Ramiro", "Estoy en Cali y tengo como 2 millones", "ya", "SEO")
	if r := last(rs); r.State.Stage != StageConfirm || !strings.Contains(r.Replies[0].Text, "$2.000.000") {
		t.Errorf("before completing: stage %s replies %v; want the confirmation with the budget", r.State.Stage, keys(r))
	}
}

// TestCorrections: an earlier answer changes at any question, and the
// question asked is asked again.
func TestCorrections(t *testing.T) {
	m := newTestMachine(t, Hot)
	tests := []struct {
		msgs  []string
		check func(Answers) bool
		stage Stage
	}{
		{[]string{"hola", "sí", "Jorge", "Pereira", "perdón, me equivoqué, es Manizales"},
			func(a Answers) bool { return a.City != nil && a.City.Code == "17001" }, StageBudget},
		{[]string{"hola", "sí", "Lucía", "Cali", "2 millones", "no, el presupuesto es 3 millones"},
			func(a Answers) bool { return a.Budget != nil && a.Budget.MaxCOP == 3e6 }, StageUrgency},
		{[]string{"hola", "sí", "Mateo", "Medellín", "1 millón", "cambia la ciudad"},
			func(a Answers) bool { return a.City == nil && a.Budget != nil }, StageCity},
		{[]string{"hola", "sí", "Liliana", "Bogotá", "2 millones", "perdón, son 3"},
			func(a Answers) bool { return a.Budget != nil && a.Budget.MaxCOP == 3e6 }, StageUrgency},
	}
	for _, tt := range tests {
		s := last(talk(m, "whatsapp", false, tt.msgs...)).State
		if !tt.check(s.Answers) || s.Stage != tt.stage {
			t.Errorf("%q: answers %+v stage %s; want the correction applied and %s asked", tt.msgs[len(tt.msgs)-1], s.Answers, s.Stage, tt.stage)
		}
	}
}

// TestEnglishFromTheFirstReply: English is detected from the prospect's
// words; a command switches either way; Spanish stays the default.
func TestEnglishFromTheFirstReply(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "whatsapp", false, "Hi, I'd like some information")
	if r := rs[0]; r.State.Lang != "en" || !strings.HasPrefix(r.Replies[0].Text, "Hi!") {
		t.Errorf("English opener: lang %s first reply %q", r.State.Lang, r.Replies[0].Text)
	}
	if r := talk(m, "whatsapp", false, "Hola, buenas")[0]; r.State.Lang != "es" {
		t.Errorf("Spanish opener answered in %s", r.State.Lang)
	}
	rs = talk(m, "whatsapp", false, "hola", "sí", "Ana", "Cali", "1 millón", "I need it as soon as possible")
	if r := last(rs); r.State.Lang != "en" || r.Replies[0].Key != "ask_service" || !strings.HasPrefix(r.Replies[0].Text, "Which") {
		t.Errorf("a whole answer in English: lang %s replies %v", r.State.Lang, r.Replies)
	}
	rs = talk(m, "whatsapp", false, "hola", "sí", "Ana", "Cali", "1 millón", "asap", "social media")
	if r := last(rs); r.State.Lang != "es" {
		t.Errorf("English words in a Spanish conversation switched it: %s", r.State.Lang)
	}
	rs = talk(m, "whatsapp", false, "hola", "sorry, I don't speak Spanish. Do you speak English?")
	if r := last(rs); r.State.Lang != "en" || r.Replies[len(r.Replies)-1].Key != "consent" {
		t.Errorf("switch at the consent: lang %s replies %v; want the consent text again in English", r.State.Lang, keys(r))
	}
}

// TestServiceAnswers: several services (the first is the lead's, the others
// on Lead.OtherServices); general marketing gets the menu, not a failure.
func TestServiceAnswers(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "whatsapp", false, "hola", "sí", "Clara", "Pereira", "2 millones", "ya", "redes sociales y pauta")
	l := completedLead(t, last(rs))
	if l.Service != "social" || !slices.Equal(l.OtherServices, []string{"ads"}) {
		t.Errorf("lead services = %q + %v; want social + [ads]", l.Service, l.OtherServices)
	}
	rs = talk(m, "whatsapp", false, "hola", "sí", "Omar", "Cali", "2 millones", "ya", "marketing digital")
	if r := last(rs); !slices.Equal(keys(r), []string{"service_menu"}) || r.State.Failures != 0 || r.Replies[0].Menu == nil {
		t.Errorf("marketing digital: replies %v failures %d; want the service menu as a list", keys(r), r.State.Failures)
	}
}

// TestRegionChoice: a region gets its main municipalities as a list; a
// number, a name or a tap answers; "otro" asks for the name.
func TestRegionChoice(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "cloudapi", false, "hola", "sí", "Quiteria", "en el eje cafetero")
	r := last(rs)
	if r.State.Stage != StageCityPick || r.Replies[0].Key != "city_region" || r.Replies[0].Menu == nil {
		t.Fatalf("region: stage %s replies %v", r.State.Stage, keys(r))
	}
	if opts := r.Replies[0].Menu.Options; opts[0].ID != "city_66001" || opts[len(opts)-1].ID != "city_other" {
		t.Errorf("region menu = %+v", opts)
	}
	for answer, code := range map[string]string{"1": "66001", "Manizales": "17001", "@choice=city_63001 Armenia": "63001"} {
		s := last(talk(m, "cloudapi", false, "hola", "sí", "Quiteria", "en el eje cafetero", answer)).State
		if s.Answers.City == nil || s.Answers.City.Code != code {
			t.Errorf("%q in the eje cafetero: city %+v; want %s", answer, s.Answers.City, code)
		}
	}
	if s := last(talk(m, "cloudapi", false, "hola", "sí", "Quiteria", "los llanos", "otro")).State; s.Stage != StageCity {
		t.Errorf("otro: stage %s; want the city asked by name", s.Stage)
	}
}

// TestMenus: urgency, service, city choices and the confirmation carry a
// menu; every menu of a long conversation keeps Meta's limits.
func TestMenus(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "cloudapi", false, "Hola, soy Ana y necesito SEO", "sí", "La Unión", "Nariño", "lo que sea", "lo que cueste",
		"2", "ya", "cambiar un dato", "3", "1 millón", "sí")
	want := map[string]MenuKind{"consent": MenuButtons, "city_pick": MenuList, "budget_menu": MenuList,
		"ask_urgency": MenuList, "confirm": MenuButtons, "confirm_which": MenuList}
	seen := map[string]bool{}
	for _, r := range rs {
		for _, rep := range r.Replies {
			if k, ok := want[rep.Key]; ok {
				seen[rep.Key] = true
				if rep.Menu == nil || rep.Menu.Kind != k {
					t.Errorf("%s: menu %+v; want %s", rep.Key, rep.Menu, k)
				}
			}
			checkMenu(t, rep)
		}
	}
	for k := range want {
		if !seen[k] {
			t.Errorf("no %s reply in the conversation", k)
		}
	}
	if last(rs).State.Status != Completed {
		t.Errorf("the conversation did not complete: %+v", last(rs).State)
	}
}

func checkMenu(t *testing.T, r Reply) {
	t.Helper()
	if r.Menu == nil {
		return
	}
	n, title := maxRows, maxRowTitle
	if r.Menu.Kind == MenuButtons {
		n, title = maxButtons, maxButtonTitle
	}
	if len(r.Menu.Options) == 0 || len(r.Menu.Options) > n || utf8.RuneCountInString(r.Menu.Button) > maxButtonTitle {
		t.Errorf("%s: %d options, button %q", r.Key, len(r.Menu.Options), r.Menu.Button)
	}
	ids := map[string]bool{}
	for _, o := range r.Menu.Options {
		if o.ID == "" || ids[o.ID] || utf8.RuneCountInString(o.Title) > title || utf8.RuneCountInString(o.Description) > maxRowDesc {
			t.Errorf("%s: option %+v breaks Meta's limits", r.Key, o)
		}
		ids[o.ID] = true
	}
}

// TestFitMenu: long titles are cut at a word with an ellipsis; too many
// options are dropped; a catalogue longer than a list is offered as text.
func TestFitMenu(t *testing.T) {
	m := fitMenu(&Menu{Kind: MenuButtons, Options: []Option{
		{ID: "a", Title: "Quiero hablar con un asesor ya mismo"}, {ID: "b", Title: "B"}, {ID: "c", Title: "C"}, {ID: "d", Title: "D"}}})
	if len(m.Options) != 3 || m.Options[0].Title != "Quiero hablar con…" {
		t.Errorf("fitMenu = %+v", m.Options)
	}
	cat := DefaultCatalogue()
	for i := range 5 {
		l := "Extra " + string(rune('a'+i))
		cat = append(cat, Service{Key: "extra" + string(rune('a'+i)), Label: map[string]string{"es": l, "en": l}})
	}
	cfg := DefaultConfig(time.UTC)
	cfg.Catalogue = cat
	big, err := New(cfg, fixedScorer(Hot))
	if err != nil {
		t.Fatal(err)
	}
	r := last(talk(big, "cloudapi", false, "hola", "sí", "Ana", "Cali", "1 millón", "ya"))
	if r.Replies[0].Key != "ask_service" || r.Replies[0].Menu != nil || !strings.Contains(r.Replies[0].Text, "12. Extra e") {
		t.Errorf("12 services: %+v; want the numbered text only", r.Replies[0])
	}
}

// TestChoiceFirst: a tapped option's id wins over its text; an unknown id
// falls back to the text; an old menu's tap changes that answer.
func TestChoiceFirst(t *testing.T) {
	m := newTestMachine(t, Hot)
	s := last(talk(m, "cloudapi", false, "hola", "sí", "Ana", "Cali", "1 millón", "@choice=urgency_exploring Lo antes posible")).State
	if s.Answers.Urgency != Exploring {
		t.Errorf("choice read after the text: %s", s.Answers.Urgency)
	}
	s = last(talk(m, "cloudapi", false, "hola", "sí", "Ana", "Cali", "1 millón", "@choice=urgency_nope Este mes")).State
	if s.Answers.Urgency != ThisMonth {
		t.Errorf("unknown id: urgency %s; want the title read", s.Answers.Urgency)
	}
	s = last(talk(m, "cloudapi", false, "hola", "sí", "Ana", "Cali", "1 millón", "ya", "@choice=urgency_this_month Este mes")).State
	if s.Answers.Urgency != ThisMonth || s.Stage != StageService {
		t.Errorf("old menu: urgency %s stage %s; want this month and the service still asked", s.Answers.Urgency, s.Stage)
	}
}

// TestCallbackNumber: with no phone on the channel the number is asked:
// required on the web chat, optional and asked once elsewhere; it reaches
// the lead as CallbackPhone.
func TestCallbackNumber(t *testing.T) {
	m := newTestMachine(t, Hot)
	base := []string{"hola", "sí", "Pilar", "Medellín", "2 millones", "ya", "SEO"}
	rs := talk(m, "webchat", true, append(base, "no tengo", "300 123 4567")...)
	if got := keys(rs[7]); !slices.Equal(got, []string{"phone_retry"}) {
		t.Errorf("web chat without a number: %v; want it asked again", got)
	}
	if l := completedLead(t, last(rs)); l.CallbackPhone != "+573001234567" {
		t.Errorf("CallbackPhone = %q", l.CallbackPhone)
	}
	rs = talk(m, "cloudapi", true, append(base, "no, por aquí está bien")...)
	if l := completedLead(t, last(rs)); l.CallbackPhone != "" {
		t.Errorf("declined number stored: %q", l.CallbackPhone)
	}
	rs = talk(m, "whatsapp", false, base...)
	if r := last(rs); r.State.Status != Completed || slices.Contains(keys(r), "ask_phone") {
		t.Errorf("a channel with a phone asked for one: %v", keys(r))
	}
}

// TestAfterCompletion: small talk gets a short reply in tú, at most three;
// "¿ya me van a llamar?" after the promised time gets an apology, a new
// time and an event for the queue.
func TestAfterCompletion(t *testing.T) {
	m := newTestMachine(t, Hot)
	done := last(talk(m, "whatsapp", false, "hola", "sí", "Felipe", "Cali", "2 millones", "ya", "SEO")).State
	at := done.UpdatedAt
	step := func(s State, text string, d time.Duration) Result {
		return m.Step(s, Inbound{Channel: "whatsapp", ID: text, From: "x", Kind: KindText, Text: text}, at.Add(d))
	}
	r := step(done, "gracias!!", time.Minute)
	if !slices.Equal(keys(r), []string{"chat_thanks"}) || !strings.Contains(r.Replies[0].Text, "Con gusto, Felipe") {
		t.Errorf("gracias: %v", r.Replies)
	}
	s := r.State
	for i, txt := range []string{"ok", "listo 👍", "gracias", "chao"} {
		r = step(s, txt, time.Duration(i+2)*time.Minute)
		s = r.State
	}
	if len(r.Replies) != 0 || s.Chats != afterChats {
		t.Errorf("small talk without end: %d replies after %d chats", len(r.Replies), s.Chats)
	}
	r = step(done, "¿ya me van a llamar?", 10*time.Minute)
	if !slices.Equal(keys(r), []string{"call_when"}) {
		t.Errorf("before the deadline: %v", keys(r))
	}
	r = step(done, "¿ya me van a llamar? nadie me ha escrito", 3*time.Hour)
	var asked *Event
	for i := range r.Events {
		if r.Events[i].Kind == EventAskedForCall {
			asked = &r.Events[i]
		}
	}
	if !slices.Equal(keys(r), []string{"call_late"}) || asked == nil || !asked.Deadline.After(at.Add(3*time.Hour)) ||
		!r.State.Deadline.Equal(asked.Deadline) {
		t.Errorf("after the deadline: replies %v event %+v state deadline %v", keys(r), asked, r.State.Deadline)
	}
}

// TestSentenceIntentsInTheFlow: a person asked for inside a sentence is a
// handoff at any question; a name that is a command word stays a name.
func TestSentenceIntentsInTheFlow(t *testing.T) {
	m := newTestMachine(t, Hot)
	if s := last(talk(m, "whatsapp", false, "hola", "sí", "Rodrigo", "Medellín", "mejor quiero hablar con una persona")).State; s.Status != Handoff {
		t.Errorf("status %s; want a handoff", s.Status)
	}
	if s := last(talk(m, "whatsapp", false, "hola", "sí", "me llamo Salir")).State; s.Answers.Name != "Salir" || s.Status != InProgress {
		t.Errorf("me llamo Salir: %+v", s)
	}
	if s := last(talk(m, "whatsapp", false, "hola", "sí", "salir")).State; s.Status != OptedOut {
		t.Errorf("salir alone: status %s; want opted out", s.Status)
	}
}

// TestHeldAnswersDroppedOnRefusal: nothing said before the consent
// survives a refusal, not even in the state.
func TestHeldAnswersDroppedOnRefusal(t *testing.T) {
	m := newTestMachine(t, Hot)
	rs := talk(m, "whatsapp", false, "Hola soy Pedro de Cali, quiero SEO y tengo 2 millones", "no autorizo")
	if s := last(rs).State; s.Status != Refused || !reflect.DeepEqual(s.Held, Answers{}) || !reflect.DeepEqual(s.Answers, Answers{}) {
		t.Errorf("after a refusal: %+v", s)
	}
}

// FuzzStepSentences feeds whole sentences, taps and a channel without a
// phone at every question, the opener included: no panic, always a state.
func FuzzStepSentences(f *testing.F) {
	for _, s := range []string{
		"Hola, soy Laura de Barranquilla, necesito SEO, tengo 1.5 millones y lo necesito ya",
		"perdón, me equivoqué, es Manizales", "cambia la ciudad", "@choice=city_other x", "@choice=fix_city Ciudad",
		"en el eje cafetero", "marketing digital", "300 123 4567", "¿ya me van a llamar?", "Hi, I'm Michael from Miami",
		"no, la ciudad es Pereira", "@choice=confirm_fix Cambiar", "otro", "1", "👍", "",
	} {
		f.Add(s, "sí", s)
	}
	m := newTestMachine(f, Hot)
	f.Fuzz(func(t *testing.T, a, b, c string) {
		rs := talk(m, "webchat", true, a, b, c, "Ana", c, a, "2 millones", b, "ya", c, "SEO", a, "sí", b)
		for _, r := range rs {
			if r.State.Version != StateVersion || r.State.Status == "" {
				t.Fatalf("bad state after %q, %q, %q: %+v", a, b, c, r.State)
			}
			for _, rep := range r.Replies {
				if rep.Key == "" || strings.TrimSpace(rep.Text) == "" || strings.Contains(rep.Text, "{") {
					t.Fatalf("bad reply after %q, %q, %q: %+v", a, b, c, rep)
				}
				checkMenu(t, rep)
			}
		}
	})
}
