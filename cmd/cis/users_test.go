package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

func TestUsersAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cis.db")
	env := map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "warn"}
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
