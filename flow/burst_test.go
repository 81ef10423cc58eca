package flow

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// burstMsg is one message of a burst scenario: gap after the previous one.
type burstMsg struct {
	gap  time.Duration
	text string // "@audio" stands for a voice note
}

// runBurst feeds msgs through StepBurst and plays the channel's part: replies
// are held while messages keep coming less than window apart, withdrawn
// keys drop held replies, and the rest is "sent" once the person is quiet.
func runBurst(m *Machine, window time.Duration, msgs []burstMsg) (sent []string, s State) {
	now := monday10
	var held []string
	for i, msg := range msgs {
		now = now.Add(msg.gap)
		if i == 0 || msg.gap >= window {
			sent, held = append(sent, held...), nil
		}
		in := text(string(rune('a'+i)), msg.text)
		if msg.text == "@audio" {
			in.Kind, in.Text = KindAudio, ""
		}
		r := m.StepBurst(s, in, now, window)
		held = slices.DeleteFunc(held, func(k string) bool { return slices.Contains(r.Withdraw, k) })
		held = append(held, keys(r)...)
		s = r.State
	}
	return append(sent, held...), s
}

func TestStepBurstAnswersOnce(t *testing.T) {
	const w = 3 * time.Second
	ms := time.Millisecond
	consented := []burstMsg{{0, "hola"}, {time.Minute, "sí"}} // consent text read, then accepted
	tests := []struct {
		name     string
		window   time.Duration
		msgs     []burstMsg
		want     []string
		stage    Stage
		status   Status
		failures int
	}{
		{"greetings and a request: one consent prompt", w,
			[]burstMsg{{0, "hola"}, {500 * ms, "quiero"}, {500 * ms, "info"}},
			[]string{"greeting", "consent"}, StageConsent, InProgress, 0},
		{"F7 five messages in 100 ms", w,
			[]burstMsg{{0, "hola"}, {25 * ms, "buenas"}, {25 * ms, "quiero"}, {25 * ms, "info"}, {25 * ms, "de sus servicios"}},
			[]string{"greeting", "consent"}, StageConsent, InProgress, 0},
		{"a yes to a consent text still held does not count, and the person is told so once", w,
			[]burstMsg{{0, "hola"}, {time.Second, "sí acepto"}, {time.Second, "sí"}},
			[]string{"greeting", "consent", "consent_early"}, StageConsent, InProgress, 0},
		{"the yes repeated once the consent text was read counts", w,
			[]burstMsg{{0, "hola"}, {200 * ms, "sí acepto"}, {time.Minute, "sí"}},
			[]string{"greeting", "consent", "consent_early", "consent_ok"}, StageName, InProgress, 0},
		{"an early yes with a name: the name waits for the consent, then is used", w,
			[]burstMsg{{0, "hola"}, {200 * ms, "sí acepto, soy Carlos Pérez"}, {time.Minute, "sí"}},
			[]string{"greeting", "consent", "consent_early", "consent_thanks", "ask_city_again"}, StageCity, InProgress, 0},
		{"a command after the early yes withdraws the line with the consent text", w,
			[]burstMsg{{0, "hola"}, {200 * ms, "sí acepto"}, {200 * ms, "asesor"}},
			[]string{"greeting", "handoff"}, StageConsent, Handoff, 0},
		{"an early no does not count either", w,
			[]burstMsg{{0, "hola"}, {200 * ms, "no"}},
			[]string{"greeting", "consent", "consent_early"}, StageConsent, InProgress, 0},
		{"a name after the early yes is an unclear consent answer, asked once more", w,
			[]burstMsg{{0, "hola"}, {200 * ms, "sí acepto"}, {time.Minute, "Carlos Pérez"}, {time.Minute, "sí"}},
			[]string{"greeting", "consent", "consent_early", "consent_confirm", "consent_ok"}, StageName, InProgress, 0},
		{"the consent and the first answer in one burst", w,
			[]burstMsg{{0, "hola"}, {time.Minute, "sí"}, {500 * ms, "Carlos Pérez"}},
			[]string{"greeting", "consent", "ask_city"}, StageCity, InProgress, 0},
		{"name, city and budget in one burst: one question, the next", w,
			append(slices.Clone(consented), burstMsg{time.Minute, "Carlos"}, burstMsg{700 * ms, "de Medallo"}, burstMsg{time.Second, "2 millones"}),
			[]string{"greeting", "consent", "consent_ok", "ask_urgency"}, StageUrgency, InProgress, 0},
		{"a yes in a burst after the consent text was read counts; the retry is withdrawn", w,
			[]burstMsg{{0, "hola"}, {time.Minute, "buenas"}, {time.Second, "sí acepto"}},
			[]string{"greeting", "consent", "consent_ok"}, StageName, InProgress, 0},
		{"an answer in the burst replaces the question not yet sent", w,
			append(slices.Clone(consented), burstMsg{time.Minute, "Carlos"}, burstMsg{time.Second, "Medellín"}),
			[]string{"greeting", "consent", "consent_ok", "ask_budget"}, StageBudget, InProgress, 0},
		{"fragments after an answer are not re-prompted", w,
			append(slices.Clone(consented), burstMsg{time.Minute, "Carlos"}, burstMsg{time.Second, "👍"}, burstMsg{time.Second, "..."}),
			[]string{"greeting", "consent", "consent_ok", "ask_city"}, StageCity, InProgress, 0},
		{"a voice note in a burst is asked to be written, without a second question", w,
			append(slices.Clone(consented), burstMsg{time.Minute, "Carlos"}, burstMsg{time.Second, "@audio"}),
			[]string{"greeting", "consent", "consent_ok", "ask_city", "non_text"}, StageCity, InProgress, 0},
		{"a command in a burst is carried out; the held question is withdrawn", w,
			[]burstMsg{{0, "hola"}, {time.Second, "asesor"}},
			[]string{"greeting", "handoff"}, StageConsent, Handoff, 0},
		{"a pause as long as the window ends the burst", w,
			[]burstMsg{{0, "hola"}, {w, "quiero"}},
			[]string{"greeting", "consent", "consent_confirm"}, StageConsent, InProgress, 1},
		{"window 0 is Step: every message answered", 0,
			[]burstMsg{{0, "hola"}, {500 * ms, "quiero"}},
			[]string{"greeting", "consent", "consent_confirm"}, StageConsent, InProgress, 1},
	}
	m := newTestMachine(t, Hot)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sent, s := runBurst(m, tc.window, tc.msgs)
			if !slices.Equal(sent, tc.want) {
				t.Errorf("sent %v; want %v", sent, tc.want)
			}
			if s.Stage != tc.stage || s.Status != tc.status || s.Failures != tc.failures {
				t.Errorf("state %s/%s failures %d; want %s/%s failures %d", s.Status, s.Stage, s.Failures, tc.status, tc.stage, tc.failures)
			}
		})
	}
}

func TestStepBurstAppliesEveryAnswerInOrder(t *testing.T) {
	m := newTestMachine(t, Hot)
	msgs := []burstMsg{{0, "hola"}, {time.Minute, "sí"}, {time.Minute, "Ana María"}, {time.Second, "Bucaramanga"},
		{time.Second, "2 millones"}, {time.Second, "1"}, {time.Second, "1"}}
	sent, s := runBurst(m, 3*time.Second, msgs)
	if s.Status != Completed || s.Answers.Name != "Ana María" || s.Answers.City == nil || s.Answers.City.Name != "Bucaramanga" ||
		s.Answers.Budget == nil || s.Answers.Budget.MaxCOP != 2_000_000 || s.Answers.Urgency != Immediate {
		t.Fatalf("burst of answers: %+v", s)
	}
	if got := strings.Join(sent, " "); got != "greeting consent consent_ok done" {
		t.Errorf("sent %q; want the questions answered within the burst withdrawn", got)
	}
}

// TestConsentEventCarriesTheEarlyLine: a consent answer whose text the
// store finds not sent yet is kept, not applied, and the person is told
// with the line the flow gives, in the conversation's language.
func TestConsentEventCarriesTheEarlyLine(t *testing.T) {
	m := newTestMachine(t, Hot)
	for _, tc := range []struct{ first, yes, want string }{
		{"hola", "sí acepto", "llegó antes que este aviso"},
		{"hi, I want a website", "yes", "arrived before this notice"},
	} {
		r := m.Step(State{}, text("a", tc.first), monday10)
		r = m.Step(r.State, text("b", tc.yes), monday10.Add(time.Minute))
		var early string
		for _, e := range r.Events {
			if e.Consent != nil {
				early = e.Consent.Early
			}
		}
		if !strings.Contains(early, tc.want) {
			t.Errorf("%q then %q: consent event's early line %q; want one with %q", tc.first, tc.yes, early, tc.want)
		}
	}
}
