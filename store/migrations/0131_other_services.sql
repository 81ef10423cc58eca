-- 0131 other services (issue 13): a prospect who names several services ("redes sociales y pauta")
-- gets the first as the lead's service; the others (flow.Lead.OtherServices, catalogue keys in the
-- order named) are kept for the advisor: the lead page's "También le interesa", the data export.
-- A JSON array of keys; '' when the prospect named one service (every lead before this migration).
ALTER TABLE leads ADD COLUMN other_services TEXT NOT NULL DEFAULT '';
