-- 0130 channel controls (issue 13): the menu a reply offers, kept with it, and
-- the messages held while a voice note before them is transcribed.
-- Times are INTEGER Unix milliseconds, UTC.

-- flow.Reply.Menu as JSON ('' = none): the Cloud API renders it as reply
-- buttons or a list message, the web chat as buttons; Body keeps the numbered
-- text for the channels without native controls.
ALTER TABLE outbox ADD COLUMN menu TEXT NOT NULL DEFAULT '';

-- A voice note waits here, acknowledged, until it is transcribed; the same
-- person's later messages wait behind it so that the conversation takes them
-- in order. A row is deleted once its message went through the flow (the
-- message log then holds it, exactly once by its channel id).
CREATE TABLE held_inbound (
	id              INTEGER PRIMARY KEY,
	channel         TEXT    NOT NULL,
	account         TEXT    NOT NULL,
	sender          TEXT    NOT NULL,            -- flow.Inbound.From, the contact key
	ext_id          TEXT    NOT NULL,
	inbound         TEXT    NOT NULL,            -- flow.Inbound as JSON
	media           TEXT    NOT NULL DEFAULT '', -- the channel's reference to the audio; '' = held for order only
	attempts        INTEGER NOT NULL DEFAULT 0,
	next_attempt_at INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	created_at      INTEGER NOT NULL,
	UNIQUE (channel, ext_id)
);
CREATE INDEX held_inbound_sender ON held_inbound (channel, account, sender, id);
