-- 0260 One number's analytics (issue 16): with a number chosen, the analytics pages read that number's
-- leads and conversations from the base tables (store/analytics_number.go), by number and time.
CREATE INDEX leads_account_completed ON leads (account_id, completed_at);
CREATE INDEX conversations_account_started ON conversations (account_id, started_at);
