// Package importer reads an agency's spreadsheet exports (leads,
// customers, customer events, campaigns) into store rows and commits them:
// columns found by Spanish or English header guesses or an explicit
// mapping, bad rows reported by line and reason, a per-row key so a
// re-import adds nothing twice, and what a leads file taught kept for the
// model report (ImportStats). It consumes the store through Store.
package importer

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// Every import (leads, customers, campaigns) reads an agency's spreadsheet
// export the same way: columns found by Spanish or English header guesses or
// an explicit mapping, one bad row reported by line and reason without
// stopping the others, unmapped columns kept, and a per-row key so a
// re-import adds nothing twice. TableSpec and ReadTable hold that once.

// bogota is where dates without a zone are read.
var bogota = flow.Bogota()

// TableSpec describes one kind of import file.
type TableSpec struct {
	Fields   []string            // in the order help texts list them
	Required []string            // fields the file must have a column for
	Guesses  map[string][]string // field → folded headers it is recognised by
}

// Get returns a field's trimmed cell in a row, "" when the field has no column.
type Get func(field string) string

// Row is one good row of an import file.
type Row[T any] struct {
	Line  int
	Key   string // SHA-256 of the row's cells and its occurrence number
	Value T
	Extra map[string]string // unmapped, non-empty columns by header
}

// BadRow is a row that could not be read, with why.
type BadRow struct {
	Line   int
	Reason string
	Cells  []string
}

// Table is what ReadTable read.
type Table[T any] struct {
	Header  []string
	Mapping map[string]string // field → header used
	Rows    []Row[T]
	Bad     []BadRow
}

// ReadTable reads a CSV file (comma or semicolon, gzip accepted) and turns
// each row into a T with read, which returns a non-empty reason for a bad
// row. It fails only when the file cannot be read or a required column is
// missing.
func ReadTable[T any](r io.Reader, spec TableSpec, explicit map[string]string, read func(Get) (T, string)) (*Table[T], error) {
	cr, header, done, err := learn.OpenCSV(r)
	defer done()
	if err != nil {
		return nil, err
	}
	cr.LazyQuotes = true // agencies' exports: a stray quote in a name is data, not an error
	col, err := spec.mapColumns(header, explicit)
	if err != nil {
		return nil, err
	}
	t := &Table[T]{Header: header, Mapping: map[string]string{}}
	mapped := map[int]bool{}
	for f, j := range col {
		t.Mapping[f] = header[j]
		mapped[j] = true
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				t.Bad = append(t.Bad, BadRow{Line: pe.Line, Reason: pe.Err.Error()})
				continue
			}
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			t.Bad = append(t.Bad, BadRow{line, fmt.Sprintf("%d fields, header has %d", len(rec), len(header)), rec})
			continue
		}
		v, reason := read(func(f string) string {
			if j, ok := col[f]; ok {
				return strings.TrimSpace(rec[j])
			}
			return ""
		})
		if reason != "" {
			t.Bad = append(t.Bad, BadRow{line, reason, rec})
			continue
		}
		row := Row[T]{Line: line, Value: v, Extra: map[string]string{}}
		for j, cell := range rec {
			if !mapped[j] && strings.TrimSpace(cell) != "" {
				row.Extra[header[j]] = strings.TrimSpace(cell)
			}
		}
		content := strings.Join(rec, "\x1f")
		seen[content]++
		sum := sha256.Sum256([]byte(content + "\x1e" + strconv.Itoa(seen[content])))
		row.Key = hex.EncodeToString(sum[:])
		t.Rows = append(t.Rows, row)
	}
}

// mapColumns finds each field's column: the explicit mapping first, then
// the header guesses, each column used once.
func (spec TableSpec) mapColumns(header []string, explicit map[string]string) (map[string]int, error) {
	col := map[string]int{}
	folded := make([]string, len(header))
	for j, h := range header {
		folded[j] = foldHeader(h)
	}
	for f, h := range explicit {
		if !spec.isField(f) {
			return nil, fmt.Errorf("--map: unknown field %q (fields: %s)", f, strings.Join(spec.Fields, ", "))
		}
		found := false
		for j := range header {
			if header[j] == h || folded[j] == foldHeader(h) {
				col[f], found = j, true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("--map %s=%s: no such column in the header", f, h)
		}
	}
	used := map[int]bool{}
	for _, j := range col {
		used[j] = true
	}
	for _, f := range spec.Fields {
		if _, ok := col[f]; ok {
			continue
		}
	guess:
		for _, g := range spec.Guesses[f] {
			for j := range header {
				if !used[j] && folded[j] == g {
					col[f], used[j] = j, true
					break guess
				}
			}
		}
	}
	for _, f := range spec.Required {
		if _, ok := col[f]; !ok {
			return nil, fmt.Errorf("no column for %s (give --map %s=HEADER)", f, f)
		}
	}
	return col, nil
}

func (spec TableSpec) isField(f string) bool {
	for _, g := range spec.Fields {
		if f == g {
			return true
		}
	}
	return false
}

// foldHeader lower-cases, strips accents and keeps letters and digits.
func foldHeader(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(s)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

var dateLayouts = []string{time.RFC3339, "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02", "02/01/2006 15:04", "02/01/2006", "2/1/2006", "2006/01/02"}

// ParseDate reads the dates agencies' spreadsheets carry; a date without a
// zone is in loc (America/Bogota when nil). ok is false when none fits.
func ParseDate(raw string, loc *time.Location) (time.Time, bool) {
	if loc == nil {
		loc = bogota
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, raw, loc); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// ParsePesos reads an amount in pesos as spreadsheets write it ("$6.000.000",
// "6,000,000 COP", "6000000"); ok is false for anything else, negatives too.
// Decimals are not supported: Colombian peso amounts are whole.
func ParsePesos(v string) (int64, bool) {
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		if r == ',' || r == '.' || r == '$' || r == ' ' || r == '\'' || r == 'C' || r == 'O' || r == 'P' {
			return -1
		}
		return 'x'
	}, v)
	n, err := strconv.ParseInt(digits, 10, 64)
	return n, err == nil && n >= 0
}

// ParseYesNo reads yes/no cells in Spanish or English (sí, no, 1, 0, true, false).
func ParseYesNo(s string) (value, ok bool) {
	switch foldHeader(s) {
	case "si", "yes", "y", "1", "true", "s", "verdadero":
		return true, true
	case "no", "n", "0", "false", "falso":
		return false, true
	}
	return false, false
}
