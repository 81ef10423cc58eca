package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// maxFuncLines is the longest a non-test function may be. Lines inside a
// composite literal of more than tableLines lines do not count: a data
// table reads best whole.
const (
	maxFuncLines = 80
	tableLines   = 5
)

// TestFunctionLength keeps functions short enough to read in one screen, in
// every package of the module (test files excepted).
func TestFunctionLength(t *testing.T) {
	eachGoFile(t, func(fset *token.FileSet, rel string, f *ast.File) {
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Body == nil {
				continue
			}
			if n := codeLines(fset, fn); n > maxFuncLines {
				t.Errorf("%s:%d: %s is %d lines long (tables aside); the limit is %d",
					rel, fset.Position(fn.Pos()).Line, fn.Name.Name, n, maxFuncLines)
			}
		}
	})
}

// eachGoFile parses every non-test Go file of the module (testdata and
// hidden folders aside) and calls check with its path relative to the
// module's root.
func eachGoFile(t *testing.T, check func(fset *token.FileSet, rel string, f *ast.File)) {
	t.Helper()
	fset := token.NewFileSet()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		check(fset, filepath.ToSlash(rel), f)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// codeLines counts fn's lines, from its signature to its closing brace,
// leaving out those inside long composite literals (data tables).
func codeLines(fset *token.FileSet, fn *ast.FuncDecl) int {
	first, last := fset.Position(fn.Pos()).Line, fset.Position(fn.Body.Rbrace).Line
	table := map[int]bool{}
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		from, to := fset.Position(lit.Lbrace).Line, fset.Position(lit.Rbrace).Line
		if to-from+1 <= tableLines {
			return true
		}
		for l := from + 1; l < to; l++ {
			table[l] = true
		}
		return false
	})
	return last - first + 1 - len(table)
}
