package store

// The statements of leases and claim owners (issue 16, slice 3: several
// servers on one database) the PostgreSQL store runs (pgPortSets).
var pgPortedCluster = pgPortSet{
	same: []string{
		takeLeaseQuery, leaseQuery, renewLeaseQuery, releaseLeaseQuery, listLeasesQuery,
		// a provider's message time against the newest applied one (time.go),
		// on the linked device's message path
		newestAppliedQuery,
	},
	twins: []pgTwin{
		// Several servers claim from one outbox: a row another server is
		// claiming is skipped, not waited for; the lease is read as
		// committed when the claim runs (READ COMMITTED), so a takeover
		// committed before it fences it out.
		{claimFencedQuery, "bea78e68fcd8", `UPDATE outbox SET status = 'sending', claimed_at = $1, claimed_by = $2
	WHERE id = (SELECT id FROM outbox WHERE id = $3 AND status = 'pending' FOR UPDATE SKIP LOCKED)
	AND EXISTS (SELECT 1 FROM leases WHERE name = $4 AND owner = $2 AND token = $5 AND expires_at > $1)`},
	},
}
