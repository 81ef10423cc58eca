-- 0060 contact merge: a WhatsApp person first known only by their LID ("lid:<user>") and separately by
-- their phone number becomes one contact when WhatsApp reveals the mapping (store.LinkLID). The LID-only
-- row stays, pointing at the contact it was merged into, because the consent evidence filed under it is
-- append-only and cannot be moved; everything else moves to the surviving contact.
ALTER TABLE contacts ADD COLUMN merged_into INTEGER REFERENCES contacts (id);
