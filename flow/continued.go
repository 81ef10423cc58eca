package flow

import "slices"

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
