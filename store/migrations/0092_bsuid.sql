-- 0092 bsuid: WhatsApp usernames (2026). A person who adopts a username may write to the agency's Cloud API
-- number without revealing their phone: Meta then names them by a business-scoped user id (BSUID,
-- "CO.1502576394655843"), optionally a parent BSUID shared by linked business portfolios
-- ("CO.ENT.118…"), and their username. The BSUID is how the Cloud API channel finds the person
-- (store.IdentifyCloud); the contact key (contacts.phone) stays the phone when one is known and is
-- "bsuid:<BSUID>" otherwise. The username is shown to advisors only: it can change at any time.
ALTER TABLE contacts ADD COLUMN bsuid TEXT;
ALTER TABLE contacts ADD COLUMN parent_bsuid TEXT;
ALTER TABLE contacts ADD COLUMN username TEXT;
-- Contacts stored before this migration as "bsuid:<id>" get their column (merged rows keep theirs empty,
-- as LinkBSUID leaves them).
UPDATE contacts SET bsuid = substr(phone, 7) WHERE phone LIKE 'bsuid:%' AND merged_into IS NULL;
CREATE UNIQUE INDEX contacts_bsuid ON contacts (bsuid);
CREATE INDEX contacts_username ON contacts (username);

-- A number the prospect gave in the chat to be called back on (flow.Lead.CallbackPhone, E.164), when the
-- channel's address is not a phone the agency can call (a web-chat session, a WhatsApp BSUID or LID).
ALTER TABLE leads ADD COLUMN callback_phone TEXT NOT NULL DEFAULT '';
