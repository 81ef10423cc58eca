package store

// pgSameNumbers are the statements of several numbers per installation
// (numbers.go, issue 16) whose PostgreSQL text is SQLite's with $N
// placeholders; the builder in pgported.go adds them.
var pgSameNumbers = []string{
	numbersQuery, numberAdvisorsListQuery, declareNumberQuery, clearNumberAdvisorsQuery, addNumberAdvisorQuery,
	numberAdvisorsOfLeadQuery, declaredCloudQuery, holdUnknownQuery, heldForQuery, markReplayedQuery, unknownHeldQuery,
	numberLeadsQuery,
	// every Cloud API message first asks whether an advisor wrote it (advisors.go IsAdvisorPhone, bot.fromAdvisor):
	// the bot's whole-conversation tests on PostgreSQL run it
	`SELECT EXISTS (SELECT 1 FROM users WHERE phone = ? AND active = 1)`,
	// a Cloud API message carries the provider's time: a late one is kept, not applied, and the open
	// question is asked again (time.go); the two-numbers test runs whole Cloud API conversations
	newestAppliedQuery, openQuestionQuery,
}
