package store

import (
	"context"
	"database/sql"
)

// After an erasure on PostgreSQL (docs/postgres.md, "Privacy deletion").
// The erasure's UPDATEs and DELETEs leave the person's old row versions in
// the tables' pages and their keys in the indexes, as dead tuples, until a
// VACUUM prunes them. Autovacuum waits until a fifth of a table has
// changed, which on a large table can be months; so the store vacuums the
// tables an erasure changes right after it commits, index entries
// included (INDEX_CLEANUP ON: PostgreSQL would otherwise skip the indexes
// when few rows are dead). It is what SQLite's secure_delete and WAL
// checkpoint are on that side, with the limits the document states: a
// transaction older than the erasure keeps the versions it can see, the
// freed space is overwritten only when reused, and the WAL, replicas and
// backups keep their copies for their own retention.

// pgVacuumErasedQuery vacuums the app's tables an erasure changes.
const pgVacuumErasedQuery = `VACUUM (INDEX_CLEANUP ON) contacts, conversations, messages, outbox, delivery_statuses,
	referrals, leads, lead_events, lead_notices, customers, customer_events, customer_actions, consent_records,
	history_leads, dead_letters, held_inbound, webhook_deliveries, meta_events`

// pgVacuumWhatsmeowQuery vacuums whatsmeow's tables an erasure changes,
// once a device store exists in the schema.
const pgVacuumWhatsmeowQuery = `VACUUM (INDEX_CLEANUP ON) whatsmeow_contacts, whatsmeow_lid_map, whatsmeow_sessions,
	whatsmeow_identity_keys, whatsmeow_sender_keys, whatsmeow_message_secrets, whatsmeow_privacy_tokens,
	whatsmeow_chat_settings, whatsmeow_retry_buffer, whatsmeow_event_buffer`

// vacuumErased runs after an erasure (or a batch of them, or retention's
// emptied transcripts) committed on PostgreSQL; on SQLite it does nothing.
// A failure is logged, not returned: the erasure itself is done, and
// autovacuum will prune later. Its cost grows with the tables' indexes
// (docs/benchmarks.md), hence once per batch.
func (s *Store) vacuumErased(ctx context.Context) {
	if s.dialect != dialectPostgres {
		return
	}
	if _, err := s.rw.ExecContext(ctx, pgVacuumErasedQuery); err != nil {
		s.log.Warn("after an erasure VACUUM did not run; autovacuum will prune the old row versions later", "err", err)
		return
	}
	var paired bool
	err := s.rw.QueryRowContext(ctx, pgWhatsmeowTablesQuery).Scan(&paired)
	if err == nil && paired {
		_, err = s.rw.ExecContext(ctx, pgVacuumWhatsmeowQuery)
	}
	if err != nil && err != sql.ErrNoRows {
		s.log.Warn("after an erasure VACUUM of whatsmeow's tables did not run", "err", err)
	}
}

// pgWhatsmeowTablesQuery says whether every table pgVacuumWhatsmeowQuery
// names exists in the store's schema (whatsmeow creates them together).
const pgWhatsmeowTablesQuery = `SELECT count(*) = 10 FROM information_schema.tables WHERE table_schema = current_schema()
	AND table_name IN ('whatsmeow_contacts', 'whatsmeow_lid_map', 'whatsmeow_sessions', 'whatsmeow_identity_keys',
		'whatsmeow_sender_keys', 'whatsmeow_message_secrets', 'whatsmeow_privacy_tokens', 'whatsmeow_chat_settings',
		'whatsmeow_retry_buffer', 'whatsmeow_event_buffer')`
