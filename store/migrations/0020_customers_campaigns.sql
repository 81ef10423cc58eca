-- 0020 customers and campaigns: who pays the agency, what it spends to get leads, and the churn
-- scores. Shared ground for the analytics issue: campaigns/spend feed ROI, customers/events feed
-- the churn model, churn_scores feed the risk list and predicted versus actual.
-- Times are INTEGER Unix milliseconds, UTC; calendar days are TEXT YYYY-MM-DD (Colombian time).

-- A campaign is what a lead's `source` names (leads.source, history_leads.source), so its key is
-- that text normalised: trimmed and lower-cased.
CREATE TABLE campaigns (
	id         INTEGER PRIMARY KEY,
	key        TEXT    NOT NULL UNIQUE,
	name       TEXT    NOT NULL,
	channel    TEXT    NOT NULL DEFAULT '',   -- facebook, instagram, google, tiktok, web, referral, other
	started_on TEXT    NOT NULL DEFAULT '',
	ended_on   TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL
);

-- Spend by day, or by month (stored on the month's first day with period 'month').
CREATE TABLE campaign_spend (
	campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
	period      TEXT    NOT NULL CHECK (period IN ('day', 'month')),
	day         TEXT    NOT NULL,
	amount_cop  INTEGER NOT NULL CHECK (amount_cop >= 0),
	PRIMARY KEY (campaign_id, period, day)
);

-- A customer is a won lead (lead_id set) or a row of an imported customers file (ext_key from it).
CREATE TABLE customers (
	id              INTEGER PRIMARY KEY,
	ext_key         TEXT    NOT NULL UNIQUE,      -- 'lead:<id>' for a won lead, else the file's customer id
	lead_id         INTEGER UNIQUE REFERENCES leads (id),
	name            TEXT    NOT NULL DEFAULT '',
	city_code       TEXT    NOT NULL DEFAULT '',
	service         TEXT    NOT NULL DEFAULT '',
	plan            TEXT    NOT NULL DEFAULT '',
	source          TEXT    NOT NULL DEFAULT '',  -- campaign key, for attribution
	monthly_fee_cop INTEGER NOT NULL DEFAULT 0,
	started_at      INTEGER NOT NULL,
	cancelled_at    INTEGER,                      -- NULL while active
	extra           TEXT    NOT NULL DEFAULT '{}',
	created_at      INTEGER NOT NULL
);
CREATE INDEX customers_active ON customers (cancelled_at, started_at);
CREATE INDEX customers_source ON customers (source);

-- The customer's history as dated events, so a snapshot at time T sees only events before T.
CREATE TABLE customer_events (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	kind        TEXT    NOT NULL,                 -- payment, support, activity, fee_change, plan_change
	at          INTEGER NOT NULL,
	amount_cop  INTEGER NOT NULL DEFAULT 0,
	days_late   INTEGER NOT NULL DEFAULT 0,
	detail      TEXT    NOT NULL DEFAULT '',
	UNIQUE (customer_id, kind, at, amount_cop, detail)
);
CREATE INDEX customer_events_customer_at ON customer_events (customer_id, at);

-- One churn probability per customer per scoring snapshot, with its top reasons (JSON).
CREATE TABLE churn_scores (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	scored_at   INTEGER NOT NULL,
	probability REAL    NOT NULL,
	model       TEXT    NOT NULL,
	reasons     TEXT    NOT NULL DEFAULT '[]',
	UNIQUE (customer_id, scored_at)
);
CREATE INDEX churn_scores_scored ON churn_scores (scored_at, probability);

-- What the agency did about a risk: contacted, retained, churned (append-only timeline).
CREATE TABLE customer_actions (
	id          INTEGER PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	user_id     INTEGER NOT NULL DEFAULT 0,
	kind        TEXT    NOT NULL CHECK (kind IN ('contacted', 'retained', 'churned', 'note')),
	detail      TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX customer_actions_customer ON customer_actions (customer_id, id);

-- Models now come in kinds (lead scoring, churn); one active model per kind.
ALTER TABLE models ADD COLUMN kind TEXT NOT NULL DEFAULT 'lead';
DROP INDEX models_one_active;
CREATE UNIQUE INDEX models_one_active ON models (kind) WHERE active = 1;
