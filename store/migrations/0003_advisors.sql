-- 0003 advisors: round-robin assignment of completed leads, and the WhatsApp notifications advisors get.
CREATE TABLE advisors (
	id               INTEGER PRIMARY KEY,
	name             TEXT    NOT NULL,
	phone            TEXT    NOT NULL UNIQUE,      -- E.164
	active           INTEGER NOT NULL DEFAULT 1,
	last_assigned_at INTEGER NOT NULL DEFAULT 0,   -- round robin: the least recently assigned goes next
	created_at       INTEGER NOT NULL
);
ALTER TABLE leads ADD COLUMN advisor_id INTEGER REFERENCES advisors (id);
ALTER TABLE leads ADD COLUMN reminded_at INTEGER;   -- the reminder before the deadline went out
ALTER TABLE leads ADD COLUMN reassigned_at INTEGER; -- the missed deadline moved the lead to another advisor

-- One notification per lead, advisor and kind (assigned, reminder, reassigned): a sweep that runs twice
-- cannot notify twice.
CREATE TABLE notifications (
	id         INTEGER PRIMARY KEY,
	lead_id    INTEGER NOT NULL REFERENCES leads (id),
	advisor_id INTEGER NOT NULL REFERENCES advisors (id),
	kind       TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'pending', -- pending, sent, failed
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at    INTEGER,
	UNIQUE (lead_id, advisor_id, kind)
);
CREATE INDEX notifications_pending ON notifications (status, id);
