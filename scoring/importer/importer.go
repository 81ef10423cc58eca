package importer

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/cis-agencia/cis/flow"
	"github.com/cis-agencia/cis/flow/place"
)

// leadSpec is the leads import: created_at and converted are required, the
// others may be absent.
var leadSpec = TableSpec{
	Fields:   []string{"created_at", "city", "budget", "urgency", "service", "source", "converted", "revenue"},
	Required: []string{"created_at", "converted"},
	Guesses: map[string][]string{
		"created_at": {"createdat", "created", "date", "fecha", "fechacreacion", "fechadecreacion", "fechaingreso", "fechadellead", "timestamp"},
		"city":       {"city", "ciudad", "municipio", "town"},
		"budget":     {"budget", "presupuesto", "presupuestomensual", "monthlybudget"},
		"urgency":    {"urgency", "urgencia", "plazo", "cuandolonecesita", "timeline"},
		"service":    {"service", "servicio", "producto", "product", "interes", "interest"},
		"source":     {"source", "fuente", "origen", "campaign", "campana", "canal", "channel", "utmcampaign", "utmsource"},
		"converted":  {"converted", "convertido", "conversion", "outcome", "resultado", "estado", "status", "won", "ganado", "cerrado", "venta"},
		"revenue":    {"revenue", "ingreso", "ingresos", "valor", "valorventa", "montoventa", "facturado", "amount"},
	},
}

// ImportFields are the fields a leads import maps from the file's columns.
func ImportFields() []string { return slices.Clone(leadSpec.Fields) }

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

// ImportOptions steer ReadLeads.
type ImportOptions struct {
	Places    *place.Places
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
	Stats   *ImportStats // what the file taught: rejects by field, spellings mapped, budget forms, empty cells
}

// ReadLeads reads a CSV of historical leads (see ReadTable). Values go
// through the bot's normalisers: cities through flow's gazetteer, budgets
// through flow.ParseBudget, urgency through flow.ParseUrgency, services
// through the catalogue (an unknown service is "other"). Columns not mapped
// to a field are kept as Extra.
func ReadLeads(r io.Reader, o ImportOptions) (*ImportResult, error) {
	stats := newImportStats()
	t, err := ReadTable(r, leadSpec, o.Map, func(get Get) (ImportedLead, string) {
		il, reason := readLead(get, o)
		if reason == "" {
			stats.observe(get, il)
		}
		return il, reason
	})
	if err != nil {
		return nil, err
	}
	for _, b := range t.Bad {
		stats.reject(b.Reason)
	}
	stats.Read = len(t.Rows) + len(t.Bad)
	res := &ImportResult{Header: t.Header, Mapping: t.Mapping, Bad: t.Bad, Rows: make([]ImportedLead, len(t.Rows)), Stats: stats}
	for i, row := range t.Rows {
		il := row.Value
		il.Line, il.Key, il.Extra = row.Line, row.Key, row.Extra
		res.Rows[i] = il
	}
	return res, nil
}

// readLead reads one row; reason is "" when the row is good.
func readLead(get Get, o ImportOptions) (ImportedLead, string) {
	var il ImportedLead
	raw := get("created_at")
	created, ok := ParseDate(raw, o.Loc)
	if !ok {
		return il, fmt.Sprintf("created_at %q: not a date (use 2006-01-02 or 02/01/2006)", raw)
	}
	il.CreatedAt = created
	l := &il.Lead
	l.StartedAt, l.CompletedAt, l.Channel = il.CreatedAt, il.CreatedAt, "import"
	if v := get("city"); v != "" && o.Places != nil {
		c, reason := parseCity(o.Places, v)
		if reason != "" {
			return il, reason
		}
		l.City = c
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
		l.Service = parseService(o.Catalogue, v)
	}
	l.Source = strings.ToLower(get("source"))
	conv, ok := parseOutcome(get("converted"))
	if !ok {
		return il, fmt.Sprintf("converted %q: want yes/no (sí, no, 1, 0, ganado, perdido)", get("converted"))
	}
	il.Converted = conv
	if v := get("revenue"); v != "" {
		n, ok := ParsePesos(v)
		if !ok {
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

// parseCity reads a city cell through flow's gazetteer; reason is "" when understood.
func parseCity(places *place.Places, v string) (flow.City, string) {
	r := places.Parse(v)
	switch r.Match {
	case place.CityExact, place.CityForeign:
		return r.City, ""
	case place.CityAmbiguous:
		return r.Candidates[0], "" // likeliest first: the capital or the largest town
	case place.CityDepartment:
		return flow.City{Department: r.Department}, ""
	}
	return flow.City{}, fmt.Sprintf("city %q: not a Colombian municipality or known foreign city", v)
}

// parseService maps a service cell to a catalogue key ("other" when unknown).
func parseService(cat flow.Catalogue, v string) string {
	if key, ok := cat.Parse(v); ok {
		return key
	}
	return "other"
}
