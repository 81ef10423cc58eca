package store

import (
	"context"
	"database/sql"
	"os"
	osexec "os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// schemaExists reports whether the cluster has the schema, and a role of
// that name.
func schemaExists(t *testing.T, admin *sql.DB, name string) (schema, role bool) {
	t.Helper()
	q := `SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = $1), EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)`
	if err := admin.QueryRow(q, name).Scan(&schema, &role); err != nil {
		t.Fatal(err)
	}
	return schema, role
}

// TestSweepDropsOnlyEndedRuns: of two runs' redirected schemas, the one
// whose lock a process still holds stays, the other goes with its role;
// once that process lets go, its schemas go too. Other schemas (a test's
// own t_ one, a name of the old form) are never touched.
func TestSweepDropsOnlyEndedRuns(t *testing.T) {
	base := TestCluster(t)
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ended, live := "e0000001", "e0000002"
	names := []string{"f_" + ended + "_0123456789abcdef", "f_" + ended + "_fedcba9876543210", "f_" + live + "_0123456789abcdef",
		"f_0123456789abcdef", "t_e00000010123"}
	for _, n := range names {
		if _, err := TestSchema(base, n); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { DropTestSchema(base, n) })
	}
	holderDB, err := sql.Open("pgx", base) // a process of the live run
	if err != nil {
		t.Fatal(err)
	}
	holder, err := holderDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := holder.ExecContext(ctx, "SELECT pg_advisory_lock_shared($1, $2)", testRunLockSpace, runKey(live)); err != nil {
		t.Fatal(err)
	}
	sweeper, err := admin.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer sweeper.Close()
	// What another binary sweeping at the same time takes is gone too:
	// the state after the sweep is what counts, and that it took nothing
	// alive.
	dropped, err := sweepEndedRuns(ctx, sweeper, "")
	if err != nil || slices.ContainsFunc(dropped, func(n string) bool { return slices.Contains(names[2:], n) }) {
		t.Errorf("swept %v, %v; want none of %v", dropped, err, names[2:])
	}
	for i, n := range names {
		if s, r := schemaExists(t, admin, n); s != (i >= 2) || r != (i >= 2) {
			t.Errorf("%s: schema %v, role %v after the sweep; want both %v", n, s, r, i >= 2)
		}
	}
	holder.Close() // the live run's last process ends: its session closes
	holderDB.Close()
	if _, err := sweepEndedRuns(ctx, sweeper, ""); err != nil {
		t.Fatal(err)
	}
	for i, n := range names[2:] {
		if s, r := schemaExists(t, admin, n); s != (i > 0) || r != (i > 0) {
			t.Errorf("%s: schema %v, role %v after its run ended; want both %v", n, s, r, i > 0)
		}
	}
}

// TestRedirectCleansUpEndedBinaries: two test binaries run one after the
// other with CIS_TEST_PG_ALL (this one again, as
// TestRedirectChildOpensAStore), each opening a store. The second's first
// store starts dropping the first's schema (in the background: the child
// waits for it before it exits); this binary's own redirected schema, if
// it has one (it runs under CIS_TEST_PG_ALL in CI), stays: it is alive.
func TestRedirectCleansUpEndedBinaries(t *testing.T) {
	base := TestCluster(t)
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	var mine string
	if testRedirect != nil {
		path := filepath.Join(t.TempDir(), "cis.db")
		s, err := Open(context.Background(), path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		mine = schemaOf(t, TestDB(path))
	}
	first := runChild(t, base)
	if s, _ := schemaExists(t, admin, first); !s {
		t.Fatalf("the first binary's schema %s is not there after it ended", first)
	}
	second := runChild(t, base)
	if s, r := schemaExists(t, admin, first); s || r {
		t.Errorf("the first binary's schema %s (schema %v, role %v) outlived the start of the next", first, s, r)
	}
	if s, _ := schemaExists(t, admin, second); !s {
		t.Errorf("the second binary's schema %s is not there", second)
	}
	DropTestSchema(base, second)
	if mine != "" {
		if s, _ := schemaExists(t, admin, mine); !s {
			t.Errorf("this running binary's schema %s was dropped", mine)
		}
	}
}

// schemaOf is the schema a redirected URL names (its search_path).
func schemaOf(t *testing.T, url string) string {
	t.Helper()
	_, after, ok := strings.Cut(url, "search_path=")
	if !ok {
		t.Fatalf("no schema in %q", url)
	}
	name, _, _ := strings.Cut(after, "&")
	return name
}

// runChild runs TestRedirectChildOpensAStore as a binary of a run of its
// own and returns the schema its store was redirected to.
func runChild(t *testing.T, base string) string {
	t.Helper()
	cmd := osexec.Command(os.Args[0], "-test.run=^TestRedirectChildOpensAStore$", "-test.v")
	cmd.Env = []string{"CIS_REDIRECT_CHILD=" + t.TempDir(), "CIS_TEST_PG_ALL=1", "CIS_TEST_PG=" + base, "HOME=" + os.Getenv("HOME"), "PATH=" + os.Getenv("PATH")}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	_, after, ok := strings.Cut(string(out), "schema=")
	if !ok {
		t.Fatalf("child named no schema:\n%s", out)
	}
	name, _, _ := strings.Cut(after, "\n")
	if !testRunSchema.MatchString(name) {
		t.Fatalf("child's schema %q is not named after its run", name)
	}
	return name
}

// TestRedirectChildOpensAStore is TestRedirectCleansUpEndedBinaries' child.
func TestRedirectChildOpensAStore(t *testing.T) {
	dir := os.Getenv("CIS_REDIRECT_CHILD")
	if dir == "" {
		t.Skip("the child of TestRedirectCleansUpEndedBinaries")
	}
	path := filepath.Join(dir, "cis.db")
	s, err := Open(context.Background(), path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	if testRunConn == nil {
		t.Fatal("the store was redirected without a lock on the run: the next binary would drop its schema at once")
	}
	os.Stdout.WriteString("schema=" + schemaOf(t, TestDB(path)) + "\n")
	waitSwept(t)
}

// waitSwept waits for this binary's background sweep to end.
func waitSwept(t *testing.T) {
	select {
	case <-testRunSwept:
	case <-time.After(5 * time.Minute):
		t.Fatal("the sweep of ended runs' schemas still runs after 5 minutes")
	}
}
