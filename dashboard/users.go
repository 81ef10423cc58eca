package dashboard

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cis-agencia/cis/store"
)

// UserStore is what managing accounts outside the web pages needs (cis
// users, the demo's accounts); *store.Store satisfies it.
type UserStore interface {
	CreateUser(ctx context.Context, username, role, passwordHash string) (store.User, error)
	UserByName(ctx context.Context, username string) (store.User, error)
	SetPassword(ctx context.Context, userID int64, passwordHash, keepTokenHash string) error
	Audit(ctx context.Context, e store.AuditEntry) error
}

// CreateUser creates account name with role and password pw (which the
// caller checked with CheckPassword) and audits it. An advisor account
// that --advisors created has no password yet: this gives it one (its role
// stays); any other existing name is an error.
func CreateUser(ctx context.Context, st UserStore, name, role, pw string) (store.User, error) {
	hash, err := HashPassword(pw)
	if err != nil {
		return store.User{}, err
	}
	u, err := st.CreateUser(ctx, name, role, hash)
	if errors.Is(err, store.ErrExists) {
		if old, lookErr := st.UserByName(ctx, name); lookErr == nil && old.PasswordHash == "" {
			if err := st.SetPassword(ctx, old.ID, hash, ""); err != nil {
				return old, err
			}
			_ = st.Audit(ctx, store.AuditEntry{UserID: old.ID, Action: "password_changed", Detail: "first password", At: time.Now()})
			return old, nil
		}
		return u, fmt.Errorf("users add: %q already exists", name)
	}
	if err == nil {
		_ = st.Audit(ctx, store.AuditEntry{UserID: u.ID, Action: "user_created", Detail: role, At: time.Now()})
	}
	return u, err
}

// SetPassword stores pw for u, ends all of u's sessions and audits it as
// done by how.
func SetPassword(ctx context.Context, st UserStore, u store.User, pw, how string) error {
	hash, err := HashPassword(pw)
	if err != nil {
		return err
	}
	if err := st.SetPassword(ctx, u.ID, hash, ""); err != nil {
		return fmt.Errorf("set password of %s: %w", u.Username, err)
	}
	return st.Audit(ctx, store.AuditEntry{UserID: u.ID, Action: "password_changed", Detail: how, At: time.Now()})
}

// AdminStore is UserStore with (de)activation.
type AdminStore interface {
	UserStore
	SetActive(ctx context.Context, userID int64, active bool) error
}

// EnsureAdmin creates admin account name when it is missing, or gives it a
// new generated password (ending its sessions) and activates it, and
// returns the password to be shown once: it is stored only as a hash, so
// one shown earlier could never be shown again. how names the change in
// the audit log (e.g. "demo start").
func EnsureAdmin(ctx context.Context, st AdminStore, name, how string) (string, error) {
	pw := GeneratePassword()
	u, err := st.UserByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, err = CreateUser(ctx, st, name, RoleAdmin, pw)
		return pw, err
	}
	if err != nil {
		return "", err
	}
	if err := SetPassword(ctx, st, u, pw, how); err != nil {
		return "", err
	}
	return pw, st.SetActive(ctx, u.ID, true)
}
