package store

import (
	"context"
	"fmt"
	"time"
)

// EventRow is one event recorded on a conversation.
type EventRow struct {
	Kind   string
	Detail string
	At     time.Time
}

// ConversationEvents lists the kinds of the events recorded on a
// conversation (flow.EventKind and the store's own: "late",
// "reply_failed"…), oldest first, with their detail: for
// flow.EventAskedForCall the new time promised, RFC 3339.
func (s *Store) ConversationEvents(ctx context.Context, conversationID int64) ([]EventRow, error) {
	rows, err := s.ro.QueryContext(ctx, `SELECT kind, COALESCE(detail, ''), created_at FROM conversation_events
		WHERE conversation_id = ? ORDER BY id`, conversationID)
	if err != nil {
		return nil, fmt.Errorf("conversation events: %w", err)
	}
	defer rows.Close()
	var out []EventRow
	for rows.Next() {
		var e EventRow
		var at int64
		if err := rows.Scan(&e.Kind, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("conversation events: %w", err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
