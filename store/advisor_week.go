package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

// AdvisorWeek is one advisor's week in the owner's view (issue 20): the
// open leads they hold now, the leads given to them since the week began
// contacted on time or late (late: contacted after the deadline, or still
// open past it), the median time from a lead's completion to its first
// contact, and the hours their schedule had them on shift in the week.
type AdvisorWeek struct {
	UserID       int64
	Username     string
	InRotation   bool
	Open         int
	OnTime, Late int
	Contacted    int           // leads with a first contact, MedianContact's sample
	MedianFirst  time.Duration // 0 when Contacted is 0
	ShiftHours   time.Duration // planned: hours, public holidays and days off; not the live switch
}

const (
	advisorWeekQuery = `SELECT l.assigned_to, l.contacted_at, l.completed_at, l.deadline_at, l.status FROM leads l
		WHERE l.assigned_to IS NOT NULL AND l.completed_at >= ? AND l.completed_at < ?`
	advisorOpenQuery = `SELECT u.id, u.username, u.in_rotation,
		(SELECT COUNT(*) FROM leads l WHERE l.assigned_to = u.id AND l.status = 'open')
		FROM users u WHERE u.active = 1 AND u.role <> 'viewer'`
	// One number's view (issue 16): its leads only, from the base tables
	// as every advisors' read is; its takers are its own advisors, or the
	// whole rotation when it has none (numberTakers).
	numberAdvisorWeekQuery = advisorWeekQuery + ` AND l.account_id = ?`
	numberAdvisorOpenQuery = `SELECT u.id, u.username, u.in_rotation,
		(SELECT COUNT(*) FROM leads l WHERE l.assigned_to = u.id AND l.status = 'open' AND l.account_id = ?)
		FROM users u WHERE u.active = 1 AND u.role <> 'viewer'`
	numberTakersQuery = `SELECT user_id FROM account_advisors WHERE account_id = ?`
)

// AdvisorWeeks returns the owner's view of the week that began at from
// (a Monday 00:00 in the agency's zone) as of now, one row per advisor in
// the rotation or holding leads of the week, in the rotation first. With
// number (an account id) not 0: that number's leads only, and "in the
// rotation" means taking that number's leads.
func (s *Store) AdvisorWeeks(ctx context.Context, from, now time.Time, number int64) ([]AdvisorWeek, error) {
	byID, err := s.advisorOpen(ctx, number)
	if err != nil {
		return nil, err
	}
	q, args := advisorWeekQuery, []any{millis(from), millis(now)}
	if number != 0 {
		q, args = numberAdvisorWeekQuery, append(args, number)
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("advisor weeks: %w", err)
	}
	defer rows.Close()
	delays := map[int64][]time.Duration{}
	for rows.Next() {
		var id int64
		var contacted *int64
		var completed, deadline int64
		var status string
		if err := rows.Scan(&id, &contacted, &completed, &deadline, &status); err != nil {
			return nil, fmt.Errorf("advisor weeks: %w", err)
		}
		w, ok := byID[id]
		if !ok {
			continue // a deactivated account's leads: not a person to staff
		}
		switch {
		case contacted != nil && *contacted > 0:
			if *contacted <= deadline {
				w.OnTime++
			} else {
				w.Late++
			}
			delays[id] = append(delays[id], time.Duration(*contacted-completed)*time.Millisecond)
		case status == "open" && deadline < millis(now):
			w.Late++
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("advisor weeks: %w", err)
	}
	return s.finishWeeks(ctx, byID, delays, from)
}

// advisorOpen reads every active advisor with the open leads they hold
// (of number, when not 0).
func (s *Store) advisorOpen(ctx context.Context, number int64) (map[int64]*AdvisorWeek, error) {
	q, args := advisorOpenQuery, []any(nil)
	if number != 0 {
		q, args = numberAdvisorOpenQuery, []any{number}
	}
	out := map[int64]*AdvisorWeek{}
	err := eachRow(ctx, s.ro, q, args, func(r scanner) error {
		w := &AdvisorWeek{}
		if err := r.Scan(&w.UserID, &w.Username, &w.InRotation, &w.Open); err != nil {
			return err
		}
		out[w.UserID] = w
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("advisor weeks: %w", err)
	}
	takers, err := s.numberTakers(ctx, number)
	if err != nil {
		return nil, fmt.Errorf("advisor weeks: %w", err)
	}
	for id, w := range out {
		w.InRotation = w.InRotation && (takers == nil || takers[id])
	}
	return out, nil
}

// numberTakers are the advisors who take number's leads (user ids): nil
// when it is 0 or has no advisors of its own, as the whole rotation does.
func (s *Store) numberTakers(ctx context.Context, number int64) (map[int64]bool, error) {
	if number == 0 {
		return nil, nil
	}
	var out map[int64]bool
	err := eachRow(ctx, s.ro, numberTakersQuery, []any{number}, func(r scanner) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		if out == nil {
			out = map[int64]bool{}
		}
		out[id] = true
		return nil
	})
	return out, err
}

// finishWeeks adds the medians and the planned hours, and orders the rows.
func (s *Store) finishWeeks(ctx context.Context, byID map[int64]*AdvisorWeek, delays map[int64][]time.Duration, from time.Time) ([]AdvisorWeek, error) {
	cands, err := s.StaffingCandidates(ctx)
	if err != nil {
		return nil, err
	}
	rules := s.agencyRules()
	to := from.AddDate(0, 0, 7)
	for _, c := range cands {
		if w, ok := byID[c.ID]; ok {
			w.ShiftHours = rules.ShiftHours(c, from, to)
		}
	}
	var out []AdvisorWeek
	for id, w := range byID {
		if d := delays[id]; len(d) > 0 {
			slices.Sort(d)
			w.Contacted, w.MedianFirst = len(d), median(d)
		}
		if w.InRotation || w.OnTime+w.Late+w.Open > 0 {
			out = append(out, *w)
		}
	}
	slices.SortFunc(out, func(a, b AdvisorWeek) int {
		if a.InRotation != b.InRotation {
			if a.InRotation {
				return -1
			}
			return 1
		}
		if a.Username < b.Username {
			return -1
		}
		return 1
	})
	return out, nil
}

// median of sorted durations.
func median(d []time.Duration) time.Duration {
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return (d[n/2-1] + d[n/2]) / 2
}

// HourStaff is one hour of the day (in the agency's zone) over a period:
// the leads completed in that hour, how many broke their promise (late
// contact, or open past the deadline), and how many advisors the
// schedules had on shift then, on average over the period's days.
type HourStaff struct {
	Hour        int
	Leads, Late int
	OnShift     float64
}

const (
	hourLeadsQuery = `SELECT completed_at, deadline_at, contacted_at, status FROM leads
	WHERE completed_at >= ? AND completed_at < ? AND deadline_at > 0`
	numberHourLeadsQuery = hourLeadsQuery + ` AND account_id = ?`
)

// StaffingByHour returns the 24 hours of the day over [from, now): the
// facts of the insight that promises are broken at hours the schedules
// leave thin (scoring/insight's staffing_hours). With number not 0: that
// number's leads, and the advisors who take them (numberTakers).
func (s *Store) StaffingByHour(ctx context.Context, from, now time.Time, number int64) ([24]HourStaff, error) {
	var out [24]HourStaff
	rules := s.agencyRules()
	loc := rules.Agency.Loc
	q, args := hourLeadsQuery, []any{millis(from), millis(now)}
	if number != 0 {
		q, args = numberHourLeadsQuery, append(args, number)
	}
	rows, err := s.ro.QueryContext(ctx, q, args...)
	if err != nil {
		return out, fmt.Errorf("staffing by hour: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var completed, deadline int64
		var contacted *int64
		var status string
		if err := rows.Scan(&completed, &deadline, &contacted, &status); err != nil {
			return out, fmt.Errorf("staffing by hour: %w", err)
		}
		h := fromMillis(completed).In(loc).Hour()
		out[h].Leads++
		if contacted != nil && *contacted > deadline || status == "open" && deadline < millis(now) {
			out[h].Late++
		}
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("staffing by hour: %w", err)
	}
	cands, err := s.numberCandidates(ctx, number)
	if err != nil {
		return out, err
	}
	on := rules.OnShiftByHour(cands, from, now)
	for h := range out {
		out[h].Hour, out[h].OnShift = h, on[h]
	}
	return out, nil
}

// numberCandidates is the rotation (StaffingCandidates) of those who take
// number's leads.
func (s *Store) numberCandidates(ctx context.Context, number int64) ([]assign.Candidate, error) {
	cands, err := s.StaffingCandidates(ctx)
	if err != nil {
		return nil, err
	}
	takers, err := s.numberTakers(ctx, number)
	if err != nil || takers == nil {
		return cands, err
	}
	return slices.DeleteFunc(cands, func(c assign.Candidate) bool { return !takers[c.ID] }), nil
}

// agencyRules are the assignment rules with the agency's zone always set
// (Bogotá when the store was opened without one), for the figures told
// by hour of the day.
func (s *Store) agencyRules() assign.Rules {
	r := s.ruleSet()
	if r.Agency.Loc == nil {
		r.Agency.Loc = flow.Bogota()
	}
	return r
}
