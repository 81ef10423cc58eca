package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

const insertSyntheticAccountQuery = `INSERT INTO accounts (channel, address, created_at) VALUES ('synthetic', ?, ?)`

const insertSyntheticConversationQuery = `INSERT INTO conversations (account_id, contact_id, status, step, state, state_version, started_at, updated_at)
			VALUES (?, ?, 'completed', 'done', '{}', 1, ?, ?)`

// InsertSyntheticLeads adds n made-up completed leads (one contact and
// conversation each) in one transaction, for benchmarks and load tests of the
// dashboard: the flow would take minutes to produce 100,000. Deadlines are
// spread over the day around start; classes, cities and sources vary.
func (s *Store) InsertSyntheticLeads(ctx context.Context, n int, start time.Time) error {
	classes := []string{"hot", "warm", "cold"}
	cities := []string{"Medellín", "Bogotá", "Cali", "Barranquilla", "Bucaramanga", "Pereira"}
	services := []string{"seo", "ads", "social", "web", "branding"}
	sources := []string{"", "fb-marzo", "google-search", "instagram"}
	return s.inTx(ctx, func(tx *sql.Tx) error {
		now := millis(s.now())
		res, err := tx.ExecContext(ctx, insertSyntheticAccountQuery, fmt.Sprint("syn-", now), now)
		if err != nil {
			return fmt.Errorf("synthetic account: %w", err)
		}
		account, _ := res.LastInsertId()
		contact, err := tx.PrepareContext(ctx, insertNamedContactQuery)
		if err != nil {
			return err
		}
		defer contact.Close()
		conv, err := tx.PrepareContext(ctx, insertSyntheticConversationQuery)
		if err != nil {
			return err
		}
		defer conv.Close()
		lead, err := tx.PrepareContext(ctx, insertLeadQuery)
		if err != nil {
			return err
		}
		defer lead.Close()
		for i := range n {
			at := start.Add(time.Duration(i) * time.Second)
			r, err := contact.ExecContext(ctx, fmt.Sprintf("+57399%07d%d", i, now%10), fmt.Sprint("Prospecto ", i), millis(at))
			if err != nil {
				return fmt.Errorf("synthetic contact %d: %w", i, err)
			}
			cid, _ := r.LastInsertId()
			r, err = conv.ExecContext(ctx, account, cid, millis(at), millis(at))
			if err != nil {
				return fmt.Errorf("synthetic conversation %d: %w", i, err)
			}
			vid, _ := r.LastInsertId()
			class := classes[i%3]
			deadline := at.Add(time.Duration(25+(i%3)*65) * time.Minute)
			if _, err := lead.ExecContext(ctx, vid, cid, account, fmt.Sprint("Prospecto ", i), "05001", cities[i%len(cities)], "Antioquia", false,
				1_000_000+int64(i%10)*500_000, 2_000_000+int64(i%10)*500_000, false, "immediate", services[i%len(services)], sources[i%len(sources)],
				class, 0.2+float64(i%7)/10, "rules", `[{"feature":"budget","value":"2M","weight":0.2}]`,
				millis(at), millis(at), millis(deadline), now, nil, nil, nil); err != nil { // engagement unknown
				return fmt.Errorf("synthetic lead %d: %w", i, err)
			}
		}
		return nil
	})
}
