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
	demoNames    = []string{"me llamo carlos andrés", "Soy Ana María", "LAURA GÓMEZ", "juan pablo", "mi nombre es Diana Restrepo", "Andrés", "soy felipe ochoa", "Valentina", "camilo torres", "Natalia Vélez"}
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

// DemoSpan is how long before the demo's start its made-up prospects
// wrote: a working day's queue, most leads due in the coming hours.
const DemoSpan = 8 * time.Hour

// SeedDemo makes up n prospects who wrote during the DemoSpan before end,
// and runs their conversations through the real flow and store on clock
// (the caller's store should record times from the same clock, so that a
// lead's consent, messages and completion agree). The seed makes it
// reproducible. It returns the number of messages handled.
func SeedDemo(ctx context.Context, b *Bot, clock *Clock, end time.Time, n int, seed uint64) (int, error) {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) // #nosec G404 -- seeded: the same seed gives the same demo
	start := end.Add(-DemoSpan)
	gap := DemoSpan / time.Duration(max(n, 1))
	total := 0
	for i := range n {
		clock.Set(start.Add(time.Duration(i) * gap))
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
