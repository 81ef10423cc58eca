-- 0011 queue indexes: the campaign filter lists distinct sources with a loose
-- index scan (a few index probes, not a scan of every lead), and filtering the
-- open queue by class keeps the deadline order from the index.
CREATE INDEX leads_source ON leads (source);
CREATE INDEX leads_status_class_deadline ON leads (status, class, deadline_at, id);
