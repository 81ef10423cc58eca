-- 0180 outgoing webhooks (issue 21): destinations an admin registers, and one delivery row per
-- (event, destination), queued in the transaction of the change that causes the event (an outbox:
-- the event exists exactly when the change committed). The worker (bot/webhooks.go) claims a row,
-- POSTs it and records the answer; rows of one subject (a lead, or a customer without a lead) go
-- out in id order per destination.
CREATE TABLE webhook_destinations (
	id              INTEGER PRIMARY KEY,
	name            TEXT    NOT NULL DEFAULT '',
	url             TEXT    NOT NULL,
	events          TEXT    NOT NULL DEFAULT '[]', -- JSON array of event types
	secret          TEXT    NOT NULL,              -- the HMAC key: kept readable, it signs every body
	enabled         INTEGER NOT NULL DEFAULT 1,
	created_at      INTEGER NOT NULL,
	created_by      INTEGER,
	last_status     TEXT    NOT NULL DEFAULT '',   -- "200", "503", "timeout", … of the last attempt
	last_error      TEXT    NOT NULL DEFAULT '',   -- our words, never the receiver's body
	last_attempt_at INTEGER,
	last_success_at INTEGER
);

CREATE TABLE webhook_deliveries (
	id              INTEGER PRIMARY KEY,
	destination_id  INTEGER NOT NULL REFERENCES webhook_destinations (id) ON DELETE CASCADE,
	event_id        TEXT    NOT NULL,              -- stable: the same for every destination and attempt
	event_type      TEXT    NOT NULL,
	subject         TEXT    NOT NULL,              -- ordering key: "lead:12", "customer:7"
	body            TEXT    NOT NULL,              -- the JSON posted (signed at send time)
	status          TEXT    NOT NULL DEFAULT 'pending', -- pending, sending, delivered, failed
	attempts        INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	next_attempt_at INTEGER NOT NULL,
	claimed_at      INTEGER,
	delivered_at    INTEGER,
	last_status     TEXT    NOT NULL DEFAULT '',
	last_error      TEXT    NOT NULL DEFAULT '',
	UNIQUE (destination_id, event_id)
);
-- The worker reads the head of each subject's queue: rows still to go, per destination and subject.
CREATE INDEX webhook_deliveries_open ON webhook_deliveries (destination_id, subject, id)
	WHERE status IN ('pending', 'sending');
-- An erasure finds every row of a person's subjects.
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subject);
