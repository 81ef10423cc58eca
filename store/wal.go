package store

import (
	"context"
	"fmt"
	"os"
	"time"
)

// walLimit is the size of the WAL file above which the writer forces a
// checkpoint that restarts it (RELIABILITY F24). SQLite's automatic
// checkpoint (every 1,000 pages) copies frames back into the database but
// can only start the WAL over when no reader is using it; with dashboard
// queries running without pause that moment never comes and the file grew
// past 100 MB in TestWALStaysBoundedUnderReaders. A TRUNCATE checkpoint
// waits for the readers that started before it, which take milliseconds,
// and leaves an empty file.
const walLimit = 8 << 20

const (
	// walWait bounds how long the writer waits for readers to finish: every
	// message waits with it, so it is far below the busy timeout.
	walWait = 100 * time.Millisecond
	// walRetry is the pause after a blocked checkpoint. Under constant short
	// readers an attempt often finds no gap (SQLite also gives up at once
	// when a reader's snapshot keeps frames from being copied back) and one
	// a moment later does: with 10 s here the WAL reached 50 MB in
	// TestWALStaysBoundedUnderReaders. A reader that holds its snapshot (a
	// long export) costs the writer at most walWait per walRetry.
	walRetry = 250 * time.Millisecond
)

// boundWAL runs after each committed batch on the writer goroutine, so no
// write of ours competes with the checkpoint; walRetryAt is only touched here.
func (s *Store) boundWAL() {
	if s.walPath == "" {
		return
	}
	fi, err := os.Stat(s.walPath)
	if err != nil || (fi.Size() <= walLimit && !s.scrub.Load()) || s.now().Before(s.walRetryAt) {
		return
	}
	if busy, err := s.checkpointWAL(); err != nil || busy {
		s.walRetryAt = s.now().Add(walRetry)
		// The data is safe either way; only the file's size (and, after an
		// erasure, the old pages still in it) is at stake.
		s.log.Warn("WAL checkpoint did not complete", "wal_bytes", fi.Size(), "busy", busy, "err", err)
		return
	}
	s.scrub.Store(false)
}

// scrubWAL runs after an erasure committed. The erasure's transaction
// zeroed the person's content in the pages it rewrote (secure_delete), but
// those new pages are in the WAL and the old ones are still in the database
// file; the WAL itself still holds earlier versions of the pages. A TRUNCATE
// checkpoint copies the new pages over the old ones and empties the WAL
// file. Readers can hold it up for a moment: it is tried a few times with
// the busy timeout, then left to the writer, which tries after every batch
// until it succeeds (boundWAL).
func (s *Store) scrubWAL() {
	s.scrub.Store(true)
	for range 3 {
		busy, err := s.checkpointWALWaiting(s.busyTimeout)
		if err == nil && !busy {
			s.scrub.Store(false)
			return
		}
	}
	s.log.Warn("after an erasure the WAL could not be emptied yet; the writer keeps trying")
}

// checkpointWAL runs a TRUNCATE checkpoint with a short busy timeout, on one
// pinned connection so that no other statement runs with that timeout.
func (s *Store) checkpointWAL() (busy bool, err error) { return s.checkpointWALWaiting(walWait) }

func (s *Store) checkpointWALWaiting(wait time.Duration) (busy bool, err error) {
	ctx := context.Background()
	conn, err := s.rw.Conn(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", wait.Milliseconds())); err != nil {
		return false, err
	}
	defer conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", s.busyTimeout.Milliseconds()))
	var blocked, frames, done int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&blocked, &frames, &done); err != nil {
		return false, err
	}
	return blocked != 0, nil
}
