package flow

import "strings"

// The opening and the consent (Ley 1581): the greeting in the prospect's
// language, the consent text with Sí/No buttons, the yes or no as
// consentForms reads it, one short confirmation question for an emoji or an
// unclear answer, a person offered after the second, and never a loop.
//
// What a prospect says before the consent ("Hola, soy Laura de
// Barranquilla, necesito SEO") is read but kept apart, in State.Held: it
// becomes the answers when the consent is given (and is confirmed before
// the lead is completed), and it is dropped when the consent is refused.

// greet answers the first message (in English when it is written in
// English: step detects it), keeping what it says in Held.
func (t *turn) greet() {
	t.hold()
	t.say("greeting", "agency", t.m.cfg.Agency.Name)
	t.s.Stage = StageConsent
	t.askConsent()
}

// hold keeps what the message says in Held, before any consent.
func (t *turn) hold() {
	if t.isText() && len(t.in.Text) <= maxTextRunes {
		t.found().answers("").fill(&t.s.Held)
	}
}

func (t *turn) askConsent() {
	t.s.ConsentAsked, t.s.EarlyAnswer = t.now, false
	r := t.consentText()
	r.Menu = t.consentMenu(false)
	t.out.Replies = append(t.out.Replies, r)
}

func (t *turn) consentText() Reply {
	a := t.m.cfg.Agency
	r := t.m.msgs.render(t.s.Lang, "consent", "agency", a.Name, "contact", a.Contact, "policy_url", a.PolicyURL)
	if a.AdConversions {
		// Told before the question, with the other uses of the data.
		r.Text = strings.Replace(r.Text, "\n\n", " "+t.m.msgs.text(t.s.Lang, "consent_ads")+"\n\n", 1)
	}
	return r
}

// consent records an explicit yes or no (C-1, C-2, C-4); anything else is
// asked again, never assumed.
func (t *turn) consent() bool {
	yes, ok := yesNoOf(t.words())
	if ok && !t.consentUnread() {
		t.decideConsent(yes, t.in.Text)
		return true
	}
	t.hold() // no answer, or an answer to a text not delivered yet
	if ok {
		t.earlyAnswer()
		return true
	}
	// An unclear answer to the Spanish text written in English ("sorry, I
	// don't speak Spanish") gets the consent text again, in English.
	if lang := detectLang(t.words().words, false); lang != "" && lang != t.s.Lang && !t.burst {
		t.s.Lang = lang
		t.askConsent()
		return true
	}
	return false
}

// consentUnread reports whether the consent text cannot have been read
// yet: it was queued in this very burst, and the channel still holds it.
// A yes or no given then is not informed (Ley 1581 art. 9) and does not
// count. (A text queued earlier that has still not left, because the
// channel paces, retries or restarted, only the store can see: it keeps
// such an answer without applying it, store/consent.go, and says the
// same line, Consent.Early.)
func (t *turn) consentUnread() bool {
	return t.burst && !t.s.ConsentAsked.Before(t.s.BurstFrom)
}

// earlyAnswer answers a yes or no that came before the consent text
// reached the person ("hola" and "sí acepto" within the channel's wait).
// It does not count, and it must not be dropped without a word either:
// the person believes they have answered and waits for the next
// question, while the bot waits for their answer. Once per consent text,
// a line after it says so and asks for the answer again; what the
// message said besides is kept in Held, as before any consent.
func (t *turn) earlyAnswer() {
	if t.s.EarlyAnswer {
		return
	}
	t.s.EarlyAnswer = true
	t.say("consent_early")
}

// decideConsent stores the answer and moves on.
func (t *turn) decideConsent(yes bool, answer string) {
	t.emit(Event{Kind: EventConsent, Consent: &Consent{
		Accepted: yes, PolicyVersion: t.m.cfg.PolicyVersion, Lang: t.s.Lang,
		Text: t.consentText().Text, Answer: answer, Early: t.m.msgs.text(t.s.Lang, "consent_early"),
	}})
	if lang := detectLang(t.words().words, true); lang != "" {
		t.s.Lang = lang // "yes, I agree" to the Spanish text: English from now on
	}
	if !yes {
		t.s.Status, t.s.Held = Refused, Answers{}
		t.moveTo(StageConsent)
		t.say("consent_refused")
		return
	}
	t.s.ConsentPolicy, t.s.ConsentAt = t.m.cfg.PolicyVersion, t.now
	t.adoptHeld()
	if t.s.Answers.Name == "" {
		t.moveTo(StageName)
		t.say("consent_ok")
		return
	}
	t.say("consent_thanks", "first_name", firstName(t.s.Answers.Name))
	t.next()
}

// adoptHeld turns what was said before the consent, and in the consent
// answer itself ("sí, soy Laura de Cali"), into answers to confirm.
func (t *turn) adoptHeld() {
	t.hold()
	h := t.s.Held
	t.s.Held = Answers{}
	t.markPrefilled(h.fill(&t.s.Answers))
}

// fill copies a's answers into dst where dst has none and returns the
// stages filled.
func (a Answers) fill(dst *Answers) []Stage {
	var got []Stage
	if a.Name != "" && dst.Name == "" {
		dst.Name, got = a.Name, append(got, StageName)
	}
	if a.City != nil && dst.City == nil {
		dst.City, got = a.City, append(got, StageCity)
	}
	if a.Budget != nil && dst.Budget == nil {
		dst.Budget, got = a.Budget, append(got, StageBudget)
	}
	if a.Urgency != "" && dst.Urgency == "" {
		dst.Urgency, got = a.Urgency, append(got, StageUrgency)
	}
	if a.Service != "" && dst.Service == "" {
		dst.Service, dst.Others, got = a.Service, a.Others, append(got, StageService)
	}
	if a.Phone != "" && dst.Phone == "" {
		dst.Phone, got = a.Phone, append(got, StagePhone)
	}
	return got
}

// consentUnclear answers an unclear consent answer: first one short
// confirmation question, then the same with the way to a person; a third
// unclear answer is handed to a person rather than asked again.
func (t *turn) consentUnclear() {
	switch {
	case t.s.Failures <= 1:
		t.sayMenu(t.consentMenu(false), "consent_confirm")
	case t.s.Failures == 2:
		t.sayMenu(t.consentMenu(true), "consent_retry")
	default:
		t.s.Status = Handoff
		t.s.Handoffs++
		t.emit(Event{Kind: EventHandoff})
		t.say("handoff_unclear")
	}
}

// switchLang answers from now on in the language asked for, and puts the
// question again in it.
func (t *turn) switchLang(cmd command) {
	t.s.Lang = "es"
	if cmd == cmdEnglish {
		t.s.Lang = "en"
	}
	if t.s.Stage == StageGreeting {
		t.greet()
		return
	}
	t.say("language")
	t.ask()
}
