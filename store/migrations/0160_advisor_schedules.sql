-- 0160 advisor schedules (issue 20): the facts assign.Pick reads to give a lead to an advisor who is
-- actually working. Every default is the behaviour before this migration, so existing advisors keep
-- the plain round robin until someone sets them:
--   schedule: JSON {"hours": "mon-fri 08:00-17:00" (flow.ParseWeek syntax, "" = the agency's hours),
--             "days_off": ["2026-03-03", ...] (civil dates, Bogotá)}; '' = agency hours, no day off.
--   max_open: how many open (uncontacted) leads the advisor may hold; 0 = no limit.
--   skills:   JSON {"services": [catalogue keys], "places": [DANE codes, city or department names]};
--             '' or empty lists = every service, everywhere.
--   away:     the live available/away switch; 1 = takes no lead until switched back.
ALTER TABLE users ADD COLUMN schedule TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN max_open INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN skills TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
-- Each assignment counts every rotation advisor's open leads.
CREATE INDEX leads_assigned_open ON leads (assigned_to, status);
