// Package pricing is what WhatsApp messages cost the agency: Meta charges
// per delivered message since 1 July 2025, by the recipient's country and
// the message's pricing category (marketing, utility, authentication,
// service), and each rate applies from a date. The table is a file (cis
// serve --rates); the built-in one (rates.json) is illustrative and says
// so. Pure: no I/O besides the embedded defaults.
package pricing

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

//go:embed rates.json
var defaults []byte

// categories Meta prices by (the pricing block's "category" of a status
// callback).
var categories = []string{"marketing", "utility", "authentication", "service"}

// Rate is the price of one delivered message to Country (ISO 3166 alpha-2,
// "*" for any other) in Category, from the day From (YYYY-MM-DD, UTC).
type Rate struct {
	Country  string  `json:"country"`
	Category string  `json:"category"`
	From     string  `json:"from"`
	COP      float64 `json:"cop"`
	from     time.Time
}

// Table is a rate table. The zero value prices everything at nothing.
type Table struct {
	Note  string `json:"note,omitempty"` // where the rates come from
	Rates []Rate `json:"rates"`
}

// Default returns the built-in (illustrative) table.
func Default() Table {
	t, err := Parse(defaults)
	if err != nil {
		panic("pricing: built-in rates: " + err.Error()) // a build error: tested
	}
	return t
}

// Parse reads and checks a rate table file.
func Parse(data []byte) (Table, error) {
	var t Table
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&t); err != nil {
		return Table{}, fmt.Errorf("rates: %w", err)
	}
	if len(t.Rates) == 0 {
		return Table{}, errors.New("rates: no rate listed")
	}
	for i := range t.Rates {
		r := &t.Rates[i]
		r.Country = strings.ToUpper(strings.TrimSpace(r.Country))
		d, err := time.Parse(time.DateOnly, r.From)
		switch {
		case r.Country != "*" && (len(r.Country) != 2 || strings.Trim(r.Country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != ""):
			return Table{}, fmt.Errorf("rates: rate %d: country %q: want an ISO code such as CO, or *", i+1, r.Country)
		case !slices.Contains(categories, r.Category):
			return Table{}, fmt.Errorf("rates: rate %d: category %q: want one of %s", i+1, r.Category, strings.Join(categories, ", "))
		case err != nil:
			return Table{}, fmt.Errorf("rates: rate %d: from %q: want YYYY-MM-DD", i+1, r.From)
		case r.COP < 0:
			return Table{}, fmt.Errorf("rates: rate %d: a negative price", i+1)
		}
		r.from = d
	}
	// Latest first, so that Cost takes the first that applies.
	sort.SliceStable(t.Rates, func(a, b int) bool { return t.Rates[a].from.After(t.Rates[b].from) })
	return t, nil
}

// Cost is the price in COP of one message to country in category at at:
// the latest rate of that country applying then, else of "*"; false when
// none does.
func (t Table) Cost(country, category string, at time.Time) (float64, bool) {
	for _, c := range []string{strings.ToUpper(country), "*"} {
		for _, r := range t.Rates {
			if r.Country == c && r.Category == category && !r.from.After(at) {
				return r.COP, true
			}
		}
	}
	return 0, false
}

// callingCodes maps calling codes to countries, longest first where they
// share a prefix: the markets a Colombian agency meets most. Other numbers
// are priced at the "*" rates.
var callingCodes = []struct{ code, country string }{
	{"593", "EC"}, {"591", "BO"}, {"595", "PY"}, {"598", "UY"}, {"507", "PA"}, {"506", "CR"}, {"502", "GT"}, {"503", "SV"},
	{"504", "HN"}, {"505", "NI"}, {"57", "CO"}, {"58", "VE"}, {"51", "PE"}, {"52", "MX"}, {"54", "AR"}, {"55", "BR"},
	{"56", "CL"}, {"34", "ES"}, {"1", "US"},
}

// Country returns the country of a phone in E.164 ("+57300…" → "CO"), ""
// when it is not a number or its code is not listed.
func Country(phone string) string {
	digits, ok := strings.CutPrefix(phone, "+")
	if !ok || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return ""
	}
	for _, c := range callingCodes {
		if strings.HasPrefix(digits, c.code) {
			return c.country
		}
	}
	return ""
}
