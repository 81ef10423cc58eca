-- 0061 advisors are users: one person is one dashboard account. The round robin (--advisors) now
-- assigns leads.assigned_to, the column the queue page shows and "take" sets, and advisor WhatsApp
-- notifications go to the phone stored on the account. The advisors and notifications tables of 0003
-- (and leads.advisor_id) are superseded: their rows are carried over below and nothing writes them any more.

ALTER TABLE users ADD COLUMN phone TEXT;                                 -- E.164, for WhatsApp notifications
ALTER TABLE users ADD COLUMN in_rotation INTEGER NOT NULL DEFAULT 0;     -- named in --advisors: gets completed leads in turn
ALTER TABLE users ADD COLUMN last_assigned_at INTEGER NOT NULL DEFAULT 0; -- round robin: the least recently assigned goes next
CREATE UNIQUE INDEX users_phone ON users (phone);

-- An advisor whose name is a dashboard account is that account.
UPDATE users SET
	phone = (SELECT a.phone FROM advisors a WHERE a.name = users.username COLLATE NOCASE ORDER BY a.active DESC, a.id DESC LIMIT 1),
	in_rotation = (SELECT MAX(a.active) FROM advisors a WHERE a.name = users.username COLLATE NOCASE),
	last_assigned_at = (SELECT MAX(a.last_assigned_at) FROM advisors a WHERE a.name = users.username COLLATE NOCASE)
WHERE EXISTS (SELECT 1 FROM advisors a WHERE a.name = users.username COLLATE NOCASE);

-- Any other advisor becomes an advisor account without a password: it cannot log in until
-- `cis users add NAME` gives it one. A name already taken (or shared by two advisors) gets "-<id>".
INSERT OR IGNORE INTO users (username, role, password_hash, active, created_at, password_changed_at, phone, in_rotation, last_assigned_at)
SELECT CASE WHEN EXISTS (SELECT 1 FROM users u WHERE u.username = a.name COLLATE NOCASE)
		OR (SELECT COUNT(*) FROM advisors b WHERE b.name = a.name COLLATE NOCASE) > 1
	THEN a.name || '-' || a.id ELSE a.name END,
	'advisor', '', 1, a.created_at, a.created_at, a.phone, a.active, a.last_assigned_at
FROM advisors a WHERE NOT EXISTS (SELECT 1 FROM users u WHERE u.phone = a.phone);

-- Leads assigned by the round robin keep their advisor, now in assigned_to.
UPDATE leads SET assigned_to = (SELECT u.id FROM advisors a JOIN users u ON u.phone = a.phone WHERE a.id = leads.advisor_id)
WHERE advisor_id IS NOT NULL AND assigned_to IS NULL;

-- One notification per lead, user and kind (assigned, reminder, reassigned).
CREATE TABLE lead_notices (
	id         INTEGER PRIMARY KEY,
	lead_id    INTEGER NOT NULL REFERENCES leads (id),
	user_id    INTEGER NOT NULL REFERENCES users (id),
	kind       TEXT    NOT NULL,
	status     TEXT    NOT NULL DEFAULT 'pending', -- pending, sent, failed
	attempts   INTEGER NOT NULL DEFAULT 0,
	last_error TEXT    NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	sent_at    INTEGER,
	UNIQUE (lead_id, user_id, kind)
);
CREATE INDEX lead_notices_pending ON lead_notices (status, id);
INSERT OR IGNORE INTO lead_notices (lead_id, user_id, kind, status, attempts, last_error, created_at, sent_at)
SELECT n.lead_id, u.id, n.kind, n.status, n.attempts, n.last_error, n.created_at, n.sent_at
FROM notifications n JOIN advisors a ON a.id = n.advisor_id JOIN users u ON u.phone = a.phone ORDER BY n.id;
