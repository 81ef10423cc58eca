package store

import (
	"context"
	"fmt"
	"time"
)

// A live server's own claims are never its orphans (docs/postgres.md,
// "Crash orphans"). The cluster's orphans loop (cis serve) runs in a live
// server every lease time. When this server's own process lease lapsed
// while it kept running (its heartbeat stalled past the lease time on a
// loaded machine; the lease is taken again at the next try), the plain
// orphan statements took its replies in flight for a dead server's: a
// question was queued again while its first send could still succeed, so
// the person got it twice. These variants leave this process's claims to
// itself (it records their outcome); the claims of every other owner whose
// process lease is not live are settled as before. The release at start
// (bot's sender: a new process owns no claim yet; a test restarting on the
// same store) keeps the plain statements.
const (
	notMyOutboxClaim         = ` AND (outbox.claimed_by IS NULL OR outbox.claimed_by <> ?4)`
	resendOthersOrphansQuery = resendOrphansQuery + notMyOutboxClaim
	othersOrphanClaimsQuery  = orphanClaimsQuery + notMyOutboxClaim
	othersOrphanNoticesQuery = orphanNoticesQuery + ` AND (lead_notices.claimed_by IS NULL OR lead_notices.claimed_by <> ?3)`
)

// pgPortedCrash: the statements above are SQLite's with $N placeholders.
var pgPortedCrash = pgPortSet{same: []string{resendOthersOrphansQuery, othersOrphanClaimsQuery, othersOrphanNoticesQuery}}

// ReleaseOthersOrphans is ReleaseOrphanClaims for a running server: the
// claims of other processes whose process lease is not live, never its own.
func (s *Store) ReleaseOthersOrphans(ctx context.Context, channel string, cutoff time.Time) (Orphans, error) {
	return s.releaseOrphanClaims(ctx, channel, cutoff, resendOthersOrphansQuery, othersOrphanClaimsQuery, s.owner)
}

// ReleaseOthersNotificationOrphans is ReleaseNotificationOrphans for a
// running server: never its own claims.
func (s *Store) ReleaseOthersNotificationOrphans(ctx context.Context) (int64, error) {
	now := s.now()
	res, err := s.rw.ExecContext(ctx, othersOrphanNoticesQuery, millis(now.Add(time.Millisecond)), millis(now), s.owner)
	if err != nil {
		return 0, fmt.Errorf("release notification claims: %w", err)
	}
	return res.RowsAffected()
}
