package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/stdlib"
)

// The PostgreSQL seam (docs/postgres.md). The store's SQL is SQLite's; on
// PostgreSQL every statement goes through this database/sql driver, which
// wraps pgx's: it runs only ported statements (pgported.go), in their
// PostgreSQL text, with SQLite's ?/?N placeholders as $N, Go bools as the
// 0/1 integers both schemas keep, and LastInsertId answered by RETURNING
// id. SQLite never comes here: its code path and SQL are unchanged.

// ErrNotOnPostgres is the error of a statement the PostgreSQL store does
// not run yet: the feature it belongs to is not ported (docs/postgres.md).
var ErrNotOnPostgres = errors.New("not yet supported on PostgreSQL")

// pgConnector opens pgx connections wrapped by pgConn.
type pgConnector struct {
	base driver.Connector
	ids  *pgIDTables
}

func (c *pgConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	sc, ok := conn.(*stdlib.Conn)
	if !ok {
		_ = conn.Close() // the type error is the one to report
		return nil, fmt.Errorf("postgres: unexpected driver connection %T", conn)
	}
	if err := c.ids.load(ctx, sc); err != nil {
		_ = conn.Close() // the load error is the one to report
		return nil, err
	}
	return &pgConn{Conn: sc, base: sc, ids: c.ids}, nil
}

func (c *pgConnector) Driver() driver.Driver { return c.base.Driver() }

// pgIDTables is the set of tables whose id column is an identity: an
// INSERT into one of them returns its id (LastInsertId). Read once from the
// catalogue of the connection's schema, after the migrations.
type pgIDTables struct {
	mu     sync.Mutex
	loaded bool
	set    map[string]bool
	stmts  sync.Map // query → pgStatement, once the set is loaded
}

const pgIDTablesQuery = `SELECT table_name FROM information_schema.columns
	WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`

func (t *pgIDTables) load(ctx context.Context, c *stdlib.Conn) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.loaded {
		return nil
	}
	rows, err := c.Conn().Query(ctx, pgIDTablesQuery)
	if err != nil {
		return fmt.Errorf("postgres: identity tables: %w", err)
	}
	defer rows.Close()
	set := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return fmt.Errorf("postgres: identity tables: %w", err)
		}
		set[name] = true
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: identity tables: %w", err)
	}
	t.set, t.loaded = set, true
	return nil
}

func (t *pgIDTables) has(table string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.set[table]
}

// pgConn is one pgx connection behind the seam. Transactions, pings and
// session resets are pgx's own (embedded); statements go through the seam.
type pgConn struct {
	*stdlib.Conn
	base *stdlib.Conn
	ids  *pgIDTables
}

var (
	_ driver.Conn               = (*pgConn)(nil)
	_ driver.ConnBeginTx        = (*pgConn)(nil)
	_ driver.ConnPrepareContext = (*pgConn)(nil)
	_ driver.ExecerContext      = (*pgConn)(nil)
	_ driver.QueryerContext     = (*pgConn)(nil)
	_ driver.Pinger             = (*pgConn)(nil)
	_ driver.SessionResetter    = (*pgConn)(nil)
)

func (c *pgConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *pgConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.statement(query)
	if err != nil {
		return nil, err
	}
	ps, err := c.base.PrepareContext(ctx, st.text)
	if err != nil {
		return nil, err
	}
	return &pgStmt{base: ps.(*stdlib.Stmt), returnsID: st.returnsID}, nil
}

func (c *pgConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	st, err := c.statement(query)
	if err != nil {
		return nil, err
	}
	pgTraced(query)
	args = st.args(args)
	if !st.returnsID {
		return c.base.ExecContext(ctx, st.text, args)
	}
	rows, err := c.base.QueryContext(ctx, st.text, args)
	if err != nil {
		return nil, err
	}
	return idResult(rows)
}

func (c *pgConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	st, err := c.statement(query)
	if err != nil {
		return nil, err
	}
	pgTraced(query)
	return c.base.QueryContext(ctx, st.text, st.args(args))
}

// pgTrace, set by benchmarks only, sees every statement the seam sends to
// PostgreSQL (each one a round trip), to count them per message.
var pgTrace atomic.Pointer[func(query string)]

func pgTraced(query string) {
	if f := pgTrace.Load(); f != nil {
		(*f)(query)
	}
}

// pgStmt is a prepared statement behind the seam.
type pgStmt struct {
	base      *stdlib.Stmt
	returnsID bool
}

func (s *pgStmt) Close() error  { return s.base.Close() }
func (s *pgStmt) NumInput() int { return s.base.NumInput() }
func (s *pgStmt) Exec([]driver.Value) (driver.Result, error) {
	return nil, errors.New("postgres: Exec without context is not used")
}
func (s *pgStmt) Query([]driver.Value) (driver.Rows, error) {
	return nil, errors.New("postgres: Query without context is not used")
}

func (s *pgStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	pgTraced("(prepared)")
	args = pgArgs(args)
	if !s.returnsID {
		return s.base.ExecContext(ctx, args)
	}
	rows, err := s.base.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	return idResult(rows)
}

func (s *pgStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	pgTraced("(prepared)")
	return s.base.QueryContext(ctx, pgArgs(args))
}

// idResult reads the ids an INSERT … RETURNING id gave: the last is the
// LastInsertId (SQLite's rule: the last row inserted), their number the
// rows affected.
func idResult(rows driver.Rows) (driver.Result, error) {
	defer rows.Close()
	var res pgResult
	dest := make([]driver.Value, 1)
	for {
		err := rows.Next(dest)
		if errors.Is(err, io.EOF) {
			return res, nil
		}
		if err != nil {
			return nil, err
		}
		id, ok := dest[0].(int64)
		if !ok {
			return nil, fmt.Errorf("postgres: RETURNING id gave %T", dest[0])
		}
		res.id, res.n = id, res.n+1
	}
}

type pgResult struct{ id, n int64 }

func (r pgResult) LastInsertId() (int64, error) { return r.id, nil }
func (r pgResult) RowsAffected() (int64, error) { return r.n, nil }

// pgArgs turns Go bools into the 0/1 integers both schemas keep flags in,
// and makes text PostgreSQL can hold (pgText).
func pgArgs(args []driver.NamedValue) []driver.NamedValue {
	for i, a := range args {
		switch v := a.Value.(type) {
		case bool:
			args[i].Value = int64(0)
			if v {
				args[i].Value = int64(1)
			}
		case string:
			args[i].Value = pgText(v)
		}
	}
	return args
}

// pgText is s as PostgreSQL's text can hold it: a NUL character and bytes
// that are not UTF-8 (which SQLite stores as given, and a provider's
// payload or a crafted URL may carry) become U+FFFD. Refusing them would
// refuse the whole message, which the provider then redelivers forever.
// Every statement's arguments pass here, so a key compares the same way
// when it is stored and when it is looked up. Bytes ([]byte) are untouched.
func pgText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// pgStatement is a ported statement as PostgreSQL runs it.
type pgStatement struct {
	text      string
	returnsID bool // an INSERT into a table with an identity id: RETURNING id added
	params    int  // the highest $N: SQLite ignores arguments past it, PostgreSQL refuses them
}

// placeholder finds the $N of a PostgreSQL statement.
var placeholder = regexp.MustCompile(`\$([0-9]+)`)

// args are the arguments st takes: a store call may pass more (one list
// for several statements, as mergeContacts does), which SQLite ignores.
func (st pgStatement) args(args []driver.NamedValue) []driver.NamedValue {
	if len(args) > st.params {
		args = args[:st.params]
	}
	return pgArgs(args)
}

var (
	insertTable = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([a-z_]+)\b`)
	returning   = regexp.MustCompile(`(?i)\bRETURNING\b`)
)

// statement is the PostgreSQL form of query, or ErrNotOnPostgres naming
// the store function that asked for it.
func (c *pgConn) statement(query string) (pgStatement, error) {
	if st, ok := c.ids.stmts.Load(query); ok {
		return st.(pgStatement), nil
	}
	st, cache, err := c.translate(query)
	if err == nil && cache {
		c.ids.stmts.Store(query, st)
	}
	return st, err
}

// translate is statement without the cache: the store's statements are
// constants, so each is translated once per store. cache is false for a
// statement run only because a test asked (pgLearn, pgTestSQL): the same
// text run later by the store itself must still be refused.
func (c *pgConn) translate(query string) (st pgStatement, cache bool, err error) {
	text, ok := pgPorted().lookup(query)
	cache = ok
	if !ok && pgTestSQL != nil { // tests only: a test's own checking SQL
		text, ok = pgTestSQL(query)
	}
	if !ok && pgLearn != nil { // tests only: CIS_PG_LEARN lists what a test needs ported
		text, ok = rebind(query), true
		pgLearn(query, storeCaller())
	}
	if !ok {
		return pgStatement{}, false, fmt.Errorf("%w: %s (statement %q)", ErrNotOnPostgres, storeCaller(), abbreviate(query))
	}
	st = pgStatement{text: text}
	for _, m := range placeholder.FindAllStringSubmatch(text, -1) {
		if n, _ := strconv.Atoi(m[1]); n > st.params {
			st.params = n
		}
	}
	if m := insertTable.FindStringSubmatch(text); m != nil && c.ids.has(strings.ToLower(m[1])) &&
		!returning.MatchString(text) {
		st.text, st.returnsID = text+" RETURNING id", true
	}
	return st, cache, nil
}

// storeCaller is the store function that ran a statement: the first frame
// of this package outside this file and database/sql.
func storeCaller() string {
	pc := make([]uintptr, 32)
	n := runtime.Callers(3, pc)
	frames := runtime.CallersFrames(pc[:n])
	for {
		f, more := frames.Next()
		if i := strings.Index(f.Function, "/store."); i >= 0 && !strings.HasSuffix(f.File, "pgsql.go") {
			return f.Function[i+1:]
		}
		if !more {
			return "store"
		}
	}
}

// pgTestSQL, set by the store's tests, translates a statement that comes
// straight from a test (its first store frame is in a _test.go file),
// mechanically, and reports false for any other: a test's own checking SQL
// runs rather than being refused, so that the SQLite suite can run whole on
// PostgreSQL (CIS_TEST_PG_ALL). The store's own statements need porting.
var pgTestSQL func(query string) (string, bool)

func abbreviate(q string) string {
	q = strings.Join(strings.Fields(q), " ")
	if len(q) > 80 {
		return q[:80] + "…"
	}
	return q
}

// rebind turns SQLite's placeholders into PostgreSQL's: ?N becomes $N and
// each bare ? the next $N. String literals, quoted names and comments are
// left alone.
func rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + 8)
	next := 0
	for i := 0; i < len(q); i++ {
		switch ch := q[i]; {
		case ch == '\'' || ch == '"':
			j := i + 1
			for j < len(q) && q[j] != ch {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case ch == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case ch == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 {
				b.WriteString("$" + q[i+1:j])
			} else {
				next++
				b.WriteString("$" + strconv.Itoa(next))
			}
			i = j - 1
		default:
			b.WriteByte(ch)
		}
	}
	return b.String()
}
