package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/cis-agencia/cis/flow/assign"
)

// AdvisorState is an account's place in the assignment: whether it takes
// leads at all (in the rotation), its live switch and why, and its
// settings.
type AdvisorState struct {
	UserID     int64
	Username   string
	InRotation bool
	Away       bool
	AwayReason string // AwayManual, AwayIdle; "" when available
	LastActive time.Time
	Open       int // open (uncontacted) leads held now
	Settings   AdvisorSettings
}

const (
	advisorStateColumns = `u.id, u.username, u.in_rotation, u.away, u.away_reason, u.last_active_at, u.schedule, u.max_open, u.skills,
		(SELECT COUNT(*) FROM leads l WHERE l.assigned_to = u.id AND l.status = 'open')`
	advisorStateQuery  = `SELECT ` + advisorStateColumns + ` FROM users u WHERE u.id = ?`
	advisorStatesQuery = `SELECT ` + advisorStateColumns + ` FROM users u WHERE u.active = 1 AND u.role <> 'viewer'
		ORDER BY u.in_rotation DESC, u.username`
	setAwayByIDQuery = `UPDATE users SET away = ?1, away_reason = CASE WHEN ?1 THEN ?2 ELSE '' END WHERE id = ?3`
	touchActiveQuery = `UPDATE users SET last_active_at = ? WHERE id = ?`
	idleBackQuery    = `UPDATE users SET away = 0, away_reason = '' WHERE id = ? AND away = 1 AND away_reason = 'idle'`
	idleCandidates   = `SELECT id, last_active_at FROM users WHERE active = 1 AND in_rotation = 1 AND away = 0 AND last_active_at > 0`
)

func scanAdvisorState(row scanner) (AdvisorState, error) {
	var a AdvisorState
	var last int64
	var schedule, skills string
	if err := row.Scan(&a.UserID, &a.Username, &a.InRotation, &a.Away, &a.AwayReason, &last, &schedule, &a.Settings.MaxOpen, &skills, &a.Open); err != nil {
		return AdvisorState{}, err
	}
	if last > 0 {
		a.LastActive = fromMillis(last)
	}
	a.Settings.Away = a.Away
	settingsOf(&a.Settings, schedule, skills)
	return a, nil
}

// AdvisorStateOf returns the assignment state of account userID.
func (s *Store) AdvisorStateOf(ctx context.Context, userID int64) (AdvisorState, error) {
	a, err := scanAdvisorState(s.ro.QueryRowContext(ctx, advisorStateQuery, userID))
	if errors.Is(err, sql.ErrNoRows) {
		return AdvisorState{}, ErrNotFound
	}
	if err != nil {
		return AdvisorState{}, fmt.Errorf("advisor %d state: %w", userID, err)
	}
	return a, nil
}

// AdvisorStates returns every active admin and advisor account with its
// assignment state, those in the rotation first (the admin form).
func (s *Store) AdvisorStates(ctx context.Context) ([]AdvisorState, error) {
	rows, err := s.ro.QueryContext(ctx, advisorStatesQuery)
	if err != nil {
		return nil, fmt.Errorf("advisor states: %w", err)
	}
	defer rows.Close()
	var out []AdvisorState
	for rows.Next() {
		a, err := scanAdvisorState(rows)
		if err != nil {
			return nil, fmt.Errorf("advisor states: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// SetAwayByID is the dashboard's available/away switch of account userID
// (reason AwayManual when set by a person). Back to available, the shared
// queue is offered to them in the same transaction.
func (s *Store) SetAwayByID(ctx context.Context, userID int64, away bool) error {
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, setAwayByIDQuery, away, AwayManual, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNoAdvisor
		}
		if away {
			return nil
		}
		_, err = assignWaiting(ctx, tx, s.ruleSet(), millis(s.now()))
		return err
	})
	if err != nil {
		return fmt.Errorf("advisor %d away=%v: %w", userID, away, err)
	}
	return nil
}

// AdvisorActive records an authenticated dashboard request of account
// userID (the dashboard calls it at most once a minute per session). An
// advisor the idle rule had switched away is back: available again, the
// shared queue offered to them at once; back reports it, for the audit.
// A manual away stays until switched back.
func (s *Store) AdvisorActive(ctx context.Context, userID int64) (back bool, err error) {
	err = s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		now := millis(s.now())
		if _, err := tx.ExecContext(ctx, touchActiveQuery, now, userID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, idleBackQuery, userID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			back = false
			return nil
		}
		back = true
		_, err = assignWaiting(ctx, tx, s.ruleSet(), now)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("advisor %d activity: %w", userID, err)
	}
	return back, nil
}

// AwayIdle switches away every advisor in the rotation who was on shift
// for the whole last idle period without a dashboard request
// (assign.Rules.Idle), and audits each switch (user 0: the system). It
// returns how many were switched. idle <= 0 does nothing.
func (s *Store) AwayIdle(ctx context.Context, idle time.Duration) (int, error) {
	if idle <= 0 {
		return 0, nil
	}
	var n int
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		n = 0
		now := s.now()
		idleIDs, err := idleAdvisors(ctx, tx, s.ruleSet(), now, idle)
		if err != nil {
			return err
		}
		for _, id := range idleIDs {
			if _, err := tx.ExecContext(ctx, setAwayByIDQuery, true, AwayIdle, id); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, insertAuditQuery, 0, "advisor_away", "user:"+strconv.FormatInt(id, 10), "", AwayIdle, millis(now)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("idle advisors: %w", err)
	}
	return n, nil
}

// idleAdvisors returns the ids of the advisors the idle rule switches away at now.
func idleAdvisors(ctx context.Context, tx *sql.Tx, rules assign.Rules, now time.Time, idle time.Duration) ([]int64, error) {
	last := map[int64]time.Time{}
	rows, err := tx.QueryContext(ctx, idleCandidates)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id, at int64
		if err := rows.Scan(&id, &at); err != nil {
			_ = rows.Close() // the scan error is the one worth reporting
			return nil, err
		}
		last[id] = fromMillis(at)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil || len(last) == 0 {
		return nil, err
	}
	cands, err := rotation(ctx, tx)
	if err != nil {
		return nil, err
	}
	var out []int64
	for _, c := range cands {
		if at, ok := last[c.ID]; ok && rules.Idle(c, at, now, idle) {
			out = append(out, c.ID)
		}
	}
	return out, nil
}

// StaffingCandidates are the advisors of the rotation as assign.Pick sees
// them (schedules, capacity, skills, the live switch), read outside any
// lead's transaction: for the owner's view and the insights.
func (s *Store) StaffingCandidates(ctx context.Context) ([]assign.Candidate, error) {
	cs, err := rotation(ctx, s.ro)
	if err != nil {
		return nil, fmt.Errorf("staffing: %w", err)
	}
	return cs, nil
}
