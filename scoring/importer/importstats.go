package importer

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// ImportStats is what one leads import learned about the file, kept with
// the store (import_runs) so the model report's data-and-cleaning section
// can show it later. It holds counts and spellings of places, never a
// prospect's name, phone or message.
type ImportStats struct {
	Source     string         `json:"source,omitempty"` // "demo" for the generated demo history
	Read       int            `json:"read"`             // data rows in the file
	Rejected   map[string]int `json:"rejected"`         // bad rows by the field that failed
	Good       int            `json:"good"`             // rows that passed
	Duplicates int            `json:"duplicates"`       // good rows already in the store (not added again)
	Cities     map[string]int `json:"cities"`           // "medallo → Medellín (05001)": spellings mapped to a municipality
	Budgets    map[string]int `json:"budgets"`          // how budgets were written: "digits", "text", "range", "usd", "unknown"
	Missing    map[string]int `json:"missing"`          // empty cells per field among good rows
}

func newImportStats() *ImportStats {
	return &ImportStats{Rejected: map[string]int{}, Cities: map[string]int{}, Budgets: map[string]int{}, Missing: map[string]int{}}
}

var plainDigits = regexp.MustCompile(`^[\d.,'$\s]+$`)

// observe records one good row.
func (s *ImportStats) observe(get Get, il ImportedLead) {
	s.Good++
	for _, f := range leadSpec.Fields {
		if get(f) == "" {
			s.Missing[f]++
		}
	}
	if raw := get("city"); raw != "" {
		c := il.Lead.City
		switch {
		case c.Foreign:
			s.Cities[fmt.Sprintf("%s → %s", strings.ToLower(raw), "foreign")]++
		case c.Code != "" && !strings.EqualFold(strings.TrimSpace(raw), c.Name):
			s.Cities[fmt.Sprintf("%s → %s (%s)", strings.ToLower(raw), c.Name, c.Code)]++
		}
	}
	if raw := get("budget"); raw != "" {
		b := il.Lead.Budget
		kind := "text"
		switch {
		case b.Unknown:
			kind = "unknown"
		case strings.Contains(strings.ToLower(raw), "usd") || strings.Contains(raw, "US$"):
			kind = "usd"
		case b.MinCOP != b.MaxCOP:
			kind = "range"
		case plainDigits.MatchString(raw):
			kind = "digits"
		}
		s.Budgets[kind]++
	}
}

// reject records one bad row by the field its reason names.
func (s *ImportStats) reject(reason string) {
	field, _, _ := strings.Cut(reason, " ")
	if !slices.Contains(leadSpec.Fields, field) {
		field = "format" // a CSV-level problem: wrong number of fields, a bad quote
	}
	s.Rejected[field]++
}

// DemoStats describes the generated demo history as an import: every
// row good, nothing to normalise (the generator already speaks the
// gazetteer's names).
func DemoStats(rows, added int) *ImportStats {
	s := newImportStats()
	s.Source, s.Read, s.Good, s.Duplicates = "demo", rows, rows, rows-added
	return s
}
