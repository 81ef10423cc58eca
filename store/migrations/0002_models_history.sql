-- 0002 models and history: trained model bundles (opaque to the store) and the agency's imported lead history.
-- A bundle is gzip'd JSON owned by package scoring; the store keeps its bytes,
-- their SHA-256 and which one is active (at most one, enforced by a partial index).

CREATE TABLE models (
	id         INTEGER PRIMARY KEY,
	created_at INTEGER NOT NULL,
	sha256     TEXT    NOT NULL,
	size       INTEGER NOT NULL,
	active     INTEGER NOT NULL DEFAULT 0,
	summary    TEXT    NOT NULL DEFAULT '',  -- one line for `cis models`, written by scoring
	body       BLOB    NOT NULL
);
CREATE UNIQUE INDEX models_one_active ON models (active) WHERE active = 1;

-- Historical leads imported from the agency's files. row_key is the SHA-256
-- of the normalised row, so re-importing the same file adds nothing twice.
CREATE TABLE history_leads (
	id             INTEGER PRIMARY KEY,
	row_key        TEXT    NOT NULL UNIQUE,
	created_at     INTEGER NOT NULL,          -- when the lead arrived
	city_code      TEXT    NOT NULL DEFAULT '',
	city_name      TEXT    NOT NULL DEFAULT '',
	department     TEXT    NOT NULL DEFAULT '',
	city_foreign   INTEGER NOT NULL DEFAULT 0,
	budget_min_cop INTEGER NOT NULL DEFAULT 0,
	budget_max_cop INTEGER NOT NULL DEFAULT 0,
	budget_unknown INTEGER NOT NULL DEFAULT 0,
	urgency        TEXT    NOT NULL DEFAULT '',
	service        TEXT    NOT NULL DEFAULT '',
	source         TEXT    NOT NULL DEFAULT '',
	converted      INTEGER NOT NULL,
	revenue_cop    INTEGER,                   -- NULL when unknown
	extra          TEXT    NOT NULL DEFAULT '{}', -- other columns of the file, as JSON
	imported_at    INTEGER NOT NULL
);
CREATE INDEX history_leads_created ON history_leads (created_at);
