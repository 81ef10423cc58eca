package bot

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"
)

// DemoChannel and DemoAccount name the channel and account of the
// conversations made up by SeedDemo.
const (
	DemoChannel = "demo"
	DemoAccount = "demo"
)

// Answer pools for demo prospects, written the way people type them.
var (
	demoNames = []string{"me llamo carlos andrés", "Soy Ana María", "LAURA GÓMEZ", "juan pablo", "mi nombre es Diana Restrepo", "Andrés",
		"soy felipe ochoa", "Valentina", "camilo torres", "Natalia Vélez", "Santiago Arango", "me llamo Mariana Cardona", "SEBASTIÁN RÍOS",
		"soy Paula Andrea", "Julián Zapata", "Daniela", "mi nombre es Alejandro Pérez", "catalina muñoz", "Esteban Gaviria", "Sara Londoño",
		"soy Luisa Fernanda", "Mateo Quintero", "Isabella Rojas", "me llamo jorge iván", "Manuela Osorio", "David Castaño", "Carolina Giraldo",
		"Nicolás Henao", "soy Juliana", "Ricardo Benítez", "Tatiana Salazar", "Óscar Mejía", "me llamo Verónica", "Hernán Duque",
		"Lina María Sierra", "Gabriel Patiño", "Melissa Arias", "soy andrés felipe", "Yuliana Correa", "Mauricio Villa"}
	demoCities   = []string{"medallo", "bogota", "Cali", "barranquilla", "Bucaramanga", "pereira", "Manizales", "cartagena", "villavo", "Chía, Cundinamarca", "envigado", "santa marta"}
	demoBudgets  = []string{"2 millones", "500 mil", "$3.000.000", "entre 1 y 2 millones", "1,5 millones", "no sé", "800k", "5 millones", "dos millones", "USD 500"}
	demoUrgency  = []string{"pa' ya", "urgente", "esta semana", "el otro mes", "sin afán", "solo estoy mirando", "1", "2", "3", "en diciembre"}
	demoServices = []string{"página web", "facebook ads", "redes sociales", "SEO", "branding", "1", "email marketing", "pauta en google", "tienda virtual"}
)

// demoScript makes up one prospect's messages. Some refuse consent, some
// stop halfway (partial leads), some ask for a person, most finish.
func demoScript(r *rand.Rand) []string {
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	msgs := []string{pick([]string{"hola", "Buenas tardes", "info", "hola, quiero información"})}
	switch x := r.IntN(20); {
	case x == 0:
		return append(msgs, "no")
	case x == 1:
		return append(msgs, "sí", pick(demoNames), "asesor")
	case x <= 3:
		return append(msgs, "si acepto", pick(demoNames), pick(demoCities))
	}
	return append(msgs, "sí", pick(demoNames), pick(demoCities), pick(demoBudgets), pick(demoUrgency), pick(demoServices))
}

// DemoSpan is how much waking time (07:00–21:00 in Bogotá, when the demo
// history's prospects write too) before the demo's start its made-up
// prospects wrote in: a working day's queue, most leads due in the coming
// hours.
const DemoSpan = 8 * time.Hour

// SeedDemo makes up n prospects who wrote, evenly spread, during the
// DemoSpan of waking time before end, and runs their conversations through
// the real flow and store on clock (the caller's store should record times
// from the same clock, so that a lead's consent, messages and completion
// agree). The seed makes it reproducible. It returns the number of
// messages handled.
func SeedDemo(ctx context.Context, b *Bot, clock *Clock, end time.Time, n int, seed uint64) (int, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) // #nosec G404 -- seeded: the same seed gives the same demo
	starts := wakingTimes(end, DemoSpan, n)
	total := 0
	for i := range n {
		clock.Set(starts[i])
		sim := &Simulator{Bot: b, Clock: clock, Account: DemoAccount, Phone: fmt.Sprintf("+5730%08d", 10_000_000+i),
			IDPrefix: fmt.Sprintf("demo-%d-%d", seed, i), Step: 40 * time.Second}
		for _, m := range demoScript(r) {
			l, err := ParseScriptLine(m)
			if err != nil {
				return total, err
			}
			if _, err := sim.send(ctx, l, DemoChannel); err != nil {
				return total, fmt.Errorf("demo prospect %d: %w", i, err)
			}
			total++
		}
	}
	return total, nil
}

var bogota = func() *time.Location {
	if l, err := time.LoadLocation("America/Bogota"); err == nil {
		return l
	}
	return time.FixedZone("COT", -5*3600) // Colombia has no daylight saving time
}()

// wakingTimes returns n instants, oldest first, spread evenly over the span
// of waking time (07:00–21:00 Bogotá) that ends at end; the minutes of the
// night do not count.
func wakingTimes(end time.Time, span time.Duration, n int) []time.Time {
	awake := func(t time.Time) bool { h := t.In(bogota).Hour(); return h >= 7 && h < 21 }
	var minutes []time.Time // waking minutes, newest first
	for t := end.Truncate(time.Minute); len(minutes) < int(span/time.Minute); t = t.Add(-time.Minute) {
		if awake(t) {
			minutes = append(minutes, t)
		}
	}
	out := make([]time.Time, n)
	for i := range out {
		// The i-th oldest of n evenly spaced points over the waking minutes.
		k := len(minutes) - 1 - i*len(minutes)/max(n, 1)
		out[i] = minutes[k]
	}
	return out
}
