-- 0202 Conversion events for Meta (issue 18): what a lead that came from a click-to-WhatsApp ad
-- became (LeadSubmitted, QualifiedLead, Purchase), queued in the same transaction as the change and
-- sent to the Conversions API by a claim -> send -> confirm worker. event_id is what Meta
-- deduplicates on: a send a crash left unconfirmed goes again under the same id.
CREATE TABLE meta_events (
	id              INTEGER PRIMARY KEY,
	lead_id         INTEGER NOT NULL REFERENCES leads (id),
	event_name      TEXT    NOT NULL,
	event_id        TEXT    NOT NULL UNIQUE,
	ctwa_clid       TEXT    NOT NULL,
	value_cop       INTEGER NOT NULL DEFAULT 0,
	event_time      INTEGER NOT NULL,
	status          TEXT    NOT NULL DEFAULT 'pending', -- pending, sending, sent, failed, cancelled
	attempts        INTEGER NOT NULL DEFAULT 0,
	resends         INTEGER NOT NULL DEFAULT 0,         -- sent again after a crash or an uncertain answer
	next_attempt_at INTEGER NOT NULL,
	claimed_at      INTEGER,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	sent_at         INTEGER,
	UNIQUE (lead_id, event_name)
);
CREATE INDEX meta_events_pending ON meta_events (status, next_attempt_at, id);
