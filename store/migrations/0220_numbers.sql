-- 0220 Several numbers (issue 16): each of the agency's numbers (an account: a Cloud API
-- phone_number_id or a linked device) carries its own brand, the data controller its consent
-- text names, with that controller's contact and policy URL ('' = the installation's), its own
-- service catalogue (JSON, '' = the installation's) and, optionally, its own advisors. declared
-- marks a number the operator declared (--numbers or the numbers page): once one Cloud API number
-- is declared, a delivery for another phone_number_id is held rather than answered under no brand.
ALTER TABLE accounts ADD COLUMN contact TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN policy_url TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN services TEXT NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN declared INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;

-- The advisors who take the leads of one number; a number with none takes the whole rotation.
CREATE TABLE account_advisors (
	account_id INTEGER NOT NULL REFERENCES accounts (id),
	user_id    INTEGER NOT NULL REFERENCES users (id),
	PRIMARY KEY (account_id, user_id)
);

-- A delivery held for a number not declared: kept whole (nothing lost) and replayed when the
-- operator declares the number. account is the number it was sent to.
ALTER TABLE dead_letters ADD COLUMN account TEXT NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN replayed_at INTEGER;
CREATE INDEX dead_letters_account ON dead_letters (account) WHERE account <> '';
