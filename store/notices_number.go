package store

import (
	"context"
	"strings"
)

// Advisors' notifications with several linked devices (issue 16): each
// notification leaves through one linked-device number, its route, so
// that the advisor reads it in the chat of the brand the lead wrote to:
//  1. the number of the lead itself, when the lead wrote to a declared
//     linked-device number;
//  2. else a declared linked-device number the advisor takes leads of
//     (account_advisors; the lowest when several);
//  3. else the first declared linked-device number (the lowest): a lead of
//     the Cloud API or the web chat, for an advisor of no linked number.
//
// Each device's notifier reads only its own (PendingNotificationsVia), so a
// device that is offline or owned by another server does not hold back
// the others' notifications.
const noticeRouteSQL = `COALESCE(
		(SELECT la.address FROM accounts la WHERE la.id = l.account_id AND la.channel = 'whatsapp' AND la.declared = 1),
		(SELECT MIN(ua.address) FROM account_advisors ax JOIN accounts ua ON ua.id = ax.account_id
			WHERE ax.user_id = n.user_id AND ua.channel = 'whatsapp' AND ua.declared = 1),
		(SELECT MIN(fa.address) FROM accounts fa WHERE fa.channel = 'whatsapp' AND fa.declared = 1))`

// pendingNoticesViaQuery is pendingNoticesQuery restricted to the
// notifications whose route is the number ?1 (?2: the limit).
var pendingNoticesViaQuery = strings.Replace(pendingNoticesQuery, "ORDER BY n.id LIMIT ?",
	"AND "+noticeRouteSQL+" = ?1 ORDER BY n.id LIMIT ?2", 1)

// PendingNotificationsVia is PendingNotifications for the notifications
// that leave through linked-device number (digits, as declared): up to
// limit, oldest first.
func (s *Store) PendingNotificationsVia(ctx context.Context, number string, limit int) ([]Notification, error) {
	return s.pendingNotices(ctx, pendingNoticesViaQuery, number, limit)
}
