-- 0001 init: contacts, the agency's channel accounts, conversations, leads, the message log, the outbox and consent evidence.
-- Times are INTEGER Unix milliseconds, UTC. Several agency numbers (accounts) are
-- first-class from the start: a conversation belongs to one account and one contact.

CREATE TABLE accounts (
	id         INTEGER PRIMARY KEY,
	channel    TEXT    NOT NULL,             -- whatsapp, cloudapi, webchat, chat
	address    TEXT    NOT NULL,             -- the agency's number or channel account id
	brand      TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	UNIQUE (channel, address)
);

CREATE TABLE contacts (
	id          INTEGER PRIMARY KEY,
	phone       TEXT    NOT NULL UNIQUE,     -- E.164, or a web-chat session key
	lid         TEXT    UNIQUE,              -- WhatsApp's hidden user id, when known
	name        TEXT    NOT NULL DEFAULT '',
	opted_out_at INTEGER,                    -- suppression: no message is sent to this contact
	created_at  INTEGER NOT NULL
);

CREATE TABLE conversations (
	id          INTEGER PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES accounts (id),
	contact_id  INTEGER NOT NULL REFERENCES contacts (id),
	status      TEXT    NOT NULL,
	step        TEXT    NOT NULL,
	state       TEXT    NOT NULL,            -- flow.State as JSON, answers so far included
	state_version INTEGER NOT NULL,
	started_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL,
	UNIQUE (account_id, contact_id)
);
CREATE INDEX conversations_status_updated ON conversations (status, updated_at);

CREATE TABLE leads (
	id              INTEGER PRIMARY KEY,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	contact_id      INTEGER NOT NULL REFERENCES contacts (id),
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	status          TEXT    NOT NULL DEFAULT 'open', -- open, contacted, won, lost
	name            TEXT    NOT NULL,
	city_code       TEXT    NOT NULL DEFAULT '',
	city_name       TEXT    NOT NULL DEFAULT '',
	department      TEXT    NOT NULL DEFAULT '',
	city_foreign    INTEGER NOT NULL DEFAULT 0,
	budget_min_cop  INTEGER NOT NULL DEFAULT 0,
	budget_max_cop  INTEGER NOT NULL DEFAULT 0,
	budget_unknown  INTEGER NOT NULL DEFAULT 0,
	urgency         TEXT    NOT NULL,
	service         TEXT    NOT NULL,
	source          TEXT    NOT NULL DEFAULT '',
	class           TEXT    NOT NULL,
	probability     REAL    NOT NULL,
	model           TEXT    NOT NULL,
	reasons         TEXT    NOT NULL DEFAULT '[]',
	started_at      INTEGER NOT NULL,
	completed_at    INTEGER NOT NULL,
	deadline_at     INTEGER NOT NULL,
	created_at      INTEGER NOT NULL
);
CREATE INDEX leads_open_deadline ON leads (status, deadline_at, id);
CREATE INDEX leads_contact ON leads (contact_id);

-- The message log. Inbound rows are keyed by the channel's own message id, so a
-- redelivered message hits the unique key and is recognised.
CREATE TABLE messages (
	id              INTEGER PRIMARY KEY,
	channel         TEXT    NOT NULL,
	ext_id          TEXT    NOT NULL,
	account_id      INTEGER NOT NULL REFERENCES accounts (id),
	contact_id      INTEGER NOT NULL REFERENCES contacts (id),
	conversation_id INTEGER REFERENCES conversations (id),
	kind            TEXT    NOT NULL,
	body            TEXT    NOT NULL DEFAULT '',
	sent_at         INTEGER NOT NULL,            -- provider timestamp
	received_at     INTEGER NOT NULL,
	step_before     TEXT    NOT NULL DEFAULT '', -- the question this message answered
	UNIQUE (channel, ext_id)
);
CREATE INDEX messages_contact ON messages (contact_id, id);

-- Replies leave through the outbox: written in the same transaction as the
-- state they come from, sent afterwards, marked sent once the channel accepts.
CREATE TABLE outbox (
	id           INTEGER PRIMARY KEY,
	message_id   INTEGER NOT NULL REFERENCES messages (id),
	seq          INTEGER NOT NULL,
	channel      TEXT    NOT NULL,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	contact_id   INTEGER NOT NULL REFERENCES contacts (id),
	key          TEXT    NOT NULL,
	body         TEXT    NOT NULL,
	status       TEXT    NOT NULL DEFAULT 'pending', -- pending, sent, failed, cancelled
	attempts     INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	ext_id       TEXT    NOT NULL DEFAULT '',        -- the channel's id for the sent message
	last_error   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	sent_at      INTEGER,
	UNIQUE (message_id, seq)
);
CREATE INDEX outbox_pending ON outbox (status, next_attempt_at, id);

-- Versioned consent and policy texts (RELIABILITY C-2): never edited in place.
CREATE TABLE policy_texts (
	sha256     TEXT    PRIMARY KEY,
	version    TEXT    NOT NULL,
	lang       TEXT    NOT NULL,
	body       TEXT    NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TRIGGER policy_texts_no_update BEFORE UPDATE ON policy_texts
BEGIN SELECT RAISE(ABORT, 'policy texts are append-only'); END;

-- Consent evidence, append-only: what was shown, what was answered, when, where.
CREATE TABLE consent_records (
	id            INTEGER PRIMARY KEY,
	contact_id    INTEGER NOT NULL REFERENCES contacts (id),
	phone         TEXT    NOT NULL,
	channel       TEXT    NOT NULL,
	message_ext_id TEXT   NOT NULL,
	answer        TEXT    NOT NULL,
	accepted      INTEGER NOT NULL,
	policy_version TEXT   NOT NULL,
	text_sha256   TEXT    NOT NULL REFERENCES policy_texts (sha256),
	created_at    INTEGER NOT NULL
);
CREATE INDEX consent_contact ON consent_records (contact_id);
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;

-- What happened in a conversation that someone must act on: handoff, data
-- requests, opt-out, abandonment. The privacy back office reads data requests here.
CREATE TABLE conversation_events (
	id              INTEGER PRIMARY KEY,
	conversation_id INTEGER NOT NULL REFERENCES conversations (id),
	message_id      INTEGER REFERENCES messages (id),
	kind            TEXT    NOT NULL,
	detail          TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL
);
CREATE INDEX conversation_events_kind ON conversation_events (kind, created_at);
