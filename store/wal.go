package store

import (
	"context"
	"os"
)

// walLimit is the size of the WAL file above which the writer forces a
// checkpoint that restarts it (RELIABILITY F24). SQLite's automatic
// checkpoint (every 1,000 pages) copies frames back into the database but
// can only start the WAL over when no reader is using it; with dashboard
// queries running without pause that moment never comes and the file grew
// past 100 MB in TestWALStaysBoundedUnderReaders. A TRUNCATE checkpoint
// waits (busy timeout) for the readers that started before it, which take
// milliseconds, and leaves an empty file.
const walLimit = 8 << 20

// boundWAL runs after each committed batch on the writer goroutine, so no
// write of ours competes with the checkpoint.
func (s *Store) boundWAL() {
	if s.walPath == "" {
		return
	}
	fi, err := os.Stat(s.walPath)
	if err != nil || fi.Size() <= walLimit {
		return
	}
	var busy, frames, done int
	err = s.rw.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done)
	if err != nil || busy != 0 {
		// Tried again after the next batch; the data is safe either way.
		s.log.Warn("WAL checkpoint did not complete", "wal_bytes", fi.Size(), "busy", busy, "err", err)
	}
}
