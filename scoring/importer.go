package scoring

import (
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/scoring/learn"
)

// ImportFields are the fields an import maps from the file's columns.
// created_at and converted are required; the others may be absent.
var ImportFields = []string{"created_at", "city", "budget", "urgency", "service", "source", "converted", "revenue"}

// headerGuesses are the Spanish and English headers each field is
// recognised by, compared without accents, case, spaces or punctuation.
var headerGuesses = map[string][]string{
	"created_at": {"createdat", "created", "date", "fecha", "fechacreacion", "fechadecreacion", "fechaingreso", "fechadellead", "timestamp"},
	"city":       {"city", "ciudad", "municipio", "town"},
	"budget":     {"budget", "presupuesto", "presupuestomensual", "monthlybudget"},
	"urgency":    {"urgency", "urgencia", "plazo", "cuandolonecesita", "timeline"},
	"service":    {"service", "servicio", "producto", "product", "interes", "interest"},
	"source":     {"source", "fuente", "origen", "campaign", "campana", "canal", "channel", "utmcampaign", "utmsource"},
	"converted":  {"converted", "convertido", "conversion", "outcome", "resultado", "estado", "status", "won", "ganado", "cerrado", "venta"},
	"revenue":    {"revenue", "ingreso", "ingresos", "valor", "valorventa", "montoventa", "facturado", "amount"},
}

// ImportedLead is one good row of a history file.
type ImportedLead struct {
	Line       int
	Key        string // SHA-256 of the row's cells and its occurrence number: re-imports add nothing
	Lead       flow.Lead
	CreatedAt  time.Time
	Converted  bool
	RevenueCOP *int64
	Extra      map[string]string
}

// BadRow is a row that could not be read, with why.
type BadRow struct {
	Line   int
	Reason string
	Cells  []string
}

// ImportOptions steer ReadLeads.
type ImportOptions struct {
	Places    *flow.Places
	Catalogue flow.Catalogue
	USDToCOP  float64
	Loc       *time.Location    // for dates without a zone; America/Bogota when nil
	Map       map[string]string // field → header, overriding the guesses
}

// ImportResult is what ReadLeads read.
type ImportResult struct {
	Header  []string
	Mapping map[string]string // field → header used
	Rows    []ImportedLead
	Bad     []BadRow
}

// ReadLeads reads a CSV of historical leads (comma or semicolon, gzip
// accepted). Values go through the bot's normalisers: cities through
// flow's gazetteer, budgets through flow.ParseBudget, urgency through
// flow.ParseUrgency, services through the catalogue (an unknown service is
// "other"). Columns not mapped to a field are kept as Extra. A row that
// cannot be read is reported in Bad with its line and reason; ReadLeads
// fails only when the file itself cannot be read or a required column is
// missing.
func ReadLeads(r io.Reader, o ImportOptions) (*ImportResult, error) {
	if o.Loc == nil {
		o.Loc = bogota
	}
	cr, header, done, err := learn.OpenCSV(r)
	defer done()
	if err != nil {
		return nil, err
	}
	cr.LazyQuotes = true // agencies' exports: a stray quote in a name is data, not an error
	res := &ImportResult{Header: header, Mapping: map[string]string{}}
	col, err := mapColumns(header, o.Map)
	if err != nil {
		return nil, err
	}
	for f, j := range col {
		res.Mapping[f] = header[j]
	}
	mapped := map[int]bool{}
	for _, j := range col {
		mapped[j] = true
	}
	seen := map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				res.Bad = append(res.Bad, BadRow{Line: pe.Line, Reason: pe.Err.Error()})
				continue
			}
			return nil, err
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != len(header) {
			res.Bad = append(res.Bad, BadRow{line, fmt.Sprintf("%d fields, header has %d", len(rec), len(header)), rec})
			continue
		}
		il, reason := readLead(rec, col, o)
		if reason != "" {
			res.Bad = append(res.Bad, BadRow{line, reason, rec})
			continue
		}
		il.Line = line
		il.Extra = map[string]string{}
		for j, v := range rec {
			if !mapped[j] && strings.TrimSpace(v) != "" {
				il.Extra[header[j]] = strings.TrimSpace(v)
			}
		}
		content := strings.Join(rec, "\x1f")
		seen[content]++
		sum := sha256.Sum256([]byte(content + "\x1e" + strconv.Itoa(seen[content])))
		il.Key = hex.EncodeToString(sum[:])
		res.Rows = append(res.Rows, il)
	}
	return res, nil
}

// mapColumns finds each field's column: the explicit mapping first, then
// the header guesses.
func mapColumns(header []string, explicit map[string]string) (map[string]int, error) {
	col := map[string]int{}
	folded := make([]string, len(header))
	for j, h := range header {
		folded[j] = foldHeader(h)
	}
	for f, h := range explicit {
		if !isField(f) {
			return nil, fmt.Errorf("--map: unknown field %q (fields: %s)", f, strings.Join(ImportFields, ", "))
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
	fields := append([]string(nil), ImportFields...)
	sort.Strings(fields)
	for _, f := range ImportFields {
		if _, ok := col[f]; ok {
			continue
		}
	guess:
		for _, g := range headerGuesses[f] {
			for j := range header {
				if !used[j] && folded[j] == g {
					col[f], used[j] = j, true
					break guess
				}
			}
		}
	}
	for _, f := range []string{"created_at", "converted"} {
		if _, ok := col[f]; !ok {
			return nil, fmt.Errorf("no column for %s (give --map %s=HEADER)", f, f)
		}
	}
	return col, nil
}

func isField(f string) bool {
	for _, g := range ImportFields {
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

// readLead reads one row; reason is "" when the row is good.
func readLead(rec []string, col map[string]int, o ImportOptions) (ImportedLead, string) {
	get := func(f string) string {
		if j, ok := col[f]; ok {
			return strings.TrimSpace(rec[j])
		}
		return ""
	}
	var il ImportedLead
	raw := get("created_at")
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, raw, o.Loc); err == nil {
			il.CreatedAt = t.UTC()
			break
		}
	}
	if il.CreatedAt.IsZero() {
		return il, fmt.Sprintf("created_at %q: not a date (use 2006-01-02 or 02/01/2006)", raw)
	}
	l := &il.Lead
	l.StartedAt, l.CompletedAt, l.Channel = il.CreatedAt, il.CreatedAt, "import"
	if v := get("city"); v != "" && o.Places != nil {
		r := o.Places.Parse(v)
		switch r.Match {
		case flow.CityExact, flow.CityForeign:
			l.City = r.City
		case flow.CityAmbiguous:
			l.City = r.Candidates[0] // likeliest first: the capital or the largest town
		case flow.CityDepartment:
			l.City = flow.City{Department: r.Department}
		default:
			return il, fmt.Sprintf("city %q: not a Colombian municipality or known foreign city", v)
		}
	}
	if v := get("budget"); v != "" {
		a := flow.ParseBudget(v, o.USDToCOP)
		if !a.OK {
			return il, fmt.Sprintf("budget %q: not understood", v)
		}
		l.Budget = a.Budget
	}
	if v := get("urgency"); v != "" {
		u, ok := flow.ParseUrgency(v, il.CreatedAt)
		if !ok {
			return il, fmt.Sprintf("urgency %q: not understood", v)
		}
		l.Urgency = u
	}
	if v := get("service"); v != "" {
		key, ok := o.Catalogue.Parse(v)
		if !ok {
			key = "other"
		}
		l.Service = key
	}
	l.Source = strings.ToLower(get("source"))
	conv, ok := parseOutcome(get("converted"))
	if !ok {
		return il, fmt.Sprintf("converted %q: want yes/no (sí, no, 1, 0, ganado, perdido)", get("converted"))
	}
	il.Converted = conv
	if v := get("revenue"); v != "" {
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
		if err != nil || n < 0 {
			return il, fmt.Sprintf("revenue %q: not an amount in pesos", v)
		}
		il.RevenueCOP = &n
	}
	return il, ""
}

func parseOutcome(s string) (bool, bool) {
	switch foldHeader(s) {
	case "si", "yes", "y", "1", "true", "ganado", "won", "convertido", "converted", "cerrado", "venta", "cliente":
		return true, true
	case "no", "n", "0", "false", "perdido", "lost", "noconvertido", "descartado":
		return false, true
	}
	return false, false
}
