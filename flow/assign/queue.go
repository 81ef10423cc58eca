package assign

import "time"

// Placement is a waiting lead Drain placed: its index in the waiting list
// and the advisor it goes to.
type Placement struct {
	Index int
	Choice
}

// Drain places the leads of the shared queue (leads nobody could take when
// they completed: every eligible advisor away, full or unskilled), in the
// order given, the oldest promise first. It is Pick for each lead in turn,
// each placement counting against the advisor's capacity and turn before
// the next lead is placed, so a batch never overfills anyone. Leads still
// without an advisor are left out of the result: they keep waiting.
// candidates is not modified.
func Drain(waiting []Lead, candidates []Candidate, r Rules, now time.Time) []Placement {
	cs := append([]Candidate(nil), candidates...)
	var out []Placement
	for i, l := range waiting {
		ch, ok := Pick(cs, l, r, now)
		if !ok {
			continue
		}
		out = append(out, Placement{Index: i, Choice: ch})
		for j := range cs {
			if cs[j].ID == ch.ID {
				cs[j].Open++
				cs[j].LastAssigned = now
			}
		}
	}
	return out
}

// Idle reports whether c, whose last dashboard activity was at lastActive,
// is to be switched away at now: they were on shift at every check of the
// last idle period (its start and now) and did nothing in it. An advisor
// never seen on the dashboard (lastActive zero) works from the WhatsApp
// notifications alone and is never switched away; one off shift is not
// idle, so nobody comes back in the morning to find themselves away
// before their shift's first idle period has passed.
func (r Rules) Idle(c Candidate, lastActive, now time.Time, idle time.Duration) bool {
	if c.Away || idle <= 0 || lastActive.IsZero() || now.Sub(lastActive) < idle {
		return false
	}
	from := now.Add(-idle)
	if at, ok := r.availableFrom(c, from); !ok || !at.Equal(from) {
		return false
	}
	at, ok := r.availableFrom(c, now)
	return ok && at.Equal(now)
}
