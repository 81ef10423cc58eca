package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// APIToken is one integration's access to the HTTP API (the secret
// itself is never stored: TokenSHA256 is its hash).
type APIToken struct {
	ID        int64
	Name      string
	Scope     string // read, write (write includes read)
	Prefix    string // the token's first characters, to recognise it by
	CreatedBy int64
	Creator   string // the creator's username
	CreatedAt time.Time
	LastUsed  time.Time // zero: never used
	RevokedAt time.Time // zero: active
}

// Active reports whether the token still opens the API.
func (t APIToken) Active() bool { return t.RevokedAt.IsZero() }

// The queries are constants, so no SQL is built at run time.
const (
	integrationSelect = `SELECT t.id, t.name, t.scope, t.prefix, t.created_by, COALESCE(u.username, ''), t.created_at,
	COALESCE(t.last_used_at, 0), COALESCE(t.revoked_at, 0) FROM api_tokens t LEFT JOIN users u ON u.id = t.created_by`
	integrationByID   = integrationSelect + ` WHERE t.id = ?`
	integrationByHash = integrationSelect + ` WHERE t.token_sha256 = ?`
	integrationsAll   = integrationSelect + ` ORDER BY t.revoked_at IS NOT NULL, t.id DESC LIMIT 1000`
)

func scanAPIToken(row scanner) (APIToken, error) {
	var t APIToken
	var created, used, revoked int64
	if err := row.Scan(&t.ID, &t.Name, &t.Scope, &t.Prefix, &t.CreatedBy, &t.Creator, &created, &used, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt = fromMillis(created)
	if used != 0 {
		t.LastUsed = fromMillis(used)
	}
	if revoked != 0 {
		t.RevokedAt = fromMillis(revoked)
	}
	return t, nil
}

// CreateAPIToken stores a new token by its hash.
func (s *Store) CreateAPIToken(ctx context.Context, name, scope, tokenSHA256, prefix string, by int64) (APIToken, error) {
	res, err := s.rw.ExecContext(ctx, insertAPITokenQuery, name, scope, tokenSHA256, prefix, by, millis(s.now()))
	if err != nil {
		return APIToken{}, fmt.Errorf("create api token: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return APIToken{}, fmt.Errorf("create api token: %w", err)
	}
	return s.apiToken(ctx, s.rw, integrationByID, id)
}

// APITokens lists every token, active ones first, newest first.
func (s *Store) APITokens(ctx context.Context) ([]APIToken, error) {
	rows, err := s.ro.QueryContext(ctx, integrationsAll)
	if err != nil {
		return nil, fmt.Errorf("api tokens: %w", err)
	}
	defer rows.Close()
	var out []APIToken
	for rows.Next() {
		t, err := scanAPIToken(rows)
		if err != nil {
			return nil, fmt.Errorf("api tokens: %w", err)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// APITokenByHash finds the token whose SHA-256 is tokenSHA256, revoked or
// not (the caller tells the two apart); ErrNotFound when none.
func (s *Store) APITokenByHash(ctx context.Context, tokenSHA256 string) (APIToken, error) {
	return s.apiToken(ctx, s.ro, integrationByHash, tokenSHA256)
}

func (s *Store) apiToken(ctx context.Context, db *sql.DB, query string, arg any) (APIToken, error) {
	t, err := scanAPIToken(db.QueryRowContext(ctx, query, arg))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("api token: %w", ErrNotFound)
	}
	if err != nil {
		return t, fmt.Errorf("api token: %w", err)
	}
	return t, nil
}

// RevokeAPIToken ends token id at once; revoking a revoked one changes
// nothing. ErrNotFound for an unknown id.
func (s *Store) RevokeAPIToken(ctx context.Context, id, by int64) error {
	res, err := s.rw.ExecContext(ctx, revokeAPITokenQuery, millis(s.now()), by, id)
	if err != nil {
		return fmt.Errorf("revoke api token %d: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("revoke api token %d: %w", id, ErrNotFound)
	}
	return nil
}

// apiTokenTouchEvery bounds the writes "last used" costs: at most one per
// token per minute, however many requests it makes.
const apiTokenTouchEvery = time.Minute

// TouchAPIToken records that token id was used now (to the minute).
func (s *Store) TouchAPIToken(ctx context.Context, id int64) error {
	now := millis(s.now())
	if _, err := s.rw.ExecContext(ctx, touchAPITokenQuery,
		now, id, now-apiTokenTouchEvery.Milliseconds()); err != nil {
		return fmt.Errorf("touch api token %d: %w", id, err)
	}
	return nil
}

// Statements named so that the PostgreSQL port (pgported_b.go) lists them
// by name: their text is what both engines match on.
const (
	insertAPITokenQuery = `INSERT INTO api_tokens (name, scope, token_sha256, prefix, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`
	revokeAPITokenQuery = `UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?), revoked_by = COALESCE(revoked_by, ?)
		WHERE id = ?`
	touchAPITokenQuery = `UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`
)
