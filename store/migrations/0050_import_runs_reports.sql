-- 0050 import runs and model reports (issue 8): what each import learned about its file, and the
-- model report computed for a model, so the dashboard's model page does not recompute it per visit.

-- stats is JSON owned by package scoring (ImportStats): counts by reason, city spellings mapped to
-- municipalities, budget forms, empty cells per field. No names, phones or message texts.
CREATE TABLE import_runs (
	id         INTEGER PRIMARY KEY,
	kind       TEXT    NOT NULL,            -- leads, customers, campaigns
	created_at INTEGER NOT NULL,
	stats      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX import_runs_kind ON import_runs (kind, id);

-- One computed report per model (JSON owned by package scoring: ReportData), replaced on recompute.
CREATE TABLE model_reports (
	model_id   INTEGER PRIMARY KEY REFERENCES models (id),
	created_at INTEGER NOT NULL,
	body       TEXT    NOT NULL
);
