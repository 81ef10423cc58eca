package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

const (
	insertImportRunQuery = `INSERT INTO import_runs (kind, created_at, stats) VALUES (?, ?, ?)`
	importRunsQuery      = `SELECT stats FROM import_runs WHERE kind = ? ORDER BY id`
	saveReportQuery      = `INSERT INTO model_reports (model_id, created_at, body) VALUES (?, ?, ?)
		ON CONFLICT (model_id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body`
	reportQuery           = `SELECT body FROM model_reports WHERE model_id = ?`
	botLabelledCountQuery = `SELECT COUNT(*) FROM leads WHERE status IN ('won', 'lost')`
)

// SaveImportRun records what one import of kind learned about its file
// (JSON owned by the caller).
func (s *Store) SaveImportRun(ctx context.Context, kind string, stats []byte) error {
	_, err := s.rw.ExecContext(ctx, insertImportRunQuery, kind, millis(s.now()), string(stats))
	if err != nil {
		return fmt.Errorf("save import run: %w", err)
	}
	return nil
}

// ImportRuns returns the stats of every import of kind, oldest first.
func (s *Store) ImportRuns(ctx context.Context, kind string) ([][]byte, error) {
	rows, err := s.ro.QueryContext(ctx, importRunsQuery, kind)
	if err != nil {
		return nil, fmt.Errorf("import runs: %w", err)
	}
	defer rows.Close()
	var out [][]byte
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			return nil, err
		}
		out = append(out, []byte(b))
	}
	return out, rows.Err()
}

// CountBotLabelled returns how many bot leads have an outcome (won or lost).
func (s *Store) CountBotLabelled(ctx context.Context) (int, error) {
	var n int
	if err := s.ro.QueryRowContext(ctx, botLabelledCountQuery).Scan(&n); err != nil {
		return 0, fmt.Errorf("count bot outcomes: %w", err)
	}
	return n, nil
}

// SaveModelReport stores (or replaces) the computed report of model id.
func (s *Store) SaveModelReport(ctx context.Context, id int64, body []byte) error {
	if _, err := s.rw.ExecContext(ctx, saveReportQuery, id, millis(s.now()), string(body)); err != nil {
		return fmt.Errorf("save report of model %d: %w", id, err)
	}
	return nil
}

// ModelReport returns the stored report of model id, ErrNotFound when none
// has been computed.
func (s *Store) ModelReport(ctx context.Context, id int64) ([]byte, error) {
	var b string
	if err := s.ro.QueryRowContext(ctx, reportQuery, id).Scan(&b); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("report of model %d: %w", id, ErrNotFound)
		}
		return nil, fmt.Errorf("report of model %d: %w", id, err)
	}
	return []byte(b), nil
}
