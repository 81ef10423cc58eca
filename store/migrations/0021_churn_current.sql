-- 0021 the latest churn score of each customer, kept on the customer row so the churn-risk page
-- (active customers sorted by probability, revenue at stake or tenure) reads one indexed range
-- instead of picking the newest of many churn_scores rows per customer. churn_scores keeps the
-- history for predicted versus actual.
ALTER TABLE customers ADD COLUMN churn_probability REAL;          -- NULL until first scored
ALTER TABLE customers ADD COLUMN churn_scored_at   INTEGER;
ALTER TABLE customers ADD COLUMN churn_model       TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN churn_reasons     TEXT NOT NULL DEFAULT '[]';

-- One partial index per sort order of the page; only active customers are listed.
CREATE INDEX customers_active_risk ON customers (churn_probability) WHERE cancelled_at IS NULL;
CREATE INDEX customers_active_at_stake ON customers (monthly_fee_cop * COALESCE(churn_probability, 0)) WHERE cancelled_at IS NULL;
CREATE INDEX customers_active_tenure ON customers (started_at) WHERE cancelled_at IS NULL;
