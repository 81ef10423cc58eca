package store

import (
	"context"
	"fmt"
	"time"
)

// CheckWritable reports whether the store can take writes now, for /readyz.
// It opens a write transaction (BEGIN IMMEDIATE: fails when another process
// holds the write lock past the busy timeout, or when the file or its
// directory turned read-only) and makes a write that changes nothing, then
// rolls back. A full disk shows up only when pages must be written, so a
// failed commit of the writer is reported too, for failureHold after it
// failed unless a commit succeeded since: it is what the webhook and
// whatsmeow acknowledgements depend on.
func (s *Store) CheckWritable(ctx context.Context) error {
	if f := s.lastWrite.Load(); f != nil && s.now().Sub(f.at) < failureHold {
		return fmt.Errorf("last commit failed: %w", f.err)
	}
	if s.dialect == dialectPostgres {
		return s.checkWritablePG(ctx)
	}
	// The probe waits for the write lock for a second at most, not the full
	// busy timeout: a load balancer's probe times out after a few seconds,
	// and our own writer holds the lock for milliseconds.
	conn, err := s.rw.Conn(ctx)
	if err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	defer conn.Close()
	wait := min(time.Second, s.busyTimeout)
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	defer conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA busy_timeout = %d", s.busyTimeout.Milliseconds()))
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store not writable: begin: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE schema_migrations SET applied_at = applied_at WHERE name = ''`); err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	return nil
}

// failureHold is how long a failed commit keeps CheckWritable failing. Not
// until the next successful commit: a load balancer that stops traffic on
// the 503 would then never send the message whose commit ends it. After the
// hold, traffic returns; if commits still fail, the next failure holds again.
const failureHold = time.Minute

// commitFailure is the writer's last failed commit.
type commitFailure struct {
	err error
	at  time.Time
}

// noteCommit keeps the outcome of the writer's last commit for CheckWritable.
// stored says whether the commit stored a message. A full disk (or an I/O
// error) is cleared only by such a commit: on PostgreSQL a small update
// (a reply marked sent, a sweep) still fits in a page that has room while
// every new message needs a page the disk no longer has, and /readyz said
// ready between two refused deliveries.
func (s *Store) noteCommit(err error, stored bool) {
	if err == nil {
		if f := s.lastWrite.Load(); f != nil && isDiskError(f.err) && !stored {
			return
		}
		s.lastWrite.Store(nil)
		return
	}
	s.lastWrite.Store(&commitFailure{err: err, at: s.now()})
}
