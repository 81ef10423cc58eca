package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

// AdvisorSettings are what the agency sets per advisor for assignment
// (issue 20). The zero value is the default every advisor starts with:
// the agency's hours, no day off, no limit, every service, everywhere,
// available.
type AdvisorSettings struct {
	// Hours is the weekly shift in flow.ParseWeek syntax ("lun-vie
	// 8-12,14-18; sab 9-13"); "" means the agency's opening hours.
	Hours string `json:"hours,omitempty"`
	// DaysOff are dates off, "2006-01-02" in the agency's zone.
	DaysOff []string `json:"days_off,omitempty"`
	// MaxOpen is the most open (uncontacted) leads the advisor may hold; 0: no limit.
	MaxOpen int `json:"max_open,omitempty"`
	// Services (catalogue keys) and Places (DANE codes, city or department
	// names) restrict the leads the advisor takes; empty: all.
	Services []string `json:"services,omitempty"`
	Places   []string `json:"places,omitempty"`
	Away     bool     `json:"away,omitempty"`
}

const dayLayout = "2006-01-02"

// skillsJSON is the users.skills column.
type skillsJSON struct {
	Services []string `json:"services,omitempty"`
	Places   []string `json:"places,omitempty"`
}

// scheduleJSON is the users.schedule column.
type scheduleJSON struct {
	Hours   string   `json:"hours,omitempty"`
	DaysOff []string `json:"days_off,omitempty"`
}

const (
	setAdvisorSettingsQuery = `UPDATE users SET schedule = ?, max_open = ?, skills = ?, away = ? WHERE username = ?`
	setAdvisorAwayQuery     = `UPDATE users SET away = ? WHERE username = ?`
	assignFactsQuery        = `SELECT class, service, city_code, city_name, department, city_foreign FROM leads WHERE id = ?`
)

// ErrNoAdvisor is returned for settings of a username no account has.
var ErrNoAdvisor = errors.New("no such account")

// SetAdvisorSettings replaces the assignment settings of the account name.
// Hours must read with flow.ParseWeek and days off as dates; MaxOpen must
// not be negative. The next lead assigned already follows them.
func (s *Store) SetAdvisorSettings(ctx context.Context, name string, a AdvisorSettings) error {
	schedule, skills, err := a.columns()
	if err != nil {
		return fmt.Errorf("advisor %q settings: %w", name, err)
	}
	return s.updateAdvisor(ctx, name, setAdvisorSettingsQuery, schedule, a.MaxOpen, skills, a.Away, name)
}

// SetAdvisorAway flips the live available/away switch of the account name.
func (s *Store) SetAdvisorAway(ctx context.Context, name string, away bool) error {
	return s.updateAdvisor(ctx, name, setAdvisorAwayQuery, away, name)
}

func (s *Store) updateAdvisor(ctx context.Context, name, query string, args ...any) error {
	res, err := s.rw.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("advisor %q settings: %w", name, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("advisor %q settings: %w", name, ErrNoAdvisor)
	}
	return nil
}

// columns validates a and renders its schedule and skills columns; all
// defaults give ” so a reset advisor reads as one never set.
func (a AdvisorSettings) columns() (schedule, skills string, err error) {
	if a.MaxOpen < 0 {
		return "", "", fmt.Errorf("maximum of open leads %d: want 0 (no limit) or more", a.MaxOpen)
	}
	if a.Hours != "" {
		if _, err := flow.ParseWeek(a.Hours); err != nil {
			return "", "", err
		}
	}
	for _, d := range a.DaysOff {
		if _, err := time.Parse(dayLayout, d); err != nil {
			return "", "", fmt.Errorf("day off %q: want YYYY-MM-DD", d)
		}
	}
	if a.Hours != "" || len(a.DaysOff) > 0 {
		schedule, err = marshal(scheduleJSON{a.Hours, a.DaysOff})
	}
	if err == nil && (len(a.Services) > 0 || len(a.Places) > 0) {
		skills, err = marshal(skillsJSON{a.Services, a.Places})
	}
	return schedule, skills, err
}

func marshal(v any) (string, error) {
	b, err := json.Marshal(v)
	return string(b), err
}

// withSettings fills c from its schedule and skills columns. A column that
// does not read (edited by hand past SetAdvisorSettings) leaves the
// permissive default: a lead must still be assigned.
func withSettings(c *assign.Candidate, schedule, skills string) {
	var sc scheduleJSON
	if schedule != "" && json.Unmarshal([]byte(schedule), &sc) == nil {
		if w, err := flow.ParseWeek(sc.Hours); sc.Hours != "" && err == nil {
			c.Hours = &w
		}
		for _, d := range sc.DaysOff {
			if t, err := time.Parse(dayLayout, d); err == nil {
				c.DaysOff = append(c.DaysOff, t)
			}
		}
	}
	var sk skillsJSON
	if skills != "" && json.Unmarshal([]byte(skills), &sk) == nil {
		c.Services, c.Places = sk.Services, sk.Places
	}
}

// assignFacts loads what assign.Pick knows of a lead: its class, service
// and city.
func assignFacts(ctx context.Context, tx *sql.Tx, leadID int64) (assign.Lead, error) {
	var l assign.Lead
	var class string
	err := tx.QueryRowContext(ctx, assignFactsQuery, leadID).Scan(&class, &l.Service,
		&l.City.Code, &l.City.Name, &l.City.Department, &l.City.Foreign)
	if err != nil {
		return assign.Lead{}, fmt.Errorf("lead %d: %w", leadID, err)
	}
	l.Class = flow.Class(class)
	return l, nil
}

// staffing is the flow.Staffing a step is given: the advisors of the
// message's transaction and the agency's rules. assignLead runs the same
// Pick over the same rows when it applies the completed lead, so the
// advisor the promise was counted for is the one who gets the lead. The
// advisors are loaded on the first Deadline, that is only by the step that
// completes a lead: every other message costs no query. A failed load is
// kept in err and fails the message's transaction (the message is then
// handled again), since Deadline itself returns no error.
type staffing struct {
	ctx   context.Context
	tx    *sql.Tx
	rules assign.Rules

	loaded     bool
	candidates []assign.Candidate
	err        error
}

func (s *staffing) Deadline(now time.Time, l flow.Lead, class flow.Class, window time.Duration) time.Time {
	if !s.loaded {
		s.loaded = true
		if s.candidates, s.err = rotation(s.ctx, s.tx); s.err != nil {
			s.err = fmt.Errorf("advisors on shift: %w", s.err)
		}
	}
	ch, _ := assign.Pick(s.candidates, assign.Lead{Class: class, Service: l.Service, City: l.City}, s.rules, now)
	return s.rules.Deadline(now, window, ch)
}

// staffingFor gives a step that may complete a lead (a conversation in
// progress) the advisors it would be promised by, loaded only if asked;
// other steps get none.
func (s *Store) staffingFor(ctx context.Context, tx *sql.Tx, st flow.State) *staffing {
	if st.Status != flow.InProgress {
		return nil
	}
	return &staffing{ctx: ctx, tx: tx, rules: s.rules}
}
