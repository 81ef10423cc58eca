-- 0002 channels: Cloud API dead letters, delivery statuses, click-to-WhatsApp referrals, outbox claims.
-- Added by the WhatsApp channels issue. Times are INTEGER Unix milliseconds, UTC.

-- A webhook body with a valid signature that could not be parsed is kept here
-- and acknowledged, so that Meta does not retry it for a week (RELIABILITY W2).
CREATE TABLE dead_letters (
	id          INTEGER PRIMARY KEY,
	channel     TEXT    NOT NULL,
	reason      TEXT    NOT NULL,
	body        BLOB    NOT NULL,
	received_at INTEGER NOT NULL
);

-- Every status callback as received (deduplicated); outbox.delivery keeps the
-- furthest one reached, which only moves forward: sent < delivered < read.
CREATE TABLE delivery_statuses (
	id          INTEGER PRIMARY KEY,
	channel     TEXT    NOT NULL,
	ext_id      TEXT    NOT NULL,
	status      TEXT    NOT NULL,
	at          INTEGER NOT NULL,
	error       TEXT    NOT NULL DEFAULT '',
	received_at INTEGER NOT NULL,
	UNIQUE (channel, ext_id, status)
);
ALTER TABLE outbox ADD COLUMN delivery TEXT NOT NULL DEFAULT '';       -- '', sent, delivered, read
ALTER TABLE outbox ADD COLUMN delivery_failed TEXT NOT NULL DEFAULT ''; -- the provider's error, when it reported failed
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;                      -- status 'sending': handed to the channel at this time
CREATE INDEX outbox_ext ON outbox (channel, ext_id);
CREATE INDEX outbox_contact ON outbox (contact_id, status, id);

-- Click-to-WhatsApp ad data that came with a message (campaign attribution).
CREATE TABLE referrals (
	id          INTEGER PRIMARY KEY,
	message_id  INTEGER NOT NULL UNIQUE REFERENCES messages (id),
	contact_id  INTEGER NOT NULL REFERENCES contacts (id),
	source_type TEXT    NOT NULL DEFAULT '',
	source_id   TEXT    NOT NULL DEFAULT '',
	source_url  TEXT    NOT NULL DEFAULT '',
	headline    TEXT    NOT NULL DEFAULT '',
	ctwa_clid   TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL
);
CREATE INDEX referrals_contact ON referrals (contact_id, id);
