-- 0210 Leases (issue 16), as SQLite's 0210: one row per lease (process:, linked-device:, job:),
-- taken over only after expires_at, token incremented at each takeover (the fence); claims name
-- the process that made them.
CREATE TABLE leases (
	name       TEXT COLLATE "C" PRIMARY KEY,
	owner      TEXT COLLATE "C" NOT NULL,
	token      BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	taken_at   BIGINT NOT NULL
);
ALTER TABLE outbox ADD COLUMN claimed_by TEXT COLLATE "C";
ALTER TABLE lead_notices ADD COLUMN claimed_by TEXT COLLATE "C";
