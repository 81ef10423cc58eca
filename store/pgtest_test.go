package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	neturl "net/url"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/stdlib"
)

// Tests on both engines (issue 16). CIS_TEST_PG names a PostgreSQL cluster
// (.ci/pg starts a throw-away one for .ci/test); each test gets a schema
// of its own in it, dropped at the end. Without CIS_TEST_PG the PostgreSQL
// side is skipped with a log line, unless CIS_TEST_PG_REQUIRED is set (CI),
// where it fails.

// engine is one store engine a test runs on.
type engine struct {
	name string
	db   string  // the --db value: a file path or a postgres:// URL
	raw  *sql.DB // a plain handle on the same database, for the test's own checks
	base string  // PostgreSQL: the cluster's URL (CIS_TEST_PG), as its superuser
}

// open opens a store on the engine's database.
func (e *engine) open(tb testing.TB, opt Options) *Store {
	tb.Helper()
	s, err := Open(context.Background(), e.db, opt)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// q is query in the engine's placeholders (tests write SQLite's).
func (e *engine) q(query string) string {
	if IsPostgres(e.db) {
		return rebind(query)
	}
	return query
}

// count runs a COUNT-like query on the engine's plain handle.
func (e *engine) count(tb testing.TB, query string, args ...any) int {
	tb.Helper()
	var n int
	if err := e.raw.QueryRow(e.q(query), args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %s: %v", e.name, query, err)
	}
	return n
}

// bothEngines runs fn as a subtest on SQLite and on PostgreSQL.
func bothEngines(t *testing.T, fn func(t *testing.T, e *engine)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		if testRedirect != nil {
			t.Skip("CIS_TEST_PG_ALL: every store is PostgreSQL in this run")
		}
		path := t.TempDir() + "/cis.db"
		e := &engine{name: "sqlite", db: path}
		// The plain handle opens lazily: the store creates the file.
		raw, err := sql.Open(driverName, dsn(path, true, Options{}.withDefaults()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { raw.Close() })
		e.raw = raw
		fn(t, e)
	})
	t.Run("postgres", func(t *testing.T) {
		fn(t, pgEngine(t))
	})
}

// pgEngine makes a schema of its own for t in the CIS_TEST_PG cluster.
func pgEngine(t testing.TB) *engine {
	t.Helper()
	base := TestCluster(t)
	pgLearnOnce.Do(setupPGLearn)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	// A role of its own, as an installation has: whatsmeow's upgrade looks
	// its tables up without naming a schema, so as the cluster's superuser
	// it saw another test's whatsmeow_version (a bot test running beside,
	// a redirected schema left over) and failed on a table it thought it had.
	url, err := TestSchema(base, schema)
	if err != nil {
		t.Fatalf("PostgreSQL at CIS_TEST_PG: %v", err)
	}
	t.Cleanup(func() { DropTestSchema(base, schema) })
	raw, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return &engine{name: "postgres", db: url, raw: raw, base: base}
}

// super is a handle on the engine's schema as the cluster's superuser, for
// what only a superuser may do (pageinspect's raw pages).
func (e *engine) super(tb testing.TB) *sql.DB {
	tb.Helper()
	sep := "?"
	if strings.Contains(e.base, "?") {
		sep = "&"
	}
	u, err := neturl.Parse(e.db)
	if err != nil {
		tb.Fatal(err)
	}
	db, err := sql.Open("pgx", e.base+sep+"search_path="+neturl.QueryEscape(u.Query().Get("search_path")))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

var _ = stdlib.GetDefaultDriver // registers "pgx" for the plain handles

// A test's own SQL (checks, fixtures written by hand) runs on PostgreSQL
// translated mechanically; the store's statements need porting (pgsql.go).
func init() { pgTestSQL = testSQL }

// testSQL is the PostgreSQL text of a test's own statement: placeholders
// rebound, SQLite's BLOB type named BYTEA and its X'…' literals as bytea.
func testSQL(query string) (string, bool) {
	if !fromTestFile() {
		return "", false
	}
	q := strings.ReplaceAll(rebind(query), " AS BLOB)", " AS BYTEA)")
	return blobLiteral.ReplaceAllString(q, `'\x$1'::bytea`), true
}

var blobLiteral = regexp.MustCompile(`\bX'([0-9A-Fa-f]*)'`)

// fromTestFile reports whether the first frame of this package outside
// the seam (pgsql.go) is in a _test.go file. It is called by testSQL only:
// the frames skipped are runtime.Callers, fromTestFile and testSQL.
func fromTestFile() bool {
	pc := make([]uintptr, 48)
	n := runtime.Callers(3, pc)
	frames := runtime.CallersFrames(pc[:n])
	for {
		f, more := frames.Next()
		if strings.Contains(f.Function, "/store.") && !strings.HasSuffix(f.File, "/pgsql.go") {
			return strings.HasSuffix(f.File, "_test.go")
		}
		if !more {
			return false
		}
	}
}

// sqliteOnly skips t when every store is PostgreSQL (CIS_TEST_PG_ALL): t
// checks SQLite's own files or settings (WAL, pragmas, quick_check), which
// a PostgreSQL server has its own versions of. why says what it checks.
func sqliteOnly(t testing.TB, why string) {
	t.Helper()
	if testRedirect != nil {
		t.Skip("SQLite only (CIS_TEST_PG_ALL): " + why)
	}
}

// pgT0 is t0 for the tests that run on both engines.
var pgT0 = time.Date(2026, 3, 2, 15, 0, 0, 0, time.UTC)
