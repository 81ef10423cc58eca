-- 0220 Several numbers (issue 16), as SQLite's 0220: each account's brand (the data controller its
-- consent text names), contact, policy URL and services ('' = the installation's), whether the
-- operator declared it, its own advisors, and deliveries held for an undeclared number.
ALTER TABLE accounts ADD COLUMN contact TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN policy_url TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN services TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE accounts ADD COLUMN declared BIGINT NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;

CREATE TABLE account_advisors (
	account_id BIGINT NOT NULL REFERENCES accounts (id),
	user_id    BIGINT NOT NULL REFERENCES users (id),
	PRIMARY KEY (account_id, user_id)
);

ALTER TABLE dead_letters ADD COLUMN account TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE dead_letters ADD COLUMN replayed_at BIGINT;
CREATE INDEX dead_letters_account ON dead_letters (account) WHERE account <> '';
