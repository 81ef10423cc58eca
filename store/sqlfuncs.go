package store

import (
	"database/sql"

	"github.com/mattn/go-sqlite3"

	"github.com/cis-agencia/cis/flow"
)

// driverName is the database/sql driver every handle the store opens uses:
// go-sqlite3 with the SQL functions our schema calls registered on each new
// connection. A rule the triggers need is written once, in Go, and called
// from SQL, rather than spelled out a second time in a migration.
const driverName = "sqlite3_cis"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: registerFuncs})
}

// registerFuncs adds our functions to one connection. campaign_key is
// flow.CampaignKey (migration 0140's triggers): deterministic, so SQLite
// may use it wherever a built-in function may stand.
func registerFuncs(conn *sqlite3.SQLiteConn) error {
	return conn.RegisterFunc("campaign_key", flow.CampaignKey, true)
}
