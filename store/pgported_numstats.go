package store

// pgPortedNumstats are the statements of one number's analytics
// (analytics_number.go, issue 16), all run on PostgreSQL as SQLite's text
// with $N placeholders: integer arithmetic for days, CASE instead of
// SQLite's boolean sums, campaign keys made in Go.
var pgPortedNumstats = pgPortSet{same: []string{
	numberLeadDaysQuery, numberContactDelaysQuery, numberFunnelQuery, numberCampaignLeadsQuery,
	numberSLAQuery, numberOpenOverdueQuery, numberDimDaysQuery, numberOutcomesQuery,
	// the advisors' view of one number (advisor_week.go)
	numberAdvisorWeekQuery, numberAdvisorOpenQuery, numberTakersQuery, numberHourLeadsQuery,
}}
