package messages

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// root is the module's root, seen from this package's directory.
const root = "../.."

// keyUse says where an area's keys are asked for: calls of these names
// (function or method) with the key as one argument, composite-literal
// fields with these names, and templates that call the catalogue as
// {{t .Lang "key"}} or {{t .Lang (print "prefix" .X)}}.
type keyUse struct {
	area      string
	dirs      []string          // package directories (no subpackages), from root
	calls     map[string]keyArg // callee name → where its key is
	fields    []string          // composite-literal fields that hold a key
	templates string            // directory of the templates, "" for none
	atLeast   int               // fewer uses found means the scan broke
}

// keyArg is the index of a call's key argument, the prefix the callee
// puts before it, and whether the callee adds a suffix after a dot
// ("trend" → "trend.up").
type keyArg struct {
	n      int
	prefix string
	dotted bool
}

var keyUses = []keyUse{
	{area: "bot", dirs: []string{"flow"}, atLeast: 60, calls: map[string]keyArg{
		"say": {0, "", false}, "sayMenu": {1, "", false}, "render": {1, "", false}, "label": {0, "", false}, "text": {1, "", false}}},
	{area: "bot", dirs: []string{"bot", "cmd/cis"}, atLeast: 2, calls: map[string]keyArg{"Text": {0, "", false}}},
	{area: "dash", dirs: []string{"dashboard", "cmd/cis"}, templates: "dashboard/templates", atLeast: 400, calls: map[string]keyArg{
		"T": {1, "", false}, "refuse": {3, "", false}, "renderLogin": {2, "", false}, "say": {0, "reason.", false}, "Step": {0, "starting.", false}}},
	{area: "dash", dirs: []string{"scoring/insight"}, fields: []string{"Key"}, atLeast: 8, calls: map[string]keyArg{"Word": {0, "", false}}},
	{area: "report", dirs: []string{"dashboard/report"}, templates: "dashboard/report/templates", atLeast: 80, calls: map[string]keyArg{"T": {1, "", false}}},
	{area: "reason", dirs: []string{"scoring"}, atLeast: 20, calls: map[string]keyArg{"text": {0, "", false}, "dir": {0, "", true}}},
}

// TestEveryUsedKeyExists reads the code and the templates for the keys
// they ask the catalogue for and checks each exists. A key built at run
// time from a literal prefix ("role." + role) needs at least one key with
// that prefix; a key held in a variable is not seen here (the golden
// transcripts and the page tests see those).
func TestEveryUsedKeyExists(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range keyUses {
		t.Run(u.area+":"+strings.Join(u.dirs, ","), func(t *testing.T) {
			area := c.Area(u.area)
			uses := u.goKeys(t)
			if u.templates != "" {
				uses = append(uses, templateKeys(t, filepath.Join(root, u.templates))...)
			}
			if len(uses) < u.atLeast {
				t.Fatalf("found %d keys asked for; want at least %d (did a call change its name?)", len(uses), u.atLeast)
			}
			for _, k := range uses {
				if !k.exists(area) {
					t.Errorf("%s: key %s%q is not in the catalogue's %s area", k.where, k.kind(), k.key, u.area)
				}
			}
		})
	}
}

// usedKey is one key the code asks for; prefix when only its start is
// literal.
type usedKey struct {
	key, where string
	prefix     bool
}

func (k usedKey) kind() string {
	if k.prefix {
		return "prefix "
	}
	return ""
}

func (k usedKey) exists(a Area) bool {
	if !k.prefix {
		return a.Has(k.key)
	}
	for key := range a.es {
		if strings.HasPrefix(key, k.key) {
			return true
		}
	}
	return false
}

// goKeys parses the non-test Go files of u's directories.
func (u keyUse) goKeys(t *testing.T) []usedKey {
	var out []usedKey
	fset := token.NewFileSet()
	for _, dir := range u.dirs {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("no Go files in %s: %v", dir, err)
		}
		for _, name := range files {
			if strings.HasSuffix(name, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, name, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				if e, a := u.keyExpr(n); e != nil {
					if k, ok := literalKey(e); ok && (k.key != "" || k.prefix) {
						k.key, k.where = a.prefix+k.key, fset.Position(e.Pos()).String()
						if a.dotted && !k.prefix {
							k.key, k.prefix = k.key+".", true
						}
						out = append(out, k)
					}
				}
				return true
			})
		}
	}
	return out
}

// keyExpr returns the expression that holds a key in n, if n is one of
// u's calls or fields, and how the callee reads it.
func (u keyUse) keyExpr(n ast.Node) (ast.Expr, keyArg) {
	switch x := n.(type) {
	case *ast.CallExpr:
		var name string
		switch fn := x.Fun.(type) {
		case *ast.Ident:
			name = fn.Name
		case *ast.SelectorExpr:
			name = fn.Sel.Name
		}
		if a, ok := u.calls[name]; ok && a.n < len(x.Args) {
			return x.Args[a.n], a
		}
	case *ast.KeyValueExpr:
		if id, ok := x.Key.(*ast.Ident); ok {
			for _, f := range u.fields {
				if id.Name == f {
					return x.Value, keyArg{}
				}
			}
		}
	}
	return nil, keyArg{}
}

// literalKey reads "key" or "prefix" + expr.
func literalKey(e ast.Expr) (usedKey, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if s, err := strconv.Unquote(x.Value); err == nil && x.Kind == token.STRING {
			return usedKey{key: s}, true
		}
	case *ast.BinaryExpr:
		if k, ok := literalKey(x.X); ok && x.Op == token.ADD {
			k.prefix = true
			return k, true
		}
	}
	return usedKey{}, false
}

// templateCall matches {{t .Lang "key"}}, {{t $.Lang "key"}} and
// {{t .Lang (print "prefix" .X)}}.
var templateCall = regexp.MustCompile(`\bt \$?\.Lang (\(print )?"([^"]*)"`)

func templateKeys(t *testing.T, dir string) []usedKey {
	var out []usedKey
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".html") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range templateCall.FindAllStringSubmatch(string(b), -1) {
			out = append(out, usedKey{key: m[2], prefix: m[1] != "", where: path})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
