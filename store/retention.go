package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention periods (RELIABILITY S-1, Decreto 1377 art. 11): data is kept only as long as its
// purpose needs. Zero disables a rule. Won leads (customers) are not erased by retention: the
// contract with the agency is a legal basis of its own; the policy template says so.
type Retention struct {
	// Incomplete: a person who never finished the questions (in progress, abandoned, refused,
	// opted out, handed off without a lead) is erased this long after their last message.
	Incomplete time.Duration
	// Leads: a person whose leads were never won is erased this long after the last lead was
	// completed and the last message exchanged.
	Leads time.Duration
	// Transcripts: message texts (both ways) older than this are emptied for everyone; the
	// answers live on in the lead fields.
	Transcripts time.Duration
}

// RetentionReport counts what one run did.
type RetentionReport struct {
	People      int // erased
	Transcripts int // messages whose text was emptied
}

const (
	staleIncompleteQuery = `SELECT c.phone FROM contacts c
		WHERE c.phone NOT LIKE 'erased:%'
		AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.contact_id = c.id)
		AND coalesce((SELECT max(v.updated_at) FROM conversations v WHERE v.contact_id = c.id), c.created_at) < ?
		ORDER BY c.id LIMIT 500`
	staleLeadsQuery = `SELECT c.phone FROM contacts c
		WHERE c.phone NOT LIKE 'erased:%'
		AND EXISTS (SELECT 1 FROM leads l WHERE l.contact_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM leads l WHERE l.contact_id = c.id AND l.status = 'won')
		AND (SELECT max(l.completed_at) FROM leads l WHERE l.contact_id = c.id) < ?1
		AND coalesce((SELECT max(v.updated_at) FROM conversations v WHERE v.contact_id = c.id), 0) < ?1
		ORDER BY c.id LIMIT 500`
	expireMessagesQuery = `UPDATE messages SET body = '' WHERE body <> '' AND received_at < ?`
	expireOutboxQuery   = `UPDATE outbox SET body = '' WHERE body <> '' AND created_at < ? AND status NOT IN ('pending', 'sending')`
)

// ApplyRetention erases or empties what has outlived r at the store's clock. It is safe to run at
// any time and any number of times; serve runs it daily. Each person is erased in their own
// transaction (as EraseByPhone does), recorded as a resolved deletion with reason "retention".
func (s *Store) ApplyRetention(ctx context.Context, r Retention) (RetentionReport, error) {
	var rep RetentionReport
	defer func() {
		if rep.People > 0 || rep.Transcripts > 0 {
			s.vacuumErased(ctx) // PostgreSQL: once for the run (pgerase.go)
		}
	}()
	now := s.now()
	for _, rule := range []struct {
		keep  time.Duration
		query string
	}{{r.Incomplete, staleIncompleteQuery}, {r.Leads, staleLeadsQuery}} {
		if rule.keep <= 0 {
			continue
		}
		for { // batches of 500, until none is left
			phones, err := s.stalePhones(ctx, rule.query, now.Add(-rule.keep))
			if err != nil {
				return rep, err
			}
			for _, p := range phones {
				if _, err := s.erase(ctx, p, EraseRetention, "retention", 0); err != nil {
					return rep, fmt.Errorf("retention: %w", err)
				}
				rep.People++
			}
			if len(phones) < 500 {
				break
			}
		}
	}
	if r.Transcripts > 0 {
		cut := millis(now.Add(-r.Transcripts))
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			res, err := tx.ExecContext(ctx, expireMessagesQuery, cut)
			if err != nil {
				return err
			}
			n, _ := res.RowsAffected()
			rep.Transcripts = int(n)
			_, err = tx.ExecContext(ctx, expireOutboxQuery, cut)
			return err
		})
		if err != nil {
			return rep, fmt.Errorf("retention: transcripts: %w", err)
		}
	}
	if rep.People > 0 || rep.Transcripts > 0 {
		if err := s.Audit(ctx, AuditEntry{Action: "privacy.retention",
			Detail: fmt.Sprintf("people=%d transcripts=%d", rep.People, rep.Transcripts)}); err != nil {
			return rep, err
		}
	}
	s.log.Info("retention applied", "people", rep.People, "transcripts", rep.Transcripts)
	return rep, nil
}

func (s *Store) stalePhones(ctx context.Context, q string, before time.Time) ([]string, error) {
	rows, err := s.ro.QueryContext(ctx, q, millis(before))
	if err != nil {
		return nil, fmt.Errorf("retention: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			return nil, fmt.Errorf("retention: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}
