package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"regexp"
	"strconv"
	"time"
)

// The redirect's schemas do not pile up in a cluster (a CI cluster runs a
// dozen test binaries; a developer's runs for days). A test binary cannot
// run code when it ends (no TestMain here, and a killed one runs nothing),
// so the next one cleans up: each redirected schema is named after its
// run, f_<run>_<path hash>, and every process of the run holds a shared
// advisory lock on the run for as long as it lives (its children, this
// test binary run again as a server, inherit the run through
// CIS_TEST_PG_RUN, and so name their schemas the same). A process that
// starts redirecting drops the schemas, and their roles, of every run on
// which it gets the lock exclusively: no process of that run is left.

// testRunEnv carries the run to the children a test binary starts.
const testRunEnv = "CIS_TEST_PG_RUN"

// testRunLockSpace is the first key of the runs' advisory locks ("CIST"),
// the run's own number the second: the two-key space, apart from the
// one-key locks the store itself takes.
const testRunLockSpace = 0x43495354

// testRunSchema is a redirected schema's name; its group is the run.
var testRunSchema = regexp.MustCompile(`^f_([0-9a-f]{8})_[0-9a-f]{16}$`)

// testRunConn holds this process's lock on its run until it exits (kept
// here so that nothing ever returns it to a pool).
var testRunConn *sql.Conn

// testRunSwept is closed when this process's sweep has ended.
var testRunSwept = make(chan struct{})

// testRunID is the run this process belongs to: its parent's, or a new
// one that the children it starts will share.
func testRunID() string {
	if id := os.Getenv(testRunEnv); len(id) == 8 && runKey(id) != 0 {
		return id
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	b[0] |= 1 // never 0, runKey's "not a run"
	id := hex.EncodeToString(b)
	_ = os.Setenv(testRunEnv, id) // #nosec G104 -- test binaries only; without it the children make schemas of their own
	return id
}

// runKey is the run's lock key, 0 for what is not a run.
func runKey(id string) int32 {
	v, err := strconv.ParseUint(id, 16, 32)
	if err != nil {
		return 0
	}
	return int32(uint32(v)) // #nosec G115 -- a 32-bit lock key: the bits, not the value, matter
}

// joinTestRun takes this process's shared lock on run (kept until it
// exits) and starts dropping the schemas of the runs that ended, in the
// background: a whole store's schema takes about 0.4 s to drop on a busy
// test machine, and the tests need not wait for it. The error is the
// lock's: the sweep does its best, and what it leaves the next binary
// drops.
func joinTestRun(base, run string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		_ = db.Close() // the connection's error is the one to return
		return err
	}
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock_shared($1, $2)", testRunLockSpace, runKey(run)); err != nil {
		_ = conn.Close() // the lock's error is the one to return
		_ = db.Close()
		return err
	}
	testRunConn = conn
	go func() {
		defer close(testRunSwept)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		sweeper, err := db.Conn(ctx) // a session of its own: its locks are not the run's
		if err != nil {
			return
		}
		defer sweeper.Close()
		_, _ = sweepEndedRuns(ctx, sweeper, run)
	}()
	return nil
}

// sweepEndedRuns drops the redirected schemas and roles of every run but
// self that no process holds any more, and returns their names.
func sweepEndedRuns(ctx context.Context, conn *sql.Conn, self string) ([]string, error) {
	byRun, err := runSchemas(ctx, conn)
	if err != nil {
		return nil, err
	}
	var dropped []string
	for run, names := range byRun {
		if run == self {
			continue // a session's own shared lock would not stop it taking the lock
		}
		var ended bool
		if err := conn.QueryRowContext(ctx, "SELECT pg_try_advisory_lock($1, $2)", testRunLockSpace, runKey(run)).Scan(&ended); err != nil {
			return dropped, err
		}
		if !ended {
			continue
		}
		for _, n := range names {
			_, errS := conn.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+n+" CASCADE")
			_, errR := conn.ExecContext(ctx, "DROP ROLE IF EXISTS "+n)
			if errS == nil && errR == nil {
				dropped = append(dropped, n)
			}
		}
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_unlock($1, $2)", testRunLockSpace, runKey(run)); err != nil {
			return dropped, err
		}
	}
	return dropped, nil
}

// runSchemas lists the redirected schemas by run.
func runSchemas(ctx context.Context, conn *sql.Conn) (map[string][]string, error) {
	rows, err := conn.QueryContext(ctx, `SELECT nspname FROM pg_namespace WHERE nspname LIKE 'f\_%'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		if m := testRunSchema.FindStringSubmatch(n); m != nil {
			out[m[1]] = append(out[m[1]], n)
		}
	}
	return out, rows.Err()
}
