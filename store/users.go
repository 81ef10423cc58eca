package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrExists is returned by CreateUser when the username is taken.
var ErrExists = errors.New("already exists")

// User is a dashboard account. PasswordHash is an argon2id PHC string made
// by the dashboard; the store only keeps it.
type User struct {
	ID           int64
	Username     string
	Role         string // admin, advisor, viewer
	PasswordHash string
	Active       bool
	CreatedAt    time.Time
}

// Session is a server-side login session.
type Session struct {
	User       User
	CSRFToken  string
	CreatedAt  time.Time
	LastSeenAt time.Time
}

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	UserID int64
	Action string // login, login_failed, logout, password_changed, lead_viewed, pairing_logout, ...
	Object string // e.g. "lead:42"; never personal data
	IP     string
	Detail string
	At     time.Time
}

const (
	userColumns        = `id, username, role, password_hash, active, created_at`
	insertUserQuery    = `INSERT INTO users (username, role, password_hash, created_at, password_changed_at) VALUES (?, ?, ?, ?, ?)`
	userByNameQuery    = `SELECT ` + userColumns + ` FROM users WHERE username = ?`
	userByIDQuery      = `SELECT ` + userColumns + ` FROM users WHERE id = ?`
	listUsersQuery     = `SELECT ` + userColumns + ` FROM users ORDER BY username`
	countUsersQuery    = `SELECT COUNT(*) FROM users`
	setPasswordQuery   = `UPDATE users SET password_hash = ?, password_changed_at = ? WHERE id = ?` // #nosec G101 -- SQL text, no credential
	setActiveQuery     = `UPDATE users SET active = ? WHERE id = ?`
	insertSessionQuery = `INSERT INTO sessions (token_sha256, user_id, csrf_token, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`
	sessionQuery       = `SELECT u.id, u.username, u.role, u.password_hash, u.active, u.created_at, s.csrf_token, s.created_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_sha256 = ?`
	touchSessionQuery        = `UPDATE sessions SET last_seen_at = ? WHERE token_sha256 = ?`
	deleteSessionQuery       = `DELETE FROM sessions WHERE token_sha256 = ?`
	deleteUserSessionsQuery  = `DELETE FROM sessions WHERE user_id = ?`
	deleteOtherSessionsQuery = `DELETE FROM sessions WHERE user_id = ? AND token_sha256 <> ?`
	insertAuditQuery         = `INSERT INTO audit_log (user_id, action, object, ip, detail, created_at) VALUES (?, ?, ?, ?, ?, ?)`
	recentAuditQuery         = `SELECT user_id, action, object, ip, detail, created_at FROM audit_log ORDER BY id DESC LIMIT ?`
)

func scanUser(row scanner, extra ...any) (User, error) {
	var u User
	var created int64
	dest := append([]any{&u.ID, &u.Username, &u.Role, &u.PasswordHash, &u.Active, &created}, extra...)
	if err := row.Scan(dest...); err != nil {
		return u, err
	}
	u.CreatedAt = fromMillis(created)
	return u, nil
}

// CreateUser adds an account; ErrExists when the username is taken.
func (s *Store) CreateUser(ctx context.Context, username, role, passwordHash string) (User, error) {
	now := millis(s.now())
	res, err := s.rw.ExecContext(ctx, insertUserQuery, username, role, passwordHash, now, now)
	if err != nil {
		var n int
		if s.rw.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE username = ?`, username).Scan(&n) == nil && n > 0 {
			return User{}, fmt.Errorf("create user: %w", ErrExists)
		}
		return User{}, fmt.Errorf("create user: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return User{}, fmt.Errorf("create user: %w", err)
	}
	return s.UserByID(ctx, id)
}

// UserByName finds an account by username (case-insensitive); ErrNotFound if none.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.rw.QueryRowContext(ctx, userByNameQuery, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user: %w", ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// UserByID finds an account by id; ErrNotFound if none.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.rw.QueryRowContext(ctx, userByIDQuery, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return u, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// Users lists every account.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.rw.QueryContext(ctx, listUsersQuery)
	if err != nil {
		return nil, fmt.Errorf("users: %w", err)
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("users: %w", err)
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

// CountUsers returns how many accounts exist (a fresh store has none).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.rw.QueryRowContext(ctx, countUsersQuery).Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// SetPassword replaces a user's password hash and ends every other session
// of that user (keepTokenHash, the current one, survives; "" ends all).
func (s *Store) SetPassword(ctx context.Context, userID int64, passwordHash, keepTokenHash string) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, setPasswordQuery, passwordHash, millis(s.now()), userID); err != nil {
			return fmt.Errorf("set password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, deleteOtherSessionsQuery, userID, keepTokenHash); err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		return nil
	})
}

// SetActive activates or deactivates an account; deactivation ends its sessions.
func (s *Store) SetActive(ctx context.Context, userID int64, active bool) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, setActiveQuery, active, userID); err != nil {
			return fmt.Errorf("set active: %w", err)
		}
		if !active {
			if _, err := tx.ExecContext(ctx, deleteUserSessionsQuery, userID); err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
		}
		return nil
	})
}

// CreateSession stores a session under the SHA-256 of its token.
func (s *Store) CreateSession(ctx context.Context, tokenHash string, userID int64, csrf string) error {
	now := millis(s.now())
	if _, err := s.rw.ExecContext(ctx, insertSessionQuery, tokenHash, userID, csrf, now, now); err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// SessionByHash returns the session stored under tokenHash with its user; ErrNotFound if none.
func (s *Store) SessionByHash(ctx context.Context, tokenHash string) (Session, error) {
	var sess Session
	var created, seen int64
	u, err := scanUser(s.rw.QueryRowContext(ctx, sessionQuery, tokenHash), &sess.CSRFToken, &created, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return sess, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return sess, fmt.Errorf("session: %w", err)
	}
	sess.User, sess.CreatedAt, sess.LastSeenAt = u, fromMillis(created), fromMillis(seen)
	return sess, nil
}

// TouchSession records activity on a session (for the idle timeout).
func (s *Store) TouchSession(ctx context.Context, tokenHash string) error {
	if _, err := s.rw.ExecContext(ctx, touchSessionQuery, millis(s.now()), tokenHash); err != nil {
		return fmt.Errorf("touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, tokenHash string) error {
	if _, err := s.rw.ExecContext(ctx, deleteSessionQuery, tokenHash); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// Audit appends one entry to the audit log.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	at := e.At
	if at.IsZero() {
		at = s.now()
	}
	if _, err := s.rw.ExecContext(ctx, insertAuditQuery, e.UserID, e.Action, e.Object, e.IP, e.Detail, millis(at)); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

// RecentAudit returns the newest n audit entries, newest first.
func (s *Store) RecentAudit(ctx context.Context, n int) ([]AuditEntry, error) {
	rows, err := s.rw.QueryContext(ctx, recentAuditQuery, n)
	if err != nil {
		return nil, fmt.Errorf("recent audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		if err := rows.Scan(&e.UserID, &e.Action, &e.Object, &e.IP, &e.Detail, &at); err != nil {
			return nil, fmt.Errorf("recent audit: %w", err)
		}
		e.At = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}
