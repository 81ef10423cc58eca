package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules keeps the layers apart: flow stays pure (the standard
// library and golang.org/x/text only), store and scoring never reach up into
// the HTTP or WhatsApp layers, and dashboard talks to bot only through the
// interfaces it declares. It reads the real dependency graph with go list
// -deps, so an indirect import breaks it just as a direct one does.
//
// scoring's nested packages (importer, demo, demo/seeding, modelreport,
// insight) fall under scoring's row. They may import store for its row
// types (HistoryLead, CustomerImport, CampaignRow: what they produce is
// exactly what the store takes, and a copy of each type would only need
// converting back), but consume the store itself through the interfaces
// they declare; store imports no scoring package, so that never becomes a
// cycle. demo imports no other scoring package: scoring's own tests train
// on its histories.
func TestImportRules(t *testing.T) {
	const mod = "github.com/cis-agencia/cis/"
	tests := []struct {
		pkg     string
		alone   bool // the package only, not those nested under it
		allowed func(dep string, std bool) bool
	}{
		{"flow", false, func(dep string, std bool) bool {
			return std || strings.HasPrefix(dep, "golang.org/x/text/") ||
				dep == mod+"flow" || strings.HasPrefix(dep, mod+"flow/")
		}},
		{"store", false, notUnder(mod+"dashboard", mod+"bot", mod+"scoring")},
		{"scoring", false, notUnder(mod+"dashboard", mod+"bot")},
		// demo/seeding, which seeds through scoring's training, is not demo.
		{"scoring/demo", true, func(dep string, std bool) bool {
			return dep == mod+"scoring/demo" || notUnder(mod+"dashboard", mod+"bot", mod+"scoring")(dep, std)
		}},
		{"dashboard", false, notUnder(mod + "bot")},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			pattern := mod + tt.pkg + "/..."
			if tt.alone {
				pattern = mod + tt.pkg
			}
			for _, d := range listDeps(t, pattern) {
				if !tt.allowed(d.path, d.std) {
					t.Errorf("%s depends on %s (via go list -deps)", tt.pkg, d.path)
				}
			}
		})
	}
}

type dep struct {
	path string
	std  bool
}

// notUnder allows every dependency except the packages under the given roots.
func notUnder(roots ...string) func(string, bool) bool {
	return func(dep string, _ bool) bool {
		for _, r := range roots {
			if dep == r || strings.HasPrefix(dep, r+"/") {
				return false
			}
		}
		return true
	}
}

// listDeps returns the non-test dependencies of the packages matching
// pattern, the packages themselves included.
func listDeps(t *testing.T, pattern string) []dep {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", pattern).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	var deps []dep
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, std, _ := strings.Cut(line, " ")
		deps = append(deps, dep{path: path, std: std == "true"})
	}
	if len(deps) == 0 {
		t.Fatalf("go list -deps %s listed nothing", pattern)
	}
	return deps
}
