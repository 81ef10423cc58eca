package store

// The statements the tests of the packages that use a real store (bot,
// dashboard, cmd/cis) need on PostgreSQL beyond parts A and B (issue 16,
// docs/postgres.md): found with CIS_TEST_PG_ALL and CIS_PG_LEARN, each
// read for SQLite-only semantics before being listed.

// pgPortedAll is this slice, added by pgPorted (pgported.go).
var pgPortedAll = pgPortSet{same: pgSameAll}

// pgSameAll are statements whose PostgreSQL text is SQLite's with $N
// placeholders.
var pgSameAll = []string{
	// time.go: a message the provider dated before one already applied
	// (COALESCE over MAX: no row gives 0 on both engines), and the trace
	// of what became of a message
	newestAppliedQuery, traceMessageQuery, traceRepliesQuery, traceEventsQuery,
	// time.go: a late answer asks the open question again
	openQuestionQuery,
}
