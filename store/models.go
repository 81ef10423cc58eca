package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ModelInfo describes a stored model bundle without its body.
type ModelInfo struct {
	ID        int64
	CreatedAt time.Time
	SHA256    string
	Size      int
	Active    bool
	Summary   string
	Kind      string // "lead" or "churn": one active model per kind
}

// Model kinds (models.kind): each kind has at most one active model.
const (
	KindLead  = "lead"
	KindChurn = "churn"
)

const (
	insertModelQuery   = `INSERT INTO models (created_at, sha256, size, active, summary, body, kind) VALUES (?, ?, ?, 0, ?, ?, ?)`
	listModelsQuery    = `SELECT id, created_at, sha256, size, active, summary, kind FROM models ORDER BY id`
	activeModelQuery   = `SELECT id, sha256, body FROM models WHERE active = 1 AND kind = ?`
	modelBodyQuery     = `SELECT id, sha256, body FROM models WHERE id = ?`
	modelKindQuery     = `SELECT kind FROM models WHERE id = ?`
	deactivateQuery    = `UPDATE models SET active = 0 WHERE active = 1 AND kind = ?`
	activateModelQuery = `UPDATE models SET active = 1 WHERE id = ?`
)

// SaveModel stores a lead-scoring bundle and returns its id; with activate
// it becomes the active lead model in the same transaction.
func (s *Store) SaveModel(ctx context.Context, body []byte, summary string, activate bool) (int64, error) {
	return s.SaveModelKind(ctx, KindLead, body, summary, activate)
}

// SaveModelKind is SaveModel for a model of any kind (KindLead, KindChurn);
// activating it replaces only the active model of the same kind.
func (s *Store) SaveModelKind(ctx context.Context, kind string, body []byte, summary string, activate bool) (int64, error) {
	sum := sha256.Sum256(body)
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, insertModelQuery, millis(s.now()), hex.EncodeToString(sum[:]), len(body), summary, body, kind)
		if err != nil {
			return fmt.Errorf("save model: %w", err)
		}
		if id, err = res.LastInsertId(); err != nil {
			return err
		}
		if activate {
			return activateInTx(ctx, tx, id)
		}
		return nil
	})
	return id, err
}

// ActivateModel marks model id active (and no other of its kind).
// It returns ErrNotFound when no model has that id.
func (s *Store) ActivateModel(ctx context.Context, id int64) error {
	return s.inTx(ctx, func(tx *sql.Tx) error { return activateInTx(ctx, tx, id) })
}

func activateInTx(ctx context.Context, tx *sql.Tx, id int64) error {
	var kind string
	if err := tx.QueryRowContext(ctx, modelKindQuery, id).Scan(&kind); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("model %d: %w", id, ErrNotFound)
		}
		return err
	}
	if _, err := tx.ExecContext(ctx, deactivateQuery, kind); err != nil {
		return fmt.Errorf("activate model %d: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, activateModelQuery, id); err != nil {
		return fmt.Errorf("activate model %d: %w", id, err)
	}
	return nil
}

// Models lists the stored bundles, oldest first.
func (s *Store) Models(ctx context.Context) ([]ModelInfo, error) {
	rows, err := s.ro.QueryContext(ctx, listModelsQuery)
	if err != nil {
		return nil, fmt.Errorf("list models: %w", err)
	}
	defer rows.Close()
	var out []ModelInfo
	for rows.Next() {
		var m ModelInfo
		var created int64
		if err := rows.Scan(&m.ID, &created, &m.SHA256, &m.Size, &m.Active, &m.Summary, &m.Kind); err != nil {
			return nil, err
		}
		m.CreatedAt = fromMillis(created)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ActiveBundle returns the active lead model's id and bytes. It returns
// ErrNotFound when no model is active, and an error naming the model when
// the stored bytes no longer match their SHA-256.
func (s *Store) ActiveBundle(ctx context.Context) (int64, []byte, error) {
	return s.ActiveBundleKind(ctx, KindLead)
}

// ActiveBundleKind is ActiveBundle for a model kind (KindLead, KindChurn).
func (s *Store) ActiveBundleKind(ctx context.Context, kind string) (int64, []byte, error) {
	return s.bundle(ctx, "active "+kind+" model", activeModelQuery, kind)
}

// ModelBundle returns the bytes of model id, checked against their SHA-256:
// ErrNotFound when there is no such model, ErrCorrupt when they differ.
func (s *Store) ModelBundle(ctx context.Context, id int64) ([]byte, error) {
	_, body, err := s.bundle(ctx, fmt.Sprintf("model %d", id), modelBodyQuery, id)
	return body, err
}

func (s *Store) bundle(ctx context.Context, what, query string, args ...any) (int64, []byte, error) {
	var id int64
	var sum string
	var body []byte
	if err := s.ro.QueryRowContext(ctx, query, args...).Scan(&id, &sum, &body); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, nil, fmt.Errorf("%s: %w", what, ErrNotFound)
		}
		return 0, nil, fmt.Errorf("%s: %w", what, err)
	}
	got := sha256.Sum256(body)
	if hex.EncodeToString(got[:]) != sum {
		return id, nil, fmt.Errorf("model %d: %w", id, ErrCorrupt)
	}
	return id, body, nil
}

const findModelSHAQuery = `SELECT id FROM models WHERE sha256 = ? AND kind = ?`

// ModelKind returns the kind of model id ("lead", "churn"): what an
// exported file says it holds.
func (s *Store) ModelKind(ctx context.Context, id int64) (string, error) {
	var kind string
	if err := s.ro.QueryRowContext(ctx, modelKindQuery, id).Scan(&kind); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("model %d: %w", id, ErrNotFound)
		}
		return "", fmt.Errorf("model %d: %w", id, err)
	}
	return kind, nil
}

// ImportModel stores an imported bundle of kind, inactive. Importing the
// same bytes twice returns the existing id with existed set, so a repeated
// import adds nothing.
func (s *Store) ImportModel(ctx context.Context, kind string, body []byte, summary string) (id int64, existed bool, err error) {
	sum := sha256.Sum256(body)
	hexSum := hex.EncodeToString(sum[:])
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		switch err := tx.QueryRowContext(ctx, findModelSHAQuery, hexSum, kind).Scan(&id); {
		case err == nil:
			existed = true
			return nil
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("import model: %w", err)
		}
		res, err := tx.ExecContext(ctx, insertModelQuery, millis(s.now()), hexSum, len(body), summary, body, kind)
		if err != nil {
			return fmt.Errorf("import model: %w", err)
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, existed, err
}
