package bot

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.mau.fi/whatsmeow/types/events"

	"github.com/cis-agencia/cis/flow"
)

// Whole conversations on the linked device as prospects type them: several
// messages inside the bot's wait (the debounce, 3 s here), on the real
// channel, bot and store (PostgreSQL under CIS_TEST_PG_ALL), with the
// clock moved by hand. The bug behind them: "hola" and "sí acepto" in one
// burst. The yes came before the consent text reached the person, so it
// cannot count (Ley 1581: informed consent), but it was dropped without a
// word: the person, sure they had accepted, waited for the next question
// while the bot waited for their yes, and their next answers (a name, a
// city) were taken for unclear consent answers until a person was called.

// prospect types on the linked device of a waEnv.
type prospect struct {
	e    *waEnv
	n    int
	seen int // replies already read
}

// say sends text gap after the previous message and returns its event.
func (p *prospect) say(t *testing.T, gap time.Duration, text string) any {
	t.Helper()
	p.e.h.clock.Add(gap)
	p.n++
	evt := waText(fmt.Sprintf("B%02d", p.n), text, p.e.h.clock.Now())
	if !p.e.wa.HandleEvent(evt) {
		t.Fatalf("%q not acknowledged", text)
	}
	return evt
}

// read waits out the debounce, lets the channel send, and returns what
// arrived since the last read.
func (p *prospect) read(t *testing.T) []string {
	t.Helper()
	p.e.h.clock.Add(3 * time.Second)
	all := p.e.drain(t)
	got := all[p.seen:]
	p.seen = len(all)
	return got
}

// expect checks that the replies read are, in order, the texts containing
// each of want.
func expect(t *testing.T, step string, got []string, want ...string) {
	t.Helper()
	ok := len(got) == len(want)
	for i := 0; ok && i < len(want); i++ {
		ok = strings.Contains(got[i], want[i])
	}
	if !ok {
		t.Errorf("%s: replies\n%s\nwant, in order, texts with %q", step, strings.Join(got, "\n---\n"), want)
	}
}

const (
	greetingText = "Soy el asistente virtual"
	consentText  = "Ley 1581"
	earlyText    = "llegó antes que este aviso"
)

func (p *prospect) state(t *testing.T) flow.State {
	t.Helper()
	v, err := p.e.h.st.Conversation(context.Background(), WhatsAppChannel, agencyNumber, "+"+prospectPN)
	if err != nil {
		t.Fatal(err)
	}
	return v.State
}

// TestBurstEarlyConsentBecomesALead is the conversation of the bug, to
// the lead: the early yes gets a word, the person repeats it, and bursts
// at the next steps ("Carlos Pérez" + "de Medallo" + "2 millones") are
// each applied, with one question for the burst.
func TestBurstEarlyConsentBecomesALead(t *testing.T) {
	p := &prospect{e: newWAEnv(t)}
	p.say(t, 0, "hola")
	p.say(t, 400*time.Millisecond, "sí acepto")
	expect(t, "hola + sí acepto", p.read(t), greetingText, consentText, earlyText)
	if s := p.state(t); s.Stage != flow.StageConsent || s.Failures != 0 || s.ConsentPolicy != "" {
		t.Fatalf("after the burst: at %s, %d failures, consent %q; want the consent step, no failure, no consent yet", s.Stage, s.Failures, s.ConsentPolicy)
	}
	p.say(t, 20*time.Second, "sí")
	expect(t, "the yes repeated", p.read(t), "¿Cómo te llamas?")
	p.say(t, 20*time.Second, "Carlos Pérez")
	p.say(t, time.Second, "de Medallo")
	p.say(t, 1500*time.Millisecond, "2 millones")
	expect(t, "name, city, budget in one burst", p.read(t), "¿Para cuándo")
	p.say(t, 20*time.Second, "pa' ya")
	p.say(t, 800*time.Millisecond, "pauta en redes")
	got := p.read(t)
	s := p.state(t)
	a := s.Answers
	if s.Status != flow.Completed || a.Name != "Carlos Pérez" || a.City == nil || a.City.Code != "05001" ||
		a.Budget == nil || a.Budget.MaxCOP != 2_000_000 || a.Urgency != flow.Immediate || a.Service != "ads" {
		t.Fatalf("conversation %s at %s with %+v (city %+v, budget %+v); want a completed lead from Medellín, 2 millones, now, paid ads\nlast replies: %q",
			s.Status, s.Stage, a, a.City, a.Budget, got)
	}
	if len(got) != 1 || !strings.Contains(got[0], "Carlos") {
		t.Errorf("urgency + service in one burst: replies %q; want the one closing message", got)
	}
}

// TestBurstEarlyConsentSiblings: the same early yes across what the world
// does to a burst.
func TestBurstEarlyConsentSiblings(t *testing.T) {
	tests := []struct {
		name string
		run  func(t *testing.T, p *prospect) []string // the replies to the burst
	}{
		{"the process restarts inside the burst", func(t *testing.T, p *prospect) []string {
			p.say(t, 0, "hola")
			p.e.h.restart() // a deploy: store, bot and channel anew
			p.e.attach(t)
			p.say(t, 500*time.Millisecond, "sí acepto")
			return p.read(t)
		}},
		{"the yes is redelivered inside the burst", func(t *testing.T, p *prospect) []string {
			p.say(t, 0, "hola")
			yes := p.say(t, 300*time.Millisecond, "sí acepto")
			p.e.h.clock.Add(300 * time.Millisecond)
			if !p.e.wa.HandleEvent(yes) {
				t.Fatal("redelivery not acknowledged")
			}
			if n := p.e.inboundCount(t); n != 2 {
				t.Errorf("%d messages stored; want 2 (the redelivery once)", n)
			}
			return p.read(t)
		}},
		{"the yes comes after the wait but before the consent text left", func(t *testing.T, p *prospect) []string {
			p.say(t, 0, "hola")
			p.say(t, 3500*time.Millisecond, "sí acepto") // the sender had not sent yet (typing, pacing)
			return p.read(t)
		}},
		{"the yes comes while the consent text is being typed (claimed, not sent)", func(t *testing.T, p *prospect) []string {
			p.say(t, 0, "hola")
			typing := 0
			p.e.onSleep = func(d time.Duration) {
				if d != time.Second { // the channel's typing time here; the rest is pacing
					return
				}
				if typing++; typing == 2 { // the greeting went; the consent text is in hand
					p.e.onSleep = nil
					p.say(t, 0, "sí acepto")
				}
			}
			got := p.read(t) // the greeting and the consent text, once each
			return append(got, p.read(t)...)
		}},
		{"the yes is said twice in the burst", func(t *testing.T, p *prospect) []string {
			p.say(t, 0, "hola")
			p.say(t, 300*time.Millisecond, "sí acepto")
			p.say(t, 300*time.Millisecond, "sí")
			return p.read(t)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := &prospect{e: newWAEnv(t)}
			expect(t, tc.name, tc.run(t, p), greetingText, consentText, earlyText)
			if s := p.state(t); s.Stage != flow.StageConsent || s.Failures != 0 || s.ConsentPolicy != "" {
				t.Fatalf("after the burst: at %s, %d failures, consent %q; want the consent step, no failure, no consent yet", s.Stage, s.Failures, s.ConsentPolicy)
			}
			p.say(t, 20*time.Second, "sí, acepto")
			expect(t, "the yes repeated after reading", p.read(t), "¿Cómo te llamas?")
		})
	}
}

// TestBurstAcrossARestartAtALaterStep: "Carlos", a restart (a deploy), then
// "de Medallo" inside the wait, delivered by WhatsApp once the device is
// back. The question held for "Carlos" (the city) must not go out after the
// restart: the burst gets one question, the budget.
func TestBurstAcrossARestartAtALaterStep(t *testing.T) {
	p := &prospect{e: newWAEnv(t)}
	p.say(t, 0, "hola")
	p.read(t)
	p.say(t, 20*time.Second, "sí")
	expect(t, "the yes", p.read(t), "¿Cómo te llamas?")
	p.say(t, 20*time.Second, "Carlos")
	p.e.h.restart()
	p.e.attach(t)
	p.e.wa.HandleEvent(&events.Connected{})
	if n, err := p.e.wa.Flush(context.Background()); n != 0 || err != nil { // the sender wakes before the backlog comes
		t.Fatalf("sent %d (%v) before WhatsApp delivered the backlog; want 0: the burst may go on", n, err)
	}
	p.say(t, 600*time.Millisecond, "de Medallo") // the offline backlog
	p.e.wa.HandleEvent(&events.OfflineSyncCompleted{})
	expect(t, "name and city across the restart", p.read(t), "presupuesto")
	if s := p.state(t); s.Stage != flow.StageBudget || s.Answers.Name != "Carlos" || s.Answers.City == nil || s.Answers.City.Code != "05001" {
		t.Errorf("after the burst: at %s with %+v; want the budget step, Carlos from Medellín", s.Stage, s.Answers)
	}
}

// TestBurstAnswerBeforeTheQuestionLeft: the debounce is over but the
// question is still being typed or paced when the person's next answer
// comes ("Carlos", then "de Medallo" 3.5 s later). The burst goes on while
// the replies are held: the city question is withdrawn, not sent after its
// answer, and the burst gets one question, the budget.
func TestBurstAnswerBeforeTheQuestionLeft(t *testing.T) {
	p := &prospect{e: newWAEnv(t)}
	p.say(t, 0, "hola")
	p.read(t)
	p.say(t, 20*time.Second, "sí")
	p.read(t)
	p.say(t, 20*time.Second, "Carlos")
	p.say(t, 3500*time.Millisecond, "de Medallo")
	expect(t, "Carlos, then de Medallo after the wait", p.read(t), "presupuesto")
	p.say(t, 20*time.Second, "2 millones")
	p.say(t, 3200*time.Millisecond, "mmm") // a fragment: no retry for a question not seen yet
	expect(t, "2 millones, then a fragment", p.read(t), "¿Para cuándo")
	if s := p.state(t); s.Stage != flow.StageUrgency || s.Failures != 0 {
		t.Errorf("at %s with %d failures; want the urgency step, no failure", s.Stage, s.Failures)
	}
}
