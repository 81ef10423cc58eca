package dashboard

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/cis-agencia/cis/store"
)

// TestEnsureAdmin: the first call creates the admin; a later one gives it a
// new password (the old one stops working) and reactivates it; each change
// is audited.
func TestEnsureAdmin(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "cis.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	first, err := EnsureAdmin(ctx, st, "boss", "test")
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.UserByName(ctx, "boss")
	if err != nil || u.Role != RoleAdmin || !VerifyPassword(u.PasswordHash, first) {
		t.Fatalf("after the first call: %+v, %v; want an admin with the shown password", u, err)
	}
	if err := st.SetActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	second, err := EnsureAdmin(ctx, st, "boss", "test")
	if err != nil {
		t.Fatal(err)
	}
	u, err = st.UserByName(ctx, "boss")
	if err != nil || !u.Active || second == first || !VerifyPassword(u.PasswordHash, second) || VerifyPassword(u.PasswordHash, first) {
		t.Errorf("after the second call: %+v, %v; want it active with only the new password", u, err)
	}
	es, err := st.RecentAudit(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	actions := map[string]bool{}
	for _, e := range es {
		actions[e.Action] = true
	}
	if !actions["user_created"] || !actions["password_changed"] {
		t.Errorf("audit log %+v lacks the creation or the password change", es)
	}
}
