-- 0260 One number's analytics (issue 16): the same indexes as SQLite's 0260, for the same reads
-- (store/analytics_number.go).
CREATE INDEX leads_account_completed ON leads (account_id, completed_at);
CREATE INDEX conversations_account_started ON conversations (account_id, started_at);
