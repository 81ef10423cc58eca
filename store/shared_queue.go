package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
)

const (
	// waitingLeadsQuery is the shared queue: open leads nobody holds,
	// the oldest promise first; a person who opted out or was erased is
	// not called (RELIABILITY O-1).
	waitingLeadsQuery = `SELECT l.id, l.class, l.service, l.city_code, l.city_name, l.department, l.city_foreign
		FROM leads l JOIN contacts c ON c.id = l.contact_id
		WHERE l.status = 'open' AND l.assigned_to IS NULL AND c.opted_out_at IS NULL AND c.phone NOT LIKE 'erased:%'
		ORDER BY l.deadline_at, l.id LIMIT ?`
	// waitingBatch bounds one pass over the shared queue; the next tick
	// takes the rest.
	waitingBatch = 200
)

// AssignWaiting gives the leads waiting in the shared queue (nobody could
// take them when they completed: every eligible advisor away, full or
// unskilled; or an admin unassigned them) to the advisors who can take
// them now, oldest promise first, with assign.Drain. It returns how many
// were assigned. cis serve calls it every tick, and the events that free
// an advisor (back from away, a lead contacted or closed, new settings)
// call it at once in their own transaction.
func (s *Store) AssignWaiting(ctx context.Context) (int, error) {
	var n int
	err := s.inBatch(ctx, func(ctx context.Context, tx *sql.Tx) error {
		var err error
		n, err = assignWaiting(ctx, tx, s.ruleSet(), millis(s.now()))
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("assign waiting leads: %w", err)
	}
	return n, nil
}

// assignWaiting places the shared queue inside tx (see AssignWaiting).
func assignWaiting(ctx context.Context, tx *sql.Tx, rules assign.Rules, now int64) (int, error) {
	// The rotation first: a store without advisors (or a demo) never reads
	// its unassigned leads on every lead action.
	candidates, err := rotation(ctx, tx)
	if err != nil || !anyFree(candidates) {
		return 0, err
	}
	ids, leads, err := waitingLeads(ctx, tx)
	if err != nil || len(ids) == 0 {
		return 0, err
	}
	placed := assign.Drain(leads, candidates, rules, fromMillis(now))
	for _, p := range placed {
		if err := place(ctx, tx, ids[p.Index], p.ID, NotifyAssigned, now); err != nil {
			return 0, err
		}
	}
	return len(placed), nil
}

// anyFree reports whether some advisor could take a lead at all: not
// away and under their maximum.
func anyFree(cs []assign.Candidate) bool {
	for _, c := range cs {
		if !c.Away && (c.MaxOpen == 0 || c.Open < c.MaxOpen) {
			return true
		}
	}
	return false
}

func waitingLeads(ctx context.Context, tx *sql.Tx) ([]int64, []assign.Lead, error) {
	rows, err := tx.QueryContext(ctx, waitingLeadsQuery, waitingBatch)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	var leads []assign.Lead
	for rows.Next() {
		var id int64
		var l assign.Lead
		var class string
		if err := rows.Scan(&id, &class, &l.Service, &l.City.Code, &l.City.Name, &l.City.Department, &l.City.Foreign); err != nil {
			return nil, nil, err
		}
		l.Class = flow.Class(class)
		ids, leads = append(ids, id), append(leads, l)
	}
	return ids, leads, rows.Err()
}

// place gives lead leadID to advisor and queues the advisor's
// notification of kind and the lead.assigned webhook event (at completion,
// from the shared queue, or moved after a missed deadline); a
// reassignment also stamps reassigned_at.
func place(ctx context.Context, tx *sql.Tx, leadID, advisor int64, kind string, now int64) error {
	if _, err := tx.ExecContext(ctx, touchAdvisorQuery, now, advisor); err != nil {
		return err
	}
	if kind == NotifyReassigned {
		if _, err := tx.ExecContext(ctx, reassignLeadQuery, advisor, now, leadID); err != nil {
			return err
		}
	} else if _, err := tx.ExecContext(ctx, assignLeadQuery, advisor, leadID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, insertNoticeQuery, leadID, advisor, kind, now); err != nil {
		return err
	}
	return queueLeadEvent(ctx, tx, EventLeadAssigned, leadID, fromMillis(now))
}

// Assignment modes as stored (assign_modes.mode).
const (
	ModeRotation    = "rotation"
	ModeLeastLoaded = "least_loaded"
)

var modeNames = map[assign.Mode]string{assign.Rotation: ModeRotation, assign.LeastLoaded: ModeLeastLoaded}

// AssignModes returns, per class, how turns are taken now: the admin's
// choice (or --advisor-least-loaded's at start), rotation by default.
func (s *Store) AssignModes() map[flow.Class]string {
	r := s.ruleSet()
	out := map[flow.Class]string{}
	for _, c := range []flow.Class{flow.Hot, flow.Warm, flow.Cold} {
		out[c] = modeNames[r.Modes[c]]
	}
	return out
}

const clearAssignModesQuery = `DELETE FROM assign_modes`

const insertAssignModeQuery = `INSERT INTO assign_modes (class, mode) VALUES (?, ?)`

// SetAssignModes stores, per class, how turns are taken (ModeRotation or
// ModeLeastLoaded; a class left out: rotation); the next lead this server
// gives already follows it, and the other servers on the same database
// follow it within modesTTL. Every class gets a row, rotation included, so
// that an empty table keeps meaning "never chosen: Options.Assign's".
func (s *Store) SetAssignModes(ctx context.Context, modes map[flow.Class]string) error {
	m := map[flow.Class]assign.Mode{}
	for class, name := range modes {
		mode, ok := modeOf(name)
		if !ok || (class != flow.Hot && class != flow.Warm && class != flow.Cold) {
			return fmt.Errorf("assignment modes: class %q mode %q: want hot, warm or cold, and rotation or least_loaded", class, name)
		}
		m[class] = mode
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, clearAssignModesQuery); err != nil {
			return err
		}
		for _, class := range []flow.Class{flow.Hot, flow.Warm, flow.Cold} {
			if _, err := tx.ExecContext(ctx, insertAssignModeQuery, string(class), modeNames[m[class]]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("assignment modes: %w", err)
	}
	s.modes.Store(&m)
	s.modesRead.Store(time.Now().UnixNano())
	return nil
}

func modeOf(name string) (assign.Mode, bool) {
	for m, n := range modeNames {
		if n == name {
			return m, true
		}
	}
	return 0, false
}

const assignModesQuery = `SELECT class, mode FROM assign_modes`

// modesTTL is how long a server goes on with the assignment modes it read
// before reading them again: how late it follows a change the admin made
// on another server on the same database. One read of a three-row table a
// second at the most, against one per assignment (several statements on
// PostgreSQL's busy path, issue 16); the server the admin used follows the
// change at once (SetAssignModes).
const modesTTL = time.Second

// loadModes reads the stored modes (at Open, and every modesTTL after, from
// ruleSet); none stored leaves Options.Assign's. It reads on the readers:
// ruleSet may run inside the writer's transaction.
func (s *Store) loadModes(ctx context.Context) error {
	s.modesRead.Store(time.Now().UnixNano())
	rows, err := s.ro.QueryContext(ctx, assignModesQuery)
	if err != nil {
		return fmt.Errorf("assignment modes: %w", err)
	}
	defer rows.Close()
	m := map[flow.Class]assign.Mode{}
	for rows.Next() {
		var class, name string
		if err := rows.Scan(&class, &name); err != nil {
			return fmt.Errorf("assignment modes: %w", err)
		}
		if mode, ok := modeOf(name); ok {
			m[flow.Class(class)] = mode
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("assignment modes: %w", err)
	}
	if len(m) > 0 {
		s.modes.Store(&m)
	} else {
		s.modes.Store(nil)
	}
	return nil
}

// refreshModes reads the modes again when the last read is older than
// modesTTL (wall time, not the store's clock: the staleness is real). One
// caller reads; the others go on with what was read. A failed read keeps
// the last modes and is tried again after modesTTL.
func (s *Store) refreshModes() {
	now, last := time.Now().UnixNano(), s.modesRead.Load()
	if now-last < int64(modesTTL) || !s.modesRead.CompareAndSwap(last, now) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), modesTTL)
	defer cancel()
	if err := s.loadModes(ctx); err != nil {
		s.log.Warn("assignment modes not read again: the last ones stay", "err", err)
	}
}

// ruleSet is the agency's assignment rules now: Options.Assign with the
// stored modes, once any are stored, as read at most modesTTL ago.
func (s *Store) ruleSet() assign.Rules {
	s.refreshModes()
	r := s.rules
	if m := s.modes.Load(); m != nil {
		r.Modes = *m
	}
	return r
}
