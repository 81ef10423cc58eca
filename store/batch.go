package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/cis-agencia/cis/flow"
)

// Group commit. With synchronous=FULL every commit waits for the disk
// (an fsync of the WAL), which caps one-message-per-transaction at about
// 2,000 messages/s on this project's reference machine. Messages that
// arrive while a commit is under way are therefore applied together in the
// next transaction. If one of them fails, the batch is rolled back and run
// again with each message inside its own SAVEPOINT, so that the failing
// message rolls back alone (runBatch). A caller still learns of its own
// message only after the commit that holds it: acknowledged means durable.

// maxBatch bounds how many messages share one commit.
const maxBatch = 128

// ErrClosed is returned by Handle after Close.
var ErrClosed = errors.New("store closed")

type job struct {
	ctx     context.Context
	in      flow.Inbound
	step    func(flow.State) flow.Result
	fn      func(ctx context.Context, tx *sql.Tx) error // instead of a message: other writes that share the commit
	handled bool
	err     error
	done    chan struct{}
}

// submit queues one message for the writer and waits for its commit.
func (s *Store) submit(ctx context.Context, in flow.Inbound, step func(flow.State) flow.Result) (bool, error) {
	j := &job{ctx: ctx, in: in, step: step, done: make(chan struct{})}
	return s.submitJob(ctx, j)
}

// inBatch runs fn inside the writer's next transaction, in its own
// savepoint, and returns once that transaction committed: writes that
// must be durable (outbox claims and marks) share the message commits'
// fsync instead of paying for their own and taking the connection from them.
func (s *Store) inBatch(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	_, err := s.submitJob(ctx, &job{ctx: ctx, fn: fn, done: make(chan struct{})})
	return err
}

func (s *Store) submitJob(ctx context.Context, j *job) (bool, error) {
	select {
	case <-s.quit:
		return false, ErrClosed
	default:
	}
	select {
	case s.jobs <- j:
	case <-ctx.Done():
		return false, ctx.Err()
	case <-s.quit:
		return false, ErrClosed
	}
	select {
	case <-j.done:
		return j.handled, j.err
	case <-s.writerDone:
		// Every job the writer took is done before it stops, so a job not
		// done now was never taken.
		select {
		case <-j.done:
			return j.handled, j.err
		default:
			return false, ErrClosed
		}
	case <-ctx.Done():
		// The message may still commit; its redelivery will then be a no-op.
		return false, ctx.Err()
	}
}

// writer applies queued messages until Close. It is the only goroutine the
// store starts; Close waits for it.
func (s *Store) writer() {
	defer close(s.writerDone)
	for {
		select {
		case <-s.quit:
			return
		case j := <-s.jobs:
			batch := []*job{j}
		fill:
			for len(batch) < maxBatch {
				select {
				case j := <-s.jobs:
					batch = append(batch, j)
				default:
					break fill
				}
			}
			s.runBatch(batch)
			s.boundWAL()
		}
	}
}

// errRetryIsolated makes the fast path of runBatch give up its transaction.
var errRetryIsolated = errors.New("a message failed: retry the batch with savepoints")

func (s *Store) runBatch(batch []*job) {
	// The batch must not fail because one caller gave up: SQL runs on a
	// background context and each job's own context is checked before it runs.
	ctx := context.Background()
	// Fast path: no savepoints. Two extra statements per message (SAVEPOINT,
	// RELEASE; never cached by the driver) were a tenth of the process's
	// CPU in the load test. If any message fails, the whole transaction is
	// rolled back and the batch runs again, each message in its own
	// savepoint, so that the failing one rolls back alone. Steps are pure,
	// so running them twice is harmless.
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if err := s.lockSummaries(ctx, tx, batch); err != nil {
			return err
		}
		for _, j := range batch {
			if err := j.ctx.Err(); err != nil {
				j.err = err
				continue
			}
			if j.handled, j.err = s.safeHandle(ctx, tx, j); j.err != nil {
				return errRetryIsolated
			}
		}
		s.crash("store-before-commit")
		return nil
	})
	if errors.Is(err, errRetryIsolated) {
		for _, j := range batch {
			j.handled, j.err = false, nil
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			if err := s.lockSummaries(ctx, tx, batch); err != nil {
				return err
			}
			for _, j := range batch {
				if err := j.ctx.Err(); err != nil {
					j.err = err
					continue
				}
				if err := s.runJob(ctx, tx, j); err != nil {
					return err // the savepoint itself failed: give up the batch
				}
			}
			s.crash("store-before-commit")
			return nil
		})
	}
	if err == nil {
		s.crash("store-after-commit")
	}
	s.noteCommit(storeFailure(err, batch), err == nil && storedMessage(batch))
	for _, j := range batch {
		if err != nil && j.err == nil {
			j.handled, j.err = false, err
		}
		close(j.done)
	}
}

// storeFailure is what the batch tells the store's health: a message's own
// error when the disk refused it (full, or an I/O error), or else the
// commit's error. A statement can fail for lack of space while the commit
// of the rest succeeds (nothing else needed a new page); that message was
// refused all the same, and /readyz must say the store cannot write.
func storeFailure(commit error, batch []*job) error {
	// The cause first: on SQLite a full disk also ends the transaction's
	// savepoints, and the commit's error names only that.
	for _, j := range batch {
		if isDiskError(j.err) {
			return j.err
		}
	}
	return commit
}

// storedMessage reports whether a committed batch stored a message (not
// only other writes, nor only redeliveries of stored ones).
func storedMessage(batch []*job) bool {
	for _, j := range batch {
		if j.fn == nil && j.handled && j.err == nil {
			return true
		}
	}
	return false
}

// runJob applies one message inside a savepoint; its error is the job's,
// unless the savepoint machinery itself fails.
func (s *Store) runJob(ctx context.Context, tx *sql.Tx, j *job) error {
	if _, err := tx.ExecContext(ctx, "SAVEPOINT msg"); err != nil {
		return fmt.Errorf("savepoint: %w", err)
	}
	j.handled, j.err = s.safeHandle(ctx, tx, j)
	if j.err != nil {
		j.handled = false
		if _, err := tx.ExecContext(ctx, "ROLLBACK TO msg"); err != nil {
			return fmt.Errorf("rollback to savepoint: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "RELEASE msg"); err != nil {
		return fmt.Errorf("release savepoint: %w", err)
	}
	return nil
}

// safeHandle turns a panic in the step function into the job's error, so
// one bad message cannot stop the writer and every later message with it.
func (s *Store) safeHandle(ctx context.Context, tx *sql.Tx, j *job) (handled bool, err error) {
	if j.fn != nil {
		return false, j.fn(ctx, tx)
	}
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic while handling a message", "channel", j.in.Channel, "msg_id", j.in.ID, "panic", fmt.Sprint(p))
			handled, err = false, fmt.Errorf("panic: %v", p)
		}
	}()
	return s.handleInTx(ctx, tx, j.in, j.step)
}
