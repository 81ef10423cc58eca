// Package assign decides which advisor a lead goes to, and from when that
// advisor can call it. It is pure: the store loads the candidates inside the
// lead's own transaction, calls Pick and persists the choice, so the rule
// lives and is tested here, without a database, and the SQL only loads and
// saves.
//
// An advisor may take a lead when they are not away, hold fewer open leads
// than their maximum, and sell the lead's service in the lead's place (no
// services or places listed: all). Among those, the ones on shift now come
// first; when nobody is, the one whose shift starts soonest takes the lead,
// and Rules.Deadline turns that moment into the deadline promised to the
// prospect, so the promise counts from when somebody can actually call.
package assign

import (
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Candidate is an advisor who may receive a lead: an active account in the
// rotation, with what the choice needs to know of them. The zero value of
// every field but ID is the permissive default: the agency's hours, no day
// off, available, no limit on open leads, every service, every place.
type Candidate struct {
	ID int64 // the account's id (users.id)
	// LastAssigned is when the advisor last received a lead; the zero time
	// if never.
	LastAssigned time.Time
	// Hours is the advisor's weekly shift, in the agency's time zone; nil
	// means the agency's opening hours (Rules.Agency).
	Hours *flow.Week
	// DaysOff are civil dates the advisor does not work (vacation, a
	// personal holiday), each as the time.Time at 00:00 UTC of the date, as
	// flow.Holiday.Date is; Colombian public holidays are off already.
	DaysOff []time.Time
	// Away is the live switch: an away advisor takes no lead until they
	// switch back, and there is no telling when, so they are not "soonest"
	// either.
	Away bool
	// MaxOpen is how many open (uncontacted) leads the advisor may hold; 0
	// means no limit. Open is how many they hold now.
	MaxOpen, Open int
	// Services are the catalogue keys the advisor sells; empty: every one.
	Services []string
	// Places are the cities (DANE code or name) or departments the advisor
	// covers; empty: everywhere.
	Places []string
}

// Lead is what the choice knows of the lead it places.
type Lead struct {
	// From is the advisor the lead is taken from because its deadline
	// passed with them; 0 for a new lead. The lead never goes back to them.
	From    int64
	Class   flow.Class // chooses the Mode
	Service string     // catalogue key; "" matches every advisor
	City    flow.City  // the zero City matches every advisor
}

// Mode is how the choice takes turns among the advisors available at the
// same moment.
type Mode uint8

// The modes, per class (Rules.Modes).
const (
	// Rotation: the advisor assigned least recently, as a plain round robin.
	Rotation Mode = iota
	// LeastLoaded: the advisor holding the fewest open leads, then rotation.
	LeastLoaded
)

// Rules are the agency's settings the choice reads.
type Rules struct {
	// Agency is the agency's business clock: its opening hours are the
	// shift of every advisor without their own Hours, its time zone the one
	// shifts and days off are read in. A disabled Calendar means advisors
	// without Hours are always on shift.
	Agency flow.Calendar
	// Modes says, per class, how turns are taken; a class not listed uses
	// Rotation.
	Modes map[flow.Class]Mode
}

// Choice is the advisor a lead goes to and the moment they can first
// work it: now when they are on shift, else the start of their next shift.
type Choice struct {
	Candidate
	At time.Time
}

// Pick returns the advisor a lead goes to at now: among the candidates
// eligible for it (see Candidate; never l.From), the one available
// soonest (now, if anybody is on shift), and among those available at the
// same moment the one whose turn it is under the class's Mode; on a full
// tie the lower ID. ok is false when nobody may take the lead (everybody
// away, full, unskilled or never on shift): it stays unassigned.
func Pick(candidates []Candidate, l Lead, r Rules, now time.Time) (ch Choice, ok bool) {
	mode := r.Modes[l.Class]
	for _, c := range candidates {
		if !eligible(c, l) {
			continue
		}
		at, avail := r.availableFrom(c, now)
		if !avail {
			continue
		}
		x := Choice{Candidate: c, At: at}
		if !ok || better(x, ch, mode) {
			ch, ok = x, true
		}
	}
	return ch, ok
}

// eligible reports whether c may take l at all, whatever the hour.
func eligible(c Candidate, l Lead) bool {
	switch {
	case l.From != 0 && c.ID == l.From, c.Away:
		return false
	case c.MaxOpen > 0 && c.Open >= c.MaxOpen:
		return false
	}
	return sells(c.Services, l.Service) && covers(c.Places, l.City)
}

// better reports whether a should take the lead rather than b.
func better(a, b Choice, mode Mode) bool {
	if !a.At.Equal(b.At) {
		return a.At.Before(b.At)
	}
	if mode == LeastLoaded && a.Open != b.Open {
		return a.Open < b.Open
	}
	if !a.LastAssigned.Equal(b.LastAssigned) {
		return a.LastAssigned.Before(b.LastAssigned)
	}
	return a.ID < b.ID
}
