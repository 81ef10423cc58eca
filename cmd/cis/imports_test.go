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
func TestImportRules(t *testing.T) {
	const mod = "github.com/cis-agencia/cis/"
	tests := []struct {
		pkg     string
		allowed func(dep string, std bool) bool
	}{
		{"flow", func(dep string, std bool) bool {
			return std || strings.HasPrefix(dep, "golang.org/x/text/") ||
				dep == mod+"flow" || strings.HasPrefix(dep, mod+"flow/")
		}},
		{"store", notUnder(mod+"dashboard", mod+"bot")},
		{"scoring", notUnder(mod+"dashboard", mod+"bot")},
		{"dashboard", notUnder(mod + "bot")},
	}
	for _, tt := range tests {
		t.Run(tt.pkg, func(t *testing.T) {
			for _, d := range listDeps(t, mod+tt.pkg+"/...") {
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
