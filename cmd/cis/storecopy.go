package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/cis-agencia/cis/bot"
	"github.com/cis-agencia/cis/store"
)

// storeCmd is `cis store copy --from FILE.db --to postgres://…`: moving an
// installation from its SQLite file to PostgreSQL (docs/postgres.md).
func storeCmd(ctx context.Context, e env, args []string) error {
	if len(args) == 0 || args[0] != "copy" {
		return errors.New("usage: cis store copy --from FILE.db --to postgres://USER:PASSWORD@HOST/DATABASE (stop cis serve first)")
	}
	fs, c := newFlagSet("store copy", e.getenv)
	from := fs.String("from", "", "the SQLite store to copy (default: --db / CIS_DB when it is a file)")
	to := fs.String("to", "", "the empty PostgreSQL database to copy into: postgres://USER:PASSWORD@HOST:5432/DATABASE[?search_path=SCHEMA]")
	fs.SetOutput(e.stderr)
	if err := c.parse(fs, args[1:]); err != nil {
		return err
	}
	if *from == "" && !store.IsPostgres(c.DBPath) {
		*from = c.DBPath
	}
	if *from == "" || *to == "" || fs.NArg() != 0 {
		return errors.New("usage: cis store copy --from FILE.db --to postgres://USER:PASSWORD@HOST/DATABASE")
	}
	log := newLogger(c, e.stderr)
	start := time.Now()
	rep, err := store.CopyToPostgres(ctx, *from, *to, store.CopyOptions{
		PrepareDevices: func(ctx context.Context, db *sql.DB) error {
			return bot.UpgradeDeviceStore(ctx, db, log.With("component", "whatsmeow"))
		},
		Progress: copyProgress(e.stderr),
	})
	if err != nil {
		return copyFailed(ctx, err)
	}
	// Open the copy as every command will: it must start as a store.
	st, err := store.Open(ctx, *to, store.Options{Existing: true, Log: log.With("component", "store")})
	if err != nil {
		return fmt.Errorf("the copy was committed but does not open as a store: %w", err)
	}
	if err := st.Close(); err != nil {
		return err
	}
	printCopyReport(e.stdout, *from, *to, rep, time.Since(start))
	return nil
}

// copyFailed says what an interrupted or failed copy left behind and how
// to retry.
func copyFailed(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, context.Canceled) {
		return fmt.Errorf("copy interrupted: nothing of the store was committed on the target (whatsmeow's empty tables "+
			"may remain, and the next copy reuses them); the source was not changed; run the same command again: %w", err)
	}
	return err
}

// copyProgress shows each table on standard error: a bar for the large
// ones, a line for every table once copied.
func copyProgress(w io.Writer) func(table string, done, total int64) {
	if w == nil {
		return nil
	}
	return func(table string, done, total int64) {
		if total >= 5000 {
			progressBar(w, fmt.Sprintf("copy %-24s", table))(int(done), int(total), fmt.Sprintf("%d rows", done))
			return
		}
		if done == total {
			fmt.Fprintf(w, "copy %-24s %d rows\n", table, total)
		}
	}
}

func printCopyReport(w io.Writer, from, to string, rep store.CopyReport, took time.Duration) {
	fmt.Fprintf(w, "cis: copied %s to %s in %s: %d tables, %d rows; row counts and checksums match; %d sequences set past the copied ids\n",
		from, store.RedactURL(to), took.Round(time.Millisecond), len(rep.Tables), rep.Rows(), rep.Reset)
	skipped := make([]string, 0, len(rep.Skipped))
	for t := range rep.Skipped {
		skipped = append(skipped, t)
	}
	sort.Strings(skipped)
	for _, t := range skipped {
		fmt.Fprintf(w, "cis: not copied: %s (%s)\n", t, rep.Skipped[t])
	}
	fmt.Fprintf(w, "cis: the store now runs with --db '%s' (CIS_DB); keep %s until you have checked it\n", store.RedactURL(to), from)
}

// pgBackupAdvice is what `cis backup` and `cis restore` answer on a
// PostgreSQL store: the server's own tools do it, and how.
func pgBackupAdvice(cmd, db string) error {
	c := pgDumpCommands(store.WithoutPassword(db), "cis-"+time.Now().UTC().Format("2006-01-02")+".dump", "cis_restored")
	return fmt.Errorf("cis %s copies SQLite files; this store is PostgreSQL (%s), whose backups are PostgreSQL's own tool, pg_dump "+
		"(from the postgresql-client package, its major version at least the server's); the password goes in PGPASSWORD "+
		"or ~/.pgpass, not on the command line. docs/postgres.md, \"Backups\":\n"+
		"  back up (safe while cis serve runs: one consistent snapshot):\n    %s\n"+
		"  check the backup file:\n    %s\n"+
		"  restore into a new, empty database:\n    %s\n    %s\n  then run cis on it: --db '%s' (CIS_DB)",
		cmd, store.RedactURL(db), shellJoin(c.dump), shellJoin(c.list), shellJoin(c.create), shellJoin(c.restore), c.restoredURL)
}

// pgCommands are the pg_dump / pg_restore command lines for one store.
type pgCommands struct {
	dump, list, create, restore []string
	restoredURL                 string // --db for the restored store
}

// pgDumpCommands builds the backup and restore commands for the store at
// db (a URL as cis takes it), writing file and restoring into database
// newDB. libpq does not know pgx's search_path URL parameter: the schema
// becomes pg_dump's --schema and stays in the restored store's URL.
func pgDumpCommands(db, file, newDB string) pgCommands {
	u, err := url.Parse(db)
	if err != nil {
		u = &url.URL{Scheme: "postgres"}
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	u.RawQuery = q.Encode()
	dump := []string{"pg_dump", "--format=custom", "--file=" + file}
	if schema != "" {
		dump = append(dump, "--schema="+schema)
	}
	dump = append(dump, "--dbname="+u.String())
	admin := *u
	admin.Path = "/postgres"
	restored := *u
	restored.Path = "/" + newDB
	keep := restored
	if schema != "" {
		kq := keep.Query()
		kq.Set("search_path", schema)
		keep.RawQuery = kq.Encode()
	}
	return pgCommands{
		dump:        dump,
		list:        []string{"pg_restore", "--list", file},
		create:      []string{"psql", "--dbname=" + admin.String(), "--command=CREATE DATABASE " + newDB},
		restore:     []string{"pg_restore", "--no-owner", "--exit-on-error", "--single-transaction", "--dbname=" + restored.String(), file},
		restoredURL: keep.String(),
	}
}

// shellJoin quotes each word for a POSIX shell where it needs it.
func shellJoin(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if strings.ContainsAny(w, " '\"&?$;|<>()*`\\") {
			w = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
		out[i] = w
	}
	return strings.Join(out, " ")
}
