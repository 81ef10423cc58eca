package main

import (
	"go/ast"
	"go/token"
	"strings"
	"testing"
)

// TestNoExportedMutableGlobals: a package-level variable another package
// can assign is a hidden input (a test that changes it changes every
// caller), so exported package-level variables are sentinel errors only
// (ErrX, compared with errors.Is); defaults are constants or functions.
func TestNoExportedMutableGlobals(t *testing.T) {
	eachGoFile(t, func(fset *token.FileSet, rel string, f *ast.File) {
		for _, decl := range f.Decls {
			g, ok := decl.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, spec := range g.Specs {
				for _, name := range spec.(*ast.ValueSpec).Names {
					if name.IsExported() && !strings.HasPrefix(name.Name, "Err") {
						t.Errorf("%s:%d: exported package-level variable %s.%s; make it a constant or a function",
							rel, fset.Position(name.Pos()).Line, f.Name.Name, name.Name)
					}
				}
			}
		}
	})
}
