package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cis-agencia/cis/dashboard"
	"github.com/cis-agencia/cis/store"
)

func TestUsersAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "warn"}
	createStore(t, db)
	tests := []struct {
		name    string
		args    []string
		stdin   string
		wantErr string
		wantOut string
	}{
		{"first admin", []string{"users", "add", "--role", "admin", "ana"}, "una frase larga y mía\n", "", "user ana (admin) created"},
		{"taken", []string{"users", "add", "ana"}, "otra frase larga y mía\n", "already exists", ""},
		{"short password", []string{"users", "add", "beto"}, "corta\n", "password too short", ""},
		{"common password", []string{"users", "add", "beto"}, "password12345\n", "too common", ""},
		{"bad role", []string{"users", "add", "--role", "root", "beto"}, "una frase larga y mía\n", "--role", ""},
		{"generated", []string{"users", "add", "--generate", "carla"}, "", "", "password: "},
		{"deactivate", []string{"users", "deactivate", "carla"}, "", "", "user carla deactivated"},
		{"list", []string{"users", "list"}, "", "", "carla\tadvisor\tinactive"},
		{"activate", []string{"users", "activate", "carla"}, "", "", "user carla activated"},
		{"unknown user", []string{"users", "deactivate", "nadie"}, "", "not found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), tt.args, envOf(env), strings.NewReader(tt.stdin), &out, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("%v: err = %v; want %q", tt.args, err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(out.String(), tt.wantOut) {
				t.Fatalf("%v: err %v, out %q; want %q", tt.args, err, out.String(), tt.wantOut)
			}
			if strings.Contains(out.String(), tt.stdin) && tt.stdin != "" {
				t.Errorf("the password was echoed")
			}
		})
	}
}

// An advisor named in --advisors without an account gets one without a
// password; `cis users add` then gives it its first password, once.
func TestUsersAddGivesAnAdvisorAccountItsPassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "warn"}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.SetAdvisors(ctx, []store.Advisor{{Name: "dora", Phone: "+573000000009"}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	for i, wantErr := range []string{"", "already exists"} {
		var out bytes.Buffer
		err := run(ctx, []string{"users", "add", "--role", "admin", "dora"}, envOf(env), strings.NewReader("una frase larga y mía\n"), &out, io.Discard)
		if wantErr == "" && (err != nil || !strings.Contains(out.String(), "user dora (advisor) created")) {
			t.Fatalf("first password: err %v, out %q; want the advisor account kept as advisor", err, out.String())
		}
		if wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("run %d: err %v; want %q", i, err, wantErr)
		}
	}
	st, err = store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if u, err := st.UserByName(ctx, "dora"); err != nil || u.PasswordHash == "" || u.Role != "advisor" {
		t.Errorf("dora: %+v, %v; want an advisor with a password", u, err)
	}
}

// TestUsersPasswd: `cis users passwd` sets a new password (typed or
// generated), checks the policy, ends the account's sessions and is audited.
func TestUsersPasswd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "warn"}
	createStore(t, db)
	if _, err := runCmd(t, env, "una frase larga y mía\n", "users", "add", "--role", "admin", "ana"); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.UserByName(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateSession(ctx, "tokenhash", u.ID, "csrf"); err != nil {
		t.Fatal(err)
	}
	if _, err := runCmd(t, env, "corta\n", "users", "passwd", "ana"); err == nil || !strings.Contains(err.Error(), "too short") {
		t.Errorf("a short password: %v; want refused", err)
	}
	if _, err := runCmd(t, env, "", "users", "passwd", "nadie"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("an unknown account: %v; want not found", err)
	}
	out, err := runCmd(t, env, "", "users", "passwd", "--generate", "ana")
	if err != nil {
		t.Fatalf("passwd --generate: %v", err)
	}
	pw := strings.TrimSpace(out[strings.LastIndex(out, "password: ")+len("password: "):])
	if u, err = st.UserByName(ctx, "ana"); err != nil || !dashboard.VerifyPassword(u.PasswordHash, pw) {
		t.Errorf("the printed password %q does not verify (%v)", pw, err)
	}
	if _, err := st.SessionByHash(ctx, "tokenhash"); err == nil {
		t.Error("ana's session survived the new password")
	}
	audit, _ := st.RecentAudit(ctx, 1)
	if len(audit) == 0 || audit[0].Action != "password_changed" || audit[0].UserID != u.ID {
		t.Errorf("audit = %+v; want the password change", audit)
	}
}
