-- 0010 dashboard: users, server-side sessions, the audit log, and what advisors do with leads
-- (assignment, contact, outcome, notes), so the scoring issue can learn from outcomes.

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
	username      TEXT    NOT NULL UNIQUE COLLATE NOCASE,
	role          TEXT    NOT NULL CHECK (role IN ('admin', 'advisor', 'viewer')),
	password_hash TEXT    NOT NULL,          -- argon2id PHC string
	active        INTEGER NOT NULL DEFAULT 1,
	created_at    INTEGER NOT NULL,
	password_changed_at INTEGER NOT NULL
);

-- Sessions are server-side: the cookie holds a random token, the table its SHA-256.
-- Logout and deactivation delete the rows, which ends the session.
CREATE TABLE sessions (
	token_sha256 TEXT    PRIMARY KEY,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf_token   TEXT    NOT NULL,
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

-- Sensitive actions, append-only: who (user id or 0), what, on which object, from where.
CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY,
	user_id    INTEGER NOT NULL DEFAULT 0,
	action     TEXT    NOT NULL,
	object     TEXT    NOT NULL DEFAULT '',
	ip         TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The lead's life after the bot: assignment, contact and outcome. status stays
-- in leads.status (open, contacted, won, lost); won/lost are the scoring labels.
ALTER TABLE leads ADD COLUMN assigned_to INTEGER REFERENCES users (id);
ALTER TABLE leads ADD COLUMN contacted_at INTEGER;
ALTER TABLE leads ADD COLUMN outcome_at INTEGER;
ALTER TABLE leads ADD COLUMN outcome_value_cop INTEGER NOT NULL DEFAULT 0;
ALTER TABLE leads ADD COLUMN outcome_reason TEXT NOT NULL DEFAULT '';

-- The timeline of a lead: status changes, assignments and notes, append-only.
CREATE TABLE lead_events (
	id         INTEGER PRIMARY KEY,
	lead_id    INTEGER NOT NULL REFERENCES leads (id),
	user_id    INTEGER NOT NULL DEFAULT 0,
	kind       TEXT    NOT NULL,               -- assigned, contacted, won, lost, note
	detail     TEXT    NOT NULL DEFAULT '',
	value_cop  INTEGER NOT NULL DEFAULT 0,
	created_at INTEGER NOT NULL
);
CREATE INDEX lead_events_lead ON lead_events (lead_id, id);
