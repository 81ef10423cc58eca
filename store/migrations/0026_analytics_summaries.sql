-- 0026 analytics summaries: the analytics pages and insights read these small tables instead of
-- scanning a million leads per request. Triggers keep them exact: every insert into leads,
-- history_leads and conversations adds its row's contribution, every update of a counted column
-- takes the old contribution away and adds the new one, so the sums always equal a GROUP BY over the
-- base tables (store/analytics_test.go checks that). Days and months are Colombian (UTC-5, no DST).
-- source is the campaign key (store.CampaignKey): trimmed, lower-cased, for an ad referral
-- ("ad:<id>/<click id>") without the click id, so every click of one ad counts for the same
-- campaign, and for a UTM-tagged web chat ("utm:<campaign>") the campaign alone.

-- Leads per day, campaign, class and origin (live bot leads or imported history).
CREATE TABLE lead_daily (
	day         TEXT    NOT NULL,
	source      TEXT    NOT NULL,
	class       TEXT    NOT NULL,            -- '' for imported history (never scored)
	origin      TEXT    NOT NULL,            -- live, history
	n           INTEGER NOT NULL,
	won         INTEGER NOT NULL,
	lost        INTEGER NOT NULL,
	revenue_cop INTEGER NOT NULL,
	contacted   INTEGER NOT NULL,            -- first contact recorded
	in_sla      INTEGER NOT NULL,            -- first contact at or before the promised deadline
	PRIMARY KEY (day, source, class, origin)
) WITHOUT ROWID;

-- Lead counts and conversions per month by one feature (city, service, urgency, budget band): the
-- insights compare groups and recent against past distributions (drift) from here.
CREATE TABLE lead_dim_monthly (
	month  TEXT    NOT NULL,
	dim    TEXT    NOT NULL,
	value  TEXT    NOT NULL,
	origin TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	won    INTEGER NOT NULL,
	PRIMARY KEY (month, dim, value, origin)
) WITHOUT ROWID;

-- Closed live leads by month (of completion), model, class and probability in thousandths: enough
-- for ROC AUC (exact up to ties within 0.001), calibration and the confusion matrix per month.
CREATE TABLE lead_prob_monthly (
	month TEXT    NOT NULL,
	model TEXT    NOT NULL,
	class TEXT    NOT NULL,
	pbin  INTEGER NOT NULL,                  -- round(probability * 1000)
	won   INTEGER NOT NULL,
	lost  INTEGER NOT NULL,
	PRIMARY KEY (month, model, class, pbin)
) WITHOUT ROWID;

-- Minutes from completion to first contact, in 5-minute buckets up to 1 h, 15-minute buckets up to
-- 8 h, then hours (capped at two weeks): the median time to first contact is read from the
-- cumulative counts, to the bucket.
CREATE TABLE lead_contact_delay (
	day    TEXT    NOT NULL,
	class  TEXT    NOT NULL,
	bucket INTEGER NOT NULL,                 -- lower bound, minutes
	n      INTEGER NOT NULL,
	PRIMARY KEY (day, class, bucket)
) WITHOUT ROWID;

-- Conversations by the day they started, the step they are at and their status: the funnel.
CREATE TABLE conversation_funnel (
	day    TEXT    NOT NULL,
	step   TEXT    NOT NULL,
	status TEXT    NOT NULL,
	n      INTEGER NOT NULL,
	PRIMARY KEY (day, step, status)
) WITHOUT ROWID;

-- Backfill from what the store already holds.
INSERT INTO lead_daily SELECT date(l.completed_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(l.source) LIKE 'ad:%/%' THEN substr(trim(l.source), 1, instr(trim(l.source), '/') - 1) WHEN trim(l.source) LIKE 'utm:%' THEN substr(trim(l.source), 5) ELSE trim(l.source) END), l.class, 'live', COUNT(*), SUM(l.status = 'won'), SUM(l.status = 'lost'),
	SUM(CASE WHEN l.status = 'won' THEN l.outcome_value_cop ELSE 0 END), SUM(l.contacted_at IS NOT NULL), SUM(COALESCE(l.contacted_at <= l.deadline_at, 0))
	FROM leads l GROUP BY 1, 2, 3;
INSERT INTO lead_daily SELECT date(h.created_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(h.source) LIKE 'ad:%/%' THEN substr(trim(h.source), 1, instr(trim(h.source), '/') - 1) WHEN trim(h.source) LIKE 'utm:%' THEN substr(trim(h.source), 5) ELSE trim(h.source) END), '', 'history', COUNT(*), SUM(h.converted = 1), SUM(h.converted = 0),
	SUM(CASE WHEN h.converted = 1 THEN COALESCE(h.revenue_cop, 0) ELSE 0 END), 0, 0
	FROM history_leads h GROUP BY 1, 2;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', l.completed_at / 1000 - 18000, 'unixepoch'), 'city', l.city_name, 'live', COUNT(*), SUM(l.status = 'won') FROM leads l GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', h.created_at / 1000 - 18000, 'unixepoch'), 'city', h.city_name, 'history', COUNT(*), SUM(h.converted = 1) FROM history_leads h GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', l.completed_at / 1000 - 18000, 'unixepoch'), 'service', l.service, 'live', COUNT(*), SUM(l.status = 'won') FROM leads l GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', h.created_at / 1000 - 18000, 'unixepoch'), 'service', h.service, 'history', COUNT(*), SUM(h.converted = 1) FROM history_leads h GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', l.completed_at / 1000 - 18000, 'unixepoch'), 'urgency', l.urgency, 'live', COUNT(*), SUM(l.status = 'won') FROM leads l GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', h.created_at / 1000 - 18000, 'unixepoch'), 'urgency', h.urgency, 'history', COUNT(*), SUM(h.converted = 1) FROM history_leads h GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', l.completed_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN l.budget_unknown THEN 'unknown' WHEN (l.budget_min_cop + l.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (l.budget_min_cop + l.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (l.budget_min_cop + l.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'live', COUNT(*), SUM(l.status = 'won') FROM leads l GROUP BY 1, 3;
INSERT INTO lead_dim_monthly SELECT strftime('%Y-%m', h.created_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN h.budget_unknown THEN 'unknown' WHEN (h.budget_min_cop + h.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (h.budget_min_cop + h.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (h.budget_min_cop + h.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'history', COUNT(*), SUM(h.converted = 1) FROM history_leads h GROUP BY 1, 3;
INSERT INTO lead_prob_monthly SELECT strftime('%Y-%m', l.completed_at / 1000 - 18000, 'unixepoch'), l.model, l.class, CAST(round(l.probability * 1000) AS INTEGER), SUM(l.status = 'won'), SUM(l.status = 'lost')
	FROM leads l WHERE l.status IN ('won', 'lost') GROUP BY 1, 2, 3, 4;
INSERT INTO lead_contact_delay SELECT date(l.completed_at / 1000 - 18000, 'unixepoch'), l.class, CASE WHEN ((l.contacted_at - l.completed_at) / 60000) < 0 THEN 0 WHEN ((l.contacted_at - l.completed_at) / 60000) < 60 THEN ((l.contacted_at - l.completed_at) / 60000) - ((l.contacted_at - l.completed_at) / 60000) % 5 WHEN ((l.contacted_at - l.completed_at) / 60000) < 480 THEN ((l.contacted_at - l.completed_at) / 60000) - ((l.contacted_at - l.completed_at) / 60000) % 15 ELSE min(((l.contacted_at - l.completed_at) / 60000) - ((l.contacted_at - l.completed_at) / 60000) % 60, 20160) END, COUNT(*)
	FROM leads l WHERE l.contacted_at IS NOT NULL GROUP BY 1, 2, 3;
INSERT INTO conversation_funnel SELECT date(c.started_at / 1000 - 18000, 'unixepoch'), c.step, c.status, COUNT(*) FROM conversations c GROUP BY 1, 2, 3;

CREATE TRIGGER leads_summary_insert AFTER INSERT ON leads BEGIN
	INSERT INTO lead_daily VALUES (date(NEW.completed_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(NEW.source) LIKE 'ad:%/%' THEN substr(trim(NEW.source), 1, instr(trim(NEW.source), '/') - 1) WHEN trim(NEW.source) LIKE 'utm:%' THEN substr(trim(NEW.source), 5) ELSE trim(NEW.source) END), NEW.class, 'live', 1, (NEW.status = 'won'), (NEW.status = 'lost'), (CASE WHEN NEW.status = 'won' THEN NEW.outcome_value_cop ELSE 0 END), (NEW.contacted_at IS NOT NULL), COALESCE(NEW.contacted_at <= NEW.deadline_at, 0))
		ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'city', NEW.city_name, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'service', NEW.service, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'urgency', NEW.urgency, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN NEW.budget_unknown THEN 'unknown' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_prob_monthly SELECT strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), NEW.model, NEW.class, CAST(round(NEW.probability * 1000) AS INTEGER), (NEW.status = 'won'), (NEW.status = 'lost')
		WHERE NEW.status IN ('won', 'lost') ON CONFLICT (month, model, class, pbin) DO UPDATE SET won = won + excluded.won, lost = lost + excluded.lost;
	INSERT INTO lead_contact_delay SELECT date(NEW.completed_at / 1000 - 18000, 'unixepoch'), NEW.class, CASE WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 0 THEN 0 WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 60 THEN ((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 5 WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 480 THEN ((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 15 ELSE min(((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 60, 20160) END, 1
		WHERE NEW.contacted_at IS NOT NULL ON CONFLICT (day, class, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER leads_summary_update AFTER UPDATE OF status, class, probability, model, source, city_name, service, urgency,
	budget_min_cop, budget_max_cop, budget_unknown, completed_at, deadline_at, contacted_at, outcome_value_cop ON leads BEGIN
	INSERT INTO lead_daily VALUES (date(OLD.completed_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(OLD.source) LIKE 'ad:%/%' THEN substr(trim(OLD.source), 1, instr(trim(OLD.source), '/') - 1) WHEN trim(OLD.source) LIKE 'utm:%' THEN substr(trim(OLD.source), 5) ELSE trim(OLD.source) END), OLD.class, 'live', -1, -(OLD.status = 'won'), -(OLD.status = 'lost'), -(CASE WHEN OLD.status = 'won' THEN OLD.outcome_value_cop ELSE 0 END), -(OLD.contacted_at IS NOT NULL), -COALESCE(OLD.contacted_at <= OLD.deadline_at, 0))
		ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'city', OLD.city_name, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'service', OLD.service, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'urgency', OLD.urgency, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN OLD.budget_unknown THEN 'unknown' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_prob_monthly SELECT strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), OLD.model, OLD.class, CAST(round(OLD.probability * 1000) AS INTEGER), -(OLD.status = 'won'), -(OLD.status = 'lost')
		WHERE OLD.status IN ('won', 'lost') ON CONFLICT (month, model, class, pbin) DO UPDATE SET won = won + excluded.won, lost = lost + excluded.lost;
	INSERT INTO lead_contact_delay SELECT date(OLD.completed_at / 1000 - 18000, 'unixepoch'), OLD.class, CASE WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 0 THEN 0 WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 60 THEN ((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 5 WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 480 THEN ((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 15 ELSE min(((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 60, 20160) END, -1
		WHERE OLD.contacted_at IS NOT NULL ON CONFLICT (day, class, bucket) DO UPDATE SET n = n + excluded.n;
	INSERT INTO lead_daily VALUES (date(NEW.completed_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(NEW.source) LIKE 'ad:%/%' THEN substr(trim(NEW.source), 1, instr(trim(NEW.source), '/') - 1) WHEN trim(NEW.source) LIKE 'utm:%' THEN substr(trim(NEW.source), 5) ELSE trim(NEW.source) END), NEW.class, 'live', 1, (NEW.status = 'won'), (NEW.status = 'lost'), (CASE WHEN NEW.status = 'won' THEN NEW.outcome_value_cop ELSE 0 END), (NEW.contacted_at IS NOT NULL), COALESCE(NEW.contacted_at <= NEW.deadline_at, 0))
		ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'city', NEW.city_name, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'service', NEW.service, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'urgency', NEW.urgency, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN NEW.budget_unknown THEN 'unknown' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'live', 1, (NEW.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_prob_monthly SELECT strftime('%Y-%m', NEW.completed_at / 1000 - 18000, 'unixepoch'), NEW.model, NEW.class, CAST(round(NEW.probability * 1000) AS INTEGER), (NEW.status = 'won'), (NEW.status = 'lost')
		WHERE NEW.status IN ('won', 'lost') ON CONFLICT (month, model, class, pbin) DO UPDATE SET won = won + excluded.won, lost = lost + excluded.lost;
	INSERT INTO lead_contact_delay SELECT date(NEW.completed_at / 1000 - 18000, 'unixepoch'), NEW.class, CASE WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 0 THEN 0 WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 60 THEN ((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 5 WHEN ((NEW.contacted_at - NEW.completed_at) / 60000) < 480 THEN ((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 15 ELSE min(((NEW.contacted_at - NEW.completed_at) / 60000) - ((NEW.contacted_at - NEW.completed_at) / 60000) % 60, 20160) END, 1
		WHERE NEW.contacted_at IS NOT NULL ON CONFLICT (day, class, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER leads_summary_delete AFTER DELETE ON leads BEGIN
	INSERT INTO lead_daily VALUES (date(OLD.completed_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(OLD.source) LIKE 'ad:%/%' THEN substr(trim(OLD.source), 1, instr(trim(OLD.source), '/') - 1) WHEN trim(OLD.source) LIKE 'utm:%' THEN substr(trim(OLD.source), 5) ELSE trim(OLD.source) END), OLD.class, 'live', -1, -(OLD.status = 'won'), -(OLD.status = 'lost'), -(CASE WHEN OLD.status = 'won' THEN OLD.outcome_value_cop ELSE 0 END), -(OLD.contacted_at IS NOT NULL), -COALESCE(OLD.contacted_at <= OLD.deadline_at, 0))
		ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'city', OLD.city_name, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'service', OLD.service, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'urgency', OLD.urgency, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN OLD.budget_unknown THEN 'unknown' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'live', -1, -(OLD.status = 'won')) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_prob_monthly SELECT strftime('%Y-%m', OLD.completed_at / 1000 - 18000, 'unixepoch'), OLD.model, OLD.class, CAST(round(OLD.probability * 1000) AS INTEGER), -(OLD.status = 'won'), -(OLD.status = 'lost')
		WHERE OLD.status IN ('won', 'lost') ON CONFLICT (month, model, class, pbin) DO UPDATE SET won = won + excluded.won, lost = lost + excluded.lost;
	INSERT INTO lead_contact_delay SELECT date(OLD.completed_at / 1000 - 18000, 'unixepoch'), OLD.class, CASE WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 0 THEN 0 WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 60 THEN ((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 5 WHEN ((OLD.contacted_at - OLD.completed_at) / 60000) < 480 THEN ((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 15 ELSE min(((OLD.contacted_at - OLD.completed_at) / 60000) - ((OLD.contacted_at - OLD.completed_at) / 60000) % 60, 20160) END, -1
		WHERE OLD.contacted_at IS NOT NULL ON CONFLICT (day, class, bucket) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER history_summary_insert AFTER INSERT ON history_leads BEGIN
	INSERT INTO lead_daily VALUES (date(NEW.created_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(NEW.source) LIKE 'ad:%/%' THEN substr(trim(NEW.source), 1, instr(trim(NEW.source), '/') - 1) WHEN trim(NEW.source) LIKE 'utm:%' THEN substr(trim(NEW.source), 5) ELSE trim(NEW.source) END), '', 'history', 1, (NEW.converted = 1), (NEW.converted = 0),
		(CASE WHEN NEW.converted = 1 THEN COALESCE(NEW.revenue_cop, 0) ELSE 0 END), 0, 0) ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.created_at / 1000 - 18000, 'unixepoch'), 'city', NEW.city_name, 'history', 1, (NEW.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.created_at / 1000 - 18000, 'unixepoch'), 'service', NEW.service, 'history', 1, (NEW.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.created_at / 1000 - 18000, 'unixepoch'), 'urgency', NEW.urgency, 'history', 1, (NEW.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', NEW.created_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN NEW.budget_unknown THEN 'unknown' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (NEW.budget_min_cop + NEW.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'history', 1, (NEW.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
END;
CREATE TRIGGER history_summary_delete AFTER DELETE ON history_leads BEGIN
	INSERT INTO lead_daily VALUES (date(OLD.created_at / 1000 - 18000, 'unixepoch'), lower(CASE WHEN trim(OLD.source) LIKE 'ad:%/%' THEN substr(trim(OLD.source), 1, instr(trim(OLD.source), '/') - 1) WHEN trim(OLD.source) LIKE 'utm:%' THEN substr(trim(OLD.source), 5) ELSE trim(OLD.source) END), '', 'history', -1, -(OLD.converted = 1), -(OLD.converted = 0),
		-(CASE WHEN OLD.converted = 1 THEN COALESCE(OLD.revenue_cop, 0) ELSE 0 END), 0, 0) ON CONFLICT (day, source, class, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won, lost = lost + excluded.lost, revenue_cop = revenue_cop + excluded.revenue_cop, contacted = contacted + excluded.contacted, in_sla = in_sla + excluded.in_sla;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.created_at / 1000 - 18000, 'unixepoch'), 'city', OLD.city_name, 'history', -1, -(OLD.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.created_at / 1000 - 18000, 'unixepoch'), 'service', OLD.service, 'history', -1, -(OLD.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.created_at / 1000 - 18000, 'unixepoch'), 'urgency', OLD.urgency, 'history', -1, -(OLD.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
	INSERT INTO lead_dim_monthly VALUES (strftime('%Y-%m', OLD.created_at / 1000 - 18000, 'unixepoch'), 'budget', CASE WHEN OLD.budget_unknown THEN 'unknown' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 1000000 THEN '<1M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 3000000 THEN '1-3M' WHEN (OLD.budget_min_cop + OLD.budget_max_cop) / 2 < 10000000 THEN '3-10M' ELSE '10M+' END, 'history', -1, -(OLD.converted = 1)) ON CONFLICT (month, dim, value, origin) DO UPDATE SET n = n + excluded.n, won = won + excluded.won;
END;
CREATE TRIGGER conversations_funnel_insert AFTER INSERT ON conversations BEGIN
	INSERT INTO conversation_funnel VALUES (date(NEW.started_at / 1000 - 18000, 'unixepoch'), NEW.step, NEW.status, 1) ON CONFLICT (day, step, status) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER conversations_funnel_update AFTER UPDATE OF step, status, started_at ON conversations
	WHEN OLD.step IS NOT NEW.step OR OLD.status IS NOT NEW.status OR OLD.started_at IS NOT NEW.started_at BEGIN
	INSERT INTO conversation_funnel VALUES (date(OLD.started_at / 1000 - 18000, 'unixepoch'), OLD.step, OLD.status, -1) ON CONFLICT (day, step, status) DO UPDATE SET n = n + excluded.n;
	INSERT INTO conversation_funnel VALUES (date(NEW.started_at / 1000 - 18000, 'unixepoch'), NEW.step, NEW.status, 1) ON CONFLICT (day, step, status) DO UPDATE SET n = n + excluded.n;
END;

-- ROI reads spend by campaign and day range.
CREATE INDEX campaign_spend_day ON campaign_spend (day, campaign_id);
