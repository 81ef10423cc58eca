-- 0170 API tokens (issue 21): one per integration (a CRM, n8n, a spreadsheet), created by an admin on
-- the dashboard. The token is shown once; the table keeps its SHA-256 (the token is 256 random bits, so
-- a fast hash is as safe as a slow one and costs nothing per request), a short prefix to recognise it
-- by, its scope, who created it, when it was last used, and when and by whom it was revoked. Rows are
-- never deleted: a revoked token stays listed, and the audit log names it by id.
CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT    NOT NULL,
	scope        TEXT    NOT NULL CHECK (scope IN ('read', 'write')), -- write includes read
	token_sha256 TEXT    NOT NULL UNIQUE,
	prefix       TEXT    NOT NULL,
	created_by   INTEGER NOT NULL REFERENCES users (id),
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER,
	revoked_by   INTEGER REFERENCES users (id)
);
