package flow

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	_ "time/tzdata"
)

// fixedScorer classifies every lead the same way, so flow tests do not
// depend on the scoring rules.
type fixedScorer Class

func (f fixedScorer) Score(Lead) Score {
	return Score{Class: Class(f), Probability: 0.5, Model: "fixed"}
}

func newTestMachine(tb testing.TB, class Class) *Machine {
	tb.Helper()
	loc, err := time.LoadLocation("America/Bogota")
	if err != nil {
		tb.Fatal(err)
	}
	m, err := New(DefaultConfig(loc), fixedScorer(class))
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

// monday10 is inside business hours.
var monday10 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)

func text(id, s string) Inbound {
	return Inbound{Channel: "chat", Account: "a", ID: id, From: "+573001234567", Kind: KindText, Text: s}
}

// converse feeds messages one minute apart and returns the last result.
func converse(m *Machine, start time.Time, msgs ...string) Result {
	var r Result
	for i, msg := range msgs {
		r = m.Step(r.State, text(string(rune('a'+i)), msg), start.Add(time.Duration(i)*time.Minute))
	}
	return r
}

func keys(r Result) []string {
	var k []string
	for _, rep := range r.Replies {
		k = append(k, rep.Key)
	}
	return k
}

func TestCompletedLeadByClass(t *testing.T) {
	tests := []struct {
		class  Class
		window time.Duration
		phrase string
	}{
		{Hot, 25 * time.Minute, "en los próximos 25 minutos"},
		{Warm, 90 * time.Minute, "en la próxima hora y media"},
		{Cold, 6 * time.Hour, "en las próximas 6 horas"}, // Monday 10:06 + 6 h is before the 18:00 close
	}
	for _, tt := range tests {
		t.Run(string(tt.class), func(t *testing.T) {
			m := newTestMachine(t, tt.class)
			r := converse(m, monday10, "hola", "sí", "Carlos", "Medellín", "2 millones", "ya", "seo")
			if r.State.Status != Completed {
				t.Fatalf("status = %s; replies %v", r.State.Status, keys(r))
			}
			var ev *Event
			for i := range r.Events {
				if r.Events[i].Kind == EventLeadCompleted {
					ev = &r.Events[i]
				}
			}
			if ev == nil || ev.Lead == nil || ev.Score == nil {
				t.Fatalf("no LeadCompleted event with lead and score: %+v", r.Events)
			}
			done := monday10.Add(6 * time.Minute)
			want := m.cfg.Calendar.Deadline(done, tt.window)
			if !ev.Deadline.Equal(want) || ev.Deadline.Location() != time.UTC {
				t.Errorf("deadline = %v; want %v in UTC", ev.Deadline, want)
			}
			if got := r.Replies[len(r.Replies)-1].Text; !strings.Contains(got, tt.phrase) || !strings.HasPrefix(got, "Gracias, Carlos.") {
				t.Errorf("closing reply = %q; want it to start with the seed wording and contain %q", got, tt.phrase)
			}
			l := ev.Lead
			if l.Name != "Carlos" || l.City.Code != "05001" || l.Budget.MinCOP != 2e6 || l.Urgency != Immediate || l.Service != "seo" {
				t.Errorf("lead = %+v", l)
			}
		})
	}
}

func TestSeedWording(t *testing.T) {
	m := newTestMachine(t, Hot)
	r := converse(m, monday10, "hola", "sí", "me llamo carlos", "Bogotá", "3 millones", "urgente", "diseño web")
	want := "Gracias, Carlos. Un asesor te contactará en los próximos 25 minutos."
	if got := r.Replies[len(r.Replies)-1].Text; got != want {
		t.Errorf("closing reply = %q; want %q", got, want)
	}
}

// TestConsentBeforeAnyPersonalQuestion: an opener full of answers gets the
// consent text first; the answers are held in the state only, not taken as
// answers, and nothing unclear is taken as consent.
func TestConsentBeforeAnyPersonalQuestion(t *testing.T) {
	m := newTestMachine(t, Hot)
	r := m.Step(State{}, text("1", "Hola, soy Carlos de Medellín y tengo 2 millones"), monday10)
	if r.State.Stage != StageConsent || !reflect.DeepEqual(r.State.Answers, Answers{}) || len(r.Events) != 0 {
		t.Fatalf("first message: stage %s answers %+v events %v; want consent asked and nothing answered", r.State.Stage, r.State.Answers, r.Events)
	}
	if h := r.State.Held; h.Name != "Carlos" || h.City == nil || h.City.Code != "05001" || h.Budget == nil || h.Budget.MaxCOP != 2e6 {
		t.Errorf("held answers = %+v; want Carlos, Medellín, 2 millones kept until the consent", h)
	}
	consent := r.Replies[len(r.Replies)-1].Text
	for _, must := range []string{"Agencia Demo", "datos@agencia.example", "https://agencia.example/privacidad", "Ley 1581",
		"calificarla", "voluntario", "mis datos", "corregir", "borrar mis datos", "salir", "mayor de edad", "SÍ", "NO"} {
		if !strings.Contains(consent, must) {
			t.Errorf("consent text lacks %q (RELIABILITY C-1):\n%s", must, consent)
		}
	}
	for _, unclear := range []string{"hola", "Carlos", "tal vez", "👍", "bueno, ¿y qué hacen con mis datos?", "sí pero no"} {
		r2 := m.Step(r.State, text("2", unclear), monday10)
		if r2.State.Stage != StageConsent || r2.State.ConsentPolicy != "" || len(r2.Events) != 0 {
			t.Errorf("%q was taken as consent: %+v", unclear, r2.State)
		}
	}
}

// TestHeldAnswersAfterConsent: the answers of the opener are used once the
// consent is given, only the missing questions are asked, and everything
// read from other messages is confirmed in one message before completing.
func TestHeldAnswersAfterConsent(t *testing.T) {
	m := newTestMachine(t, Hot)
	r := converse(m, monday10, "Hola, soy Laura de Barranquilla, necesito SEO, tengo 1.5 millones y lo necesito ya", "dale")
	if r.State.Stage != StageConfirm || !reflect.DeepEqual(keys(r), []string{"consent_thanks", "confirm"}) {
		t.Fatalf("after the consent: stage %s replies %v; want the confirmation", r.State.Stage, keys(r))
	}
	r = m.Step(r.State, text("z", "sí"), monday10.Add(time.Hour))
	l := completedLead(t, r)
	if l.Name != "Laura" || l.City.Code != "08001" || l.Budget.MaxCOP != 1.5e6 || l.Urgency != Immediate || l.Service != "seo" {
		t.Errorf("lead = %+v", l)
	}
}

func completedLead(t *testing.T, r Result) *Lead {
	t.Helper()
	for _, e := range r.Events {
		if e.Kind == EventLeadCompleted {
			return e.Lead
		}
	}
	t.Fatalf("no lead completed: status %s replies %v", r.State.Status, keys(r))
	return nil
}

func TestRefusalKeepsOnlyTheRefusal(t *testing.T) {
	m := newTestMachine(t, Hot)
	r := converse(m, monday10, "hola, soy Carlos de Medellín", "no")
	if r.State.Status != Refused || len(r.Events) != 1 || r.Events[0].Consent == nil || r.Events[0].Consent.Accepted {
		t.Fatalf("refusal: status %s events %+v", r.State.Status, r.Events)
	}
	if !reflect.DeepEqual(r.State.Held, Answers{}) {
		t.Errorf("held answers kept after a refusal: %+v", r.State.Held)
	}
	after := m.Step(r.State, text("x", "Carlos Pérez"), monday10.Add(time.Hour))
	if len(after.Replies) != 0 || !reflect.DeepEqual(after.State.Answers, Answers{}) {
		t.Errorf("after a refusal the bot parsed or answered free text: %+v", after)
	}
}

func TestStepIsDeterministic(t *testing.T) {
	m := newTestMachine(t, Warm)
	msgs := []string{"hola", "sí", "Ana", "La Unión", "1", "no sé", "esta semana", "2"}
	a := converse(m, monday10, msgs...)
	b := converse(m, monday10, msgs...)
	if !reflect.DeepEqual(a, b) {
		t.Errorf("same inputs, different results:\n%+v\n%+v", a, b)
	}
}

func TestStateSurvivesJSON(t *testing.T) {
	// store saves State as JSON between any two messages: a conversation
	// resumed from its JSON must behave as one never saved.
	m := newTestMachine(t, Hot)
	msgs := []string{"hola", "sí", "Ana", "La Unión", "2", "50 mil", "sí", "ya", "3"}
	var direct, viaJSON Result
	for i, msg := range msgs {
		now := monday10.Add(time.Duration(i) * time.Minute)
		direct = m.Step(direct.State, text("x", msg), now)
		raw, err := json.Marshal(viaJSON.State)
		if err != nil {
			t.Fatal(err)
		}
		var s State
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatal(err)
		}
		viaJSON = m.Step(s, text("x", msg), now)
	}
	if !reflect.DeepEqual(keys(direct), keys(viaJSON)) || direct.State.Status != viaJSON.State.Status {
		t.Errorf("JSON round trip changed the conversation: %v vs %v", keys(direct), keys(viaJSON))
	}
}

func TestExpire(t *testing.T) {
	m := newTestMachine(t, Hot)
	r := converse(m, monday10, "hola", "sí", "Ana")
	if _, ok := m.Expire(r.State, r.State.UpdatedAt.Add(23*time.Hour)); ok {
		t.Error("expired before the idle timeout")
	}
	x, ok := m.Expire(r.State, r.State.UpdatedAt.Add(25*time.Hour))
	if !ok || x.State.Status != Abandoned || x.State.Answers.Name != "Ana" {
		t.Fatalf("Expire = %+v, %v; want abandoned keeping the name", x.State, ok)
	}
	back := m.Step(x.State, text("y", "Cali"), r.State.UpdatedAt.Add(26*time.Hour))
	if back.State.Status != InProgress || back.State.Answers.City == nil {
		t.Errorf("writing again after abandonment: %+v", back.State)
	}
}

func FuzzStep(f *testing.F) {
	for _, s := range []string{"hola", "sí", "no", "Carlos", "La Unión", "2 millones", "ya", "1", "salir", "atrás", "", "\x00", "🙂", strings.Repeat("a", 5000)} {
		f.Add(s, s)
	}
	m := newTestMachine(f, Hot)
	f.Fuzz(func(t *testing.T, a, b string) {
		r := converse(m, monday10, "hola", "sí", a, b, a, b, b, a)
		if r.State.Version != StateVersion || r.State.Status == "" {
			t.Fatalf("bad state after %q, %q: %+v", a, b, r.State)
		}
		for _, rep := range r.Replies {
			if rep.Key == "" || rep.Text == "" {
				t.Fatalf("empty reply after %q, %q: %+v", a, b, r.Replies)
			}
		}
	})
}

func BenchmarkFlowStep(b *testing.B) {
	m := newTestMachine(b, Hot)
	msgs := []string{"hola", "sí", "me llamo carlos andrés", "medallo", "2 millones", "pa' ya", "facebook ads"}
	b.ReportAllocs()
	i := 0
	var s State
	for b.Loop() {
		r := m.Step(s, text("x", msgs[i]), monday10.Add(time.Duration(i)*time.Minute))
		s = r.State
		i++
		if i == len(msgs) {
			i, s = 0, State{}
		}
	}
}

// BenchmarkFlowStepSentences is BenchmarkFlowStep on conversations written
// the way issue 13 found prospects write: several answers in one message,
// a correction, a casual yes, a region, an English opener.
func BenchmarkFlowStepSentences(b *testing.B) {
	m := newTestMachine(b, Hot)
	convs := [][]string{
		{"Hola, soy Laura de Barranquilla, necesito SEO, tengo 1.5 millones y lo necesito ya", "dale", "sí"},
		{"buenas tardes", "ok dale", "Ramiro", "Estoy en Cali y tengo como 2 millones", "perdón, me equivoqué, es Palmira",
			"cuando tenga la plata", "redes sociales y pauta", "sí"},
		{"Hi, I'd like some information", "yes", "John", "en el eje cafetero", "2", "2 million", "asap", "website"},
	}
	b.ReportAllocs()
	c, i := 0, 0
	var s State
	for b.Loop() {
		r := m.Step(s, text("x", convs[c][i]), monday10.Add(time.Duration(i)*time.Minute))
		s = r.State
		if i++; i == len(convs[c]) {
			c, i, s = (c+1)%len(convs), 0, State{}
		}
	}
}

// TestLeadEngagement: the lead carries how many answers were not understood
// and how long the questions took from the consent on; a restart clears the
// count with the answers.
func TestLeadEngagement(t *testing.T) {
	tests := []struct {
		name        string
		msgs        []string
		wantRetries int
		wantSeconds int64
	}{
		{"clean", []string{"hola", "sí", "Carlos", "Medellín", "2 millones", "ya", "seo"}, 0, 5 * 60},
		{"two not understood", []string{"hola", "sí", "Carlos", "Medellín", "mucho", "2 millones", "ya", "???", "seo"}, 2, 7 * 60},
		{"consent retry is not timed", []string{"hola", "eh", "sí", "Carlos", "Medellín", "2 millones", "ya", "seo"}, 1, 5 * 60},
		{"restart clears", []string{"hola", "sí", "Carlos", "xx", "reiniciar", "Carlos", "Medellín", "2 millones", "ya", "seo"}, 0, 8 * 60},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := converse(newTestMachine(t, Hot), monday10, tt.msgs...)
			var lead *Lead
			for _, e := range r.Events {
				if e.Kind == EventLeadCompleted {
					lead = e.Lead
				}
			}
			if lead == nil || lead.Engagement == nil {
				t.Fatalf("no lead with engagement; replies %v", keys(r))
			}
			if g := lead.Engagement; g.Retries != tt.wantRetries || g.Seconds != tt.wantSeconds || g.Returning {
				t.Errorf("engagement = %+v; want %d retries, %d s, not returning", *g, tt.wantRetries, tt.wantSeconds)
			}
		})
	}
}
