package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	neturl "net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Moving an installation from its SQLite file to PostgreSQL (issue 16,
// docs/postgres.md "Moving an installation"): `cis store copy`. The copy
// runs its own statements on plain handles (a pgx connection, a read-only
// SQLite handle), not through the ported-statements seam: it copies every
// table generically, by the catalogues of both engines.
//
// What the operator can count on:
//   - the source is only read (read-only handle, one snapshot), and locked
//     against `cis serve` for the copy's duration;
//   - the target's CIS schema and every row arrive in ONE PostgreSQL
//     transaction, with the row counts and checksums verified inside it:
//     an interrupted or failed copy commits nothing of ours (whatsmeow's
//     empty tables, created by whatsmeow's own upgrade beforehand, stay,
//     and the next attempt reuses them), so retrying is running the same
//     command again;
//   - a target that already holds data is refused.

// Errors of the copy the operator acts on. Callers test them with errors.Is.
var (
	// ErrTargetNotEmpty: the PostgreSQL target already holds tables or rows.
	ErrTargetNotEmpty = errors.New("the target database is not empty")
	// ErrOlderSchema: the source file lacks migrations this build has.
	ErrOlderSchema = errors.New("database schema is older than this build")
	// ErrCopyMismatch: a table's rows on the target differ from the source's.
	ErrCopyMismatch = errors.New("the copy does not match the source")
)

// CopyOptions is what CopyToPostgres needs besides the two databases.
type CopyOptions struct {
	// PrepareDevices creates whatsmeow's device-store tables on the target
	// (whatsmeow's own upgrade, run by package bot): the copy then fills
	// them. Nil leaves whatsmeow's tables out (a source with any is refused).
	PrepareDevices func(ctx context.Context, db *sql.DB) error
	// Progress, when set, hears each table's progress: rows copied of total.
	Progress func(table string, done, total int64)
	// Now is the clock of the migration records; default time.Now.
	Now func() time.Time
}

// TableCopy is one table's outcome: rows copied and the checksum both
// engines agreed on (copysum.go).
type TableCopy struct {
	Name string
	Rows int64
	Sum  string // hex SHA-256 of the table's canonical rows
}

// CopyReport says what a copy did.
type CopyReport struct {
	Tables  []TableCopy
	Skipped map[string]string // table → why it was not copied
	Reset   int               // identity sequences set past the copied ids
}

// Rows is the number of rows copied in all.
func (r CopyReport) Rows() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// CopyToPostgres copies the CIS store in the SQLite file from (the app's
// tables and whatsmeow's) into the empty PostgreSQL database at url.
func CopyToPostgres(ctx context.Context, from, url string, opt CopyOptions) (CopyReport, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if !IsPostgres(url) {
		return CopyReport{}, fmt.Errorf("--to %q: want a PostgreSQL URL, postgres://USER:PASSWORD@HOST:5432/DATABASE", RedactURL(url))
	}
	if IsPostgres(from) {
		return CopyReport{}, errors.New("--from: want the SQLite file the copy starts from; between PostgreSQL databases, " +
			"pg_dump and pg_restore copy a store (cis backup --db URL prints the commands)")
	}
	lock, err := Lock(from) // no cis serve on the source while it is read
	if err != nil {
		return CopyReport{}, err
	}
	defer lock.Unlock()
	src, err := openCopySource(ctx, from)
	if err != nil {
		return CopyReport{}, err
	}
	defer src.Close()
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return CopyReport{}, fmt.Errorf("--to: %w", err) // pgx leaves the password out of its errors
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return CopyReport{}, connectHint(cfg, err)
	}
	defer conn.Close(context.Background()) // also releases the lock below
	// One copy or migration at a time on the target, from the emptiness
	// check to the commit: a second copy started meanwhile waits, then
	// finds the store there (whatsmeow's upgrade cannot run twice at once).
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return CopyReport{}, fmt.Errorf("copy: lock the target: %w", err)
	}
	if err := checkTargetEmpty(ctx, conn); err != nil {
		return CopyReport{}, err
	}
	if err := prepareDevices(ctx, cfg, src, opt); err != nil {
		return CopyReport{}, err
	}
	return copyInTx(ctx, src, conn, opt)
}

// copyInTx is the one target transaction: schema, rows, keys, sequences,
// verification; committed only when every table matches.
func copyInTx(ctx context.Context, src *copySource, conn *pgx.Conn, opt CopyOptions) (CopyReport, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return CopyReport{}, fmt.Errorf("copy: begin on the target: %w", err)
	}
	defer tx.Rollback(context.Background()) // no-op after Commit
	if err := migratePGTx(ctx, tx, opt.Now()); err != nil {
		return CopyReport{}, err
	}
	plan, err := planCopy(ctx, src, tx)
	if err != nil {
		return CopyReport{}, err
	}
	rep, err := plan.run(ctx, src, tx, opt.Progress)
	if err != nil {
		return CopyReport{}, err
	}
	if err := tx.Commit(ctx); err != nil {
		return CopyReport{}, fmt.Errorf("copy: commit on the target: %w", err)
	}
	return rep, nil
}

// migratePGTx applies the PostgreSQL migrations inside the copy's
// transaction, under the migration lock (a server starting on the target
// meanwhile waits, then finds the copied store).
func migratePGTx(ctx context.Context, tx pgx.Tx, now time.Time) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("copy: migration lock: %w", err)
	}
	// Checked again under the lock: another copy, or a cis command that
	// creates the store, may have written the schema since checkTargetEmpty.
	var there bool
	if err := tx.QueryRow(ctx, `SELECT to_regclass('schema_migrations') IS NOT NULL`).Scan(&there); err != nil {
		return fmt.Errorf("copy: read the target: %w", err)
	}
	if there {
		return fmt.Errorf("%w: another process wrote a CIS store there while this copy started; nothing was copied", ErrTargetNotEmpty)
	}
	if _, err := tx.Exec(ctx, pgMigrations.createTable); err != nil {
		return fmt.Errorf("copy: create schema_migrations: %w", err)
	}
	all, err := pgMigrations.load()
	if err != nil {
		return err
	}
	for _, m := range all {
		if _, err := tx.Exec(ctx, m.sql, pgx.QueryExecModeSimpleProtocol); err != nil {
			return fmt.Errorf("copy: apply %s: %w", m.name, err)
		}
		if _, err := tx.Exec(ctx, pgMigrations.record, m.name, m.sum, millis(now)); err != nil {
			return fmt.Errorf("copy: record %s: %w", m.name, err)
		}
	}
	return nil
}

// targetTablesQuery lists the tables of the connection's schema with
// whether each has any row.
const targetTablesQuery = `SELECT c.relname FROM pg_class c
	WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p')
	ORDER BY c.relname`

// checkTargetEmpty refuses a target schema that holds anything but
// whatsmeow's empty tables (left by an earlier, interrupted copy: its
// version row aside, they hold nothing).
func checkTargetEmpty(ctx context.Context, conn *pgx.Conn) error {
	var schema string
	if err := conn.QueryRow(ctx, `SELECT coalesce(current_schema(), '')`).Scan(&schema); err != nil {
		return fmt.Errorf("copy: read the target: %w", err)
	}
	if schema == "" {
		return errors.New("copy: the target has no schema to write in (its search_path names none that exists): " +
			"create it, or set search_path in the URL (…?search_path=NAME)")
	}
	rows, err := conn.Query(ctx, targetTablesQuery)
	if err != nil {
		return fmt.Errorf("copy: read the target: %w", err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return fmt.Errorf("copy: read the target: %w", err)
	}
	var full []string
	for _, t := range tables {
		if !strings.HasPrefix(t, "whatsmeow_") {
			full = append(full, t)
			continue
		}
		if t == "whatsmeow_version" {
			continue
		}
		var rows bool
		if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM `+pgIdent(t)+`)`).Scan(&rows); err != nil {
			return fmt.Errorf("copy: read the target's %s: %w", t, err)
		}
		if rows {
			full = append(full, t)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w: schema %q already holds %s; copy into a new database (createdb) or an empty schema, "+
			"never over an installation", ErrTargetNotEmpty, schema, listSome(full, 5))
	}
	return nil
}

// prepareDevices has whatsmeow create its tables on the target and checks
// that the source's are at the same version of whatsmeow's schema.
func prepareDevices(ctx context.Context, cfg *pgx.ConnConfig, src *copySource, opt CopyOptions) error {
	if opt.PrepareDevices == nil {
		if src.hasDevices() {
			return errors.New("copy: the source holds a WhatsApp session (whatsmeow_ tables) and this copy was not given whatsmeow's schema")
		}
		return nil
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if err := opt.PrepareDevices(ctx, db); err != nil {
		return fmt.Errorf("copy: create the WhatsApp session tables on the target: %w", err)
	}
	if !src.hasDevices() {
		return nil
	}
	var target int
	if err := db.QueryRowContext(ctx, `SELECT version FROM whatsmeow_version`).Scan(&target); err != nil {
		return fmt.Errorf("copy: read the target's whatsmeow_version: %w", err)
	}
	switch v := src.deviceVersion; {
	case v < target:
		return fmt.Errorf("copy: %w: the WhatsApp session tables of %s are at whatsmeow schema v%d, this build's at v%d; "+
			"start `cis serve` (or `cis pair`) on it once with this build, which upgrades them, then copy again", ErrOlderSchema, src.path, v, target)
	case v > target:
		return fmt.Errorf("copy: %w: the WhatsApp session tables of %s are at whatsmeow schema v%d, newer than this build's v%d; "+
			"copy with the build that wrote them", ErrNewerSchema, src.path, v, target)
	}
	return nil
}

// connectHint wraps a failure to reach the target with what to check.
func connectHint(cfg *pgx.ConnConfig, err error) error {
	hint := "check the host, port, user and password in --to, and that the server accepts connections from here"
	switch pgCode(err) {
	case "3D000":
		hint = fmt.Sprintf("create the database first (createdb %s, or CREATE DATABASE in psql)", cfg.Database)
	case "28P01", "28000":
		hint = "the user or password in --to is not accepted"
	}
	return fmt.Errorf("copy: cannot connect to the target %s: %w; %s", RedactURL(cfg.ConnString()), err, hint)
}

// RedactURL is a URL with its password hidden, for messages: in the user
// part and in libpq's password= and sslpassword= parameters, which pgx
// accepts as well (url.URL.Redacted hides only the first).
func RedactURL(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return "(the URL given)"
	}
	querySecrets(u, func(q neturl.Values, k string) { q.Set(k, "xxxxx") })
	return u.Redacted()
}

// querySecrets applies change to each query parameter of u that carries a
// password.
func querySecrets(u *neturl.URL, change func(q neturl.Values, key string)) {
	q := u.Query()
	for _, k := range []string{"password", "sslpassword"} {
		if q.Has(k) {
			change(q, k)
			u.RawQuery = q.Encode()
		}
	}
}

// WithoutPassword is a PostgreSQL URL with no password at all (user part
// and query), for command lines printed to the operator: the password goes
// in PGPASSWORD or ~/.pgpass.
func WithoutPassword(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return s
	}
	if u.User != nil {
		u.User = neturl.User(u.User.Username())
	}
	querySecrets(u, neturl.Values.Del)
	return u.String()
}

// listSome names the first n items of a list and how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
