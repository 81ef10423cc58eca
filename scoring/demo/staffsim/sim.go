// Package staffsim replays a week of the demo agency's leads against a
// staff of advisors, to compare the plain round robin the product used to
// assign with with the availability-aware assignment of flow/assign
// (issue 20), under the same staffing and the same way of working. It is
// a model, not a measurement: docs/analytics.md states its assumptions.
package staffsim

import (
	"slices"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/scoring/demo"
)

// Policy is how leads are given to advisors.
type Policy int

// The policies compared.
const (
	// RoundRobin: each lead to the next advisor in a fixed rotation at
	// arrival, whoever is on shift, on holiday or full; the promise is the
	// agency's clock alone; a missed lead moves to the next in the rotation.
	RoundRobin Policy = iota
	// Availability: assign.Pick at arrival (on shift or soonest, under
	// capacity), the promise from assign.Rules.Deadline, the shared queue
	// drained every minute, a missed lead moved only to someone on shift.
	Availability
)

// Advisor is one person of the staff, as the admin form sets them.
type Advisor struct {
	Name    string
	Hours   string      // flow.ParseWeek syntax; "" the agency's hours
	DaysOff []time.Time // civil dates at 00:00 UTC
	MaxOpen int         // 0: no limit (the round robin ignores it)
}

// Config is one simulated week.
type Config struct {
	Leads    []demo.Lead // arrivals in [Start, End), in any order
	Advisors []Advisor
	Agency   flow.Calendar
	Windows  flow.Windows
	// Handle is how long one first contact keeps an advisor busy: on
	// shift and free, an advisor calls the oldest uncontacted lead they
	// hold.
	Handle     time.Duration
	Start, End time.Time
	// Drain is how long after End the advisors keep working, so leads of
	// the week's last hours are contacted (and counted) too.
	Drain time.Duration
	// AgencyClockPromise is a what-if of the promise rule for the
	// availability policy: the class window counted on the agency's clock
	// from the chosen advisor's first available moment, instead of on
	// that advisor's own shift (assign.Rules.Deadline).
	AgencyClockPromise bool
}

// Result is what a policy achieved over the week's leads.
type Result struct {
	Leads     int
	Contacted int // within the week plus Drain
	// KeptPromise: contacted by the deadline the prospect was told.
	KeptPromise int
	// InPlainWindow: contacted within the class window counted on the
	// agency's clock (the promise before issue 20): the same yardstick for
	// both policies, so a later promise cannot buy a better score.
	InPlainWindow int
	Median, P90   time.Duration // from arrival to first contact, contacted leads
	MedianPromise time.Duration // from arrival to the deadline told
	Reassigned    int
}

type lead struct {
	at, deadline, plain, contacted time.Time
	class                          flow.Class
	holder                         int64 // 0: nobody (the shared queue)
	reassigned                     bool
	facts                          assign.Lead
}

type sim struct {
	cfg    Config
	policy Policy
	rules  assign.Rules
	cands  []assign.Candidate
	busy   map[int64]time.Time
	leads  []*lead
	rr     int
}

// ClassOf is the simulation's class of a demo lead: its urgency (the
// demo history carries no score): now is hot, this month warm, later cold.
func ClassOf(l demo.Lead) flow.Class {
	switch l.Lead.Urgency {
	case flow.Immediate:
		return flow.Hot
	case flow.ThisMonth:
		return flow.Warm
	}
	return flow.Cold
}

// Run simulates the week minute by minute under policy.
func Run(cfg Config, policy Policy) Result {
	s := &sim{cfg: cfg, policy: policy, rules: assign.Rules{Agency: cfg.Agency}, busy: map[int64]time.Time{}}
	for i, a := range cfg.Advisors {
		c := assign.Candidate{ID: int64(i + 1), DaysOff: a.DaysOff, MaxOpen: a.MaxOpen}
		if a.Hours != "" {
			if w, err := flow.ParseWeek(a.Hours); err == nil {
				c.Hours = &w
			}
		}
		s.cands = append(s.cands, c)
	}
	// The demo draws each day's arrivals in no order.
	cfg.Leads = slices.Clone(cfg.Leads)
	slices.SortStableFunc(cfg.Leads, func(a, b demo.Lead) int { return a.Lead.CompletedAt.Compare(b.Lead.CompletedAt) })
	s.cfg = cfg
	next := 0
	for t := cfg.Start; t.Before(cfg.End.Add(cfg.Drain)); t = t.Add(time.Minute) {
		for ; next < len(cfg.Leads) && cfg.Leads[next].Lead.CompletedAt.Before(t.Add(time.Minute)); next++ {
			s.arrive(cfg.Leads[next], t)
		}
		if policy == Availability {
			s.drain(t)
		}
		s.sweep(t)
		s.work(t)
	}
	return s.result()
}

func (s *sim) arrive(d demo.Lead, t time.Time) {
	class := ClassOf(d)
	window := s.cfg.Windows.For(class)
	l := &lead{at: d.Lead.CompletedAt, class: class, facts: assign.Lead{Class: class, Service: d.Lead.Service, City: d.Lead.City}}
	l.plain = s.cfg.Agency.Deadline(l.at, window)
	s.leads = append(s.leads, l)
	if s.policy == RoundRobin {
		l.deadline, l.holder = l.plain, s.nextInRotation(0)
		return
	}
	ch, ok := assign.Pick(s.withOpen(t), l.facts, s.rules, t)
	l.deadline = s.rules.Deadline(l.at, window, ch)
	if s.cfg.AgencyClockPromise && ok {
		l.deadline = later(l.plain, s.cfg.Agency.Deadline(ch.At, window))
	}
	if ok {
		s.give(l, ch.ID, t)
	}
}

// nextInRotation is the round robin's next advisor, skipping from.
func (s *sim) nextInRotation(from int64) int64 {
	for {
		id := s.cands[s.rr%len(s.cands)].ID
		s.rr++
		if id != from {
			return id
		}
	}
}

// withOpen is the candidates with their open leads and turns counted now.
func (s *sim) withOpen(t time.Time) []assign.Candidate {
	cs := slices.Clone(s.cands)
	for _, l := range s.leads {
		if l.holder != 0 && l.contacted.IsZero() {
			cs[l.holder-1].Open++
		}
	}
	return cs
}

func (s *sim) give(l *lead, id int64, t time.Time) {
	l.holder = id
	s.cands[id-1].LastAssigned = t
}

// drain places the shared queue, oldest first (store.AssignWaiting).
func (s *sim) drain(t time.Time) {
	var waiting []*lead
	var facts []assign.Lead
	for _, l := range s.leads {
		if l.holder == 0 && l.contacted.IsZero() {
			waiting, facts = append(waiting, l), append(facts, l.facts)
		}
	}
	if len(waiting) == 0 {
		return
	}
	for _, p := range assign.Drain(facts, s.withOpen(t), s.rules, t) {
		s.give(waiting[p.Index], p.ID, t)
	}
}

// sweep moves each missed lead once (store.SweepDeadlines).
func (s *sim) sweep(t time.Time) {
	for _, l := range s.leads {
		if l.holder == 0 || !l.contacted.IsZero() || l.reassigned || l.deadline.After(t) {
			continue
		}
		if s.policy == RoundRobin {
			l.holder, l.reassigned = s.nextInRotation(l.holder), true
			continue
		}
		f := l.facts
		f.From, f.NowOnly = l.holder, true
		if ch, ok := assign.Pick(s.withOpen(t), f, s.rules, t); ok {
			s.give(l, ch.ID, t)
			l.reassigned = true
		}
	}
}

// work lets every advisor on shift and free call the oldest uncontacted
// lead they hold.
func (s *sim) work(t time.Time) {
	for _, c := range s.cands {
		if s.busy[c.ID].After(t) || !s.rules.OnShift(c, t) {
			continue
		}
		var oldest *lead
		for _, l := range s.leads {
			if l.holder == c.ID && l.contacted.IsZero() && (oldest == nil || l.at.Before(oldest.at)) {
				oldest = l
			}
		}
		if oldest != nil {
			oldest.contacted = maxTime(t, oldest.at)
			s.busy[c.ID] = t.Add(s.cfg.Handle)
		}
	}
}

func later(a, b time.Time) time.Time { return maxTime(a, b) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (s *sim) result() Result {
	var r Result
	var waits, promises []time.Duration
	for _, l := range s.leads {
		r.Leads++
		promises = append(promises, l.deadline.Sub(l.at))
		if l.reassigned {
			r.Reassigned++
		}
		if l.contacted.IsZero() {
			continue
		}
		r.Contacted++
		waits = append(waits, l.contacted.Sub(l.at))
		if !l.contacted.After(l.deadline) {
			r.KeptPromise++
		}
		if !l.contacted.After(l.plain) {
			r.InPlainWindow++
		}
	}
	r.Median, r.P90 = quantile(waits, 0.5), quantile(waits, 0.9)
	r.MedianPromise = quantile(promises, 0.5)
	return r
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	d = slices.Clone(d)
	slices.Sort(d)
	return d[int(q*float64(len(d)-1))]
}
