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
// flow.CampaignKey (migration 0140's triggers), search_grams the pieces
// migration 0150 indexes a lead's search key by (searchGramsJSON). Both are
// deterministic, so SQLite may use them wherever a built-in function may stand.
func registerFuncs(conn *sqlite3.SQLiteConn) error {
	if err := conn.RegisterFunc("campaign_key", flow.CampaignKey, true); err != nil {
		return err
	}
	return conn.RegisterFunc("search_grams", searchGramsJSON, true)
}
