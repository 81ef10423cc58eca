package store

// pgPortedDevices are the statements of several linked devices in one
// installation (outbox_account.go, issue 16), run on PostgreSQL as
// SQLite's text with $N placeholders; pgPortSets (pgported.go) adds them.
var pgPortedDevices = pgPortSet{same: []string{pendingOutboxForQuery, claimFencedAccountQuery, pendingNoticesViaQuery}}
