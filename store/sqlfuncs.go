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

// writerDriverName is driverName for the store's own writing connection,
// which also keeps its temporary files in memory (writerHook).
const writerDriverName = "sqlite3_cis_writer"

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{ConnectHook: registerFuncs})
	sql.Register(writerDriverName, &sqlite3.SQLiteDriver{ConnectHook: writerHook})
}

// writerHook is registerFuncs plus temp_store = MEMORY. Inserting a lead
// changes some 45 pages of lead_grams (migration 0150), and a statement
// inside a transaction keeps a copy of each page it changes (the statement
// journal, to undo the statement alone): past 64 KiB SQLite writes that
// copy to a temporary file, which tripled the CPU cost of a lead insert
// (pwrite calls, measured with perf). In memory it costs a copy. Readers
// keep file-backed temporary storage: their large sorts stay off the heap.
func writerHook(conn *sqlite3.SQLiteConn) error {
	if err := registerFuncs(conn); err != nil {
		return err
	}
	_, err := conn.Exec("PRAGMA temp_store = MEMORY", nil)
	return err
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
