-- 0200 Cloud API error codes (issue 18), as SQLite's 0200: a person Meta reports it cannot deliver
-- to (131026) is marked unreachable, with when and why, until they write again.
ALTER TABLE contacts ADD COLUMN unreachable_at BIGINT;
ALTER TABLE contacts ADD COLUMN unreachable_reason TEXT COLLATE "C" NOT NULL DEFAULT '';
