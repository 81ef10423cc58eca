-- 0095 reliability (issue 15): what a crash in the middle of a send leaves, and the path a store is
-- opened under. Times are INTEGER Unix milliseconds, UTC.

-- resend: 1 for a reply that puts a question to the prospect (the consent text included). When a
-- crash or a timeout leaves its send uncertain it is sent again (a question asked twice is harmless,
-- one never asked stalls the conversation); any other reply becomes 'unconfirmed' and is not.
-- resends: how often it was put back after an uncertain send (the invariant check allows one
-- provider send more per resend).
ALTER TABLE outbox ADD COLUMN resend INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN resends INTEGER NOT NULL DEFAULT 0;
-- The question keys of flow.IsQuestion when this migration was written; new rows get the flag from
-- the flow itself.
UPDATE outbox SET resend = 1 WHERE key IN ('consent', 'consent_retry', 'consent_ok', 'ask_name', 'name_retry',
	'ask_city', 'ask_city_again', 'city_retry', 'city_pick', 'city_pick_retry', 'city_in', 'city_foreign_confirm',
	'city_location_abroad', 'ask_budget', 'budget_retry', 'budget_confirm', 'budget_menu', 'ask_urgency',
	'urgency_retry', 'ask_service', 'service_retry', 'yes_no_retry', 'offer_advisor', 'welcome_back');

-- Advisor notifications are claimed like replies (status 'sending' while handed to WhatsApp) and are
-- never sent twice: one cut by a crash becomes 'unconfirmed'.
ALTER TABLE lead_notices ADD COLUMN claimed_at INTEGER;

-- The path (symlinks resolved) the store was last opened under. SQLite names the write-ahead log
-- after the path, so a second name for the same file (a hard link, a bind mount) has a WAL of its
-- own: opening it while the other WAL holds transactions would lose them. Open refuses that.
CREATE TABLE store_home (
	id        INTEGER PRIMARY KEY CHECK (id = 1),
	path      TEXT    NOT NULL,
	opened_at INTEGER NOT NULL
);

-- An erasure keeps the consent evidence (Ley 1581 arts. 9 and 17) without the plain phone or the
-- words typed: the one update a consent record allows is replacing its phone by the installation's
-- keyed hash of it ('hmac:' + 64 hex digits, as suppressions keep it; a BSUID or LID is stored hashed
-- from the start) and emptying its answer, once; whether it was accepted, the text version and hash
-- shown, the channel, the message ID and the time stay as they were (docs/privacy.md, "What an
-- erasure keeps").
DROP TRIGGER consent_records_no_update;
CREATE TRIGGER consent_records_no_update BEFORE UPDATE ON consent_records
WHEN NOT (NEW.phone LIKE 'hmac:%' AND length(NEW.phone) = 69 AND NEW.answer = ''
	AND (OLD.phone NOT LIKE 'hmac:%' OR NEW.phone = OLD.phone AND OLD.answer <> '')
	AND NEW.id = OLD.id AND NEW.contact_id = OLD.contact_id AND NEW.channel = OLD.channel
	AND NEW.message_ext_id = OLD.message_ext_id AND NEW.accepted = OLD.accepted
	AND NEW.policy_version = OLD.policy_version AND NEW.text_sha256 = OLD.text_sha256 AND NEW.created_at = OLD.created_at)
BEGIN SELECT RAISE(ABORT, 'consent records are append-only'); END;
