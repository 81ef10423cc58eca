package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// PostgreSQL as a store (issue 16, docs/postgres.md). pgx through its
// database/sql adapter keeps the store's one code shape (*sql.DB, *sql.Tx)
// for both engines; the seam in pgsql.go runs only ported statements.

type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// IsPostgres reports whether a --db value names a PostgreSQL database
// (postgres://… or postgresql://…) rather than a SQLite file.
func IsPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// Postgres reports whether s is a PostgreSQL store. Callers that hold only
// a --db value ask IsPostgres; a test binary's stores may be PostgreSQL
// whatever their path says (CIS_TEST_PG_ALL, pgredirect.go), and what
// serve may assume about other processes depends on the engine it got.
func (s *Store) Postgres() bool { return s.dialect == dialectPostgres }

// migrationLock is the advisory lock key under which one process at a time
// migrates a database: several servers may start together.
const migrationLock = 0x636973 // "cis"

// openPostgres is Open for a postgres:// URL: it migrates the database (the
// PostgreSQL set, under an advisory lock), then opens the writer (one
// connection, as on SQLite: the batch writer applies messages in order) and
// a read-only pool.
func openPostgres(ctx context.Context, url string, opt Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err) // pgx leaves the password out of its errors
	}
	if err := migratePostgres(ctx, cfg, opt); err != nil {
		return nil, err
	}
	ids := &pgIDTables{}
	rw := sql.OpenDB(&pgConnector{base: stdlib.GetConnector(*cfg), ids: ids})
	rw.SetMaxOpenConns(1)
	roCfg := cfg.Copy()
	roCfg.RuntimeParams["default_transaction_read_only"] = "on"
	ro := sql.OpenDB(&pgConnector{base: stdlib.GetConnector(*roCfg), ids: ids})
	ro.SetMaxOpenConns(4)
	s := &Store{dialect: dialectPostgres, rw: rw, ro: ro, owner: opt.Owner, now: opt.Now, log: opt.Log, crash: opt.Crash, rules: opt.Assign,
		busyTimeout: opt.BusyTimeout, skew: opt.ClockSkew,
		jobs: make(chan *job, maxBatch), quit: make(chan struct{}), writerDone: make(chan struct{})}
	if s.salt, err = loadSalt(ctx, s.rw); err != nil {
		_ = s.Close() // the salt error is the one to report
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if err := s.loadModes(ctx); err != nil { // the dashboard's assignment modes, as SQLite's Open reads them
		_ = s.Close() // the load error is the one to report
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	if s.alive, err = holdOwnerLock(ctx, cfg, s.owner); err != nil {
		_ = s.Close() // the lock error is the one to report
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	s.started = true
	go s.writer()
	return s, nil
}

// migratePostgres applies the PostgreSQL migrations on one plain pgx
// connection (migration files are not store statements: the seam is not in
// the way) while holding migrationLock. With Options.Existing a database
// without our schema is refused (ErrNoStore).
func migratePostgres(ctx context.Context, cfg *pgx.ConnConfig, opt Options) error {
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("open postgres: %w", err)
	}
	defer conn.Close()
	if opt.Existing {
		var exists bool
		if err := conn.QueryRowContext(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&exists); err != nil {
			return fmt.Errorf("open postgres: %w", err)
		}
		if !exists {
			return fmt.Errorf("postgres database %s: %w", cfg.Database, ErrNoStore)
		}
	}
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("migrate postgres: lock: %w", err)
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if err := pgMigrations.apply(ctx, conn, opt.Now()); err != nil {
		return fmt.Errorf("migrate postgres: %w", err)
	}
	return nil
}

// pgCode is the SQLSTATE of a PostgreSQL error, "" for any other error.
func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// lockSenderQuery takes a transaction-scoped advisory lock on one sender.
const lockSenderQuery = `SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`

// lockSender serialises one person's messages across servers on
// PostgreSQL: taken before the contact and conversation are read, held to
// the commit, so that no server reads a conversation state another is
// about to change (a lost update), and a new contact is inserted once.
// SQLite needs none: its writer lock is taken at BEGIN (IMMEDIATE).
func (s *Store) lockSender(ctx context.Context, tx *sql.Tx, from string) error {
	if s.dialect != dialectPostgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, lockSenderQuery, from); err != nil {
		return fmt.Errorf("lock sender: %w", err)
	}
	return nil
}

// devicePG is DeviceDB on PostgreSQL.
func devicePG(url string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open device store: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(4)
	return db, nil
}

// DeviceDialect is the dialect name whatsmeow's sqlstore takes for a handle
// DeviceDB opened: "postgres" on PostgreSQL, else "sqlite3".
func DeviceDialect(db *sql.DB) string {
	if _, ok := db.Driver().(*stdlib.Driver); ok {
		return "postgres"
	}
	return "sqlite3"
}

// errServeOnPostgres is what the commands that hold a store for their
// process (serve, pair, restore) say on PostgreSQL until several servers
// share one database through leases (docs/postgres.md, slice 3), rather
// than sharing it unsafely or failing on the first feature not ported.
var errServeOnPostgres = fmt.Errorf("%w: a command that holds the store alone (cis pair, restore); "+
	"on PostgreSQL pair from the dashboard of the server that owns the linked device (cis serve; docs/postgres.md, Leases)", ErrNotOnPostgres)

// checkWritablePG is CheckWritable on PostgreSQL: the server answers and
// takes a write within a second, so a read-only server (a standby after a
// failover, a database set read-only) or a lock held past the probe's
// patience makes the process not ready.
func (s *Store) checkWritablePG(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, pgProbeTimeoutQuery); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, pgProbeWriteQuery)
		return err
	})
	if err != nil {
		return fmt.Errorf("store not writable: %w", err)
	}
	return nil
}

const (
	pgProbeTimeoutQuery = `SET LOCAL lock_timeout = '1s'`
	pgProbeWriteQuery   = `UPDATE schema_migrations SET applied_at = applied_at WHERE name = ''`
)
