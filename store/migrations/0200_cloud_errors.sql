-- 0200 Cloud API error codes (issue 18): a person Meta reports it cannot deliver to (131026) is
-- marked unreachable, with when and why, until they write again.
ALTER TABLE contacts ADD COLUMN unreachable_at INTEGER;
ALTER TABLE contacts ADD COLUMN unreachable_reason TEXT NOT NULL DEFAULT '';
