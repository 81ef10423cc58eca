package store

import (
	"context"
	"fmt"
	"strings"
)

// A person Meta cannot deliver to (Cloud API error 131026: no WhatsApp on
// the number, an app too old, the business blocked) is marked unreachable,
// from the send's answer or from a failed status callback. The lead page
// says so until the person writes again (LeadReach compares with their
// last message), so that an advisor calls instead of writing.

// CodeUnreachable is the Cloud API error code of an undeliverable message.
const CodeUnreachable = "131026"

const (
	markUnreachableQuery = `UPDATE contacts SET unreachable_at = ?, unreachable_reason = ? WHERE phone = ?`
	// unreachableByExtQuery marks the person a failed reply was addressed to.
	unreachableByExtQuery = `UPDATE contacts SET unreachable_at = ?1, unreachable_reason = ?2
		WHERE id = (SELECT contact_id FROM outbox WHERE channel = ?3 AND ext_id = ?4 AND ext_id <> '')`
)

// MarkUnreachable records that contact (its key: phone, BSUID or session
// key) cannot receive messages, for reason (an error code; no personal data).
func (s *Store) MarkUnreachable(ctx context.Context, contact, reason string) error {
	if _, err := s.rw.ExecContext(ctx, markUnreachableQuery, millis(s.now()), reason, contact); err != nil {
		return fmt.Errorf("mark contact unreachable: %w", err)
	}
	return nil
}

// unreachableStatus reports whether a failed status callback's error (its
// code and title, Delivery.Error) says the person cannot receive messages.
func unreachableStatus(d Delivery) bool {
	return d.Status == "failed" && (d.Error == CodeUnreachable || strings.HasPrefix(d.Error, CodeUnreachable+" "))
}
