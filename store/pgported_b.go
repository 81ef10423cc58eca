package store

// Part B of the PostgreSQL port (issue 16, docs/postgres.md): privacy
// (requests, erasure, export, retention), webhooks, API tokens, conversion
// events, messaging cost, templates and re-engagement, held messages,
// takeovers, the linked device, incidents, the delivery audit and the rest
// of the message path's files. Each statement was read for SQLite-only
// semantics (json_each/json_set, INSERT/UPDATE OR IGNORE/REPLACE, LIKE's
// case folding, scalar MAX/MIN, GROUP BY leniency, booleans, integer
// division, date functions, sqlite_master) before being listed: those
// listed as is mean the same on both engines; the others have a twin.
//
// Notes that apply to several "as is" statements:
//   - LIKE 'erased:%' and 'hmac:%' match prefixes the store writes itself in
//     lower case: SQLite's ASCII case folding changes nothing there.
//   - A boolean in a select list (EXISTS, IS NOT NULL, count(*) > 0) is
//     scanned into a Go bool, which a PostgreSQL boolean and SQLite's 0/1
//     both fill; where SQLite mixes it with integers, the twin says so.
//   - SUM over a BIGINT is NUMERIC on PostgreSQL; the Go side scans it into
//     an integer, which database/sql converts from its text.

// pgPortedB is part B, added by pgPorted (pgported.go).
var pgPortedB = pgPortSet{same: pgSameB, twins: pgTwinsB}

// pgSameB are part B's statements whose PostgreSQL text is SQLite's with
// $N placeholders.
var pgSameB = []string{
	// privacy.go: data requests (Ley 1581), suppressions
	openRequestsQuery, allRequestsQuery, oneRequestQuery, resolveRequestQuery, extendRequestQuery,
	retentionRunsQuery, clearOptOutQuery, deleteSuppressionQuery,
	// erase.go: who the person is, then every table emptied
	deleteHeldOfQuery, contactIdentitiesQuery, lidsOfPhoneQuery, contactByLIDQuery, contactByBSUIDIDQuery,
	mergedContactsQuery, contactNameQuery, leadNamesQuery, countMessagesQuery,
	// UPDATE … FROM is PostgreSQL's own syntax (SQLite took it from there).
	eraseLeadSourceQuery, eraseCustomerSourceQuery,
	blankConversationQuery, consentToHashQuery, hashConsentQuery, openDeletionsQuery, dueDeletionsQuery,
	eraseContactQueries[0], eraseContactQueries[1], eraseContactQueries[2], eraseContactQueries[3],
	eraseContactQueries[4], eraseContactQueries[5], eraseContactQueries[6], eraseContactQueries[8],
	eraseContactQueries[9],
	// whatsmeow's tables have the same names and columns on PostgreSQL
	// (its sqlstore); LIKE on their_id compares digits and ':'/'_'.
	eraseWAContactsQuery, eraseWARetryQuery, eraseWASecretsQuery, eraseWAPrivacyTokensQuery,
	eraseWAChatSettingsQuery, eraseWALIDByPhoneQuery, eraseWALIDQuery, eraseWASessionsQuery,
	eraseWAIdentityKeysQuery, eraseWASenderKeysQuery,
	// export.go
	isSuppressedHashQuery, isExcludedHashQuery, exportContactQuery, exportConsentQuery, exportConversationsQuery,
	exportLeadsQuery, exportLeadEventsQuery, exportCustomersQuery, exportReferralsQuery, exportRequestsQuery,
	exportWAContactsQuery,
	// retention.go
	staleIncompleteQuery, staleLeadsQuery, expireMessagesQuery, expireOutboxQuery,
	// webhooks.go, webhook_events.go, webhook_sending.go
	insertWebhookQuery, enableWebhookQuery, deleteWebhookQuery, webhooksQuery, webhookExistsQuery,
	retryFailedWebhooksQuery, insertWebhookDeliveryQuery, webhookLeadQuery, churnOfCustomerQuery,
	destinationsOfSubjectQuery, customerOfLeadQuery, webhooksOfContactQuery, dueDestinationsQuery,
	dueWebhooksQuery, claimWebhookQuery, deliveredWebhookQuery, retryWebhookQuery, failWebhookQuery,
	unclaimWebhookQuery, destinationOutcomeQuery, orphanWebhooksQuery,
	// apitokens.go
	integrationByID, integrationByHash, integrationsAll, insertAPITokenQuery, revokeAPITokenQuery, touchAPITokenQuery,
	// meta_events.go
	queueMetaEventQuery, pendingMetaQuery, metaEventsOfLeadQuery, claimMetaQuery, sentMetaQuery, unclaimMetaQuery,
	retryMetaQuery, resendMetaQuery, failMetaQuery, orphanMetaQuery, metaTimelineQuery,
	// messaging_cost.go
	campaignMessagingQuery, demoLeadsToPriceQuery,
	// templates.go, reengage.go, reach.go
	insertTemplateQuery, pendingFollowUpQuery, setTemplateQuery, followUpEventQuery,
	abandonedQuery, reengageTargetQuery, insertReengagementQuery, insertAdvisorMessageQuery, insertLeadEventQuery,
	// held.go
	holdVoiceQuery, holdBehindQuery, isHeldQuery, heldHeadsQuery, releaseHeldQuery, retryHeldQuery, heldSendersQuery,
	// takeover.go
	seenTakeoverQuery, insertTakeover, endTakeoverQuery, cancelChatQuery, openLeadOfChatQuery, contactLeadQuery,
	leadEventQuery, leadChatQuery, leadTakeoverQuery,
	// linked.go
	phoneSeenQuery, sentReplyQuery, recentRepliesQuery, setReplyBodyQuery, expirationQuery, setExpirationQuery,
	// incidents.go, unreachable.go, commercial.go
	insertIncidentQuery, listIncidentsQuery, reportIncidentQuery, markUnreachableQuery,
	deleteExclusionQuery, listExclusionsQuery,
	// delivery_audit.go, channels.go, bsuid.go
	auditCountsQuery, auditOutboxStatusQuery, auditOutboxRowsQuery, replyFailuresQuery, confirmByExtQuery,
	keyOfQuery, moveBSUIDQuery, keyByUsernameQuery, keyByBSUIDQuery, setCallbackPhoneQuery, contactByBSUIDQuery,
}

// pgTwinsB are part B's statements whose PostgreSQL text differs.
var pgTwinsB = []pgTwin{
	// sqlite_master is SQLite's catalogue; whatsmeow's tables exist only
	// once a device was paired, in the connection's schema.
	{tableExistsQuery, "b2180e527430", `SELECT count(*) FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_name = $1`},
	// UPDATE OR REPLACE drops the rows a blank detail makes duplicates of
	// the UNIQUE key (customer, kind, at, amount, detail). Here: of each
	// group of the person's events that differ only by detail, the one
	// already blank (else the first) stays and is blanked; the rest go.
	{eraseContactQueries[7], "865844a8b985", `WITH mine AS (SELECT cu.id FROM customers cu JOIN leads l ON l.id = cu.lead_id
			WHERE l.contact_id = $1),
		gone AS (DELETE FROM customer_events e WHERE e.customer_id IN (SELECT id FROM mine) AND e.detail <> ''
			AND EXISTS (SELECT 1 FROM customer_events o WHERE o.customer_id = e.customer_id AND o.kind = e.kind
				AND o.at = e.at AND o.amount_cop = e.amount_cop AND o.id <> e.id AND (o.detail = '' OR o.id < e.id))
			RETURNING e.id)
		UPDATE customer_events SET detail = '' WHERE customer_id IN (SELECT id FROM mine) AND detail <> ''
			AND id NOT IN (SELECT id FROM gone)`},
	// instr is SQLite's; strpos is the same plain substring test.
	{eraseHistoryMentionQuery, "f19b2270a579", `UPDATE history_leads SET extra = '{}' WHERE strpos(extra, $1) > 0`},
	// A dead letter's body is BYTEA: searched as bytes for the needle's
	// UTF-8 (CAST(bytea AS text) would give its \x hex form), so a body that
	// is not valid UTF-8 is still searched rather than failing the erasure.
	{eraseDeadLetterQuery, "f1f338f3f1a3", `DELETE FROM dead_letters WHERE position(convert_to($1, 'UTF8') IN body) > 0`},
	// The same without spaces: the escape form keeps every byte but NUL,
	// high bytes and '\' as they are, so its spaces are the body's; it is
	// decoded back to bytes after they are removed.
	{eraseDeadLetterUsernameQuery, "1d3551fe27eb", `DELETE FROM dead_letters
		WHERE position(convert_to($1, 'UTF8') IN decode(replace(encode(body, 'escape'), ' ', ''), 'escape')) > 0`},
	{eraseWAEventBufferQuery, "e4c742827fa8", `DELETE FROM whatsmeow_event_buffer WHERE position(convert_to($1, 'UTF8') IN plaintext) > 0`},
	// PostgreSQL concatenates a text and a number only with the number cast.
	{eraseContactRowQuery, "7b104075d82c", `UPDATE contacts SET phone = $1 || id::text, lid = NULL, bsuid = NULL,
		parent_bsuid = NULL, username = NULL, name = '', opted_out_at = coalesce(opted_out_at, $2) WHERE id = $3`},
	// PostgreSQL names every subquery in FROM.
	{exportMessagesQuery, "1510ff31f652", `SELECT at, dir, channel, kind, body, status FROM (
			SELECT received_at AS at, 'recibido_in' AS dir, channel, kind, body, '' AS status, id * 2 AS ord FROM messages WHERE contact_id = $1
			UNION ALL
			SELECT coalesce(sent_at, created_at), 'enviado_out', channel, '', body, status, message_id * 2 + 1 FROM outbox WHERE contact_id = $1) m
		ORDER BY ord, at`},
	// json_set/json_remove are SQLite's; the body is JSON text, changed as
	// jsonb (keys may come back in jsonb's order: receivers parse JSON, and
	// the signature is computed over the body as sent).
	{scrubPersonQuery, "8d52c76f2dee", `UPDATE webhook_deliveries
		SET body = (jsonb_set(body::jsonb, '{data,person}', 'null'::jsonb) #- '{data,lead,lost_reason}')::text WHERE subject = $1`},
	{scrubPendingPersonQuery, "e965be00122b", `UPDATE webhook_deliveries
		SET body = (jsonb_set(body::jsonb, '{data,person}', 'null'::jsonb) #- '{data,lead,lost_reason}')::text
		WHERE subject = $1 AND status IN ('pending', 'sending')`},
	// SQLite mixes a boolean with integers (THEN 1 … COALESCE(…, 0));
	// PostgreSQL keeps them apart.
	{webhookCustomerQuery, "d2a9f605eb98", `SELECT cu.id, cu.ext_key, COALESCE(cu.lead_id, 0), cu.service, cu.plan, cu.monthly_fee_cop,
		COALESCE(cu.churn_probability, 0), cu.churn_model, cu.churn_reasons, cu.name,
		CASE WHEN cu.lead_id IS NULL THEN true ELSE COALESCE((SELECT (c.opted_out_at IS NULL AND c.phone NOT LIKE 'erased:%'
			AND COALESCE((SELECT k.accepted FROM consent_records k WHERE k.contact_id = c.id ORDER BY k.id DESC LIMIT 1), 0) = 1)
			FROM leads l JOIN contacts c ON c.id = l.contact_id WHERE l.id = cu.lead_id), false) END
		FROM customers cu WHERE cu.id = $1`},
	// SUM of a boolean is SQLite's.
	{auditConversationsQuery, "3106438c07f9", `SELECT COUNT(*), COUNT(*) FILTER (WHERE v.status = 'completed')
		FROM conversations v JOIN accounts a ON a.id = v.account_id WHERE a.channel = $1`},
	// Scalar MAX(a, b) is GREATEST; SQLite's gives NULL when the stored
	// time is NULL, GREATEST the new one (the column is NOT NULL anyway).
	{setPhoneSeenQuery, "482fcde29e0e", `INSERT INTO linked_devices (account_id, phone_seen_at) VALUES ($1, $2)
		ON CONFLICT (account_id) DO UPDATE SET phone_seen_at = GREATEST(linked_devices.phone_seen_at, $2)`},
	// UPDATE OR IGNORE skips the row when the new key is taken; here the
	// row is skipped by the same test.
	{renameBSUIDKeyQuery, "22449495f6aa", `UPDATE contacts SET phone = $2 WHERE id = $1 AND phone = $3
		AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.phone = $2 AND o.id <> $1)`},
	{movePhoneQuery, "aae3e4e5d82e", `UPDATE contacts SET phone = $1 WHERE id = $2
		AND NOT EXISTS (SELECT 1 FROM contacts o WHERE o.phone = $1 AND o.id <> $2)`},
}
