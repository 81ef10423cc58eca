-- 0030 privacy: the data-rights back office (Ley 1581 de 2012, Decreto 1377 de 2013; RELIABILITY §3.2
-- R-1…R-4, O-1…O-4, S-1…S-4). Times are INTEGER Unix milliseconds, UTC.

-- One random secret per installation: phone numbers kept after a deletion (suppression, exclusion
-- list, the deletion record) are stored only as HMAC-SHA256(secret, phone). See store/privacy.go.
CREATE TABLE privacy_settings (
	id   INTEGER PRIMARY KEY CHECK (id = 1),
	salt BLOB    NOT NULL CHECK (length(salt) = 32)
);
INSERT INTO privacy_settings (id, salt) VALUES (1, randomblob(32));

-- Every "mis datos", "corregir", "borrar mis datos" and opt-out (and each written request an admin
-- records) is a tracked request with its legal deadline in Colombian business days: 10 for a query
-- (consulta, art. 14), 15 for a claim (reclamo, art. 15). contact_id is kept after the contact is
-- erased (the row then holds no personal data); phone_hash finds a person's requests without a phone.
CREATE TABLE data_requests (
	id            INTEGER PRIMARY KEY,
	contact_id    INTEGER REFERENCES contacts (id),
	phone_hash    TEXT    NOT NULL,
	kind          TEXT    NOT NULL CHECK (kind IN ('access', 'correct', 'delete', 'revoke')),
	legal_type    TEXT    NOT NULL CHECK (legal_type IN ('consulta', 'reclamo')),
	channel       TEXT    NOT NULL,                  -- the chat channel, or 'admin' / 'cli' for a written request
	received_at   INTEGER NOT NULL,
	due_at        INTEGER NOT NULL,
	status        TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'rejected')),
	extended_at   INTEGER,                           -- the one extension the law allows was noticed then
	extension_note TEXT   NOT NULL DEFAULT '',
	resolved_at   INTEGER,
	resolved_by   INTEGER NOT NULL DEFAULT 0,        -- user id, 0 for the system
	resolution    TEXT    NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
);
CREATE INDEX data_requests_open_due ON data_requests (status, due_at, id);
CREATE INDEX data_requests_contact ON data_requests (contact_id);

-- Opt-out suppression that outlives the contact row (O-1): a person who opted out or had their data
-- deleted is never contacted again by anything but a reply to their own new message.
CREATE TABLE suppressions (
	phone_hash TEXT    PRIMARY KEY,
	reason     TEXT    NOT NULL,                     -- opt_out, deletion
	created_at INTEGER NOT NULL
);

-- Numbers commercial outbound must not reach (O-4): the CRC's Registro de Números Excluidos imported,
-- or added by hand. Hashed like suppressions; hint keeps the last digits for the admin list.
CREATE TABLE exclusions (
	phone_hash TEXT    PRIMARY KEY,
	hint       TEXT    NOT NULL DEFAULT '',
	source     TEXT    NOT NULL CHECK (source IN ('manual', 'rne')),
	created_at INTEGER NOT NULL
);

-- Commercial rows in the outbox (follow-ups, reminders to prospects, re-engagement) are held to the
-- Ley 2300 de 2023 hours and the exclusion list; replies to the prospect's own message are not.
ALTER TABLE outbox ADD COLUMN commercial INTEGER NOT NULL DEFAULT 0;

-- Consent evidence and the texts it points to are never deleted either, not even by an erasure:
-- they are the residue the law requires (Ley 1581 arts. 9 and 17). Deletion records likewise.
CREATE TRIGGER policy_texts_no_delete BEFORE DELETE ON policy_texts
BEGIN SELECT RAISE(ABORT, 'policy texts are append-only'); END;
CREATE TRIGGER consent_records_no_delete BEFORE DELETE ON consent_records
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
CREATE TRIGGER data_requests_no_delete BEFORE DELETE ON data_requests
BEGIN SELECT RAISE(ABORT, 'data requests are kept'); END;

-- Security incidents (RELIABILITY S-2): the SIC must be told within 15 business days of detection.
-- description says what happened and what data was affected, not whose.
CREATE TABLE security_incidents (
	id          INTEGER PRIMARY KEY,
	detected_at INTEGER NOT NULL,
	description TEXT    NOT NULL,
	sic_due_at  INTEGER NOT NULL,
	reported_at INTEGER,                  -- reported to the SIC then
	reported_by INTEGER NOT NULL DEFAULT 0,
	created_by  INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL
);
CREATE INDEX security_incidents_due ON security_incidents (reported_at, sic_due_at);
