-- 0201 WhatsApp templates (issue 18), as SQLite's 0201: the template an outbox row goes as, and at
-- most one re-engagement per conversation.
ALTER TABLE outbox ADD COLUMN template TEXT COLLATE "C" NOT NULL DEFAULT '';
CREATE TABLE reengagements (
	conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id),
	outbox_id       BIGINT NOT NULL REFERENCES outbox (id),
	template        TEXT COLLATE "C" NOT NULL,
	created_at      BIGINT NOT NULL
);
