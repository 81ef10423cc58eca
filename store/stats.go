package store

import (
	"context"
	"fmt"
)

// Stats counts what the store holds, for start-up logs and the demo seed.
type Stats struct {
	Conversations int
	Messages      int
	Leads         int
	LeadsByClass  map[string]int
}

// Stats returns current counts.
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	st := Stats{LeadsByClass: map[string]int{}}
	err := s.ro.QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM conversations), (SELECT COUNT(*) FROM messages), (SELECT COUNT(*) FROM leads)`).
		Scan(&st.Conversations, &st.Messages, &st.Leads)
	if err != nil {
		return st, fmt.Errorf("stats: %w", err)
	}
	rows, err := s.ro.QueryContext(ctx, `SELECT class, COUNT(*) FROM leads GROUP BY class`)
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
