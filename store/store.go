// Package store keeps everything the system remembers in one SQLite file:
// contacts, conversations, leads, the message log, the outbox and consent
// evidence. It holds all of the project's SQL; other packages see Go types.
//
// The file is shared with whatsmeow's device store, so app tables never use
// the whatsmeow_ prefix and our migration record is schema_migrations.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/assign"
	"github.com/cis-agencia/cis/flow/pricing"
	"github.com/mattn/go-sqlite3"
)

// Sentinel errors. Callers test them with errors.Is.
var (
	// ErrNotFound is returned by lookups (Conversation, Lead) when no row matches.
	ErrNotFound = errors.New("not found")
	// ErrNewerSchema is returned by Open when the file was written by a newer build.
	ErrNewerSchema = errors.New("database schema is newer than this build")
	// ErrCorrupt is returned by ActiveBundle when a stored bundle no longer matches its SHA-256.
	ErrCorrupt = errors.New("stored bytes do not match their checksum")
)

// Options tune how the file is opened.
type Options struct {
	// Synchronous is SQLite's synchronous pragma for the write handle: "FULL"
	// (default) makes every acknowledged message survive an OS crash or power
	// loss; "NORMAL" survives a process crash only, and is faster.
	Synchronous string
	// BusyTimeout is how long a writer waits for the lock before failing.
	BusyTimeout time.Duration
	// Now is the store's clock for the times it records itself; default time.Now.
	Now func() time.Time
	// Log receives operational messages; default discards them.
	Log *slog.Logger
	// ClockSkew is how far a provider's clock may be from ours before its
	// message times stop deciding order and lateness (time.go); default
	// DefaultClockSkew.
	ClockSkew time.Duration
	// Existing refuses a missing or empty file (ErrNoStore) instead of
	// making a new store of it: every command but the ones that create a
	// store sets it (home.go).
	Existing bool
	// Assign is the agency's rules for giving leads to advisors (its
	// business calendar, the mode per class); the zero value treats every
	// advisor as always on shift and takes plain turns.
	Assign assign.Rules
	// Owner names this process in leases and claims (leases.go); default
	// host, pid and a random part.
	Owner string
	// Crash, when set, is called at the store's named crash points
	// ("store-before-commit", "store-after-commit"; docs/reliability.md).
	// Only the crash test sets it.
	Crash func(point string)
}

// Store is the SQLite store. Safe for concurrent use.
type Store struct {
	dialect dialect // SQLite or PostgreSQL (postgres.go)
	rw      *sql.DB // one connection: SQLite has one writer at a time anyway
	ro      *sql.DB // pooled readers, WAL lets them run beside the writer
	now     func() time.Time
	log     *slog.Logger
	crash   func(point string)
	rules   assign.Rules // Options.Assign
	owner   string       // Options.Owner: this process in leases and claims (leases.go)
	alive   *aliveLock   // PostgreSQL: the connection holding owner's lock (alive_pg.go)
	// modes are the per-class assignment modes stored by the admin (or
	// --advisor-least-loaded at start); nil: rules.Modes (shared_queue.go).
	modes     atomic.Pointer[map[flow.Class]assign.Mode]
	modesRead atomic.Int64 // when modes were last read (Unix ns, wall time): refreshModes
	// walPath is the WAL file whose size the writer keeps bounded (wal.go).
	walPath    string
	walRetryAt time.Time   // the writer's next checkpoint attempt after a blocked one
	scrub      atomic.Bool // an erasure's old pages may still be in the WAL (wal.go)
	salt       []byte      // the installation's secret for phone hashes (privacy.go)
	// conversions: conversion events for Meta are queued (meta_events.go).
	conversions atomic.Bool
	// rates price messages (messaging_cost.go); nil: the built-in table.
	rates atomic.Pointer[pricing.Table]

	jobs        chan *job     // messages waiting for the writer (batch.go)
	quit        chan struct{} // closed by Close
	writerDone  chan struct{} // closed when the writer has stopped
	started     bool          // the writer runs (Open got that far)
	closeOnce   sync.Once
	busyTimeout time.Duration
	skew        time.Duration                 // provider clock skew tolerated (time.go)
	lastWrite   atomic.Pointer[commitFailure] // the writer's last failed commit; nil after a success (health.go)

	churn  churnCache // analytics.go
	common pieceMemo  // search.go
}

// Open opens (creating if needed, unless opt.Existing) the database file at
// path and applies the embedded migrations. It refuses, before writing
// anything to it, a file that fails SQLite's quick_check (ErrDamaged), that
// is not a CIS store (ErrForeign), that a newer build migrated
// (ErrNewerSchema), or that is in use under another name (ErrAliased).
//
// A postgres:// or postgresql:// URL opens PostgreSQL instead (postgres.go,
// docs/postgres.md).
func Open(ctx context.Context, path string, opt Options) (*Store, error) {
	opt = opt.withDefaults()
	if testRedirect != nil {
		path = testRedirect(path)
	}
	if IsPostgres(path) {
		return openPostgres(ctx, path, opt)
	}
	if opt.Existing {
		if err := mustExist(path); err != nil {
			return nil, err
		}
	}
	if err := preflight(ctx, path, opt); err != nil {
		return nil, err
	}
	rw, err := sql.Open(writerDriverName, dsn(path, true, opt))
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	rw.SetMaxOpenConns(1)
	rw.SetConnMaxIdleTime(0)
	ro, err := sql.Open(driverName, dsn(path, false, opt))
	if err != nil {
		_ = rw.Close() // the open error is the one to report
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	ro.SetMaxOpenConns(4)
	s := &Store{rw: rw, ro: ro, owner: opt.Owner, now: opt.Now, log: opt.Log, crash: opt.Crash, rules: opt.Assign, walPath: home(path) + "-wal", busyTimeout: opt.BusyTimeout, skew: opt.ClockSkew,
		jobs: make(chan *job, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	if err := s.rw.PingContext(ctx); err != nil {
		_ = s.Close() // the ping error is the one to report
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := migrate(ctx, s.rw, s.now()); err != nil {
		_ = s.Close() // the migration error is the one to report
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if err := recordHome(ctx, s.rw, path, millis(s.now())); err != nil {
		_ = s.Close() // the record error is the one to report
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if s.salt, err = loadSalt(ctx, s.rw); err != nil {
		_ = s.Close() // the salt error is the one to report
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := s.loadModes(ctx); err != nil {
		_ = s.Close() // the load error is the one to report
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	s.started = true
	go s.writer()
	return s, nil
}

func (o Options) withDefaults() Options {
	if o.Synchronous == "" {
		o.Synchronous = "FULL"
	}
	if o.BusyTimeout == 0 {
		o.BusyTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Crash == nil {
		o.Crash = func(string) {}
	}
	if o.ClockSkew <= 0 {
		o.ClockSkew = DefaultClockSkew
	}
	if o.Owner == "" {
		o.Owner = newOwner()
	}
	return o
}

// dsn returns the connection string for a handle on the file. Every pragma is
// a DSN parameter so that each pooled connection gets it (a PRAGMA run with
// Exec after open would reach one connection only). The writing handle takes
// the write lock at BEGIN (_txlock=immediate): a deferred transaction that
// reads and then writes can fail with SQLITE_BUSY_SNAPSHOT halfway through.
func dsn(path string, writes bool, opt Options) string {
	q := url.Values{}
	q.Set("_foreign_keys", "on")
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", fmt.Sprint(opt.BusyTimeout.Milliseconds()))
	q.Set("_synchronous", opt.Synchronous)
	q.Set("_stmt_cache_size", "64") // our queries are constants: parse each once per connection
	if writes {
		q.Set("_txlock", "immediate")
		// Deleted and overwritten content is zeroed in the page, and freed
		// pages are zeroed, so that an erased person is gone from the file
		// once the WAL is checkpointed (erase.go, scrubWAL).
		q.Set("_secure_delete", "on")
	} else {
		q.Set("mode", "ro")
	}
	return "file:" + path + "?" + q.Encode()
}

// Close stops the writer after the batch it is applying and closes both
// handles. Handle calls made after Close fail with ErrClosed.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.quit)
		if s.started {
			<-s.writerDone
		}
		err = errors.Join(s.ro.Close(), s.rw.Close(), s.alive.close())
	})
	return err
}

// inTx runs fn in one write transaction and commits it; any error rolls back.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback() // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// isDiskError reports whether err is SQLite failing to write: a full disk
// or an I/O error.
func isDiskError(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrFull || se.Code == sqlite3.ErrIoErr
	}
	c := pgCode(err) // PostgreSQL: disk_full, io_error
	return c == "53100" || c == "58030"
}

// IsBusy reports whether err is SQLite's "database is locked" (or busy)
// after the busy timeout ran out: the caller should retry later, not drop.
func IsBusy(err error) bool {
	var se sqlite3.Error
	if errors.As(err, &se) {
		return se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked
	}
	// PostgreSQL: serialization_failure, deadlock_detected, lock_not_available
	c := pgCode(err)
	return c == "40001" || c == "40P01" || c == "55P03"
}

// millis and fromMillis are the one pair of time conversions: the database
// holds INTEGER Unix milliseconds, UTC.
func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Ping checks that the database answers and that the write lock can be
// taken: while another process holds it past the busy timeout, messages
// cannot be stored and the service must not report itself ready
// (RELIABILITY F9). It is CheckWritable, which waits at most a second.
func (s *Store) Ping(ctx context.Context) error { return s.CheckWritable(ctx) }

// DeviceDB opens the handle whatsmeow's device store uses on the same file:
// its own *sql.DB with the writing DSN (foreign keys on, WAL, busy timeout,
// BEGIN IMMEDIATE), never the app's single writer connection, so that a
// whatsmeow transaction can never wait on the connection our event handler
// is waiting for. Small pool: SQLite has one writer anyway.
//
// On PostgreSQL (a postgres:// URL) it is a plain pgx handle on the same
// database: whatsmeow's SQL is its own, not the store's (DeviceDialect).
func DeviceDB(path string, opt Options) (*sql.DB, error) {
	opt = opt.withDefaults()
	if testRedirect != nil {
		path = testRedirect(path)
	}
	if IsPostgres(path) {
		return devicePG(path)
	}
	db, err := sql.Open(driverName, dsn(path, true, opt))
	if err != nil {
		return nil, fmt.Errorf("open device store %s: %w", path, err)
	}
	db.SetMaxOpenConns(2)
	return db, nil
}
