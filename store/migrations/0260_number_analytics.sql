-- 0260 One number's analytics (issue 16): with a number chosen, the analytics pages read that number's
-- leads from the base table (store/analytics_number.go), by number and completion time.
CREATE INDEX leads_account_completed ON leads (account_id, completed_at);
