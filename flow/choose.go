package flow

import (
	"slices"
	"strings"
)

// choose applies a tapped option (Inbound.Choice). It reports false when
// the ID means nothing here (an old menu, another channel's ID): the text,
// the option's title, is then read as usual.
func (t *turn) choose() bool {
	id := t.in.Choice
	switch {
	case id == "handoff":
		t.command(cmdHandoff)
		return true
	case id == "consent_yes" || id == "consent_no":
		return t.chooseConsent(id == "consent_yes")
	case id == "yes" || id == "no":
		if strings.TrimSpace(t.in.Text) == "" {
			t.in.Text = map[string]string{"yes": "sí", "no": "no"}[id] // a yes/no question reads the text
		}
		return false
	case t.s.Stage == StageConsent:
		return false // nothing else counts before the consent
	case strings.HasPrefix(id, "urgency_"):
		u := Urgency(strings.TrimPrefix(id, "urgency_"))
		return slices.Contains(Urgencies(), u) && t.chosen(StageUrgency, Answers{Urgency: u})
	case strings.HasPrefix(id, "service_"):
		key := strings.TrimPrefix(id, "service_")
		ok := slices.ContainsFunc(t.m.cfg.Catalogue, func(s Service) bool { return s.Key == key })
		return ok && t.chosen(StageService, Answers{Service: key})
	case strings.HasPrefix(id, "budget_"):
		b, ok := budgetMenu[strings.TrimPrefix(id, "budget_")]
		return ok && t.chosen(StageBudget, Answers{Budget: &b})
	case strings.HasPrefix(id, "city_"):
		return t.chooseCity(strings.TrimPrefix(id, "city_"))
	}
	return t.chooseStep(id)
}

// chooseStep applies the options of the closing questions.
func (t *turn) chooseStep(id string) bool {
	switch {
	case t.s.Stage == StageConfirm && (id == "confirm_yes" || id == "confirm_fix"):
		if id == "confirm_yes" {
			t.complete()
		} else {
			t.askFix()
		}
		return true
	case t.s.Stage == StageConfirm && strings.HasPrefix(id, "fix_"):
		st := Stage(strings.TrimPrefix(id, "fix_"))
		if !slices.Contains(stageOrder, st) {
			return false
		}
		t.redo(st)
		return true
	case t.s.Stage == StagePhone && id == "phone_skip":
		t.skipPhone()
		return true
	}
	return false
}

func (t *turn) chooseConsent(yes bool) bool {
	if t.s.Stage != StageConsent || t.consentUnread() {
		return false
	}
	answer := t.in.Text
	if answer == "" {
		answer = t.in.Choice
	}
	t.decideConsent(yes, answer)
	return true
}

// chosen applies the answer to st picked from a menu: as the answer when
// st is the question asked, and as a change to an earlier answer when the
// prospect tapped an older menu.
func (t *turn) chosen(st Stage, a Answers) bool {
	if t.s.Stage.main() != st {
		if !t.set(st, a) {
			return false
		}
		t.say("noted")
		t.ask()
		return true
	}
	switch st {
	case StageBudget:
		t.setBudget(*a.Budget)
		return true
	case StageService:
		t.s.Answers.Service, t.s.Answers.Others = a.Service, nil
	case StageUrgency:
		t.s.Answers.Urgency = a.Urgency
	}
	t.took(st)
	t.next()
	return true
}

// chooseCity applies a municipality tapped in a list of candidates.
func (t *turn) chooseCity(code string) bool {
	if t.s.Stage != StageCityPick {
		return false
	}
	if code == "other" && t.s.Pending.Region != "" {
		return t.regionOther()
	}
	i := slices.IndexFunc(t.s.Pending.Candidates, func(c City) bool { return c.Code == code })
	if i < 0 {
		return false
	}
	t.setCity(t.s.Pending.Candidates[i])
	return true
}
