-- 0090 linked device (issue 23): what the linked-device (whatsmeow) channel remembers across restarts.

-- The last sign of life from the agency's phone itself (WhatsApp device 0), per agency number:
-- WhatsApp unlinks a device whose phone stayed offline for 14 days, so the warning must survive restarts.
CREATE TABLE linked_devices (
	account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
	phone_seen_at INTEGER NOT NULL DEFAULT 0
);

-- A chat the agency answers by hand, from its phone or WhatsApp Web: the bot stays out of it until an
-- advisor writes "reiniciar" in the chat or gives it back from the dashboard. One open takeover per chat.
CREATE TABLE chat_takeovers (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts (id),
	contact_id   INTEGER NOT NULL REFERENCES contacts (id),
	ext_id       TEXT    NOT NULL,             -- the agency's message that started it (a redelivery is recognised)
	prior_status TEXT    NOT NULL DEFAULT '',  -- the conversation's status before, restored on hand-back; '' none
	user_id      INTEGER REFERENCES users (id), -- the advisor credited with the contact (the lead's), when known
	started_at   INTEGER NOT NULL,
	ended_at     INTEGER,
	ended_by     TEXT    NOT NULL DEFAULT '',  -- phone ("reiniciar" in the chat), dashboard (user id in ended_user), prospect
	ended_user   INTEGER REFERENCES users (id),
	UNIQUE (account_id, ext_id)
);
CREATE UNIQUE INDEX chat_takeovers_open ON chat_takeovers (account_id, contact_id) WHERE ended_at IS NULL;

-- Per chat, the disappearing-messages timer the chat uses, so that replies disappear like the rest of it.
CREATE TABLE chat_settings (
	account_id         INTEGER NOT NULL REFERENCES accounts (id),
	contact_id         INTEGER NOT NULL REFERENCES contacts (id),
	expiration_seconds INTEGER NOT NULL DEFAULT 0,
	updated_at         INTEGER NOT NULL,
	PRIMARY KEY (account_id, contact_id)
);

-- A recipient's phone that could not decrypt a reply asks for it again by the id WhatsApp knows it by.
CREATE INDEX outbox_ext_id ON outbox (ext_id) WHERE ext_id <> '';
