package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
)

// Incident is a recorded security incident and its SIC reporting clock (RELIABILITY S-2).
type Incident struct {
	ID          int64
	DetectedAt  time.Time
	Description string
	SICDueAt    time.Time
	ReportedAt  time.Time
}

// Warning is "overdue", "due_soon" (within flow.WarnBusinessDays) or "" for an incident not yet reported.
func (i Incident) Warning(now time.Time) string {
	if !i.ReportedAt.IsZero() {
		return ""
	}
	return flow.DueWarning(i.SICDueAt, now)
}

const (
	insertIncidentQuery = `INSERT INTO security_incidents (detected_at, description, sic_due_at, created_by, created_at) VALUES (?, ?, ?, ?, ?)`
	listIncidentsQuery  = `SELECT id, detected_at, description, sic_due_at, coalesce(reported_at, 0) FROM security_incidents
		ORDER BY reported_at IS NOT NULL, sic_due_at, id LIMIT ?`
	reportIncidentQuery = `UPDATE security_incidents SET reported_at = ?, reported_by = ? WHERE id = ? AND reported_at IS NULL`
)

// RecordIncident records an incident detected at detected (not in the future), by user, audited.
func (s *Store) RecordIncident(ctx context.Context, detected time.Time, description string, user int64) (int64, error) {
	description = strings.TrimSpace(description)
	if description == "" {
		return 0, fmt.Errorf("record incident: a description is required")
	}
	if detected.After(s.now()) {
		return 0, fmt.Errorf("record incident: detection time is in the future")
	}
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertIncidentQuery, millis(detected), description,
			millis(flow.SICReportDue(detected)), user, millis(s.now()))
		if err != nil {
			return err
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.incident", Object: fmt.Sprintf("incident:%d", id)}, s.now())
	})
	if err != nil {
		return 0, fmt.Errorf("record incident: %w", err)
	}
	return id, nil
}

// Incidents lists incidents, unreported first by SIC due date.
func (s *Store) Incidents(ctx context.Context, limit int) ([]Incident, error) {
	rows, err := s.ro.QueryContext(ctx, listIncidentsQuery, limit)
	if err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	defer rows.Close()
	var out []Incident
	for rows.Next() {
		var i Incident
		var detected, due, reported int64
		if err := rows.Scan(&i.ID, &detected, &i.Description, &due, &reported); err != nil {
			return nil, fmt.Errorf("incidents: %w", err)
		}
		i.DetectedAt, i.SICDueAt, i.ReportedAt = fromMillis(detected), fromMillis(due), fromMillis(reported)
		out = append(out, i)
	}
	return out, rows.Err()
}

// MarkIncidentReported records that incident id was reported to the SIC now, by user, audited.
func (s *Store) MarkIncidentReported(ctx context.Context, id, user int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, reportIncidentQuery, millis(s.now()), user, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("incident %d is unknown or already reported: %w", id, ErrNotFound)
		}
		return auditTx(ctx, tx, AuditEntry{UserID: user, Action: "privacy.incident_reported", Object: fmt.Sprintf("incident:%d", id)}, s.now())
	})
	if err != nil {
		return fmt.Errorf("report incident: %w", err)
	}
	return nil
}
