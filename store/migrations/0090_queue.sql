-- 0090 queue: what the advisors' queue needs to stay fast with 100,000 leads.
--
-- leads.search is the text the queue's search box matches: the name, city and department folded
-- (lower case, accents and ñ/ç removed, so "MEDELLÍN", "medellin" and "Medellín" are one) and the
-- contact's phone digits. Triggers keep it: on insert, when the name or city changes (erasure
-- blanks the name) and when the contact's phone changes (erasure replaces it). The folding is SQL
-- (replace and lower), not a registered Go function, so every handle on the file (whatsmeow's, a
-- backup, the sqlite3 shell) can write leads. store.SearchKey folds a query the same way.
ALTER TABLE leads ADD COLUMN search TEXT NOT NULL DEFAULT '';

CREATE TRIGGER leads_search_insert AFTER INSERT ON leads BEGIN
	UPDATE leads SET search = lower(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(NEW.name || ' ' || NEW.city_name || ' ' || NEW.department, char(769), ''), char(768), ''), char(770), ''), char(771), ''), char(776), ''), 'á', 'a'), 'à', 'a'), 'â', 'a'), 'ä', 'a'), 'ã', 'a'), 'é', 'e'), 'è', 'e'), 'ê', 'e'), 'ë', 'e'), 'í', 'i'), 'ì', 'i'), 'î', 'i'), 'ï', 'i'), 'ó', 'o'), 'ò', 'o'), 'ô', 'o'), 'ö', 'o'), 'õ', 'o'), 'ú', 'u'), 'ù', 'u'), 'û', 'u'), 'ü', 'u'), 'ñ', 'n'), 'ç', 'c'), 'Á', 'a'), 'À', 'a'), 'Â', 'a'), 'Ä', 'a'), 'Ã', 'a'), 'É', 'e'), 'È', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Í', 'i'), 'Ì', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ó', 'o'), 'Ò', 'o'), 'Ô', 'o'), 'Ö', 'o'), 'Õ', 'o'), 'Ú', 'u'), 'Ù', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ñ', 'n'), 'Ç', 'c')) || ' ' || COALESCE((SELECT substr(c.phone, 2) FROM contacts c WHERE c.id = NEW.contact_id AND c.phone LIKE '+%'), '') WHERE id = NEW.id;
END;
CREATE TRIGGER leads_search_update AFTER UPDATE OF name, city_name, department, contact_id ON leads BEGIN
	UPDATE leads SET search = lower(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(NEW.name || ' ' || NEW.city_name || ' ' || NEW.department, char(769), ''), char(768), ''), char(770), ''), char(771), ''), char(776), ''), 'á', 'a'), 'à', 'a'), 'â', 'a'), 'ä', 'a'), 'ã', 'a'), 'é', 'e'), 'è', 'e'), 'ê', 'e'), 'ë', 'e'), 'í', 'i'), 'ì', 'i'), 'î', 'i'), 'ï', 'i'), 'ó', 'o'), 'ò', 'o'), 'ô', 'o'), 'ö', 'o'), 'õ', 'o'), 'ú', 'u'), 'ù', 'u'), 'û', 'u'), 'ü', 'u'), 'ñ', 'n'), 'ç', 'c'), 'Á', 'a'), 'À', 'a'), 'Â', 'a'), 'Ä', 'a'), 'Ã', 'a'), 'É', 'e'), 'È', 'e'), 'Ê', 'e'), 'Ë', 'e'), 'Í', 'i'), 'Ì', 'i'), 'Î', 'i'), 'Ï', 'i'), 'Ó', 'o'), 'Ò', 'o'), 'Ô', 'o'), 'Ö', 'o'), 'Õ', 'o'), 'Ú', 'u'), 'Ù', 'u'), 'Û', 'u'), 'Ü', 'u'), 'Ñ', 'n'), 'Ç', 'c')) || ' ' || COALESCE((SELECT substr(c.phone, 2) FROM contacts c WHERE c.id = NEW.contact_id AND c.phone LIKE '+%'), '') WHERE id = NEW.id;
END;
CREATE TRIGGER contacts_phone_search AFTER UPDATE OF phone ON contacts BEGIN
	UPDATE leads SET name = name WHERE contact_id = NEW.id;
END;
UPDATE leads SET name = name; -- backfill through the trigger

-- Leads per status and class, for the queue's counts, kept exact by triggers (as 0026 does).
CREATE TABLE lead_counts (
	status TEXT    NOT NULL,
	class  TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (status, class)
) WITHOUT ROWID;
INSERT INTO lead_counts SELECT status, class, COUNT(*) FROM leads GROUP BY status, class;
CREATE TRIGGER lead_counts_insert AFTER INSERT ON leads BEGIN
	INSERT INTO lead_counts VALUES (NEW.status, NEW.class, 1) ON CONFLICT (status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER lead_counts_update AFTER UPDATE OF status, class ON leads WHEN OLD.status <> NEW.status OR OLD.class <> NEW.class BEGIN
	UPDATE lead_counts SET n = n - 1 WHERE status = OLD.status AND class = OLD.class;
	INSERT INTO lead_counts VALUES (NEW.status, NEW.class, 1) ON CONFLICT (status, class) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER lead_counts_delete AFTER DELETE ON leads BEGIN
	UPDATE lead_counts SET n = n - 1 WHERE status = OLD.status AND class = OLD.class;
END;

-- Closed and "all" views list the newest deadlines first.
CREATE INDEX leads_deadline ON leads (deadline_at, id);

-- The lead page lists its conversation's events (handoff, data requests, messages after the end).
CREATE INDEX conversation_events_conversation ON conversation_events (conversation_id, id);

-- The open queue with a search or a filter reads the matching leads in deadline order from this
-- index alone (every column its conditions test is in it), fetching a table row only for the 50 leads of the
-- page: a rare search checks 100,000 index entries, not 100,000 rows. It starts with the columns
-- of 0001's leads_open_deadline, which it replaces (with both, SQLite picks the narrower one).
CREATE INDEX leads_queue ON leads (status, deadline_at, id, class, service, assigned_to, source, completed_at, search);
DROP INDEX leads_open_deadline;
