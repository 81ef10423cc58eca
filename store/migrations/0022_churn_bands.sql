-- 0022 the churn-risk page's summary: active scored customers per probability band, kept current by
-- whatever changes it (saving scores, a customer churned by an action or an import), so the page
-- does not scan every customer on every view (docs/benchmarks.md).
CREATE TABLE churn_risk_bands (
	band         INTEGER PRIMARY KEY,   -- index into store.riskBandEdges
	customers    INTEGER NOT NULL,
	fee_cop      INTEGER NOT NULL,      -- their monthly fees
	at_stake_cop INTEGER NOT NULL       -- Σ fee × probability
);
