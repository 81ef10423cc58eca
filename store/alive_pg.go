package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// On PostgreSQL a process proves it is alive the way SQLite's file lock
// does: by a session advisory lock keyed by its owner name, held on a
// connection of its own for as long as its store is open. When the process
// is killed its kernel closes that connection, PostgreSQL ends the session
// and the lock goes with it at once. A server that starts, or settles
// orphans, then need not wait for the dead one's process lease to run out
// (up to --lease-ttl): in that wait a person who had received a reply the
// dead server posted was answered as if it had not left (a "sí" to a
// consent text in flight was told it came too early). A host that stops
// answering without closing its sockets (power cut, network partition) is
// still only noticed when its lease expires.
const (
	// ownerLockQuery: the first key of every owner lock is 1129927504
	// ("CISP"), the second the owner name's hash. Two owners sharing a hash
	// would each look alive to the other's server until their process lease
	// ran out: the same as without the lock.
	ownerLockQuery = `SELECT pg_try_advisory_lock(1129927504, hashtext($1))`
	// expireDeadProcessesQuery ends the process leases ($1 now) of owners,
	// other than $2, whose owner lock nobody holds in this database.
	expireDeadProcessesQuery = `UPDATE leases SET expires_at = $1
		WHERE name LIKE 'process:%' AND owner <> $2 AND expires_at > $1
		AND NOT EXISTS (SELECT 1 FROM pg_locks k WHERE k.locktype = 'advisory' AND k.granted
			AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
			AND k.classid = 1129927504 AND k.objsubid = 2
			AND k.objid::int8 = (hashtext(leases.owner)::int8 & 4294967295))`
)

// aliveLock is the connection that holds this process's owner lock.
type aliveLock struct {
	db   *sql.DB
	conn *sql.Conn
}

// holdOwnerLock takes owner's lock on a connection of its own. Another
// store of this process opened with the same owner (Options.Owner) may hold
// it already: then this one does not, and the owner is alive either way.
func holdOwnerLock(ctx context.Context, cfg *pgx.ConnConfig, owner string) (*aliveLock, error) {
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("owner lock: %w", errors.Join(err, db.Close()))
	}
	var got bool
	if err := conn.QueryRowContext(ctx, ownerLockQuery, owner).Scan(&got); err != nil {
		return nil, fmt.Errorf("owner lock: %w", errors.Join(err, conn.Close(), db.Close()))
	}
	return &aliveLock{db: db, conn: conn}, nil
}

func (a *aliveLock) close() error {
	if a == nil {
		return nil
	}
	err := a.conn.Close()
	if cerr := a.db.Close(); err == nil {
		err = cerr
	}
	return err
}

// ExpireDeadProcesses ends at once the process leases of servers whose
// session is gone (their owner lock is free: killed, or stopped), so that
// the orphans they left are settled now rather than when the lease runs
// out. It returns how many. On SQLite it does nothing: the file lock
// already proves the one other process dead (serve clears its leases).
func (s *Store) ExpireDeadProcesses(ctx context.Context) (int64, error) {
	if s.alive == nil {
		return 0, nil
	}
	res, err := s.alive.conn.ExecContext(ctx, expireDeadProcessesQuery, millis(s.now()), s.owner)
	if err != nil {
		return 0, fmt.Errorf("expire dead processes: %w", err)
	}
	return res.RowsAffected()
}
