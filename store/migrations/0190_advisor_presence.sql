-- 0190 advisor presence and the agency's assignment settings (issue 20, second slice):
--   users.last_active_at: the last authenticated dashboard request of the account (millis, 0 = never),
--     written at most once a minute with the session's own activity; the idle rule reads it.
--   users.away_reason: why the account is away: 'manual' (the advisor's switch or an admin),
--     'idle' (no activity for --advisor-idle while on shift); '' when available. Activity brings back
--     an account away for 'idle' only.
--   assign_modes: per class, how turns are taken among advisors available at the same moment
--     ('rotation' or 'least_loaded'); a class without a row uses rotation. The admin form writes it;
--     --advisor-least-loaded, when given, replaces it at start.
ALTER TABLE users ADD COLUMN last_active_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN away_reason TEXT NOT NULL DEFAULT '';
UPDATE users SET away_reason = 'manual' WHERE away = 1;
CREATE TABLE assign_modes (
  class TEXT PRIMARY KEY CHECK (class IN ('hot', 'warm', 'cold')),
  mode TEXT NOT NULL CHECK (mode IN ('rotation', 'least_loaded'))
);
-- The shared queue: open leads nobody holds, oldest deadline first.
CREATE INDEX leads_waiting ON leads (deadline_at) WHERE status = 'open' AND assigned_to IS NULL;
