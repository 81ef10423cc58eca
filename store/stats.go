package store

import (
	"context"
	"fmt"
)

// Stats counts what the store holds, for start-up logs, the demo seed and
// /metrics.
type Stats struct {
	Conversations int
	Messages      int
	Leads         int
	LeadsByClass  map[string]int

	// How messages that could not count as answers were handled (time.go,
	// consent.go): none is left without a trace.
	LateMessages   int // provider time more than the skew before a newer applied message
	ClockSkewed    int // provider time more than the skew ahead of our clock
	ConsentUnshown int // consent answers to a consent text that was not sent
	// What crashes and timeouts left uncertain (sending.go).
	RepliesResent      int // times a question was sent again
	RepliesUnconfirmed int // replies that may or may not have left, not sent again
}

const statsQuery = `SELECT
		(SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM leads),
		(SELECT COUNT(*) FROM conversation_events WHERE kind = 'late'),
		(SELECT COUNT(*) FROM conversation_events WHERE kind = 'clock_skew'),
		(SELECT COUNT(*) FROM conversation_events WHERE kind = 'consent_not_shown'),
		(SELECT COALESCE(SUM(resends), 0) FROM outbox WHERE resends > 0),
		(SELECT COUNT(*) FROM outbox WHERE status = 'unconfirmed')`

const classCountsQuery = `SELECT class, COUNT(*) FROM leads GROUP BY class`

// Stats returns current counts.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{LeadsByClass: map[string]int{}}
	err := s.ro.QueryRowContext(ctx, statsQuery).
		Scan(&st.Conversations, &st.Messages, &st.Leads, &st.LateMessages, &st.ClockSkewed, &st.ConsentUnshown,
			&st.RepliesResent, &st.RepliesUnconfirmed)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	rows, err := s.ro.QueryContext(ctx, classCountsQuery)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var class string
		var n int
		if err := rows.Scan(&class, &n); err != nil {
			return st, fmt.Errorf("stats: %w", err)
		}
		st.LeadsByClass[class] = n
	}
	return st, rows.Err()
}
