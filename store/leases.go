package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// Leases (issue 16, docs/postgres.md "Leases"): several `cis serve` on one
// PostgreSQL decide who does what through rows of the leases table
// (migration 0210). A lease is held by one process until it expires unless
// that process renews it (a heartbeat); another process takes it only after
// it expired, and each takeover increments its token, the fence: a fenced
// claim (ClaimNextFenced) succeeds only while its token is the lease's, so
// an owner that lost the lease (a pause, a partition) claims nothing more.
// Names: "process:<owner>" says a process is alive (its claims are its
// own), "linked-device:<account>" owns a WhatsApp linked device,
// "job:<name>" a periodic job. On SQLite the one process that holds the
// file lock owns them all (ClearLeases at start).
//
// Times are the processes' own clocks (Unix ms, as everywhere in the
// store): the servers' clocks must agree to well under the lease time (NTP).

// Lease is one row of the leases table.
type Lease struct {
	Name    string
	Owner   string
	Token   int64
	Expires time.Time
	Taken   time.Time // when Owner took it
}

// Fence is what a fenced claim tests: the lease this process must still
// hold, with this token.
type Fence struct {
	Lease string
	Token int64
	// Account, when set, is the account (its address on the row's channel)
	// the claimed row must belong to: a linked device of several claims
	// only its own number's replies (outbox_account.go).
	Account string
}

// ProcessLease is the name of the lease that says owner is alive.
func ProcessLease(owner string) string { return "process:" + owner }

const (
	// takeLeaseQuery takes name for ?2 when it is free or expired (a new
	// token), or renews it when ?2 holds it (the same token).
	takeLeaseQuery = `INSERT INTO leases (name, owner, token, expires_at, taken_at) VALUES (?1, ?2, 1, ?3, ?4)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at,
		token = CASE WHEN leases.expires_at <= ?4 OR leases.owner <> excluded.owner THEN leases.token + 1 ELSE leases.token END,
		taken_at = CASE WHEN leases.expires_at <= ?4 OR leases.owner <> excluded.owner THEN excluded.taken_at ELSE leases.taken_at END
		WHERE leases.expires_at <= ?4 OR leases.owner = excluded.owner`
	leaseQuery        = `SELECT name, owner, token, expires_at, taken_at FROM leases WHERE name = ?`
	renewLeaseQuery   = `UPDATE leases SET expires_at = ?1 WHERE name = ?2 AND owner = ?3 AND token = ?4`
	releaseLeaseQuery = `UPDATE leases SET expires_at = 0 WHERE name = ? AND owner = ? AND token = ?`
	listLeasesQuery   = `SELECT name, owner, token, expires_at, taken_at FROM leases ORDER BY name`
	clearLeasesQuery  = `DELETE FROM leases`
)

// newOwner names this process in leases and claims: host, pid and a
// random part (a pid is reused after a restart, a container's host name
// is shared).
func newOwner() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "host"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return host + "-" + strconv.Itoa(os.Getpid()) + "-" + hex.EncodeToString(b)
}

// Owner is the name this store's process holds leases and makes claims
// under (Options.Owner, or one made at Open).
func (s *Store) Owner() string { return s.owner }

// TakeLease takes lease name for ttl when it is free or expired, or renews
// it when this process holds it. held says whether it now does; the lease
// returned is the row as it stands (its holder when not held).
func (s *Store) TakeLease(ctx context.Context, name string, ttl time.Duration) (l Lease, held bool, err error) {
	now := s.now()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, takeLeaseQuery, name, s.owner, millis(now.Add(ttl)), millis(now)); err != nil {
			return err
		}
		l, err = scanLease(tx.QueryRowContext(ctx, leaseQuery, name))
		return err
	})
	if err != nil {
		return Lease{}, false, fmt.Errorf("take lease %s: %w", name, err)
	}
	return l, l.Owner == s.owner && l.Expires.After(now), nil
}

// RenewLease extends the lease this process holds with token by ttl from
// now (the heartbeat); false when it no longer holds it (another process
// took it over: stop at once).
func (s *Store) RenewLease(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error) {
	res, err := s.rw.ExecContext(ctx, renewLeaseQuery, millis(s.now().Add(ttl)), name, s.owner, token)
	if err != nil {
		return false, fmt.Errorf("renew lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// ReleaseLease gives the lease up at once (a clean stop), so that another
// process takes it without waiting for it to expire.
func (s *Store) ReleaseLease(ctx context.Context, name string, token int64) error {
	if _, err := s.rw.ExecContext(ctx, releaseLeaseQuery, name, s.owner, token); err != nil {
		return fmt.Errorf("release lease %s: %w", name, err)
	}
	return nil
}

// Leases lists every lease, for readiness and the operator.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	rows, err := s.ro.QueryContext(ctx, listLeasesQuery)
	if err != nil {
		return nil, fmt.Errorf("leases: %w", err)
	}
	defer rows.Close()
	var out []Lease
	for rows.Next() {
		l, err := scanLease(rows)
		if err != nil {
			return nil, fmt.Errorf("leases: %w", err)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// ClearLeases forgets every lease. Only for a store no other process can
// use (SQLite under its file lock, store.Lock): the leases of a previous
// run are then certainly stale, and its claims orphans at once.
func (s *Store) ClearLeases(ctx context.Context) error {
	if s.dialect == dialectPostgres {
		return errors.New("clear leases: other servers may hold them on PostgreSQL")
	}
	if _, err := s.rw.ExecContext(ctx, clearLeasesQuery); err != nil {
		return fmt.Errorf("clear leases: %w", err)
	}
	return nil
}

func scanLease(r interface{ Scan(...any) error }) (Lease, error) {
	var (
		l              Lease
		expires, taken int64
	)
	if err := r.Scan(&l.Name, &l.Owner, &l.Token, &expires, &taken); err != nil {
		return Lease{}, err
	}
	l.Expires, l.Taken = time.UnixMilli(expires), time.UnixMilli(taken)
	return l, nil
}

// outboxOrphan is the condition under which a claimed outbox row is a
// crash's orphan (?3 now): claimed before 0210 (no owner), or by a process
// whose process lease is not live (it died; or it never took one: a single
// process, or a test, whose next start settles what it left). A live
// server's claims are its own, this one's included: it records their
// answers itself.
const outboxOrphan = `(outbox.claimed_by IS NULL
		OR NOT EXISTS (SELECT 1 FROM leases pl WHERE pl.name = 'process:' || outbox.claimed_by AND pl.expires_at > ?3))`

// claimFencedQuery is claimOutboxQuery that succeeds only while this
// process (?2) holds lease ?4 with token ?5, unexpired at ?1.
const claimFencedQuery = `UPDATE outbox SET status = 'sending', claimed_at = ?1, claimed_by = ?2 WHERE id = ?3 AND status = 'pending'
	AND EXISTS (SELECT 1 FROM leases WHERE name = ?4 AND owner = ?2 AND token = ?5 AND expires_at > ?1)`

// ClaimNextFenced is ClaimNext for a channel one process owns through a
// lease (a linked device): the claim succeeds only while this process
// still holds f.Lease with f.Token, so an owner that lost its lease (a
// pause, a partition) claims, and so sends, nothing more. false when id
// is not pending or the fence does not hold; done is recorded either way.
func (s *Store) ClaimNextFenced(ctx context.Context, done []Sent, id int64, f Fence) (bool, error) {
	return s.claimNext(ctx, done, id, &f)
}
