// Package assign decides which advisor a lead goes to. It is pure: the store
// loads the candidates inside the lead's own transaction, calls Pick and
// persists the choice, so the rule lives and is tested here, without a
// database, and the SQL only loads and saves.
//
// The rule today is round robin over the advisors named in --advisors.
// Rules that need more facts (working hours, how many open leads an advisor
// holds, the services they sell) belong here too: Candidate and Lead gain
// the fields they read, the store loads them, and Pick filters the
// candidates before it takes turns.
package assign

import "time"

// Candidate is an advisor who may receive a lead: an active account in the
// rotation.
type Candidate struct {
	ID int64 // the account's id (users.id)
	// LastAssigned is when the advisor last received a lead; the zero time
	// if never.
	LastAssigned time.Time
}

// Lead is what the choice knows of the lead it places.
type Lead struct {
	// From is the advisor the lead is taken from because its deadline
	// passed with them; 0 for a new lead. The lead never goes back to them.
	From int64
}

// Pick returns the candidate whose turn it is: the one assigned least
// recently, the lower ID first on a tie (so advisors who never had a lead
// take turns in the order their accounts were made), never l.From. ok is
// false when no candidate may take the lead: it stays unassigned.
func Pick(candidates []Candidate, l Lead) (c Candidate, ok bool) {
	for _, x := range candidates {
		if x.ID == l.From && l.From != 0 {
			continue
		}
		if !ok || before(x, c) {
			c, ok = x, true
		}
	}
	return c, ok
}

// before reports whether a's turn comes before b's.
func before(a, b Candidate) bool {
	if !a.LastAssigned.Equal(b.LastAssigned) {
		return a.LastAssigned.Before(b.LastAssigned)
	}
	return a.ID < b.ID
}
