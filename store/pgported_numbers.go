package store

// pgPortedNumbers are the statements of several numbers per installation
// (numbers.go, issue 16), all run on PostgreSQL as SQLite's text with $N
// placeholders; pgPortSets (pgported.go) adds them with the others.
var pgPortedNumbers = pgPortSet{same: []string{
	numbersQuery, numberAdvisorsListQuery, declareNumberQuery, clearNumberAdvisorsQuery, addNumberAdvisorQuery,
	numberAdvisorsOfLeadQuery, declaredCloudQuery, holdUnknownQuery, heldForQuery, markReplayedQuery, unknownHeldQuery,
	numberLeadsQuery,
	// a Cloud API message carries the provider's time: a late one is kept, not applied, and the open
	// question is asked again (time.go); the two-numbers test runs whole Cloud API conversations
	newestAppliedQuery, openQuestionQuery,
}}
