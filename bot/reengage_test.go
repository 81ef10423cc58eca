package bot

import (
	"context"
	"testing"
	"time"
)

// TestReengageOnceAfterConsent: only a person who gave consent and stopped
// halfway gets the reengage template, once, inside the Ley 2300 hours;
// nobody who refused consent, completed a lead or opted out does.
func TestReengageOnceAfterConsent(t *testing.T) {
	e := newCloudEnv(t, withTemplates(t))
	ctx := context.Background()
	const ana, beto, caro, dani = "573001110701", "573001110702", "573001110703", "573001110704"
	talk := func(phone string, texts ...string) {
		for i, text := range texts {
			e.h.clock.Add(15 * time.Second)
			e.say(t, phone, phone+"-"+string(rune('a'+i)), text, e.h.clock.Now())
		}
	}
	talk(ana, "Hola, quiero información", "Sí", "Ana Gómez") // stops at the city
	talk(beto, "Hola, quiero información")                   // never consented
	completeCloudLead(t, e, caro)
	talk(dani, "Hola, quiero información", "Sí", "no me escriban")
	r := &Reengager{Store: e.h.st, Templates: exampleTemplates(t), Idle: 24 * time.Hour, Lang: "es"}
	if n, err := r.Once(ctx); err != nil || n != 0 {
		t.Fatalf("re-engaged %d (%v) before anyone was silent a day", n, err)
	}
	// Tuesday 20:30 in Bogotá: silent for more than a day, outside the legal hours.
	bogota, _ := time.LoadLocation("America/Bogota")
	now := e.h.clock.Now().In(bogota)
	e.h.clock.Add(time.Date(now.Year(), now.Month(), now.Day()+1, 20, 30, 0, 0, bogota).Sub(now))
	before := map[string]int{}
	for _, p := range []string{ana, beto, caro, dani} {
		before[p] = len(e.graph.Received(p))
	}
	if n, err := r.Once(ctx); err != nil || n != 1 {
		t.Fatalf("re-engaged %d (%v); want ana only", n, err)
	}
	if n, _ := r.Once(ctx); n != 0 {
		t.Errorf("a second pass re-engaged %d more; want at most one per conversation", n)
	}
	e.flush(t)
	if got := e.graph.Received(ana); len(got) != before[ana] {
		t.Fatalf("the re-engagement left at 20:30, outside the Ley 2300 hours")
	}
	e.h.clock.Add(11 * time.Hour) // 07:30
	e.flush(t)
	got := e.graph.Received(ana)[before[ana]:]
	if len(got) != 1 || got[0].Template != "retomar_conversacion/es" {
		t.Fatalf("ana got %+v; want the reengage template once", got)
	}
	for _, p := range []string{beto, caro, dani} {
		if n := len(e.graph.Received(p)) - before[p]; n != 0 {
			t.Errorf("%s got %d messages; want none", p, n)
		}
	}
	// She answers, goes silent again: still no second re-engagement.
	talk(ana, "Sí, sigamos")
	e.h.clock.Add(30 * time.Hour)
	if n, _ := r.Once(ctx); n != 0 {
		t.Errorf("re-engaged %d again; want at most one per conversation", n)
	}
}
