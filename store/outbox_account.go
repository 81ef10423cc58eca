package store

import (
	"context"
	"strings"
)

// Several linked devices in one installation (issue 16): each device is
// its own number's account and sends only that account's replies, so that
// a reply leaves through the number the prospect wrote to, and a process
// that owns some of the devices (their leases) claims only their rows.

// pendingOutboxForQuery is pendingOutboxQuery restricted to the account
// whose address is ?4. Built from it, so that the two never drift apart.
var pendingOutboxForQuery = strings.Replace(pendingOutboxQuery, "ORDER BY o.id LIMIT ?3",
	"AND a.address = ?4\n\t\tORDER BY o.id LIMIT ?3", 1)

// PendingOutboxFor is PendingOutbox for one account of channel (a linked
// device's number, as its JID writes it): the replies of conversations
// with that number only.
func (s *Store) PendingOutboxFor(ctx context.Context, channel, account string, limit int) ([]Outgoing, error) {
	return s.pendingOutbox(ctx, pendingOutboxForQuery, channel, millis(s.now()), limit, account)
}

// claimFencedAccountQuery is claimFencedQuery that also requires the row to
// be a reply of the account whose address is ?6 (Fence.Account).
const claimFencedAccountQuery = claimFencedQuery + `
	AND outbox.account_id IN (SELECT id FROM accounts WHERE channel = outbox.channel AND address = ?6)`
