package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestPrivacyCommand(t *testing.T) {
	testPrivacyCommand(t, filepath.Join(t.TempDir(), "cis.db"))
}

// TestPrivacyCommandOnPostgres is the operator's `cis privacy` on a
// PostgreSQL store (--db postgres://…, here through CIS_DB): export,
// requests, the exclusion list, deletion and retention answer as on SQLite.
func TestPrivacyCommandOnPostgres(t *testing.T) {
	testPrivacyCommand(t, privacyPGSchema(t))
}

func testPrivacyCommand(t *testing.T, db string) {
	dir := t.TempDir()
	env := map[string]string{"CIS_DB": db, "CIS_LOG_LEVEL": "warn"}
	createStore(t, db)
	script := "hola\nsí\nCarlos Andrés Restrepo\nMedellín\n2 millones\npa ya\n1\nmis datos\n"
	if _, err := runCmd(t, env, script, "chat", "--script", "-", "--phone", "+573001112233", "--now", "2026-11-13T10:00:00-05:00"); err != nil {
		t.Fatal(err)
	}
	rne := filepath.Join(dir, "rne.txt")
	if err := os.WriteFile(rne, []byte("# Registro de Números Excluidos\n+573005550001\n\n+573005550002,2024-01-01\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "export.json")
	tests := []struct {
		name    string
		args    []string
		wantErr string
		wantOut string
	}{
		{"export to stdout", []string{"privacy", "export", "--phone", "+573001112233"}, "", `"nombre_name": "Carlos Andrés Restrepo"`},
		{"export shows the consent text", []string{"privacy", "export", "--phone", "+573001112233"}, "", `"texto_mostrado_text_shown": "`},
		{"export to a file", []string{"privacy", "export", "--phone", "+573001112233", "--out", out}, "", "export written to"},
		{"export of a stranger", []string{"privacy", "export", "--phone", "+573000000000"}, "nothing is stored", ""},
		{"export without phone", []string{"privacy", "export"}, "--phone is required", ""},
		{"requests", []string{"privacy", "requests"}, "", "access\tconsulta\topen"},
		{"written request", []string{"privacy", "request", "--phone", "+573001112233", "--kind", "correct"}, "", "(correct, reclamo) due"},
		{"bad kind", []string{"privacy", "request", "--phone", "+573001112233", "--kind", "gossip"}, "want access, correct, delete or revoke", ""},
		{"exclude add", []string{"privacy", "exclude", "add", "+573005550003"}, "", "1 number(s) added"},
		{"exclude bad number", []string{"privacy", "exclude", "add", "3005550004"}, "want E.164", ""},
		{"exclude import", []string{"privacy", "exclude", "import", rne}, "", "2 of 2 number(s) added"},
		{"exclude list", []string{"privacy", "exclude", "list"}, "", "…0002\trne"},
		{"exclude remove", []string{"privacy", "exclude", "remove", "+573005550003"}, "", "1 number(s) removed"},
		{"exclude remove absent", []string{"privacy", "exclude", "remove", "+573005550003"}, "not on the list", ""},
		{"delete", []string{"privacy", "delete", "--phone", "+573001112233"}, "", "erased 1 contact(s), 1 lead(s)"},
		{"delete again", []string{"privacy", "delete", "--phone", "+573001112233"}, "nothing is stored", ""},
		{"export after delete keeps only the residue", []string{"privacy", "export", "--phone", "+573001112233"}, "", `"no_contactar_do_not_contact": true`},
		{"retention", []string{"privacy", "retention", "--retain-incomplete", "30d"}, "", "retention erased 0 person(s)"},
		{"bad retention", []string{"privacy", "retention", "--retain-leads", "dos años"}, "want whole days", ""},
		{"unknown", []string{"privacy", "frobnicate"}, "usage: cis privacy", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := runCmd(t, env, "", tt.args...)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !strings.Contains(got, tt.wantOut) {
				t.Fatalf("err %v, out %q; want %q", err, got, tt.wantOut)
			}
			if strings.HasPrefix(tt.name, "export after delete") && strings.Contains(got, "Carlos") {
				t.Errorf("the export after deletion still names the person: %s", got)
			}
		})
	}
	b, err := os.ReadFile(out)
	if err != nil || !json.Valid(b) {
		t.Fatalf("export file: %v", err)
	}
	if fi, _ := os.Stat(out); fi.Mode().Perm() != 0o600 {
		t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
	}
}
