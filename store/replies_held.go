package store

import (
	"context"
	"fmt"
	"time"
)

// heldRepliesQuery: does the person have replies on this number that are
// due and have not left yet (queued, or claimed by a sender)? Commercial
// messages held for the legal hours and replies waiting for a retry are
// not due, so they do not count.
const heldRepliesQuery = `SELECT EXISTS (SELECT 1 FROM outbox o JOIN accounts a ON a.id = o.account_id
	JOIN contacts c ON c.id = o.contact_id
	WHERE c.phone = ?1 AND a.channel = ?2 AND a.address = ?3 AND o.status IN ('pending', 'sending')
	AND o.next_attempt_at <= ?4 AND o.commercial = 0)`

// RepliesHeld reports whether contact has replies on channel's account
// that are due now and not sent yet. The linked device holds a person's
// replies while they keep writing (the debounce) and then paces them; a
// message that arrives meanwhile continues the burst, whatever the clock
// says: the person cannot have read the question it would answer.
func (s *Store) RepliesHeld(ctx context.Context, channel, account, contact string, now time.Time) (bool, error) {
	var held bool
	if err := s.ro.QueryRowContext(ctx, heldRepliesQuery, contact, channel, account, millis(now)).Scan(&held); err != nil {
		return false, fmt.Errorf("replies held: %w", err)
	}
	return held, nil
}
