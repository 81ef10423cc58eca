-- 0210 Leases (issue 16, several servers on one database): who does what in a cluster. A lease is held
-- by one process (owner) until expires_at (Unix ms) unless renewed; another takes it only after
-- that, and each takeover increments token, the fence every fenced claim tests. Names:
-- 'process:<owner>' (the process is alive), 'linked-device:<account>', 'job:<name>'.
-- On SQLite the one process (flock) owns them all.
CREATE TABLE leases (
	name       TEXT    PRIMARY KEY,
	owner      TEXT    NOT NULL,
	token      INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	taken_at   INTEGER NOT NULL  -- when owner took it (not renewed): readiness shows how long it is held
);
-- A claim names the process that made it, so that only the claims of a process whose lease expired
-- are a crash's orphans (a live server's sends are its own). NULL: claimed before 0210.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE lead_notices ADD COLUMN claimed_by TEXT;
