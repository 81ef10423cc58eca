package flow

import (
	"slices"
	"strings"

	"github.com/cis-agencia/cis/flow/place"
)

// A budget typed in two messages, as people send it: "entre 1" and then
// "y 2 millones" (inside the linked device's wait, or just after). The
// first part is read as an answer on its own (one million) and the
// question moves on; the second is no answer to the next question, so it
// was re-prompted (or, inside a burst, ignored) and the range was lost.
// Right after the budget was answered with one amount, a message that
// continues it ("y …", "a …", "hasta …") with a higher amount makes the
// answer the range between the two.

// rangeWords open the second half of a range.
var rangeWords = []string{"y", "a", "hasta"}

// continuesBudget applies such a message and reports whether it did.
func (t *turn) continuesBudget() bool {
	prev := t.s.Answers.Budget
	if t.s.Last != StageBudget || t.s.Stage.main() == StageBudget || prev == nil || prev.Unknown ||
		prev.MinCOP != prev.MaxCOP || !t.isText() {
		return false
	}
	w := t.words().words
	if len(w) < 2 || !slices.Contains(rangeWords, w[0]) {
		return false
	}
	b := t.found().budget
	// "y 2 millones" reads as one amount, "hasta 3 millones" as a range
	// from below the first amount.
	if b == nil || b.Unknown || b.MaxCOP <= prev.MaxCOP || (b.MinCOP != b.MaxCOP && b.MinCOP > prev.MaxCOP) {
		return false
	}
	t.s.Answers.Budget = &Budget{MinCOP: prev.MinCOP, MaxCOP: b.MaxCOP}
	if !t.burst {
		t.say("noted")
		t.ask()
	}
	return true
}

// continuesName: "Carlos" and, inside the wait, "Pérez". The city question
// is still held, so the person has not been asked anything yet: a bare
// name after a bare first name is the rest of it, not a place abroad to
// confirm. A place the city question knows ("Carlos" / "Pereira", a
// city abroad it knows) stays the place.
func (t *turn) continuesName() bool {
	if !t.burst || t.s.Last != StageName || t.s.Stage != StageCity || !t.isText() ||
		t.s.Answers.Name == "" || strings.Contains(t.s.Answers.Name, " ") {
		return false
	}
	if w := t.words().words; len(w) == 0 || len(w) > 2 {
		return false
	}
	if t.m.places.Region(t.in.Text) >= 0 || t.m.places.Parse(t.in.Text).Match != place.CityNotFound {
		return false // a place the city question would take, known abroad included
	}
	more, ok := ParseName(t.in.Text)
	if !ok {
		return false
	}
	t.s.Answers.Name += " " + more
	return true
}
