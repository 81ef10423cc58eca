-- 0201 WhatsApp templates (issue 18): an outbox row may go as an approved template (its name,
-- language, category and parameters as JSON; '' for a free-form reply), and a conversation
-- abandoned after consent is re-engaged at most once (the primary key says so).
ALTER TABLE outbox ADD COLUMN template TEXT NOT NULL DEFAULT '';
CREATE TABLE reengagements (
	conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
	outbox_id       INTEGER NOT NULL REFERENCES outbox (id),
	template        TEXT    NOT NULL,
	created_at      INTEGER NOT NULL
);
