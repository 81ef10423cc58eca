package store

// pgSameNumbers are the statements of several numbers per installation
// (numbers.go, issue 16) whose PostgreSQL text is SQLite's with $N
// placeholders; the builder in pgported.go adds them.
var pgSameNumbers = []string{
	numbersQuery, numberAdvisorsListQuery, declareNumberQuery, clearNumberAdvisorsQuery, addNumberAdvisorQuery,
	numberAdvisorsOfLeadQuery, declaredCloudQuery, holdUnknownQuery, heldForQuery, markReplayedQuery, unknownHeldQuery,
}
