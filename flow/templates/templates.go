// Package templates is the agency's catalogue of WhatsApp message
// templates: the only messages the Cloud API accepts once a person's
// 24-hour customer-service window has closed (WHATSAPP.md §7.6). Meta
// approves each template (name, language, category) beforehand in the
// WhatsApp Manager; the catalogue tells the product which approved ones
// exist, what their body says and where each {{n}} parameter's value comes
// from. It is read from a file (cis serve --templates templates.json) and
// is pure: no I/O here.
package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Uses of a template in the product.
const (
	UseFollowUp     = "follow_up"     // an advisor's "follow up" on the lead page, window closed
	UseReengage     = "reengage"      // the one re-engagement of a conversation abandoned after consent
	UseWindowClosed = "window_closed" // a reply Meta refused with 131047 goes as this template instead
)

// Parameter sources: where a {{n}} placeholder's value comes from.
const (
	ParamName    = "name"    // the person's name (the lead's, else the WhatsApp profile's)
	ParamAdvisor = "advisor" // the advisor who follows up (follow_up only)
	ParamService = "service" // the service the lead asked for
	ParamCity    = "city"    // the lead's city
	ParamAgency  = "agency"  // the agency's name
)

var (
	categories = []string{"marketing", "utility", "authentication"}
	uses       = []string{UseFollowUp, UseReengage, UseWindowClosed}
	sources    = []string{ParamName, ParamAdvisor, ParamService, ParamCity, ParamAgency}
	// Meta: lowercase letters, digits and underscores, at most 512 characters.
	validName = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	// Meta's language codes: "es", "es_CO", "en_US", "pt_BR", ...
	validLang   = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	placeholder = regexp.MustCompile(`\{\{(\d+)\}\}`)
)

// Template is one approved template.
type Template struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Category   string   `json:"category"`   // marketing, utility or authentication (Meta's pricing category)
	Parameters []string `json:"parameters"` // the source of {{1}}, {{2}}, ... in order
	Text       string   `json:"text"`       // the approved body, with {{n}} placeholders: the preview on the lead page
	Uses       []string `json:"uses"`
}

// Catalogue is the agency's templates. The zero value has none.
type Catalogue struct {
	Templates []Template `json:"templates"`
}

// Parse reads a catalogue file and checks every template; the error names
// the first fault found.
func Parse(data []byte) (Catalogue, error) {
	var c Catalogue
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Catalogue{}, fmt.Errorf("templates: %w", err)
	}
	seen := map[string]bool{}
	for i, t := range c.Templates {
		if err := t.check(); err != nil {
			return Catalogue{}, fmt.Errorf("templates: template %d (%q): %w", i+1, t.Name, err)
		}
		key := t.Name + "/" + t.Language
		if seen[key] {
			return Catalogue{}, fmt.Errorf("templates: %s in %s is listed twice", t.Name, t.Language)
		}
		seen[key] = true
	}
	return c, nil
}

func (t Template) check() error {
	switch {
	case !validName.MatchString(t.Name):
		return errors.New("name: lowercase letters, digits and underscores, as approved by Meta")
	case !validLang.MatchString(t.Language):
		return errors.New(`language: a Meta language code such as "es", "es_CO" or "en_US"`)
	case !slices.Contains(categories, t.Category):
		return fmt.Errorf("category %q: want one of %s", t.Category, strings.Join(categories, ", "))
	case strings.TrimSpace(t.Text) == "":
		return errors.New("text: the approved body is required (it is shown to the advisor)")
	case len(t.Uses) == 0:
		return fmt.Errorf("uses: want at least one of %s", strings.Join(uses, ", "))
	}
	for _, u := range t.Uses {
		if !slices.Contains(uses, u) {
			return fmt.Errorf("use %q: want one of %s", u, strings.Join(uses, ", "))
		}
	}
	for _, p := range t.Parameters {
		if !slices.Contains(sources, p) {
			return fmt.Errorf("parameter %q: want one of %s", p, strings.Join(sources, ", "))
		}
		if p == ParamAdvisor && !slices.Equal(t.Uses, []string{UseFollowUp}) {
			return errors.New(`parameter "advisor" is known only to a follow_up template`)
		}
	}
	highest := 0
	for _, m := range placeholder.FindAllStringSubmatch(t.Text, -1) {
		var n int
		_, _ = fmt.Sscan(m[1], &n)
		highest = max(highest, n)
	}
	if highest != len(t.Parameters) {
		return fmt.Errorf("text has placeholders up to {{%d}} but %d parameters are listed", highest, len(t.Parameters))
	}
	return nil
}

// For returns the templates of one use, in the file's order, those in lang
// (its first two letters) first.
func (c Catalogue) For(use, lang string) []Template {
	var first, rest []Template
	for _, t := range c.Templates {
		if !slices.Contains(t.Uses, use) {
			continue
		}
		if strings.HasPrefix(t.Language, lang) {
			first = append(first, t)
		} else {
			rest = append(rest, t)
		}
	}
	return append(first, rest...)
}

// Find returns the template named name in language, false when none is.
func (c Catalogue) Find(name, language string) (Template, bool) {
	for _, t := range c.Templates {
		if t.Name == name && t.Language == language {
			return t, true
		}
	}
	return Template{}, false
}

// Values are what the parameter sources stand for in one message.
type Values map[string]string

// Fill returns the parameters of one message, in order, and the body the
// person will read. A missing value is refused: Meta rejects an empty
// parameter, and a template that greets nobody reads badly.
func (t Template) Fill(v Values) (params []string, preview string, err error) {
	for _, p := range t.Parameters {
		s := strings.TrimSpace(v[p])
		if s == "" {
			return nil, "", fmt.Errorf("template %s: no value for %q", t.Name, p)
		}
		params = append(params, s)
	}
	preview = placeholder.ReplaceAllStringFunc(t.Text, func(m string) string {
		var n int
		_, _ = fmt.Sscan(placeholder.FindStringSubmatch(m)[1], &n)
		return params[n-1]
	})
	return params, preview, nil
}
