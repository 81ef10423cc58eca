-- 0150 search grams: an index of the queue's search text, so a search that matches few leads reads
-- those leads, not every open lead's search key (at 100,000 open leads that scan took 16 ms a page).
--
-- lead_grams holds, for every lead, each distinct three-character piece of leads.search (0090's
-- folded name, city, department and phone digits) followed by two spaces: search_grams(), the Go
-- function the store registers on every connection it opens (store/sqlfuncs.go), gives them as a
-- JSON array. A folded word of three characters or more can only be in a lead's key if every one of
-- its pieces is among the lead's; a word of one or two is the start of one of its pieces (hence the
-- two spaces). The queue reads the leads of the rarest piece and still tests each word with instr, so
-- what a search finds is exactly what it found before (a substring of the folded key), only sooner.
--
-- Triggers keep the table exact: a new lead adds its pieces; a changed key (a name, city or phone
-- changed, or erased: 0090's triggers rewrite leads.search) removes the old key's pieces and adds the
-- new key's; a deleted lead removes its pieces. An erased person's name is therefore in no piece.
-- Like 0140, a connection without search_grams() (the sqlite3 shell) can read but not write leads.
CREATE TABLE lead_grams (
	gram    TEXT    NOT NULL,
	lead_id INTEGER NOT NULL,
	PRIMARY KEY (gram, lead_id)
) WITHOUT ROWID;

-- On insert the key is read back from the row: whichever of this trigger and 0090's (which fills
-- leads.search with an UPDATE, firing lead_grams_update) runs first, the row ends with the pieces of
-- its final key.
CREATE TRIGGER lead_grams_insert AFTER INSERT ON leads BEGIN
	INSERT OR IGNORE INTO lead_grams SELECT g.value, l.id FROM leads l, json_each(search_grams(l.search)) g WHERE l.id = NEW.id;
END;
CREATE TRIGGER lead_grams_update AFTER UPDATE OF search, id ON leads WHEN OLD.search IS NOT NEW.search OR OLD.id <> NEW.id BEGIN
	DELETE FROM lead_grams WHERE lead_id = OLD.id AND gram IN (SELECT value FROM json_each(search_grams(OLD.search)));
	INSERT OR IGNORE INTO lead_grams SELECT value, NEW.id FROM json_each(search_grams(NEW.search));
END;
CREATE TRIGGER lead_grams_delete AFTER DELETE ON leads BEGIN
	DELETE FROM lead_grams WHERE lead_id = OLD.id AND gram IN (SELECT value FROM json_each(search_grams(OLD.search)));
END;

INSERT OR IGNORE INTO lead_grams SELECT g.value, l.id FROM leads l, json_each(search_grams(l.search)) g;
