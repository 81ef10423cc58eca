-- 0190 advisor presence and the agency's assignment settings (issue 20), as
-- SQLite's 0190: users.last_active_at and users.away_reason (the idle
-- rule), assign_modes (per class, rotation or least loaded) and the shared
-- queue's index. The statements that use them are not yet on the ported
-- list (store/pgported.go): on PostgreSQL they fail with ErrNotOnPostgres.
ALTER TABLE users ADD COLUMN last_active_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN away_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
UPDATE users SET away_reason = 'manual' WHERE away = 1;
CREATE TABLE assign_modes (
	class TEXT COLLATE "C" PRIMARY KEY CHECK (class IN ('hot', 'warm', 'cold')),
	mode  TEXT COLLATE "C" NOT NULL CHECK (mode IN ('rotation', 'least_loaded'))
);
CREATE INDEX leads_waiting ON leads (deadline_at) WHERE status = 'open' AND assigned_to IS NULL;
