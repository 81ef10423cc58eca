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
)

// AdvisorWeeks returns the owner's view of the week that began at from
// (a Monday 00:00 in the agency's zone) as of now, one row per advisor in
// the rotation or holding leads of the week, in the rotation first.
func (s *Store) AdvisorWeeks(ctx context.Context, from, now time.Time) ([]AdvisorWeek, error) {
	byID, err := s.advisorOpen(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.ro.QueryContext(ctx, advisorWeekQuery, millis(from), millis(now))
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

func (s *Store) advisorOpen(ctx context.Context) (map[int64]*AdvisorWeek, error) {
	rows, err := s.ro.QueryContext(ctx, advisorOpenQuery)
	if err != nil {
		return nil, fmt.Errorf("advisor weeks: %w", err)
	}
	defer rows.Close()
	out := map[int64]*AdvisorWeek{}
	for rows.Next() {
		w := &AdvisorWeek{}
		if err := rows.Scan(&w.UserID, &w.Username, &w.InRotation, &w.Open); err != nil {
			return nil, fmt.Errorf("advisor weeks: %w", err)
		}
		out[w.UserID] = w
	}
	return out, rows.Err()
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

const hourLeadsQuery = `SELECT completed_at, deadline_at, contacted_at, status FROM leads
	WHERE completed_at >= ? AND completed_at < ? AND deadline_at > 0`

// StaffingByHour returns the 24 hours of the day over [from, now): the
// facts of the insight that promises are broken at hours the schedules
// leave thin (scoring/insight's staffing_hours).
func (s *Store) StaffingByHour(ctx context.Context, from, now time.Time) ([24]HourStaff, error) {
	var out [24]HourStaff
	rules := s.agencyRules()
	loc := rules.Agency.Loc
	rows, err := s.ro.QueryContext(ctx, hourLeadsQuery, millis(from), millis(now))
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
	cands, err := s.StaffingCandidates(ctx)
	if err != nil {
		return out, err
	}
	on := rules.OnShiftByHour(cands, from, now)
	for h := range out {
		out[h].Hour, out[h].OnShift = h, on[h]
	}
	return out, nil
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
