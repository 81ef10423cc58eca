package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	neturl "net/url"
	"os"
	"strings"
	"sync"
	"testing"
)

// The porting harness of docs/postgres.md, for every package's tests: with
// CIS_TEST_PG_ALL and CIS_TEST_PG set, every store a test opens by file
// (Open, DeviceDB) is a PostgreSQL schema of its own in the CIS_TEST_PG
// cluster instead (one per file path, so a test that reopens its file finds
// its data). .ci/test runs store, bot, dashboard and cmd/cis this way a
// second time. The schemas of binaries that ended are dropped by the next
// one (pgredirect_run.go).
//
// It lives here, not in a _test.go file, so that the tests of bot,
// dashboard and cmd/cis get it without each carrying a copy or a TestMain;
// testing.Testing() keeps it off in every binary that is not a test binary,
// whatever the environment says (the real cis never redirects a --db).
var testRedirect func(path string) string

func init() {
	base := os.Getenv("CIS_TEST_PG")
	if !testing.Testing() || os.Getenv("CIS_TEST_PG_ALL") == "" || base == "" {
		return
	}
	pgLearnOnce.Do(setupPGLearn)
	var mu sync.Mutex
	made := map[string]string{}
	run, joined := testRunID(), false
	testRedirect = func(path string) string {
		if IsPostgres(path) {
			return path
		}
		mu.Lock()
		defer mu.Unlock()
		if url, ok := made[path]; ok {
			return url
		}
		if !joined { // the first store: join the run, clean up ended ones (pgredirect_run.go)
			joined = true
			if joinTestRun(base, run) != nil {
				run = "" // no lock held: names the sweep leaves alone
			}
		}
		sum := sha256.Sum256([]byte(path))
		name := "f_" + hex.EncodeToString(sum[:8])
		if run != "" {
			name = "f_" + run + "_" + hex.EncodeToString(sum[:8])
		}
		url, err := TestSchema(base, name)
		if err != nil {
			return path
		}
		made[path] = url
		return made[path]
	}
}

// TestCluster is the throw-away PostgreSQL cluster's URL (CIS_TEST_PG) for
// a test's PostgreSQL side. Without one the test skips, or fails under
// CIS_TEST_PG_REQUIRED (CI sets it: there the side always runs).
func TestCluster(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv("CIS_TEST_PG")
	if base == "" {
		if os.Getenv("CIS_TEST_PG_REQUIRED") != "" {
			tb.Fatal("CIS_TEST_PG_REQUIRED is set but CIS_TEST_PG is not: the PostgreSQL side cannot run")
		}
		tb.Skip("PostgreSQL side skipped: CIS_TEST_PG is not set (bash .ci/test starts a throw-away cluster)")
	}
	return base
}

// TestSchema makes (if missing) a schema name in the cluster at base, owned
// by a login role of the same name, and returns the URL that logs in as it.
// A role per schema, not only a schema: whatsmeow's upgrade asks
// information_schema whether its tables exist without naming a schema
// (go.mau.fi/util's dbutil), and information_schema shows a role only the
// tables it has rights on, so another test's device store is not taken for
// this one's. A test that started the real binary may have made them
// already (the same path, the same name): "already exists" is fine. Tests
// that make a schema of their own use it too (DropTestSchema at the end).
func TestSchema(base, name string) (string, error) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	// CREATEDB: the restore commands cis backup prints create a database as
	// the store's own role, and the test runs them as printed.
	for _, q := range []string{"CREATE ROLE " + name + " LOGIN CREATEDB", "CREATE SCHEMA IF NOT EXISTS " + name + " AUTHORIZATION " + name} {
		if _, err := admin.Exec(q); err != nil && !strings.Contains(err.Error(), "already exists") {
			return "", err
		}
	}
	u, err := neturl.Parse(base)
	if err != nil {
		return "", err
	}
	u.User = neturl.User(name)
	v := u.Query()
	v.Set("search_path", name)
	u.RawQuery = v.Encode()
	return u.String(), nil
}

// DropTestSchema drops what TestSchema made.
func DropTestSchema(base, name string) {
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return
	}
	defer admin.Close()
	_, _ = admin.Exec("DROP SCHEMA IF EXISTS " + name + " CASCADE")
	_, _ = admin.Exec("DROP ROLE IF EXISTS " + name)
}

// TestsOnPostgres reports whether this is a test binary run with
// CIS_TEST_PG_ALL: every store opened by file is PostgreSQL. Tests of
// SQLite's own files skip then, with their reason. Always false outside
// tests.
func TestsOnPostgres() bool { return testRedirect != nil }

// TestDB is the database a test's store file is redirected to under
// CIS_TEST_PG_ALL (a postgres:// URL), or path itself: tests that start
// the real cis binary pass it as --db, as the child is no test binary.
func TestDB(path string) string {
	if testRedirect == nil {
		return path
	}
	return testRedirect(path)
}

var pgLearnOnce sync.Once

// setupPGLearn: with CIS_PG_LEARN=FILE, statements not yet ported run
// (rebound) and are appended to FILE with the store function that ran
// them: the list of what a path needs ported. Never set in CI.
func setupPGLearn() {
	path := os.Getenv("CIS_PG_LEARN")
	if path == "" || !testing.Testing() {
		return
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	pgLearn = func(query, caller string) {
		mu.Lock()
		defer mu.Unlock()
		if seen[query] {
			return
		}
		seen[query] = true
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600) // #nosec G304 G703 -- test binaries only: the developer's own CIS_PG_LEARN file
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "%s\t%s\n", caller, strings.Join(strings.Fields(query), " "))
	}
}
