package store

import (
	"regexp"
	"strings"
)

// Statements ported in slice 2, part A (docs/postgres.md): analytics,
// customers and churn, models and reports, imported history and past
// leads, the demo's synthetic data, stats, the rest of the queue and of the
// advisors' paths, the shared queue, and the store's own invariant checks.
// pgPorted (pgported.go) adds them with the others. Each was read for
// SQLite-only semantics before it was listed; the twins say what differs.
var pgPortedA = pgPortSet{
	same: append([]string{
		// campaigns and their spend, the analytics reads (analytics.go)
		campaignIDQuery, insertCampaignQuery, updateCampaignQuery, spendAmountQuery, upsertSpendQuery,
		campaignRowsQuery, campaignLeadsQuery, campaignSpendQuery, leadMonthsQuery, contactDelaysQuery,
		funnelQuery, dimMonthsQuery, leadOutcomesQuery, slaQuery, openOverdueByClassQuery, latestScoringQuery,
		// customers, their events, churn scores and actions (customers.go)
		upsertCustomerQuery, countCustomersQuery, allCustomersQuery, activeCustomersQuery, customerEventsQuery,
		insertChurnScoreQuery, updateChurnQuery, churnProbabilityQuery, riskBandsQuery, clearRiskBandsQuery,
		revenueAtRiskQuery, customerCancelledQuery, cancelCustomerQuery, insertCustomerActionQuery, customerByKeyQuery,
		// models and their reports, imported history (models.go, reports.go, history.go)
		insertModelQuery, listModelsQuery, activeModelQuery, modelBodyQuery, modelKindQuery, deactivateQuery,
		activateModelQuery, findModelSHAQuery, insertImportRunQuery, importRunsQuery, saveReportQuery, reportQuery,
		botLabelledCountQuery, insertHistoryQuery, countLabelledQuery,
		// past and synthetic leads and customers: the demo and the tests (pastleads.go, synthetic*.go)
		pastAccountQuery, insertNamedContactQuery, insertPastConversationQuery, insertPastLeadQuery,
		accountConversationsQuery, insertSyntheticAccountQuery, insertSyntheticConversationQuery,
		insertSyntheticCustomerQuery, insertSyntheticScoreQuery,
		// counts (stats.go, queue.go), other services (services.go)
		statsQuery, classCountsQuery, overdueCountQuery, setOtherServicesQuery,
		// advisors: reminders, reassignment, presence, the week, the shared queue
		// (advisors.go, advisor_*.go, shared_queue.go)
		advisorPhoneQuery, assignLeadQuery, dueRemindersQuery, markRemindedQuery, missedLeadsQuery, reassignLeadQuery,
		advisorStateQuery, touchActiveQuery, idleBackQuery, idleCandidates, advisorWeekQuery, advisorOpenQuery,
		hourLeadsQuery, waitingLeadsQuery, clearAssignModesQuery, insertAssignModeQuery, assignModesQuery,
	}, invariantQueries()...),
	twins: []pgTwin{
		// SQLite's TOTAL is a SUM that is 0.0 on no rows.
		{leadOutcomesKeyQuery, "07ad692a6769", `SELECT COUNT(*), COALESCE(SUM(won), 0)::float8, COALESCE(SUM(lost), 0)::float8,
			COALESCE(SUM((pbin + 1) * (won + 3 * lost) + length(month) + length(model) + length(class)), 0)::float8
			FROM lead_prob_monthly`},
		{churnVersionQuery, "e39783784c27", `SELECT COALESCE((SELECT MAX(id) FROM churn_scores), 0), COALESCE((SELECT MAX(id) FROM customers), 0),
			COALESCE((SELECT MAX(id) FROM customer_events), 0), COALESCE((SELECT MAX(id) FROM customer_actions), 0),
			(SELECT COUNT(*) FROM customers WHERE cancelled_at IS NOT NULL),
			(SELECT COALESCE(SUM(cancelled_at), 0)::float8 FROM customers WHERE cancelled_at IS NOT NULL)`},
		// strftime is SQLite's: the month (UTC-5) of the score by to_char;
		// SQLite's round() is half away from zero (floor(x + 0.5) on these
		// non-negative values); a comparison summed is a CASE.
		{churnOutcomesQuery, "b0179239d41f", `SELECT to_char(to_timestamp(s.scored_at / 1000 - 18000) AT TIME ZONE 'UTC', 'YYYY-MM'), s.model, '',
			CAST(floor(s.probability * 1000 + 0.5) AS BIGINT) AS pb,
			SUM(CASE WHEN c.cancelled_at IS NOT NULL AND c.cancelled_at > s.scored_at AND c.cancelled_at <= s.scored_at + $1 THEN 1 ELSE 0 END),
			SUM(CASE WHEN c.cancelled_at IS NOT NULL AND c.cancelled_at > s.scored_at AND c.cancelled_at <= s.scored_at + $1 THEN 0 ELSE 1 END)
			FROM churn_scores s JOIN customers c ON c.id = s.customer_id
			WHERE s.scored_at <= $2::bigint - $1::bigint AND (c.cancelled_at IS NULL OR c.cancelled_at > s.scored_at)
			GROUP BY 1, 2, 4 ORDER BY 1, 2, 4`},
		{churnRiskQuery, "d65f0212cb2a", `SELECT COUNT(*), COALESCE(SUM(CASE WHEN s.probability >= $2 THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN s.probability >= $2 THEN c.monthly_fee_cop ELSE 0 END), 0)
			FROM churn_scores s JOIN customers c ON c.id = s.customer_id
			WHERE s.scored_at = $1 AND c.cancelled_at IS NULL`},
		// INDEXED BY is SQLite's planner hint; ROUND as above.
		{refreshRiskBandsQuery, "523b4cf528a7", `INSERT INTO churn_risk_bands (band, customers, fee_cop, at_stake_cop)
			SELECT CASE WHEN churn_probability < 0.1 THEN 0 WHEN churn_probability < 0.2 THEN 1
			WHEN churn_probability < 0.3 THEN 2 WHEN churn_probability < 0.5 THEN 3 ELSE 4 END AS band,
			COUNT(*), SUM(monthly_fee_cop), CAST(floor(SUM(monthly_fee_cop * churn_probability) + 0.5) AS BIGINT)
			FROM customers WHERE cancelled_at IS NULL AND churn_probability IS NOT NULL GROUP BY 1`},
		{countActiveCustomersQuery, "bf0c50f08675", `SELECT COUNT(*) FROM customers WHERE cancelled_at IS NULL` + pgRiskSearchWhere},
		{riskListQuery(riskOrder["risk"]), "c0580388bbf8", pgRiskList("churn_probability DESC NULLS LAST, id DESC")},
		{riskListQuery(riskOrder["at_stake"]), "97b8107e3468", pgRiskList(riskOrder["at_stake"][1])},
		{riskListQuery(riskOrder["tenure"]), "afb8e8bd3f79", pgRiskList(riskOrder["tenure"][1])},
		// A comparison is a boolean on PostgreSQL, an integer on SQLite:
		// converted (0/1) and status = 'won' meet in one column.
		{labelledQuery, "890530cfcfae", `SELECT created_at, NULL, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
			budget_unknown, urgency, service, source, converted, NULL, NULL, NULL FROM history_leads
			UNION ALL
			SELECT completed_at, started_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
			budget_unknown, urgency, service, source, CASE WHEN status = 'won' THEN 1 ELSE 0 END, retries, answer_seconds, returning_contact
			FROM leads WHERE status IN ('won', 'lost')
			ORDER BY 1`},
		{labelledRevenueQuery, "520e51114740", `SELECT created_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
			budget_unknown, urgency, service, source, converted, COALESCE(revenue_cop, 0) FROM history_leads
			UNION ALL
			SELECT completed_at, city_code, city_name, department, city_foreign, budget_min_cop, budget_max_cop,
			budget_unknown, urgency, service, source, CASE WHEN status = 'won' THEN 1 ELSE 0 END, outcome_value_cop
			FROM leads WHERE status IN ('won', 'lost')
			ORDER BY 1`},
		// CASE WHEN takes a boolean on PostgreSQL: the flag (0/1) is compared
		// (cast, so that one parameter has one type in both places);
		// usernames compare and sort without ASCII case, as SQLite's NOCASE
		// (pgported.go's users statements).
		{setAwayByIDQuery, "5da1ec5580d8", `UPDATE users SET away = $1::bigint, away_reason = CASE WHEN $1::bigint <> 0 THEN $2 ELSE '' END WHERE id = $3`},
		{setAdvisorSettingsQuery, "a5497d7f7679", `UPDATE users SET schedule = $1, max_open = $2, skills = $3, away = $4,
			away_reason = CASE WHEN $5::bigint <> 0 THEN 'manual' ELSE '' END WHERE lower(username) = lower($6)`},
		{setAdvisorAwayQuery, "68c6e3796401", `UPDATE users SET away = $1::bigint, away_reason = CASE WHEN $1::bigint <> 0 THEN $2 ELSE '' END WHERE lower(username) = lower($3)`},
		{advisorStatesQuery, "34f31ad072d6", `SELECT ` + advisorStateColumns + ` FROM users u WHERE u.active = 1 AND u.role <> 'viewer'
			ORDER BY u.in_rotation DESC, lower(u.username)`},
		// The app's tables in the connection's schema (sqlite_master is SQLite's).
		{tableNamesQuery, "6a707e8fd2fb", `SELECT table_name FROM information_schema.tables
			WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name`},
	},
	match: []func(string) (string, bool){snapshotTable},
}

// pgRiskSearchWhere is riskSearchWhere: strpos is instr, and a word's
// "matches when not empty" is a CASE (a boolean is no number here).
const pgRiskSearchWhere = ` AND strpos(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), $1) >= (CASE WHEN $2 <> '' THEN 1 ELSE 0 END)
	AND strpos(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), $3) >= (CASE WHEN $4 <> '' THEN 1 ELSE 0 END)
	AND strpos(lower(name || ' ' || ext_key || ' ' || service || ' ' || plan), $5) >= (CASE WHEN $6 <> '' THEN 1 ELSE 0 END)`

// pgRiskList is riskListQuery on PostgreSQL for an ORDER BY: no INDEXED BY,
// unscored customers (NULL) last when sorting by risk, where SQLite puts
// NULLs, and a negative limit (-1: every row, the CSV export) no limit, as
// SQLite reads it (PostgreSQL refuses a negative LIMIT; NULL is none).
func pgRiskList(order string) string {
	return `SELECT ` + customerColumns + `, COALESCE(churn_probability, -1), COALESCE(churn_scored_at, 0),
		churn_model, churn_reasons, (SELECT kind FROM customer_actions a WHERE a.customer_id = customers.id ORDER BY a.id DESC LIMIT 1)
		FROM customers WHERE cancelled_at IS NULL` + pgRiskSearchWhere + ` ORDER BY ` + order + `
		LIMIT CASE WHEN $7::bigint >= 0 THEN $7::bigint END OFFSET $8`
}

// invariantQueries are the invariant checks' statements, each with the
// two channel filters its check uses (invariants.go's channelFilter calls):
// only statements that run are listed (TestPortedStatementsPrepareOnPostgres
// prepares every one).
func invariantQueries() []string {
	var out []string
	for _, q := range []struct {
		query func(where string) string
		col   string
	}{
		{acceptedQuery, "channel"}, {finishedQuery, "channel"}, {replayQuery, "m.channel"},
		{repliesQuery, "channel"}, {consentShownQuery, "r.channel"},
	} {
		out = append(out, q.query("1 = 1"), q.query(q.col+" = ?"))
	}
	return out
}

// snapshotTable ports Snapshot's read of one whole table: a quoted name
// reads the same on both engines.
func snapshotTable(q string) (string, bool) {
	name, ok := strings.CutPrefix(q, `SELECT * FROM "`)
	if !ok || !strings.HasSuffix(name, `"`) || !snapshotName.MatchString(strings.TrimSuffix(name, `"`)) {
		return "", false
	}
	return q, true
}

var snapshotName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
